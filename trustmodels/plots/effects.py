"""Figures of the model results: contrasts with their ROPE, predictive checks, fan-count ribbons.

Each function draws one figure from a tidy table of :mod:`trustmodels.analysis.effects` or
:mod:`trustmodels.analysis.checks` in the compendium's style (:mod:`trustmodels.plots.style`) and
returns
the matplotlib figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from trustmodels.plots.style import CONDITION_COLORS, SEQUENCE, style

__all__ = ["plot_contrast_forest", "plot_contrasts_across_fans", "plot_ppc_categories"]


def plot_contrast_forest(table: pd.DataFrame, *, title: str | None = None):
    """Forest plot of contrasts: posterior mean and HDI per row, with the ROPE as a band.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`trustmodels.analysis.effects.latent_contrasts` or
        :func:`~trustmodels.analysis.effects.response_contrasts`.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"contrast": ["apology - none"], "violation": ["competence"],
    ...     "fan_count": [10_000], "mean": [0.5], "hdi_low": [0.2], "hdi_high": [0.8],
    ...     "rope_low": [-0.1], "rope_high": [0.1], "hdi_prob": [0.95], "scale": ["latent"],
    ...     "construct": ["all"]})
    >>> len(plot_contrast_forest(rows).axes)
    1
    """
    with style():
        labels = [f"{r.contrast} | {r.violation} | {int(r.fan_count):,} fans"
                  + ("" if r.construct == "all" else f" | {r.construct}")
                  for r in table.itertuples()]
        fig, ax = plt.subplots(figsize=(7.0, 0.35 * len(table) + 1.2))
        y = np.arange(len(table))[::-1]
        ax.axvspan(table["rope_low"].iloc[0], table["rope_high"].iloc[0], color="0.85",
                   label="ROPE", zorder=0)
        ax.axvline(0, color="0.4", lw=0.8)
        first = table["contrast"].str.split(" - ").str[0]
        colors = [CONDITION_COLORS.get(name, SEQUENCE[0]) for name in first]
        ax.hlines(y, table["hdi_low"], table["hdi_high"], colors=colors, lw=2)
        ax.scatter(table["mean"], y, c=colors, zorder=3, s=18)
        ax.set_yticks(y, labels)
        unit = {"latent": "latent SD", "agree": "probability of agreeing",
                "expected": "rating points"}.get(table["scale"].iloc[0], "")
        prob = float(table["hdi_prob"].iloc[0])
        ax.set_xlabel(f"Contrast ({unit}); posterior mean and {prob:.0%} HDI")
        ax.legend(loc="lower right")
        if title:
            ax.set_title(title)
        return fig


def plot_ppc_categories(counts: pd.DataFrame, *, title: str | None = None):
    """Observed answer counts per category (bars) against predicted counts (points, interval).

    Parameters
    ----------
    counts : pandas.DataFrame
        Output of :func:`trustmodels.analysis.checks.category_counts` (one panel per item).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    with style():
        items = list(dict.fromkeys(counts["item"]))
        n_cols = min(len(items), 4)
        n_rows = int(np.ceil(len(items) / n_cols))
        fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.6 * n_cols + 0.6, 2.4 * n_rows),
                                 squeeze=False, sharey=len(items) > 1)
        for ax, item in zip(axes.ravel(), items, strict=False):
            part = counts[counts["item"] == item]
            ax.bar(part["category"], part["observed"], color="0.75", label="observed")
            ax.errorbar(part["category"], part["predicted_mean"],
                        yerr=[part["predicted_mean"] - part["predicted_low"],
                              part["predicted_high"] - part["predicted_mean"]],
                        fmt="o", color=SEQUENCE[0], ms=3, label="predicted")
            ax.set_title(item if item != "all" else "all answers")
            ax.set_xticks(part["category"])
        for ax in axes.ravel()[len(items):]:
            ax.set_visible(False)
        axes[0, 0].set_ylabel("answers")
        axes[0, 0].legend()
        group = str(counts["group"].iloc[0]).replace("_", " ")
        fig.suptitle(title or f"{group.capitalize()} check per answer category")
        fig.tight_layout()
        return fig


def plot_contrasts_across_fans(table: pd.DataFrame, *, contrast: str = "apology - none",
                               title: str | None = None):
    """Contrast against log10 fan count with its HDI ribbon, one panel per violation type.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`trustmodels.analysis.effects.contrasts_across_fans`.
    contrast : str
        Which contrast to draw.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (the ROPE is shaded; where the ribbon leaves it the contrast is credibly
        non-negligible, a Bayesian floodlight analysis).
    """
    with style():
        part = table[table["contrast"] == contrast]
        violations = list(dict.fromkeys(part["violation"]))
        fig, axes = plt.subplots(1, len(violations), figsize=(3.6 * len(violations), 3.2),
                                 sharey=True, squeeze=False)
        color = CONDITION_COLORS.get(contrast.split(" - ")[0], SEQUENCE[0])
        for ax, violation in zip(axes[0], violations, strict=True):
            rows = part[part["violation"] == violation].sort_values("log10_fans")
            for k, (construct, sub) in enumerate(rows.groupby("construct", sort=False)):
                shade = color if construct == "all" else SEQUENCE[k % len(SEQUENCE)]
                ax.fill_between(sub["log10_fans"], sub["hdi_low"], sub["hdi_high"], alpha=0.3,
                                color=shade, lw=0)
                ax.plot(sub["log10_fans"], sub["mean"], color=shade,
                        label=None if construct == "all" else construct)
            ax.axhspan(rows["rope_low"].iloc[0], rows["rope_high"].iloc[0], color="0.85",
                       zorder=0)
            ax.axhline(0, color="0.4", lw=0.8)
            ax.set_title(f"{violation} violation")
            ax.set_xlabel("log10 fan count")
        axes[0, 0].set_ylabel(f"{contrast} ({float(part['hdi_prob'].iloc[0]):.0%} HDI)")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        return fig
