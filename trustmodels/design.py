r"""The declared design of a study: its factors, moderators, covariates and vignettes.

A researcher's vignette survey is described once, by a :class:`StudyDesign`:

- **factors**: categorical variables with their levels, the first being the reference
  (e.g. a scandal reaction ``("silence", "excuse", "justification")``);
- **moderators**: numeric variables with a transform (``"log10"`` or ``"none"``) and a centre, so
  that the effects of the factors are read at the centre (:class:`Moderator`);
- an optional **covariate**: a construct whose z-scored respondent mean enters the model (such
  as disposition to trust);
- optional **covariate columns**: numeric columns of the data (such as age or prior purchases),
  each z-scored and added to latent trust with a slope of its own, without interactions;
- the **outcomes**: the constructs whose items the model explains;
- the **vignette** column when every respondent rates several vignettes (long format: one row
  per answer, with the respondent, the vignette and the item). The factors and moderators may
  then vary within respondents;
- optional **groups**: grouping factors crossed with respondents, such as the seller profile a
  vignette shows or the rater who coded it; each gets a random intercept in the model.

The fixed effects are the full factorial of the factors (treatment coding against the reference
levels) and the moderators: every main effect and every interaction, named like
``reaction[excuse]``, ``log10(fans)`` and ``reaction[excuse]:reputation[high]``. There is no
intercept column: the item thresholds of an ordinal model absorb it.

:func:`prepare_design_data` checks that the data can support the declared design (one clear line
before any sampling: a factor with one level or an unknown level, an empty design cell, a
moderator without variation, a covariate missing for a respondent, collinear columns, an outcome
item without answers) and returns the arrays of
:func:`trustmodels.models.declared.build_design_model`. :func:`simulate_design_survey` draws a
survey of any declared design from given effects (for recovery on a user's design and for
planning a study).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "DesignData",
    "Moderator",
    "StudyDesign",
    "checked_answers",
    "condition_labels",
    "design_rows",
    "design_table",
    "effect_names",
    "prepare_design_data",
    "simulate_design_survey",
]

_REQUIRED = ("respondent", "item", "construct", "response", "n_categories")


@dataclass(frozen=True)
class Moderator:
    """A numeric moderator: how it is transformed and where it is centred.

    Parameters
    ----------
    transform : {"none", "log10"}
        Applied before centring (``log10`` needs positive values).
    centre : float
        Subtracted after the transform, in transformed units: the factors' effects are read at
        this value (e.g. 4 for ``log10`` of a fan count: 10,000 followers).
    simulate_range : tuple of float
        Range of the transformed values that :func:`simulate_design_survey` draws from.

    Examples
    --------
    >>> Moderator("log10", centre=4.0).apply([100, 10_000]).tolist()
    [-2.0, 0.0]
    """

    transform: str = "none"
    centre: float = 0.0
    simulate_range: tuple[float, float] = (-1.0, 1.0)

    def __post_init__(self):
        if self.transform not in ("none", "log10"):
            raise ValueError(f"unknown transform {self.transform!r}; expected 'none' or 'log10'")

    def apply(self, values) -> np.ndarray:
        """Return the transformed, centred values."""
        values = np.asarray(values, dtype=float)
        if self.transform == "log10":
            values = np.log10(values)
        return values - self.centre

    def label(self, name: str) -> str:
        """Return the name of the moderator's effect (``log10(fans)`` or ``age``)."""
        return f"log10({name})" if self.transform == "log10" else name


@dataclass(frozen=True)
class StudyDesign:
    """The declared design of a vignette study (see the module docstring).

    Parameters
    ----------
    factors : mapping of str to sequence of str
        Column name to levels; the first level is the reference.
    outcomes : sequence of str
        Outcome constructs.
    moderators : mapping of str to Moderator
        Column name to its transform and centre.
    covariate : str, optional
        Construct whose z-scored respondent mean is a covariate.
    covariate_columns : sequence of str
        Numeric columns (one value per rating occasion) that enter the model z-scored and
        additively, each with its own slope (e.g. the respondent's age).
    vignette : str, optional
        Column of the vignette id when respondents rate several vignettes.
    groups : sequence of str
        Columns of grouping factors crossed with respondents (e.g. the seller profile or the
        rater), one value per rating occasion; each gets a random intercept.

    Examples
    --------
    >>> design = StudyDesign({"reaction": ["silence", "excuse"], "reputation": ["low", "high"]},
    ...                      outcomes=["trust"], vignette="vignette")
    >>> effect_names(design)
    ('reaction[excuse]', 'reputation[high]', 'reaction[excuse]:reputation[high]')
    """

    factors: Mapping[str, Sequence[str]]
    outcomes: Sequence[str]
    moderators: Mapping[str, Moderator] = field(default_factory=dict)
    covariate: str | None = None
    vignette: str | None = None
    groups: Sequence[str] = ()
    covariate_columns: Sequence[str] = ()

    def __post_init__(self):
        object.__setattr__(self, "factors",
                           {str(k): tuple(str(v) for v in levels)
                            for k, levels in dict(self.factors).items()})
        object.__setattr__(self, "outcomes", tuple(self.outcomes))
        object.__setattr__(self, "moderators", dict(self.moderators))
        object.__setattr__(self, "groups", tuple(str(name) for name in self.groups))
        object.__setattr__(self, "covariate_columns",
                           tuple(str(name) for name in self.covariate_columns))
        if not self.outcomes:
            raise ValueError("a design needs at least one outcome construct")
        reserved = sorted(set(_REQUIRED) & {*self.factors, *self.moderators, *self.groups,
                                            *self.covariate_columns,
                                            *([self.vignette] if self.vignette else [])})
        if reserved:
            raise ValueError(f"the design column {reserved[0]!r} has the name of a column of the "
                             f"long table ({', '.join(_REQUIRED)}); rename it in the data and "
                             "the codebook (e.g. 'seller_response')")
        for name, levels in self.factors.items():
            if len(levels) < 2:
                raise ValueError(f"factor {name!r} declares {len(levels)} level(s); expected at "
                                 "least 2 (the first is the reference)")
            if len(set(levels)) != len(levels):
                raise ValueError(f"factor {name!r} declares a level twice: {list(levels)}")
        if not self.factors and not self.moderators:
            raise ValueError("a design needs at least one factor or moderator")
        taken = {*self.factors, *self.moderators, *([self.vignette] if self.vignette else [])}
        for name in self.groups:
            if name in taken or self.groups.count(name) > 1:
                raise ValueError(f"group {name!r} is also a factor, a moderator, the vignette or "
                                 "another group; a grouping factor needs a column of its own")
        for name in self.covariate_columns:
            if name in (*taken, *self.groups) or self.covariate_columns.count(name) > 1:
                raise ValueError(f"covariate column {name!r} is also a factor, a moderator, the "
                                 "vignette, a group or another covariate column; a covariate "
                                 "column needs a column of its own")

    @property
    def columns(self) -> tuple[str, ...]:
        """The data columns the design uses (factors, then moderators)."""
        return (*self.factors, *self.moderators)

    @classmethod
    def from_codebook(cls, codebook, outcomes: Sequence[str] | None = None) -> StudyDesign:
        """Return the design a codebook declares in its ``trustmodels`` section.

        Parameters
        ----------
        codebook : trustmodels.survey.codebook.Codebook
            The factors are its ``design`` fields (levels: their categories, the first being
            the reference), the moderators its ``moderators`` (and ``fan_count``), the
            covariate, vignette and outcomes as declared.
        outcomes : sequence of str, optional
            Outcome constructs instead of the codebook's.

        Returns
        -------
        StudyDesign

        Raises
        ------
        ValueError
            When the codebook declares neither a factor nor a moderator (one line).

        Examples
        --------
        >>> from trustmodels.datasets.simulated import load_simulated_survey
        >>> design = StudyDesign.from_codebook(load_simulated_survey().codebook,
        ...                                    outcomes=["competence"])
        >>> design.factors["seller_response"], design.moderators["fan_count"].transform
        (('none', 'apology', 'denial'), 'log10')
        """
        if not codebook.design and not codebook.moderators:
            raise ValueError(f"{codebook.source}: the trustmodels section declares no design "
                             'factor and no moderator; add "design": [...] or "moderators"')
        return cls(
            factors={name: [str(level) for level in codebook.field(name).categories]
                     for name in codebook.design},
            outcomes=list(outcomes if outcomes is not None else codebook.outcomes),
            moderators={name: Moderator(transform, centre)
                        for name, (transform, centre) in codebook.moderators.items()},
            covariate=codebook.covariate,
            vignette=codebook.vignette,
            groups=codebook.groups,
            covariate_columns=codebook.covariate_columns,
        )


def _terms(design: StudyDesign) -> list[list[tuple[str, np.ndarray | None]]]:
    """Per design variable, its columns as ``(label, level or None)``."""
    terms = []
    for name, levels in design.factors.items():
        terms.append([(f"{name}[{level}]", level) for level in levels[1:]])
    for name, moderator in design.moderators.items():
        terms.append([(moderator.label(name), None)])
    return terms


def effect_names(design: StudyDesign) -> tuple[str, ...]:
    """Return the names of the fixed effects: every main effect and interaction, in order.

    Parameters
    ----------
    design : StudyDesign
        The design.

    Returns
    -------
    tuple of str
        Main effects first, then two-way, three-way ... interactions.
    """
    return tuple(design_rows(pd.DataFrame(columns=list(design.columns)), design).columns)


def design_rows(frame: pd.DataFrame, design: StudyDesign) -> pd.DataFrame:
    """Return the fixed-effects design matrix of the rows of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per rating occasion (respondent and vignette) with the design's columns.
    design : StudyDesign
        The design.

    Returns
    -------
    pandas.DataFrame
        One column per effect (:func:`effect_names`), float.

    Examples
    --------
    >>> design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"],
    ...                      moderators={"fans": Moderator("log10", centre=4.0)})
    >>> frame = pd.DataFrame({"reaction": ["silence", "excuse"], "fans": [100, 100_000]})
    >>> design_rows(frame, design).to_dict("list")
    {'reaction[excuse]': [0.0, 1.0], 'log10(fans)': [-2.0, 1.0], 'reaction[excuse]:log10(fans)': [-0.0, 1.0]}
    """  # noqa: E501
    n = len(frame)
    single = {}
    for name, levels in design.factors.items():
        values = frame[name].astype(str).to_numpy() if n else np.array([], dtype=str)
        for level in levels[1:]:
            single[f"{name}[{level}]"] = (values == level).astype(float)
    for name, moderator in design.moderators.items():
        single[moderator.label(name)] = moderator.apply(frame[name].to_numpy() if n else [])
    columns = {}
    groups = _terms(design)
    for order in range(1, len(groups) + 1):
        for subset in itertools.combinations(groups, order):
            for combination in itertools.product(*subset):
                label = ":".join(part for part, _ in combination)
                values = np.ones(n)
                for part, _ in combination:
                    values = values * single[part]
                columns[label] = values
    return pd.DataFrame(columns, index=frame.index, dtype=float)


@dataclass(frozen=True)
class DesignData:
    """The arrays of a declared design's model (see :func:`prepare_design_data`).

    Attributes
    ----------
    respondents : tuple of str
        Respondent labels in order of first appearance.
    occasions : pandas.DataFrame
        One row per rating occasion (a respondent's vignette) with ``respondent``, ``vignette``
        and the design columns.
    occasion_respondent : numpy.ndarray of int
        Respondent index of each occasion.
    items, constructs : tuple of str
        Outcome items and constructs.
    item_categories : numpy.ndarray of int
        K of each item.
    occasion_index, item_index, response : numpy.ndarray of int
        Per answer.
    design : pandas.DataFrame
        Fixed-effects design matrix, one row per occasion.
    covariate : numpy.ndarray or None
        The z-scored covariate per respondent.
    item_construct : numpy.ndarray of int
        Position of each item's construct in ``constructs``.
    groups : dict of str to (tuple of str, numpy.ndarray of int)
        Per grouping factor: its levels (in order of appearance) and the level of each
        occasion.
    covariate_columns : pandas.DataFrame or None
        The design's covariate columns, z-scored over the occasions, one row per occasion.
    """

    respondents: tuple[str, ...]
    occasions: pd.DataFrame
    occasion_respondent: np.ndarray
    items: tuple[str, ...]
    constructs: tuple[str, ...]
    item_categories: np.ndarray
    occasion_index: np.ndarray
    item_index: np.ndarray
    response: np.ndarray
    design: pd.DataFrame
    covariate: np.ndarray | None
    item_construct: np.ndarray | None = None
    groups: Mapping[str, tuple[tuple[str, ...], np.ndarray]] = field(default_factory=dict)
    covariate_columns: pd.DataFrame | None = None

    @property
    def n_categories(self) -> np.ndarray:
        """K of each answer's item."""
        return self.item_categories[self.item_index]

    @property
    def answer_items(self) -> list[str]:
        """The item of each answer, in the order the model observes them.

        For per-item predictive checks
        (:func:`~trustmodels.analysis.checks.category_counts` with ``by_item=``).
        """
        return [self.items[j] for j in self.item_index]


def _collinear(matrix: np.ndarray, names: list[str]) -> list[str]:
    """Return the names of columns that are linear combinations of earlier ones."""
    dependent, kept = [], []
    for j, name in enumerate(names):
        candidate = matrix[:, [*kept, j]]
        if np.linalg.matrix_rank(candidate, tol=1e-8 * max(1.0, np.abs(candidate).max())) \
                < len(kept) + 1:
            dependent.append(name)
        else:
            kept.append(j)
    return dependent


def checked_answers(table: pd.DataFrame) -> np.ndarray:
    """Return the ``response`` column as integers, or raise if one is not in ``1..n_categories``.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of answers with ``response`` and ``n_categories``.

    Returns
    -------
    numpy.ndarray of int

    Raises
    ------
    ValueError
        One line naming the first bad row.

    Examples
    --------
    >>> checked_answers(pd.DataFrame({"response": [1, 9], "n_categories": [5, 5]}))
    Traceback (most recent call last):
    ...
    ValueError: column 'response' row 1 is 9; expected an integer in 1..5
    """
    response = pd.to_numeric(table["response"], errors="coerce").to_numpy(float)
    n_cat = table["n_categories"].to_numpy(float)
    bad = ~np.isfinite(response) | (response < 1) | (response > n_cat) | (response % 1 != 0)
    if bad.any():
        row = table.index[np.argmax(bad)]
        raise ValueError(f"column 'response' row {row} is {table['response'].loc[row]}; "
                         f"expected an integer in 1..{int(n_cat[np.argmax(bad)])}")
    return response.astype(int)


def prepare_design_data(long: pd.DataFrame, design: StudyDesign) -> DesignData:
    """Check that the data support the declared design and return the model's arrays.

    Parameters
    ----------
    long : pandas.DataFrame
        One row per answer: ``respondent``, ``item``, ``construct``, ``response`` (1..K),
        ``n_categories`` (K), the design's columns and, for several vignettes per respondent,
        the vignette column.
    design : StudyDesign
        The declared design.

    Returns
    -------
    DesignData

    Raises
    ------
    ValueError
        One line naming the problem, before any sampling.

    Examples
    --------
    >>> design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    >>> long = pd.DataFrame({"respondent": ["R1", "R2"], "item": ["t1", "t1"],
    ...     "construct": ["trust", "trust"], "response": [2, 4], "n_categories": [5, 5],
    ...     "reaction": ["excuse", "excuse"]})
    >>> prepare_design_data(long, design)
    Traceback (most recent call last):
    ...
    ValueError: factor 'reaction' has only the level(s) ['excuse'] in the data; its effects are not identified (declared levels: ['silence', 'excuse'])
    """  # noqa: E501
    if long is None or len(long) == 0:
        raise ValueError("the long table is empty; expected one row per observed answer")
    vignette = [design.vignette] if design.vignette else []
    missing = [c for c in (*_REQUIRED, *design.columns, *vignette, *design.groups,
                           *design.covariate_columns) if c not in long.columns]
    if missing:
        raise ValueError(f"the long table lacks the columns {missing} that the design declares "
                         f"or the models need")
    constructs_present = set(long["construct"].astype(str))
    for construct in (*design.outcomes, *([design.covariate] if design.covariate else [])):
        if construct not in constructs_present:
            raise ValueError(f"construct {construct!r} has no answers in the table")
    _check_covariate_columns(long, design)
    keys = ["respondent", *vignette]
    per_occasion = [*design.columns, *design.groups, *design.covariate_columns]
    occasions = (long[[*keys, *per_occasion]].astype({"respondent": str})
                 .drop_duplicates(subset=keys).reset_index(drop=True))
    grouped = long.groupby(keys, sort=False, observed=True)
    for column in per_occasion:
        varying = grouped[column].nunique(dropna=False)
        if (varying > 1).any():
            where = dict(zip(keys, map(str, np.atleast_1d(varying.index[varying > 1][0])),
                             strict=True))
            raise ValueError(f"column {column!r} varies within {where}; expected one value per "
                             "rating occasion")
    for name, levels in design.factors.items():
        values = occasions[name].astype(str)
        unknown = sorted(set(values) - set(levels))
        if unknown:
            raise ValueError(f"factor {name!r} has levels {unknown} that the design does not "
                             f"declare; expected {list(levels)}")
        present = [level for level in levels if (values == level).any()]
        if len(present) < 2:
            raise ValueError(f"factor {name!r} has only the level(s) {present} in the data; its "
                             f"effects are not identified (declared levels: {list(levels)})")
    if len(design.factors) > 1:
        cells = occasions.groupby([occasions[n].astype(str) for n in design.factors]).size()
        for cell in itertools.product(*design.factors.values()):
            if cells.get(cell, 0) == 0:
                named = ", ".join(f"{n}={v}" for n, v in zip(design.factors, cell, strict=True))
                raise ValueError(f"the design cell ({named}) has no rating; its interaction is "
                                 "not identified")
    for name, moderator in design.moderators.items():
        values = pd.to_numeric(occasions[name], errors="coerce").to_numpy(float)
        invalid = ~np.isfinite(values)
        if moderator.transform == "log10":
            invalid |= ~(values > 0)
        if invalid.any():
            bad = occasions.loc[invalid, "respondent"]
            raise ValueError(f"moderator {name!r} is missing or invalid for respondent "
                             f"{bad.iloc[0]!r}; expected a number"
                             + (" > 0 (log10)" if moderator.transform == "log10" else ""))
        if np.ptp(values) == 0:
            raise ValueError(f"moderator {name!r} does not vary (always {values[0]:g}); drop it "
                             "from the design")
    groups = {}
    for name in design.groups:
        values = occasions[name]
        if values.isna().any():
            who = occasions.loc[values.isna(), "respondent"].iloc[0]
            raise ValueError(f"group {name!r} is missing for respondent {who!r}; expected a "
                             "value for every rating occasion")
        labels = values.astype(str)
        levels = tuple(dict.fromkeys(labels))
        if len(levels) < 2:
            raise ValueError(f"group {name!r} has only the level {levels[0]!r}; a grouping "
                             "factor needs at least two levels")
        groups[name] = (levels, pd.Series(np.arange(len(levels)), index=levels)
                        .loc[labels].to_numpy(int))

    adjust = _covariate_columns(occasions, design)
    respondents = tuple(dict.fromkeys(occasions["respondent"]))
    respondent_pos = pd.Series(np.arange(len(respondents)), index=respondents)
    x = design_rows(occasions, design)
    augmented = np.column_stack([np.ones(len(x)), x.to_numpy(),
                                 *([] if adjust is None else [adjust.to_numpy()])])
    dependent = _collinear(augmented, ["(intercept)", *x.columns,
                                       *([] if adjust is None else adjust.columns)])
    if dependent:
        raise ValueError(f"the design columns {dependent} are collinear with earlier ones (or "
                         "constant); the data cannot tell their effects apart")

    table = long[long["construct"].astype(str).isin(design.outcomes)]
    items = tuple(dict.fromkeys(table["item"].astype(str)))
    per_item = table.groupby(table["item"].astype(str), sort=False)
    item_categories = per_item["n_categories"].first().reindex(items).to_numpy(int)
    response = checked_answers(table)
    occasion_pos = pd.Series(np.arange(len(occasions)),
                             index=pd.MultiIndex.from_frame(occasions[keys].astype(str))
                             if vignette else occasions["respondent"].astype(str))
    lookup = (pd.MultiIndex.from_frame(table[keys].astype(str)) if vignette
              else table["respondent"].astype(str))
    covariate = None
    if design.covariate:
        ctable = long[long["construct"].astype(str) == design.covariate]
        means = (pd.to_numeric(ctable["response"]).groupby(ctable["respondent"].astype(str))
                 .mean().reindex(list(respondents)))
        if means.isna().any():
            who = means.index[means.isna()][:3].tolist()
            raise ValueError(f"respondents {who} answered no {design.covariate!r} item; the "
                             "covariate must be known for every respondent")
        if not means.std(ddof=0) > 0:
            raise ValueError(f"the covariate {design.covariate!r} does not vary across "
                             "respondents")
        covariate = ((means - means.mean()) / means.std(ddof=0)).to_numpy(float)
    return DesignData(
        respondents=respondents,
        occasions=occasions,
        occasion_respondent=respondent_pos.loc[occasions["respondent"]].to_numpy(int),
        items=items,
        constructs=tuple(c for c in design.outcomes),
        item_categories=item_categories,
        occasion_index=occasion_pos.loc[lookup].to_numpy(int),
        item_index=pd.Series(np.arange(len(items)), index=items)
        .loc[table["item"].astype(str)].to_numpy(int),
        response=response.astype(int),
        design=x,
        covariate=covariate,
        item_construct=pd.Series(np.arange(len(design.outcomes)), index=list(design.outcomes))
        .loc[per_item["construct"].first().astype(str).reindex(items)].to_numpy(int),
        groups=groups,
        covariate_columns=adjust,
    )


def _check_covariate_columns(long: pd.DataFrame, design: StudyDesign) -> None:
    """Raise (one line) if a covariate column has a missing or non-numeric value."""
    for name in design.covariate_columns:
        raw = long[name]
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        bad = ~np.isfinite(values.to_numpy())
        if bad.any():
            row = long.index[np.argmax(bad)]
            shown = "empty" if pd.isna(raw.loc[row]) else repr(raw.loc[row])
            raise ValueError(f"covariate column {name!r} row {row} (respondent "
                             f"{str(long.loc[row, 'respondent'])!r}) is {shown}; expected a "
                             "number for every answer (a covariate may not be missing)")


def _covariate_columns(occasions: pd.DataFrame, design: StudyDesign) -> pd.DataFrame | None:
    """Return the design's covariate columns z-scored over the occasions, or raise (one line)."""
    if not design.covariate_columns:
        return None
    scores = {}
    for name in design.covariate_columns:
        per_occasion = pd.to_numeric(occasions[name]).to_numpy(float)
        spread = per_occasion.std()
        if not spread > 0:
            raise ValueError(f"covariate column {name!r} does not vary (always "
                             f"{per_occasion[0]:g}); drop it from the design")
        scores[name] = (per_occasion - per_occasion.mean()) / spread
    return pd.DataFrame(scores, index=occasions.index)


def condition_labels(long: pd.DataFrame, design: StudyDesign) -> list[str]:
    """Return the design cell of each outcome answer, in the order the model observes them.

    Parameters
    ----------
    long : pandas.DataFrame
        The long table given to :func:`trustmodels.models.declared.build_design_model`.
    design : StudyDesign
        The design.

    Returns
    -------
    list of str
        ``"factor=level, factor=level"`` per answer of an outcome construct (``"all"`` for a
        design without factors), e.g. for
        :func:`trustmodels.analysis.checks.category_counts` ``by=``.

    Examples
    --------
    >>> design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    >>> long = pd.DataFrame({"construct": ["trust", "mood", "trust"],
    ...                      "reaction": ["excuse", "excuse", "silence"]})
    >>> condition_labels(long, design)
    ['reaction=excuse', 'reaction=silence']
    """
    table = long[long["construct"].astype(str).isin(design.outcomes)]
    if not design.factors:
        return ["all"] * len(table)
    parts = [name + "=" + table[name].astype(str) for name in design.factors]
    labels = parts[0]
    for part in parts[1:]:
        labels = labels + ", " + part
    return labels.tolist()


def design_table(survey) -> pd.DataFrame:
    """Return a survey's answers as the long table the declared-design model reads.

    The answers are recoded to their position on the item's answer scale (1..K in the order of
    the codebook's categories), so that items coded 0-4 or -2..2 work like items coded 1-5.

    Parameters
    ----------
    survey : trustmodels.survey.table.Survey
        A validated survey.

    Returns
    -------
    pandas.DataFrame
        :attr:`Survey.long <trustmodels.survey.table.Survey.long>` with ``response`` in 1..K.

    Examples
    --------
    >>> from trustmodels.datasets.simulated import load_simulated_survey
    >>> long = design_table(load_simulated_survey())
    >>> int(long["response"].min()), bool((long["response"] <= long["n_categories"]).all())
    (1, True)
    """
    long = survey.long.copy()
    book = survey.codebook
    position = {item: {level: index + 1 for index, level in enumerate(book.likert_levels(item))}
                for item in book.items}
    items = long["item"].astype(str).to_numpy()
    long["response"] = [position[item][value]
                        for item, value in zip(items, long["response"].tolist(), strict=True)]
    long["response"] = long["response"].astype("int64")
    return long


def simulate_design_survey(design: StudyDesign, effects: Mapping[str, float], *,
                           n_respondents: int, items: Mapping[str, Sequence[str]],
                           n_categories: int = 5, vignettes: int = 1, discrimination: float = 1.5,
                           covariate_effect: float = 0.0,
                           group_levels: Mapping[str, int] | None = None,
                           group_sd: Mapping[str, float] | None = None,
                           seed: int = 0) -> pd.DataFrame:
    """Draw a SIMULATED survey (long table) of a declared design from known effects.

    Every respondent rates ``vignettes`` vignettes; each vignette's factor levels are a random
    design cell (balanced over respondents and vignettes) and its moderators uniform over their
    ``simulate_range``. Latent trust of a rating is the design row times the effects plus a
    standard-normal respondent term; each item answers through a cumulative logit with the
    same discrimination and evenly spaced thresholds. With a covariate, each respondent also
    has a standard-normal latent covariate (such as disposition to trust) that moves latent
    trust by ``covariate_effect`` and is measured by the covariate construct's items the same
    way; the model sees only their z-scored mean, as it would in a real survey. Each grouping
    factor of the design (``design.groups``) assigns every rating occasion one of its levels
    (balanced, at random) and adds that level's normal intercept with SD ``group_sd``. Each
    covariate column (``design.covariate_columns``) is a standard-normal value per respondent
    (the same on all their vignettes) that moves latent trust by its entry in ``effects``.

    Parameters
    ----------
    design : StudyDesign
        The design.
    effects : mapping of str to float
        True value of each effect of :func:`effect_names` and of each covariate column's slope
        (latent SD per SD; missing ones are 0).
    n_respondents : int
        Respondents.
    items : mapping of str to sequence of str
        Items of each outcome construct (and of the covariate construct, when declared).
    n_categories : int
        Answer categories of every item.
    vignettes : int
        Vignettes per respondent (more than 1 needs ``design.vignette``).
    discrimination : float
        Item discrimination.
    covariate_effect : float
        Effect of the latent covariate on latent trust (latent SD per SD; with a covariate).
    group_levels : mapping of str to int, optional
        Number of levels of each grouping factor (default 8); levels are named
        ``"<group>1"``, ``"<group>2"``, ...
    group_sd : mapping of str to float, optional
        SD of each grouping factor's intercepts, in latent SD (default 0.5).
    seed : int
        Random seed.

    Returns
    -------
    pandas.DataFrame
        One row per answer, as :func:`prepare_design_data` expects.

    Examples
    --------
    >>> design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"],
    ...                      vignette="vignette")
    >>> long = simulate_design_survey(design, {"reaction[excuse]": 0.5}, n_respondents=4,
    ...                               items={"trust": ["t1", "t2"]}, vignettes=3)
    >>> len(long), sorted(long["response"].unique().tolist())[0] >= 1
    (24, True)
    """
    if vignettes > 1 and not design.vignette:
        raise ValueError("several vignettes per respondent need a vignette column in the design")
    if design.covariate and not items.get(design.covariate):
        raise ValueError(f"the design declares the covariate {design.covariate!r}, but items "
                         "lists none of its items; expected its item names as for an outcome")
    known = [*effect_names(design), *design.covariate_columns]
    unknown = sorted(set(effects) - set(known))
    if unknown:
        raise ValueError(f"effects {unknown} are not effects of the design; expected some of "
                         f"{known}")
    strangers = sorted((set(group_levels or {}) | set(group_sd or {})) - set(design.groups))
    if strangers:
        raise ValueError(f"group_levels or group_sd name {strangers}, which are not groups of the "
                         f"design; groups: {list(design.groups)}")
    rng = np.random.default_rng(seed)
    cells = list(itertools.product(*design.factors.values())) or [()]
    n_occasions = n_respondents * vignettes
    order = np.resize(rng.permutation(len(cells)), n_occasions)
    rng.shuffle(order)
    occasions = pd.DataFrame({"respondent": np.repeat([f"R{i + 1:04d}" for i in
                                                       range(n_respondents)], vignettes)})
    if design.vignette:
        occasions[design.vignette] = np.tile([f"V{v + 1}" for v in range(vignettes)],
                                             n_respondents)
    for j, name in enumerate(design.factors):
        occasions[name] = [cells[k][j] for k in order]
    for name, moderator in design.moderators.items():
        low, high = moderator.simulate_range
        transformed = rng.uniform(low, high, n_occasions) + moderator.centre
        occasions[name] = 10 ** transformed if moderator.transform == "log10" else transformed
    x = design_rows(occasions, design)
    beta = np.array([effects.get(name, 0.0) for name in x.columns])
    person = rng.normal(size=n_respondents)
    theta = x.to_numpy() @ beta + np.repeat(person, vignettes)
    if design.covariate:
        covariate = np.repeat(rng.normal(size=n_respondents), vignettes)
        theta = theta + covariate_effect * covariate
    for name in design.groups:  # drawn after everything else: other designs keep their draws
        n_levels = int((group_levels or {}).get(name, 8))
        level = np.resize(rng.permutation(n_levels), n_occasions)
        rng.shuffle(level)
        occasions[name] = [f"{name}{k + 1}" for k in level]
        theta = theta + float((group_sd or {}).get(name, 0.5)) * rng.normal(size=n_levels)[level]
    for name in design.covariate_columns:  # last, for the same reason
        occasions[name] = np.repeat(rng.normal(size=n_respondents), vignettes)
        theta = theta + float(effects.get(name, 0.0)) * occasions[name].to_numpy()
    thresholds = np.linspace(-2.0, 2.0, n_categories - 1)
    rows = []
    for construct, names in items.items():
        measured = covariate if construct == design.covariate else theta
        for item in names:
            latent = discrimination * measured + rng.logistic(size=n_occasions)
            answers = 1 + (latent[:, None] > thresholds[None, :]).sum(axis=1)
            block = occasions.copy()
            block["item"], block["construct"] = item, construct
            block["response"], block["n_categories"] = answers, n_categories
            rows.append(block)
    long = pd.concat(rows, ignore_index=True)
    order_keys = ["respondent", *([design.vignette] if design.vignette else [])]
    return long.sort_values(order_keys, kind="stable").reset_index(drop=True)
