"""A study's own design: declared once, checked before sampling, fitted, contrasted.

The end-to-end test uses a design unlike the simulated survey's: a reaction to a scandal with
three levels and a two-level reputation, no moderator, no covariate, 1-5 ratings, three
vignettes per respondent.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from trustmodels.analysis.contrasts import factor_contrasts
from trustmodels.design import (
    Moderator,
    StudyDesign,
    design_rows,
    effect_names,
    prepare_design_data,
    simulate_design_survey,
)
from trustmodels.inference.sampling import gated_variables
from trustmodels.models.declared import build_design_model
from trustmodels.models.specification import DeclaredSpec

SCANDAL = StudyDesign({"reaction": ["silence", "excuse", "justification"],
                       "reputation": ["low", "high"]}, outcomes=["trust"], vignette="vignette")
ITEMS = {"trust": ["trust1", "trust2", "trust3"]}
TRUE = {"reaction[excuse]": 0.8, "reaction[justification]": 0.3, "reputation[high]": 0.5}


def _survey(n=60, seed=3, design=SCANDAL, effects=TRUE, vignettes=3):
    return simulate_design_survey(design, effects, n_respondents=n, items=ITEMS,
                                  vignettes=vignettes, seed=seed)


def test_the_effects_are_the_full_factorial_with_the_studys_own_names():
    assert effect_names(SCANDAL) == (
        "reaction[excuse]", "reaction[justification]", "reputation[high]",
        "reaction[excuse]:reputation[high]", "reaction[justification]:reputation[high]")
    fans = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"],
                       moderators={"fans": Moderator("log10", centre=4.0)})
    assert effect_names(fans) == ("reaction[excuse]", "log10(fans)",
                                  "reaction[excuse]:log10(fans)")
    rows = design_rows(pd.DataFrame({"reaction": ["excuse"], "fans": [1000]}), fans)
    assert rows.iloc[0].tolist() == [1.0, -1.0, -1.0]


def test_several_vignettes_per_respondent_are_rating_occasions_of_one_respondent():
    long = _survey(n=10)
    data = prepare_design_data(long, SCANDAL)
    assert len(data.respondents) == 10 and len(data.occasions) == 30
    assert np.bincount(data.occasion_respondent).tolist() == [3] * 10
    assert data.response.size == 30 * 3
    # the factors vary within respondents: a respondent rated more than one cell
    cells = data.occasions.groupby("respondent")[["reaction", "reputation"]].nunique()
    assert (cells.max(axis=1) > 1).any()



def test_the_item_of_each_answer_follows_the_models_order_of_answers():
    long = _survey(n=6).sample(frac=1.0, random_state=2)  # any row order
    data = prepare_design_data(long, SCANDAL)
    assert data.answer_items == long["item"].astype(str).tolist()
    assert data.response.tolist() == long["response"].tolist()


def _with(long, **changes):
    long = long.copy()
    for column, (mask, value) in changes.items():
        if column not in long:
            long[column] = value
        long.loc[mask(long), column] = value
    return long


@pytest.mark.parametrize(("case", "message"), [
    ("one level", "factor 'reputation' has only the level(s) ['low']"),
    ("unknown level", "factor 'reaction' has levels ['apology'] that the design does not declare"),
    ("empty cell", "the design cell (reaction=justification, reputation=high) has no rating"),
    ("no moderator variation", "moderator 'fans' does not vary"),
    ("collinear", "the design columns ['log10(fans)', "),
    ("no answers", "construct 'trust' has no answers in the table"),
    ("missing column", "lacks the columns ['reputation']"),
    ("missing covariate", "answered no 'disposition' item"),
])
def test_a_design_the_data_cannot_support_is_one_line_before_sampling(case, message):
    long = _survey(n=24)
    design = SCANDAL
    if case == "one level":
        long["reputation"] = "low"
    elif case == "unknown level":
        long.loc[long["respondent"] == "R0001", "reaction"] = "apology"
    elif case == "empty cell":
        long = long[~((long["reaction"] == "justification") & (long["reputation"] == "high"))]
    elif case in ("no moderator variation", "collinear"):
        design = StudyDesign(SCANDAL.factors, outcomes=["trust"], vignette="vignette",
                             moderators={"fans": Moderator("log10", centre=4.0)})
        long["fans"] = (10_000 if case == "no moderator variation"
                        else np.where(long["reputation"] == "high", 100_000, 10_000))
    elif case == "no answers":
        long["construct"] = "other"
    elif case == "missing column":
        long = long.drop(columns="reputation")
    elif case == "missing covariate":
        design = StudyDesign(SCANDAL.factors, outcomes=["trust"], vignette="vignette",
                             covariate="disposition")
        extra = long[long["item"] == "trust1"].assign(item="disp1", construct="disposition")
        long = pd.concat([long, extra[extra["respondent"] != "R0002"]], ignore_index=True)
    with pytest.raises(ValueError) as error:
        build_design_model(long, design)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_the_gate_checks_the_variables_of_the_model_that_was_built():
    model = build_design_model(_survey(n=12), SCANDAL)
    gated = gated_variables(model)
    assert set(gated) <= set(model.named_vars)
    assert "beta" in gated and "beta_cov" not in gated and "beta_disp" not in gated


@pytest.mark.slow
def test_a_different_design_end_to_end_fits_with_the_gate_and_gives_its_own_contrasts():
    from trustmodels.inference.sampling import fit

    long = _survey(n=90, seed=11)
    model = build_design_model(long, SCANDAL)
    idata = fit(model, draws=500, tune=500, chains=4, random_seed=5, label="scandal design")
    contrasts = factor_contrasts(idata, SCANDAL, "reaction", by="reputation")
    assert contrasts["contrast"].unique().tolist() == [
        "excuse - silence", "justification - silence", "justification - excuse"]
    assert contrasts["reputation"].unique().tolist() == ["low", "high"]
    # the simulated truth lies in every 95% HDI (no interactions were simulated)
    truth = {"excuse - silence": 0.8, "justification - silence": 0.3,
             "justification - excuse": -0.5}
    covered = [row.hdi_low <= truth[row.contrast] <= row.hdi_high
               for row in contrasts.itertuples()]
    assert sum(covered) >= 5, contrasts
    averaged = factor_contrasts(idata, SCANDAL, "reputation")
    assert averaged["contrast"].tolist() == ["high - low"]
    assert averaged["decision"].iloc[0] in ("different from zero", "undecided")


def _fake_fit(design, values):
    """A 'posterior' of two chains x three draws in which every draw of beta is ``values``."""
    import xarray as xr

    names = list(effect_names(design))
    beta = np.broadcast_to(np.array([values[n] for n in names]), (2, 3, len(names)))
    return xr.DataTree.from_dict({"posterior": xr.Dataset(
        {"beta": (("chain", "draw", "effect"), beta)}, coords={"effect": names})})


def test_contrasts_are_differences_of_design_rows_averaged_as_declared():
    design = StudyDesign({"reaction": ["silence", "excuse"], "reputation": ["low", "high"]},
                         outcomes=["trust"],
                         moderators={"fans": Moderator("log10", centre=4.0)})
    values = {"reaction[excuse]": 1.0, "reputation[high]": 0.3, "log10(fans)": 0.2,
              "reaction[excuse]:reputation[high]": 0.4, "reaction[excuse]:log10(fans)": -0.5,
              "reputation[high]:log10(fans)": 0.0,
              "reaction[excuse]:reputation[high]:log10(fans)": 0.0}
    idata = _fake_fit(design, values)
    averaged = factor_contrasts(idata, design, "reaction", at={"fans": [10_000, 100_000]})
    # at the centre: 1 + 0.4 / 2 (averaged over reputation); a tenfold more: 0.5 less
    assert averaged["contrast"].tolist() == ["excuse - silence"] * 2
    np.testing.assert_allclose(averaged["mean"], [1.2, 0.7])
    by = factor_contrasts(idata, design, "reaction", by="reputation")
    np.testing.assert_allclose(by["mean"], [1.0, 1.4])
    assert by["reputation"].tolist() == ["low", "high"]


def test_the_forest_plot_labels_a_contrast_table_by_what_varies_between_its_rows():
    from trustmodels.plots.design import plot_factor_contrasts

    design = StudyDesign({"reaction": ["silence", "excuse"], "reputation": ["low", "high"]},
                         outcomes=["trust"])
    idata = _fake_fit(design, {"reaction[excuse]": 1.0, "reputation[high]": 0.3,
                               "reaction[excuse]:reputation[high]": 0.4})
    table = factor_contrasts(idata, design, "reaction", by="reputation", hdi_prob=0.9)
    axis = plot_factor_contrasts(table).axes[0]
    labels = [label.get_text() for label in axis.get_yticklabels()]
    assert labels == ["excuse - silence | reputation=low", "excuse - silence | reputation=high"]
    assert "90% HDI" in [text.get_text() for text in axis.get_legend().get_texts()]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"factor": "scandal"}, "'scandal' is not a factor of the design"),
    ({"factor": "reaction", "by": "reaction"}, "must be another factor"),
    ({"factor": "reaction", "at": {"followers": [10]}}, "names no moderator"),
    ({"factor": "reaction", "at": {"fans": [0]}}, "expected finite values > 0 (log10)"),
])
def test_contrasts_of_something_the_design_lacks_are_one_line_errors(kwargs, message):
    design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"],
                         moderators={"fans": Moderator("log10", centre=4.0)})
    idata = _fake_fit(design, dict.fromkeys(effect_names(design), 0.0))
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        factor_contrasts(idata, design, **kwargs)
    assert "\n" not in str(error.value)


def test_the_simulated_survey_is_one_instance_of_a_declared_design():
    # the book's main model codes the same effects as the declared design of its survey
    from trustmodels.datasets.simulated import load_simulated_survey
    from trustmodels.datasets.simulated_design import design_matrix

    survey = load_simulated_survey()
    design = StudyDesign({"seller_response": ["none", "apology", "denial"],
                          "violation": ["competence", "integrity"]},
                         outcomes=["competence", "benevolence", "integrity"],
                         moderators={"fan_count": Moderator("log10", centre=4.0)},
                         covariate="disposition")
    data = prepare_design_data(survey.long, design)
    book = design_matrix(data.occasions["seller_response"].astype(str).to_numpy(),
                         data.occasions["violation"].astype(str).to_numpy(),
                         data.occasions["fan_count"].to_numpy(float))
    rename = {"seller_response[apology]": "apology", "seller_response[denial]": "denial",
              "violation[integrity]": "integrity", "log10(fan_count)": "log_fans_c"}
    ours = data.design.rename(columns=lambda name: ":".join(rename[part]
                                                            for part in name.split(":")))
    assert set(ours.columns) == set(book.columns)
    np.testing.assert_allclose(ours[list(book.columns)].to_numpy(), book.to_numpy())
    assert data.covariate is not None and len(data.respondents) == survey.n_respondents


def _fake_response_fit(design, values, cutpoints=(-1.0, 0.0, 1.0, 2.0), lam=1.0):
    """A constant 'posterior' of the declared model with one 1-5 item."""

    import xarray as xr

    idata = _fake_fit(design, values)
    posterior = idata["posterior"].to_dataset()
    posterior["lambda"] = (("chain", "draw", "item"), np.full((2, 3, 1), lam))
    posterior["cutpoints"] = (("chain", "draw", "item", "cutpoint"),
                              np.broadcast_to(np.array(cutpoints), (2, 3, 1, len(cutpoints))))
    posterior = posterior.assign_coords(item=["t1"], cutpoint=[1, 2, 3, 4])
    tree = xr.DataTree.from_dict({"posterior": posterior})
    tree.attrs["trustmodels_spec"] = DeclaredSpec(link="logit", items=("t1",),
                                                  item_categories=(5,)).to_json()
    return tree


def _population_expected_rating(theta, cutpoints):
    """E[rating] for latent mean theta + u, u ~ N(0, 1), by brute-force quadrature."""
    from scipy.special import expit

    u = np.linspace(-8, 8, 4001)
    density = np.exp(-u ** 2 / 2) / np.sqrt(2 * np.pi)
    cdf = expit(np.asarray(cutpoints)[None, :] - (theta + u)[:, None])  # P(y <= k)
    cdf = np.column_stack([np.zeros(u.size), cdf, np.ones(u.size)])
    probs = np.diff(cdf, axis=1)
    expected = probs @ np.arange(1, 6)
    return float(np.trapezoid(expected * density, u))


def test_response_scale_contrasts_integrate_the_respondent_out_then_average_the_cells():
    design = StudyDesign({"reaction": ["silence", "excuse"], "reputation": ["low", "high"]},
                         outcomes=["trust"])
    values = {"reaction[excuse]": 1.5, "reputation[high]": 0.5,
              "reaction[excuse]:reputation[high]": -1.0}
    idata = _fake_response_fit(design, values)
    table = factor_contrasts(idata, design, "reaction", scale="expected")
    cuts = (-1.0, 0.0, 1.0, 2.0)
    by_cell = {(r, p): _population_expected_rating(t, cuts) for (r, p), t in {
        ("silence", "low"): 0.0, ("silence", "high"): 0.5,
        ("excuse", "low"): 1.5, ("excuse", "high"): 1.0}.items()}
    expected = (np.mean([by_cell["excuse", "low"], by_cell["excuse", "high"]])
                - np.mean([by_cell["silence", "low"], by_cell["silence", "high"]]))
    assert table["scale"].tolist() == ["expected"]
    np.testing.assert_allclose(table["mean"], [expected], atol=1e-3)
    # the contrast is "excuse - silence": its first level is excuse
    np.testing.assert_allclose(table["first_mean"],
                               [np.mean([by_cell["excuse", "low"], by_cell["excuse", "high"]])],
                               atol=1e-3)
    np.testing.assert_allclose(table["first_mean"] - table["second_mean"], table["mean"],
                               atol=1e-3)
    agree = factor_contrasts(idata, design, "reaction", scale="agree")
    assert 0 < agree["mean"].iloc[0] < 1
    with pytest.raises(ValueError, match="unknown scale 'odds'"):
        factor_contrasts(idata, design, "reaction", scale="odds")


def test_a_design_column_named_like_a_long_table_column_is_one_line():
    with pytest.raises(ValueError, match="the design column 'response' has the name of a column"):
        StudyDesign({"response": ["none", "apology"]}, outcomes=["trust"])


def test_random_slopes_only_for_effects_that_vary_within_respondents():
    from trustmodels.inference.sampling import gated_variables

    design = StudyDesign({"reaction": ["silence", "excuse"], "reputation": ["low", "high"]},
                         outcomes=["trust"], vignette="vignette")
    long = simulate_design_survey(design, {"reaction[excuse]": 0.5}, n_respondents=10,
                                  items=ITEMS, vignettes=4, seed=2)
    plain = build_design_model(long, design)
    assert "sd_slope" not in plain.named_vars and plain.trustmodels_spec.random_slopes is None
    sloped = build_design_model(long, design, random_slopes=True)
    assert list(sloped.coords["slope"]) == list(effect_names(design))  # all vary within
    assert {"sd_slope", "z_slope"} <= set(gated_variables(sloped))
    # a between-respondents factor gets no slope; a design without any within effect is refused
    between = long.assign(reputation=np.where(long["respondent"] < "R0006", "low", "high"))
    model = build_design_model(between, design, random_slopes=True)
    assert list(model.coords["slope"]) == ["reaction[excuse]", "reaction[excuse]:reputation[high]"]
    one_each = simulate_design_survey(StudyDesign({"reaction": ["silence", "excuse"]},
                                                  outcomes=["trust"]), {}, n_respondents=10,
                                      items=ITEMS, seed=2)
    with pytest.raises(ValueError, match="no effect varies within respondents"):
        build_design_model(one_each, StudyDesign({"reaction": ["silence", "excuse"]},
                                                 outcomes=["trust"]), random_slopes=True)
