"""Path diagram of a structural equation model, drawn with matplotlib only (no graphviz).

Constructs are ellipses; every structural path is an arrow labelled with its posterior mean and
interval (and, optionally, a second estimate such as a maximum-likelihood fit). Arrows whose
interval excludes zero are drawn solid and coloured by sign; the others dashed and grey.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import Ellipse, FancyArrowPatch

from trustmodels.plots.style import SEQUENCE, style

__all__ = ["DEFAULT_LABELS", "DEFAULT_POSITIONS", "plot_path_diagram"]

#: Where each construct of the privacy model sits (x, y).
DEFAULT_POSITIONS = {
    "privacy_concern": (0.0, 0.0),
    "trust": (1.0, 0.85),
    "risk": (1.0, -0.85),
    "intention": (2.0, 0.0),
}
#: Display names of the constructs.
DEFAULT_LABELS = {
    "privacy_concern": "Privacy\nconcern",
    "trust": "Trust",
    "risk": "Perceived\nrisk",
    "intention": "Intention\nto use",
}
_POSITIVE, _NEGATIVE, _UNCLEAR = SEQUENCE[0], SEQUENCE[5], "#8c8c8c"


def _label_position(start, end, fraction):
    return (start[0] + fraction * (end[0] - start[0]), start[1] + fraction * (end[1] - start[1]))


def plot_path_diagram(
    estimates: pd.DataFrame,
    comparison: Mapping[str, float] | pd.Series | None = None,
    comparison_name: str = "ML",
    positions: Mapping[str, tuple[float, float]] | None = None,
    labels: Mapping[str, str] | None = None,
    label_fractions: Mapping[str, float] | None = None,
    prob: float = 0.9,
    title: str | None = None,
    ax=None,
):
    """Draw the path diagram with the estimate of every path on its arrow.

    Parameters
    ----------
    estimates : pandas.DataFrame
        Indexed by path labels ``"<predictor> -> <outcome>"`` with columns ``mean``, ``lower``
        and ``upper`` (e.g. :func:`trustmodels.models.sem.interval_table` of ``paths_std``).
    comparison : mapping or pandas.Series, optional
        A second estimate per path label, printed under the interval (e.g. semopy's
        standardized ML estimates).
    comparison_name : str
        Name of the comparison shown before its values.
    positions : mapping of str to (float, float), optional
        Centre of each construct (default :data:`DEFAULT_POSITIONS`).
    labels : mapping of str to str, optional
        Display name of each construct (default :data:`DEFAULT_LABELS`, else the name).
    label_fractions : mapping of str to float, optional
        Where along each arrow (0 = start, 1 = end) its label sits; default 0.5, except 0.27
        for a path that crosses the middle of the diagram (privacy concern -> intention).
    prob : float
        Probability of the intervals (used in the legend only).
    title : str, optional
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a new figure otherwise).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> table = pd.DataFrame({"mean": [-0.2, 0.5], "lower": [-0.3, 0.4], "upper": [-0.1, 0.6]},
    ...                      index=["privacy_concern -> trust", "trust -> intention"])
    >>> fig = plot_path_diagram(table, comparison={"trust -> intention": 0.55})
    >>> len(fig.axes[0].patches) >= 4 + 2
    True
    """
    positions = dict(DEFAULT_POSITIONS if positions is None else positions)
    names = dict(DEFAULT_LABELS)
    names.update(labels or {})
    fractions = {"privacy_concern -> intention": 0.27}
    fractions.update(label_fractions or {})
    missing = {"mean", "lower", "upper"} - set(estimates.columns)
    if missing:
        raise ValueError(f"estimates: columns {', '.join(sorted(missing))} missing; expected "
                         "mean, lower, upper (interval_table)")
    with style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(7.5, 4.6))
        else:
            fig = ax.figure
        ax.set_aspect("equal")
        ax.axis("off")
        nodes = {}
        for construct, (x, y) in positions.items():
            node = Ellipse((x, y), width=0.62, height=0.42, facecolor="white",
                           edgecolor="#333333", linewidth=1.3, zorder=3)
            ax.add_patch(node)
            ax.text(x, y, names.get(construct, construct), ha="center", va="center",
                    fontsize=10, zorder=4)
            nodes[construct] = node
        for label, row in estimates.iterrows():
            predictor, outcome = str(label).split(" -> ")
            if predictor not in nodes or outcome not in nodes:
                raise ValueError(f"estimates: path {label!r} names a construct without a "
                                 f"position ({', '.join(nodes)})")
            clear = row["lower"] > 0 or row["upper"] < 0
            colour = (_POSITIVE if row["mean"] > 0 else _NEGATIVE) if clear else _UNCLEAR
            arrow = FancyArrowPatch(
                positions[predictor], positions[outcome], patchA=nodes[predictor],
                patchB=nodes[outcome], arrowstyle="-|>", mutation_scale=14,
                linewidth=1.2 + 3.0 * min(abs(row["mean"]), 1.0), color=colour,
                linestyle="-" if clear else "--", zorder=2)
            ax.add_patch(arrow)
            text = f"{row['mean']:.2f}\n[{row['lower']:.2f}, {row['upper']:.2f}]"
            if comparison is not None and label in comparison:
                text += f"\n{comparison_name}: {float(comparison[label]):.2f}"
            x, y = _label_position(positions[predictor], positions[outcome],
                                   fractions.get(label, 0.5))
            ax.text(x, y, text, ha="center", va="center", fontsize=8, color=colour, zorder=5,
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                          "edgecolor": "none", "alpha": 0.9})
        xs = [p[0] for p in positions.values()]
        ys = [p[1] for p in positions.values()]
        ax.set_xlim(min(xs) - 0.45, max(xs) + 0.45)
        ax.set_ylim(min(ys) - 0.4, max(ys) + 0.4)
        note = (f"posterior mean [{prob:.0%} interval]; solid: interval excludes 0 "
                f"(blue positive, red negative)")
        ax.text(0.5, -0.02, note, transform=ax.transAxes, ha="center", va="top", fontsize=8,
                color="#555555")
        if title:
            ax.set_title(title)
    return fig
