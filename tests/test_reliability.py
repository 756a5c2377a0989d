"""Tests of trustmodels.analysis.reliability: alpha, omega, item-total correlations."""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from trustmodels.analysis.reliability import (
    cronbach_alpha,
    item_total_correlations,
    mcdonald_omega,
    reliability_table,
)

# Three items, five respondents. By hand (variances with n - 1):
# a = 1..5: mean 3, sum of squares 10, variance 10/4
# b = 2,2,4,4,5: mean 3.4, sum of squares 7.2, variance 7.2/4
# c = 2,3,3,5,5: mean 3.6, sum of squares 7.2, variance 7.2/4
# total = 5,7,10,13,15: mean 10, sum of squares 68, variance 68/4
# alpha = 3/2 * (1 - (10 + 7.2 + 7.2) / 68) = 3/2 * 43.6/68 = 327/340
SMALL = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 4, 4, 5], "c": [2, 3, 3, 5, 5]})
HAND_ALPHA = float(Fraction(327, 340))


def likert_items(n=400, loadings=(0.9, 0.8, 0.7, 0.6), seed=1):
    """Ordinal 1-7 items driven by one factor (a tiny generator for these tests)."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=n)
    columns = {}
    for j, loading in enumerate(loadings):
        latent = loading * factor + np.sqrt(1 - loading**2) * rng.normal(size=n)
        columns[f"x{j + 1}"] = np.digitize(latent, [-1.5, -0.9, -0.3, 0.3, 0.9, 1.5]) + 1
    return pd.DataFrame(columns)


def test_alpha_matches_hand_computation():
    result = cronbach_alpha(SMALL, ["a", "b", "c"], construct="small")
    assert result["alpha"] == pytest.approx(HAND_ALPHA, abs=1e-12)
    assert result["n_items"] == 3
    assert result["n_respondents"] == 5
    assert result["ci_low"] < result["alpha"] < result["ci_high"] <= 1


def test_alpha_interval_is_feldt():
    from scipy import stats

    wide = likert_items()
    result = cronbach_alpha(wide, list(wide.columns))
    n, k = wide.shape
    low = 1 - (1 - result["alpha"]) * stats.f.ppf(0.975, n - 1, (n - 1) * (k - 1))
    high = 1 - (1 - result["alpha"]) * stats.f.ppf(0.025, n - 1, (n - 1) * (k - 1))
    assert result["ci_low"] == pytest.approx(low, abs=1e-3)
    assert result["ci_high"] == pytest.approx(high, abs=1e-3)


def test_listwise_uses_complete_cases_only():
    wide = SMALL.astype(float)
    wide.loc[5] = [np.nan, 1.0, 5.0]
    wide["a"] = wide["a"].astype("Int64")  # nullable integers as the data layer produces
    listwise = cronbach_alpha(wide, ["a", "b", "c"], nan_policy="listwise")
    assert listwise["n_respondents"] == 5
    assert listwise["alpha"] == pytest.approx(HAND_ALPHA, abs=1e-12)
    pairwise = cronbach_alpha(wide, ["a", "b", "c"], nan_policy="pairwise")
    assert pairwise["n_respondents"] == 6
    assert pairwise["alpha"] != pytest.approx(HAND_ALPHA, abs=1e-6)


def test_omega_recovers_population_loadings():
    loadings = np.array([0.9, 0.8, 0.7, 0.6])
    rng = np.random.default_rng(3)
    n = 20_000
    factor = rng.normal(size=n)
    wide = pd.DataFrame({
        f"x{j}": loading * factor + np.sqrt(1 - loading**2) * rng.normal(size=n)
        for j, loading in enumerate(loadings)
    })
    expected = loadings.sum() ** 2 / (loadings.sum() ** 2 + np.sum(1 - loadings**2))
    assert mcdonald_omega(wide, list(wide.columns)) == pytest.approx(expected, abs=0.01)


def test_omega_equals_alpha_for_parallel_items():
    rng = np.random.default_rng(4)
    n = 20_000
    factor = rng.normal(size=n)
    wide = pd.DataFrame({f"x{j}": factor + rng.normal(size=n) for j in range(5)})
    alpha = cronbach_alpha(wide, list(wide.columns))["alpha"]
    assert mcdonald_omega(wide, list(wide.columns)) == pytest.approx(alpha, abs=0.01)


def test_reliability_table_is_tidy():
    wide = likert_items().join(likert_items(seed=2).add_prefix("y"))
    constructs = {"x": ["x1", "x2", "x3", "x4"], "y": ["yx1", "yx2"]}
    table = reliability_table(wide, constructs)
    assert list(table.columns) == ["construct", "n_items", "n_respondents", "alpha", "ci_low",
                                   "ci_high", "omega"]
    assert table["construct"].tolist() == ["x", "y"]
    assert table["n_items"].tolist() == [4, 2]
    assert np.isnan(table.loc[1, "omega"])
    assert table.loc[0, "alpha"] == pytest.approx(
        cronbach_alpha(wide, constructs["x"])["alpha"])


def test_item_total_flags_a_reversed_item():
    wide = likert_items()
    wide["x4"] = 8 - wide["x4"]
    table = item_total_correlations(wide, {"x": list(wide.columns)})
    by_item = table.set_index("item")
    assert by_item.loc["x4", "item_rest_r"] < 0 < by_item.loc["x1", "item_rest_r"]
    rest = wide[["x1", "x2", "x3"]].sum(axis=1)
    assert by_item.loc["x4", "item_rest_r"] == pytest.approx(wide["x4"].corr(rest))
    overall = cronbach_alpha(wide, list(wide.columns))["alpha"]
    assert by_item.loc["x4", "alpha_if_dropped"] > overall


def test_missing_item_column_is_a_clear_error():
    with pytest.raises(ValueError, match=r"construct 'trust'.*\['zz'\] not found"):
        reliability_table(SMALL, {"trust": ["a", "zz"]})


def test_too_few_items_is_a_clear_error():
    with pytest.raises(ValueError, match=r"construct 'single' has 1 item.*at least 2"):
        reliability_table(SMALL, {"single": ["a"]})
    with pytest.raises(ValueError, match="at least 3"):
        mcdonald_omega(SMALL, ["a", "b"])


def test_empty_constructs_and_bad_policy_are_errors():
    with pytest.raises(ValueError, match="non-empty mapping"):
        reliability_table(SMALL, {})
    with pytest.raises(ValueError, match="nan_policy"):
        cronbach_alpha(SMALL, ["a", "b"], nan_policy="drop")


def test_non_numeric_item_is_a_clear_error():
    wide = SMALL.assign(b=["x", "y", "z", "w", "v"])
    with pytest.raises(ValueError, match=r"column 'b' has dtype .*expected numeric"):
        cronbach_alpha(wide, ["a", "b"], construct="mixed")


def test_too_few_complete_respondents_is_an_error():
    wide = SMALL.astype(float)
    wide.loc[[0, 1, 2], "a"] = np.nan
    with pytest.raises(ValueError, match="only 2 respondent"):
        cronbach_alpha(wide, ["a", "b", "c"], construct="sparse")
