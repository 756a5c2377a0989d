"""Kruschke's HDI+ROPE decision rule, shared by the contrasts of a fit and the design analysis.

One function so that a contrast of the book and a simulated study of the design analysis are
decided by the same rule in the same words.
"""

from __future__ import annotations

__all__ = ["DECISION_WORDS", "rope_decision"]

#: The three outcomes of the rule.
DECISION_WORDS = ("different from zero", "practically equivalent", "undecided")


def rope_decision(hdi_low: float, hdi_high: float, rope: tuple[float, float]) -> str:
    r"""Decide a contrast from its HDI and a region of practical equivalence (ROPE).

    Parameters
    ----------
    hdi_low, hdi_high : float
        Bounds of the highest-density interval.
    rope : tuple of float
        ROPE ``(low, high)``.

    Returns
    -------
    str
        "different from zero" when the HDI lies entirely outside the ROPE, "practically
        equivalent" when it lies entirely inside, "undecided" otherwise.

    See Also
    --------
    trustmodels.analysis.effects.summarize_draws : HDI, ROPE share and this decision of draws.
    trustmodels.planning.spec.normal_decision : the same rule on a normal posterior.

    Notes
    -----
    With the HDI :math:`[h_\text{low}, h_\text{high}]` and the ROPE
    :math:`[r_\text{low}, r_\text{high}]`: different from zero if :math:`h_\text{high} <
    r_\text{low}` or :math:`h_\text{low} > r_\text{high}`; practically equivalent if
    :math:`r_\text{low} \le h_\text{low}` and :math:`h_\text{high} \le r_\text{high}`.

    References
    ----------
    - Kruschke, J. K. (2018). Rejecting or accepting parameter values in Bayesian
      estimation. *Advances in Methods and Practices in Psychological Science*, 1(2), 270-280.

    Examples
    --------
    >>> rope_decision(0.3, 0.9, (-0.1, 0.1))
    'different from zero'
    >>> rope_decision(-0.05, 0.08, (-0.1, 0.1))
    'practically equivalent'
    >>> rope_decision(-0.05, 0.4, (-0.1, 0.1))
    'undecided'
    """
    if hdi_high < rope[0] or hdi_low > rope[1]:
        return "different from zero"
    if hdi_low >= rope[0] and hdi_high <= rope[1]:
        return "practically equivalent"
    return "undecided"
