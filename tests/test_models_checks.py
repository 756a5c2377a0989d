"""Predictive category counts, LOO summaries and the same-data rule of model comparison."""

import numpy as np
import pytest
import xarray as xr

from trustmodels.analysis.checks import (
    category_counts,
    compare_models,
    loo_summary,
    prior_sensitivity,
)
from trustmodels.models.specification import OrdinalSpec


def _fit(observed, predicted, loglik, items=None):
    groups = {
        "posterior": xr.Dataset({"mu": (("chain", "draw"), np.zeros(predicted.shape[:2]))}),
        "observed_data": xr.Dataset({"y": (("obs",), observed)}),
        "posterior_predictive": xr.Dataset({"y": (("chain", "draw", "obs"), predicted)}),
        "log_likelihood": xr.Dataset({"y": (("chain", "draw", "obs"), loglik)}),
    }
    if items is not None:
        groups["constant_data"] = xr.Dataset({"obs_item": (("obs",), items)})
    tree = xr.DataTree.from_dict(groups)
    tree.attrs["trustmodels_spec"] = OrdinalSpec(items=("a", "b")).to_json()
    return tree


def test_category_counts_compare_observed_with_predicted():
    rng = np.random.default_rng(0)
    observed = rng.integers(1, 6, 200)
    predicted = rng.integers(1, 6, (2, 100, 200))
    loglik = np.full((2, 100, 200), np.log(0.2))
    table = category_counts(_fit(observed, predicted, loglik), prob=0.9)
    assert table["category"].tolist() == [1, 2, 3, 4, 5]
    assert table["observed"].sum() == 200
    assert np.allclose(table["predicted_mean"], 40, atol=3)
    assert table["inside"].all()
    items = np.resize([0, 1], 200)
    by_item = category_counts(_fit(observed, predicted, loglik, items), by_item=True)
    assert set(by_item["item"]) == {"a", "b"} and by_item["observed"].sum() == 200


def test_a_misfitting_prediction_is_flagged():
    observed = np.full(200, 5)
    predicted = np.ones((2, 100, 200), int)
    table = category_counts(_fit(observed, predicted, np.zeros((2, 100, 200))))
    assert not table.set_index("category").loc[5, "inside"]


def test_loo_summary_and_same_data_rule():
    rng = np.random.default_rng(1)
    observed = rng.integers(1, 6, 50)
    predicted = rng.integers(1, 6, (2, 200, 50))
    good = _fit(observed, predicted, rng.normal(-1.0, 0.05, (2, 200, 50)))
    worse = _fit(observed, predicted, rng.normal(-1.6, 0.05, (2, 200, 50)))
    summary = loo_summary(good)
    assert summary["n_data"] == 50 and summary["elpd_loo"] == pytest.approx(-50, abs=1)
    table = compare_models({"good": good, "worse": worse})
    assert table.index[0] == "good"
    # unrounded: elpd_diff is exactly the worse model's elpd minus the best one's
    assert table.loc["worse", "elpd_diff"] == pytest.approx(
        loo_summary(worse)["elpd_loo"] - summary["elpd_loo"], abs=1e-9)
    other = _fit(observed[::-1].copy(), predicted, rng.normal(-1, 0.05, (2, 200, 50)))
    if not np.array_equal(observed[::-1], observed):
        with pytest.raises(ValueError, match="models different data"):
            compare_models({"good": good, "other": other})


def test_prior_sensitivity_needs_log_prior():
    rng = np.random.default_rng(2)
    fit = _fit(np.ones(10, int), np.ones((2, 50, 10), int), rng.normal(size=(2, 50, 10)))
    with pytest.raises(ValueError, match="log_prior"):
        prior_sensitivity(fit)
