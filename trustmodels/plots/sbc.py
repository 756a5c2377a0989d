"""The SBC figure: ECDF of the ranks minus the uniform CDF, with simultaneous 95% bands."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from trustmodels.plots.style import SEQUENCE, style
from trustmodels.simulation.sbc import ecdf_bands, rank_uniformity

__all__ = ["plot_sbc_ecdf"]


def plot_sbc_ecdf(ranks: pd.DataFrame, max_rank: int, *, prob: float = 0.95, n_columns: int = 4,
                  n_points: int | None = 100,
                  title: str | None = "SBC ranks (SIMULATED data)"):
    r"""Plot, per parameter, the ECDF difference of SBC ranks with simultaneous bands.

    The curve is :math:`\hat F(z) - z` for the fractional rank :math:`z`; under calibration it
    stays inside the grey band (Säilynoja et al. 2022) with probability ``prob``. Panels whose
    curve leaves the band are titled in red.

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
    """
    names = list(ranks.columns)
    n_rows = math.ceil(len(names) / n_columns)
    n_cols = min(n_columns, len(names))
    bands = ecdf_bands(len(ranks), max_rank, prob, n_points)
    z = bands["fraction"].to_numpy()
    with style():
        fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.6 * n_cols, 2.2 * n_rows),
                                 sharex=True, sharey=True, squeeze=False)
        for ax in axes.ravel()[len(names):]:
            ax.set_visible(False)
        for ax, name in zip(axes.ravel(), names, strict=False):
            values = ranks[name].to_numpy()
            ecdf = np.searchsorted(np.sort(values), bands["rank"].to_numpy(), side="right")
            ecdf = ecdf / values.size
            verdict = rank_uniformity(values, max_rank, prob, n_points)
            ax.fill_between(z, bands["lower"] - z, bands["upper"] - z, color="0.85", lw=0,
                            step="post")
            ax.step(z, ecdf - z, where="post", color=SEQUENCE[0], lw=1.2)
            ax.axhline(0, color="black", lw=0.6)
            ax.set_title(name, fontsize=8, color="#d1495b" if verdict.flagged else "black")
        for ax in axes[-1]:
            ax.set_xlabel("fractional rank")
        for ax in axes[:, 0]:
            ax.set_ylabel("ECDF difference")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
    return fig
