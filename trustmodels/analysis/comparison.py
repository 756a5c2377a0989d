r"""Side-by-side helpers for the model-checks chapter: metric contrasts and the log-prior.

* :func:`metric_contrasts` summarizes the response contrasts of a fit of the metric model
  (:func:`trustmodels.models.metric.build_metric_model`) in rating points, with the same
  columns as :func:`trustmodels.analysis.effects.latent_contrasts`, so that the metric and the
  ordinal
  model can be put next to each other and next to the truth
  (:func:`trustmodels.simulation.recovery.true_response_contrasts` with ``scale="expected"``). For
  the
  normal metric model the contrast :math:`(x_a - x_b)\beta` *is* the difference in expected
  rating; for the discretized metric model it is the difference in the mean of the latent
  normal, which equals the difference in expected rating only away from the scale ends.
* :func:`category_counts_by_item` tabulates predicted against observed answers per item for a
  fit whose model stores no item index (the discretized metric model), taking the item index
  from a fit of the same answers (the ordinal model).
* :func:`add_log_prior` adds the pointwise log-prior of every free variable to an existing fit,
  so that power-scaling sensitivity (:func:`trustmodels.analysis.checks.prior_sensitivity`) can
  reuse a
  cached fit instead of sampling again (``fit(..., log_prior=True)`` has a different cache key).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from trustmodels.analysis.checks import category_counts
from trustmodels.analysis.effects import (
    CONTRASTS,
    DEFAULT_HDI_PROB,
    DEFAULT_ROPES,
    _spec,
    summarize_draws,
)
from trustmodels.datasets.simulated_design import VIOLATION_LEVELS, design_matrix

__all__ = ["add_log_prior", "category_counts_by_item", "metric_contrasts"]


def metric_contrasts(idata, *, fan_counts=(10_000,), contrasts=CONTRASTS,
                     hdi_prob: float = DEFAULT_HDI_PROB,
                     rope: tuple[float, float] | None = None) -> pd.DataFrame:
    """Return the response contrasts of a metric model fit, in rating points.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit of :func:`trustmodels.models.metric.build_metric_model` (with its
        ``trustmodels_spec``).
    fan_counts : sequence of float
        Fan counts at which to evaluate the contrasts.
    contrasts : sequence of (str, str)
        Pairs (first, second) of seller responses; the contrast is first minus second.
    hdi_prob : float
        HDI mass.
    rope : tuple of float, optional
        ROPE in rating points (default ±0.1, the ROPE of the expected rating).

    Returns
    -------
    pandas.DataFrame
        One row per violation x fan count x contrast with the columns of
        :func:`trustmodels.analysis.effects.summarize_draws` plus ``scale`` (``"rating"``),
        ``construct`` (``"all"``), ``violation``, ``fan_count``, ``log10_fans``, ``contrast``.

    Raises
    ------
    ValueError
        When the fit is not a metric model fit.

    Examples
    --------
    >>> import json
    >>> import numpy as np
    >>> import xarray as xr
    >>> from trustmodels.datasets.simulated_design import EFFECT_NAMES
    >>> beta = np.zeros((1, 400, len(EFFECT_NAMES)))
    >>> beta[..., EFFECT_NAMES.index("apology")] = np.random.default_rng(0).normal(0.5, 0.1, 400)
    >>> tree = xr.DataTree.from_dict({"posterior": xr.Dataset(
    ...     {"beta": (("chain", "draw", "effect"), beta)}, coords={"effect": list(EFFECT_NAMES)})})
    >>> tree.attrs["trustmodels_spec"] = json.dumps({"model": "metric",
    ...                                              "effects": list(EFFECT_NAMES)})
    >>> table = metric_contrasts(tree)
    >>> row = table[(table.violation == "competence") & (table.contrast == "apology - none")]
    >>> round(float(row["mean"].iloc[0]), 1), row["decision"].iloc[0]
    (0.5, 'different from zero')
    """
    spec = _spec(idata, "metric", "metric_contrasts needs a metric model fit")
    effects = tuple(spec["effects"])
    rope = (-DEFAULT_ROPES["expected"], DEFAULT_ROPES["expected"]) if rope is None else rope
    beta = np.asarray(idata["posterior"]["beta"].transpose("chain", "draw", "effect").values)
    beta = beta.reshape(-1, beta.shape[-1])
    rows = []
    for violation in VIOLATION_LEVELS:
        for fans in fan_counts:
            for first, second in contrasts:
                design = design_matrix([first, second], [violation, violation], [fans, fans],
                                       effects=effects).to_numpy(float)
                draws = beta @ (design[0] - design[1])
                rows.append({"scale": "rating", "construct": "all", "violation": violation,
                             "fan_count": fans, "log10_fans": float(np.log10(fans)),
                             "contrast": f"{first} - {second}",
                             **summarize_draws(draws, hdi_prob=hdi_prob, rope=rope)})
    return pd.DataFrame(rows)


def add_log_prior(model: pm.Model, idata):
    """Return the fit with a ``log_prior`` group (log-density of each free variable's prior).

    The posterior draws are not changed: this evaluates the prior of every free variable at
    every draw (:func:`pymc.stats.compute_log_prior`), which is what ``fit(...,
    log_prior=True)`` stores, without sampling again.

    Parameters
    ----------
    model : pymc.Model
        The model that was fitted (built from the same data and priors).
    idata : xarray.DataTree
        Its fit.

    Returns
    -------
    xarray.DataTree
        ``idata`` with the ``log_prior`` group (unchanged when it has one already).

    Raises
    ------
    ValueError
        When the fit's posterior lacks a free variable of the model (not the model's fit).
    """
    if "log_prior" in idata.children:
        return idata
    missing = [rv.name for rv in model.free_RVs if rv.name not in idata["posterior"]]
    if missing:
        raise ValueError(f"the fit has no posterior draws of {missing}; pass the model that "
                         "was fitted")
    return pm.stats.compute_log_prior(idata, model=model, extend_inferencedata=True,
                                      progressbar=False)


def category_counts_by_item(idata, reference, **kwargs) -> pd.DataFrame:
    """Return per-item category counts of ``idata`` using the item index of ``reference``.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit with ``observed_data`` and a predictive group, whose model stores no ``obs_item``
        (e.g. the discretized metric model).
    reference : xarray.DataTree
        Fit of the same answers, in the same order, that stores ``constant_data.obs_item`` and a
        ``trustmodels_spec`` with the item names (the ordinal model).
    **kwargs
        Passed to :func:`trustmodels.analysis.checks.category_counts` (``group``, ``var_name``,
        ``prob``).

    Returns
    -------
    pandas.DataFrame
        As :func:`trustmodels.analysis.checks.category_counts` with ``by_item=True``.

    Raises
    ------
    ValueError
        When the two fits observed different answers.
    """
    var_name = kwargs.get("var_name", "y")
    own = np.asarray(idata["observed_data"][var_name].values)
    other = np.asarray(reference["observed_data"][var_name].values)
    if own.shape != other.shape or not np.array_equal(own, other):
        raise ValueError("the two fits observed different answers; the item index of the "
                         "reference does not apply")
    tree = idata.copy()
    tree["constant_data"] = xr.DataTree(reference["constant_data"].to_dataset()[["obs_item"]])
    tree.attrs = {**idata.attrs, "trustmodels_spec": reference.attrs["trustmodels_spec"]}
    return category_counts(tree, by_item=True, **kwargs)
