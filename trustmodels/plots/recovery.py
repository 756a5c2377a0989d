"""The recovery figure: coverage and bias of every contrast over many simulated surveys."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from trustmodels.plots.style import SEQUENCE, style

__all__ = ["plot_recovery_performance"]


def plot_recovery_performance(performance: pd.DataFrame, *, label: str = "contrast",
                              nominal: float = 0.95, estimand: pd.Series | None = None,
                              title: str | None = "Recovery across SIMULATED surveys"):
    """Plot, per contrast, the coverage of the HDIs and the bias, with 95% Monte Carlo intervals.

    Parameters
    ----------
    performance : pandas.DataFrame
        Output of :func:`trustmodels.simulation.replications.recovery_performance`, with a
        column ``label`` that names each row.
    label : str
        Column with the row names.
    nominal : float
        The HDI mass (a vertical line in the coverage panel).
    estimand : pandas.Series, optional
        Per row, the value the model converges to minus the truth (from a very large survey),
        drawn in the bias panel as a cross: where the bias agrees with it, the model recovers
        its own estimand and the bias is the mismatch between model and simulator.
    title : str, optional
        Figure title; ``None`` for none.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: coverage and bias (posterior mean minus truth), one row per contrast.

    Examples
    --------
    >>> table = pd.DataFrame({"contrast": ["a", "b"], "coverage": [0.95, 0.8],
    ...     "coverage_se": [0.015, 0.03], "bias": [0.0, -0.05], "bias_se": [0.01, 0.01]})
    >>> [ax.get_xlabel() for ax in plot_recovery_performance(table).axes]
    ['coverage of the 95% HDI', 'bias (posterior mean - truth)']
    """
    if performance.empty:
        raise ValueError("the performance table is empty")
    names = performance[label].astype(str).tolist()
    y = np.arange(len(names))
    with style():
        fig, (left, right) = plt.subplots(1, 2, sharey=True,
                                          figsize=(8.0, 1.8 + 0.28 * len(names)))
        left.axvline(nominal, color="0.4", lw=0.8, label=f"nominal {nominal:.0%}")
        left.errorbar(performance["coverage"], y, xerr=1.96 * performance["coverage_se"],
                      fmt="o", color=SEQUENCE[0], ms=4, label="coverage, 95% MC interval")
        left.set_xlabel(f"coverage of the {nominal:.0%} HDI")
        left.set_yticks(y)
        left.set_yticklabels(names)
        left.invert_yaxis()
        right.axvline(0.0, color="0.4", lw=0.8)
        right.errorbar(performance["bias"], y, xerr=1.96 * performance["bias_se"], fmt="o",
                       color=SEQUENCE[1], ms=4, label="bias, 95% MC interval")
        if estimand is not None:
            right.scatter(np.asarray(estimand, dtype=float), y, marker="x", color="black", s=30,
                          zorder=4, label="large-survey estimate - truth")
        right.set_xlabel("bias (posterior mean - truth)")
        handles = [*left.get_legend_handles_labels()[0], *right.get_legend_handles_labels()[0]]
        texts = [*left.get_legend_handles_labels()[1], *right.get_legend_handles_labels()[1]]
        fig.legend(handles, texts, fontsize=8, loc="lower center", ncol=min(len(texts), 4),
                   bbox_to_anchor=(0.5, 0.0))
        if title:
            fig.suptitle(title)
        fig.tight_layout(rect=(0, 0.5 / (1.8 + 0.28 * len(names)), 1, 1))
    return fig
