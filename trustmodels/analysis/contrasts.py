"""Contrasts of a declared design's factors, labelled with the study's own levels.

:func:`factor_contrasts` compares every pair of levels of one factor on the latent scale of
:func:`trustmodels.models.declared.build_design_model` (in latent standard deviations): each
contrast is the difference of the linear predictors of two design rows that differ only in that
factor, averaged with equal weights over the levels of the other factors (or shown per level of
one of them, ``by``), at chosen values of the moderators (their centres by default). Each row
carries the posterior mean, the HDI, the probability of direction and the decision against a
region of practical equivalence (:func:`trustmodels.analysis.effects.summarize_draws`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from trustmodels.analysis.effects import DEFAULT_HDI_PROB, summarize_draws
from trustmodels.design import StudyDesign, design_rows

__all__ = ["DEFAULT_LATENT_ROPE", "factor_contrasts"]

#: Half-width of the region of practical equivalence on the latent scale (latent SD).
DEFAULT_LATENT_ROPE = 0.1


def _raw_centre(moderator) -> float:
    return 10 ** moderator.centre if moderator.transform == "log10" else moderator.centre


def _mean_row(grid: pd.DataFrame, design: StudyDesign, factor: str, level: str,
              effects: list[str]):
    """Return the design row of ``factor`` at ``level``, averaged over the rows of ``grid``."""
    x = design_rows(grid.assign(**{factor: level}), design)
    if list(x.columns) != effects:
        raise ValueError("the fit's effects do not match the design's; was it fitted with this "
                         "design?")
    return x.to_numpy().mean(axis=0)


def factor_contrasts(idata, design: StudyDesign, factor: str, *,
                     by: str | None = None, at: Mapping[str, Sequence[float]] | None = None,
                     hdi_prob: float = DEFAULT_HDI_PROB,
                     rope: float = DEFAULT_LATENT_ROPE) -> pd.DataFrame:
    """Return every pairwise contrast of a factor's levels, with its posterior summary.

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
    hdi_prob : float
        HDI mass.
    rope : float
        Half-width of the region of practical equivalence (latent SD).

    Returns
    -------
    pandas.DataFrame
        One row per contrast (``"later - earlier"`` in the declared level order), level of
        ``by`` and moderator value: ``factor``, ``contrast``, [``by``], [moderators], ``mean``,
        ``hdi_low``, ``hdi_high``, ``p_direction``, ``p_in_rope``, ``decision``.

    Raises
    ------
    ValueError
        For a factor, ``by`` or moderator the design does not declare, a moderator value that
        its transform cannot take, or a fit of another design (one line each).
    """
    if factor not in design.factors:
        raise ValueError(f"{factor!r} is not a factor of the design; factors: "
                         f"{list(design.factors)}")
    if by is not None and (by not in design.factors or by == factor):
        raise ValueError(f"by={by!r} must be another factor of the design; factors: "
                         f"{list(design.factors)}")
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
    beta = idata["posterior"]["beta"]
    effects = [str(name) for name in beta["effect"].to_numpy()]
    draws = beta.stack(sample=("chain", "draw")).transpose("sample", "effect").to_numpy()
    moderator_values = {name: list((at or {}).get(name, [_raw_centre(m)]))
                        for name, m in design.moderators.items()}
    averaged = [name for name in design.factors if name not in (factor, by)]
    levels = design.factors[factor]
    rows = []
    for by_level in (design.factors[by] if by else [None]):
        for values in itertools.product(*moderator_values.values()):
            grid = pd.DataFrame(list(itertools.product(*(design.factors[n] for n in averaged)))
                                or [()], columns=averaged)
            if by:
                grid[by] = by_level
            for name, value in zip(moderator_values, values, strict=True):
                grid[name] = value

            for first, second in itertools.combinations(range(len(levels)), 2):
                weights = (_mean_row(grid, design, factor, levels[second], effects)
                           - _mean_row(grid, design, factor, levels[first], effects))
                summary = summarize_draws(draws @ weights, hdi_prob=hdi_prob,
                                          rope=(-rope, rope))
                row = {"factor": factor, "contrast": f"{levels[second]} - {levels[first]}"}
                if by:
                    row[by] = by_level
                row.update(dict(zip(moderator_values, values, strict=True)))
                row.update({key: summary[key] for key in
                            ("mean", "hdi_low", "hdi_high", "p_direction", "p_in_rope",
                             "decision")})
                rows.append(row)
    return pd.DataFrame(rows)
