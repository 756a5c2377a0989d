"""Tests of the Likert and classical-chapter figures (trustmodels.plots.likert / .classical)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from trustmodels.analysis.classical import (  # noqa: E402
    moderated_regression,
    simple_effect_curve,
    survey_scores,
)
from trustmodels.plots.classical import (  # noqa: E402
    plot_construct_means,
    plot_floodlight_ols,
    plot_trust_vs_fans,
)
from trustmodels.plots.likert import (  # noqa: E402
    SIMULATED_LABEL,
    likert_colors,
    likert_shares,
    plot_likert_by_condition,
)
from trustmodels.survey.codebook import Codebook  # noqa: E402
from trustmodels.survey.table import survey_from_frame  # noqa: E402

ITEMS = ["comp1", "comp2", "comp3", "intent1", "intent2"]


def generated_frame(n_per_cell=20, seed=5):
    """Answers 1-7 for every response x violation cell of the mini codebook (a tiny generator)."""
    rng = np.random.default_rng(seed)
    cells = [(r, v) for r in ("none", "apology", "denial") for v in ("competence", "integrity")]
    rows = []
    for index in range(n_per_cell * len(cells)):
        response, violation = cells[index % len(cells)]
        shift = {"none": -1.0, "apology": 1.0, "denial": 0.0}[response]
        answers = np.clip(np.round(4 + shift + rng.normal(0, 1.3, len(ITEMS))), 1, 7)
        rows.append({
            "respondent_id": f"R{index + 1:03d}", "seller_response": response,
            "violation": violation, "fan_count": int(10 ** rng.uniform(2, 6)),
            **dict(zip(ITEMS, answers.astype(int), strict=True)),
            "attention_check": 2, "gender": "female", "duration_s": 400,
        })
    return pd.DataFrame(rows)


@pytest.fixture
def generated_survey(mini_codebook_dict):
    return survey_from_frame(generated_frame(), Codebook.from_dict(mini_codebook_dict), "gen")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_likert_colors_have_a_grey_neutral():
    colors = likert_colors(7)
    assert len(colors) == 7
    assert matplotlib.colors.to_hex(colors[3]) == "#d9d9d9"
    assert colors[0][0] > colors[0][2] and colors[-1][2] > colors[-1][0]  # red ... blue
    assert len(likert_colors(4)) == 4
    with pytest.raises(ValueError, match="at least 2"):
        likert_colors(1)


def test_likert_shares_are_counts_over_totals(generated_survey):
    long = generated_survey.long
    shares = likert_shares(long, range(1, 8), by=["violation", "seller_response"])
    assert len(shares) == len(ITEMS) * 6
    np.testing.assert_allclose(shares[list(range(1, 8))].sum(axis=1), 1.0)
    row = shares[(shares["item"] == "comp2") & (shares["violation"] == "integrity")
                 & (shares["seller_response"] == "denial")].iloc[0]
    cell = long[(long["item"] == "comp2") & (long["violation"] == "integrity")
                & (long["seller_response"] == "denial")]
    assert row["n"] == len(cell)
    assert row[6] == pytest.approx((cell["response"] == 6).mean())


def test_likert_shares_rejects_out_of_range_answers():
    long = pd.DataFrame({"item": ["q1", "q1"], "response": [1, 9]})
    with pytest.raises(ValueError, match=r"values \[9\] outside the answer categories"):
        likert_shares(long, range(1, 8))


def test_likert_figure_has_one_bar_per_item_condition_and_category(generated_survey):
    fig = plot_likert_by_condition(generated_survey, constructs=["competence"])
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["competence violation", "integrity violation"]
    for ax in panels:
        assert len(ax.patches) == 3 * 3 * 7  # items x responses x categories
        assert len(ax.containers) == 7
    tick_labels = [t.get_text() for t in panels[0].get_yticklabels()]
    assert tick_labels == ["none", "apology", "denial"] * 3
    item_axis = panels[0].child_axes[0]  # the secondary y axis holding the item labels
    labels = [t.get_text().replace("\n", " ") for t in item_axis.get_yticklabels()]
    assert labels[0] == "comp1: The seller is competent."
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[0] == "1 Strongly disagree" and legend[-1] == "7 Strongly agree"


def test_likert_bars_are_centred_at_the_neutral_category(generated_survey):
    fig = plot_likert_by_condition(generated_survey, constructs=["intention"])
    ax = fig.axes[0]
    shares = likert_shares(generated_survey.long, range(1, 8),
                           by=["violation", "seller_response"], items=["intent1", "intent2"])
    first = shares[shares["violation"] == "competence"].reset_index(drop=True)
    by_row = {}
    for patch in ax.patches:
        by_row.setdefault(round(patch.get_y(), 6), []).append(patch)
    rows = [sorted(patches, key=lambda p: p.get_x()) for _, patches in
            sorted(by_row.items(), reverse=True)]
    assert len(rows) == len(first)
    for patches, (_, expected) in zip(rows, first.iterrows(), strict=True):
        widths = [p.get_width() for p in patches]
        np.testing.assert_allclose(widths, expected[list(range(1, 8))].to_numpy(float) * 100)
        left = -patches[0].get_x()
        disagree = expected[[1, 2, 3]].sum() + expected[4] / 2
        assert left == pytest.approx(disagree * 100)


def test_likert_title_says_simulated_only_for_simulated_data(mini_codebook_dict):
    simulated = survey_from_frame(generated_frame(), Codebook.from_dict(mini_codebook_dict))
    assert SIMULATED_LABEL in plot_likert_by_condition(simulated)._suptitle.get_text()
    mini_codebook_dict["resources"][0]["trustmodels"]["simulated"] = False
    real = survey_from_frame(generated_frame(), Codebook.from_dict(mini_codebook_dict))
    assert SIMULATED_LABEL not in plot_likert_by_condition(real)._suptitle.get_text()


def test_likert_figure_without_design_has_one_panel(mini_codebook_dict):
    extension = mini_codebook_dict["resources"][0]["trustmodels"]
    extension["design"] = []
    survey = survey_from_frame(generated_frame(), Codebook.from_dict(mini_codebook_dict))
    fig = plot_likert_by_condition(survey, constructs=["competence"])
    assert len(fig.axes[0].patches) == 3 * 7


def test_likert_bad_input_is_a_clear_error(generated_survey, mini_codebook_dict):
    with pytest.raises(ValueError, match=r"no construct\(s\) \['warmth'\]"):
        plot_likert_by_condition(generated_survey, constructs=["warmth"])
    with pytest.raises(ValueError, match=r"\['q9'\] are not Likert items"):
        plot_likert_by_condition(generated_survey, items=["comp1", "q9"])
    fields = mini_codebook_dict["resources"][0]["schema"]["fields"]
    intent2 = next(field for field in fields if field["name"] == "intent2")
    intent2["categories"] = intent2["categories"][:5]
    frame = generated_frame().assign(intent2=lambda f: f["intent2"].clip(1, 5))
    survey = survey_from_frame(frame, Codebook.from_dict(mini_codebook_dict))
    with pytest.raises(ValueError, match="different numbers of answer categories"):
        plot_likert_by_condition(survey, constructs=["intention"])


def test_construct_means_show_the_cell_means(generated_survey):
    fig = plot_construct_means(generated_survey)
    assert [ax.get_title() for ax in fig.axes] == ["competence", "intention"]
    scores = survey_scores(generated_survey)
    ax = fig.axes[0]
    assert len(ax.containers) == 3
    apology = ax.containers[1].lines[0].get_ydata()
    expected = [scores.loc[(scores["seller_response"] == "apology")
                           & (scores["violation"] == v), "competence"].mean()
                for v in ("competence", "integrity")]
    np.testing.assert_allclose(apology, expected)
    assert SIMULATED_LABEL in fig._suptitle.get_text()
    with pytest.raises(ValueError, match=r"no score\(s\) \['trust'\]"):
        plot_construct_means(generated_survey, ["trust"])


def test_trust_vs_fans_draws_every_respondent_and_a_lowess_per_response(generated_survey):
    fig = plot_trust_vs_fans(generated_survey, score="competence")
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.lines) == 3
        assert sum(len(c.get_offsets()) for c in ax.collections) == 60
    with pytest.raises(ValueError, match="no score 'trust'"):
        plot_trust_vs_fans(generated_survey)


def test_floodlight_figure_draws_the_simple_effect(generated_survey):
    fit = moderated_regression(survey_scores(generated_survey), "competence", covariates=())
    fig = plot_floodlight_ols(fit, simulated=False)
    assert SIMULATED_LABEL not in fig._suptitle.get_text()
    ax = fig.axes[1]
    line = next(line for line in ax.lines if line.get_label() == "OLS estimate")
    curve = simple_effect_curve(fit, "apology", "integrity", log10_fans=line.get_xdata())
    np.testing.assert_allclose(line.get_ydata(), curve["effect"])
    assert SIMULATED_LABEL in plot_floodlight_ols(fit, simulated=True)._suptitle.get_text()
