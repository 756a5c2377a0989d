"""The analysis a typical trust-repair paper would report, on scale means.

Each respondent's answers are averaged into scale scores: the *trust score* is the mean of the
eleven trust-belief items (competence, benevolence, integrity; McKnight et al. 2002), the
*intention* and *disposition* scores are the means of their items. On these scores the module
runs a two-way between-subjects ANOVA (seller response x violation) with partial eta squared,
pairwise Welch t-tests with Hedges' g, Holm-adjusted p-values and Bayes factors (pingouin;
Vallat 2018), and a moderated OLS regression with HC3 standard errors (statsmodels; Seabold and
Perktold 2010) whose apology effect is probed across the fan count with a floodlight /
Johnson-Neyman analysis (Spiller et al. 2013).

.. warning::
   Everything here treats ordinal Likert answers as metric: a mean of 1-7 codes is assumed to be
   an interval-scaled quantity with normal, homoscedastic residuals. That is exactly the
   comparison the book criticises (Liddell and Kruschke 2018); the ordinal models in
   :mod:`trustmodels.models` drop the assumption. These results are the benchmark, not the
   recommendation.

All results are tidy :class:`pandas.DataFrame` objects with plain column names, easy to glue into
a notebook.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pingouin as pg
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import het_breuschpagan
from statsmodels.stats.stattools import jarque_bera

from trustmodels.datasets.simulated_design import (
    EFFECT_NAMES,
    RESPONSE_LEVELS,
    VIOLATION_LEVELS,
    design_matrix,
    log_fans_centered,
)

__all__ = [
    "TRUST_CONSTRUCTS",
    "anova_table",
    "describe_regions",
    "format_bf",
    "format_p",
    "johnson_neyman",
    "moderated_regression",
    "pairwise_table",
    "regression_table",
    "residual_checks",
    "scale_scores",
    "simple_effect_curve",
    "survey_scores",
]

#: The constructs whose items are averaged into the trust score.
TRUST_CONSTRUCTS = ("competence", "benevolence", "integrity")
_DESIGN = ("seller_response", "violation")


def scale_scores(
    wide: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    composites: Mapping[str, Sequence[str]] | None = None,
    keep: Sequence[str] = ("respondent_id", "seller_response", "violation", "fan_count"),
    min_answered: float = 0.5,
) -> pd.DataFrame:
    """Return each respondent's scale means: one column per construct and per composite.

    A respondent's score is the mean of the items they answered; it is missing when fewer than
    ``min_answered`` (a share) of the scale's items were answered. This treats the 1-7 codes as
    interval-scaled numbers.

    Parameters
    ----------
    wide : pandas.DataFrame
        One row per respondent, one numeric column per Likert item, plus design columns.
    constructs : mapping of str to sequence of str
        Construct name -> item columns (the codebook's ``constructs``).
    composites : mapping of str to sequence of str, optional
        Composite name -> constructs whose items are pooled. Default
        ``{"trust": TRUST_CONSTRUCTS}`` when all three trust constructs exist, else none.
    keep : sequence of str
        Columns copied from ``wide`` to the result when present (identifier, design).
    min_answered : float
        Smallest share of a scale's items a respondent must have answered (0 to 1).

    Returns
    -------
    pandas.DataFrame
        The kept columns, ``log_fans_c`` (log10 fan count - 4, when ``fan_count`` is kept and
        every count is present and at least 1), then one score per construct and composite.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a1": [1, 7], "a2": [3, None], "b1": [4, 6]})
    >>> scores = scale_scores(wide, {"a": ["a1", "a2"], "b": ["b1"]}, composites={"ab": ["a", "b"]})
    >>> scores.round(2).to_dict("list")
    {'a': [2.0, 7.0], 'b': [4.0, 6.0], 'ab': [2.67, 6.5]}
    """
    if not isinstance(constructs, Mapping) or not constructs:
        raise ValueError("constructs must be a non-empty mapping construct -> item columns")
    if not 0.0 <= min_answered <= 1.0:
        raise ValueError(f"min_answered must be a share between 0 and 1, got {min_answered}")
    if composites is None:
        composites = (
            {"trust": TRUST_CONSTRUCTS} if set(TRUST_CONSTRUCTS) <= set(constructs) else {}
        )
    scales = {name: list(items) for name, items in constructs.items()}
    for name, parts in composites.items():
        unknown = [part for part in parts if part not in constructs]
        if unknown:
            raise ValueError(
                f"composite {name!r}: construct(s) {unknown} not found; "
                f"known constructs are {list(constructs)}"
            )
        scales[name] = [item for part in parts for item in constructs[part]]
    for name, items in scales.items():
        missing = [item for item in items if item not in wide.columns]
        if missing:
            raise ValueError(f"scale {name!r}: item column(s) {missing} not found in the data")
    result = wide[[column for column in keep if column in wide.columns]].copy()
    fans = result["fan_count"] if "fan_count" in result.columns else None
    if fans is not None and fans.notna().all() and (fans >= 1).all():
        result["log_fans_c"] = log_fans_centered(result["fan_count"])
    for name, items in scales.items():
        answers = wide[items].astype("float64")
        share = answers.notna().mean(axis=1)
        result[name] = answers.mean(axis=1).where(share >= min_answered)
    return result


def survey_scores(survey, *, composites: Mapping[str, Sequence[str]] | None = None,
                  min_answered: float = 0.5) -> pd.DataFrame:
    """Return :func:`scale_scores` of a loaded survey, keeping its id and design columns.

    Parameters
    ----------
    survey : trustmodels.survey.table.Survey
        A loaded (and usually screened) survey.
    composites : mapping of str to sequence of str, optional
        See :func:`scale_scores` (default: the trust score when the trust constructs exist).
    min_answered : float
        Smallest share of a scale's items a respondent must have answered.

    Returns
    -------
    pandas.DataFrame
        The id column, design factors, fan count, ``log_fans_c`` and one score per construct
        and composite.

    Examples
    --------
    >>> from trustmodels.datasets.examples import example_codebook, example_frame
    >>> from trustmodels.survey.table import survey_from_frame
    >>> survey = survey_from_frame(example_frame(), example_codebook())
    >>> survey_scores(survey).to_dict("list")
    {'id': ['R1', 'R2', 'R3'], 'group': ['a', 'b', 'b'], 'trust': [1.5, 5.0, 4.0]}
    """
    book = survey.codebook
    keep = [book.id, *book.design, *([book.fan_count] if book.fan_count else [])]
    scores = scale_scores(survey.wide, dict(book.constructs), composites=composites,
                          keep=keep, min_answered=min_answered)
    return scores


def _complete(scores: pd.DataFrame, columns: Sequence[str], what: str) -> pd.DataFrame:
    missing = [column for column in columns if column not in scores.columns]
    if missing:
        raise ValueError(
            f"{what}: column(s) {missing} not found in the scores (columns are "
            f"{list(scores.columns)})"
        )
    data = scores[list(columns)].dropna()
    for factor, levels in zip(_DESIGN, (RESPONSE_LEVELS, VIOLATION_LEVELS), strict=True):
        if factor in data.columns:
            bad = sorted(set(data[factor].astype(str)) - set(levels))
            if bad:
                raise ValueError(f"{what}: column {factor!r} has unknown levels {bad}; "
                                 f"expected {levels}")
            data[factor] = pd.Categorical(data[factor].astype(str), categories=list(levels))
    if len(data) < 4:
        raise ValueError(f"{what}: only {len(data)} complete respondent(s)")
    return data


def anova_table(scores: pd.DataFrame, dv: str = "trust", *, ss_type: int = 3) -> pd.DataFrame:
    """Return the two-way ANOVA seller_response x violation of one scale mean.

    Uses :func:`pingouin.anova` (type III sums of squares by default, which the usual
    statistics packages report for unbalanced cells) with partial eta squared. Treats the scale
    mean as metric with normal, equal-variance residuals.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`scale_scores` (needs ``seller_response``, ``violation`` and ``dv``).
    dv : str
        The score column analysed.
    ss_type : {1, 2, 3}
        Type of sums of squares.

    Returns
    -------
    pandas.DataFrame
        One row per term (``seller_response``, ``violation``, ``seller_response:violation``,
        ``residual``): ``term``, ``ss``, ``df``, ``ms``, ``F``, ``p``, ``partial_eta_sq``; plus
        ``dv`` and ``n`` (respondents analysed).

    Examples
    --------
    >>> from trustmodels.datasets.examples import example_scores
    >>> scores = example_scores(120, balanced=True)  # simulated: 20 per cell, apology +1
    >>> table = anova_table(scores)
    >>> table["term"].tolist()
    ['seller_response', 'violation', 'seller_response:violation', 'residual']
    >>> bool(table.loc[0, "p"] < 0.001)
    True
    """
    data = _complete(scores, [*_DESIGN, dv], "anova_table")
    with warnings.catch_warnings():
        # pingouin 0.7 calls DataFrame.dropna(inplace=True), deprecated in pandas 3.1
        warnings.filterwarnings("ignore", message=".*inplace keyword", category=DeprecationWarning)
        raw = pg.anova(data=data, dv=dv, between=list(_DESIGN), ss_type=ss_type, detailed=True,
                       effsize="np2")
    table = pd.DataFrame({
        "term": ["seller_response", "violation", "seller_response:violation", "residual"],
        "ss": raw["SS"].to_numpy(float),
        "df": raw["DF"].to_numpy(float),
        "ms": raw["MS"].to_numpy(float),
        "F": raw["F"].to_numpy(float),
        "p": raw["p_unc"].to_numpy(float),
        "partial_eta_sq": raw["np2"].to_numpy(float),
    })
    table.insert(0, "dv", dv)
    table["n"] = len(data)
    return table


def pairwise_table(
    scores: pd.DataFrame,
    dv: str = "trust",
    *,
    effsize: str = "hedges",
    padjust: str = "holm",
) -> pd.DataFrame:
    """Return pairwise t-tests of the seller responses, overall and within each violation.

    Uses :func:`pingouin.pairwise_tests` with ``between=["violation", "seller_response"]``:
    Welch's t-test when group sizes differ (``correction="auto"``), the effect size named by
    ``effsize`` and the JZS Bayes factor BF10 (Cauchy prior scale 0.707). p-values are adjusted
    within each family (the main-effect comparisons; the simple comparisons within violations).
    Treats the scale mean as metric.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`scale_scores`.
    dv : str
        The score column analysed.
    effsize : {"hedges", "cohen"}
        Hedges' g (bias-corrected) or Cohen's d.
    padjust : str
        Multiple-comparison correction passed to pingouin (``"holm"``, ``"bonf"``, ``"fdr_bh"``,
        ``"none"``).

    Returns
    -------
    pandas.DataFrame
        One row per comparison: ``dv``, ``family`` (``"violation"``, ``"seller_response"`` or
        ``"seller_response within violation"``), ``violation`` (``"all"`` for main effects),
        ``a``, ``b``, ``mean_a``, ``mean_b``, ``n_a``, ``n_b``, ``t``, ``df``, ``p``, ``p_adj``,
        ``bf10``, and the effect size column (``hedges_g`` or ``cohen_d``, sign of a - b).

    Examples
    --------
    >>> from trustmodels.datasets.examples import example_scores
    >>> scores = example_scores(120, balanced=True)  # simulated: 20 per cell, apology +1
    >>> table = pairwise_table(scores)
    >>> table.loc[table["family"] == "seller_response", ["a", "b"]].values.tolist()
    [['none', 'apology'], ['none', 'denial'], ['apology', 'denial']]
    """
    if effsize not in ("hedges", "cohen"):
        raise ValueError(f"effsize must be 'hedges' or 'cohen', got {effsize!r}")
    data = _complete(scores, [*_DESIGN, dv], "pairwise_table")
    raw = pg.pairwise_tests(data=data, dv=dv, between=["violation", "seller_response"],
                            padjust=padjust, effsize=effsize)
    family = raw["Contrast"].map({
        "violation": "violation",
        "seller_response": "seller_response",
        "violation * seller_response": "seller_response within violation",
    })
    within = raw["violation"].astype(str).where(raw["violation"].astype(str) != "-", "all")
    effect_name = "hedges_g" if effsize == "hedges" else "cohen_d"
    table = pd.DataFrame({
        "dv": dv,
        "family": family,
        "violation": within,
        "a": raw["A"].astype(str),
        "b": raw["B"].astype(str),
    })
    means, counts = [], []
    for row in table.itertuples():
        subset = data if row.violation == "all" else data[data["violation"] == row.violation]
        factor = "violation" if row.family == "violation" else "seller_response"
        group_a = subset.loc[subset[factor] == row.a, dv]
        group_b = subset.loc[subset[factor] == row.b, dv]
        means.append((group_a.mean(), group_b.mean()))
        counts.append((len(group_a), len(group_b)))
    table["mean_a"], table["mean_b"] = np.array(means).T
    table["n_a"], table["n_b"] = np.array(counts, dtype=int).T
    table["t"] = raw["T"].to_numpy(float)
    table["df"] = raw["dof"].to_numpy(float)
    table["p"] = raw["p_unc"].to_numpy(float)
    adjusted = raw["p_corr"] if "p_corr" in raw.columns else raw["p_unc"]
    table["p_adj"] = adjusted.fillna(raw["p_unc"]).to_numpy(float)
    table["bf10"] = pd.to_numeric(raw["BF10"], errors="coerce").to_numpy(float)
    table[effect_name] = raw[effsize].to_numpy(float)
    return table


def _check_fans(scores: pd.DataFrame) -> None:
    fans = scores["fan_count"]
    bad = fans.index[~(fans >= 1)].tolist()
    if bad:
        raise ValueError(
            f"column 'fan_count': rows {bad[:10]} have counts below 1 (or missing); the "
            "moderated regression takes log10 of the fan count, which needs at least 1 follower"
        )


def moderated_regression(
    scores: pd.DataFrame,
    dv: str = "trust",
    *,
    covariates: Sequence[str] = ("disposition",),
    cov_type: str = "HC3",
):
    """Fit ``dv ~ response * violation * log_fans_c + covariates`` by OLS with robust errors.

    The design columns are those of :func:`trustmodels.datasets.simulated_design.design_matrix`
    (reference cell:
    no response to a competence violation at 10^4 followers), so the coefficient names
    (``apology``, ``apology:log_fans_c``, ...) match the Bayesian models'. Covariates are
    mean-centered, so ``Intercept`` is the reference cell's mean at an average covariate.
    Respondents missing any used column are dropped (listwise); ``fit.nobs`` is the number
    analysed.
    Standard errors are heteroskedasticity-consistent (HC3) with t reference distributions on
    the residual degrees of freedom. Treats the scale mean as metric.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`scale_scores` (needs ``seller_response``, ``violation``,
        ``fan_count`` >= 1, ``dv`` and the covariates).
    dv : str
        The score column analysed.
    covariates : sequence of str
        Numeric columns added as centered main effects.
    cov_type : str
        statsmodels covariance type (``"HC3"``, ``"HC1"``, ``"nonrobust"``, ...).

    Returns
    -------
    statsmodels.regression.linear_model.RegressionResultsWrapper
        The fitted model; ``model.exog_names`` are ``Intercept``, the effects and covariates.

    Examples
    --------
    >>> from trustmodels.datasets.examples import example_scores
    >>> scores = example_scores(300)  # simulated: apology +1 at every fan count
    >>> fit = moderated_regression(scores)
    >>> round(float(fit.params["apology"]), 1)
    1.0
    """
    data = _complete(scores, [*_DESIGN, "fan_count", dv, *covariates], "moderated_regression")
    _check_fans(data)
    exog = design_matrix(data["seller_response"].astype(str), data["violation"].astype(str),
                         data["fan_count"]).set_index(data.index)
    exog.insert(0, "Intercept", 1.0)
    for covariate in covariates:
        values = data[covariate].astype("float64")
        exog[covariate] = values - values.mean()
    model = sm.OLS(data[dv].astype("float64"), exog)
    return model.fit(cov_type=cov_type, use_t=True)


def regression_table(fit, *, level: float = 0.95) -> pd.DataFrame:
    """Return the coefficients of a fitted regression as a tidy table.

    Parameters
    ----------
    fit : statsmodels results
        Output of :func:`moderated_regression`.
    level : float
        Coverage of the confidence intervals.

    Returns
    -------
    pandas.DataFrame
        One row per coefficient: ``term``, ``estimate``, ``se``, ``t``, ``p``, ``ci_low``,
        ``ci_high``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, statsmodels.api as sm
    >>> x = np.arange(10.0)
    >>> fit = sm.OLS(2 * x + np.sin(x), sm.add_constant(x)).fit()
    >>> regression_table(fit)["term"].tolist()
    ['const', 'x1']
    """
    interval = np.asarray(fit.conf_int(alpha=1 - level))
    return pd.DataFrame({
        "term": list(fit.model.exog_names),
        "estimate": np.asarray(fit.params, float),
        "se": np.asarray(fit.bse, float),
        "t": np.asarray(fit.tvalues, float),
        "p": np.asarray(fit.pvalues, float),
        "ci_low": interval[:, 0],
        "ci_high": interval[:, 1],
    })


def _effect_line(fit, response: str, violation: str) -> tuple[float, float, np.ndarray]:
    """Intercept a, slope b and their covariance of the response effect as a function of x."""
    if response not in RESPONSE_LEVELS[1:]:
        raise ValueError(f"response must be one of {RESPONSE_LEVELS[1:]}, got {response!r}")
    if violation not in VIOLATION_LEVELS:
        raise ValueError(f"violation must be one of {VIOLATION_LEVELS}, got {violation!r}")
    names = list(fit.model.exog_names)
    needed = [name for name in EFFECT_NAMES if name.startswith(response)]
    absent = [name for name in needed if name not in names]
    if absent:
        raise ValueError(f"the fit lacks the coefficients {absent}; use moderated_regression")
    integrity = 1.0 if violation == "integrity" else 0.0
    level_vector = np.zeros(len(names))
    slope_vector = np.zeros(len(names))
    level_vector[names.index(response)] = 1.0
    level_vector[names.index(f"{response}:integrity")] = integrity
    slope_vector[names.index(f"{response}:log_fans_c")] = 1.0
    slope_vector[names.index(f"{response}:integrity:log_fans_c")] = integrity
    params = np.asarray(fit.params, float)
    cov = np.asarray(fit.cov_params(), float)
    basis = np.vstack([level_vector, slope_vector])
    return float(level_vector @ params), float(slope_vector @ params), basis @ cov @ basis.T


def _critical_value(fit, level: float) -> float:
    if getattr(fit, "use_t", False):
        return float(stats.t.ppf(0.5 + level / 2, fit.df_resid))
    return float(stats.norm.ppf(0.5 + level / 2))


def simple_effect_curve(
    fit,
    response: str = "apology",
    violation: str = "competence",
    *,
    log10_fans=None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Return the floodlight curve: the response-vs-none effect across the fan count.

    The effect of ``response`` (against no response) in one violation type at centered log fan
    count ``x`` is ``a + b x`` with ``a`` the sum of the response's level coefficients and ``b``
    the sum of its fan-count slopes; its standard error comes from the fit's (HC3) covariance
    (Spiller et al. 2013).

    Parameters
    ----------
    fit : statsmodels results
        Output of :func:`moderated_regression`.
    response : {"apology", "denial"}
        The response compared with no response.
    violation : {"competence", "integrity"}
        The violation type.
    log10_fans : array_like, optional
        log10 fan counts at which to evaluate (default 2 to 6 in 81 steps).
    level : float
        Coverage of the pointwise confidence band.

    Returns
    -------
    pandas.DataFrame
        ``response``, ``violation``, ``log10_fans``, ``fan_count``, ``effect``, ``se``,
        ``ci_low``, ``ci_high``, ``significant`` (the band excludes zero).

    Examples
    --------
    >>> from trustmodels.datasets.examples import example_scores
    >>> scores = example_scores(300)  # simulated: apology +1 at every fan count
    >>> curve = simple_effect_curve(moderated_regression(scores), log10_fans=[2, 4, 6])
    >>> curve["significant"].tolist()
    [True, True, True]
    """
    intercept, slope, cov = _effect_line(fit, response, violation)
    grid = np.linspace(2.0, 6.0, 81) if log10_fans is None else np.asarray(log10_fans, float)
    x = grid - 4.0
    effect = intercept + slope * x
    se = np.sqrt(cov[0, 0] + 2 * x * cov[0, 1] + x**2 * cov[1, 1])
    critical = _critical_value(fit, level)
    return pd.DataFrame({
        "response": response,
        "violation": violation,
        "log10_fans": grid,
        "fan_count": 10.0**grid,
        "effect": effect,
        "se": se,
        "ci_low": effect - critical * se,
        "ci_high": effect + critical * se,
        "significant": np.abs(effect) > critical * se,
    })


def johnson_neyman(
    fit,
    response: str = "apology",
    violation: str = "competence",
    *,
    log10_range: tuple[float, float] = (2.0, 6.0),
    level: float = 0.95,
) -> pd.DataFrame:
    """Return the Johnson-Neyman regions where the response effect differs from zero.

    Solves ``(a + b x)^2 = c^2 (v_aa + 2 x v_ab + x^2 v_bb)`` for the centered log fan count
    ``x`` (``c`` the critical t value), which gives the boundaries where the effect's confidence
    interval just touches zero, and reports the intervals of ``log10_range`` (normally the
    observed fan counts) where it excludes zero (Spiller et al. 2013).

    Parameters
    ----------
    fit : statsmodels results
        Output of :func:`moderated_regression`.
    response : {"apology", "denial"}
        The response compared with no response.
    violation : {"competence", "integrity"}
        The violation type.
    log10_range : tuple of float
        Range of log10 fan counts considered.
    level : float
        Confidence level of the test.

    Returns
    -------
    pandas.DataFrame
        One row per region of significance inside ``log10_range`` (none if the effect is nowhere
        significant): ``response``, ``violation``, ``from_log10_fans``, ``to_log10_fans``,
        ``from_fans``, ``to_fans``, ``direction`` (``"positive"`` or ``"negative"``) and
        ``boundaries`` (the Johnson-Neyman points in log10 fans inside the range, as a tuple).

    Examples
    --------
    >>> from trustmodels.datasets.examples import example_scores
    >>> scores = example_scores(600, apology_slope=-0.5)  # apology +1 at 100 fans, -1 at 10^6
    >>> regions = johnson_neyman(moderated_regression(scores))
    >>> regions[["from_log10_fans", "to_log10_fans", "direction"]].round(1).values.tolist()
    [[2.0, 3.4, 'positive'], [4.3, 6.0, 'negative']]
    """
    low, high = (float(bound) for bound in log10_range)
    if not low < high:
        raise ValueError(f"log10_range must be increasing, got {log10_range}")
    intercept, slope, cov = _effect_line(fit, response, violation)
    c2 = _critical_value(fit, level) ** 2
    quad = slope**2 - c2 * cov[1, 1]
    lin = 2 * (intercept * slope - c2 * cov[0, 1])
    const = intercept**2 - c2 * cov[0, 0]
    if abs(quad) < 1e-14:
        roots = [] if lin == 0 else [-const / lin]
    else:
        disc = lin**2 - 4 * quad * const
        roots = [] if disc < 0 else sorted({(-lin - np.sqrt(disc)) / (2 * quad),
                                            (-lin + np.sqrt(disc)) / (2 * quad)})
    boundaries = tuple(float(root + 4.0) for root in roots if low < root + 4.0 < high)
    cuts = [low, *boundaries, high]
    rows = []
    for start, stop in zip(cuts[:-1], cuts[1:], strict=True):
        middle = (start + stop) / 2 - 4.0
        effect = intercept + slope * middle
        score = effect**2 - c2 * (cov[0, 0] + 2 * middle * cov[0, 1] + middle**2 * cov[1, 1])
        if score > 0:
            rows.append({
                "response": response,
                "violation": violation,
                "from_log10_fans": start,
                "to_log10_fans": stop,
                "from_fans": 10.0**start,
                "to_fans": 10.0**stop,
                "direction": "positive" if effect > 0 else "negative",
                "boundaries": boundaries,
            })
    columns = ["response", "violation", "from_log10_fans", "to_log10_fans", "from_fans",
               "to_fans", "direction", "boundaries"]
    return pd.DataFrame(rows, columns=columns)


def _fans_text(log10_fans: float) -> str:
    """Format a fan count rounded to two significant digits, with thousands separators."""
    value = 10.0**log10_fans
    digits = int(np.floor(np.log10(value))) - 1
    return f"{round(value, -digits):,.0f}"


def describe_regions(regions: pd.DataFrame, log10_range: tuple[float, float] = (2.0, 6.0)) -> str:
    """Return a sentence fragment saying where the effect is significant (for glued prose).

    Parameters
    ----------
    regions : pandas.DataFrame
        Output of :func:`johnson_neyman`.
    log10_range : tuple of float
        The range that was searched (the same as given to :func:`johnson_neyman`).

    Returns
    -------
    str
        E.g. ``"positive at every fan count from 100 to 1,000,000 followers"``,
        ``"positive from 100 to about 72,000 followers"`` or
        ``"not significant at any fan count from 100 to 1,000,000 followers"``.

    Examples
    --------
    >>> regions = pd.DataFrame({"from_log10_fans": [2.0], "to_log10_fans": [4.8576],
    ...                         "direction": ["positive"]})
    >>> describe_regions(regions)
    'positive from 100 to about 72,000 followers (not significant above)'
    """
    low, high = log10_range
    span = f"from {_fans_text(low)} to {_fans_text(high)} followers"
    if regions.empty:
        return f"not significant at any fan count {span}"
    parts = []
    for row in regions.itertuples():
        start = _fans_text(row.from_log10_fans)
        stop = _fans_text(row.to_log10_fans)
        about_start = "" if np.isclose(row.from_log10_fans, low) else "about "
        about_stop = "" if np.isclose(row.to_log10_fans, high) else "about "
        parts.append(f"{row.direction} from {about_start}{start} to {about_stop}{stop} "
                     "followers")
    if len(regions) == 1:
        row = regions.iloc[0]
        whole_low = np.isclose(row["from_log10_fans"], low)
        whole_high = np.isclose(row["to_log10_fans"], high)
        if whole_low and whole_high:
            return f"{row['direction']} at every fan count {span}"
        if whole_low:
            return f"{parts[0]} (not significant above)"
        if whole_high:
            return f"{parts[0]} (not significant below)"
    return "; ".join(parts) + " (not significant elsewhere)"


def residual_checks(fit) -> pd.DataFrame:
    """Return checks of the assumptions behind OLS on scale means, as one tidy row.

    Skewness, excess kurtosis and the Jarque-Bera test of the residuals (normality), the
    Breusch-Pagan test against the regressors (equal variances), and how many fitted values lie
    outside the range of the observed scores (a metric model of a bounded scale can predict
    impossible means).

    Parameters
    ----------
    fit : statsmodels results
        A fitted OLS model, e.g. from :func:`moderated_regression`.

    Returns
    -------
    pandas.DataFrame
        One row: ``n``, ``skewness``, ``excess_kurtosis``, ``jarque_bera``, ``jarque_bera_p``,
        ``breusch_pagan``, ``breusch_pagan_p``, ``n_fitted_outside``.

    Examples
    --------
    >>> import numpy as np, statsmodels.api as sm
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500)
    >>> fit = sm.OLS(x + rng.exponential(size=500), sm.add_constant(x)).fit()
    >>> checks = residual_checks(fit)
    >>> bool(checks.loc[0, "skewness"] > 1), bool(checks.loc[0, "jarque_bera_p"] < 0.001)
    (True, True)
    """
    resid = np.asarray(fit.resid, float)
    statistic, p_value, skewness, kurtosis = jarque_bera(resid)
    bp_statistic, bp_p, _, _ = het_breuschpagan(resid, np.asarray(fit.model.exog, float))
    observed = np.asarray(fit.model.endog, float)
    fitted = np.asarray(fit.fittedvalues, float)
    outside = int(np.sum((fitted < observed.min()) | (fitted > observed.max())))
    return pd.DataFrame([{
        "n": int(fit.nobs),
        "skewness": float(skewness),
        "excess_kurtosis": float(kurtosis) - 3.0,
        "jarque_bera": float(statistic),
        "jarque_bera_p": float(p_value),
        "breusch_pagan": float(bp_statistic),
        "breusch_pagan_p": float(bp_p),
        "n_fitted_outside": outside,
    }])


def format_p(p: float) -> str:
    """Format a p-value for prose: three decimals, or ``"< .001"`` (APA style).

    Parameters
    ----------
    p : float
        The p-value.

    Returns
    -------
    str
        E.g. ``"= .026"`` or ``"< .001"`` (with the relation, ready for "p {text}").

    Examples
    --------
    >>> format_p(0.02634), format_p(3e-9), format_p(1.0)
    ('= .026', '< .001', '= 1.000')
    """
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a p-value lies between 0 and 1, got {p}")
    if p < 0.001:
        return "< .001"
    text = f"{p:.3f}"
    return "= " + (text[1:] if text.startswith("0") else text)


def format_bf(bf: float) -> str:
    """Format a Bayes factor for prose: two significant digits, ``"> 1000"`` above a thousand.

    Parameters
    ----------
    bf : float
        The Bayes factor (e.g. BF10).

    Returns
    -------
    str
        E.g. ``"9.2"``, ``"0.24"``, ``"190"`` or ``"> 1000"``.

    Examples
    --------
    >>> format_bf(9.244), format_bf(0.2431), format_bf(194.5), format_bf(7.58e6)
    ('9.2', '0.24', '190', '> 1000')
    """
    bf = float(bf)
    if not bf > 0:
        raise ValueError(f"a Bayes factor is positive, got {bf}")
    if bf > 1000:
        return "> 1000"
    digits = 1 - int(np.floor(np.log10(bf)))
    value = round(bf, digits)
    return f"{value:.{max(digits, 0)}f}"
