"""Figures of predictive checks per answer category and of contrasts against a known truth."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from trustmodels.plots.style import CONDITION_COLORS, SEQUENCE, style

__all__ = ["plot_category_counts", "plot_contrasts_vs_truth"]

_GROUP_TITLES = {"prior_predictive": "Prior predictive", "posterior_predictive":
                 "Posterior predictive"}


def _suffix(simulated: bool) -> str:
    return " (SIMULATED data)" if simulated else ""


def plot_category_counts(table: pd.DataFrame, *, simulated: bool, labels=None,
                         ylabel: str = "answers"):
    """Plot observed answer counts per category against predicted counts with intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of :func:`trustmodels.analysis.checks.category_counts` (``item == "all"``); tables of
        several ``group`` values (prior and posterior predictive) are drawn side by side.
    simulated : bool
        Whether the data are simulated (said in the title).
    labels : sequence of str, optional
        Category labels for the x axis, wrapped to short lines (default the category codes).
    ylabel : str
        Label of the y axis.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per predictive group.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"item": "all", "category": [1, 2, 3], "observed": [5, 9, 4],
    ...     "predicted_mean": [6.0, 8.0, 4.0], "predicted_low": [3.0, 5.0, 2.0],
    ...     "predicted_high": [9.0, 11.0, 7.0], "inside": True,
    ...     "group": "posterior_predictive"})
    >>> len(plot_category_counts(table, simulated=True).axes)
    1
    """
    if table.empty:
        raise ValueError("the table of category counts is empty")
    groups = list(dict.fromkeys(table["group"]))
    with style():
        fig, axes = plt.subplots(1, len(groups), figsize=(max(3.6 * len(groups) + 0.6, 6.0), 3.6),
                                 sharey=False, squeeze=False)
        for ax, group in zip(axes[0], groups, strict=True):
            rows = table[table["group"] == group].sort_values("category")
            x = np.arange(len(rows))
            mean = rows["predicted_mean"].to_numpy(float)
            err = np.vstack([mean - rows["predicted_low"].to_numpy(float),
                             rows["predicted_high"].to_numpy(float) - mean])
            ax.bar(x, mean, color=SEQUENCE[0], alpha=0.35, label="predicted (mean)")
            ax.errorbar(x, mean, yerr=err, fmt="none", ecolor=SEQUENCE[0], capsize=3,
                        label="predicted (central interval)")
            ax.plot(x, rows["observed"].to_numpy(float), "o", color="black", ms=5,
                    label="observed")
            ax.set_xticks(x)
            ax.set_xticklabels([textwrap.fill(str(label), 11) for label in labels]
                               if labels is not None else [str(c) for c in rows["category"]])
            ax.set_xlabel("answer category")
            ax.set_title(_GROUP_TITLES.get(group, str(group)))
        axes[0][0].set_ylabel(ylabel)
        handles, names = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, names, loc="lower center", ncol=3, fontsize=8,
                   bbox_to_anchor=(0.5, 0.0))
        fig.suptitle("Answers per category: observed and predicted" + _suffix(simulated))
        fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def plot_contrasts_vs_truth(table: pd.DataFrame, *, simulated: bool, xlabel: str,
                            show_rope: bool = True):
    """Forest plot of contrasts (mean and HDI) by violation type, with the true values.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of :func:`trustmodels.analysis.effects.latent_contrasts` or
        :func:`~trustmodels.analysis.effects.response_contrasts` at one fan count, optionally joined
        with the truth by :func:`trustmodels.simulation.recovery.compare_with_truth` (column
        ``truth``).
        Several constructs are drawn as offset rows.
    simulated : bool
        Whether the data are simulated (said in the title).
    xlabel : str
        Label of the contrast axis (its scale).
    show_rope : bool
        Shade the region of practical equivalence (``rope_low`` .. ``rope_high``).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per violation type.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"construct": "all", "violation": ["competence", "integrity"],
    ...     "contrast": "apology - none", "mean": [0.6, 0.3], "hdi_low": [0.4, 0.1],
    ...     "hdi_high": [0.8, 0.5], "hdi_prob": 0.95, "rope_low": -0.1, "rope_high": 0.1,
    ...     "truth": [0.7, 0.4]})
    >>> len(plot_contrasts_vs_truth(table, simulated=True, xlabel="latent SD").axes)
    2
    """
    if table.empty:
        raise ValueError("the table of contrasts is empty")
    violations = list(dict.fromkeys(table["violation"]))
    contrasts = list(dict.fromkeys(table["contrast"]))
    constructs = list(dict.fromkeys(table["construct"]))
    offsets = np.linspace(-0.25, 0.25, len(constructs)) if len(constructs) > 1 else [0.0]
    hdi_prob = float(table["hdi_prob"].iloc[0])
    with style():
        fig, axes = plt.subplots(1, len(violations), sharex=True, sharey=True,
                                 figsize=(3.5 * len(violations) + 0.8, 1.0 + 0.9 * len(contrasts)),
                                 squeeze=False)
        for ax, violation in zip(axes[0], violations, strict=True):
            if show_rope and "rope_low" in table:
                ax.axvspan(float(table["rope_low"].iloc[0]), float(table["rope_high"].iloc[0]),
                           color="0.85", zorder=0, label="ROPE")
            ax.axvline(0.0, color="0.4", lw=0.8)
            for k, construct in enumerate(constructs):
                rows = table[(table["violation"] == violation)
                             & (table["construct"] == construct)]
                y = np.array([contrasts.index(c) for c in rows["contrast"]]) + offsets[k]
                first = rows["contrast"].str.split(" - ").str[0]
                colour = ([CONDITION_COLORS.get(f, SEQUENCE[0]) for f in first]
                          if len(constructs) == 1 else SEQUENCE[k % len(SEQUENCE)])
                ax.hlines(y, rows["hdi_low"], rows["hdi_high"], colors=colour, lw=2)
                name = "posterior mean" if len(constructs) == 1 else construct
                ax.scatter(rows["mean"], y, color=colour, s=25, zorder=3,
                           label=name)
                if "truth" in rows:
                    ax.scatter(rows["truth"], y, marker="x", color="black", s=30, zorder=4,
                               label="true value" if k == 0 else None)
            ax.set_yticks(range(len(contrasts)))
            ax.set_yticklabels(contrasts)
            ax.invert_yaxis()
            ax.set_title(f"{violation} violation")
            ax.set_xlabel(xlabel)
        handles, names = axes[0][-1].get_legend_handles_labels()
        unique = dict(zip(names, handles, strict=True))
        fig.legend(unique.values(), unique.keys(), fontsize=8, loc="lower center",
                   ncol=len(unique), bbox_to_anchor=(0.5, 0.0))
        fig.suptitle(f"Response contrasts, mean and {hdi_prob:.0%} HDI" + _suffix(simulated))
        fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
