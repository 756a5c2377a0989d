"""Figures of a design analysis: assurance curves, false decisions, the fast fitter against NUTS.

They draw the tables of :func:`trustmodels.planning.assurance.assurance` and
:func:`trustmodels.planning.validation.nuts_comparison` in the compendium's style.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from trustmodels.plots.style import SEQUENCE, style

__all__ = ["plot_assurance", "plot_fast_fitter_check"]

_VARIANT_LINES = ("-", "--", ":", "-.")
#: Axis label of each share of :func:`trustmodels.planning.assurance.assurance`.
OUTCOME_LABELS = {"assurance": "P(supported: HDI+ROPE)",
                  "direction": "P(95% HDI on the claimed side of 0)",
                  "false_claim": "P(supported although false)",
                  "opposite": "P(HDI+ROPE on the other side)"}
_MARKERS = ("o", "s", "^", "D", "v", "P")


def plot_assurance(table: pd.DataFrame, hypothesis: str, *, label: str | None = None,
                   scenarios=None, target: float = 0.8, outcome: str = "assurance"):
    """Assurance of one hypothesis against respondents per cell, by scenario and design variant.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`trustmodels.planning.assurance.assurance`.
    hypothesis : str
        The hypothesis to draw.
    label : str, optional
        The hypothesis in words (for the title).
    scenarios : sequence of str, optional
        Scenarios to draw (default: all in the table, in its order).
    target : float
        Assurance drawn as a dotted reference line.
    outcome : str
        Column to draw: ``"assurance"`` (HDI+ROPE), ``"direction"`` (HDI on the claimed side of
        zero) or another share such as ``"false_claim"``.

    Returns
    -------
    matplotlib.figure.Figure
        One line per scenario (colour and marker) and variant (line style), with bars of
        ±1.96 Monte Carlo standard errors where the table has them.

    Examples
    --------
    >>> t = pd.DataFrame({"scenario": "review", "variant": ["between"] * 2 + ["within"] * 2,
    ...                   "n_per_cell": [50, 100] * 2, "hypothesis": "H1",
    ...                   "assurance": [0.2, 0.5, 0.6, 0.9], "assurance_se": 0.03})
    >>> len(plot_assurance(t, "H1").axes[0].lines) >= 2
    True
    """
    rows = table[table["hypothesis"] == hypothesis]
    if rows.empty:
        raise ValueError(f"the table has no hypothesis {hypothesis!r}; it has "
                         f"{sorted(table['hypothesis'].unique())}")
    scenarios = list(dict.fromkeys(rows["scenario"])) if scenarios is None else list(scenarios)
    variants = list(dict.fromkeys(rows["variant"]))
    with style():
        fig, ax = plt.subplots(figsize=(7.0, 4.0))
        for s, scenario in enumerate(scenarios):
            for v, variant in enumerate(variants):
                line = rows[(rows["scenario"] == scenario) & (rows["variant"] == variant)]
                if line.empty:
                    continue
                line = line.sort_values("n_per_cell")
                error = (1.96 * line[f"{outcome}_se"] if f"{outcome}_se" in line else None)
                ax.errorbar(line["n_per_cell"], line[outcome], yerr=error,
                            color=SEQUENCE[s % len(SEQUENCE)], ls=_VARIANT_LINES[v % 4],
                            marker=_MARKERS[s % len(_MARKERS)], ms=4, capsize=2, lw=1.4,
                            label=f"{scenario}, {variant}")
        if target is not None:
            ax.axhline(target, color="0.3", ls=":", lw=1)
        ax.set_xscale("log")
        sizes, labelled = sorted(rows["n_per_cell"].unique()), []
        for n in sizes:  # no label closer than a factor 1.5 to the last one (150 beside 200)
            if not labelled or n / labelled[-1] >= 1.5:
                labelled.append(n)
        ax.set_xticks(labelled)
        ax.set_xticklabels([f"{int(n):,}" for n in labelled])
        ax.minorticks_off()
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("respondents per design cell")
        ax.set_ylabel(OUTCOME_LABELS.get(outcome, outcome))
        ax.set_title(f"{hypothesis}: {label}" if label else hypothesis)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
        fig.tight_layout()
    return fig


def plot_fast_fitter_check(table: pd.DataFrame):
    """Compare the fast fitter with NUTS on the same simulated studies: means and HDI ends.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`trustmodels.planning.validation.nuts_comparison`.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: posterior means, and HDI end points (fast fitter against NUTS), with the
        identity line; filled markers where both give the same decision.

    Examples
    --------
    >>> t = pd.DataFrame({"laplace_mean": [0.1, 0.5], "nuts_mean": [0.11, 0.49],
    ...                   "laplace_hdi_low": [-0.1, 0.3], "nuts_hdi_low": [-0.1, 0.31],
    ...                   "laplace_hdi_high": [0.3, 0.7], "nuts_hdi_high": [0.31, 0.7],
    ...                   "laplace_decision": ["undecided"] * 2,
    ...                   "nuts_decision": ["undecided"] * 2})
    >>> len(plot_fast_fitter_check(t).axes)
    2
    """
    same = (table["laplace_decision"] == table["nuts_decision"]).to_numpy()
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.6))
        pairs = [("posterior mean", [("mean", "o")]),
                 ("95% HDI end points", [("hdi_low", "v"), ("hdi_high", "^")])]
        for ax, (title, columns) in zip(axes, pairs, strict=True):
            values = []
            for column, marker in columns:
                x, y = table[f"nuts_{column}"].to_numpy(), table[f"laplace_{column}"].to_numpy()
                values += [x, y]
                ax.scatter(x[same], y[same], s=14, marker=marker, color=SEQUENCE[0],
                           label="same decision" if column in ("mean", "hdi_low") else None)
                if (~same).any():
                    ax.scatter(x[~same], y[~same], s=22, marker=marker, facecolor="none",
                               edgecolor=SEQUENCE[5],
                               label="different decision" if column in ("mean", "hdi_low")
                               else None)
            low, high = float(np.nanmin(values)), float(np.nanmax(values))
            ax.plot([low, high], [low, high], color="0.4", lw=0.8)
            ax.set_xlabel("NUTS (latent SD)")
            ax.set_ylabel("fast fitter (latent SD)")
            ax.set_title(title)
        axes[0].legend(loc="upper left", fontsize=8)
        fig.tight_layout()
    return fig
