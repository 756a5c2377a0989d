r"""Simulation-based calibration (SBC): do a model's posteriors cover the truth as claimed.

SBC (Talts et al. 2018) draws parameters :math:`\tilde\theta` from the prior, simulates data
:math:`\tilde y` from them, fits the model to :math:`\tilde y` and records the *rank* of
:math:`\tilde\theta` among :math:`L` posterior draws. If the model, its sampler and the code
that simulates from it are consistent, every rank is uniform on :math:`\{0, \dots, L\}`;
a U shape says the posteriors are too narrow, a hump too wide, a slope biased.

Uniformity is judged with the empirical distribution function (ECDF) of the ranks and
*simultaneous* bands (Säilynoja, Bürkner & Vehtari 2022): the band holds the whole ECDF of
uniform ranks with probability ``prob``, so one look at the ECDF-difference plot
(:func:`trustmodels.plots.sbc.plot_sbc_ecdf`) is one test at level ``1 - prob``.

The module has three layers:

- pure functions on ranks: :func:`thin_draws`, :func:`sbc_rank`, :func:`ecdf_bands`,
  :func:`rank_uniformity`;
- :func:`run_sbc`, the loop *draw from the prior - simulate - fit - rank* for any PyMC model
  builder whose likelihood can be simulated by :func:`pymc.sample_prior_predictive`;
- :func:`main_model_sbc`, the run the book shows (small surveys, few draws, cached on disk).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "RankUniformity",
    "ecdf_bands",
    "rank_uniformity",
    "sbc_rank",
    "thin_draws",
]


# ---------------------------------------------------------------------------------------------
# ranks
# ---------------------------------------------------------------------------------------------
def thin_draws(draws, n_keep: int) -> np.ndarray:
    """Keep ``n_keep`` evenly spaced draws (thinning reduces autocorrelation between ranks).

    Parameters
    ----------
    draws : array_like, shape (n_draws, ...)
        Posterior draws, chains already stacked along the first axis.
    n_keep : int
        Number of draws to keep (at most ``n_draws``).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_keep, ...)``.

    Examples
    --------
    >>> thin_draws(np.arange(10), 5).tolist()
    [0, 2, 4, 6, 8]
    """
    draws = np.asarray(draws)
    if not 1 <= n_keep <= draws.shape[0]:
        raise ValueError(f"n_keep must be between 1 and the {draws.shape[0]} draws; got {n_keep}")
    step = draws.shape[0] // n_keep
    return draws[: step * n_keep : step]


def sbc_rank(truth, draws, rng=None) -> np.ndarray:
    """Return the SBC rank of the true value(s) among posterior draws.

    The rank is the number of draws below the truth, ``0..L`` for ``L`` draws; ties (possible
    only for discrete parameters) are broken at random so that ranks stay uniform.

    Parameters
    ----------
    truth : float or array_like, shape (...)
        The parameter value(s) the data were simulated from.
    draws : array_like, shape (L, ...)
        Posterior draws of the same parameter(s).
    rng : numpy.random.Generator or int, optional
        Random numbers for tie breaking.

    Returns
    -------
    numpy.ndarray of int
        Shape of ``truth``.

    Examples
    --------
    >>> int(sbc_rank(0.5, np.array([0.1, 0.2, 0.7, 0.9])))
    2
    >>> sbc_rank([0.0, 10.0], np.array([[1.0, 1.0], [2.0, 2.0]])).tolist()
    [0, 2]
    """
    rng = np.random.default_rng(rng)
    truth = np.asarray(truth, dtype=float)
    draws = np.asarray(draws, dtype=float)
    if draws.shape[1:] != truth.shape:
        raise ValueError(f"draws of shape {draws.shape} do not match truth of shape {truth.shape}")
    below = np.sum(draws < truth, axis=0)
    ties = np.sum(draws == truth, axis=0)
    if np.any(ties):
        below = below + rng.integers(0, ties + 1)
    return np.asarray(below, dtype=int)


# ---------------------------------------------------------------------------------------------
# uniformity: ECDF with simultaneous bands (Säilynoja, Bürkner & Vehtari 2022)
# ---------------------------------------------------------------------------------------------
def _rank_grid(max_rank: int, n_points: int | None) -> np.ndarray:
    """Return the ranks ``k`` at which the ECDF ``P(rank <= k)`` is evaluated."""
    all_points = np.arange(max_rank)  # P(rank <= max_rank) = 1 is not informative
    if n_points is None or n_points >= max_rank:
        return all_points
    return np.unique(np.round(np.linspace(0, max_rank - 1, n_points)).astype(int))


def _gamma(counts_below: np.ndarray, n: int, z: np.ndarray) -> np.ndarray:
    """Smallest two-sided pointwise binomial tail probability over the grid (last axis)."""
    lower_tail = stats.binom.cdf(counts_below, n, z)
    upper_tail = stats.binom.sf(counts_below - 1, n, z)
    return np.min(2.0 * np.minimum(lower_tail, upper_tail), axis=-1)


def _ecdf_counts(ranks: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Count the ranks ``<= k`` for every grid point (last axis), for each row of ranks."""
    sorted_ranks = np.sort(ranks, axis=-1)
    return np.stack([np.searchsorted(row, grid, side="right") for row in
                     np.atleast_2d(sorted_ranks)])


def _critical_gamma(n: int, max_rank: int, grid: np.ndarray, prob: float, n_replicates: int,
                    seed: int) -> tuple[float, np.ndarray]:
    rng = np.random.default_rng(seed)
    uniform_ranks = rng.integers(0, max_rank + 1, size=(n_replicates, n))
    z = (grid + 1) / (max_rank + 1)
    gammas = _gamma(_ecdf_counts(uniform_ranks, grid), n, z)
    return float(np.quantile(gammas, 1.0 - prob)), gammas


def ecdf_bands(n_ranks: int, max_rank: int, prob: float = 0.95, n_points: int | None = 100,
               n_replicates: int = 2000, seed: int = 2022) -> pd.DataFrame:
    """Return simultaneous bands for the ECDF of ``n_ranks`` uniform ranks on ``0..max_rank``.

    The bands are pointwise binomial intervals at the level ``1 - gamma`` chosen by simulation
    so that the whole ECDF of uniform ranks stays inside them with probability ``prob``.

    Parameters
    ----------
    n_ranks : int
        Number of ranks (simulations).
    max_rank : int
        Largest possible rank ``L`` (the number of posterior draws used for ranking).
    prob : float
        Simultaneous coverage of the bands.
    n_points : int, optional
        Number of grid points (ranks are binned for large ``max_rank``); ``None`` uses all.
    n_replicates : int
        Simulated uniform rank sets used to calibrate the bands.
    seed : int
        Seed of that simulation.

    Returns
    -------
    pandas.DataFrame
        Columns ``rank``, ``fraction`` (the uniform CDF ``(rank + 1) / (L + 1)``), ``lower`` and
        ``upper`` (the band, on the ECDF scale), and ``gamma`` (the pointwise tail level).

    Examples
    --------
    >>> bands = ecdf_bands(50, 99, n_points=20)
    >>> bool(((bands["lower"] <= bands["fraction"]) & (bands["fraction"] <= bands["upper"])).all())
    True
    """
    grid = _rank_grid(max_rank, n_points)
    gamma, _ = _critical_gamma(n_ranks, max_rank, grid, prob, n_replicates, seed)
    z = (grid + 1) / (max_rank + 1)
    lower = stats.binom.ppf(gamma / 2, n_ranks, z) / n_ranks
    upper = stats.binom.ppf(1 - gamma / 2, n_ranks, z) / n_ranks
    return pd.DataFrame({"rank": grid, "fraction": z, "lower": lower, "upper": upper,
                         "gamma": gamma})


@dataclass(frozen=True)
class RankUniformity:
    """How far a set of SBC ranks is from uniform.

    Attributes
    ----------
    gamma : float
        The smallest two-sided pointwise binomial tail probability of the ECDF (small when the
        ECDF strays far from the uniform CDF anywhere).
    critical_gamma : float
        The ``1 - prob`` quantile of ``gamma`` for uniform ranks: the ECDF leaves the
        simultaneous band exactly when ``gamma < critical_gamma``.
    p_value : float
        Fraction of simulated uniform rank sets with a ``gamma`` at most as large.
    flagged : bool
        ``True`` when the ECDF leaves the ``prob`` simultaneous band.
    """

    gamma: float
    critical_gamma: float
    p_value: float
    flagged: bool


def rank_uniformity(ranks, max_rank: int, prob: float = 0.95, n_points: int | None = 100,
                    n_replicates: int = 2000, seed: int = 2022) -> RankUniformity:
    """Test whether SBC ranks are uniform with the ECDF simultaneous-band statistic.

    Parameters
    ----------
    ranks : array_like of int
        Ranks ``0..max_rank`` of one parameter across simulations.
    max_rank : int
        The number ``L`` of posterior draws used for ranking.
    prob, n_points, n_replicates, seed
        As in :func:`ecdf_bands`.

    Returns
    -------
    RankUniformity
        The statistic, its critical value, a simulated p-value and the verdict.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> rank_uniformity(rng.integers(0, 100, size=200), max_rank=99).flagged
    False
    >>> rank_uniformity(np.r_[np.zeros(60, int), np.full(60, 99)], max_rank=99).flagged
    True
    """
    ranks = np.asarray(ranks)
    if ranks.ndim != 1 or ranks.size == 0:
        raise ValueError("ranks must be a non-empty one-dimensional array")
    if np.any((ranks < 0) | (ranks > max_rank)) or not np.all(np.equal(np.mod(ranks, 1), 0)):
        raise ValueError(f"ranks must be integers between 0 and max_rank={max_rank}")
    grid = _rank_grid(max_rank, n_points)
    critical, gammas = _critical_gamma(ranks.size, max_rank, grid, prob, n_replicates, seed)
    z = (grid + 1) / (max_rank + 1)
    gamma = float(_gamma(_ecdf_counts(ranks.astype(int), grid), ranks.size, z)[0])
    p_value = float(np.mean(gammas <= gamma))
    return RankUniformity(gamma=gamma, critical_gamma=critical, p_value=p_value,
                          flagged=gamma < critical)
