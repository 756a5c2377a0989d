r"""The main model: a multilevel cumulative-link (graded response) model of the trust items.

For respondent :math:`i` with design row :math:`X_i` (the effects of
:data:`trustmodels.datasets.simulated_design.EFFECT_NAMES`), z-scored disposition to trust
:math:`d_i`, and item
:math:`j` with :math:`K_j` ordered categories:

.. math::

    u_i &\sim \mathrm{Normal}(0, 1) \\
    \theta_i &= X_i \beta + \beta_\text{disp}\, d_i + u_i \\
    \eta_{ij} &= \lambda_j\, \theta_i \\
    P(y_{ij} \le k) &= F(\tau_{jk} - \eta_{ij}), \qquad k = 1, \dots, K_j - 1

with :math:`F` the logistic CDF (``link="logit"``, default) or the standard normal CDF
(``link="probit"``). Respondent intercepts have unit scale, so the effects :math:`\beta` are in
latent-SD units and the positive discriminations :math:`\lambda_j` are identified. There is no
intercept: the thresholds :math:`\tau_j` (ordered; induced-Dirichlet prior by default, see
:mod:`trustmodels.models.cutpoints`) absorb it. With ``effects_by_construct=True`` the effects
differ by construct, :math:`\theta_{ic} = X_i \beta_c + \beta_\text{disp}\, d_i + u_i`, and item
:math:`j` of construct :math:`c` uses :math:`\theta_{ic}`.

Priors (:class:`~trustmodels.models.priors.OrdinalPriors`):
:math:`\beta_e \sim \mathrm{Normal}(0, 1)`, :math:`\beta_\text{disp} \sim \mathrm{Normal}(0, 1)`,
:math:`\lambda_j \sim \mathrm{LogNormal}(0, 0.5)`.

The likelihood is a :class:`pymc.CustomDist` whose log-density uses two CDF terms per answer
(:mod:`trustmodels.models.likelihood`), so the pointwise log-likelihood needed by PSIS-LOO is
available and prior/posterior predictive draws work.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from trustmodels.datasets.simulated_design import EFFECT_NAMES
from trustmodels.models.cutpoints import ordered_cutpoints
from trustmodels.models.data import (
    DEFAULT_OUTCOMES,
    DISPOSITION_CONSTRUCT,
    OrdinalData,
    prepare_ordinal_data,
)
from trustmodels.models.likelihood import LINKS, draw_ordinal, ordinal_logp
from trustmodels.models.priors import OrdinalPriors
from trustmodels.models.specification import OrdinalSpec

__all__ = [
    "PARAMETERIZATIONS",
    "build_ordinal_model",
    "design_columns",
    "ordinal_answers",
    "projected_respondent_terms",
    "threshold_matrix",
    "threshold_names",
]

#: Ways to sample the respondent terms; all give the same model (see
#: :func:`build_ordinal_model`).
PARAMETERIZATIONS = ("projected", "noncentered", "centered")


def threshold_names(item_categories) -> list[str]:
    """Return the names of the threshold variables :func:`threshold_matrix` adds for the items.

    Parameters
    ----------
    item_categories : array_like of int
        K of each item.

    Returns
    -------
    list of str

    Examples
    --------
    >>> threshold_names([7, 7, 7]), threshold_names([5, 7, 5])
    (['cutpoints'], ['cutpoints_k5', 'cutpoints_k7'])
    """
    kinds = sorted(set(int(k) for k in item_categories))
    return ["cutpoints"] if len(kinds) == 1 else [f"cutpoints_k{k}" for k in kinds]


def threshold_matrix(data_items: tuple[str, ...], item_categories: np.ndarray, priors, link: str,
                     shift=None):
    """Add the item thresholds to the current model and return them as a padded matrix.

    Items sharing a number of categories K share one variable: ``cutpoints`` with dims
    ``(item, cutpoint)`` when every item has the same K, otherwise one ``cutpoints_k{K}`` with
    dims ``(item_k{K}, cutpoint_k{K})`` per K. The returned ``(n_items, max K - 1)`` matrix has
    unused cells set to 0 (never read by the likelihood).

    Parameters
    ----------
    data_items : tuple of str
        Item labels (the ``item`` coordinate).
    item_categories : numpy.ndarray of int
        K of each item.
    priors : OrdinalPriors or FixedPriors
        Threshold prior settings.
    link : {"logit", "probit"}
        Latent distribution.
    shift : pytensor tensor, shape (n_items,), optional
        Sample each item's thresholds as offsets from its ``shift`` (free variables
        ``cutpoints_offset`` or ``cutpoints_k{K}_offset``; the thresholds become Deterministics
        of the same names as without it), see
        :func:`trustmodels.models.cutpoints.ordered_cutpoints`.

    Returns
    -------
    pytensor.tensor.TensorVariable
        The padded threshold matrix.
    """
    model = pm.modelcontext(None)
    kinds = sorted(set(int(k) for k in item_categories))
    settings = dict(prior=priors.cutpoint_prior, concentration=priors.cutpoint_concentration,
                    sd=priors.cutpoint_sd, link=link)
    if len(kinds) == 1:
        k = kinds[0]
        model.add_coord("cutpoint", list(range(1, k)))
        return ordered_cutpoints("cutpoints", k, ("item", "cutpoint"), n_rows=len(data_items),
                                 shift=shift, **settings)
    padded = pt.zeros((len(data_items), max(kinds) - 1))
    for k in kinds:
        rows = np.flatnonzero(item_categories == k)
        model.add_coord(f"item_k{k}", [data_items[r] for r in rows])
        model.add_coord(f"cutpoint_k{k}", list(range(1, k)))
        block = ordered_cutpoints(f"cutpoints_k{k}", k, (f"item_k{k}", f"cutpoint_k{k}"),
                                  n_rows=len(rows), shift=None if shift is None else shift[rows],
                                  **settings)
        padded = pt.set_subtensor(padded[rows, : k - 1], block)
    return padded


def ordinal_answers(name: str, eta, cutpoints, item_index, n_categories, observed, link: str,
                    dims: str = "obs"):
    """Add the observed ordinal answers with the fast cumulative-link likelihood.

    Parameters
    ----------
    name : str
        Variable name of the answers.
    eta : pytensor tensor, shape (n,)
        Linear predictor per answer.
    cutpoints : pytensor tensor, shape (n_items, max K - 1)
        Padded thresholds (see :func:`threshold_matrix`).
    item_index, n_categories : numpy.ndarray of int, shape (n,)
        Item row and K per answer.
    observed : numpy.ndarray of int
        Answers 1..K.
    link : {"logit", "probit"}
        Link function.
    dims : str
        Dimension of the answers.

    Returns
    -------
    pytensor.tensor.TensorVariable
        The observed variable.
    """

    def logp(value, eta, cutpoints, item_index, n_categories):
        # the core (item, cutpoint) matrix arrives with a leading broadcast dimension of length 1
        cutpoints = cutpoints.reshape(cutpoints.shape[-2:])
        return ordinal_logp(value, eta, cutpoints, item_index, n_categories, link)

    def random(eta, cutpoints, item_index, n_categories, rng=None, size=None):
        cutpoints = np.asarray(cutpoints)
        cutpoints = cutpoints.reshape(cutpoints.shape[-2:])
        return draw_ordinal(eta, cutpoints, item_index, n_categories, link, rng=rng, size=size)

    return pm.CustomDist(
        name, eta, cutpoints, np.asarray(item_index, dtype="int64"),
        np.asarray(n_categories, dtype="int64"), logp=logp, random=random,
        signature="(),(j,c),(),()->()", dtype="int64", observed=observed, dims=dims,
    )


def build_ordinal_model(
    long: pd.DataFrame,
    priors: OrdinalPriors | None = None,
    *,
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
    link: str = "logit",
    effects_by_construct: bool = False,
    disposition: str | None = DISPOSITION_CONSTRUCT,
    effects: tuple[str, ...] = EFFECT_NAMES,
    parameterization: str = "projected",
) -> pm.Model:
    r"""Build the multilevel cumulative-link model (equations in the module docstring).

    Parameters
    ----------
    long : pandas.DataFrame
        The tidy long table (``Survey.long``).
    priors : OrdinalPriors, optional
        Prior settings (default ``OrdinalPriors()``).
    outcomes : tuple of str
        Constructs whose items are the outcomes (default: the three trust beliefs).
    link : {"logit", "probit"}
        Link function.
    effects_by_construct : bool
        Give each outcome construct its own effects ``beta[construct, effect]``.
    disposition : str or None
        Construct whose z-scored respondent mean enters as covariate; None leaves it out.
    effects : tuple of str
        Fixed effects.
    parameterization : {"projected", "noncentered", "centered"}
        How the respondent terms are sampled; the three give the same model.
        ``"projected"`` (default) splits :math:`u` into its in-sample means along the design
        columns and the rest (variables ``u_design``, ``u_residual``, ``beta_in_sample`` and
        ``beta_disp_in_sample``; ``beta`` and ``beta_disp`` are deterministic, see
        :func:`projected_respondent_terms`). ``"noncentered"`` samples :math:`u_i` (variable ``u``);
        ``"centered"`` samples the respondents' latent trust
        :math:`\theta_i \sim \mathrm{Normal}(X_i \beta + \beta_\text{disp} d_i, 1)` (variable
        ``theta``). On the 845 screened simulated respondents with 4 x (1000 + 1000) draws, the
        centered form failed the gate (cutpoint R-hat up to 1.027, bulk ESS down to 184); the
        non-centered one passed with 63 leapfrog steps per draw, because each effect is
        correlated with the mean of :math:`u` in its design cells; the projected one removes
        that correlation and needs 31 steps (``benchmarks/README.md``). The projected form also
        samples each item's thresholds as offsets from :math:`\lambda_j \gamma_0`
        (``cutpoints_offset``; ``cutpoints`` is then a Deterministic, gated like ``beta``):
        every :math:`\eta` contains that term, which the data cannot tell apart from a
        common shift of the thresholds, so in plain coordinates the intercept's in-sample mean
        and all thresholds moved together (the widest and the narrowest direction of the
        whitened posterior). Same model; on the same data the smallest bulk ESS rose from 626
        to 1,776 of 4,000 draws, with 31 leapfrog steps per draw either way.

    Returns
    -------
    pymc.Model
        With coordinates ``respondent``, ``item``, ``construct``, ``effect``, ``cutpoint``,
        ``obs`` (and ``design_term`` when projected); variables ``beta``, ``beta_disp`` (if
        disposition), ``lambda``, ``cutpoints``, the respondent terms of the chosen
        parameterization, and the observed ``y``. ``model.respondent_variation`` is the tensor
        of :math:`u_i` (not for ``"centered"``).
        ``model.trustmodels_spec`` records the specification, an
        :class:`~trustmodels.models.specification.OrdinalSpec` (used by effects, checks and the
        fit cache).

    Raises
    ------
    ValueError
        On bad input (see :func:`trustmodels.models.data.prepare_ordinal_data`) or an unknown link.

    See Also
    --------
    build_design_model : The same measurement model for any declared design.
    build_moderation_model : This model with smooth apology and denial effects across fan counts.
    build_metric_model : The metric (normal) model of the same answers, for comparison.
    fit : Sample the model through the convergence gate.
    latent_contrasts : Contrasts of the seller's responses on the latent scale.
    response_contrasts : The same contrasts on the answer scale.

    Notes
    -----
    A graded-response (cumulative-link) model with one latent trait per respondent. For
    respondent :math:`i` with design row :math:`X_i` (the columns ``effects``), z-scored
    disposition to trust :math:`d_i` and item :math:`j` with :math:`K_j` ordered categories,

    .. math::

        u_i &\sim \mathrm{Normal}(0, 1) \\
        \theta_i &= X_i \beta + \beta_\text{disp}\, d_i + u_i \\
        P(y_{ij} \le k) &= F(\tau_{jk} - \lambda_j \theta_i), \qquad k = 1, \dots, K_j - 1

    with :math:`F` the logistic CDF (``link="logit"``) or the standard normal CDF
    (``link="probit"``), so that :math:`P(y_{ij} = k) = F(\tau_{jk} - \lambda_j \theta_i) -
    F(\tau_{j,k-1} - \lambda_j \theta_i)` with :math:`\tau_{j0} = -\infty` and
    :math:`\tau_{jK_j} = \infty`. The priors are those of :class:`OrdinalPriors`:
    :math:`\beta_e \sim \mathrm{Normal}(0, \sigma_\beta)` (``effect_sd``),
    :math:`\beta_\text{disp} \sim \mathrm{Normal}(0, \sigma_\text{disp})` (``disposition_sd``),
    :math:`\lambda_j \sim \mathrm{LogNormal}(0, s)` (``discrimination_log_sd``) and ordered
    thresholds :math:`\tau_j` with an induced-Dirichlet prior (default) or an ordered normal one.

    The respondent intercepts have unit SD, so the effects :math:`\beta` are in standard
    deviations of the respondents' latent trust and the positive discriminations
    :math:`\lambda_j` are identified; the model has no intercept, the thresholds absorb it. With
    ``effects_by_construct=True`` item :math:`j` of construct :math:`c` uses
    :math:`\theta_{ic} = X_i \beta_c + \beta_\text{disp}\, d_i + u_i`. The ``parameterization``
    changes how the posterior is explored, not the model (:func:`projected_respondent_terms`).
    The module docstring gives the details. The ordinal treatment of Likert answers follows
    Bürkner & Vuorre (2019) and Liddell & Kruschke (2018).

    References
    ----------
    - Bürkner, P.-C., & Vuorre, M. (2019). Ordinal regression models in psychology: A
      tutorial. *Advances in Methods and Practices in Psychological Science*, 2(1), 77-101.
    - Liddell, T. M., & Kruschke, J. K. (2018). Analyzing ordinal data with metric models:
      What could possibly go wrong? *Journal of Experimental Social Psychology*, 79, 328-348.

    Examples
    --------
    >>> import pandas as pd
    >>> build_ordinal_model(pd.DataFrame(), link="logit")
    Traceback (most recent call last):
    ...
    ValueError: the long table is empty; expected one row per observed answer
    """
    if link not in LINKS:
        raise ValueError(f"unknown link {link!r}; expected one of {LINKS}")
    if parameterization not in PARAMETERIZATIONS:
        raise ValueError(f"unknown parameterization {parameterization!r}; expected one of "
                         f"{PARAMETERIZATIONS}")
    priors = OrdinalPriors() if priors is None else priors
    data = prepare_ordinal_data(long, outcomes=outcomes, disposition=disposition, effects=effects)
    return _build(data, priors, link=link, effects_by_construct=effects_by_construct,
                  parameterization=parameterization)


def design_columns(data: OrdinalData) -> np.ndarray:
    """Return the columns that the projected parameterization separates from ``u``.

    An intercept, the fixed-effects design and (when present) the disposition covariate, one
    row per respondent.

    Parameters
    ----------
    data : OrdinalData
        Prepared model data.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_respondents, 1 + n_effects [+ 1])``.
    """
    columns = [np.ones(len(data.respondents)), data.design.to_numpy(float)]
    if data.disposition is not None:
        columns.append(np.asarray(data.disposition, dtype=float))
    return np.column_stack(columns)


def projected_respondent_terms(columns: np.ndarray, term_names: list[str]):
    r"""Add :math:`u \sim \mathrm{Normal}(0, I)` split along design columns; return ``(u, gamma)``.

    With :math:`C` the design columns, :math:`L` the Cholesky factor of
    :math:`(C^\top C)^{-1}` and :math:`P_\perp = I - C (C^\top C)^{-1} C^\top`,

    .. math::

        z \sim \mathrm{Normal}(0, I), \quad w \sim \mathrm{Normal}(0, I), \quad
        \gamma = L z, \quad u = C \gamma + P_\perp w

    gives exactly :math:`u \sim \mathrm{Normal}(0, I)` (free variables ``u_design`` = :math:`z`,
    dims ``design_term``, and ``u_residual`` = :math:`w`, dims ``respondent``). :math:`\gamma` are
    the in-sample means of :math:`u` along the design columns, which the data cannot tell apart
    from the coefficients of those columns. A model therefore samples each coefficient
    :math:`\beta` as its in-sample value :math:`\beta^{s} \sim \mathrm{Normal}(\gamma, \sigma)`
    and reports :math:`\beta = \beta^{s} - \gamma`, which is :math:`\mathrm{Normal}(0, \sigma)` a
    priori: the joint distribution is unchanged, while the likelihood sees only
    :math:`\beta^{s}` and :math:`w`, which the posterior leaves nearly uncorrelated.

    Parameters
    ----------
    columns : numpy.ndarray, shape (n_respondents, n_terms)
        Design columns (intercept first), of full column rank.
    term_names : list of str
        Names of the columns (the ``design_term`` coordinate).

    Returns
    -------
    u : pytensor.tensor.TensorVariable
        Shape (n_respondents,).
    gamma : pytensor.tensor.TensorVariable
        Shape (n_terms,).

    Raises
    ------
    ValueError
        When the columns are collinear or not fewer than the respondents.
    """
    gram = columns.T @ columns
    if columns.shape[0] <= columns.shape[1] or np.linalg.cond(gram) > 1e10:
        raise ValueError(f"the design columns ({', '.join(term_names)}) are collinear or "
                         f"outnumber the {columns.shape[0]} respondents; expected a full-rank "
                         "design with more respondents than columns")
    gram_inv = np.linalg.inv(gram)
    chol = np.linalg.cholesky(gram_inv)
    hat = gram_inv @ columns.T
    model = pm.modelcontext(None)
    model.add_coord("design_term", list(term_names))
    z = pm.Normal("u_design", 0.0, 1.0, dims="design_term")
    gamma = pt.dot(chol, z)
    w = pm.Normal("u_residual", 0.0, 1.0, dims="respondent")
    u = pt.dot(columns, gamma) + w - pt.dot(columns, pt.dot(hat, w))
    return u, gamma


def _projected_effects(data: OrdinalData, priors: OrdinalPriors, effect_dims):
    """Add the projected form's variables; return ``beta``, ``beta_disp``, ``u`` and ``gamma``.

    See :func:`projected_respondent_terms`.
    """
    n_effects = len(data.effects)
    terms = ["intercept", *data.effects] + (["disposition"] if data.disposition is not None
                                            else [])
    u, gamma = projected_respondent_terms(design_columns(data), terms)
    gamma_effects = gamma[1:1 + n_effects]
    beta_in_sample = pm.Normal("beta_in_sample", gamma_effects, priors.effect_sd,
                               dims=effect_dims)
    beta = pm.Deterministic("beta", beta_in_sample - gamma_effects, dims=effect_dims)
    beta_disp = None
    if data.disposition is not None:
        disp_in_sample = pm.Normal("beta_disp_in_sample", gamma[-1], priors.disposition_sd)
        beta_disp = pm.Deterministic("beta_disp", disp_in_sample - gamma[-1])
    return beta, beta_disp, u, gamma


def _build(data: OrdinalData, priors: OrdinalPriors, *, link: str,
           effects_by_construct: bool, parameterization: str) -> pm.Model:
    coords = {
        "respondent": list(data.respondents),
        "item": list(data.items),
        "construct": list(data.constructs),
        "effect": list(data.effects),
        "obs": np.arange(data.response.size),
    }
    with pm.Model(coords=coords) as model:
        x = pm.Data("X", data.design.to_numpy(float), dims=("respondent", "effect"))
        pm.Data("obs_respondent", data.respondent_index, dims="obs")
        pm.Data("obs_item", data.item_index, dims="obs")
        effect_dims = ("construct", "effect") if effects_by_construct else ("effect",)
        d = (None if data.disposition is None
             else pm.Data("disposition", data.disposition, dims="respondent"))
        if parameterization == "projected":
            beta, beta_disp, u, gamma = _projected_effects(data, priors, effect_dims)
        else:
            beta = pm.Normal("beta", 0.0, priors.effect_sd, dims=effect_dims)
            beta_disp = (None if d is None
                         else pm.Normal("beta_disp", 0.0, priors.disposition_sd))
        if effects_by_construct:
            beta_mean = beta.mean(axis=0)
            deviation = pt.dot(x, (beta - beta_mean).T)  # (respondent, construct)
        else:
            beta_mean = beta
            deviation = pt.zeros((len(data.respondents), 1))
        location = pt.dot(x, beta_mean)
        if d is not None:
            location = location + beta_disp * d
        if parameterization == "centered":
            # theta_i ~ Normal(X_i beta + beta_disp d_i, 1), i.e. u_i = theta_i - location_i
            trust = pm.Normal("theta", location, 1.0, dims="respondent")
        else:
            if parameterization == "noncentered":
                u = pm.Normal("u", 0.0, 1.0, dims="respondent")
            model.respondent_variation = u
            trust = location + u
        theta = trust[:, None] + deviation
        lam = pm.LogNormal("lambda", 0.0, priors.discrimination_log_sd, dims="item")
        # projected: every eta contains lam_j * gamma_0 (the in-sample mean of u), which the data
        # cannot tell apart from a shift of item j's thresholds by the same amount; sampling the
        # thresholds as offsets from it puts that common location on one axis (same model)
        shift = lam * gamma[0] if parameterization == "projected" else None
        cutpoints = threshold_matrix(data.items, data.item_categories, priors, link, shift=shift)
        column = data.construct_index if effects_by_construct else np.zeros_like(data.item_index)
        eta = lam[data.item_index] * theta[data.respondent_index, column]
        ordinal_answers("y", eta, cutpoints, data.item_index, data.n_categories, data.response,
                        link)
    model.trustmodels_spec = OrdinalSpec(
        link=link,
        effects_by_construct=effects_by_construct,
        disposition=data.disposition is not None,
        items=tuple(data.items),
        constructs=tuple(data.constructs),
        item_construct=tuple(data.constructs[c] for c in data.item_construct),
        item_categories=tuple(int(k) for k in data.item_categories),
        effects=tuple(data.effects),
        parameterization=parameterization,
        # gated besides the free variables: the effects and (sampled as offsets) the thresholds
        derived=(("beta", *(["beta_disp"] if data.disposition is not None else []),
                  *threshold_names(data.item_categories))
                 if parameterization == "projected" else ()),
        priors=priors,
    )
    return model
