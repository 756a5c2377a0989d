"""The SBC figure: ECDF of the ranks minus the uniform CDF, with simultaneous 95% bands."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from trustmodels.plots.style import SEQUENCE, style
from trustmodels.simulation.sbc import ecdf_bands, rank_uniformity

__all__ = ["plot_sbc_ecdf", "variable_of"]


def variable_of(quantity: str) -> str:
    """Return the variable a ranked quantity belongs to (the name before its index).

    Examples
    --------
    >>> variable_of("cutpoints[comp1, 2]"), variable_of("beta_disp")
    ('cutpoints', 'beta_disp')
    """
    return quantity.split("[", 1)[0]


def plot_sbc_ecdf(ranks: pd.DataFrame, max_rank: int, *, prob: float = 0.95, n_columns: int = 4,
                  n_points: int | None = 100, by: str = "quantity",
                  title: str | None = "SBC ranks (SIMULATED data)"):
    r"""Plot the ECDF difference of SBC ranks with simultaneous bands.

    The curve is :math:`\hat F(z) - z` for the fractional rank :math:`z`; under calibration it
    stays inside the grey band (Säilynoja et al. 2022) with probability ``prob``. Curves that
    leave the band are drawn in red, and so is the title of their panel.

    Parameters
    ----------
    ranks : pandas.DataFrame
        One column per parameter, one row per simulation, integer ranks ``0..max_rank``.
    max_rank : int
        Number of posterior draws used for ranking.
    prob : float
        Simultaneous coverage of the band.
    n_columns : int
        Panels per row.
    n_points : int, optional
        Grid points of the ECDF (see :func:`trustmodels.simulation.sbc.ecdf_bands`).
    by : {"quantity", "variable"}
        One panel per ranked quantity, or one per variable (``beta[apology]`` and
        ``beta[denial]`` share the panel ``beta``, titled with the number of curves): for runs
        that rank dozens of quantities. The band is the same for every curve (it depends only
        on the number of simulations and ``max_rank``), and each curve is still judged alone.
    title : str, optional
        Figure title (SBC data are always simulated, and the default says so); ``None`` for
        none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ranks = pd.DataFrame({"a": rng.integers(0, 100, 80), "b": rng.integers(0, 100, 80)})
    >>> len(plot_sbc_ecdf(ranks, 99).axes)
    2
    >>> ranks = pd.DataFrame({"b[x]": rng.integers(0, 100, 80), "b[y]": rng.integers(0, 100, 80)})
    >>> len(plot_sbc_ecdf(ranks, 99, by="variable").axes)
    1
    """
    if by not in ("quantity", "variable"):
        raise ValueError(f"by must be 'quantity' or 'variable', got {by!r}")
    panels: dict[str, list[str]] = {}
    for name in ranks.columns:
        panels.setdefault(name if by == "quantity" else variable_of(name), []).append(name)
    n_rows = math.ceil(len(panels) / n_columns)
    n_cols = min(n_columns, len(panels))
    bands = ecdf_bands(len(ranks), max_rank, prob, n_points)
    z = bands["fraction"].to_numpy()
    flag_colour = "#d1495b"
    with style():
        fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.6 * n_cols, 2.2 * n_rows),
                                 sharex=True, sharey=True, squeeze=False)
        for ax in axes.ravel()[len(panels):]:
            ax.set_visible(False)
        for ax, (panel, names) in zip(axes.ravel(), panels.items(), strict=False):
            ax.fill_between(z, bands["lower"] - z, bands["upper"] - z, color="0.85", lw=0,
                            step="post")
            any_flagged = False
            for name in names:
                values = ranks[name].to_numpy()
                ecdf = np.searchsorted(np.sort(values), bands["rank"].to_numpy(), side="right")
                ecdf = ecdf / values.size
                flagged = rank_uniformity(values, max_rank, prob, n_points).flagged
                any_flagged |= flagged
                ax.step(z, ecdf - z, where="post", lw=1.2 if len(names) == 1 else 0.9,
                        color=flag_colour if flagged else SEQUENCE[0],
                        alpha=1.0 if flagged or len(names) == 1 else 0.6,
                        zorder=3 if flagged else 2)
            ax.axhline(0, color="black", lw=0.6)
            label = panel if len(names) == 1 and panel == names[0] else f"{panel} ({len(names)})"
            ax.set_title(label, fontsize=8, color=flag_colour if any_flagged else "black")
        for ax in axes[-1]:
            ax.set_xlabel("fractional rank")
        for ax in axes[:, 0]:
            ax.set_ylabel("ECDF difference")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
    return fig
