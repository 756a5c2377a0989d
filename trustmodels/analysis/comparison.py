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
* :func:`metric_response_contrasts` gives any metric fit's contrasts on the estimand of
  :func:`trustmodels.analysis.effects.response_contrasts` (expected rating or probability of
  agreeing, respondents at average disposition, averaged over items), so that the ordinal and
  the metric models are compared on the same quantity.
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
    _stack,
    first_agreeing_category,
    summarize_draws,
)
from trustmodels.datasets.simulated_design import VIOLATION_LEVELS, design_matrix
from trustmodels.models.likelihood import category_probabilities
from trustmodels.models.specification import MetricSpec, model_spec

__all__ = ["add_log_prior", "category_counts_by_item", "metric_contrasts",
           "metric_response_contrasts"]


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
    >>> import numpy as np
    >>> import xarray as xr
    >>> from trustmodels.datasets.simulated_design import EFFECT_NAMES
    >>> beta = np.zeros((1, 400, len(EFFECT_NAMES)))
    >>> beta[..., EFFECT_NAMES.index("apology")] = np.random.default_rng(0).normal(0.5, 0.1, 400)
    >>> tree = xr.DataTree.from_dict({"posterior": xr.Dataset(
    ...     {"beta": (("chain", "draw", "effect"), beta)}, coords={"effect": list(EFFECT_NAMES)})})
    >>> from trustmodels.models.specification import MetricSpec
    >>> tree.attrs["trustmodels_spec"] = MetricSpec(effects=EFFECT_NAMES).to_json()
    >>> table = metric_contrasts(tree)
    >>> row = table[(table.violation == "competence") & (table.contrast == "apology - none")]
    >>> round(float(row["mean"].iloc[0]), 1), row["decision"].iloc[0]
    (0.5, 'different from zero')
    """
    spec = model_spec(idata, MetricSpec, "metric_contrasts needs a metric model fit")
    effects = spec.effects
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


def metric_response_contrasts(idata, *, scale: str = "expected", fan_counts=(10_000,),
                              contrasts=CONTRASTS, hdi_prob: float = DEFAULT_HDI_PROB,
                              rope: tuple[float, float] | None = None,
                              max_draws: int | None = 2000) -> pd.DataFrame:
    r"""Return a metric fit's response contrasts on the answer scale (the ordinal estimand).

    The quantity is the one :func:`trustmodels.analysis.effects.response_contrasts` reports
    for the ordinal model: the difference in expected rating (or in the probability of
    agreeing) of a respondent at average disposition to trust, with the respondent term
    integrated out, averaged over the items. Comparing a model with the truth or with another
    model on this quantity compares like with like.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit of :func:`trustmodels.models.metric.build_metric_model`.
    scale : {"expected", "agree"}
        Expected rating, or probability of an answer above the midpoint (``"agree"``: only
        for the discretized model, whose answers are categories).
    fan_counts, contrasts, hdi_prob
        As in :func:`metric_contrasts`.
    rope : tuple of float, optional
        ROPE (default ±0.1 rating points, or ±0.05 probability).
    max_draws : int, optional
        Use at most this many posterior draws (evenly thinned).

    Returns
    -------
    pandas.DataFrame
        As :func:`metric_contrasts`, with ``scale`` equal to ``scale`` and the extra columns
        ``first_mean`` and ``second_mean`` (posterior means of each response's level).

    Raises
    ------
    ValueError
        When the fit is not a metric model fit, for an unknown scale, or for ``"agree"`` with
        a normal density (its answers are not categories).

    See Also
    --------
    metric_contrasts : the shift of the latent normal mean (differs from the expected rating
        of the discretized model near the ends of the scale).
    trustmodels.analysis.effects.response_contrasts : the same quantity for the ordinal model.

    Notes
    -----
    With a normal density the expected rating is the mean :math:`\mu`, so the contrast is
    :math:`(x_a - x_b)\beta`. The discretized model's answer is the latent value
    :math:`y^* = \alpha_j + x\beta + \sigma_u z + \sigma_j \varepsilon` cut at
    :math:`1.5, 2.5, \dots, K - 0.5`; with :math:`z` integrated out,
    :math:`y^* \sim \mathrm{Normal}(\alpha_j + x\beta, \sqrt{\sigma_j^2 + \sigma_u^2})`, so

    .. math::

        P(y_j = k \mid x) = \Phi\Big(\frac{k + \tfrac12 - \alpha_j - x\beta}{s_j}\Big)
            - \Phi\Big(\frac{k - \tfrac12 - \alpha_j - x\beta}{s_j}\Big),
        \qquad s_j = \sqrt{\sigma_j^2 + \sigma_u^2},

    with open end categories, and :math:`E[y_j \mid x] = \sum_k k\, P(y_j = k \mid x)`. Answers
    pile up at the ends, so this difference is smaller than the latent shift
    :math:`(x_a - x_b)\beta` where the latent means are near 1 or :math:`K`.

    References
    ----------
    - Liddell, T. M., & Kruschke, J. K. (2018). Analyzing ordinal data with metric models:
      What could possibly go wrong? *Journal of Experimental Social Psychology*, 79, 328-348.

    Examples
    --------
    >>> import numpy as np
    >>> import xarray as xr
    >>> from trustmodels.datasets.simulated_design import EFFECT_NAMES
    >>> beta = np.zeros((1, 200, len(EFFECT_NAMES)))
    >>> beta[..., EFFECT_NAMES.index("apology")] = 3.0  # a large shift near the top
    >>> tree = xr.DataTree.from_dict({"posterior": xr.Dataset({
    ...     "beta": (("chain", "draw", "effect"), beta),
    ...     "alpha": (("chain", "draw", "item"), np.full((1, 200, 2), 5.0)),
    ...     "sigma": (("chain", "draw", "item"), np.ones((1, 200, 2))),
    ...     "sigma_u": (("chain", "draw"), np.full((1, 200), 0.5))},
    ...     coords={"effect": list(EFFECT_NAMES)})})
    >>> from trustmodels.models.specification import MetricSpec
    >>> tree.attrs["trustmodels_spec"] = MetricSpec(
    ...     likelihood="discretized", level="item", effects=EFFECT_NAMES,
    ...     item_categories=(7, 7)).to_json()
    >>> table = metric_response_contrasts(tree)
    >>> row = table[(table.violation == "competence") & (table.contrast == "apology - none")]
    >>> round(float(row["mean"].iloc[0]), 2)  # far less than the latent shift of 3
    1.91
    """
    if scale not in ("agree", "expected"):
        raise ValueError(f"unknown scale {scale!r}; expected 'agree' or 'expected'")
    spec = model_spec(idata, MetricSpec, "metric_response_contrasts needs a metric model fit")
    discretized = spec.likelihood == "discretized"
    if scale == "agree" and not discretized:
        raise ValueError("a normal density has no probability of agreeing (its answers are not "
                         "categories); use scale='expected' or the discretized model")
    rope = (-DEFAULT_ROPES[scale], DEFAULT_ROPES[scale]) if rope is None else rope
    effects = spec.effects
    post = idata["posterior"]
    beta = np.asarray(post["beta"].transpose("chain", "draw", "effect").values)
    beta = beta.reshape(-1, beta.shape[-1])
    keep = np.arange(beta.shape[0])
    if max_draws is not None and beta.shape[0] > max_draws:
        keep = np.linspace(0, beta.shape[0] - 1, max_draws).round().astype(int)
    beta = beta[keep]
    if discretized:
        alpha = _stack(post["alpha"].transpose("chain", "draw", "item").values)[keep]
        sigma = _stack(post["sigma"].transpose("chain", "draw", "item").values)[keep]
        sigma_u = (_stack(post["sigma_u"].transpose("chain", "draw").values)[keep]
                   if "sigma_u" in post else np.zeros(beta.shape[0]))
        scale_total = np.sqrt(sigma ** 2 + sigma_u[:, None] ** 2)  # (sample, item)
        n_categories = max(int(k) for k in spec.item_categories)
        boundaries = np.arange(1, n_categories) + 0.5
        categories = np.arange(1, n_categories + 1)

    def level(response, violation, fans):
        row = design_matrix([response], [violation], [fans], effects=effects).to_numpy(float)[0]
        shift = beta @ row  # (sample,)
        if not discretized:
            return shift  # the item intercepts cancel in every contrast
        mu = alpha + shift[:, None]
        probs = category_probabilities(mu / scale_total,
                                       boundaries / scale_total[..., None], "probit")
        per_item = (probs @ categories if scale == "expected"
                    else probs[..., first_agreeing_category(n_categories) - 1:].sum(axis=-1))
        return per_item.mean(axis=1)

    rows = []
    for violation in VIOLATION_LEVELS:
        for fans in fan_counts:
            for first, second in contrasts:
                a, b = level(first, violation, fans), level(second, violation, fans)
                rows.append({"scale": scale, "construct": "all", "violation": violation,
                             "fan_count": fans, "log10_fans": float(np.log10(fans)),
                             "contrast": f"{first} - {second}",
                             **summarize_draws(a - b, hdi_prob=hdi_prob, rope=rope),
                             "first_mean": float(a.mean()), "second_mean": float(b.mean())})
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
