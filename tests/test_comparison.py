"""Tests of trustmodels.analysis.comparison: metric contrasts in rating points and the added
log-prior."""


import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr
from scipy import stats

from trustmodels.analysis.checks import category_counts
from trustmodels.analysis.comparison import (
    add_log_prior,
    category_counts_by_item,
    metric_contrasts,
    metric_response_contrasts,
)
from trustmodels.datasets.simulated_design import EFFECT_NAMES
from trustmodels.models.specification import MetricSpec, OrdinalSpec


def _tree(beta_draws, model=MetricSpec):
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset(
        {"beta": (("chain", "draw", "effect"), beta_draws)},
        coords={"effect": list(EFFECT_NAMES)})})
    tree.attrs["trustmodels_spec"] = model(effects=EFFECT_NAMES).to_json()
    return tree


def _row(table, violation, contrast):
    return table[(table.violation == violation) & (table.contrast == contrast)].iloc[0]


def test_metric_contrasts_follow_the_design_coding():
    rng = np.random.default_rng(3)
    beta = np.zeros((2, 300, len(EFFECT_NAMES)))
    beta[..., EFFECT_NAMES.index("apology")] = rng.normal(0.8, 0.05, (2, 300))
    beta[..., EFFECT_NAMES.index("denial")] = rng.normal(0.3, 0.05, (2, 300))
    table = metric_contrasts(_tree(beta), fan_counts=(10_000,))
    assert len(table) == 6 and set(table["scale"]) == {"rating"}
    # no interaction effects: the contrasts are the same for both violation types
    for violation in ("competence", "integrity"):
        assert _row(table, violation, "apology - none")["mean"] == pytest.approx(0.8, abs=0.02)
        assert _row(table, violation, "apology - denial")["mean"] == pytest.approx(0.5, abs=0.02)
        assert _row(table, violation, "denial - none")["mean"] == pytest.approx(0.3, abs=0.02)


def test_metric_contrasts_use_the_interactions():
    beta = np.zeros((1, 200, len(EFFECT_NAMES)))
    interaction = [name for name in EFFECT_NAMES if "apology" in name and "integrity" in name
                   and "fans" not in name]
    assert interaction, EFFECT_NAMES
    beta[..., EFFECT_NAMES.index(interaction[0])] = 0.4
    table = metric_contrasts(_tree(beta))
    assert _row(table, "competence", "apology - none")["mean"] == pytest.approx(0.0)
    assert _row(table, "integrity", "apology - none")["mean"] == pytest.approx(0.4)


def test_metric_contrasts_refuse_an_ordinal_fit():
    beta = np.zeros((1, 10, len(EFFECT_NAMES)))
    with pytest.raises(ValueError, match="needs a metric model fit, got 'ordinal'"):
        metric_contrasts(_tree(beta, model=OrdinalSpec))


def _small_model():
    with pm.Model() as model:
        pm.Normal("mu", 0.0, 2.0)
        pm.Normal("y", model["mu"], 1.0, observed=[0.3, -0.1])
    return model


def test_add_log_prior_evaluates_each_prior_at_the_draws():
    draws = np.random.default_rng(0).normal(0.0, 1.0, (2, 50))
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"mu": (("chain", "draw"), draws)})})
    out = add_log_prior(_small_model(), tree)
    np.testing.assert_allclose(out["log_prior"]["mu"].values, stats.norm(0, 2).logpdf(draws),
                               rtol=1e-6)


def test_add_log_prior_refuses_a_fit_of_another_model():
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset(
        {"sigma": (("chain", "draw"), np.ones((1, 5)))})})
    with pytest.raises(ValueError, match=r"no posterior draws of \['mu'\]"):
        add_log_prior(_small_model(), tree)


def _predictive_tree(observed, predicted, item_index=None):
    groups = {"observed_data": xr.Dataset({"y": (("obs",), observed)}),
              "posterior_predictive": xr.Dataset({"y": (("chain", "draw", "obs"), predicted)})}
    if item_index is not None:
        groups["constant_data"] = xr.Dataset({"obs_item": (("obs",), item_index)})
    tree = xr.DataTree.from_dict(groups)
    if item_index is not None:
        tree.attrs["trustmodels_spec"] = OrdinalSpec(items=("a", "b")).to_json()
    return tree


def test_category_counts_by_item_borrows_the_item_index():
    observed = np.array([1, 2, 2, 3])
    predicted = np.tile(np.array([1, 2, 3, 3]), (1, 10, 1))
    reference = _predictive_tree(observed, predicted, item_index=np.array([0, 0, 1, 1]))
    table = category_counts_by_item(_predictive_tree(observed, predicted), reference)
    item_a = table[table["item"] == "a"].set_index("category")
    item_b = table[table["item"] == "b"].set_index("category")
    assert item_a.loc[2, "observed"] == 1 and item_a.loc[2, "predicted_mean"] == 1.0
    assert item_b.loc[3, "observed"] == 1 and item_b.loc[3, "predicted_mean"] == 2.0
    assert not item_b.loc[3, "inside"]


def test_category_counts_takes_the_item_of_each_answer():
    # a declared design's fit keeps no item index: the items come with the call, in the order
    # of the fit's answers, and give the same table as the index kept by the main model
    observed = np.array([1, 2, 2, 3])
    predicted = np.tile(np.array([1, 2, 3, 3]), (1, 10, 1))
    kept = category_counts(_predictive_tree(observed, predicted, item_index=np.array([0, 0, 1, 1])),
                           by_item=True)
    given = category_counts(_predictive_tree(observed, predicted), by_item=["a", "a", "b", "b"])
    pd.testing.assert_frame_equal(given, kept)
    swapped = category_counts(_predictive_tree(observed, predicted), by_item=["b", "b", "a", "a"])
    assert not swapped.sort_values(["item", "category"]).reset_index(drop=True).equals(
        kept.sort_values(["item", "category"]).reset_index(drop=True))
    with pytest.raises(ValueError, match="the item of 3 answers, but the fit observed 4"):
        category_counts(_predictive_tree(observed, predicted), by_item=["a", "a", "b"])


def test_category_counts_by_item_refuses_other_answers():
    predicted = np.ones((1, 5, 3), int)
    reference = _predictive_tree(np.array([1, 2, 3]), predicted, item_index=np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="observed different answers"):
        category_counts_by_item(_predictive_tree(np.array([1, 1, 3]), predicted), reference)


def _discretized_tree(beta_draws, alpha, sigma, sigma_u, likelihood="discretized"):
    chains, draws = beta_draws.shape[:2]
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset({
        "beta": (("chain", "draw", "effect"), beta_draws),
        "alpha": (("chain", "draw", "item"), np.broadcast_to(alpha, (chains, draws, len(alpha)))),
        "sigma": (("chain", "draw", "item"), np.broadcast_to(sigma, (chains, draws, len(sigma)))),
        "sigma_u": (("chain", "draw"), np.full((chains, draws), sigma_u))},
        coords={"effect": list(EFFECT_NAMES)})})
    tree.attrs["trustmodels_spec"] = MetricSpec(
        likelihood=likelihood, level="item", effects=EFFECT_NAMES,
        item_categories=(7,) * len(alpha)).to_json()
    return tree


def _simulated_mean_rating(mu, sigma, sigma_u, rng, n=400_000):
    """Mean answer of the discretized model by simulation: rounded latent value, clipped."""
    latent = mu + sigma_u * rng.standard_normal(n) + sigma * rng.standard_normal(n)
    return float(np.clip(np.rint(latent), 1, 7).mean())


def test_metric_response_contrasts_match_simulated_answers_of_the_discretized_model():
    """The implied expected-rating contrast equals the mean rating of simulated answers."""
    rng = np.random.default_rng(11)
    beta = np.zeros((1, 50, len(EFFECT_NAMES)))
    beta[..., EFFECT_NAMES.index("apology")] = 1.5
    beta[..., EFFECT_NAMES.index("denial")] = -0.8
    alpha, sigma, sigma_u = np.array([5.5, 3.0]), np.array([0.9, 1.4]), 0.7
    table = metric_response_contrasts(_discretized_tree(beta, alpha, sigma, sigma_u))
    for contrast, (first, second) in {"apology - none": (1.5, 0.0),
                                      "apology - denial": (1.5, -0.8)}.items():
        simulated = np.mean([_simulated_mean_rating(a + first, s, sigma_u, rng)
                             - _simulated_mean_rating(a + second, s, sigma_u, rng)
                             for a, s in zip(alpha, sigma, strict=True)])
        assert _row(table, "competence", contrast)["mean"] == pytest.approx(simulated, abs=0.01)
        # near the top of the scale the answers compress the latent shift
        assert _row(table, "competence", contrast)["mean"] < first - second - 0.1


def test_metric_response_contrasts_of_agreement_count_answers_above_the_midpoint():
    rng = np.random.default_rng(5)
    beta = np.zeros((1, 20, len(EFFECT_NAMES)))
    beta[..., EFFECT_NAMES.index("apology")] = 1.0
    tree = _discretized_tree(beta, np.array([4.0]), np.array([1.0]), 0.0)
    table = metric_response_contrasts(tree, scale="agree")
    latent_none, latent_apology = (4.0 + rng.standard_normal(400_000),
                                   5.0 + rng.standard_normal(400_000))
    simulated = float((np.rint(latent_apology) >= 5).mean() - (np.rint(latent_none) >= 5).mean())
    assert _row(table, "integrity", "apology - none")["mean"] == pytest.approx(simulated,
                                                                               abs=0.005)


def test_metric_response_contrasts_of_a_normal_density_are_the_mean_shift():
    rng = np.random.default_rng(3)
    beta = np.zeros((2, 300, len(EFFECT_NAMES)))
    beta[..., EFFECT_NAMES.index("apology")] = rng.normal(0.8, 0.05, (2, 300))
    tree = _discretized_tree(beta, np.array([6.5]), np.array([1.0]), 0.5, likelihood="normal")
    shifted = metric_response_contrasts(tree)
    plain = metric_contrasts(tree)
    np.testing.assert_allclose(shifted["mean"], plain["mean"])
    with pytest.raises(ValueError, match="normal density has no probability of agreeing"):
        metric_response_contrasts(tree, scale="agree")
    with pytest.raises(ValueError, match="unknown scale 'latent'"):
        metric_response_contrasts(tree, scale="latent")
