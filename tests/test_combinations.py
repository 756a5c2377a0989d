"""Linear combinations of effects: sums of draws, truth coverage, and one-line refusals."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from trustmodels.analysis.combinations import combine_effects
from trustmodels.analysis.contrasts import factor_contrasts
from trustmodels.design import Moderator, StudyDesign, effect_names
from trustmodels.simulation.replications import contrast_weights


def _fit(draws, effects, dims=("chain", "draw", "effect"), coords=None):
    return xr.DataTree.from_dict({"posterior": xr.Dataset(
        {"beta": (dims, draws)}, coords={"effect": effects, **(coords or {})})})


def test_a_combination_is_the_weighted_sum_of_the_draws():
    rng = np.random.default_rng(5)
    draws = rng.normal(size=(2, 300, 3))
    fit = _fit(draws, ["a", "b", "c"])
    table = combine_effects(fit, {"a - 2c": {"a": 1, "c": -2}, "b": {"b": 1}})
    flat = draws.reshape(-1, 3)
    assert table.loc["a - 2c", "mean"] == pytest.approx((flat[:, 0] - 2 * flat[:, 2]).mean())
    assert table.loc["b", "median"] == pytest.approx(np.median(flat[:, 1]))
    assert list(table.index) == ["a - 2c", "b"] and table.index.name == "combination"


def test_truth_is_the_same_sum_and_coverage_follows_the_hdi():
    draws = np.random.default_rng(2).normal([1.0, 0.5], 0.01, (1, 500, 2))
    fit = _fit(draws, ["a", "b"])
    table = combine_effects(fit, {"sum": {"a": 1, "b": 1}, "a": {"a": 1}},
                            truth={"a": 1.0, "b": 0.2})
    assert table.loc["sum", "truth"] == pytest.approx(1.2)
    assert not table.loc["sum", "covered"]  # the draws sit at 1.5
    assert table.loc["a", "covered"]


def test_factor_contrast_weights_give_the_factor_contrast():
    design = StudyDesign({"reaction": ["silence", "excuse"], "harm": ["low", "high"]},
                         outcomes=["trust"], moderators={"fans": Moderator("log10", centre=4.0)})
    names = list(effect_names(design))
    draws = np.random.default_rng(3).normal(0.3, 0.2, (2, 200, len(names)))
    fit = _fit(draws, names)
    weights = contrast_weights(design, "reaction", "excuse", "silence", {"harm": "high",
                                                                         "fans": 1e5})
    mine = combine_effects(fit, {"excuse - silence": weights}).iloc[0]
    theirs = factor_contrasts(fit, design, "reaction", by="harm", at={"fans": [1e5]})
    theirs = theirs[theirs["harm"] == "high"].iloc[0]
    assert mine["mean"] == pytest.approx(theirs["mean"])
    assert mine["hdi_low"] == pytest.approx(theirs["hdi_low"])


@pytest.mark.parametrize(("fit", "combinations", "message"), [
    (_fit(np.zeros((1, 4, 2)), ["a", "b"]), {"x": {"a": 1, "z": 1}},
     r"combination 'x' names unknown effects \['z'\]; the fit's effects are \['a', 'b'\]"),
    (_fit(np.zeros((1, 4, 2)), ["a", "b"]), {"x": {}}, "combination 'x' has no weights"),
    (_fit(np.zeros((1, 4, 2, 2)), ["a", "b"], ("chain", "draw", "effect", "construct"),
          {"construct": ["p", "q"]}), {"x": {"a": 1}}, r"also varies by \['construct'\]"),
    (xr.DataTree.from_dict({"posterior": xr.Dataset({"mu": ("chain", np.zeros(1))})}),
     {"x": {"a": 1}}, "has 'beta'"),
])
def test_bad_requests_are_one_line(fit, combinations, message):
    with pytest.raises(ValueError, match=message) as error:
        combine_effects(fit, combinations)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(("combinations", "truth", "message"), [
    ({"x": {"a": "1"}}, None, r"the weight of 'a' in combination 'x' must be a number, got '1'"),
    ({"x": {"a": float("nan")}}, None, "the weight of 'a' in combination 'x' must be finite"),
    ({"x": {"a": 1}}, {"a": None}, r"truth\['a'\] must be a number, got None"),
])
def test_weights_and_truths_must_be_finite_numbers(combinations, truth, message):
    with pytest.raises(ValueError, match=message):
        combine_effects(_fit(np.zeros((1, 4, 2)), ["a", "b"]), combinations, truth=truth)


def test_truth_must_name_every_weighted_effect():
    with pytest.raises(ValueError, match=r"truth has no value for \['b'\]"):
        combine_effects(_fit(np.zeros((1, 4, 2)), ["a", "b"]), {"x": {"a": 1, "b": 1}},
                        truth={"a": 0.0})
