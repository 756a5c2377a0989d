"""Figures of the classical chapter: means by condition, trust against fans, OLS floodlight.

All three treat the 1-7 answers as metric scale means (see :mod:`trustmodels.analysis.classical`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.nonparametric.smoothers_lowess import lowess

from trustmodels.analysis.classical import (
    TRUST_CONSTRUCTS,
    johnson_neyman,
    simple_effect_curve,
    survey_scores,
)
from trustmodels.datasets.simulated_design import RESPONSE_LEVELS, VIOLATION_LEVELS
from trustmodels.plots.likert import SIMULATED_LABEL
from trustmodels.plots.style import (
    CONDITION_COLORS,
    CONDITION_LINESTYLES,
    CONDITION_MARKERS,
    style,
)

__all__ = ["plot_construct_means", "plot_floodlight_ols", "plot_trust_vs_fans"]

_FAN_TICKS = [2, 3, 4, 5, 6]


def _titled(title: str, simulated: bool) -> str:
    return f"{title} ({SIMULATED_LABEL})" if simulated else title


def _fan_axis(ax) -> None:
    ax.set_xticks(_FAN_TICKS, [f"$10^{tick}$" for tick in _FAN_TICKS])
    ax.set_xlabel("seller's fan count (followers)")


def _check_design(scores: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in scores.columns]
    if missing:
        raise ValueError(f"the survey lacks the column(s) {missing} this figure needs "
                         "(seller_response, violation, fan_count in the codebook's design)")


def plot_construct_means(survey, constructs: Sequence[str] | None = None, *, level=0.95):
    """Draw each construct's mean score by seller response and violation, with t intervals.

    Parameters
    ----------
    survey : trustmodels.survey.table.Survey
        A loaded survey with the design ``seller_response`` x ``violation``.
    constructs : sequence of str, optional
        Constructs (or ``"trust"``, the composite) shown, one panel each; default the trust
        beliefs and intention when present.
    level : float
        Coverage of the confidence intervals of the means (t distribution).

    Returns
    -------
    matplotlib.figure.Figure
        One axis per construct; in each, one errorbar container per seller response.

    Examples
    --------
    >>> from trustmodels.datasets.simulated import load_simulated_survey
    >>> fig = plot_construct_means(load_simulated_survey())
    >>> [ax.get_title() for ax in fig.axes]
    ['competence', 'benevolence', 'integrity', 'intention']
    """
    scores = survey_scores(survey)
    _check_design(scores, ["seller_response", "violation"])
    if constructs is None:
        constructs = [name for name in (*TRUST_CONSTRUCTS, "intention") if name in scores]
    unknown = [name for name in constructs if name not in scores.columns]
    if unknown:
        raise ValueError(f"no score(s) {unknown}; available: "
                         f"{[c for c in scores.columns if c in survey.codebook.constructs]}")
    offsets = dict(zip(RESPONSE_LEVELS, (-0.2, 0.0, 0.2), strict=True))
    with style():
        fig, axes = plt.subplots(1, len(constructs), figsize=(2.3 * len(constructs) + 1.2, 3.4),
                                 sharey=True, squeeze=False)
        for ax, construct in zip(axes[0], constructs, strict=True):
            for response in RESPONSE_LEVELS:
                cells = [scores.loc[(scores["seller_response"] == response)
                                    & (scores["violation"] == violation), construct].dropna()
                         for violation in VIOLATION_LEVELS]
                means = np.array([cell.mean() for cell in cells])
                half = np.array([stats.t.ppf(0.5 + level / 2, len(cell) - 1) * cell.sem()
                                 for cell in cells])
                x = np.arange(len(VIOLATION_LEVELS)) + offsets[response]
                ax.errorbar(x, means, yerr=half, fmt=CONDITION_MARKERS[response], ms=5,
                            capsize=2.5, color=CONDITION_COLORS[response], label=response)
            ax.set_xticks(range(len(VIOLATION_LEVELS)), VIOLATION_LEVELS)
            ax.set_xlim(-0.5, len(VIOLATION_LEVELS) - 0.5)
            ax.set_xlabel("violation")
            ax.set_title(construct)
            ax.grid(axis="x", visible=False)
        axes[0][0].set_ylabel(f"mean score (1-7), {level:.0%} CI")
        axes[0][-1].legend(title="seller response", loc="upper left", bbox_to_anchor=(1, 1))
        fig.suptitle(_titled("Scale means by condition", survey.codebook.simulated))
        fig.tight_layout()
    return fig


def plot_trust_vs_fans(survey, score: str = "trust", *, frac: float = 0.6):
    """Scatter each respondent's score against log10 fan count, with a lowess line per response.

    Parameters
    ----------
    survey : trustmodels.survey.table.Survey
        A loaded survey with ``seller_response``, ``violation`` and ``fan_count`` (>= 1).
    score : str
        The score on the vertical axis (``"trust"``, the 11-item mean, or a construct).
    frac : float
        Share of the data used for each lowess fit.

    Returns
    -------
    matplotlib.figure.Figure
        One axis per violation type; in each, one scatter collection and one lowess line per
        seller response.

    Examples
    --------
    >>> from trustmodels.datasets.simulated import load_simulated_survey
    >>> fig = plot_trust_vs_fans(load_simulated_survey())
    >>> [len(ax.lines) for ax in fig.axes]
    [3, 3]
    """
    scores = survey_scores(survey)
    _check_design(scores, ["seller_response", "violation", "fan_count"])
    if score not in scores.columns:
        raise ValueError(f"no score {score!r}; available: {list(scores.columns)}")
    fans = scores["fan_count"].astype("float64")
    if not (fans >= 1).all():
        raise ValueError("column 'fan_count': counts below 1 or missing; the figure uses "
                         "log10 of the fan count, which needs at least 1 follower")
    scores = scores.assign(log10_fans=np.log10(fans)).dropna(subset=[score])
    with style():
        fig, axes = plt.subplots(1, len(VIOLATION_LEVELS), figsize=(8.4, 3.6), sharey=True,
                                 squeeze=False)
        for ax, violation in zip(axes[0], VIOLATION_LEVELS, strict=True):
            panel = scores[scores["violation"] == violation]
            for response in RESPONSE_LEVELS:
                cell = panel[panel["seller_response"] == response]
                color = CONDITION_COLORS[response]
                ax.scatter(cell["log10_fans"], cell[score], s=7, alpha=0.3, color=color,
                           marker=CONDITION_MARKERS[response], linewidths=0)
                smooth = lowess(cell[score], cell["log10_fans"], frac=frac, return_sorted=True)
                ax.plot(smooth[:, 0], smooth[:, 1], color=color, lw=2,
                        ls=CONDITION_LINESTYLES[response], label=response)
            _fan_axis(ax)
            ax.set_title(f"{violation} violation")
        axes[0][0].set_ylabel(f"{score} score (mean of items, 1-7)")
        axes[0][-1].legend(title="seller response (lowess)", loc="upper left",
                           bbox_to_anchor=(1, 1))
        fig.suptitle(_titled(f"{score.capitalize()} score against the seller's fan count",
                             survey.codebook.simulated))
        fig.tight_layout()
    return fig


def plot_floodlight_ols(fit, *, simulated: bool, response: str = "apology",
                        log10_range: tuple[float, float] = (2.0, 6.0), level: float = 0.95):
    """Draw the OLS floodlight: the response-vs-none effect across fan counts, per violation.

    The line is the estimated difference in scale means, the band its pointwise confidence
    interval from the (HC3) covariance; shaded columns mark the Johnson-Neyman regions where the
    interval excludes zero (blue positive, red negative), with the boundaries as dotted lines.

    Parameters
    ----------
    fit : statsmodels results
        Output of :func:`trustmodels.analysis.classical.moderated_regression`.
    simulated : bool
        Whether the data are simulated (adds the label to the title); required so that no
        figure of simulated data goes out unlabelled.
    response : {"apology", "denial"}
        The response compared with no response.
    log10_range : tuple of float
        Range of log10 fan counts (normally the observed range).
    level : float
        Confidence level.

    Returns
    -------
    matplotlib.figure.Figure
        One axis per violation type.

    Examples
    --------
    >>> from trustmodels.datasets.simulated import load_simulated_survey
    >>> from trustmodels.analysis.classical import moderated_regression, survey_scores
    >>> fit = moderated_regression(survey_scores(load_simulated_survey()))
    >>> fig = plot_floodlight_ols(fit, simulated=True)
    >>> fig.texts[0].get_text().endswith("(SIMULATED DATA)")
    True
    """
    grid = np.linspace(*log10_range, 161)
    color = CONDITION_COLORS.get(response, "black")
    region_colors = {"positive": CONDITION_COLORS["apology"],
                     "negative": CONDITION_COLORS["denial"]}
    with style():
        fig, axes = plt.subplots(1, len(VIOLATION_LEVELS), figsize=(8.4, 3.5), sharey=True,
                                 squeeze=False)
        for ax, violation in zip(axes[0], VIOLATION_LEVELS, strict=True):
            curve = simple_effect_curve(fit, response, violation, log10_fans=grid, level=level)
            regions = johnson_neyman(fit, response, violation, log10_range=log10_range,
                                     level=level)
            for region in regions.itertuples():
                ax.axvspan(region.from_log10_fans, region.to_log10_fans, alpha=0.18, lw=0,
                           color=region_colors[region.direction],
                           label=f"CI excludes 0 ({region.direction})")
                for boundary in region.boundaries:
                    ax.axvline(boundary, color="0.3", ls=":", lw=1)
            ax.fill_between(curve["log10_fans"], curve["ci_low"], curve["ci_high"], color=color,
                            alpha=0.3, lw=0, label=f"{level:.0%} CI (HC3)")
            ax.plot(curve["log10_fans"], curve["effect"], color=color, lw=2, label="OLS estimate")
            ax.axhline(0, color="black", lw=0.8)
            _fan_axis(ax)
            ax.set_xlim(*log10_range)
            ax.set_title(f"{violation} violation")
        # one legend for both panels, below them: never on top of the curves
        unique = {}
        for ax in axes[0]:
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
                unique.setdefault(label, handle)
        fig.legend(unique.values(), unique.keys(), fontsize=8, loc="lower center",
                   ncol=len(unique), bbox_to_anchor=(0.5, 0.0))
        axes[0][0].set_ylabel(f"{response} minus no response\n(difference in scale means)")
        fig.suptitle(_titled(f"Floodlight of the {response} effect, OLS on scale means",
                             simulated))
        fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
