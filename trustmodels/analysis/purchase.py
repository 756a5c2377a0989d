r"""An ordinal respondent covariate (e.g. online purchase frequency) linked to latent trust.

The main model (:mod:`trustmodels.models.ordinal`) gives each respondent a latent trust
:math:`\theta_i = X_i\beta + \beta_\text{disp} d_i + u_i` with unit-scale individual variation
:math:`u_i \sim N(0, 1)`. :func:`build_trust_covariate_model` adds one ordinal answer per
respondent, :math:`c_i \in \{1, \dots, K\}`, with its own cumulative link on the individual
variation,

.. math::

    P(c_i \le k) = F(\kappa_k - \gamma\, u_i), \qquad
    \gamma \sim \mathrm{Normal}(0, \sigma_\gamma),

and induced-Dirichlet thresholds :math:`\kappa` (:mod:`trustmodels.models.cutpoints`). Both
parts are fitted jointly, so the association is estimated with the trust items' measurement
error taken into account (a correlation of an averaged scale score with the covariate is
attenuated by it). The covariate is linked to :math:`u_i` rather than to :math:`\theta_i`: in a
randomized experiment the design part :math:`X_i\beta` is assigned, not a trait of the
respondent, so only :math:`u_i` (trust beyond the condition and the disposition to trust) can
be associated with a stable habit such as purchase frequency.

With the probit link the covariate's latent variable is :math:`z_i = \gamma u_i + e_i`,
:math:`e_i \sim N(0, 1)`, so the latent correlation is
:math:`\rho = \gamma / \sqrt{1 + \gamma^2}` (:func:`slope_to_correlation`). The simulator draws
purchase frequency as a cut normal with correlation ``purchase_freq_trust_correlation`` to
:math:`u_i` (:mod:`trustmodels.simulation.simulate`), so with the probit link its true slope is
:math:`\rho / \sqrt{1 - \rho^2}` (:func:`correlation_to_slope`).

This is a *cross-sectional association*: neither part says which way any influence runs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pymc as pm

from trustmodels.analysis.effects import DEFAULT_HDI_PROB, summarize_draws
from trustmodels.models.cutpoints import ordered_cutpoints
from trustmodels.models.likelihood import LINKS
from trustmodels.models.ordinal import build_ordinal_model, ordinal_answers
from trustmodels.models.priors import OrdinalPriors
from trustmodels.models.specification import ObservedCovariate, OrdinalSpec, model_spec

__all__ = [
    "COVARIATE_VARIABLE",
    "SLOPE_VARIABLE",
    "build_trust_covariate_model",
    "correlation_to_slope",
    "covariate_association",
    "respondent_covariate",
    "slope_to_correlation",
]

#: Name of the slope of the covariate on the individual trust variation.
SLOPE_VARIABLE = "gamma"
#: Name of the observed covariate answers in the model.
COVARIATE_VARIABLE = "covariate"


def correlation_to_slope(rho: float) -> float:
    r"""Return the probit slope :math:`\rho / \sqrt{1 - \rho^2}` of a latent correlation.

    Parameters
    ----------
    rho : float
        Correlation of the covariate's latent normal variable with :math:`u`, in (-1, 1).

    Returns
    -------
    float
        The slope :math:`\gamma` of the probit-link covariate model.

    Examples
    --------
    >>> round(correlation_to_slope(-0.15), 4)
    -0.1517
    >>> round(slope_to_correlation(correlation_to_slope(0.3)), 12)
    0.3
    """
    if not -1 < rho < 1:
        raise ValueError(f"a correlation must lie strictly between -1 and 1, got {rho}")
    return float(rho / np.sqrt(1.0 - rho ** 2))


def slope_to_correlation(gamma, link: str = "probit"):
    r"""Return the latent correlation :math:`\gamma / \sqrt{\gamma^2 + s^2}` of a slope.

    Parameters
    ----------
    gamma : float or array_like
        Slope(s) of the covariate on the individual trust variation :math:`u`.
    link : {"probit", "logit"}
        Link of the covariate model; the latent error variance :math:`s^2` is 1 (probit) or
        :math:`\pi^2/3` (logit).

    Returns
    -------
    float or numpy.ndarray
        Correlation(s) in (-1, 1).

    Examples
    --------
    >>> round(float(slope_to_correlation(1.0)), 4)
    0.7071
    """
    if link not in LINKS:
        raise ValueError(f"unknown link {link!r}; expected one of {LINKS}")
    error_var = 1.0 if link == "probit" else np.pi ** 2 / 3
    gamma = np.asarray(gamma, dtype=float)
    result = gamma / np.sqrt(gamma ** 2 + error_var)
    return float(result) if result.ndim == 0 else result


def respondent_covariate(long: pd.DataFrame, column: str, n_categories: int) -> pd.Series:
    """Return one answer per respondent of an ordinal covariate of the long table.

    Parameters
    ----------
    long : pandas.DataFrame
        The tidy long table (``Survey.long``), which carries the covariates.
    column : str
        The covariate column (answers coded 1..K; missing answers are NA).
    n_categories : int
        K.

    Returns
    -------
    pandas.Series
        Indexed by respondent (order of first appearance), integer answers, NA when missing.

    Raises
    ------
    ValueError
        One line: the column is absent, varies within a respondent, or holds a value outside
        1..K.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"respondent": ["R1", "R1", "R2", "R3"],
    ...                      "freq": pd.array([2, 2, None, 5], dtype="Int64")})
    >>> respondent_covariate(long, "freq", 5).tolist()
    [2, <NA>, 5]
    >>> respondent_covariate(long, "freq", 4)
    Traceback (most recent call last):
    ...
    ValueError: column 'freq' of respondent 'R3' is 5; expected an integer in 1..4 or empty
    """
    if column not in long.columns:
        raise ValueError(f"the long table has no column {column!r}; expected a covariate named "
                         "in the codebook's trustmodels.covariates")
    if not (isinstance(n_categories, int | np.integer) and n_categories >= 2):
        raise ValueError(f"n_categories must be an integer >= 2, got {n_categories!r}")
    values = pd.to_numeric(long[column], errors="coerce").astype("Float64")
    raw_missing = long[column].isna()
    unreadable = values.isna() & ~raw_missing
    if unreadable.any():
        row = long.index[np.argmax(unreadable.to_numpy())]
        raise ValueError(f"column {column!r} row {row} is {long[column].loc[row]!r}; expected "
                         f"an integer in 1..{n_categories} or empty")
    grouped = values.groupby(long["respondent"], sort=False)
    varying = grouped.nunique(dropna=False) > 1
    if varying.any():
        who = varying.index[varying][0]
        raise ValueError(f"column {column!r} varies within respondent {who!r}; expected one "
                         "answer per respondent")
    per_respondent = grouped.first().reindex(pd.unique(long["respondent"]))
    answered = per_respondent.dropna()
    bad = (answered < 1) | (answered > n_categories) | (answered % 1 != 0)
    if bad.any():
        who = answered.index[bad.to_numpy()][0]
        raise ValueError(f"column {column!r} of respondent {who!r} is "
                         f"{answered[who]:g}; expected an integer in 1..{n_categories} or empty")
    return per_respondent.astype("Int64")


def build_trust_covariate_model(
    long: pd.DataFrame,
    covariate: str = "purchase_freq",
    n_categories: int = 5,
    priors: OrdinalPriors | None = None,
    *,
    slope_sd: float = 1.0,
    covariate_link: str = "probit",
    **ordinal_options,
) -> pm.Model:
    """Build the main ordinal model of the trust items jointly with an ordinal covariate.

    Equations in the module docstring. The trust part is exactly
    :func:`trustmodels.models.ordinal.build_ordinal_model`; respondents who did not answer the
    covariate contribute to the trust part only.

    Parameters
    ----------
    long : pandas.DataFrame
        The tidy long table (``Survey.long``) with the covariate column.
    covariate : str
        The ordinal covariate (one answer per respondent, 1..K).
    n_categories : int
        K of the covariate.
    priors : OrdinalPriors, optional
        Priors of the trust part; the covariate thresholds use its threshold prior settings.
    slope_sd : float
        SD of the normal prior of the slope ``gamma`` (per SD of the individual variation).
    covariate_link : {"probit", "logit"}
        Link of the covariate's cumulative model.
    **ordinal_options
        Passed to :func:`~trustmodels.models.ordinal.build_ordinal_model` (``outcomes``,
        ``link``, ``disposition``, ``parameterization``, ...); the centered parameterization
        is refused, because the covariate needs the individual variation :math:`u_i`.

    Returns
    -------
    pymc.Model
        The main model plus the free variables ``gamma`` and ``covariate_cutpoints`` and the
        observed ``covariate`` (dimension ``covariate_obs``); the specification
        (``model.trustmodels_spec``) gains its
        :class:`~trustmodels.models.specification.ObservedCovariate`.

    Raises
    ------
    ValueError
        Bad input of the trust part (see :func:`~trustmodels.models.data.prepare_ordinal_data`),
        a bad covariate (see :func:`respondent_covariate`), no covariate answers, an unknown
        link or a non-positive ``slope_sd``.

    Examples
    --------
    >>> import pandas as pd
    >>> build_trust_covariate_model(pd.DataFrame(), covariate_link="cauchit")
    Traceback (most recent call last):
    ...
    ValueError: unknown covariate_link 'cauchit'; expected one of ('logit', 'probit')
    """
    if covariate_link not in LINKS:
        raise ValueError(f"unknown covariate_link {covariate_link!r}; expected one of {LINKS}")
    if not slope_sd > 0:
        raise ValueError(f"slope_sd must be positive, got {slope_sd!r}")
    priors = OrdinalPriors() if priors is None else priors
    # the covariate is linked to the individual variation u_i, which the centered form lacks
    if ordinal_options.get("parameterization") == "centered":
        raise ValueError("the covariate model links the covariate to u_i and needs "
                         "parameterization='projected' or 'noncentered'")
    model = build_ordinal_model(long, priors, **ordinal_options)
    answers = respondent_covariate(long, covariate, n_categories)
    respondents = pd.Index(model.coords["respondent"])
    answers = answers.reindex(respondents)
    observed = answers.notna().to_numpy(bool)
    if not observed.any():
        raise ValueError(f"no respondent answered {covariate!r}")
    who = np.flatnonzero(observed)
    values = answers.to_numpy("float64", na_value=np.nan)[observed].astype("int64")
    with model:
        model.add_coord("covariate_obs", [respondents[i] for i in who])
        model.add_coord("covariate_item", [covariate])
        model.add_coord("covariate_cutpoint", list(range(1, n_categories)))
        gamma = pm.Normal(SLOPE_VARIABLE, 0.0, slope_sd)
        cutpoints = ordered_cutpoints(
            "covariate_cutpoints", n_categories, ("covariate_item", "covariate_cutpoint"),
            prior=priors.cutpoint_prior, concentration=priors.cutpoint_concentration,
            sd=priors.cutpoint_sd, link=covariate_link, n_rows=1)
        u = model.respondent_variation
        zeros = np.zeros(who.size, dtype="int64")
        ordinal_answers(COVARIATE_VARIABLE, gamma * u[who], cutpoints, zeros,
                        np.full(who.size, n_categories, dtype="int64"), values, covariate_link,
                        dims="covariate_obs")
    model.trustmodels_spec = replace(model.trustmodels_spec, observed_covariate=ObservedCovariate(
        name=covariate, n_categories=int(n_categories), link=covariate_link,
        slope_sd=float(slope_sd), n_answers=int(who.size)))
    return model


def covariate_association(idata, *, hdi_prob: float = DEFAULT_HDI_PROB,
                          rope: tuple[float, float] = (-0.1, 0.1)) -> pd.DataFrame:
    """Summarize the slope of the covariate on trust and the implied latent correlation.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit of :func:`build_trust_covariate_model` (via :func:`trustmodels.inference.sampling.fit`).
    hdi_prob : float
        HDI mass.
    rope : tuple of float
        Region of practical equivalence, used for both rows (a correlation of ±0.1 is the
        conventional "small" bound).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``quantity`` (``"slope"``, ``"correlation"``), with the columns of
        :func:`trustmodels.analysis.effects.summarize_draws`.

    Raises
    ------
    ValueError
        When the fit has no slope ``gamma``, or its specification is not that of
        :func:`build_trust_covariate_model` (the covariate's link is read from it).
    """
    posterior = idata["posterior"]
    if SLOPE_VARIABLE not in posterior:
        raise ValueError("the fit has no covariate slope 'gamma'; fit a model of "
                         "build_trust_covariate_model")
    spec = model_spec(idata, OrdinalSpec, "covariate_association needs a fit of "
                      "build_trust_covariate_model")
    if spec.observed_covariate is None:
        raise ValueError("the fit's specification has no observed covariate; fit a model of "
                         "build_trust_covariate_model")
    link = spec.observed_covariate.link
    slope = np.asarray(posterior[SLOPE_VARIABLE].values, dtype=float).ravel()
    rows = {"slope": summarize_draws(slope, hdi_prob=hdi_prob, rope=rope),
            "correlation": summarize_draws(slope_to_correlation(slope, link), hdi_prob=hdi_prob,
                                           rope=rope)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "quantity"
    return table
