"""Statistics of the moderation model's contrast curves: floodlight regions, summaries, truth.

The model (:func:`trustmodels.models.moderation.build_moderation_model`) gives each seller
response a smooth curve over the log10 fan count; these functions turn its draws into contrasts
between responses along the curve (:func:`moderation_contrasts`), pointwise summaries
(:func:`contrast_summary`), the fan counts where a contrast is credibly positive, credibly
negative or practically equivalent (:func:`floodlight`, the Johnson-Neyman idea applied to
posterior draws) and the simulation's true contrast on the same grid (:func:`true_contrast`).
Figures import them from here, never from the model builder.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from trustmodels.analysis.effects import DEFAULT_ROPES
from trustmodels.datasets.simulated_design import EFFECT_NAMES, RESPONSE_LEVELS, design_matrix

__all__ = [
    "DEFAULT_ROPE",
    "FLOODLIGHT_KINDS",
    "MODERATION_CONTRASTS",
    "contrast_summary",
    "floodlight",
    "floodlight_table",
    "intervals_where_positive",
    "moderation_contrasts",
    "true_contrast",
]

#: Contrasts reported along the grid: (first, second) seller responses, first minus second.
MODERATION_CONTRASTS = (("apology", "none"), ("apology", "denial"), ("denial", "none"))
#: Half-width of the default region of practical equivalence, in latent SD units: half of a
#: "small" standardized effect of 0.2 (Kruschke 2018); the package's one latent ROPE.
DEFAULT_ROPE = DEFAULT_ROPES["latent"]
#: Region kinds reported by :func:`floodlight`.
FLOODLIGHT_KINDS = ("credibly positive", "credibly negative", "practically equivalent")


def moderation_contrasts(idata, contrasts=None):
    """Return posterior draws of contrasts between the curves along the moderator's grid.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit of :func:`build_moderation_model` (needs ``effect_curve`` in the posterior).
    contrasts : sequence of (str, str), optional
        Pairs of levels (seller responses, or the levels of the declared design's factor);
        each contrast is first minus second. Default: :data:`MODERATION_CONTRASTS`, or for a
        declared design every pair of the factor's levels, later minus earlier.

    Returns
    -------
    xarray.DataArray
        Dims ``(sample, contrast, violation, log10_fans)``; contrast labels ``"apology - none"``.
        For a declared design ``(sample, contrast, <by>, <moderator>_grid)`` (no ``by``
        dimension when the curves were not split by another factor), the grid on the
        moderator's transformed scale, and ``attrs`` naming the ``moderator``, its
        ``transform`` and ``centre``.

    Raises
    ------
    ValueError
        A pair naming an unknown level.

    Examples
    --------
    >>> import xarray as xr
    >>> curve = xr.DataArray(np.ones((1, 2, 2, 2, 3)), dims=("chain", "draw",
    ...     "response_effect", "violation", "fan_grid"), coords={"response_effect":
    ...     ["apology", "denial"], "violation": ["competence", "integrity"],
    ...     "fan_grid": [2.0, 4.0, 6.0]})
    >>> tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"effect_curve": curve})})
    >>> float(moderation_contrasts(tree).sel(contrast="apology - denial").values.max())
    0.0
    """
    import itertools

    import xarray as xr

    from trustmodels.models.specification import SPEC_ATTRIBUTE, ModerationSpec, model_spec

    spec = (model_spec(idata, ModerationSpec, "moderation_contrasts needs a fit of "
                       "build_moderation_model") if SPEC_ATTRIBUTE in idata.attrs else None)
    declared = spec is not None and spec.declared
    if declared:
        levels, curve_dim = spec.factor_levels, spec.factor
        by_dim, grid_dim = spec.by or "pooled", f"{spec.moderator}_grid"
        if contrasts is None:
            contrasts = [(levels[j], levels[i])
                         for i, j in itertools.combinations(range(len(levels)), 2)]
    else:
        levels, curve_dim = RESPONSE_LEVELS, "response_effect"
        by_dim, grid_dim = "violation", "fan_grid"
        contrasts = MODERATION_CONTRASTS if contrasts is None else contrasts
    post = idata["posterior"]
    post = post.to_dataset() if hasattr(post, "to_dataset") else post
    curve = post["effect_curve"].stack(sample=("chain", "draw")).transpose("sample", ...)
    zero = xr.zeros_like(curve.isel({curve_dim: 0}, drop=True))

    def level(name):
        return zero if name == levels[0] else curve.sel({curve_dim: name}, drop=True)

    unknown = sorted({str(a) for pair in contrasts for a in pair} - set(levels))
    if unknown:
        of = f"the factor {spec.factor!r}" if declared else "the seller response"
        raise ValueError(f"unknown levels {unknown} in contrasts; expected levels of {of}: "
                         f"{list(levels)}")
    out = xr.concat([level(a) - level(b) for a, b in contrasts], dim="contrast")
    out = out.assign_coords(contrast=[f"{a} - {b}" for a, b in contrasts])
    out = out.drop_vars(["chain", "draw", "sample"], errors="ignore")
    if not declared:
        return out.rename(fan_grid="log10_fans").transpose("sample", "contrast", "violation",
                                                            "log10_fans")
    if spec.by is None:
        out = out.squeeze(by_dim, drop=True)
    out = out.transpose("sample", "contrast", *([by_dim] if spec.by else []), grid_dim)
    out.attrs = {"moderator": spec.moderator, "transform": spec.transform,
                 "centre": spec.centre}
    return out


def true_contrast(effects: dict, first: str, second: str, violation: str,
                  log10_fans) -> np.ndarray:
    """Return a contrast implied by known (e.g. simulated) effects on a fan-count grid.

    Parameters
    ----------
    effects : dict of str to float
        Effects keyed by :data:`trustmodels.datasets.simulated_design.EFFECT_NAMES` (e.g. the
        simulator's truth).
    first, second : str
        Seller responses; the contrast is first minus second.
    violation : str
        Violation type.
    log10_fans : array_like
        Grid of log10 follower counts.

    Returns
    -------
    numpy.ndarray
        The contrast at each grid point (latent SD units).

    Examples
    --------
    >>> effects = dict.fromkeys(EFFECT_NAMES, 0.0) | {"apology": 0.8, "apology:log_fans_c": -0.2}
    >>> true_contrast(effects, "apology", "none", "competence", [2, 4, 6]).round(2).tolist()
    [1.2, 0.8, 0.4]
    """
    grid = np.asarray(log10_fans, dtype=float)
    fans = 10.0 ** grid
    beta = np.array([effects[name] for name in EFFECT_NAMES], dtype=float)
    rows = {}
    for response in (first, second):
        rows[response] = design_matrix([response] * grid.size, [violation] * grid.size,
                                       fans).to_numpy() @ beta
    return rows[first] - rows[second]


def floodlight_table(contrasts, prob: float = 0.95, rope: float = DEFAULT_ROPE) -> pd.DataFrame:
    """Return the floodlight regions of every contrast (and level of the curves' ``by``).

    Parameters
    ----------
    contrasts : xarray.DataArray
        Output of :func:`moderation_contrasts`: dims ``(sample, contrast, [by], grid)``.
    prob : float
        Interval probability.
    rope : float
        ROPE half-width.

    Returns
    -------
    pandas.DataFrame
        Columns ``contrast``, the ``by`` dimension's (``violation`` for the simulated survey's
        model) and those of :func:`floodlight`, whose ``start`` and ``end`` are on the grid's
        scale; the raw values are ``start_fans`` and ``end_fans`` for the simulated survey's
        model, ``start_<moderator>`` and ``end_<moderator>`` for a declared design's log10
        moderator.
    """
    grid_dim = contrasts.dims[-1]
    by_dims = [dim for dim in contrasts.dims if dim not in ("sample", "contrast", grid_dim)]
    grid = contrasts[grid_dim].to_numpy()
    moderator = contrasts.attrs.get("moderator")
    raw = ("fans" if moderator is None
           else moderator if contrasts.attrs.get("transform") == "log10" else None)
    tables = []
    for contrast in contrasts["contrast"].to_numpy():
        for where in itertools.product(*(contrasts[dim].to_numpy() for dim in by_dims)):
            selection = {"contrast": contrast, **dict(zip(by_dims, where, strict=True))}
            draws = contrasts.sel(selection).to_numpy()
            table = floodlight(draws, grid, prob, rope, raw=raw)
            for dim, value in reversed(list(zip(by_dims, where, strict=True))):
                table.insert(0, dim, str(value))
            table.insert(0, "contrast", str(contrast))
            tables.append(table)
    return pd.concat(tables, ignore_index=True)


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


def floodlight(draws, log10_fans, prob: float = 0.95, rope: float = DEFAULT_ROPE, *,
               raw: str | None = "fans") -> pd.DataFrame:
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
    raw : str or None
        Suffix of the columns that give the region's bounds as ``10 ** start`` and
        ``10 ** end`` (a grid on the log10 scale); None for a grid on the raw scale.

    Returns
    -------
    pandas.DataFrame
        One row per region: ``kind`` (one of :data:`FLOODLIGHT_KINDS`), ``start`` and ``end``
        (log10 followers, or the grid's scale), ``start_fans`` and ``end_fans`` (followers;
        named after ``raw``). Empty when no region.

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
    if raw is not None:
        table[f"start_{raw}"] = 10.0 ** table["start"]
        table[f"end_{raw}"] = 10.0 ** table["end"]
    return table.sort_values(["start", "kind"], ignore_index=True)
