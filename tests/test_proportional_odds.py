"""The proportional-odds check: it passes answers a cumulative-logit model could give and fails
answers whose conditions move one end of the scale only."""

import numpy as np
import pytest
import xarray as xr

from trustmodels.analysis.proportional_odds import cumulative_logit_shifts

CUTPOINTS = np.array([-2.0, -1.0, -0.3, 0.3, 1.0, 2.0])  # 7 categories
SHIFTS = {"none": 0.0, "denial": 0.3, "apology": 0.9}
N = 400


def _cumulative_logit(rng, shift, n=N):
    return np.digitize(rng.logistic(size=n) + shift, CUTPOINTS) + 1


def _answers(rng, top_only=False):
    parts = []
    for condition, shift in SHIFTS.items():
        answers = _cumulative_logit(rng, 0.0 if top_only else shift)
        if top_only and condition == "apology":  # 5 -> 6 and 6 -> 7, the low end untouched
            answers = np.where(answers >= 5, np.minimum(answers + 1, 7), answers)
        parts.append(answers)
    return np.concatenate(parts)


def _tree(observed, replicated):
    return xr.DataTree.from_dict({
        "observed_data": xr.Dataset({"y": ("obs", observed)}),
        "posterior_predictive": xr.Dataset({"y": (("chain", "draw", "obs"), replicated[None])})})


LABELS = [condition for condition in SHIFTS for _ in range(N)]


def test_answers_of_a_proportional_odds_model_pass():
    rng = np.random.default_rng(7)
    replicated = np.stack([_answers(rng) for _ in range(300)])
    inside = [cumulative_logit_shifts(_tree(_answers(rng), replicated), by=LABELS)["inside"].mean()
              for _ in range(10)]
    assert np.mean(inside) > 0.8  # 90% intervals: about nine in ten thresholds inside


def test_a_condition_that_moves_only_the_top_of_the_scale_fails():
    rng = np.random.default_rng(8)
    replicated = np.stack([_answers(rng) for _ in range(300)])  # a model with parallel shifts
    table = cumulative_logit_shifts(_tree(_answers(rng, top_only=True), replicated), by=LABELS,
                                    pairs=[("apology", "none")])
    assert len(table) == len(CUTPOINTS)
    assert (~table["inside"]).sum() >= 3
    # the lower thresholds barely move, the upper ones a lot
    assert table["observed_shift"].iloc[:2].abs().max() < 0.3
    assert table["observed_shift"].iloc[-2:].abs().min() > 0.5


def test_default_pairs_compare_with_the_first_condition_and_bad_input_is_one_line():
    rng = np.random.default_rng(9)
    observed = _answers(rng)
    tree = _tree(observed, np.stack([_answers(rng) for _ in range(20)]))
    table = cumulative_logit_shifts(tree, by=LABELS)
    assert sorted(set(zip(table["condition"], table["reference"], strict=True))) == [
        ("apology", "none"), ("denial", "none")]
    with pytest.raises(ValueError, match="by has 3 labels; expected one per observed answer"):
        cumulative_logit_shifts(tree, by=["a", "b", "c"])
    with pytest.raises(ValueError, match="unknown condition 'excuse'"):
        cumulative_logit_shifts(tree, by=LABELS, pairs=[("excuse", "none")])


def test_the_figure_marks_each_departure_outside_its_interval_as_an_open_point():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.colors import to_rgba

    from trustmodels.plots.design import plot_cumulative_logit_shifts

    rng = np.random.default_rng(8)
    replicated = np.stack([_answers(rng) for _ in range(300)])
    table = cumulative_logit_shifts(_tree(_answers(rng, top_only=True), replicated), by=LABELS)
    fig = plot_cumulative_logit_shifts(table)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2  # apology and denial, each against no response
    open_points = sum(len(collection.get_offsets()) for ax in visible
                      for collection in ax.collections
                      if len(collection.get_facecolors())
                      and tuple(collection.get_facecolors()[0]) == to_rgba("white"))
    assert open_points == int((~table["inside"]).sum()) > 0
    with pytest.raises(ValueError, match="the table lacks"):
        plot_cumulative_logit_shifts(table.drop(columns="inside"))
