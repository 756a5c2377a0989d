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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from trustmodels.design import EFFECT_NAMES
from trustmodels.models.data import DEFAULT_OUTCOMES, DISPOSITION_CONSTRUCT, prepare_ordinal_data
from trustmodels.models.ordinal import ordinal_answers
from trustmodels.models.priors import MetricPriors

__all__ = ["LEVELS", "METRIC_LIKELIHOODS", "build_metric_model"]

#: Data levels of the metric model.
LEVELS = ("respondent_mean", "item")
#: Likelihoods of the item-level metric model.
METRIC_LIKELIHOODS = ("normal", "discretized")


def build_metric_model(
    long: pd.DataFrame,
    priors: MetricPriors | None = None,
    *,
    level: str = "respondent_mean",
    likelihood: str = "normal",
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
    disposition: str | None = DISPOSITION_CONSTRUCT,
    effects: tuple[str, ...] = EFFECT_NAMES,
) -> pm.Model:
    """Build the metric comparison model (equations in the module docstring).

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

    Returns
    -------
    pymc.Model
        Free variables ``alpha``, ``beta``, ``beta_disp``, ``sigma_u`` and ``z`` (with several
        constructs or at item level), ``sigma``; observed ``y``.

    Raises
    ------
    ValueError
        Bad input, unknown level or likelihood, or a discretized respondent-mean model.

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
    priors = MetricPriors() if priors is None else priors
    data = prepare_ordinal_data(long, outcomes=outcomes, disposition=disposition, effects=effects)
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
    with pm.Model(coords=coords) as model:
        x = pm.Data("X", data.design.to_numpy(float), dims=("respondent", "effect"))
        alpha = pm.Normal("alpha", center, priors.intercept_sd, dims=group_dim)
        beta = pm.Normal("beta", 0.0, priors.effect_sd, dims="effect")
        mu_respondent = pt.dot(x, beta)
        if data.disposition is not None:
            d = pm.Data("disposition", data.disposition, dims="respondent")
            beta_disp = pm.Normal("beta_disp", 0.0, priors.disposition_sd)
            mu_respondent = mu_respondent + beta_disp * d
        if level == "item" or len(data.constructs) > 1:
            sigma_u = pm.HalfNormal("sigma_u", priors.respondent_sd_scale)
            z = pm.Normal("z", 0.0, 1.0, dims="respondent")
            mu_respondent = mu_respondent + sigma_u * z
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
    model.trustmodels_spec = {
        "model": "metric", "level": level, "likelihood": likelihood,
        "items": list(data.items), "constructs": list(data.constructs),
        "item_construct": [data.constructs[c] for c in data.item_construct],
        "item_categories": [int(k) for k in data.item_categories],
        "effects": list(data.effects), "disposition": data.disposition is not None,
        "priors": priors.__dict__.copy(),
    }
    return model
