"""Tests of the joint model of trust items and an ordinal covariate
(trustmodels.analysis.purchase)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from trustmodels.analysis.purchase import (
    COVARIATE_VARIABLE,
    SLOPE_VARIABLE,
    build_trust_covariate_model,
    correlation_to_slope,
    covariate_association,
    respondent_covariate,
    slope_to_correlation,
)
from trustmodels.simulation.params import SimulationParameters
from trustmodels.simulation.simulate import simulate_main_model
from trustmodels.survey.codebook import Codebook
from trustmodels.survey.table import survey_from_frame


def simulated_long(rho: float, n_per_cell: int, seed: int) -> pd.DataFrame:
    params = dataclasses.replace(SimulationParameters(), purchase_freq_trust_correlation=rho)
    simulated = simulate_main_model(params, n_per_cell=n_per_cell, seed=seed)
    survey = survey_from_frame(simulated.wide, Codebook.from_dict(simulated.codebook), "sim")
    return survey.long


@pytest.fixture(scope="module")
def small_long():
    return simulated_long(-0.15, n_per_cell=5, seed=11)


def test_slope_and_correlation_are_inverse_for_probit():
    for rho in (-0.9, -0.15, 0.0, 0.4):
        assert slope_to_correlation(correlation_to_slope(rho)) == pytest.approx(rho)


def test_logit_slope_uses_logistic_error_variance():
    gamma = np.pi / np.sqrt(3)  # equals the logistic error SD, so the correlation is 1/sqrt(2)
    assert slope_to_correlation(gamma, "logit") == pytest.approx(1 / np.sqrt(2))
    assert slope_to_correlation(gamma, "probit") > slope_to_correlation(gamma, "logit")


def test_correlation_outside_range_is_refused():
    with pytest.raises(ValueError, match="strictly between -1 and 1"):
        correlation_to_slope(1.0)


def test_respondent_covariate_one_value_per_respondent_with_missing():
    long = pd.DataFrame({"respondent": ["A", "A", "B", "C", "C"],
                         "freq": pd.array([3, 3, 1, None, None], dtype="Int64")})
    values = respondent_covariate(long, "freq", 5)
    assert values.index.tolist() == ["A", "B", "C"]
    assert values.iloc[:2].tolist() == [3, 1] and pd.isna(values.iloc[2])


@pytest.mark.parametrize(("values", "message"), [
    (pd.array([3, 4, 1], dtype="Int64"), "varies within respondent 'A'"),
    (pd.array([3, 3, 0], dtype="Int64"), "respondent 'B' is 0; expected an integer in 1..5"),
    (["3", "3", "often"], "row 2 is 'often'"),
])
def test_respondent_covariate_bad_values_name_the_problem(values, message):
    long = pd.DataFrame({"respondent": ["A", "A", "B"], "freq": values})
    with pytest.raises(ValueError, match=message):
        respondent_covariate(long, "freq", 5)


def test_respondent_covariate_missing_column():
    with pytest.raises(ValueError, match="no column 'freq'"):
        respondent_covariate(pd.DataFrame({"respondent": ["A"]}), "freq", 5)


def test_joint_model_adds_covariate_part_to_main_model(small_long):
    model = build_trust_covariate_model(small_long, "purchase_freq", 5)
    free = {rv.name for rv in model.free_RVs}
    assert {"beta_in_sample", "u_residual", "lambda", "cutpoints_offset", SLOPE_VARIABLE,
            "covariate_cutpoints"} <= free
    answered = small_long.groupby("respondent", sort=False)["purchase_freq"].first().notna()
    assert len(model.coords["covariate_obs"]) == int(answered.sum())
    observed = model.rvs_to_values[model[COVARIATE_VARIABLE]]
    assert observed is not None
    assert np.isfinite(model.compile_logp()(model.initial_point()))
    assert model.trustmodels_spec.observed_covariate.n_answers == int(answered.sum())
    assert model.trustmodels_spec.kind == "ordinal"


def test_joint_model_logp_depends_on_slope_through_covariate(small_long):
    model = build_trust_covariate_model(small_long, "purchase_freq", 5)
    logp = model.compile_logp(vars=[model[COVARIATE_VARIABLE]])
    point = model.initial_point()
    point["u_residual"] = np.linspace(-2, 2, point["u_residual"].size)
    values = []
    for gamma in (-1.0, 1.0):
        point[SLOPE_VARIABLE] = np.array(gamma)
        values.append(float(logp(point)))
    assert values[0] != pytest.approx(values[1])


def test_joint_model_prior_draws_stay_in_categories(small_long):
    import pymc as pm

    model = build_trust_covariate_model(small_long, "purchase_freq", 5)
    with model:
        prior = pm.sample_prior_predictive(draws=20, random_seed=1)
    draws = prior["prior_predictive"][COVARIATE_VARIABLE].values
    assert draws.min() >= 1 and draws.max() <= 5


def test_joint_model_refuses_bad_arguments(small_long):
    with pytest.raises(ValueError, match="slope_sd must be positive"):
        build_trust_covariate_model(small_long, slope_sd=0.0)
    with pytest.raises(ValueError, match="needs parameterization='projected' or 'noncentered'"):
        build_trust_covariate_model(small_long, parameterization="centered")
    with pytest.raises(ValueError, match="no column 'shoe_size'"):
        build_trust_covariate_model(small_long, "shoe_size")
    empty = small_long.assign(purchase_freq=pd.array([None] * len(small_long), dtype="Int64"))
    with pytest.raises(ValueError, match="no respondent answered 'purchase_freq'"):
        build_trust_covariate_model(empty)


def test_covariate_association_needs_the_slope():
    import xarray as xr

    post = xr.Dataset({"beta": (("chain", "draw"), np.zeros((2, 10)))})
    with pytest.raises(ValueError, match="no covariate slope"):
        covariate_association(xr.DataTree.from_dict({"posterior": post}))


@pytest.mark.slow
def test_joint_model_recovers_a_strong_correlation():
    from trustmodels.inference.sampling import fit

    rho = 0.6
    long = simulated_long(rho, n_per_cell=30, seed=5)
    model = build_trust_covariate_model(long, "purchase_freq", 5)
    # the gate checks the population parameters; 180 respondent intercepts are not reported
    idata = fit(model, draws=1000, tune=1000, chains=4, cores=2, random_seed=3,
                label="recovery", check_vars=["beta", "beta_disp", SLOPE_VARIABLE,
                                              "covariate_cutpoints"])
    table = covariate_association(idata)
    row = table.loc["correlation"]
    assert row["hdi_low"] <= rho <= row["hdi_high"]
    assert row["hdi_low"] > 0.1
    assert table.loc["slope", "hdi_low"] <= correlation_to_slope(rho) <= table.loc["slope",
                                                                                    "hdi_high"]
