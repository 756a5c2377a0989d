"""The declared-design model on the wine data beside R's ordinal::clmm (stored reference values).

The reference values were computed once with R (tests/R/wine_clmm.R); R is not needed here.
With weak priors the Bayesian fit reproduces the maximum-likelihood fit within a fraction of a
posterior SD; with the package's default priors the differences the chapter "Your own data"
explains appear: the induced-Dirichlet threshold prior pulls the upper thresholds down.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REFERENCE = Path(__file__).parent / "R" / "wine_clmm_reference.csv"
TERMS = {"temp[warm]": "tempwarm", "contact[yes]": "contactyes",
         "temp[warm]:contact[yes]": "tempwarm:contactyes", "sd_respondent": "sd_judge",
         "1|2": "1|2", "2|3": "2|3", "3|4": "3|4", "4|5": "4|5"}


def test_the_reference_values_reproduce_the_published_clmm_fit():
    reference = pd.read_csv(REFERENCE)
    main = reference[reference["model"] == "clmm_laplace_main"].set_index("term")["estimate"]
    # Christensen's vignette: tempwarm 3.063, contactyes 1.835, judge SD 1.13, logLik -81.57
    assert main["tempwarm"] == pytest.approx(3.063, abs=5e-4)
    assert main["contactyes"] == pytest.approx(1.835, abs=5e-4)
    assert main["sd_judge"] == pytest.approx(1.13, abs=5e-3)
    assert main["logLik"] == pytest.approx(-81.57, abs=5e-3)


@pytest.mark.slow
def test_the_declared_model_agrees_with_clmm_and_its_priors_explain_the_rest():
    import trustmodels as tm
    from trustmodels.analysis.linkscale import link_scale_parameters
    from trustmodels.datasets.wine import load_wine

    clmm = pd.read_csv(REFERENCE)
    clmm = clmm[clmm["model"] == "clmm_laplace_interaction"].set_index("term")["estimate"]
    survey = load_wine()
    design = tm.StudyDesign.from_codebook(survey.codebook)
    long = tm.design_table(survey)

    def fitted(priors=None):
        model = tm.build_design_model(long, design, priors)
        idata = tm.fit(model, draws=1000, tune=1000, chains=4, random_seed=20261122,
                       cache=True, label="wine")
        return link_scale_parameters(idata).set_index("term")

    weak = fitted(tm.OrdinalPriors(effect_sd=5.0, cutpoint_prior="normal", cutpoint_sd=5.0))
    for ours, theirs in TERMS.items():
        gap = abs(weak.loc[ours, "mean"] - clmm[theirs]) / weak.loc[ours, "sd"]
        assert gap < 0.75, (ours, weak.loc[ours, "mean"], clmm[theirs])
    default = fitted()
    for ours in ("temp[warm]", "contact[yes]", "temp[warm]:contact[yes]", "sd_respondent"):
        row = default.loc[ours]
        assert row["hdi_low"] <= clmm[TERMS[ours]] <= row["hdi_high"], ours
    for threshold in ("3|4", "4|5"):  # the induced-Dirichlet prior pulls them down
        assert default.loc[threshold, "mean"] < weak.loc[threshold, "mean"] < clmm[threshold] + 0.5
    assert default.loc["temp[warm]", "mean"] < 0.8 * clmm["tempwarm"]
