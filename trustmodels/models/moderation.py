r"""Nonlinear moderation: the seller's response effects as smooth functions of the fan count.

The main model (:mod:`trustmodels.models.ordinal`) lets the apology and denial effects change
*linearly* in :math:`x = \log_{10}(\text{fans}) - 4`. Here each response effect, separately for
each violation type, is a smooth curve

.. math::

    \delta_{rv}(x) = a_{rv} + b_{rv}\,x + f_{rv}(x), \qquad
    f_{rv} \sim \mathrm{GP}\bigl(0,\ \sigma_f^2 \exp(-(x - x')^2 / 2\ell^2)\bigr),

with the Gaussian process approximated by the Hilbert-space method (HSGP; Riutort-Mayol et al.
2023), written as in :class:`pymc.gp.HSGP`: ``m`` sine basis functions on :math:`[-L, L]` whose
weights have standard-normal priors scaled by the square root of the kernel's spectral density
(:func:`hsgp_basis`; the kernel and its spectral density come from :mod:`pymc.gp.cov`).
Each basis function is stripped of its least-squares line over the respondents' fan counts
(:func:`detrend_basis`), so :math:`f_{rv}` is the curvature alone and :math:`a_{rv}, b_{rv}`
are the curve's line: on the data range the first sine is nearly constant and the second
nearly linear, and without this step they trade off against :math:`a` and :math:`b` (the
recovery fit then failed the gate with R-hat 1.045 and 160 divergences).
The linear part keeps the main model as the special case :math:`\sigma_f \to 0`; the four
curves share one amplitude :math:`\sigma_f`, the single smoothness parameter (as a penalized
spline's smoothing parameter), and a fixed length scale :math:`\ell`
(:attr:`SmoothPriors.lengthscale`). With :math:`\ell` free as well, the recovery fit left
96 divergent transitions (119 at target acceptance 0.95): on four decades of followers the
curvature of a detrended curve scales roughly as :math:`\sigma_f / \ell^2`, a curved ridge
that a few hundred respondents cannot resolve. The measurement part (item thresholds and
discriminations, respondent intercepts, the disposition covariate and the baseline trend of the
*no response* condition, ``integrity``, ``log_fans_c`` and ``integrity:log_fans_c``) is the main
model's.

The same model serves any declared design (:class:`~trustmodels.design.StudyDesign`; one
vignette per respondent): ``build_moderation_model(long, design=design, factor=..., by=...)``
turns the effects of ``factor``'s levels into smooth curves along the design's numeric
moderator, one per level of ``by`` (or one per level of ``factor``), and keeps the design's
other effects as the linear baseline. The simulated survey's model is the instance
``factor="seller_response", by="violation"`` along ``fan_count`` (a test compares the two
log densities).

The curves are also evaluated on a grid of fan counts :math:`10^2 \dots 10^6`
(``effect_curve``), from which :func:`response_contrasts` gives apology-minus-none and
apology-minus-denial, and :func:`floodlight` the *Bayesian floodlight* (Spiller et al. 2013;
Kruschke 2018): the fan counts where the 95% interval of a contrast excludes zero and where it
lies inside a region of practical equivalence (ROPE).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from trustmodels.datasets.simulated_design import (
    FAN_CENTER_LOG10,
    VIOLATION_LEVELS,
)
from trustmodels.design import StudyDesign
from trustmodels.models.data import (
    DEFAULT_OUTCOMES,
    DISPOSITION_CONSTRUCT,
    check_factor_and_by,
    ordinal_data_of_design,
    prepare_ordinal_data,
)
from trustmodels.models.likelihood import LINKS
from trustmodels.models.ordinal import (
    ordinal_answers,
    projected_respondent_terms,
    threshold_matrix,
)
from trustmodels.models.priors import OrdinalPriors, SmoothPriors
from trustmodels.models.specification import ModerationSpec

__all__ = [
    "BASELINE_EFFECTS",
    "FAN_GRID",
    "SmoothPriors",
    "build_moderation_model",
    "detrend_basis",
    "hsgp_basis",
]

#: Effects of the main model kept as linear terms: the *no response* condition's dependence on
#: the violation type and the fan count (the response effects are replaced by smooth curves).
BASELINE_EFFECTS = ("integrity", "log_fans_c", "integrity:log_fans_c")
#: Grid of log10 fan counts on which the curves are evaluated (10^2 .. 10^6 in steps of 0.1).
FAN_GRID = tuple(np.round(np.linspace(2.0, 6.0, 41), 10).tolist())
_TREATED = ("apology", "denial")


def hsgp_basis(x, n_basis: int, boundary_factor: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Return the Hilbert-space GP basis of a one-dimensional input (Riutort-Mayol et al. 2023).

    With :math:`S` the half-range of ``x`` around its midpoint :math:`x_0` and
    :math:`L = c\,S`, the Laplacian's Dirichlet eigenfunctions on :math:`[-L, L]` are
    :math:`\phi_j(x) = L^{-1/2} \sin(\omega_j (x - x_0 + L))` with frequencies
    :math:`\omega_j = \pi j / (2L)`, :math:`j = 1..m` (as in :class:`pymc.gp.HSGP`, whose
    :func:`~pymc.gp.hsgp_approx.calc_eigenvalues` gives the same frequencies). A GP with
    stationary kernel of spectral density :math:`s` is approximated by
    :math:`f(x) = \sum_j \phi_j(x)\, s(\omega_j)^{1/2}\, z_j`, :math:`z_j \sim N(0, 1)`.

    Parameters
    ----------
    x : array_like, shape (n,)
        Inputs (all points where the function is needed, so that one basis serves them all).
    n_basis : int
        Number ``m`` of basis functions.
    boundary_factor : float
        ``c > 1``.

    Returns
    -------
    basis : numpy.ndarray, shape (n, m)
        :math:`\phi_j(x_i)`.
    omega : numpy.ndarray, shape (m,)
        The frequencies :math:`\omega_j`.

    Examples
    --------
    >>> basis, omega = hsgp_basis(np.linspace(-2, 2, 401), 20, 2.0)
    >>> basis.shape, round(float(omega[0]), 4)
    ((401, 20), 0.3927)
    >>> gram = basis.T @ basis * (4 / 400)  # integral over [-2, 2], close to diagonal
    >>> bool(abs(gram[0, 1]) < 0.05)
    True
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("x must be a non-empty one-dimensional array of finite values")
    center = (x.max() + x.min()) / 2.0
    half_range = max((x.max() - x.min()) / 2.0, 1e-8)
    boundary = boundary_factor * half_range
    eigenvalues = pm.gp.hsgp_approx.calc_eigenvalues(np.array([boundary]), [int(n_basis)])
    omega = np.sqrt(eigenvalues[:, 0])
    basis = np.sin(omega[None, :] * (x[:, None] - center + boundary)) / np.sqrt(boundary)
    return basis, omega


def detrend_basis(basis: np.ndarray, x, fit_rows: int) -> np.ndarray:
    r"""Remove from each basis function its least-squares line fitted on the first rows.

    With :math:`D = [1, x]`, each column :math:`\phi_j` becomes
    :math:`\phi_j - D c_j`, where :math:`c_j` is the least-squares fit of :math:`\phi_j` on
    :math:`D` over the first ``fit_rows`` points (the respondents); the same line is removed at
    every point, so the result is still one function of :math:`x` evaluated at all points.
    A sum of detrended basis functions has no linear component over the fitted points, which
    leaves the level and slope of a curve to their own parameters.

    Parameters
    ----------
    basis : numpy.ndarray, shape (n, m)
        Basis functions evaluated at ``x`` (e.g. from :func:`hsgp_basis`).
    x : array_like, shape (n,)
        The inputs.
    fit_rows : int
        Number of leading points the lines are fitted on (at least 2).

    Returns
    -------
    numpy.ndarray, shape (n, m)

    Examples
    --------
    >>> x = np.linspace(-2, 2, 50)
    >>> basis, _ = hsgp_basis(x, 5, 2.0)
    >>> flat = detrend_basis(basis, x, 50)
    >>> bool(np.allclose(np.column_stack([np.ones(50), x]).T @ flat, 0.0))
    True
    """
    x = np.asarray(x, dtype=float)
    if not 2 <= fit_rows <= x.size or basis.shape[0] != x.size:
        raise ValueError("need a basis with one row per x and 2 <= fit_rows <= len(x)")
    design = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(design[:fit_rows], basis[:fit_rows], rcond=None)
    return basis - design @ coef


def build_moderation_model(
    long: pd.DataFrame,
    priors: OrdinalPriors | None = None,
    smooth: SmoothPriors | None = None,
    *,
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
    link: str = "logit",
    disposition: str | None = DISPOSITION_CONSTRUCT,
    log10_fans_grid: tuple[float, ...] = FAN_GRID,
    design: StudyDesign | None = None,
    factor: str | None = None,
    by: str | None = None,
    moderator: str | None = None,
    grid=None,
) -> pm.Model:
    r"""Build the main model with smooth (HSGP) apology and denial effects across fan counts.

    Or, for a declared design, the effects of one factor's levels as smooth curves along a
    numeric moderator (``design``, ``factor``, ``by``, ``moderator``).

    Parameters
    ----------
    long : pandas.DataFrame
        The tidy long table (``Survey.long``); fan counts must be at least 1.
    priors : OrdinalPriors, optional
        Priors of the measurement part and the baseline effects (default as in the main model).
    smooth : SmoothPriors, optional
        Priors and basis of the curves (default :class:`SmoothPriors`); for a declared design
        its ``lengthscale`` is in the moderator's transformed units.
    outcomes : tuple of str
        Outcome constructs (the design's own with ``design``).
    link : {"logit", "probit"}
        Link function.
    disposition : str or None
        Construct whose z-scored mean is the disposition covariate; None leaves it out (with
        ``design``, the design's covariate is used instead).
    log10_fans_grid : tuple of float
        Grid (log10 followers) on which the curves are stored as ``effect_curve``.
    design : StudyDesign, optional
        A declared design in which every respondent rates one vignette. Its effects that do
        not involve ``factor`` stay linear terms (the baseline); each level of ``factor`` but
        the reference gets a smooth curve along ``moderator``, one per level of ``by``.
    factor : str, optional
        With ``design``: the factor whose effects become curves (default: its first factor).
    by : str, optional
        With ``design``: another factor whose levels get curves of their own (default: none,
        one curve per level of ``factor``).
    moderator : str, optional
        With ``design``: the numeric moderator (default: the design's only one).
    grid : array_like, optional
        With ``design``: the moderator's values, on its transformed scale (e.g. log10
        followers), at which ``effect_curve`` is stored (default: 41 points across the observed
        range).

    Returns
    -------
    pymc.Model
        Coordinates ``respondent``, ``item``, ``effect`` (:data:`BASELINE_EFFECTS`),
        ``response_effect`` (apology, denial), ``violation``, ``basis``, ``fan_grid``, ``obs``
        ``design_term`` and the threshold coordinates; free variables ``beta_in_sample``,
        ``beta_disp_in_sample``, ``u_design``, ``u_residual`` (the projected respondent terms
        of :func:`~trustmodels.models.ordinal.projected_respondent_terms`, whose design columns
        here are the intercept, the baseline effects, the four curves' levels and slopes and
        the disposition), ``lambda``, ``cutpoints``, ``curve_level_in_sample``,
        ``curve_slope_in_sample``, ``gp_amplitude``, ``gp_weights``;
        deterministic ``beta``, ``beta_disp``, ``curve_level``, ``curve_slope`` and
        ``effect_curve`` with dims ``(response_effect, violation, fan_grid)``; observed ``y``.
        ``model.respondent_variation`` is the tensor of :math:`u_i`. For a declared design
        the curve dimensions are named after the design, ``(factor, by, <moderator>_grid)``
        (``by`` is ``"pooled"``, with the one level ``"all"``, when not given), ``effect``
        holds the baseline effects under the design's names, and the covariate's slope is
        ``beta_cov`` (data ``covariate``).

    Raises
    ------
    ValueError
        Bad input (one line), a design with several vignettes per respondent, an undeclared
        factor or moderator, ``by`` equal to ``factor``, or a design without a moderator.

    See Also
    --------
    build_ordinal_model : The main model, with effects that change linearly in the fan count.
    hsgp_basis : The Hilbert-space basis functions of the curves.
    detrend_basis : Removes each basis function's least-squares line.
    trustmodels.analysis.floodlight.floodlight : Fan counts where a contrast of the curves is
        credibly positive, credibly negative or practically equivalent.

    Notes
    -----
    The main model with the *no response* condition's baseline (:data:`BASELINE_EFFECTS`) as
    linear terms and the effect of each seller response :math:`r` (apology, denial) under each
    violation type :math:`v` as a smooth curve in :math:`x = \log_{10}(\text{fans}) - 4`:

    .. math::

        \theta_i &= X_i \beta + \beta_\text{disp}\, d_i + \delta_{r(i) v(i)}(x_i) + u_i \\
        \delta_{rv}(x) &= a_{rv} + b_{rv}\, x + f_{rv}(x), \qquad
        f_{rv}(x) = \sum_{m} \tilde\phi_m(x)\, s(\omega_m)^{1/2}\, w_{rvm}

    (:math:`\delta = 0` for respondents who saw no response), with :math:`w_{rvm} \sim
    \mathrm{Normal}(0, 1)`, :math:`\tilde\phi_m` the Hilbert-space (HSGP) basis functions
    (:func:`hsgp_basis`; Riutort-Mayol et al., 2023) stripped of their least-squares line
    over the respondents' fan counts (:func:`detrend_basis`), and :math:`s` the spectral density
    of the squared-exponential kernel :math:`\sigma_f^2 \exp(-(x - x')^2 / 2\ell^2)`. The curvature
    :math:`f_{rv}` is thus separate from the curve's line :math:`a_{rv} + b_{rv} x`. Priors
    (:class:`SmoothPriors`): :math:`a_{rv} \sim \mathrm{Normal}(0, \sigma_a)` (``level_sd``),
    :math:`b_{rv} \sim \mathrm{Normal}(0, \sigma_b)` (``slope_sd``), one amplitude
    :math:`\sigma_f \sim \mathrm{HalfNormal}(\sigma_A)` (``amplitude_sd``) shared by the four
    curves, and a fixed length scale :math:`\ell` (``lengthscale``). As :math:`\sigma_f \to 0`
    the model becomes the main model's linear moderation. The measurement part (thresholds,
    discriminations, respondent terms in the projected form) is the main model's.

    The curves are stored on ``log10_fans_grid`` as ``effect_curve``, from which
    :mod:`trustmodels.analysis.floodlight` gives the contrasts between responses along the grid
    and the Bayesian floodlight (Spiller et al., 2013). The module docstring gives the details.

    References
    ----------
    - Riutort-Mayol, G., Bürkner, P.-C., Andersen, M. R., Solin, A., & Vehtari, A. (2023).
      Practical Hilbert space approximate Bayesian Gaussian processes for probabilistic
      programming. *Statistics and Computing*, 33(1), 17.
    - Spiller, S. A., Fitzsimons, G. J., Lynch, J. G., Jr., & McClelland, G. H. (2013).
      Spotlights, floodlights, and the magic number zero: Simple effects tests in moderated
      regression. *Journal of Marketing Research*, 50(2), 277-288.

    Examples
    --------
    >>> from trustmodels.simulation.simulate import simulate_main_model
    >>> from trustmodels.survey.codebook import Codebook
    >>> from trustmodels.survey.table import survey_from_frame
    >>> sim = simulate_main_model(n_per_cell=3, seed=1)
    >>> long = survey_from_frame(sim.wide, Codebook.from_dict(sim.codebook)).long
    >>> model = build_moderation_model(long)
    >>> model.named_vars_to_dims["effect_curve"]
    ('response_effect', 'violation', 'fan_grid')
    """
    if link not in LINKS:
        raise ValueError(f"unknown link {link!r}; expected one of {LINKS}")
    priors = OrdinalPriors() if priors is None else priors
    smooth = SmoothPriors() if smooth is None else smooth
    if design is None:
        data = prepare_ordinal_data(long, outcomes=outcomes, disposition=disposition,
                                    effects=BASELINE_EFFECTS)
        table = data.respondent_table
        x_respondent = np.log10(table["fan_count"].to_numpy(float)) - FAN_CENTER_LOG10
        grid = np.asarray(log10_fans_grid, dtype=float)
        x_grid = grid - FAN_CENTER_LOG10
        factor_values = table["seller_response"].astype(str).to_numpy()
        treated, by_levels = _TREATED, VIOLATION_LEVELS
        by_values = table["violation"].astype(str).to_numpy()
        dims = ("response_effect", "violation", "fan_grid")
        covariate_names = ("disposition", "beta_disp")
        declared = {}
    else:
        data, declared = _declared_inputs(long, design, factor, by, moderator)
        table = data.respondent_table
        chosen = design.moderators[declared["moderator"]]
        x_respondent = chosen.apply(table[declared["moderator"]].to_numpy(float))
        observed = x_respondent + chosen.centre
        grid = (np.linspace(observed.min(), observed.max(), 41) if grid is None
                else np.asarray(grid, dtype=float))
        if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)):
            raise ValueError("grid must hold at least two finite values of the moderator "
                             "(on its transformed scale)")
        x_grid = grid - chosen.centre
        factor_values = table[declared["factor"]].astype(str).to_numpy()
        treated = declared["factor_levels"][1:]
        if declared["by"] is None:
            by_levels, by_values = ("all",), np.full(len(table), "all")
        else:
            by_levels = design.factors[declared["by"]]
            by_values = table[declared["by"]].astype(str).to_numpy()
        dims = (declared["factor"], declared["by"] or "pooled", f"{declared['moderator']}_grid")
        covariate_names = ("covariate", "beta_cov")
    # one-hot (respondent, curve level, by level): which curve applies to whom
    cell = np.stack([np.stack([(factor_values == r) & (by_values == v) for v in by_levels],
                              axis=-1) for r in treated], axis=1).astype(float)
    coords = {
        "respondent": list(data.respondents),
        "item": list(data.items),
        "effect": list(data.effects),
        dims[0]: list(treated),
        dims[1]: list(by_levels),
        "basis": list(range(smooth.n_basis)),
        dims[2]: grid.tolist(),
        "obs": np.arange(data.response.size),
    }
    # design columns of the projected respondent terms: intercept, baseline effects, the
    # curves' levels (cell indicators) and slopes, disposition
    n_effects = len(data.effects)
    cell_columns = cell.reshape(len(cell), -1)
    columns = [np.ones(len(cell)), data.design.to_numpy(float), cell_columns,
               cell_columns * x_respondent[:, None]]
    cells = [f"{r}:{v}" for r in treated for v in by_levels]
    terms = (["intercept", *data.effects] + [f"level[{c}]" for c in cells]
             + [f"slope[{c}]" for c in cells])
    if data.disposition is not None:
        columns.append(np.asarray(data.disposition, dtype=float)[:, None])
        terms.append("disposition")
    with pm.Model(coords=coords) as model:
        x = pm.Data("X", data.design.to_numpy(float), dims=("respondent", "effect"))
        u, gamma = projected_respondent_terms(np.column_stack(columns), terms)
        n_cells = len(cells)
        shape = (len(treated), len(by_levels))
        gamma_beta = gamma[1:1 + n_effects]
        gamma_level = gamma[1 + n_effects:1 + n_effects + n_cells].reshape(shape)
        gamma_slope = gamma[1 + n_effects + n_cells:1 + n_effects + 2 * n_cells].reshape(shape)
        beta_in_sample = pm.Normal("beta_in_sample", gamma_beta, priors.effect_sd, dims="effect")
        beta = pm.Deterministic("beta", beta_in_sample - gamma_beta, dims="effect")
        theta = pt.dot(x, beta)
        if data.disposition is not None:
            data_name, slope_name = covariate_names
            d = pm.Data(data_name, data.disposition, dims="respondent")
            disp_in_sample = pm.Normal(f"{slope_name}_in_sample", gamma[-1],
                                       priors.disposition_sd)
            beta_disp = pm.Deterministic(slope_name, disp_in_sample - gamma[-1])
            theta = theta + beta_disp * d

        level_in_sample = pm.Normal("curve_level_in_sample", gamma_level, smooth.level_sd,
                                    dims=dims[:2])
        level = pm.Deterministic("curve_level", level_in_sample - gamma_level, dims=dims[:2])
        slope_in_sample = pm.Normal("curve_slope_in_sample", gamma_slope, smooth.slope_sd,
                                    dims=dims[:2])
        slope = pm.Deterministic("curve_slope", slope_in_sample - gamma_slope, dims=dims[:2])
        amplitude = pm.HalfNormal("gp_amplitude", smooth.amplitude_sd)
        kernel = amplitude**2 * pm.gp.cov.ExpQuad(1, ls=smooth.lengthscale)
        x_all = np.concatenate([x_respondent, x_grid])
        basis, omega = hsgp_basis(x_all, smooth.n_basis, smooth.boundary_factor)
        basis = detrend_basis(basis, x_all, x_respondent.size)
        sqrt_psd = pt.sqrt(kernel.power_spectral_density(omega[:, None]))
        weights = pm.Normal("gp_weights", 0.0, 1.0, dims=(*dims[:2], "basis"))
        wiggle = pt.tensordot(weights * sqrt_psd, basis.T, axes=1)  # (r, v, n_all)
        curves = (level[:, :, None] + slope[:, :, None] * x_all[None, None, :]
                  + wiggle)
        n = x_respondent.size
        pm.Deterministic("effect_curve", curves[:, :, n:], dims=dims)
        own_curve = pt.sum(pt.as_tensor(cell) * pt.transpose(curves[:, :, :n], (2, 0, 1)),
                           axis=(1, 2))
        model.respondent_variation = u
        theta = theta + own_curve + u
        lam = pm.LogNormal("lambda", 0.0, priors.discrimination_log_sd, dims="item")
        # plain thresholds, unlike the main model: sampled there as offsets from lam_j * gamma_0,
        # here they gave 2 divergent transitions (4 x (1000 + 2000) draws) and a failed gate
        cutpoints = threshold_matrix(data.items, data.item_categories, priors, link)
        eta = lam[data.item_index] * theta[data.respondent_index]
        ordinal_answers("y", eta, cutpoints, data.item_index, data.n_categories, data.response,
                        link)
    model.trustmodels_spec = ModerationSpec(
        link=link,
        disposition=data.disposition is not None,
        items=tuple(data.items),
        effects=tuple(data.effects),
        priors=priors,
        smooth=smooth,
        log10_fans_grid=tuple(grid.tolist()),
        derived=("beta", covariate_names[1], "curve_level", "curve_slope")
        if data.disposition is not None else ("beta", "curve_level", "curve_slope"),
        **declared,
    )
    return model


def _involves(effect: str, factor: str) -> bool:
    """Whether a declared effect name (``a[x]:log10(m)``) has a part of ``factor``."""
    return any(part.startswith(f"{factor}[") for part in effect.split(":"))


def _declared_inputs(long: pd.DataFrame, design: StudyDesign, factor, by, moderator):
    """Return the data of a declared design with its baseline effects, and the spec's fields."""
    factor = next(iter(design.factors), None) if factor is None else factor
    check_factor_and_by(design, factor, by)
    if moderator is None:
        if len(design.moderators) != 1:
            raise ValueError("the smooth moderation model runs along one numeric moderator; "
                             f"the design declares {len(design.moderators)} "
                             f"({list(design.moderators)}): name one with moderator=")
        moderator = next(iter(design.moderators))
    if moderator not in design.moderators:
        raise ValueError(f"moderator={moderator!r} is not a moderator of the design; "
                         f"moderators: {list(design.moderators)}")
    taken = {"respondent", "item", "effect", "basis", "obs", "design_term"}
    clash = sorted({factor, by or "pooled", f"{moderator}_grid"} & taken)
    if clash:
        raise ValueError(f"the design name {clash[0]!r} is also a coordinate of the model; "
                         "rename it in the data and the codebook")
    data = ordinal_data_of_design(long, design)
    baseline = [name for name in data.design.columns if not _involves(name, factor)]
    data = replace(data, design=data.design[baseline])
    fields = {"factor": factor, "factor_levels": tuple(design.factors[factor]), "by": by,
              "moderator": moderator, "transform": design.moderators[moderator].transform,
              "centre": float(design.moderators[moderator].centre),
              "covariate": design.covariate}
    return data, fields
