"""The measurement-structure check: items of one construct agreeing more than items across
constructs is seen when the model has one latent variable, and not flagged when it has not."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from trustmodels.analysis.item_correlations import item_correlation_check

N, CONSTRUCTS = 300, ["a", "a", "a", "b", "b", "c", "c"]


def _answers(rng, distinct):
    """Ordinal answers 1-7 of N respondents to the items of CONSTRUCTS."""
    common = rng.normal(size=N)
    own = {c: rng.normal(size=N) for c in set(CONSTRUCTS)}
    latent = np.stack([common + (own[c] if distinct else 0.0) + rng.normal(size=N)
                       for c in CONSTRUCTS], axis=1)
    return np.clip(np.rint(latent + 4), 1, 7)


def _tree(observed, replicated, keep):
    respondent = np.repeat(np.arange(N), len(CONSTRUCTS))[keep]
    item = np.tile(np.arange(len(CONSTRUCTS)), N)[keep]
    return xr.DataTree.from_dict({
        "observed_data": xr.Dataset({"y": ("obs", observed.ravel()[keep])}),
        "posterior_predictive": xr.Dataset({"y": (("chain", "draw", "obs"),
                                                  replicated.reshape(1, -1, N * len(CONSTRUCTS))
                                                  [..., keep])}),
        "constant_data": xr.Dataset({"obs_respondent": ("obs", respondent),
                                     "obs_item": ("obs", item)})})


@pytest.mark.parametrize(("distinct", "flagged"), [(False, False), (True, True)])
def test_distinct_beliefs_are_flagged_under_a_one_factor_model(distinct, flagged):
    rng = np.random.default_rng(4)
    keep = rng.random(N * len(CONSTRUCTS)) > 0.05  # some answers missing
    replicated = np.stack([_answers(rng, distinct=False) for _ in range(200)])
    table = item_correlation_check(_tree(_answers(rng, distinct), replicated, keep),
                                   item_construct=CONSTRUCTS, prob=0.98)
    summary = table.iloc[-1]
    assert summary["kind"] == "within - between"
    assert (not summary["inside"]) == flagged
    assert list(table["kind"]) == ["within"] * 3 + ["between"] * 3 + ["within - between"]


def test_correlations_are_pairwise_complete_pearson():
    rng = np.random.default_rng(5)
    keep = rng.random(N * len(CONSTRUCTS)) > 0.1
    observed = _answers(rng, distinct=True)
    table = item_correlation_check(_tree(observed, np.stack([observed] * 3), keep),
                                   item_construct=CONSTRUCTS)
    matrix = np.where(keep.reshape(N, -1), observed, np.nan)
    expected = pd.DataFrame(matrix).corr().to_numpy()  # pandas: pairwise complete
    within_b = expected[3, 4]
    row = table[(table["kind"] == "within") & (table["constructs"] == "b")].iloc[0]
    assert row["observed"] == pytest.approx(within_b, rel=1e-9)
    assert row["predicted_mean"] == pytest.approx(within_b, rel=1e-9)  # replicated = observed


def test_without_constructs_or_with_one_construct_it_says_so():
    rng = np.random.default_rng(6)
    keep = np.ones(N * len(CONSTRUCTS), bool)
    tree = _tree(_answers(rng, False), np.stack([_answers(rng, False)] * 2), keep)
    with pytest.raises(ValueError, match="names no item constructs; pass item_construct"):
        item_correlation_check(tree)
    with pytest.raises(ValueError, match="needs items of at least two constructs"):
        item_correlation_check(tree, item_construct=["a"] * len(CONSTRUCTS))


def test_indices_can_be_passed_instead_of_constant_data():
    rng = np.random.default_rng(7)
    keep = np.ones(N * len(CONSTRUCTS), bool)
    tree = _tree(_answers(rng, True), np.stack([_answers(rng, False)] * 20), keep)
    by_name = item_correlation_check(tree, item_construct=CONSTRUCTS)
    arrays = item_correlation_check(
        xr.DataTree.from_dict({name: tree[name].to_dataset()
                               for name in ("observed_data", "posterior_predictive")}),
        item_construct=CONSTRUCTS, respondent=np.repeat(np.arange(N), len(CONSTRUCTS)),
        item=np.tile(np.arange(len(CONSTRUCTS)), N))
    pd.testing.assert_frame_equal(by_name, arrays)
