"""Simulation-based calibration: rank computation, the uniformity statistic and a small run."""

import numpy as np
import pandas as pd
import pytest

from trustmodels.sbc import ecdf_bands, rank_uniformity, sbc_rank, thin_draws


def _conjugate_ranks(fit_prior_sd, true_prior_sd=1.0, n_sims=200, n_draws=99, n_obs=1, seed=0):
    """Ranks from an exact normal-normal model whose fit may use a wrong prior scale.

    theta ~ Normal(0, true_prior_sd), y_i ~ Normal(theta, 1); the 'fit' draws from the exact
    posterior under a Normal(0, fit_prior_sd) prior. The ranks are uniform exactly when the
    two prior scales agree.
    """
    rng = np.random.default_rng(seed)
    ranks = []
    for _ in range(n_sims):
        theta = rng.normal(0.0, true_prior_sd)
        y = rng.normal(theta, 1.0, size=n_obs)
        precision = fit_prior_sd**-2 + n_obs
        draws = rng.normal(y.sum() / precision, precision**-0.5, size=n_draws)
        ranks.append(sbc_rank(theta, draws, rng))
    return np.array(ranks)


def test_rank_counts_draws_below_truth():
    draws = np.array([[0.1, 5.0], [0.3, 6.0], [0.2, 7.0]])
    assert sbc_rank([0.25, 4.0], draws).tolist() == [2, 0]


def test_rank_breaks_ties_at_random_within_range():
    draws = np.zeros((9, 1))
    ranks = np.array([sbc_rank([0.0], draws, rng=seed)[0] for seed in range(300)])
    assert ranks.min() >= 0 and ranks.max() <= 9
    assert len(np.unique(ranks)) == 10  # every rank 0..9 is reachable


def test_rank_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="do not match"):
        sbc_rank([0.0, 1.0], np.zeros((5, 3)))


def test_thin_draws_keeps_requested_number_evenly():
    kept = thin_draws(np.arange(4000), 200)
    assert kept.shape == (200,)
    assert set(np.diff(kept)) == {20}
    with pytest.raises(ValueError):
        thin_draws(np.arange(10), 11)


def test_bands_have_simultaneous_coverage_for_uniform_ranks():
    n, max_rank = 100, 49
    bands = ecdf_bands(n, max_rank, prob=0.9, n_points=None, seed=1)
    rng = np.random.default_rng(7)
    inside = 0
    for _ in range(400):
        ranks = np.sort(rng.integers(0, max_rank + 1, size=n))
        ecdf = np.searchsorted(ranks, bands["rank"], side="right") / n
        inside += np.all((ecdf >= bands["lower"]) & (ecdf <= bands["upper"]))
    # the simultaneous level is 0.9; discreteness makes the bands slightly conservative
    assert 0.84 <= inside / 400 <= 0.97


def test_uniformity_accepts_a_calibrated_fit():
    verdict = rank_uniformity(_conjugate_ranks(fit_prior_sd=1.0), max_rank=99)
    assert not verdict.flagged
    assert verdict.p_value > 0.05


@pytest.mark.parametrize(("true_sd", "fit_sd"), [(1.0, 0.3), (3.0, 1.0)])
def test_uniformity_flags_a_fit_with_the_wrong_prior_scale(true_sd, fit_sd):
    ranks = _conjugate_ranks(fit_prior_sd=fit_sd, true_prior_sd=true_sd)
    verdict = rank_uniformity(ranks, max_rank=99)
    assert verdict.flagged
    assert verdict.gamma < verdict.critical_gamma


def test_uniformity_false_alarm_rate_is_near_nominal():
    rng = np.random.default_rng(11)
    flagged = [rank_uniformity(rng.integers(0, 100, size=60), 99, n_replicates=500).flagged
               for _ in range(200)]
    assert np.mean(flagged) <= 0.1


def test_uniformity_rejects_out_of_range_ranks():
    with pytest.raises(ValueError, match="between 0 and max_rank"):
        rank_uniformity(pd.Series([0, 1, 120]), max_rank=99)
