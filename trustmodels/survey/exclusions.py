"""Excluding careless respondents: one documented function, one report.

:func:`apply_exclusions` applies three common screening rules for careless responding, in this
order, and reports how many respondents each rule flags on its own (overlapping counts) and how
many it removes after the earlier rules (sequential counts):

1. **Attention check** (instructed-response item; Meade & Craig 2012): the answer differs from
   the instructed answer named in the codebook (``trustmodels.attention_check``). A missing
   answer counts as failed, since the instruction was to give a specific answer.
2. **Straight-lining** (long-string / zero-variance responding; Meade & Craig 2012, Curran 2016):
   every answered Likert item of every construct has the same answer and at least
   ``min_items_straightlining`` items were answered (fewer answers carry too little evidence).
   The rule spans constructs, including disposition to trust, where identical answers to all
   items are implausible for an attentive respondent.
3. **Speeding** (implausibly fast completion; Leiner 2019): completion time below a threshold.
   Leiner (2019) flags respondents who are more than twice as fast as the typical respondent
   (relative speed index > 2) on page-level times. With only the total duration available we
   use a stricter cut by default, **one third of the median duration** of all respondents
   before exclusions, so that only clearly implausible completions are removed; a fixed
   ``min_duration_s`` may replace it. A missing duration is not flagged.

A rule whose column the codebook does not define (no ``attention_check`` or ``duration`` in the
``trustmodels`` extension) is skipped and reported as not applicable. With several rows per
respondent (a codebook ``vignette`` column) the rules screen respondents, not rows: a failed
attention check in any row, the same answer to every item of every row, and the largest
duration of the respondent's rows (a total repeated on each row); an excluded respondent loses
all their rows. Pre-register the rules
and report the table: exclusions change the sample and can change conclusions.

References
----------
Curran, P. G. (2016). Methods for the detection of carelessly invalid responses in survey data.
*Journal of Experimental Social Psychology*, 66, 4-19.

Leiner, D. J. (2019). Too fast, too straight, too weird: Non-reactive indicators for meaningless
data in internet surveys. *Survey Research Methods*, 13(3), 229-248.

Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey data.
*Psychological Methods*, 17(3), 437-455.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trustmodels.survey.table import Survey

__all__ = ["DEFAULT_RULES", "ExclusionReport", "ExclusionRules", "RULE_NAMES",
           "apply_exclusions", "exclusions_by"]

#: The rules in the order they are applied.
RULE_NAMES = ("attention_check", "straightlining", "speeding")


@dataclass(frozen=True)
class ExclusionRules:
    """Which screening rules to apply and their thresholds.

    Parameters
    ----------
    attention_check : bool
        Exclude respondents whose attention-check answer is not the instructed one.
    straightlining : bool
        Exclude respondents who gave the same answer to every answered Likert item.
    min_items_straightlining : int
        Fewest answered items for the straight-lining rule to flag a respondent.
    speeding : bool
        Exclude implausibly fast respondents.
    speed_fraction_of_median : float
        Speeding threshold as a fraction of the median duration (default 1/3).
    min_duration_s : float, optional
        Fixed speeding threshold in seconds; replaces the relative one when given.
    """

    attention_check: bool = True
    straightlining: bool = True
    min_items_straightlining: int = 10
    speeding: bool = True
    speed_fraction_of_median: float = 1 / 3
    min_duration_s: float | None = None


#: The default rules (state the rules you will use before the data arrive).
DEFAULT_RULES = ExclusionRules()


@dataclass(frozen=True)
class ExclusionReport:
    """What :func:`apply_exclusions` did.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per rule plus a final ``any rule`` row; columns ``rule``, ``criterion``,
        ``applicable``, ``flagged`` (respondents the rule flags among all respondents,
        overlapping), ``removed`` (respondents it removes after the earlier rules) and
        ``remaining`` (respondents left after it). Counts are NA for rules not applied.
    flags : pandas.DataFrame
        Indexed by respondent id, one ``boolean`` column per rule (NA when not applied).
    n_before, n_after : int
        Respondents before and after the exclusions.
    """

    table: pd.DataFrame
    flags: pd.DataFrame
    n_before: int
    n_after: int

    @property
    def excluded(self) -> list[str]:
        """Ids of the excluded respondents, in row order."""
        return self.flags.index[self.flags.fillna(False).any(axis=1)].tolist()

    def __str__(self) -> str:
        return self.table.to_string(index=False)


def _by_respondent(survey: Survey, values, how: str) -> np.ndarray:
    """Aggregate one value per row to one per respondent (in order of first appearance)."""
    frame = pd.DataFrame({"id": survey.respondent_ids.to_numpy(), "value": values})
    return frame.groupby("id", sort=False)["value"].agg(how).to_numpy()


def _attention(survey: Survey, rules: ExclusionRules):
    check = survey.codebook.attention_check
    if not rules.attention_check:
        return None, "switched off"
    if check is None:
        return None, "not applicable: the codebook names no attention check"
    name, correct = check
    answers = survey.wide[name]
    failed = (answers != correct).fillna(True).to_numpy(bool)
    return _by_respondent(survey, failed, "any").astype(bool), (
        f"{name} is not the instructed answer {correct} (or is missing)")


def _straightlining(survey: Survey, rules: ExclusionRules):
    items = list(survey.items)
    minimum = rules.min_items_straightlining
    if not rules.straightlining:
        return None, "switched off"
    rows_per_respondent = int(survey.respondent_ids.value_counts().max()) if items else 0
    if len(items) * rows_per_respondent < minimum:
        per_row = (f" ({len(items)} per row, at most {rows_per_respondent} rows)"
                   if rows_per_respondent > 1 else "")
        return None, (f"not applicable: a respondent answers at most "
                      f"{len(items) * rows_per_respondent} Likert "
                      f"{'item' if len(items) * rows_per_respondent == 1 else 'items'}{per_row}, "
                      f"fewer than the {minimum} needed")
    answers = survey.wide[items].to_numpy("float64", na_value=np.nan)
    present = ~np.isnan(answers)
    answered = _by_respondent(survey, present.sum(axis=1), "sum")
    highest = _by_respondent(survey, np.nanmax(answers, axis=1, initial=-np.inf,
                                               where=present), "max")
    lowest = _by_respondent(survey, np.nanmin(answers, axis=1, initial=np.inf,
                                              where=present), "min")
    flagged = (answered >= minimum) & (highest - lowest == 0)
    return flagged, (f"the same answer to every answered Likert item ({len(items)} items"
                     f"{' per row' if survey.codebook.vignette else ''}; at least {minimum} "
                     "answered)")


def _speeding(survey: Survey, rules: ExclusionRules):
    name = survey.codebook.duration
    if not rules.speeding:
        return None, "switched off"
    if name is None:
        return None, "not applicable: the codebook names no duration column"
    seconds = _by_respondent(survey, survey.wide[name].to_numpy("float64", na_value=np.nan),
                             "max")
    if rules.min_duration_s is not None:
        threshold = float(rules.min_duration_s)
        text = f"{name} below {threshold:g} s"
    else:
        median = float(np.nanmedian(seconds)) if np.isfinite(seconds).any() else np.nan
        threshold = rules.speed_fraction_of_median * median
        text = (f"{name} below {rules.speed_fraction_of_median:.3g} x median "
                f"({median:g} s) = {threshold:.0f} s")
    with np.errstate(invalid="ignore"):
        flagged = np.nan_to_num(seconds, nan=np.inf) < threshold
    return flagged, text


def apply_exclusions(survey: Survey, rules: ExclusionRules = DEFAULT_RULES
                     ) -> tuple[Survey, ExclusionReport]:
    """Remove careless respondents by the documented screening rules.

    Parameters
    ----------
    survey : trustmodels.survey.table.Survey
        A loaded survey.
    rules : ExclusionRules
        Rules and thresholds (default :data:`DEFAULT_RULES`; see the module text for the
        rationale and references).

    Returns
    -------
    kept : trustmodels.survey.table.Survey
        The survey without the excluded respondents (same codebook).
    report : ExclusionReport
        Counts per rule (a table for the book) and per-respondent flags.

    Examples
    --------
    >>> from trustmodels.datasets.examples import example_codebook
    >>> from trustmodels.survey.table import survey_from_frame
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"id": ["R1", "R2", "R3", "R4"], "group": ["a", "b", "a", "b"],
    ...                       "q1": [1, 3, 3, 5], "q2": [2, 3, 3, 4]})
    >>> survey = survey_from_frame(frame, example_codebook())
    >>> kept, report = apply_exclusions(survey, ExclusionRules(min_items_straightlining=2))
    >>> report.table[["rule", "applicable", "flagged", "removed", "remaining"]]
                  rule  applicable  flagged  removed  remaining
    0  attention_check       False     <NA>     <NA>          4
    1   straightlining        True        2        2          2
    2         speeding       False     <NA>     <NA>          2
    3         any rule        True        2        2          2
    >>> report.excluded, kept.n_respondents
    (['R2', 'R3'], 2)
    """
    row_ids = survey.respondent_ids.to_numpy()
    ids = pd.unique(row_ids)
    n_before = len(ids)
    checks = {"attention_check": _attention, "straightlining": _straightlining,
              "speeding": _speeding}
    remaining = np.ones(n_before, dtype=bool)
    rows, flags = [], {}
    for name in RULE_NAMES:
        flagged, criterion = checks[name](survey, rules)
        if flagged is None:
            flags[name] = pd.array([pd.NA] * n_before, dtype="boolean")
            rows.append((name, criterion, False, pd.NA, pd.NA, int(remaining.sum())))
            continue
        removed = int((flagged & remaining).sum())
        remaining &= ~flagged
        flags[name] = pd.array(flagged, dtype="boolean")
        rows.append((name, criterion, True, int(flagged.sum()), removed, int(remaining.sum())))
    n_after = int(remaining.sum())
    rows.append(("any rule", "flagged by at least one applied rule", True,
                 n_before - n_after, n_before - n_after, n_after))
    table = pd.DataFrame(rows, columns=["rule", "criterion", "applicable", "flagged", "removed",
                                        "remaining"])
    for column in ("flagged", "removed", "remaining"):
        table[column] = table[column].astype("Int64")
    flag_frame = pd.DataFrame(flags, index=pd.Index(ids, name="respondent", dtype="str"))
    keep_rows = pd.Series(remaining, index=ids).reindex(row_ids).to_numpy(bool)
    kept = Survey(wide=survey.wide.loc[keep_rows].reset_index(drop=True),
                  codebook=survey.codebook, source=survey.source)
    return kept, ExclusionReport(table=table, flags=flag_frame, n_before=n_before,
                                 n_after=n_after)


def exclusions_by(survey: Survey, report: ExclusionReport, by) -> pd.DataFrame:
    """Return how many respondents the screening removed in each condition, rule by rule.

    Screening that removes more respondents in one condition than in another changes the
    comparison between them (attrition that depends on the condition), so report this table
    beside the counts of :func:`apply_exclusions`.

    Parameters
    ----------
    survey : trustmodels.survey.table.Survey
        The survey *before* the exclusions (the one passed to :func:`apply_exclusions`).
    report : ExclusionReport
        The report of :func:`apply_exclusions` on that survey.
    by : str or list of str
        Columns of ``survey.wide`` that define the conditions (e.g. the design factors).

    Returns
    -------
    pandas.DataFrame
        One row per condition (in the order of first appearance): the ``by`` columns, ``n``
        (respondents), one column per applied rule (respondents it flags, overlapping),
        ``excluded`` (flagged by any rule) and ``excluded_pct``; a final row ``all``.
        The attribute ``attrs["chi2_p"]`` holds the p-value of Pearson's chi-squared test that
        the share excluded is the same in every condition (``nan`` when nothing is excluded).

    Raises
    ------
    ValueError
        When a ``by`` column is not in the survey, or the report is not of this survey.

    See Also
    --------
    apply_exclusions : the rules and the counts per rule.

    Notes
    -----
    With several vignettes per respondent (a codebook ``vignette`` column) a condition is a
    vignette's condition, so ``n`` counts ratings, and a respondent excluded by a rule counts
    in each condition they rated.

    Examples
    --------
    >>> from trustmodels.datasets.examples import example_codebook
    >>> from trustmodels.survey.table import survey_from_frame
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"id": ["R1", "R2", "R3", "R4"], "group": ["a", "b", "a", "b"],
    ...                       "q1": [1, 3, 3, 5], "q2": [2, 3, 3, 4]})
    >>> survey = survey_from_frame(frame, example_codebook())
    >>> kept, report = apply_exclusions(survey, ExclusionRules(min_items_straightlining=2))
    >>> exclusions_by(survey, report, "group")
      group  n  straightlining  excluded  excluded_pct
    0     a  2               1         1          50.0
    1     b  2               1         1          50.0
    2   all  4               2         2          50.0
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [column for column in by if column not in survey.wide.columns]
    if missing:
        raise ValueError(f"exclusions_by: no column {missing[0]!r} in the survey; expected one "
                         f"of {list(survey.wide.columns)}")
    ids = survey.wide[survey.codebook.id].astype(str)
    if set(ids) != set(report.flags.index):
        raise ValueError("exclusions_by: the report is not of this survey (pass the survey "
                         "before the exclusions)")
    applied = [rule for rule in report.flags.columns if report.flags[rule].notna().any()]
    flags = report.flags[applied].fillna(False).astype(bool).reindex(ids.to_numpy())
    frame = survey.wide[by].astype(str).reset_index(drop=True)
    for rule in applied:
        frame[rule] = flags[rule].to_numpy()
    frame["excluded"] = flags.any(axis=1).to_numpy()
    counts = frame.groupby(by, sort=False).agg(
        n=("excluded", "size"), **{rule: (rule, "sum") for rule in applied},
        excluded=("excluded", "sum")).reset_index()
    total = {**{column: "all" for column in by}, "n": len(frame),
             **{rule: int(frame[rule].sum()) for rule in applied},
             "excluded": int(frame["excluded"].sum())}
    table = pd.concat([counts, pd.DataFrame([total])], ignore_index=True)
    for column in ["n", *applied, "excluded"]:
        table[column] = table[column].astype(int)
    table["excluded_pct"] = 100.0 * table["excluded"] / table["n"]
    table.attrs["chi2_p"] = _same_share_p_value(counts["excluded"].to_numpy(),
                                                counts["n"].to_numpy())
    return table


def _same_share_p_value(excluded: np.ndarray, n: np.ndarray) -> float:
    """Pearson's chi-squared test of equal excluded shares across conditions."""
    from scipy.stats import chi2_contingency

    observed = np.stack([excluded, n - excluded])
    if len(n) < 2 or observed.sum(axis=1).min() == 0:
        return float("nan")
    return float(chi2_contingency(observed, correction=False).pvalue)
