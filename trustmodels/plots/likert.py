"""Diverging stacked bars of the Likert answers, by experimental condition.

Each bar shows how one group of respondents answered one item: disagreeing categories extend to
the left of zero, agreeing ones to the right, and the neutral middle category is split in half
across zero, so bars are centred at the neutral point (Robbins and Heiberger's layout). The bars
of an item are grouped by the first design factor (the seller's response, named and coloured
as everywhere in the book); the second design factor (the violation type) gives the panels.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from trustmodels.plots.style import CONDITION_COLORS, LIKERT_CMAP, SEQUENCE, style

__all__ = ["SIMULATED_LABEL", "likert_colors", "likert_shares", "plot_likert_by_condition"]

#: Text appended to titles of figures drawn from simulated data.
SIMULATED_LABEL = "SIMULATED DATA"
_NEUTRAL_COLOR = "#d9d9d9"
_ALL = "all respondents"


def likert_colors(n_categories: int) -> list:
    """Return one colour per answer category: disagree red ... agree blue, neutral grey.

    Parameters
    ----------
    n_categories : int
        K, the number of answer categories (at least 2).

    Returns
    -------
    list of tuple
        RGBA colours from :data:`trustmodels.plots.style.LIKERT_CMAP`, the middle category of
        an odd K replaced by light grey so it stays visible on white.

    Examples
    --------
    >>> colors = likert_colors(7)
    >>> len(colors), mpl.colors.to_hex(colors[3])
    (7, '#d9d9d9')
    """
    if n_categories < 2:
        raise ValueError(f"a Likert item needs at least 2 categories, got {n_categories}")
    cmap = mpl.colormaps[LIKERT_CMAP]
    colors = [cmap(value) for value in np.linspace(0.08, 0.92, n_categories)]
    if n_categories % 2 == 1:
        colors[n_categories // 2] = mpl.colors.to_rgba(_NEUTRAL_COLOR)
    return colors


def likert_shares(
    long: pd.DataFrame,
    levels: Sequence[int],
    by: Sequence[str] = (),
    items: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return the share of each answer category per item and group.

    Parameters
    ----------
    long : pandas.DataFrame
        The tidy long table (``Survey.long``): columns ``item``, ``response`` and the ``by``
        columns; one row per observed answer.
    levels : sequence of int
        The answer categories in order (e.g. 1..7).
    by : sequence of str
        Grouping columns (e.g. ``["violation", "seller_response"]``).
    items : sequence of str, optional
        Items to include, in this order (default: the categories of ``long["item"]`` that occur).

    Returns
    -------
    pandas.DataFrame
        One row per item and group: ``item``, the ``by`` columns, ``n`` (answers) and one column
        per category holding its share (rows sum to 1).

    Examples
    --------
    >>> long = pd.DataFrame({"item": ["q1"] * 4, "response": [1, 2, 2, 3]})
    >>> likert_shares(long, [1, 2, 3]).to_dict("records")
    [{'item': 'q1', 'n': 4, 1: 0.25, 2: 0.5, 3: 0.25}]
    """
    missing = [column for column in ["item", "response", *by] if column not in long.columns]
    if missing:
        raise ValueError(f"likert_shares: column(s) {missing} not found in the long table")
    levels = list(levels)
    outside = sorted(set(long["response"].unique().tolist()) - set(levels))
    if outside:
        raise ValueError(f"likert_shares: column 'response' has values {outside} outside the "
                         f"answer categories {levels}")
    if items is None:
        item_column = long["item"]
        order = (list(item_column.cat.categories) if isinstance(item_column.dtype,
                                                                pd.CategoricalDtype)
                 else list(dict.fromkeys(item_column)))
        items = [item for item in order if item in set(item_column.astype(str))]
    data = long[long["item"].astype(str).isin(list(items))].copy()
    data["item"] = pd.Categorical(data["item"].astype(str), categories=list(items))
    keys = ["item", *by]
    counts = pd.crosstab([data[key] for key in keys], data["response"])
    counts = counts.reindex(columns=levels, fill_value=0)
    counts.columns = list(levels)
    totals = counts.sum(axis=1)
    shares = counts.div(totals, axis=0)
    shares.insert(0, "n", totals.astype(int))
    shares = shares.reset_index()
    shares["item"] = shares["item"].astype(str)
    for key in by:
        shares[key] = shares[key].astype(str)
    return shares[shares["n"] > 0].reset_index(drop=True)


def _levels(series: pd.Series) -> list[str]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [str(level) for level in series.cat.categories]
    return [str(level) for level in dict.fromkeys(series.astype(str))]


def _chosen_items(codebook, constructs, items) -> list[str]:
    if items is not None:
        unknown = [item for item in items if item not in codebook.items]
        if unknown:
            raise ValueError(f"{codebook.source}: {unknown} are not Likert items of the "
                             f"codebook; items are {list(codebook.items)}")
        return list(items)
    if constructs is None:
        trust = ("competence", "benevolence", "integrity")
        constructs = trust if set(trust) <= set(codebook.constructs) else list(codebook.constructs)
    unknown = [name for name in constructs if name not in codebook.constructs]
    if unknown:
        raise ValueError(f"{codebook.source}: no construct(s) {unknown}; constructs are "
                         f"{list(codebook.constructs)}")
    return [item for name in constructs for item in codebook.constructs[name]]


def plot_likert_by_condition(
    survey,
    constructs: Sequence[str] | None = None,
    items: Sequence[str] | None = None,
    *,
    title: str | None = None,
    wrap: int = 30,
):
    """Draw diverging stacked bars of Likert items by condition, centred at the neutral answer.

    One panel per level of the second design factor (violation type); inside a panel one group
    of bars per item (labelled with the item's name and wording from the codebook) and one bar
    per level of the first design factor (seller response, coloured tick labels). Bar segments
    are the shares of the answer categories, disagreement to the left. A survey whose codebook
    says ``"simulated": true`` gets ``SIMULATED DATA`` in the title.

    Parameters
    ----------
    survey : trustmodels.survey.table.Survey
        A loaded survey (its ``long`` table and ``codebook`` are used).
    constructs : sequence of str, optional
        Constructs whose items are shown (default the trust beliefs competence, benevolence
        and integrity when present, else all constructs).
    items : sequence of str, optional
        Items to show instead of whole constructs.
    title : str, optional
        Figure title (default names the constructs).
    wrap : int
        Width at which item wordings are wrapped.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; ``fig.axes[:n_panels]`` are the panels (one bar container per category).

    Examples
    --------
    >>> from trustmodels.datasets.examples import example_codebook, example_frame
    >>> from trustmodels.survey.table import survey_from_frame
    >>> survey = survey_from_frame(example_frame(), example_codebook())
    >>> fig = plot_likert_by_condition(survey)
    >>> len(fig.axes[0].patches)  # 2 items x 2 groups x 5 categories
    20
    """
    book = survey.codebook
    chosen = _chosen_items(book, constructs, items)
    sizes = sorted({book.n_categories(item) for item in chosen})
    if len(sizes) != 1:
        raise ValueError(f"{book.source}: items {chosen} have different numbers of answer "
                         f"categories {sizes}; plot them in separate figures")
    levels = list(book.likert_levels(chosen[0]))
    labels = list(book.field(chosen[0]).category_labels) or [str(level) for level in levels]
    design = list(book.design)
    bar_factor = design[0] if design else None
    panel_factor = design[1] if len(design) > 1 else None
    long = survey.to_long(items=chosen)
    if bar_factor is None:
        long = long.assign(_group=_ALL)
        bar_factor = "_group"
    if panel_factor is None:
        long = long.assign(_panel=_ALL)
        panel_factor = "_panel"
    groups = _levels(long[bar_factor])
    panels = _levels(long[panel_factor])
    shares = likert_shares(long, levels, by=[panel_factor, bar_factor], items=chosen)

    n_groups = len(groups)
    step = n_groups + 0.8  # rows per item, including the gap
    positions = {
        (item, group): -(i * step + j)
        for i, item in enumerate(chosen)
        for j, group in enumerate(groups)
    }
    colors = likert_colors(len(levels))
    half = len(levels) / 2
    legend_rows = int(np.ceil(len(levels) / 4))
    # bars, plus fixed room (inches) for the title, the axis labels and the legend below
    height = 0.19 * step * len(chosen) + 1.6 + 0.25 * legend_rows
    if title is None:
        what = ("trust-belief" if constructs is None and items is None
                else ", ".join(constructs) if items is None else "selected")
        title = f"Answers to the {what} items by condition"
    if book.simulated:
        title = f"{title} ({SIMULATED_LABEL})"

    with style():
        fig, axes = plt.subplots(1, len(panels), figsize=(2.9 * len(panels) + 2.7, height),
                                 sharey=True, squeeze=False)
        for ax, panel in zip(axes[0], panels, strict=True):
            subset = shares[shares[panel_factor] == panel]
            ypos = np.array([positions[(item, group)] for item, group
                             in zip(subset["item"], subset[bar_factor], strict=True)])
            values = subset[levels].to_numpy(float)
            # left edge: minus (disagree shares + half the neutral share)
            lower = np.floor(half).astype(int)
            start = -(values[:, :lower].sum(axis=1)
                      + (values[:, lower] / 2 if len(levels) % 2 else 0.0))
            for k, (level, label) in enumerate(zip(levels, labels, strict=True)):
                ax.barh(ypos, values[:, k] * 100, left=start * 100, height=0.82,
                        color=colors[k], edgecolor="white", linewidth=0.4,
                        label=label if label.startswith(str(level)) else f"{level} {label}")
                start = start + values[:, k]
            ax.axvline(0, color="black", lw=0.8)
            ax.set_title("" if panel == _ALL else f"{panel} violation"
                         if panel_factor == "violation" else f"{panel_factor}: {panel}")
            ax.set_xlim(-100, 100)
            ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(
                lambda value, _: f"{abs(value):.0f}"))
            ax.set_xlabel("% disagree  |  % agree")
            ax.grid(axis="y", visible=False)
            ax.tick_params(axis="y", length=0)
        first = axes[0][0]
        ticks = [positions[(item, group)] for item in chosen for group in groups]
        first.set_yticks(ticks, [group if group != _ALL else "" for _ in chosen
                                 for group in groups], fontsize=8)
        palette = {group: CONDITION_COLORS.get(group, SEQUENCE[j % len(SEQUENCE)])
                   for j, group in enumerate(groups)}
        for tick in first.get_yticklabels():
            tick.set_color(palette.get(tick.get_text(), "black"))
        centers = [-(i * step + (n_groups - 1) / 2) for i in range(len(chosen))]
        item_labels = [
            f"{item}: " + "\n".join(textwrap.wrap(book.item_wording(item), wrap))
            if book.item_wording(item) != item else item
            for item in chosen
        ]
        secondary = first.secondary_yaxis("left")
        secondary.set_yticks(centers, item_labels, fontsize=8)
        secondary.tick_params(axis="y", length=0, pad=50 if groups != [_ALL] else 4)
        secondary.spines["left"].set_visible(False)
        first.set_ylim(min(ticks) - 0.9, 0.9)
        handles, legend_labels = first.get_legend_handles_labels()
        fig.legend(handles, legend_labels, loc="lower center", ncol=min(len(levels), 4),
                   fontsize=8, bbox_to_anchor=(0.5, 0.0))
        fig.suptitle(title)
        fig.tight_layout(rect=(0, (0.15 + 0.25 * legend_rows) / height, 1,
                               1 - 0.1 / height))
    return fig
