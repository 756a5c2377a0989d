"""Figures of any declared design: contrasts, contrasts across a moderator, checks by condition.

They draw the tables of :func:`trustmodels.analysis.contrasts.factor_contrasts` and
:func:`trustmodels.analysis.checks.category_counts` (``by=`` conditions), labelled with the
study's own factor and level names, in the compendium's style (:mod:`trustmodels.plots.style`).
"""

from __future__ import annotations

import numbers

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from trustmodels.plots.style import SEQUENCE, style

__all__ = ["plot_contrasts_across", "plot_counts_by_condition", "plot_cumulative_logit_shifts",
           "plot_factor_contrasts"]

#: Axis label of each contrast scale.
SCALE_LABELS = {"latent": "contrast (latent SD)", "agree": "contrast (probability of agreeing)",
                "expected": "contrast (expected rating, answer-scale points)"}
_SUMMARY = {"factor", "contrast", "scale", "mean", "hdi_low", "hdi_high", "hdi_prob", "p_direction",
            "p_in_rope", "decision", "first_mean", "second_mean", "rope_low", "rope_high"}


def _row_label(row: pd.Series, extra: list[str]) -> str:
    parts = [str(row["contrast"])]
    for name in extra:
        value = row[name]
        number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        parts.append(f"{name} {value:,.10g}" if number else f"{name}={value}")
    return " | ".join(parts)


def plot_factor_contrasts(table: pd.DataFrame, *, rope: float | None = None,
                          title: str | None = None):
    """Forest plot of a factor's contrasts: posterior mean and HDI per row, the ROPE as a band.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`trustmodels.analysis.contrasts.factor_contrasts` (one scale).
    rope : float, optional
        Half-width of the region of practical equivalence to shade.
    title : str, optional
        Figure title (default: the factor's name).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rows = pd.DataFrame({"factor": ["temp"], "contrast": ["warm - cold"], "scale": ["latent"],
    ...                      "mean": [2.5], "hdi_low": [1.4], "hdi_high": [3.7]})
    >>> fig = plot_factor_contrasts(rows, rope=0.1)
    >>> fig.axes[0].get_yticklabels()[0].get_text()
    'warm - cold'
    >>> at = rows.assign(followers=np.int64(10_000))
    >>> plot_factor_contrasts(at).axes[0].get_yticklabels()[0].get_text()
    'warm - cold | followers 10,000'
    """
    if table.empty:
        raise ValueError("the contrast table is empty; nothing to plot")
    scales = table["scale"].unique().tolist() if "scale" in table else ["latent"]
    if len(scales) != 1:
        raise ValueError(f"the table mixes the scales {scales}; plot one scale at a time")
    extra = [name for name in table.columns if name not in _SUMMARY]
    with style():
        fig, ax = plt.subplots(figsize=(7.0, 0.4 * len(table) + 1.4))
        y = np.arange(len(table))[::-1]
        if rope:
            ax.axvspan(-rope, rope, color="0.85", label="ROPE", zorder=0)
        ax.axvline(0, color="0.4", lw=0.8)
        prob = float(table["hdi_prob"].iloc[0]) if "hdi_prob" in table else 0.95
        ax.hlines(y, table["hdi_low"], table["hdi_high"], colors=SEQUENCE[0], lw=2.2,
                  label=f"{prob:.0%} HDI")
        ax.scatter(table["mean"], y, color=SEQUENCE[0], zorder=3, s=22, label="posterior mean")
        ax.set_yticks(y, [_row_label(row, extra) for _, row in table.iterrows()])
        ax.set_xlabel(SCALE_LABELS.get(scales[0], scales[0]))
        ax.set_title(title or f"Contrasts of {table['factor'].iloc[0]}")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        fig.tight_layout()
    return fig


def plot_contrasts_across(table: pd.DataFrame, moderator: str, *, rope: float | None = None,
                          log_axis: bool = False, title: str | None = None):
    """Floodlight of a factor's contrasts across a numeric moderator (pointwise HDI bands).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`trustmodels.analysis.contrasts.factor_contrasts` at a grid of the moderator's
        values (``at={moderator: grid}``), one scale.
    moderator : str
        The moderator column.
    rope : float, optional
        Half-width of the region of practical equivalence to shade.
    log_axis : bool
        Log-scaled horizontal axis (for a log10 moderator).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rows = pd.DataFrame({"factor": "r", "contrast": "b - a", "scale": "latent",
    ...     "fans": [1e2, 1e4, 1e6], "mean": [0.6, 0.4, 0.2], "hdi_low": [0.3, 0.2, -0.2],
    ...     "hdi_high": [0.9, 0.6, 0.6]})
    >>> len(plot_contrasts_across(rows, "fans", log_axis=True).axes[0].lines)
    2
    """
    if moderator not in table:
        raise ValueError(f"the table has no column {moderator!r}; compute the contrasts with "
                         f"at={{{moderator!r}: [...]}}")
    with style():
        fig, ax = plt.subplots(figsize=(7.0, 4.0))
        if rope:
            ax.axhspan(-rope, rope, color="0.88", zorder=0, label="ROPE")
        ax.axhline(0, color="0.4", lw=0.8)
        linestyles = ("-", "--", ":", "-.")
        prob = float(table["hdi_prob"].iloc[0]) if "hdi_prob" in table else 0.95
        for number, (contrast, rows) in enumerate(table.groupby("contrast", sort=False)):
            rows = rows.sort_values(moderator)
            color = SEQUENCE[number % len(SEQUENCE)]
            ax.fill_between(rows[moderator], rows["hdi_low"], rows["hdi_high"], color=color,
                            alpha=0.25, lw=0)
            ax.plot(rows[moderator], rows["mean"], color=color,
                    ls=linestyles[number % len(linestyles)],
                    label=f"{contrast} ({prob:.0%} HDI band)")
        if log_axis:
            ax.set_xscale("log")
        ax.set_xlabel(moderator)
        scale = table["scale"].iloc[0] if "scale" in table else "latent"
        ax.set_ylabel(SCALE_LABELS.get(scale, scale))
        ax.set_title(title or f"Contrasts of {table['factor'].iloc[0]} across {moderator} "
                     "(pointwise bands)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        fig.tight_layout()
    return fig


def plot_counts_by_condition(table: pd.DataFrame, *, title: str | None = None):
    """Predictive check by condition: observed answer shares against predicted intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`trustmodels.analysis.checks.category_counts` with ``by=`` conditions (column
        ``condition``).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per condition: per answer category the predicted share (mean and central
        interval, bars) and the observed share (points). A panel's title gives each factor's
        level on its own line.

    Examples
    --------
    >>> rows = pd.DataFrame({"item": "all", "condition": ["a", "a", "b", "b"],
    ...     "category": [1, 2, 1, 2], "observed": [3, 1, 1, 3], "predicted_mean": [2.5, 1.5, 1, 3],
    ...     "predicted_low": [1, 0, 0, 2], "predicted_high": [4, 3, 2, 4], "group": "x"})
    >>> len(plot_counts_by_condition(rows).axes)
    2
    """
    if "condition" not in table:
        raise ValueError("the table has no 'condition' column; use category_counts(..., by=...)")
    conditions = list(dict.fromkeys(table["condition"]))
    columns = min(len(conditions), 3)
    rows_needed = int(np.ceil(len(conditions) / columns))
    with style():
        fig, axes = plt.subplots(rows_needed, columns, figsize=(3.0 * columns + 0.6,
                                                                2.4 * rows_needed + 0.8),
                                 sharey=True, squeeze=False)
        for ax, condition in zip(axes.ravel(), conditions, strict=False):
            rows = table[table["condition"] == condition]
            total = rows["observed"].sum()
            x = rows["category"].to_numpy()
            low = rows["predicted_low"].to_numpy() / total
            high = rows["predicted_high"].to_numpy() / total
            ax.bar(x, high - low, bottom=low, color=SEQUENCE[0], alpha=0.35, width=0.6,
                   label="predicted (interval)")
            ax.scatter(x, rows["observed"] / total, color="black", zorder=3, s=16,
                       label="observed")
            # one line per factor ("factor=level, factor=level"), so long names stay apart
            ax.set_title(str(condition).replace(", ", "\n"), fontsize=9)
            ax.set_xticks(x)
        for ax in axes.ravel()[len(conditions):]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_ylabel("share of answers")
        for ax in axes[-1, :]:
            ax.set_xlabel("answer category")
        axes[0, 0].legend(loc="upper left", fontsize=8, frameon=False)
        fig.suptitle(title or "Predicted and observed answers by condition")
        fig.tight_layout()
    return fig


def plot_cumulative_logit_shifts(table: pd.DataFrame, *, title: str | None = None):
    """Proportional-odds check: each threshold's departure from a parallel shift.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`trustmodels.analysis.proportional_odds.cumulative_logit_shifts`.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per compared pair: per threshold the predictive interval of the departure
        (bar) and the observed departure (point; open where it lies outside the interval).

    Raises
    ------
    ValueError
        When the table lacks the columns of ``cumulative_logit_shifts``.

    See Also
    --------
    trustmodels.analysis.proportional_odds.cumulative_logit_shifts : the table.

    Examples
    --------
    >>> rows = pd.DataFrame({"condition": "b", "reference": "a", "threshold": [1, 2],
    ...     "observed": [0.1, -0.1], "predicted_low": [-0.2, -0.2], "predicted_high": [0.2, 0.2],
    ...     "inside": [True, True]})
    >>> len(plot_cumulative_logit_shifts(rows).axes)
    1
    """
    needed = {"condition", "reference", "threshold", "observed", "predicted_low",
              "predicted_high", "inside"}
    if not needed <= set(table.columns):
        raise ValueError(f"the table lacks {sorted(needed - set(table.columns))}; pass the "
                         "result of cumulative_logit_shifts")
    pairs = list(dict.fromkeys(zip(table["condition"], table["reference"], strict=True)))
    columns = min(len(pairs), 2)
    rows_needed = int(np.ceil(len(pairs) / columns))
    with style():
        fig, axes = plt.subplots(rows_needed, columns, figsize=(4.2 * columns + 0.6,
                                                                2.5 * rows_needed + 0.9),
                                 sharey=True, squeeze=False)
        for ax, (condition, reference) in zip(axes.ravel(), pairs, strict=False):
            rows = table[(table["condition"] == condition) & (table["reference"] == reference)]
            x = rows["threshold"].to_numpy()
            low, high = rows["predicted_low"].to_numpy(), rows["predicted_high"].to_numpy()
            ax.bar(x, high - low, bottom=low, color=SEQUENCE[0], alpha=0.35, width=0.6,
                   label="predicted (interval)")
            inside = rows["inside"].to_numpy(bool)
            ax.scatter(x[inside], rows["observed"].to_numpy()[inside], color="black", zorder=3,
                       s=16, label="observed")
            ax.scatter(x[~inside], rows["observed"].to_numpy()[~inside], facecolors="white",
                       edgecolors="black", zorder=3, s=22, label="observed, outside")
            ax.axhline(0.0, color="grey", linewidth=0.8)
            ax.set_title(f"{condition} vs {reference}", fontsize=9)
            ax.set_xticks(x)
        for ax in axes.ravel()[len(pairs):]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_ylabel("departure (log-odds)")
        for ax in axes[-1, :]:
            ax.set_xlabel("threshold (between answers k and k + 1)")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
        fig.suptitle(title or "Proportional odds: departures from a parallel shift")
        fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig
