"""Contrasts of a declared design's factors, labelled with the study's own levels.

:func:`factor_contrasts` compares every pair of levels of one factor on the latent scale of
:func:`trustmodels.models.declared.build_design_model` (in latent standard deviations): each
contrast is the difference of the linear predictors of two design rows that differ only in that
factor, averaged with equal weights over the levels of the other factors (or shown per level of
one of them, ``by``), at chosen values of the moderators (their centres by default). Each row
carries the posterior mean, the HDI, the probability of direction and the decision against a
region of practical equivalence (:func:`trustmodels.analysis.effects.summarize_draws`).

On the response scales (``scale="agree"``: the probability of an answer above the scale's
midpoint; ``scale="expected"``: the expected rating) each design row's linear predictor is
turned into category probabilities of every outcome item for a respondent drawn from the
population (the respondent term integrated out over its standard normal distribution, the
covariate at its mean), averaged over the items, and only then averaged over the other
factors' levels: on a nonlinear scale the average of the cells is not the cell of the average.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from trustmodels.analysis.effects import (
    DEFAULT_HDI_PROB,
    DEFAULT_ROPES,
    _item_parameters,
    _population_summaries,
    summarize_draws,
)
from trustmodels.design import StudyDesign, design_rows
from trustmodels.models.data import check_factor_and_by
from trustmodels.models.specification import DeclaredSpec, model_spec

__all__ = ["DEFAULT_LATENT_ROPE", "SCALES", "factor_contrasts", "raw_centre"]

#: Half-width of the region of practical equivalence on the latent scale (latent SD).
DEFAULT_LATENT_ROPE = DEFAULT_ROPES["latent"]
#: Scales of a contrast: latent SD, probability of agreeing, expected rating.
SCALES = ("latent", "agree", "expected")


def raw_centre(moderator) -> float:
    """Return a moderator's centre on the data's scale (``10 ** centre`` for log10).

    Examples
    --------
    >>> from trustmodels.design import Moderator
    >>> raw_centre(Moderator("log10", centre=4.0)), raw_centre(Moderator("none", centre=2.5))
    (10000.0, 2.5)
    """
    return 10 ** moderator.centre if moderator.transform == "log10" else moderator.centre


def _mean_row(grid: pd.DataFrame, design: StudyDesign, factor: str, level: str,
              effects: list[str]):
    """Return the design row of ``factor`` at ``level``, averaged over the rows of ``grid``."""
    x = design_rows(grid.assign(**{factor: level}), design)
    if list(x.columns) != effects:
        raise ValueError("the fit's effects do not match the design's; was it fitted with this "
                         "design?")
    return x.to_numpy().mean(axis=0)


def _response_scale(idata, draws, design, effects, scale, max_draws):
    """Return a function: design grid -> draws of the grid's mean on the response scale."""
    spec = model_spec(idata, DeclaredSpec,
                      "response-scale contrasts need a fit of build_design_model")
    lam, tau = _item_parameters(idata, spec)
    if max_draws is not None and draws.shape[0] > max_draws:
        keep = np.linspace(0, draws.shape[0] - 1, max_draws).round().astype(int)
        draws, lam, tau = draws[keep], lam[keep], tau[keep]
    column = 0 if scale == "agree" else 1

    def level_of(grid: pd.DataFrame) -> np.ndarray:
        x = design_rows(grid, design)
        if list(x.columns) != effects:
            raise ValueError("the fit's effects do not match the design's; was it fitted with "
                             "this design?")
        per_row = [_population_summaries(draws @ row, lam, tau, spec.item_categories,
                                         spec.link)[column].mean(axis=1)
                   for row in x.to_numpy()]
        return np.mean(per_row, axis=0)

    return level_of


def factor_contrasts(idata, design: StudyDesign, factor: str, *,
                     by: str | None = None, at: Mapping[str, Sequence[float]] | None = None,
                     pairs: Sequence[tuple[str, str]] | None = None,
                     scale: str = "latent", hdi_prob: float = DEFAULT_HDI_PROB,
                     rope: float | None = None, max_draws: int | None = 2000) -> pd.DataFrame:
    r"""Return every pairwise contrast of a factor's levels, with its posterior summary.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of :func:`trustmodels.models.declared.build_design_model` for ``design``.
    design : StudyDesign
        The declared design.
    factor : str
        The factor whose levels are compared.
    by : str, optional
        Another factor: contrasts per level of it instead of averaged over it.
    at : mapping of str to sequence of float, optional
        Raw values of moderators at which to compare (default: each moderator's centre).
    pairs : sequence of (str, str), optional
        The contrasts to report, each ``(first, second)`` for first minus second (default:
        every pair, later minus earlier in the declared level order).
    scale : {"latent", "agree", "expected"}
        Latent standard deviations, probability of agreeing (an answer above the midpoint),
        or expected rating (answer-scale points); see the module docstring.
    hdi_prob : float
        HDI mass.
    rope : float, optional
        Half-width of the region of practical equivalence, in the units of ``scale`` (default
        0.1 latent SD, 0.05 probability, 0.1 rating points).
    max_draws : int, optional
        On the response scales, use at most this many posterior draws (evenly thinned).

    Returns
    -------
    pandas.DataFrame
        One row per contrast (``"first - second"``), level of ``by``, moderator value and,
        for a fit with effects by construct, outcome construct: ``factor``, [``construct``],
        ``contrast``, [``by``], [moderators],
        ``scale``, ``mean``, ``hdi_low``, ``hdi_high``, ``hdi_prob``, ``p_direction``,
        ``rope_low``, ``rope_high``, ``p_in_rope``, ``decision`` (as in
        :func:`~trustmodels.analysis.effects.summarize_draws`, so that
        :func:`~trustmodels.plots.predictive.plot_contrasts_vs_truth` can draw the table); on
        the response scales also ``first_mean`` and ``second_mean`` (the posterior means of the
        contrast's first and second level on that scale, as in
        :func:`~trustmodels.analysis.effects.response_contrasts`).

    Raises
    ------
    ValueError
        For a factor, ``by`` or moderator the design does not declare, a moderator value that
        its transform cannot take, a pair naming an undeclared level, a fit of another design,
        or response-scale contrasts of a fit with effects by construct (one line each).

    See Also
    --------
    build_design_model : The model whose fit this function reads.
    summarize_draws : The summary of each contrast's draws.
    latent_contrasts : The seller-response contrasts of the simulated survey's fixed design.
    plot_factor_contrasts : A figure of this table.

    Notes
    -----
    Let :math:`\bar x_\ell` be the design row (:func:`trustmodels.design.design_rows`) with
    ``factor`` at level :math:`\ell`, averaged with equal weights over the rows of a grid that
    crosses the levels of the other factors (``by`` held at one level) with the moderators at the
    values of ``at`` (default: each moderator's centre). On the latent scale the contrast of the
    later level :math:`b` against the earlier level :math:`a` is, per posterior draw of the
    effects :math:`\beta`,

    .. math::

        \Delta_{ba} = (\bar x_b - \bar x_a)\, \beta,

    in standard deviations of the respondents' latent intercepts (per construct :math:`c`, with
    :math:`\beta_c`, for a fit with effects by construct). On the response scales each
    grid row :math:`r` with the factor at level :math:`\ell` (design row :math:`x_{r\ell}`) is
    first mapped to the answer scale and then averaged over the :math:`R` grid rows:

    .. math::

        m_\ell = \frac{1}{R} \sum_{r=1}^{R} \frac{1}{J} \sum_{j=1}^{J} \int \sum_{k=1}^{K_j}
            w_{jk}\, P\bigl(y_j = k \mid \eta = \lambda_j (x_{r\ell} \beta + u), \tau_j\bigr)\,
            \phi(u)\, du, \qquad \Delta_{ba} = m_b - m_a,

    over the :math:`J` outcome items, with :math:`\phi` the standard normal density of the
    respondent intercept (15-node Gauss-Hermite quadrature), the covariate at its mean
    (:math:`d = 0`), for a fit with random slopes the respondent's slope deviations at 0, and for
    a design with grouping factors (``design.groups``) each group's intercept at 0: a typical
    seller profile or rater. Covariate columns (``design.covariate_columns``) are held at
    their mean (z = 0); the respondent-level models carry their slopes among the effects,
    which therefore drop out of every contrast.
    The weights are :math:`w_{jk} = 1` for the answers above the midpoint of the scale,
    :math:`k > (K_j + 1) / 2` (:func:`~trustmodels.analysis.effects.first_agreeing_category`:
    5 to 7 of 7, 4 to 6 of 6), and 0 otherwise (``scale="agree"``) or
    :math:`w_{jk} = k` (``scale="expected"``). Each contrast's draws are summarized by
    :func:`summarize_draws`, with Kruschke's (2018) HDI+ROPE decision.

    References
    ----------
    - Kruschke, J. K. (2018). Rejecting or accepting parameter values in Bayesian
      estimation. *Advances in Methods and Practices in Psychological Science*, 1(2), 270-280.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {SCALES}")
    check_factor_and_by(design, factor, by)
    unknown = sorted(set(at or {}) - set(design.moderators))
    if unknown:
        raise ValueError(f"at={unknown} names no moderator of the design; moderators: "
                         f"{list(design.moderators)}")
    for name, values in (at or {}).items():
        bad = [v for v in values if not np.isfinite(v)
               or (design.moderators[name].transform == "log10" and v <= 0)]
        if bad:
            raise ValueError(f"at[{name!r}] has {bad}; expected finite values"
                             + (" > 0 (log10)" if design.moderators[name].transform == "log10"
                                else ""))
    levels = design.factors[factor]
    if pairs is None:
        pairs = [(levels[second], levels[first])
                 for first, second in itertools.combinations(range(len(levels)), 2)]
    pairs = [tuple(str(level) for level in pair) for pair in pairs]
    undeclared = sorted({level for pair in pairs for level in pair} - set(levels))
    if undeclared or any(len(pair) != 2 for pair in pairs):
        raise ValueError(f"pairs must be (first, second) levels of {factor!r}; "
                         + (f"{undeclared} are not among its levels {list(levels)}" if undeclared
                            else "got a pair of another length"))
    rope = DEFAULT_ROPES[scale] if rope is None else rope
    beta = idata["posterior"]["beta"]
    # covariate columns at their mean (z = 0) add nothing: drop the slopes that the
    # respondent-level models carry among their effects
    beta = beta.sel(effect=[e for e in beta["effect"].to_numpy()
                            if str(e) not in design.covariate_columns])
    effects = [str(name) for name in beta["effect"].to_numpy()]
    constructs = ([str(c) for c in beta["construct"].to_numpy()] if "construct" in beta.dims
                  else [None])
    if constructs != [None] and scale != "latent":
        raise ValueError(f"scale={scale!r}: response-scale contrasts of a fit with effects by "
                         "construct are not available; use scale='latent'")
    stacked = beta.stack(sample=("chain", "draw"))
    draws_of = {construct: (stacked if construct is None else stacked.sel(construct=construct))
                .transpose("sample", "effect").to_numpy() for construct in constructs}
    level_of = None
    if scale != "latent":
        level_of = _response_scale(idata, draws_of[None], design, effects, scale, max_draws)
    moderator_values = {name: list((at or {}).get(name, [raw_centre(m)]))
                        for name, m in design.moderators.items()}
    averaged = [name for name in design.factors if name not in (factor, by)]
    rows = []
    for construct, by_level in itertools.product(constructs,
                                                  design.factors[by] if by else [None]):
        draws = draws_of[construct]
        for values in itertools.product(*moderator_values.values()):
            grid = pd.DataFrame(list(itertools.product(*(design.factors[n] for n in averaged)))
                                or [()], columns=averaged)
            if by:
                grid[by] = by_level
            for name, value in zip(moderator_values, values, strict=True):
                grid[name] = value

            for first, second in pairs:
                if level_of is None:
                    weights = (_mean_row(grid, design, factor, first, effects)
                               - _mean_row(grid, design, factor, second, effects))
                    contrast, extra = draws @ weights, {}
                else:
                    high = level_of(grid.assign(**{factor: first}))
                    low = level_of(grid.assign(**{factor: second}))
                    contrast = high - low
                    extra = {"first_mean": float(high.mean()), "second_mean": float(low.mean())}
                summary = summarize_draws(contrast, hdi_prob=hdi_prob, rope=(-rope, rope))
                row = {"factor": factor}
                if construct is not None:
                    row["construct"] = construct
                row["contrast"] = f"{first} - {second}"
                if by:
                    row[by] = by_level
                row.update(dict(zip(moderator_values, values, strict=True)))
                row["scale"] = scale
                row.update({key: summary[key] for key in
                            ("mean", "hdi_low", "hdi_high", "hdi_prob", "p_direction",
                             "rope_low", "rope_high", "p_in_rope", "decision")})
                row.update(extra)
                rows.append(row)
    return pd.DataFrame(rows)
