r"""The multilevel ordinal model of any declared design (:mod:`trustmodels.design`).

For rating occasion :math:`o` (a respondent :math:`i(o)` rating one vignette) with design row
:math:`X_o` (:func:`trustmodels.design.design_rows`), optional z-scored covariate
:math:`d_i`, and item :math:`j` with :math:`K_j` ordered categories:

.. math::

    u_i &\sim \mathrm{Normal}(0, 1) \\
    \theta_o &= X_o \beta + \beta_\text{cov}\, d_{i(o)} + u_{i(o)} \\
    P(y_{oj} \le k) &= F(\tau_{jk} - \lambda_j \theta_o), \qquad k = 1, \dots, K_j - 1

with the priors of :class:`~trustmodels.models.priors.OrdinalPriors` (:math:`\beta_e \sim
\mathrm{Normal}(0, \sigma_\beta)`, :math:`\lambda_j \sim \mathrm{LogNormal}(0, s)`, thresholds
with an induced-Dirichlet prior). It is the main model of :mod:`trustmodels.models.ordinal`
written for any factors, moderators and number of vignettes per respondent: with several
vignettes the respondent intercept :math:`u_i` is shared by a respondent's ratings, so the
factors that vary within respondents are estimated against each respondent's own level of
trust. The respondent terms are sampled in the non-centred form.

Respondent-level random slopes of within-respondent factors are not part of this step (see the
CHANGELOG): with them a within-subject analysis would be more honest about its uncertainty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from trustmodels.design import StudyDesign, prepare_design_data
from trustmodels.models.likelihood import LINKS
from trustmodels.models.ordinal import ordinal_answers, threshold_matrix
from trustmodels.models.priors import OrdinalPriors

__all__ = ["build_design_model"]


def build_design_model(long: pd.DataFrame, design: StudyDesign,
                       priors: OrdinalPriors | None = None, *, link: str = "logit") -> pm.Model:
    """Build the multilevel cumulative-link model of a declared design.

    Parameters
    ----------
    long : pandas.DataFrame
        One row per answer (see :func:`trustmodels.design.prepare_design_data`).
    design : StudyDesign
        The declared design.
    priors : OrdinalPriors, optional
        Prior settings (``effect_sd`` for the effects and ``disposition_sd`` for the covariate).
    link : {"logit", "probit"}
        Link function.

    Returns
    -------
    pymc.Model
        Coordinates ``respondent``, ``occasion``, ``item``, ``effect`` (the design's effect
        names), ``obs``; variables ``beta``, ``beta_cov`` (with a covariate), ``u``,
        ``lambda``, the thresholds and the observed ``y``. ``model.trustmodels_spec`` records
        the design.

    Raises
    ------
    ValueError
        When the data cannot support the design (one line, before any sampling).

    Examples
    --------
    >>> from trustmodels.design import simulate_design_survey
    >>> design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"],
    ...                      vignette="vignette")
    >>> long = simulate_design_survey(design, {"reaction[excuse]": 0.5}, n_respondents=20,
    ...                               items={"trust": ["t1", "t2"]}, vignettes=2)
    >>> model = build_design_model(long, design)
    >>> list(model.coords["effect"]), len(model.coords["occasion"])
    (['reaction[excuse]'], 40)
    """
    if link not in LINKS:
        raise ValueError(f"unknown link {link!r}; expected one of {LINKS}")
    priors = OrdinalPriors() if priors is None else priors
    data = prepare_design_data(long, design)
    occasion_labels = [
        "/".join(map(str, row)) for row in
        data.occasions[["respondent", *([design.vignette] if design.vignette else [])]]
        .itertuples(index=False)]
    coords = {"respondent": list(data.respondents), "occasion": occasion_labels,
              "item": list(data.items), "effect": list(data.design.columns),
              "obs": np.arange(data.response.size)}
    with pm.Model(coords=coords) as model:
        x = pm.Data("X", data.design.to_numpy(float), dims=("occasion", "effect"))
        beta = pm.Normal("beta", 0.0, priors.effect_sd, dims="effect")
        u = pm.Normal("u", 0.0, 1.0, dims="respondent")
        theta = pt.dot(x, beta) + u[data.occasion_respondent]
        if data.covariate is not None:
            d = pm.Data("covariate", data.covariate, dims="respondent")
            beta_cov = pm.Normal("beta_cov", 0.0, priors.disposition_sd)
            theta = theta + beta_cov * d[data.occasion_respondent]
        lam = pm.LogNormal("lambda", 0.0, priors.discrimination_log_sd, dims="item")
        cutpoints = threshold_matrix(data.items, data.item_categories, priors, link)
        eta = lam[data.item_index] * theta[data.occasion_index]
        ordinal_answers("y", eta, cutpoints, data.item_index, data.n_categories, data.response,
                        link)
    model.trustmodels_spec = {
        "model": "declared design",
        "link": link,
        "factors": {name: list(levels) for name, levels in design.factors.items()},
        "moderators": {name: [m.transform, m.centre] for name, m in design.moderators.items()},
        "covariate": design.covariate,
        "vignette": design.vignette,
        "outcomes": list(design.outcomes),
        "items": list(data.items),
        "item_categories": [int(k) for k in data.item_categories],
        "effects": list(data.design.columns),
        "derived": [],
        "priors": priors.__dict__.copy(),
    }
    return model
