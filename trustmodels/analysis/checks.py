"""Model checks: prior/posterior predictive checks per answer category, PSIS-LOO and comparison.

* :func:`predictive_draws` adds prior or posterior predictive answers to a fit.
* :func:`category_counts` tabulates observed against predicted counts per answer category
  (overall or per item) with central intervals, the check recommended for ordinal models
  (Liddell & Kruschke 2018; Bürkner & Vuorre 2019).
* :func:`loo_summary` reports PSIS-LOO with the Pareto-k diagnostic (Vehtari et al. 2017, 2024):
  ArviZ's sample-size-dependent threshold ``good_k`` (0.7 for large samples) marks unreliable
  pointwise estimates.
* :func:`compare_models` compares models *of the same answers* by PSIS-LOO. The metric model of
  respondent means (a density on averages) or of the answers (a normal density on integers)
  is not on the scale of the ordinal model's probability masses, so it cannot be compared by
  LOO; use the discretized metric model (``build_metric_model(level="item",
  likelihood="discretized")``), which assigns probabilities to the same answers, as Liddell &
  Kruschke (2018) compare metric and ordinal models. :func:`compare_models` refuses fits whose
  observed data differ.
* :func:`prior_sensitivity` runs power-scaling sensitivity (Kallioinen et al. 2024,
  :func:`arviz.psense_summary`); the fit needs ``log_prior`` and ``log_likelihood`` groups
  (``fit(..., log_prior=True)``).
"""

from __future__ import annotations

import itertools

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm

from trustmodels.models.specification import SPEC_ATTRIBUTE, model_spec

__all__ = [
    "category_counts",
    "compare_models",
    "condition_masks",
    "loo_summary",
    "observed_and_predicted",
    "predictive_draws",
    "prior_sensitivity",
]


def predictive_draws(model: pm.Model, idata=None, *, kind: str = "posterior", draws: int = 500,
                     random_seed: int = 20261122):
    r"""Return the fit extended with prior or posterior predictive answers.

    Parameters
    ----------
    model : pymc.Model
        The model that was fitted.
    idata : xarray.DataTree, optional
        The fit (required for ``kind="posterior"``); a prior-only tree is made otherwise.
    kind : {"posterior", "prior"}
        Which predictive distribution.
    draws : int
        Prior draws (``kind="prior"``).
    random_seed : int
        Seed.

    Returns
    -------
    xarray.DataTree
        With the predictive group (and, for the prior, ``prior`` and ``observed_data``).

    See Also
    --------
    category_counts : Observed against predicted answer counts per category.
    plot_category_counts : A figure of those counts.

    Notes
    -----
    With ``kind="prior"``, :func:`pymc.sample_prior_predictive` draws ``draws`` parameter vectors
    from the prior and, for each, a full set of answers from the likelihood: what the model
    expects before seeing the data. With ``kind="posterior"``,
    :func:`pymc.sample_posterior_predictive` draws, for every posterior draw :math:`\theta^{(s)}`
    of the fit, replicated answers :math:`\tilde y^{(s)} \sim p(y \mid \theta^{(s)})` for the
    same respondents, items and conditions, so that :math:`\tilde y` follows the posterior
    predictive distribution :math:`p(\tilde y \mid y) = \int p(\tilde y \mid \theta)\,
    p(\theta \mid y)\, d\theta`.
    """
    if kind not in ("posterior", "prior"):
        raise ValueError(f"unknown kind {kind!r}; expected 'posterior' or 'prior'")
    with model:
        if kind == "prior":
            prior = pm.sample_prior_predictive(draws=draws, random_seed=random_seed)
            if idata is None:
                return prior
            for name, child in prior.children.items():
                if name not in idata.children:
                    idata[name] = child
            return idata
        if idata is None:
            raise ValueError("posterior predictive checks need the fit (idata)")
        return pm.sample_posterior_predictive(idata, random_seed=random_seed,
                                              extend_inferencedata=True, progressbar=False)


def _dataset(node):
    return node.to_dataset() if hasattr(node, "to_dataset") else node


def observed_and_predicted(idata, *, group: str = "posterior_predictive",
                           var_name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """Return the observed answers and the predictive draws as plain arrays.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit with ``observed_data`` and the predictive ``group``.
    group, var_name : str
        Predictive group and observed variable.

    Returns
    -------
    observed : numpy.ndarray
        Shape (n,).
    predicted : numpy.ndarray
        Shape (chains x draws, n), chains pooled.

    Examples
    --------
    >>> import numpy as np
    >>> import xarray as xr
    >>> tree = xr.DataTree.from_dict({
    ...     "observed_data": xr.Dataset({"y": ("obs", [1, 2])}),
    ...     "posterior_predictive": xr.Dataset({"y": (("chain", "draw", "obs"),
    ...                                                np.ones((2, 3, 2)))})})
    >>> [a.shape for a in observed_and_predicted(tree)]
    [(2,), (6, 2)]
    """
    observed = np.asarray(_dataset(idata["observed_data"])[var_name].values)
    predicted = _dataset(idata[group])[var_name]
    predicted = np.asarray(predicted.transpose("chain", "draw", ...).values)
    return observed, predicted.reshape(-1, observed.size)


def condition_masks(by, n_answers: int) -> list[tuple[str, np.ndarray]]:
    """Return (label, mask) per condition, in order of first appearance.

    Raises ``ValueError`` in one line unless ``by`` has one label per observed answer.

    Examples
    --------
    >>> [(label, mask.tolist()) for label, mask in condition_masks(["b", "a", "b"], 3)]
    [('b', [True, False, True]), ('a', [False, True, False])]
    """
    labels = np.asarray([str(label) for label in by])
    if labels.size != n_answers:
        raise ValueError(f"by has {labels.size} labels; expected one per observed answer "
                         f"({n_answers})")
    return [(str(label), labels == label) for label in dict.fromkeys(labels)]


def category_counts(idata, *, group: str = "posterior_predictive", var_name: str = "y",
                    by_item=False, by=None, prob: float = 0.9) -> pd.DataFrame:
    r"""Return observed and predicted answer counts per category with central intervals.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit with ``observed_data`` and the predictive ``group``.
    group : {"posterior_predictive", "prior_predictive"}
        Predictive group to use.
    var_name : str
        Observed variable.
    by_item : bool or array_like
        Tabulate per item: ``True`` reads each answer's item from the ``obs_item`` constant
        data of :func:`~trustmodels.models.ordinal.build_ordinal_model`; or give the item of
        each observed answer (a label per answer, in the order of the fit's answers), e.g.
        ``[data.items[j] for j in data.item_index]`` with ``data`` from
        :func:`trustmodels.design.prepare_design_data` for a declared design's model (which
        keeps no item index in the fit).
    by : sequence, optional
        A label per observed answer (e.g. the design cell of its rating occasion,
        :func:`trustmodels.design.condition_labels`): tabulate per label, in order of first
        appearance. Checks by condition can fail where the pooled counts pass, since the
        hypotheses are about differences between conditions.
    prob : float
        Mass of the central interval of the predicted counts.

    Returns
    -------
    pandas.DataFrame
        Columns ``item`` (``"all"`` unless by item), [``condition`` with ``by``],
        ``category``, ``observed``, ``predicted_mean``, ``predicted_low``, ``predicted_high``,
        ``inside`` (observed count within the interval), ``group``.

    Raises
    ------
    ValueError
        When ``by`` does not have one label, or ``by_item`` one item, per observed answer.

    See Also
    --------
    predictive_draws : Add the prior or posterior predictive answers this table needs.
    plot_category_counts : A figure of this table.

    Notes
    -----
    For a set :math:`A` of answers (all of them, one item's, one condition's or both) and a
    category :math:`k`, the observed count and the count in predictive draw :math:`s` are

    .. math::

        n_k = \#\{o \in A : y_o = k\}, \qquad
        \tilde n_k^{(s)} = \#\{o \in A : \tilde y_o^{(s)} = k\},

    ``predicted_mean`` is the mean of :math:`\tilde n_k^{(s)}` over all draws (chains pooled),
    ``predicted_low`` and ``predicted_high`` are its :math:`(1 - p)/2` and :math:`(1 + p)/2`
    quantiles for :math:`p` = ``prob``, and ``inside`` says whether :math:`n_k` lies in that
    interval. Categories run from 1 to the largest observed or predicted answer. Comparing
    counts per answer category is the predictive check recommended for ordinal models (Liddell
    & Kruschke, 2018; Bürkner & Vuorre, 2019).

    References
    ----------
    - Liddell, T. M., & Kruschke, J. K. (2018). Analyzing ordinal data with metric models:
      What could possibly go wrong? *Journal of Experimental Social Psychology*, 79, 328-348.
    - Bürkner, P.-C., & Vuorre, M. (2019). Ordinal regression models in psychology: A
      tutorial. *Advances in Methods and Practices in Psychological Science*, 2(1), 77-101.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> observed = xr.Dataset({"y": ("obs", np.array([1, 2, 2, 1]))})
    >>> predicted = xr.Dataset({"y": (("chain", "draw", "obs"), np.array([[[1, 2, 2, 2]]]))})
    >>> tree = xr.DataTree.from_dict({"observed_data": observed,
    ...                               "posterior_predictive": predicted})
    >>> table = category_counts(tree, by=["a", "a", "b", "b"])
    >>> table[["condition", "category", "observed", "predicted_mean"]].to_dict("list")
    {'condition': ['a', 'a', 'b', 'b'], 'category': [1, 2, 1, 2], 'observed': [1, 1, 1, 1], 'predicted_mean': [1.0, 1.0, 0.0, 2.0]}
    >>> category_counts(tree, by_item=[0, 1, 0, 1])[["item", "category", "observed"]].to_dict("list")
    {'item': ['0', '0', '1', '1'], 'category': [1, 2, 1, 2], 'observed': [1, 1, 1, 1]}
    """  # noqa: E501
    observed, predicted = observed_and_predicted(idata, group=group, var_name=var_name)
    observed, predicted = observed.astype(int), predicted.astype(int)
    categories = np.arange(1, max(observed.max(), predicted.max()) + 1)
    if isinstance(by_item, bool | np.bool_) and by_item:
        item_index = np.asarray(_dataset(idata["constant_data"])["obs_item"].values)
        named = (model_spec(idata).items if SPEC_ATTRIBUTE in idata.attrs else ())
        names = list(named) or [str(j) for j in range(item_index.max() + 1)]
        groups = [(str(names[j]), item_index == j) for j in range(len(names))]
    elif not isinstance(by_item, bool | np.bool_):
        item_of = np.asarray(by_item).astype(str)
        if item_of.shape != observed.shape:
            raise ValueError(f"by_item names the item of {item_of.size} answers, but the fit "
                             f"observed {observed.size}; expected one item per answer")
        groups = [(name, item_of == name) for name in dict.fromkeys(item_of)]
    else:
        groups = [("all", np.ones(observed.size, bool))]
    conditions = [(None, np.ones(observed.size, bool))]
    if by is not None:
        conditions = condition_masks(by, observed.size)
    tail = (1 - prob) / 2
    rows = []
    for (label, item_mask), (condition, condition_mask) in itertools.product(groups,
                                                                             conditions):
        mask = item_mask & condition_mask
        obs_counts = (observed[mask][:, None] == categories).sum(axis=0)
        pred_counts = (predicted[:, mask][..., None] == categories).sum(axis=1)
        low, high = np.quantile(pred_counts, [tail, 1 - tail], axis=0)
        for k, category in enumerate(categories):
            rows.append({"item": label, **({} if condition is None else
                                           {"condition": condition}),
                         "category": int(category),
                         "observed": int(obs_counts[k]),
                         "predicted_mean": float(pred_counts[:, k].mean()),
                         "predicted_low": float(low[k]), "predicted_high": float(high[k]),
                         "inside": bool(low[k] <= obs_counts[k] <= high[k]), "group": group})
    return pd.DataFrame(rows)


def loo_summary(idata, *, var_name: str | None = None) -> dict:
    r"""Return PSIS-LOO estimates and the Pareto-k diagnostic counts.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit with a ``log_likelihood`` group.
    var_name : str, optional
        Log-likelihood variable (needed when there are several).

    Returns
    -------
    dict
        ``elpd_loo``, ``se``, ``p_loo``, ``n_data``, ``good_k`` (ArviZ's threshold), ``n_high_k``
        (answers with k above it), ``max_k``, ``share_high_k``.

    See Also
    --------
    compare_models : Compare fits of the same answers by PSIS-LOO.
    arviz.loo : The computation.

    Notes
    -----
    With :math:`S` posterior draws :math:`\theta^{(s)}` and :math:`n` observed answers, the
    expected log pointwise predictive density for new data is estimated by Pareto-smoothed
    importance sampling leave-one-out cross-validation (PSIS-LOO),

    .. math::

        \widehat{\mathrm{elpd}}_\text{loo} = \sum_{i=1}^{n} \log
            \frac{\sum_s w_i^{(s)}\, p(y_i \mid \theta^{(s)})}{\sum_s w_i^{(s)}},

    where :math:`w_i^{(s)}` are the importance ratios :math:`1 / p(y_i \mid \theta^{(s)})` with
    their largest values replaced by quantiles of a fitted generalized Pareto distribution. The
    standard error is :math:`\sqrt{n \operatorname{Var}_i(\widehat{\mathrm{elpd}}_i)}`, and
    :math:`p_\text{loo} = \mathrm{lppd} - \widehat{\mathrm{elpd}}_\text{loo}` with
    :math:`\mathrm{lppd} = \sum_i \log \frac{1}{S} \sum_s p(y_i \mid \theta^{(s)})` is the
    effective number of parameters (Vehtari et al., 2017). The estimated Pareto shape
    :math:`\hat k_i` of the fitted tail diagnoses answer :math:`i`'s estimate: above ArviZ's
    sample-size-dependent threshold ``good_k``, :math:`\min(1 - 1 / \log_{10} S,\ 0.7)`, the
    estimate is unreliable.

    References
    ----------
    - Vehtari, A., Gelman, A., & Gabry, J. (2017). Practical Bayesian model evaluation using
      leave-one-out cross-validation and WAIC. *Statistics and Computing*, 27(5), 1413-1432.
    """
    result = az.loo(idata, var_name=var_name, pointwise=True)
    k = np.asarray(result.pareto_k).ravel()
    return {"elpd_loo": float(result.elpd), "se": float(result.se), "p_loo": float(result.p),
            "n_data": int(k.size), "good_k": float(result.good_k),
            "n_high_k": int(np.sum(k > result.good_k)), "max_k": float(np.nanmax(k)),
            "share_high_k": float(np.mean(k > result.good_k))}


def compare_models(fits: dict, *, var_name: str = "y") -> pd.DataFrame:
    r"""Compare fits of the same answers by PSIS-LOO (:func:`arviz.compare`).

    Parameters
    ----------
    fits : dict of str to xarray.DataTree
        Named fits with ``log_likelihood`` and ``observed_data`` groups.
    var_name : str
        Observed variable; it must hold the same values in every fit.

    Returns
    -------
    pandas.DataFrame
        ArviZ's comparison table (rank, elpd, elpd_diff, dse, weight, ...), unrounded (the
        book glues and formats these numbers itself).

    Raises
    ------
    ValueError
        Fewer than two fits, or fits of different data (e.g. the ordinal model against a normal
        model of respondent means; see the module docstring).

    See Also
    --------
    loo_summary : PSIS-LOO of one fit, with the Pareto-k diagnostic.
    build_metric_model : Its ``likelihood="discretized"`` form can be compared with the ordinal
        model.
    arviz.compare : The computation.

    Notes
    -----
    Each fit's :math:`\widehat{\mathrm{elpd}}_\text{loo}` is estimated by PSIS-LOO (see
    :func:`loo_summary`) and the fits are ranked by it. For a fit :math:`B` against the
    top-ranked fit :math:`A`, ``elpd_diff`` is the difference of their estimates and ``dse``
    its standard error from the pointwise differences,

    .. math::

        \mathrm{dse} = \sqrt{n \operatorname{Var}_i\bigl(\widehat{\mathrm{elpd}}_{A,i}
            - \widehat{\mathrm{elpd}}_{B,i}\bigr)},

    which is why the fits must model the same :math:`n` answers: a normal density on rating
    means or on integer answers is not on the scale of the ordinal model's probability masses.
    ``weight`` holds ArviZ's default stacking weights, and ArviZ flags in ``diag_diff`` a
    difference below 4 or one computed from fewer than 100 answers, whose normal approximation
    is poorly calibrated. PSIS-LOO and its use for model comparison follow Vehtari et al.
    (2017); Liddell & Kruschke (2018) compare metric and ordinal models of Likert
    answers on the same probability scale.

    References
    ----------
    - Vehtari, A., Gelman, A., & Gabry, J. (2017). Practical Bayesian model evaluation using
      leave-one-out cross-validation and WAIC. *Statistics and Computing*, 27(5), 1413-1432.
    - Liddell, T. M., & Kruschke, J. K. (2018). Analyzing ordinal data with metric models:
      What could possibly go wrong? *Journal of Experimental Social Psychology*, 79, 328-348.
    """
    if len(fits) < 2:
        raise ValueError("compare_models needs at least two fits")
    reference_name, reference = next(iter(fits.items()))
    reference_y = np.asarray(_dataset(reference["observed_data"])[var_name].values)
    for name, idata in fits.items():
        values = np.asarray(_dataset(idata["observed_data"])[var_name].values)
        if values.shape != reference_y.shape or not np.array_equal(values, reference_y):
            raise ValueError(f"fit {name!r} models different data than {reference_name!r}; "
                             "PSIS-LOO compares models of the same answers only (use the "
                             "discretized metric model to compare with the ordinal model)")
    return az.compare(fits, var_name=var_name, round_to="none")


def prior_sensitivity(idata, var_names: list[str] | None = None, *,
                      prior_var_names: list[str] | None = None) -> pd.DataFrame:
    r"""Return power-scaling prior and likelihood sensitivity (:func:`arviz.psense_summary`).

    Parameters
    ----------
    idata : xarray.DataTree
        Fit with ``log_prior`` and ``log_likelihood`` groups (``fit(..., log_prior=True)``).
    var_names : list of str, optional
        Parameters to report (default ``["beta"]`` when present).
    prior_var_names : list of str, optional
        Free variables whose priors are power-scaled (default: all of them, the joint prior).
        For example the effect priors alone of the projected ordinal model are
        ``["beta_in_sample", "beta_disp_in_sample"]``: their log-density is exactly that of the
        stated priors of ``beta`` and ``beta_disp``.

    Returns
    -------
    pandas.DataFrame
        Columns ``prior``, ``likelihood``, ``diagnosis``; values above 0.05 flag sensitivity.

    Raises
    ------
    ValueError
        When a needed group is missing.

    See Also
    --------
    fit : Store the ``log_prior`` group with ``log_prior=True``.
    arviz.psense_summary : The computation.

    Notes
    -----
    Power-scaling perturbs either the prior or the likelihood by a power :math:`\alpha` close to
    1,

    .. math::

        p_\alpha^\text{prior}(\theta \mid y) \propto p(\theta)^\alpha\, p(y \mid \theta),
        \qquad
        p_\alpha^\text{lik}(\theta \mid y) \propto p(\theta)\, p(y \mid \theta)^\alpha,

    for :math:`\alpha \in \{0.99, 1.01\}`, and approximates each perturbed posterior without
    refitting by Pareto-smoothed importance weights :math:`w_s \propto p(\theta_s)^{\alpha - 1}`
    (or :math:`p(y \mid \theta_s)^{\alpha - 1}`). A parameter's sensitivity is the cumulative
    Jensen-Shannon distance :math:`D` between its weighted and unweighted draws per unit of
    :math:`\log_2 \alpha`, averaged over the two perturbations:

    .. math::

        \psi = \frac{1}{2} \left( \frac{D_{0.99}}{\lvert \log_2 0.99 \rvert}
            + \frac{D_{1.01}}{\log_2 1.01} \right).

    ArviZ reports "potential prior-data conflict" when both values are at least 0.05 and
    "potential strong prior / weak likelihood" when only the prior's value exceeds it
    (Kallioinen et al., 2024).

    References
    ----------
    - Kallioinen, N., Paananen, T., Bürkner, P.-C., & Vehtari, A. (2024). Detecting and
      diagnosing prior and likelihood sensitivity with power-scaling. *Statistics and
      Computing*, 34(1), 57.
    """
    missing = [g for g in ("log_prior", "log_likelihood") if g not in idata.children]
    if missing:
        raise ValueError(f"prior sensitivity needs the groups {missing}; fit with "
                         "log_prior=True and log_likelihood=True")
    if var_names is None and "beta" in idata["posterior"]:
        var_names = ["beta"]
    return az.psense_summary(idata, var_names=var_names, prior_var_names=prior_var_names)
