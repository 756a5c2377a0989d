r"""Linear combinations of a fit's effects on the latent scale (as brms's ``hypothesis()``).

A claim about a slope or a contrast is often a sum of several effects of the design matrix: the
change of the apology's advantage per tenfold fan count after an integrity violation is
``apology:log_fans_c + apology:integrity:log_fans_c``. :func:`combine_effects` sums the
posterior draws with the given weights and summarizes each sum the same way as every contrast
of the package (:func:`~trustmodels.analysis.effects.summarize_draws`: HDI, probability of
direction, ROPE decision). The weights of a factor contrast of a declared design come from
:func:`trustmodels.simulation.replications.contrast_weights`.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd

from trustmodels.analysis.effects import DEFAULT_HDI_PROB, DEFAULT_ROPES, summarize_draws

__all__ = ["combine_effects"]


def _number(value, what: str) -> float:
    """Return ``value`` as a finite float; ValueError (one line) naming ``what`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return number


def combine_effects(idata, combinations: Mapping[str, Mapping[str, float]], *,
                    truth: Mapping[str, float] | None = None,
                    hdi_prob: float = DEFAULT_HDI_PROB,
                    rope: tuple[float, float] | None = None) -> pd.DataFrame:
    r"""Summarize weighted sums of a fit's effects, one row per named combination.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit whose posterior has ``beta`` over the dimension ``effect`` (every ordinal model
        of the package, and the metric comparison model).
    combinations : mapping of str to mapping of str to float
        Name of each combination to its weights: effect name to weight.
    truth : mapping of str to float, optional
        True value of each effect (a simulated survey's parameters); adds the columns
        ``truth`` (the same sum of the true effects) and ``covered`` (whether the HDI holds it).
    hdi_prob : float
        HDI mass.
    rope : tuple of float, optional
        Region of practical equivalence (default: ±0.1 latent SD).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``combination``, with the columns of
        :func:`~trustmodels.analysis.effects.summarize_draws` (and ``truth``, ``covered``).

    Raises
    ------
    ValueError
        For a fit without ``beta`` over ``effect``, a fit with one effect vector per construct,
        an unknown effect name or a combination without weights (one line).

    See Also
    --------
    trustmodels.simulation.replications.contrast_weights : The weights of a declared design's
        factor contrast.
    factor_contrasts : Every pairwise contrast of a factor, on the latent or the answer scale.

    Notes
    -----
    For weights :math:`w_e` and posterior draws :math:`\beta_e^{(s)}` of the effects, the
    combination's draws are :math:`c^{(s)} = \sum_e w_e \beta_e^{(s)}`, summarized by
    :func:`~trustmodels.analysis.effects.summarize_draws`. A multiple of a combination (e.g. a
    slope per tenfold fan count over four decades) is the combination with multiplied weights.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> draws = np.random.default_rng(1).normal([0.5, -0.2], 0.05, (1, 400, 2))
    >>> fit = xr.DataTree.from_dict({"posterior": xr.Dataset(
    ...     {"beta": (("chain", "draw", "effect"), draws)}, coords={"effect": ["a", "a:x"]})})
    >>> table = combine_effects(fit, {"a at x = 1": {"a": 1, "a:x": 1}},
    ...                         truth={"a": 0.5, "a:x": 0.0})
    >>> row = table.loc["a at x = 1"]
    >>> round(float(row["mean"]), 1), row["decision"], float(row["truth"]), bool(row["covered"])
    (0.3, 'different from zero', 0.5, False)
    """
    if "posterior" not in idata.children or "beta" not in idata["posterior"]:
        raise ValueError("combine_effects needs a fit whose posterior has 'beta' (the effects)")
    beta = idata["posterior"]["beta"]
    if set(beta.dims) != {"chain", "draw", "effect"}:
        extra = sorted(set(beta.dims) - {"chain", "draw", "effect"})
        raise ValueError(f"combine_effects needs one effect vector; this fit's beta also varies "
                         f"by {extra} (fit the model with shared effects)")
    effects = [str(name) for name in beta["effect"].to_numpy()]
    values = beta.transpose("chain", "draw", "effect").to_numpy().reshape(-1, len(effects))
    rope = (-DEFAULT_ROPES["latent"], DEFAULT_ROPES["latent"]) if rope is None else rope
    rows = {}
    for name, weights in combinations.items():
        if not weights:
            raise ValueError(f"combination {name!r} has no weights")
        unknown = sorted(set(weights) - set(effects))
        if unknown:
            raise ValueError(f"combination {name!r} names unknown effects {unknown}; the fit's "
                             f"effects are {effects}")
        vector = np.array([_number(weights.get(effect, 0.0), f"the weight of {effect!r} in "
                                                             f"combination {name!r}")
                           for effect in effects])
        row = summarize_draws(values @ vector, hdi_prob=hdi_prob, rope=rope)
        if truth is not None:
            missing = sorted(set(weights) - set(truth))
            if missing:
                raise ValueError(f"truth has no value for {missing} (combination {name!r})")
            row["truth"] = float(sum(
                weights[e] * _number(truth[e], f"truth[{e!r}]") for e in weights))
            row["covered"] = bool(row["hdi_low"] <= row["truth"] <= row["hdi_high"])
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "combination"
    return table
