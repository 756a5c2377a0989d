"""A study's own design: declared once, checked before sampling, fitted, contrasted.

The end-to-end test uses a design unlike the simulated survey's: a reaction to a scandal with
three levels and a two-level reputation, no moderator, no covariate, 1-5 ratings, three
vignettes per respondent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustmodels.contrasts import factor_contrasts
from trustmodels.models.declared import build_design_model
from trustmodels.sampling import gated_variables
from trustmodels.studydesign import (
    Moderator,
    StudyDesign,
    design_rows,
    effect_names,
    prepare_design_data,
    simulate_design_survey,
)

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
    from trustmodels.sampling import fit

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
