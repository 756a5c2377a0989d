r"""The metric (normal) model that most trust-repair papers use, for comparison only.

Liddell & Kruschke (2018) show that treating Likert answers as metric can distort effects;
this module lets the book show how. Two data levels:

``level="respondent_mean"`` (as in most papers): the mean :math:`\bar y_{ic}` of respondent
:math:`i`'s answers to the items of construct :math:`c`,

.. math::

    \bar y_{ic} \sim \mathrm{Normal}(\alpha_c + X_i \beta + \beta_\text{disp} d_i
        + \sigma_u z_i,\ \sigma), \qquad z_i \sim \mathrm{Normal}(0, 1)

(the respondent term only with more than one construct).

``level="item"``: every answer :math:`y_{ij}` with item intercepts and SDs,

.. math::

    y^*_{ij} \sim \mathrm{Normal}(\mu_{ij} = \alpha_j + X_i \beta + \beta_\text{disp} d_i
        + \sigma_u z_i,\ \sigma_j),

either as a density on the answers (``likelihood="normal"``) or *discretized*
(``likelihood="discretized"``): :math:`P(y_{ij} = k) = \Phi((k + \tfrac12 - \mu_{ij})/\sigma_j)
- \Phi((k - \tfrac12 - \mu_{ij})/\sigma_j)` with open end categories. The discretized metric
model is a probability model of the same ordinal answers as the cumulative-link model (it is an
ordinal probit with equally spaced thresholds fixed at the category boundaries), so PSIS-LOO can
compare the two; the normal density cannot be compared with a probability mass by LOO.

Priors (:class:`~trustmodels.models.priors.MetricPriors`, rating points): intercepts
:math:`\mathrm{Normal}((K+1)/2, 2)`, effects :math:`\mathrm{Normal}(0, 1)`, disposition slope
:math:`\mathrm{Normal}(0, 1)`, :math:`\sigma_u \sim \mathrm{HalfNormal}(1)`, residual SDs
:math:`\mathrm{HalfNormal}(2)`.

**Sampling.** Wherever the model has respondent terms, they are sampled in the *projected* form
of the main model (:func:`trustmodels.models.ordinal.projected_respondent_terms`) by default:
:math:`z = C\gamma + P_\perp w` with :math:`C = [1, X, d]`, and the intercepts and effects are
sampled as in-sample values, :math:`\alpha^{s}_j \sim \mathrm{Normal}(m_j + \sigma_u
\gamma_0, 2)`, :math:`\beta^{s} \sim \mathrm{Normal}(\sigma_u \gamma_X, 1)`,
:math:`\beta^{s}_\text{disp} \sim \mathrm{Normal}(\sigma_u \gamma_d, 1)`, with
:math:`\alpha = \alpha^{s} - \sigma_u\gamma_0`, :math:`\beta = \beta^{s} - \sigma_u
\gamma_X`, :math:`\beta_\text{disp} = \beta^{s}_\text{disp} - \sigma_u\gamma_d` recorded
as deterministics. The joint prior is the one above; the likelihood sees
:math:`\mu_{ij} = \alpha^{s}_j + X_i\beta^{s} + \beta^{s}_\text{disp} d_i + \sigma_u
(P_\perp w)_i`, which removes the correlation between each effect and the mean respondent
term of its design cells (``parameterization="noncentered"`` samples :math:`z` directly).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from trustmodels.datasets.simulated_design import EFFECT_NAMES
from trustmodels.design import StudyDesign
from trustmodels.models.data import (
    DEFAULT_OUTCOMES,
    DISPOSITION_CONSTRUCT,
    ordinal_data_of_design,
    prepare_ordinal_data,
)
from trustmodels.models.ordinal import design_columns, ordinal_answers, projected_respondent_terms
from trustmodels.models.priors import MetricPriors
from trustmodels.models.specification import MetricSpec

__all__ = ["LEVELS", "METRIC_LIKELIHOODS", "METRIC_PARAMETERIZATIONS", "build_metric_model"]

#: Data levels of the metric model.
LEVELS = ("respondent_mean", "item")
#: Likelihoods of the item-level metric model.
METRIC_LIKELIHOODS = ("normal", "discretized")
#: Ways to sample the respondent terms (the same model; see the module docstring).
METRIC_PARAMETERIZATIONS = ("projected", "noncentered")


def build_metric_model(
    long: pd.DataFrame,
    priors: MetricPriors | None = None,
    *,
    level: str = "respondent_mean",
    likelihood: str = "normal",
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
    disposition: str | None = DISPOSITION_CONSTRUCT,
    effects: tuple[str, ...] = EFFECT_NAMES,
    parameterization: str = "projected",
    design: StudyDesign | None = None,
) -> pm.Model:
    r"""Build the metric comparison model (equations in the module docstring).

    Parameters
    ----------
    long : pandas.DataFrame
        The tidy long table.
    priors : MetricPriors, optional
        Prior settings in rating points (default ``MetricPriors()``).
    level : {"respondent_mean", "item"}
        Model construct means per respondent, or every answer.
    likelihood : {"normal", "discretized"}
        For ``level="item"``: normal density or discretized normal (LOO-comparable with the
        ordinal model). ``level="respondent_mean"`` needs ``"normal"``.
    outcomes, disposition, effects
        As in :func:`trustmodels.models.ordinal.build_ordinal_model`.
    parameterization : {"projected", "noncentered"}
        How the respondent terms are sampled (module docstring); no effect on a model without
        respondent terms (one construct at ``level="respondent_mean"``).
    design : StudyDesign, optional
        A declared design (one vignette per respondent) whose effects, outcomes and covariate
        replace ``effects``, ``outcomes`` and ``disposition``: the metric counterpart of
        :func:`~trustmodels.models.declared.build_design_model` for the same design, so that
        the two can be compared (``level="item"``, ``likelihood="discretized"``).

    Returns
    -------
    pymc.Model
        Variables ``alpha``, ``beta``, ``beta_disp`` (if disposition), ``sigma``, observed
        ``y``; with respondent terms (several constructs or item level) also ``sigma_u`` and
        either ``z`` (non-centered) or ``u_design``, ``u_residual`` and the in-sample
        ``alpha_in_sample``, ``beta_in_sample``, ``beta_disp_in_sample`` (projected; ``alpha``,
        ``beta``, ``beta_disp`` are then deterministic, listed in
        ``model.trustmodels_spec.derived``).

    Raises
    ------
    ValueError
        Bad input, unknown level or likelihood, a discretized respondent-mean model, or a
        design with several vignettes per respondent.

    See Also
    --------
    build_ordinal_model : The cumulative-link model of the same answers.
    compare_models : PSIS-LOO comparison of fits of the same answers.

    Notes
    -----
    The normal linear model on rating points with which most trust-repair papers analyse Likert
    answers, kept to show what that choice does (Liddell & Kruschke, 2018). With
    ``level="respondent_mean"`` the outcome is respondent :math:`i`'s mean over the items of
    construct :math:`c`, :math:`\bar y_{ic} \sim \mathrm{Normal}(\alpha_c + X_i \beta +
    \beta_\text{disp} d_i + \sigma_u z_i,\ \sigma)`, the respondent term only with more than one
    construct. With ``level="item"`` it is every answer, with item intercepts and SDs:

    .. math::

        \mu_{ij} &= \alpha_j + X_i \beta + \beta_\text{disp} d_i + \sigma_u z_i,
        \qquad z_i \sim \mathrm{Normal}(0, 1) \\
        y_{ij} &\sim \mathrm{Normal}(\mu_{ij}, \sigma_j)
        \qquad \text{(normal)} \\
        P(y_{ij} = k) &= \Phi\Bigl(\frac{k + \tfrac12 - \mu_{ij}}{\sigma_j}\Bigr)
        - \Phi\Bigl(\frac{k - \tfrac12 - \mu_{ij}}{\sigma_j}\Bigr)
        \qquad \text{(discretized)}

    with open end categories. The discretized model is an ordinal probit with thresholds fixed
    at the category boundaries :math:`k + \tfrac12`; it gives probabilities to the same answers
    as :func:`build_ordinal_model`, so the two can be compared by PSIS-LOO, whereas a normal
    density cannot be compared with a probability mass.

    Priors (:class:`~trustmodels.models.priors.MetricPriors`, rating points): intercepts
    :math:`\alpha \sim \mathrm{Normal}((K + 1)/2, \sigma_\alpha)`, centred on the scale
    midpoint (``intercept_sd``), :math:`\beta_e \sim \mathrm{Normal}(0, \sigma_\beta)`
    (``effect_sd``), :math:`\beta_\text{disp} \sim \mathrm{Normal}(0, \sigma_\text{disp})`
    (``disposition_sd``), :math:`\sigma_u \sim \mathrm{HalfNormal}(s_u)`
    (``respondent_sd_scale``) and residual SDs :math:`\sigma \sim \mathrm{HalfNormal}(s)`
    (``residual_sd_scale``). The module docstring gives the equations in full and the projected
    parameterization of the respondent terms.

    References
    ----------
    - Liddell, T. M., & Kruschke, J. K. (2018). Analyzing ordinal data with metric models:
      What could possibly go wrong? *Journal of Experimental Social Psychology*, 79, 328-348.

    Examples
    --------
    >>> build_metric_model(None, level="scale")
    Traceback (most recent call last):
    ...
    ValueError: unknown level 'scale'; expected one of ('respondent_mean', 'item')
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}")
    if likelihood not in METRIC_LIKELIHOODS:
        raise ValueError(f"unknown likelihood {likelihood!r}; expected {METRIC_LIKELIHOODS}")
    if level == "respondent_mean" and likelihood != "normal":
        raise ValueError("a discretized likelihood needs level='item' (means are not integers)")
    if parameterization not in METRIC_PARAMETERIZATIONS:
        raise ValueError(f"unknown parameterization {parameterization!r}; expected one of "
                         f"{METRIC_PARAMETERIZATIONS}")
    priors = MetricPriors() if priors is None else priors
    if design is not None:
        data = ordinal_data_of_design(long, design)
    else:
        data = prepare_ordinal_data(long, outcomes=outcomes, disposition=disposition,
                                    effects=effects)
    midpoint = (data.item_categories.astype(float) + 1.0) / 2.0
    coords = {"respondent": list(data.respondents), "construct": list(data.constructs),
              "effect": list(data.effects), "item": list(data.items)}
    if level == "respondent_mean":
        frame = pd.DataFrame({"r": data.respondent_index, "c": data.construct_index,
                              "y": data.response.astype(float)})
        means = frame.groupby(["r", "c"], sort=True)["y"].mean().reset_index()
        row_r, row_c, observed = (means["r"].to_numpy(), means["c"].to_numpy(),
                                  means["y"].to_numpy())
        center = np.array([midpoint[data.item_construct == c].mean()
                           for c in range(len(data.constructs))])
        group_dim, group_index = "construct", row_c
    else:
        row_r, observed = data.respondent_index, data.response
        center, group_dim, group_index = midpoint, "item", data.item_index
    coords["obs"] = np.arange(len(observed))
    respondent_terms = level == "item" or len(data.constructs) > 1
    projected = respondent_terms and parameterization == "projected"
    with pm.Model(coords=coords) as model:
        x = pm.Data("X", data.design.to_numpy(float), dims=("respondent", "effect"))
        d = (None if data.disposition is None
             else pm.Data("disposition", data.disposition, dims="respondent"))
        if projected:
            sigma_u = pm.HalfNormal("sigma_u", priors.respondent_sd_scale)
            alpha, beta, beta_disp, variation = _projected_terms(data, priors, center, group_dim,
                                                                 sigma_u)
        else:
            alpha = pm.Normal("alpha", center, priors.intercept_sd, dims=group_dim)
            beta = pm.Normal("beta", 0.0, priors.effect_sd, dims="effect")
            beta_disp = (None if d is None
                         else pm.Normal("beta_disp", 0.0, priors.disposition_sd))
            variation = None
            if respondent_terms:
                sigma_u = pm.HalfNormal("sigma_u", priors.respondent_sd_scale)
                variation = sigma_u * pm.Normal("z", 0.0, 1.0, dims="respondent")
        mu_respondent = pt.dot(x, beta)
        if d is not None:
            mu_respondent = mu_respondent + beta_disp * d
        if variation is not None:
            mu_respondent = mu_respondent + variation
        mu = alpha[group_index] + mu_respondent[row_r]
        sigma = pm.HalfNormal("sigma", priors.residual_sd_scale,
                              dims="item" if level == "item" else None)
        if likelihood == "normal":
            scale = sigma[group_index] if level == "item" else sigma
            pm.Normal("y", mu, scale, observed=observed, dims="obs")
        else:
            boundaries = np.arange(1, data.item_categories.max()) + 0.5  # k + 1/2, k = 1..K-1
            cutpoints = boundaries[None, :] / sigma[:, None]
            ordinal_answers("y", mu / sigma[group_index], cutpoints, data.item_index,
                            data.n_categories, data.response, "probit")
    model.trustmodels_spec = MetricSpec(
        level=level, likelihood=likelihood,
        items=tuple(data.items), constructs=tuple(data.constructs),
        item_construct=tuple(data.constructs[c] for c in data.item_construct),
        item_categories=tuple(int(k) for k in data.item_categories),
        effects=tuple(data.effects), disposition=data.disposition is not None,
        parameterization=parameterization if respondent_terms else "none",
        derived=(tuple(name for name in ("alpha", "beta", "beta_disp")
                       if name in model.named_vars) if projected else ()),
        priors=priors,
    )
    return model


def _projected_terms(data, priors: MetricPriors, center: np.ndarray, group_dim: str, sigma_u):
    r"""Add the projected form's variables; return what the linear predictor needs.

    Returns the in-sample intercepts :math:`\alpha^{s}`, effects :math:`\beta^{s}`,
    disposition slope :math:`\beta^{s}_\text{disp}` (None without disposition) and the
    respondent variation outside the design columns, :math:`\sigma_u P_\perp w`; their sum is
    the model's :math:`\mu` (module docstring). The reported ``alpha``, ``beta`` and
    ``beta_disp`` are added as deterministics.
    """
    n_effects = len(data.effects)
    terms = ["intercept", *data.effects] + (["disposition"] if data.disposition is not None
                                            else [])
    columns = design_columns(data)
    u, gamma = projected_respondent_terms(columns, terms)
    shift = sigma_u * gamma  # in-sample means of sigma_u * z along the design columns
    alpha_in_sample = pm.Normal("alpha_in_sample", center + shift[0], priors.intercept_sd,
                                dims=group_dim)
    pm.Deterministic("alpha", alpha_in_sample - shift[0], dims=group_dim)
    beta_in_sample = pm.Normal("beta_in_sample", shift[1:1 + n_effects], priors.effect_sd,
                               dims="effect")
    pm.Deterministic("beta", beta_in_sample - shift[1:1 + n_effects], dims="effect")
    disp_in_sample = None
    if data.disposition is not None:
        disp_in_sample = pm.Normal("beta_disp_in_sample", shift[-1], priors.disposition_sd)
        pm.Deterministic("beta_disp", disp_in_sample - shift[-1])
    # u - C gamma = P_perp w: the part of the respondent terms outside the design columns
    variation = sigma_u * (u - pt.dot(columns, gamma))
    return alpha_in_sample, beta_in_sample, disp_in_sample, variation
