r"""The multilevel ordinal model of any declared design (:mod:`trustmodels.design`).

For rating occasion :math:`o` (a respondent :math:`i(o)` rating one vignette) with design row
:math:`X_o` (:func:`trustmodels.design.design_rows`), optional z-scored covariate
:math:`d_i`, optional z-scored covariate columns :math:`W_o`, and item :math:`j` with
:math:`K_j` ordered categories:

.. math::

    u_i &\sim \mathrm{Normal}(0, 1) \\
    \theta_o &= X_o \beta + \beta_\text{cov}\, d_{i(o)} + W_o \beta_W + u_{i(o)} \\
    P(y_{oj} \le k) &= F(\tau_{jk} - \lambda_j \theta_o), \qquad k = 1, \dots, K_j - 1

with the priors of :class:`~trustmodels.models.priors.OrdinalPriors` (:math:`\beta_e \sim
\mathrm{Normal}(0, \sigma_\beta)`, :math:`\lambda_j \sim \mathrm{LogNormal}(0, s)`, thresholds
with an induced-Dirichlet prior). It is the main model of :mod:`trustmodels.models.ordinal`
written for any factors, moderators and number of vignettes per respondent: with several
vignettes the respondent intercept :math:`u_i` is shared by a respondent's ratings, so the
factors that vary within respondents are estimated against each respondent's own level of
trust. The respondent terms are sampled in the non-centred form.

With ``random_slopes=True`` every effect that varies within respondents (a factor, moderator or
interaction whose value changes between a respondent's vignettes) also gets a respondent-level
deviation, :math:`\theta_o = X_o (\beta + \delta_{i(o)}) + \dots` with
:math:`\delta_{ie} = \sigma_e z_{ie}`, :math:`z_{ie} \sim \mathrm{Normal}(0, 1)` and
:math:`\sigma_e \sim \mathrm{HalfNormal}(s)` (``slope_sd``; independent slopes, no
correlations). Without them a within-subject analysis treats every respondent as reacting alike
to the manipulation and can overstate its certainty about the average effect
(Barr, Levy, Scheepers & Tily, 2013).

Grouping factors crossed with respondents (``design.groups``, such as the seller profile a
vignette shows or the rater) add one random intercept each, :math:`\theta_o = \dots +
\sigma_g z_{g(o)}` with :math:`z \sim \mathrm{Normal}(0, 1)` and
:math:`\sigma_g \sim \mathrm{HalfNormal}(s_g)` (Baayen, Davidson & Bates, 2008).

With ``parameterization="projected"`` (designs in which every respondent rates one vignette) the
respondent intercepts are sampled split along the design columns, as in the simulated survey's
main model (:func:`~trustmodels.models.ordinal.projected_respondent_terms`): the same model,
explored with about half the leapfrog steps per draw.

References
----------
Baayen, R. H., Davidson, D. J., & Bates, D. M. (2008). Mixed-effects modeling with crossed
random effects for subjects and items. *Journal of Memory and Language*, 59(4), 390-412.

Barr, D. J., Levy, R., Scheepers, C., & Tily, H. J. (2013). Random effects structure for
confirmatory hypothesis testing: Keep it maximal. *Journal of Memory and Language*, 68(3),
255-278.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from trustmodels.design import StudyDesign, prepare_design_data
from trustmodels.models.likelihood import LINKS
from trustmodels.models.ordinal import (
    ordinal_answers,
    projected_respondent_terms,
    threshold_matrix,
    threshold_names,
)
from trustmodels.models.priors import OrdinalPriors
from trustmodels.models.specification import DeclaredSpec

__all__ = ["DESIGN_PARAMETERIZATIONS", "build_design_model", "within_respondent_effects"]

#: Ways to sample the respondent intercepts of a declared design (see
#: :func:`build_design_model`); both give the same model.
DESIGN_PARAMETERIZATIONS = ("noncentered", "projected")


def within_respondent_effects(data) -> list[str]:
    """Return the effects whose design column varies within at least one respondent.

    Parameters
    ----------
    data : trustmodels.design.DesignData
        The prepared arrays of a declared design.

    Returns
    -------
    list of str
        Effect names, in design order (empty for a between-respondents design).
    """
    frame = data.design.assign(_respondent=data.occasion_respondent)
    spread = frame.groupby("_respondent").nunique().max()
    return [name for name in data.design.columns if spread[name] > 1]


def build_design_model(long: pd.DataFrame, design: StudyDesign,
                       priors: OrdinalPriors | None = None, *, link: str = "logit",
                       random_slopes: bool = False, slope_sd: float = 0.5,
                       parameterization: str = "noncentered",
                       effects_by_construct: bool = False, group_sd: float = 0.5) -> pm.Model:
    r"""Build the multilevel cumulative-link model of a declared design.

    Parameters
    ----------
    long : pandas.DataFrame
        One row per answer (see :func:`trustmodels.design.prepare_design_data`).
    design : StudyDesign
        The declared design.
    priors : OrdinalPriors, optional
        Prior settings (``effect_sd`` for the effects and ``disposition_sd`` for the covariate
        and the covariate columns' slopes).
    link : {"logit", "probit"}
        Link function.
    random_slopes : bool
        Give every within-respondent effect a respondent-level deviation (see the module
        docstring); needs several vignettes per respondent.
    slope_sd : float
        Scale of the half-normal prior of the slopes' standard deviations (latent SD).
    parameterization : {"noncentered", "projected"}
        How the respondent intercepts are sampled; both give the same model.
        ``"noncentered"`` samples :math:`u_i` (variable ``u``). ``"projected"``, for designs
        in which every respondent rates one vignette, splits :math:`u` into its in-sample means
        along an intercept, the design columns and the covariate and the rest (see Notes);
        ``beta``, ``beta_cov`` and the thresholds are then deterministic (and gated).
    effects_by_construct : bool
        Give each outcome construct its own effects, ``beta`` with dims ``(construct, effect)``:
        item :math:`j` of construct :math:`c` reads
        :math:`\theta_{oc} = X_o \beta_c + \beta_\text{cov} d_{i(o)} + u_{i(o)}`.
    group_sd : float
        Scale of the half-normal prior of each grouping factor's SD (``design.groups``), in
        latent SD.

    Returns
    -------
    pymc.Model
        Coordinates ``respondent``, ``occasion``, ``item``, ``effect`` (the design's effect
        names), ``obs``; variables ``beta``, ``beta_cov`` (with a covariate), ``u``,
        ``lambda``, the thresholds and the observed ``y``; with random slopes also the
        coordinate ``slope`` and the variables ``sd_slope`` and ``z_slope``; projected, the
        coordinate ``design_term`` and the variables ``u_design``, ``u_residual``,
        ``beta_in_sample``, ``beta_cov_in_sample`` and the threshold offsets instead of ``u``.
        ``model.respondent_variation`` is the tensor of :math:`u_i` in either form. Each
        grouping factor ``g`` of the design adds the coordinate ``g`` (its levels) and the
        variables ``sd_g`` and ``z_g``. Covariate columns (``design.covariate_columns``) add
        the coordinate ``covariate_column`` and the variable ``beta_columns`` (projected, also
        ``beta_columns_in_sample``) and the data ``covariate_columns``.
        ``model.trustmodels_spec`` records the design, a
        :class:`~trustmodels.models.specification.DeclaredSpec`.

    Raises
    ------
    ValueError
        When the data cannot support the design (one line, before any sampling), random
        slopes are asked for a design in which no effect varies within respondents, or the
        projected form for a design with several vignettes per respondent.

    See Also
    --------
    build_ordinal_model : The same model for the simulated survey's fixed design.
    factor_contrasts : Pairwise contrasts of a factor's levels from a fit of this model.
    LaplaceFitter : A fast integrated Laplace approximation of this model, for design analyses.
    fit : Sample the model through the convergence gate.
    trustmodels.analysis.linkscale.link_scale_parameters : A fit on the scale of R's
        ``ordinal::clmm``.

    Notes
    -----
    For rating occasion :math:`o` (respondent :math:`i(o)` rating one vignette) with design row
    :math:`X_o` (:func:`trustmodels.design.design_rows`), the z-scored covariate :math:`d_i` (when
    the design declares one), the z-scored covariate columns :math:`W_o` (when it declares
    some) and item :math:`j` with :math:`K_j` ordered categories,

    .. math::

        u_i &\sim \mathrm{Normal}(0, 1) \\
        \theta_o &= X_o \beta + \beta_\text{cov}\, d_{i(o)} + W_o \beta_W + u_{i(o)} \\
        P(y_{oj} \le k) &= F(\tau_{jk} - \lambda_j \theta_o), \qquad k = 1, \dots, K_j - 1

    with :math:`F` the logistic or standard normal CDF (``link``) and the priors of
    :class:`OrdinalPriors`: :math:`\beta_e \sim \mathrm{Normal}(0, \sigma_\beta)`
    (``effect_sd``), :math:`\beta_\text{cov}, \beta_{W,c} \sim
    \mathrm{Normal}(0, \sigma_\text{disp})` (``disposition_sd``),
    :math:`\lambda_j \sim \mathrm{LogNormal}(0, s)` (``discrimination_log_sd``) and ordered
    thresholds: a multilevel ordinal regression of the kind described by Bürkner & Vuorre
    (2019). The effects are in standard deviations of the respondents' latent intercepts; a
    covariate column's slope is the change of latent trust per standard deviation of the
    column, which enters without interactions (an adjustment, as ``+ age`` in a formula). A
    respondent's ratings share :math:`u_i` (sampled in the non-centred form), so effects that
    vary within respondents are estimated against each
    respondent's own level of trust.

    A grouping factor :math:`g` crossed with respondents (``design.groups``, such as the seller
    profile a vignette shows) adds its level's intercept,
    :math:`\theta_o = \dots + v_{g(o)}` with :math:`v_g = \sigma_g z_g`,
    :math:`z_g \sim \mathrm{Normal}(0, 1)` and :math:`\sigma_g \sim
    \mathrm{HalfNormal}(s_g)` (``group_sd``), in the unit of the respondents' SD: the cross-
    classified random intercepts of a vignette or rater design (Baayen, Davidson & Bates, 2008).

    With ``random_slopes=True`` every effect :math:`e` that varies within respondents also gets
    a respondent-level deviation, :math:`\theta_o = X_o (\beta + \delta_{i(o)}) + \dots` with
    :math:`\delta_{ie} = \sigma_e z_{ie}`, :math:`z_{ie} \sim \mathrm{Normal}(0, 1)` and
    :math:`\sigma_e \sim \mathrm{HalfNormal}(s_\delta)` (``slope_sd``; independent slopes, no
    correlations). Without them a within-respondent analysis treats every respondent as
    reacting alike to the manipulation and can overstate its certainty about the average effect
    (Barr et al., 2013).

    ``parameterization="projected"`` changes how the posterior is explored, not the model.
    With :math:`C` the respondents' design columns (an intercept, :math:`X` and :math:`d`), it
    samples :math:`u = C\gamma + P_\perp w`
    (:func:`~trustmodels.models.ordinal.projected_respondent_terms`), each coefficient as its
    in-sample value :math:`\beta^s \sim \mathrm{Normal}(\gamma, \sigma_\beta)` with
    :math:`\beta = \beta^s - \gamma`, and item :math:`j`'s thresholds as offsets from
    :math:`\lambda_j \gamma_0`. The data cannot tell the coefficients apart from the in-sample
    means of :math:`u` along their columns, so in plain coordinates the posterior is strongly
    correlated. It is the form of the simulated survey's main model
    (:func:`~trustmodels.models.ordinal.build_ordinal_model`), where it halves the leapfrog
    steps per draw; on a small design (one three-level factor, a moderator, three items) both
    forms took about as many steps (``benchmarks/README.md``).

    References
    ----------
    - Barr, D. J., Levy, R., Scheepers, C., & Tily, H. J. (2013). Random effects structure
      for confirmatory hypothesis testing: Keep it maximal. *Journal of Memory and Language*,
      68(3), 255-278.
    - Bürkner, P.-C., & Vuorre, M. (2019). Ordinal regression models in psychology: A
      tutorial. *Advances in Methods and Practices in Psychological Science*, 2(1), 77-101.
    - Baayen, R. H., Davidson, D. J., & Bates, D. M. (2008). Mixed-effects modeling with
      crossed random effects for subjects and items. *Journal of Memory and Language*, 59(4),
      390-412.

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
    if parameterization not in DESIGN_PARAMETERIZATIONS:
        raise ValueError(f"unknown parameterization {parameterization!r}; expected one of "
                         f"{DESIGN_PARAMETERIZATIONS}")
    priors = OrdinalPriors() if priors is None else priors
    data = prepare_design_data(long, design)
    slopes = within_respondent_effects(data) if random_slopes else []
    if random_slopes and not slopes:
        raise ValueError("random_slopes=True, but no effect varies within respondents (one "
                         "vignette each, or the factors are between respondents)")
    if not slope_sd > 0:
        raise ValueError(f"slope_sd must be positive, got {slope_sd!r}")
    if not group_sd > 0:
        raise ValueError(f"group_sd must be positive, got {group_sd!r}")
    projected = parameterization == "projected"
    if projected and len(data.occasions) != len(data.respondents):
        raise ValueError(f"parameterization='projected' needs one vignette per respondent; "
                         f"{len(data.respondents)} respondents rate {len(data.occasions)} "
                         "vignettes (use 'noncentered')")
    occasion_labels = [
        "/".join(map(str, row)) for row in
        data.occasions[["respondent", *([design.vignette] if design.vignette else [])]]
        .itertuples(index=False)]
    coords = {"respondent": list(data.respondents), "occasion": occasion_labels,
              "item": list(data.items), "effect": list(data.design.columns),
              "obs": np.arange(data.response.size)}
    if slopes:
        coords["slope"] = slopes
    if data.covariate_columns is not None:
        coords["covariate_column"] = list(data.covariate_columns.columns)
    for name, (levels, _) in data.groups.items():
        if name in coords or name in ("slope", "construct", "design_term", "cutpoint",
                                      "covariate_column") \
                or name.startswith(("item_k", "cutpoint_k")):
            raise ValueError(f"group {name!r} has the name of a coordinate of the model; "
                             "rename the column in the data and the codebook")
        coords[name] = list(levels)
    effect_dims = ("effect",)
    if effects_by_construct:
        coords["construct"] = list(data.constructs)
        effect_dims = ("construct", "effect")
    with pm.Model(coords=coords) as model:
        x = pm.Data("X", data.design.to_numpy(float), dims=("occasion", "effect"))
        if projected:
            beta, beta_cov, beta_columns, u, gamma = _projected_coefficients(data, priors,
                                                                             effect_dims)
        else:
            beta = pm.Normal("beta", 0.0, priors.effect_sd, dims=effect_dims)
            u = pm.Normal("u", 0.0, 1.0, dims="respondent")
            beta_cov = (None if data.covariate is None
                        else pm.Normal("beta_cov", 0.0, priors.disposition_sd))
            beta_columns = (None if data.covariate_columns is None
                            else pm.Normal("beta_columns", 0.0, priors.disposition_sd,
                                           dims="covariate_column"))
        model.respondent_variation = u
        # by construct: the construct-mean effects enter theta, each construct's deviation
        # from them is added per item below (the same parts as the main model)
        beta_mean = beta.mean(axis=0) if effects_by_construct else beta
        theta = pt.dot(x, beta_mean) + u[data.occasion_respondent]
        if slopes:
            columns = [list(data.design.columns).index(name) for name in slopes]
            sd_slope = pm.HalfNormal("sd_slope", slope_sd, dims="slope")
            z_slope = pm.Normal("z_slope", 0.0, 1.0, dims=("respondent", "slope"))
            deviation = (z_slope * sd_slope)[data.occasion_respondent]  # (occasion, slope)
            theta = theta + (x[:, columns] * deviation).sum(axis=1)
        for name, (_, level_of_occasion) in data.groups.items():
            sd_group = pm.HalfNormal(f"sd_{name}", group_sd)
            z_group = pm.Normal(f"z_{name}", 0.0, 1.0, dims=name)
            theta = theta + (sd_group * z_group)[level_of_occasion]
        if data.covariate is not None:
            d = pm.Data("covariate", data.covariate, dims="respondent")
            theta = theta + beta_cov * d[data.occasion_respondent]
        if data.covariate_columns is not None:
            w = pm.Data("covariate_columns", data.covariate_columns.to_numpy(float),
                        dims=("occasion", "covariate_column"))
            theta = theta + pt.dot(w, beta_columns)
        lam = pm.LogNormal("lambda", 0.0, priors.discrimination_log_sd, dims="item")
        # projected: every eta contains lam_j * gamma_0, which the data cannot tell apart from a
        # shift of item j's thresholds, so the thresholds are sampled as offsets from it
        shift = lam * gamma[0] if projected else None
        cutpoints = threshold_matrix(data.items, data.item_categories, priors, link, shift=shift)
        if effects_by_construct:
            by_construct = pt.dot(x, (beta - beta_mean).T)  # (occasion, construct)
            construct = data.item_construct[data.item_index]
            eta = lam[data.item_index] * (theta[data.occasion_index]
                                          + by_construct[data.occasion_index, construct])
        else:
            eta = lam[data.item_index] * theta[data.occasion_index]
        ordinal_answers("y", eta, cutpoints, data.item_index, data.n_categories, data.response,
                        link)
    model.trustmodels_spec = DeclaredSpec(
        link=link,
        factors={name: tuple(levels) for name, levels in design.factors.items()},
        moderators={name: (m.transform, m.centre) for name, m in design.moderators.items()},
        covariate=design.covariate,
        vignette=design.vignette,
        outcomes=tuple(design.outcomes),
        items=tuple(data.items),
        item_categories=tuple(int(k) for k in data.item_categories),
        effects=tuple(data.design.columns),
        random_slopes=tuple(slopes) if slopes else None,
        slope_sd=slope_sd if slopes else None,
        parameterization=parameterization if projected else None,
        effects_by_construct=True if effects_by_construct else None,
        groups=tuple(data.groups) or None,
        group_sd=group_sd if data.groups else None,
        covariate_columns=(tuple(data.covariate_columns.columns)
                           if data.covariate_columns is not None else None),
        # gated besides the free variables when projected: the coefficients and the thresholds
        derived=(("beta", *(["beta_cov"] if data.covariate is not None else []),
                  *(["beta_columns"] if data.covariate_columns is not None else []),
                  *threshold_names(data.item_categories)) if projected else ()),
        priors=priors,
    )
    return model


def _projected_coefficients(data, priors: OrdinalPriors, effect_dims: tuple[str, ...]):
    """Add the projected form's variables; return the coefficients, ``u`` and ``gamma``.

    The coefficients are ``beta``, ``beta_cov`` and ``beta_columns`` (None without a covariate
    or covariate columns).

    One vignette per respondent, so the occasions are the respondents (in another order): the
    design columns of respondent ``i`` are those of its occasion.
    """
    occasion_of = np.empty(len(data.respondents), dtype=int)
    occasion_of[data.occasion_respondent] = np.arange(len(data.occasion_respondent))
    effects = list(data.design.columns)
    columns = [np.ones(len(data.respondents)), data.design.to_numpy(float)[occasion_of]]
    terms = ["intercept", *effects]
    if data.covariate is not None:
        columns.append(np.asarray(data.covariate, dtype=float))
        terms.append("covariate")
    adjusted = [] if data.covariate_columns is None else list(data.covariate_columns.columns)
    if adjusted:
        columns.append(data.covariate_columns.to_numpy(float)[occasion_of])
        terms += [f"column:{name}" for name in adjusted]
    u, gamma = projected_respondent_terms(np.column_stack(columns), terms)
    gamma_effects = gamma[1:1 + len(effects)]
    beta_in_sample = pm.Normal("beta_in_sample", gamma_effects, priors.effect_sd,
                               dims=effect_dims)
    beta = pm.Deterministic("beta", beta_in_sample - gamma_effects, dims=effect_dims)
    beta_cov = None
    if data.covariate is not None:
        at = -1 - len(adjusted)  # the covariate's term comes before the columns'
        cov_in_sample = pm.Normal("beta_cov_in_sample", gamma[at], priors.disposition_sd)
        beta_cov = pm.Deterministic("beta_cov", cov_in_sample - gamma[at])
    beta_columns = None
    if adjusted:
        gamma_columns = gamma[len(terms) - len(adjusted):]
        columns_in_sample = pm.Normal("beta_columns_in_sample", gamma_columns,
                                      priors.disposition_sd, dims="covariate_column")
        beta_columns = pm.Deterministic("beta_columns", columns_in_sample - gamma_columns,
                                        dims="covariate_column")
    return beta, beta_cov, beta_columns, u, gamma
