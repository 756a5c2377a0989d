"""The floodlight figure: a response contrast across fan counts, where it holds, where it fades."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

from trustmodels.analysis.floodlight import DEFAULT_ROPE, contrast_summary, floodlight
from trustmodels.plots.style import CONDITION_COLORS, style

__all__ = ["plot_floodlight"]

_REGION_COLORS = {
    "credibly positive": "#0072B2",
    "credibly negative": "#D55E00",
    "practically equivalent": "#7f7f7f",
}


def plot_floodlight(panels: Mapping[str, np.ndarray], log10_fans, *, prob: float = 0.95,
                    rope: float = DEFAULT_ROPE, truth: Mapping[str, np.ndarray] | None = None,
                    ylabel: str = "apology minus no response (latent SD)",
                    color: str = CONDITION_COLORS["apology"]):
    """Draw the contrast ribbon across fan counts with the zero line, ROPE and floodlight regions.

    One panel per entry of ``panels`` (e.g. per violation type). The ribbon is the ``prob``
    equal-tailed interval with the posterior mean; the grey band is the ROPE; shaded columns
    mark the fan counts where the interval excludes zero (blue above, red below) and, hatched,
    where it lies inside the ROPE. A known truth (simulated data) is drawn dashed and labelled
    as the simulation's truth.

    Parameters
    ----------
    panels : mapping of str to array_like, shape (n_draws, n_grid)
        Panel title -> posterior draws of the contrast on the grid.
    log10_fans : array_like, shape (n_grid,)
        The grid, in log10 followers.
    prob : float
        Interval probability.
    rope : float
        Half-width of the region of practical equivalence.
    truth : mapping of str to array_like, shape (n_grid,), optional
        Panel title -> the true contrast on the grid (simulated data only).
    ylabel : str
        Label of the vertical axis.
    color : str
        Colour of the ribbon.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> grid = np.linspace(2, 6, 21)
    >>> rng = np.random.default_rng(0)
    >>> draws = 0.6 - 0.2 * (grid - 2) + rng.normal(0, 0.1, size=(400, 1))
    >>> truth = {"competence": 0.6 - 0.2 * (grid - 2)}
    >>> fig = plot_floodlight({"competence": draws}, grid, truth=truth)
    >>> "simulation truth" in [t.get_text() for t in fig.legends[0].get_texts()]
    True
    """
    grid = np.asarray(log10_fans, dtype=float)
    with style():
        fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), sharey=True,
                                 squeeze=False)
        for ax, (title, draws) in zip(axes[0], panels.items(), strict=True):
            summary = contrast_summary(draws, grid, prob)
            regions = floodlight(draws, grid, prob, rope)
            for _, region in regions.iterrows():
                equivalent = region["kind"] == "practically equivalent"
                ax.axvspan(region["start"], region["end"], alpha=0.2,
                           color=_REGION_COLORS[region["kind"]],
                           hatch="//" if equivalent else None, fill=not equivalent,
                           label=region["kind"], lw=0)
            ax.axhspan(-rope, rope, color="0.85", zorder=0, label=f"ROPE ±{rope:g}")
            ax.axhline(0, color="black", lw=0.8)
            ax.fill_between(grid, summary["lower"], summary["upper"], color=color, alpha=0.3,
                            lw=0, label=f"{prob:.0%} interval")
            ax.plot(grid, summary["mean"], color=color, lw=1.8, label="posterior mean")
            if truth is not None and title in truth:
                ax.plot(grid, np.asarray(truth[title], dtype=float), color="black", ls="--",
                        lw=1.4, label="simulation truth")
            ticks = np.arange(np.ceil(grid[0]), np.floor(grid[-1]) + 1)
            ax.set_xticks(ticks, [f"$10^{{{t:.0f}}}$" for t in ticks])
            ax.set_xlim(grid[0], grid[-1])
            ax.set_xlabel("fan count (followers, log scale)")
            ax.set_title(title)
        unique = {}
        for ax in axes[0]:
            handles, labels = ax.get_legend_handles_labels()
            unique.update({label: handle for label, handle in zip(labels, handles, strict=True)
                           if label not in unique})
        axes[0][0].set_ylabel(ylabel)
        fig.tight_layout(rect=(0, 0.12, 1, 1))
        fig.legend(unique.values(), unique.keys(), loc="lower center", ncol=4, fontsize=8)
    return fig
