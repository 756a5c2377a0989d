r"""Nonlinear moderation: the seller's response effects as smooth functions of the fan count.

The main model (:mod:`trustmodels.models.ordinal`) lets the apology and denial effects change
*linearly* in :math:`x = \log_{10}(\text{fans}) - 4`. Here each response effect, separately for
each violation type, is a smooth curve

.. math::

    \delta_{rv}(x) = a_{rv} + b_{rv}\,x + f_{rv}(x), \qquad
    f_{rv} \sim \mathrm{GP}\bigl(0,\ \sigma_f^2 \exp(-(x - x')^2 / 2\ell^2)\bigr),

with the Gaussian process approximated by the Hilbert-space method (HSGP; Riutort-Mayol et al.
2023) through :class:`pymc.gp.HSGP`: ``m`` sine basis functions on :math:`[-L, L]` whose
weights have standard-normal priors scaled by the square root of the kernel's spectral density.
The linear part keeps the main model as the special case :math:`\sigma_f \to 0`; the four
curves share one length scale and one amplitude. The measurement part (item thresholds and
discriminations, respondent intercepts, the disposition covariate and the baseline trend of the
*no response* condition, ``integrity``, ``log_fans_c`` and ``integrity:log_fans_c``) is the main
model's.

The curves are also evaluated on a grid of fan counts :math:`10^2 \dots 10^6`
(``effect_curve``), from which :func:`response_contrasts` gives apology-minus-none and
apology-minus-denial, and :func:`floodlight` the *Bayesian floodlight* (Spiller et al. 2013;
Kruschke 2018): the fan counts where the 95% interval of a contrast excludes zero and where it
lies inside a region of practical equivalence (ROPE).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_ROPE",
    "FLOODLIGHT_KINDS",
    "contrast_summary",
    "floodlight",
    "intervals_where_positive",
]

#: Half-width of the default region of practical equivalence, in latent SD units: half of a
#: "small" standardized effect of 0.2 (Kruschke 2018).
DEFAULT_ROPE = 0.1

#: Region kinds reported by :func:`floodlight`.
FLOODLIGHT_KINDS = ("credibly positive", "credibly negative", "practically equivalent")


# ---------------------------------------------------------------------------------------------
# floodlight analysis (pure NumPy; works on any draws of a contrast over a grid)
# ---------------------------------------------------------------------------------------------
def intervals_where_positive(x, g) -> list[tuple[float, float]]:
    """Return the intervals of ``x`` where the piecewise-linear function ``g`` is positive.

    ``g`` is given at the increasing grid ``x`` and interpolated linearly between grid points,
    so the end points are exact for linear pieces (a root between two grid points is found by
    linear interpolation).

    Parameters
    ----------
    x : array_like, shape (n,)
        Increasing grid.
    g : array_like, shape (n,)
        Function values on the grid.

    Returns
    -------
    list of (float, float)
        Disjoint closed intervals ``(start, end)``, in increasing order.

    Examples
    --------
    >>> intervals_where_positive([0, 1, 2, 3], [-1, 1, 1, -1])
    [(0.5, 2.5)]
    >>> intervals_where_positive([0, 1], [-1, -2])
    []
    """
    x = np.asarray(x, dtype=float)
    g = np.asarray(g, dtype=float)
    if x.ndim != 1 or x.shape != g.shape or np.any(np.diff(x) <= 0):
        raise ValueError("x must be an increasing 1-d grid and g must have the same shape")
    positive = g > 0
    intervals: list[tuple[float, float]] = []
    start = x[0] if positive[0] else None
    for i in range(1, x.size):
        if positive[i] and not positive[i - 1]:
            start = x[i - 1] + (x[i] - x[i - 1]) * (-g[i - 1]) / (g[i] - g[i - 1])
        elif positive[i - 1] and not positive[i]:
            end = x[i - 1] + (x[i] - x[i - 1]) * g[i - 1] / (g[i - 1] - g[i])
            intervals.append((float(start), float(end)))
            start = None
    if start is not None:
        intervals.append((float(start), float(x[-1])))
    return intervals


def _intersect(first: list[tuple[float, float]], second: list[tuple[float, float]]):
    out = []
    for a0, a1 in first:
        for b0, b1 in second:
            lo, hi = max(a0, b0), min(a1, b1)
            if lo < hi:
                out.append((lo, hi))
    return sorted(out)


def contrast_summary(draws, log10_fans, prob: float = 0.95) -> pd.DataFrame:
    """Summarize draws of a contrast along the fan-count grid (mean and equal-tailed interval).

    Parameters
    ----------
    draws : array_like, shape (n_draws, n_grid)
        Posterior draws of the contrast at each grid point.
    log10_fans : array_like, shape (n_grid,)
        The grid, in log10 followers.
    prob : float
        Probability of the equal-tailed interval.

    Returns
    -------
    pandas.DataFrame
        Columns ``log10_fans``, ``fan_count``, ``mean``, ``lower``, ``upper``.

    Examples
    --------
    >>> draws = np.tile(np.linspace(-1, 1, 101)[:, None], (1, 3))
    >>> contrast_summary(draws, [2, 4, 6])[["lower", "upper"]].round(3).values[0].tolist()
    [-0.95, 0.95]
    """
    draws = np.asarray(draws, dtype=float)
    grid = np.asarray(log10_fans, dtype=float)
    if draws.ndim != 2 or draws.shape[1] != grid.size:
        raise ValueError(f"draws must have shape (n_draws, {grid.size}); got {draws.shape}")
    tail = (1.0 - prob) / 2.0
    lower, upper = np.quantile(draws, [tail, 1.0 - tail], axis=0)
    return pd.DataFrame({"log10_fans": grid, "fan_count": 10.0 ** grid,
                         "mean": draws.mean(axis=0), "lower": lower, "upper": upper})


def floodlight(draws, log10_fans, prob: float = 0.95, rope: float = DEFAULT_ROPE) -> pd.DataFrame:
    """Return the Bayesian floodlight regions of a contrast along the fan-count grid.

    A fan count is in a *credibly positive* (*negative*) region when the contrast's
    ``prob`` equal-tailed interval lies above (below) zero, and in a *practically equivalent*
    region when the interval lies inside the ROPE ``[-rope, rope]`` (Kruschke 2018). Region
    boundaries are found by linear interpolation of the interval bounds between grid points
    (the Bayesian analogue of Johnson-Neyman points; Spiller et al. 2013).

    Parameters
    ----------
    draws : array_like, shape (n_draws, n_grid)
        Posterior draws of the contrast on the grid.
    log10_fans : array_like, shape (n_grid,)
        Increasing grid of log10 follower counts.
    prob : float
        Interval probability.
    rope : float
        Half-width of the region of practical equivalence (latent SD units).

    Returns
    -------
    pandas.DataFrame
        One row per region: ``kind`` (one of :data:`FLOODLIGHT_KINDS`), ``start`` and ``end``
        (log10 followers), ``start_fans`` and ``end_fans`` (followers). Empty when no region.

    Examples
    --------
    A contrast that declines linearly from 1 at 10^2 to -1 at 10^6 with no uncertainty:

    >>> grid = np.linspace(2, 6, 5)
    >>> draws = np.tile(1 - (grid - 2) / 2, (10, 1))
    >>> floodlight(draws, grid, rope=0.5)[["kind", "start", "end"]].values.tolist()
    [['credibly positive', 2.0, 4.0], ['practically equivalent', 3.0, 5.0], \
['credibly negative', 4.0, 6.0]]
    """
    if not rope > 0:
        raise ValueError(f"rope must be positive, got {rope!r}")
    summary = contrast_summary(draws, log10_fans, prob)
    x = summary["log10_fans"].to_numpy()
    lower = summary["lower"].to_numpy()
    upper = summary["upper"].to_numpy()
    found = {
        "credibly positive": intervals_where_positive(x, lower),
        "credibly negative": intervals_where_positive(x, -upper),
        "practically equivalent": _intersect(intervals_where_positive(x, lower + rope),
                                             intervals_where_positive(x, rope - upper)),
    }
    rows = [(kind, start, end) for kind, spans in found.items() for start, end in spans]
    table = pd.DataFrame(rows, columns=["kind", "start", "end"])
    table["start_fans"] = 10.0 ** table["start"]
    table["end_fans"] = 10.0 ** table["end"]
    return table.sort_values(["start", "kind"], ignore_index=True)
