"""From the tidy long survey table to the index arrays and design matrix of the models.

The long table (``Survey.long``) has one row per observed answer with columns ``respondent``,
``item``, ``construct``, ``response`` (1..K), ``n_categories`` (K), ``seller_response``,
``violation`` and ``fan_count``. :func:`prepare_ordinal_data` checks it and returns an
:class:`OrdinalData` whose arrays index respondents, items and constructs in a fixed order (the
coordinates of the models). Bad input raises a one-line :class:`ValueError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trustmodels.datasets.simulated_design import (
    EFFECT_NAMES,
    RESPONSE_LEVELS,
    VIOLATION_LEVELS,
    design_matrix,
)
from trustmodels.design import StudyDesign, checked_answers, prepare_design_data

__all__ = [
    "DEFAULT_OUTCOMES",
    "DISPOSITION_CONSTRUCT",
    "OrdinalData",
    "check_factor_and_by",
    "ordinal_data_of_design",
    "prepare_ordinal_data",
    "respondent_design",
]

#: The outcome constructs of the main model: the three trust beliefs (McKnight et al. 2002).
DEFAULT_OUTCOMES = ("competence", "benevolence", "integrity")
#: The construct whose respondent mean (z-scored) is the disposition-to-trust covariate.
DISPOSITION_CONSTRUCT = "disposition"

_REQUIRED = ("respondent", "item", "construct", "response", "n_categories")
_DESIGN = ("seller_response", "violation", "fan_count")


@dataclass(frozen=True)
class OrdinalData:
    """Arrays of the answers to the outcome items, ready for a model.

    Attributes
    ----------
    respondents, items, constructs : tuple of str
        Coordinate labels (respondents in order of first appearance, items and constructs in
        the table's category order, restricted to the outcomes).
    item_construct : numpy.ndarray of int
        Construct index of each item.
    item_categories : numpy.ndarray of int
        K of each item.
    respondent_index, item_index, construct_index : numpy.ndarray of int
        Per answer.
    response : numpy.ndarray of int
        Per answer, coded 1..K.
    design : pandas.DataFrame
        Fixed-effects design matrix, one row per respondent (columns = effects).
    disposition : numpy.ndarray or None
        z-scored respondent mean of the disposition items, or None when not used.
    """

    respondents: tuple[str, ...]
    items: tuple[str, ...]
    constructs: tuple[str, ...]
    item_construct: np.ndarray
    item_categories: np.ndarray
    respondent_index: np.ndarray
    item_index: np.ndarray
    construct_index: np.ndarray
    response: np.ndarray
    design: pd.DataFrame
    disposition: np.ndarray | None
    respondent_table: pd.DataFrame = field(repr=False)

    @property
    def n_categories(self) -> np.ndarray:
        """K of each answer's item."""
        return self.item_categories[self.item_index]

    @property
    def effects(self) -> tuple[str, ...]:
        """Names of the fixed effects (design columns)."""
        return tuple(self.design.columns)


def _levels(series: pd.Series) -> list[str]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [str(c) for c in series.cat.categories if (series == c).any()]
    return list(dict.fromkeys(series.astype(str)))


def respondent_design(long: pd.DataFrame) -> pd.DataFrame:
    """Return one row per respondent with the design columns, checking they are constant.

    Parameters
    ----------
    long : pandas.DataFrame
        The tidy long table.

    Returns
    -------
    pandas.DataFrame
        Index ``respondent`` (order of first appearance), columns ``seller_response``,
        ``violation``, ``fan_count``.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"respondent": ["R1", "R1", "R2"],
    ...     "seller_response": ["none", "none", "apology"],
    ...     "violation": ["integrity"] * 3, "fan_count": [100, 100, 10_000]})
    >>> respondent_design(long)["fan_count"].tolist()
    [100, 10000]
    """
    missing = [c for c in ("respondent", *_DESIGN) if c not in long.columns]
    if missing:
        raise ValueError(f"the long table lacks the design columns {missing}")
    grouped = long.groupby("respondent", sort=False, observed=True)
    for column in _DESIGN:
        varying = grouped[column].nunique(dropna=False)
        if (varying > 1).any():
            who = varying.index[varying > 1][0]
            raise ValueError(f"column '{column}' varies within respondent {who!r}; "
                             "expected one value per respondent")
    first = grouped[list(_DESIGN)].first()
    return first.reindex(pd.unique(long["respondent"]))


def _check_design(design: pd.DataFrame) -> None:
    fans = pd.to_numeric(design["fan_count"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(fans) | (fans < 1)
    if bad.any():
        who = design.index[bad][0]
        raise ValueError(f"column 'fan_count' of respondent {who!r} is "
                         f"{design["fan_count"].iloc[np.argmax(bad)]}; models take its log10 "
                         "and need a finite count >= 1")
    for column, allowed in (("seller_response", RESPONSE_LEVELS), ("violation", VIOLATION_LEVELS)):
        values = design[column].astype(str)
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise ValueError(f"column '{column}' has unknown levels {unknown}; expected {allowed}")
        if values.nunique() < 2:
            raise ValueError(f"design factor '{column}' has only one level "
                             f"({values.iloc[0]!r}) in the data; its effects are not identified")


def prepare_ordinal_data(
    long: pd.DataFrame,
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
    disposition: str | None = DISPOSITION_CONSTRUCT,
    effects: tuple[str, ...] = EFFECT_NAMES,
) -> OrdinalData:
    """Check the long table and return the arrays of the outcome answers.

    Parameters
    ----------
    long : pandas.DataFrame
        The tidy long table (``Survey.long``).
    outcomes : tuple of str
        Constructs whose items are modelled as outcomes.
    disposition : str or None
        Construct averaged per respondent (then z-scored) into the disposition covariate; None
        leaves the covariate out.
    effects : tuple of str
        Fixed effects (subset of :data:`trustmodels.datasets.simulated_design.EFFECT_NAMES`).

    Returns
    -------
    OrdinalData
        The model's arrays.

    Raises
    ------
    ValueError
        One line naming the problem: empty table, missing column, unknown construct, a construct
        without items, an answer outside 1..K, a bad fan count, a factor with one level, or
        respondents without any disposition answer.

    Examples
    --------
    >>> import pandas as pd
    >>> prepare_ordinal_data(pd.DataFrame())
    Traceback (most recent call last):
    ...
    ValueError: the long table is empty; expected one row per observed answer
    """
    if long is None or len(long) == 0:
        raise ValueError("the long table is empty; expected one row per observed answer")
    missing = [c for c in (*_REQUIRED, *_DESIGN) if c not in long.columns]
    if missing:
        raise ValueError(f"the long table lacks the columns {missing}; expected {list(_REQUIRED)}"
                         f" and the design columns {list(_DESIGN)}")
    outcomes = tuple(outcomes)
    if not outcomes:
        raise ValueError("no outcome constructs given; expected e.g. " + repr(DEFAULT_OUTCOMES))
    construct_col = long["construct"]
    declared = ([str(c) for c in construct_col.cat.categories]
                if isinstance(construct_col.dtype, pd.CategoricalDtype)
                else list(dict.fromkeys(construct_col.astype(str))))
    wanted = outcomes + ((disposition,) if disposition is not None else ())
    unknown = [c for c in wanted if c not in declared]
    if unknown:
        raise ValueError(f"unknown constructs {unknown}; the table has {declared}")
    present = set(construct_col.astype(str))
    empty = [c for c in wanted if c not in present]
    if empty:
        raise ValueError(f"construct {empty[0]!r} has no items (no answers) in the table")

    design = respondent_design(long)
    _check_design(design)
    respondents = tuple(str(r) for r in design.index)
    respondent_pos = pd.Series(np.arange(len(respondents)), index=design.index)

    table = long[construct_col.astype(str).isin(outcomes)]
    items = tuple(_levels(table["item"]))
    constructs = tuple(c for c in declared if c in outcomes)
    item_pos = pd.Series(np.arange(len(items)), index=items)
    construct_pos = pd.Series(np.arange(len(constructs)), index=constructs)
    per_item = table.groupby(table["item"].astype(str), sort=False)
    item_categories = per_item["n_categories"].first().reindex(items).to_numpy(int)
    if (per_item["n_categories"].nunique() > 1).any():
        raise ValueError("column 'n_categories' varies within an item; expected one K per item")
    item_construct_names = per_item["construct"].first().reindex(items).astype(str)
    item_construct = construct_pos.loc[item_construct_names].to_numpy(int)

    response = checked_answers(table)
    if (item_categories < 2).any():
        raise ValueError("an item has fewer than 2 categories; expected K >= 2")

    disp = None
    if disposition is not None:
        dtable = long[construct_col.astype(str) == disposition]
        means = (pd.to_numeric(dtable["response"]).groupby(dtable["respondent"], sort=False)
                 .mean().reindex(design.index))
        if means.isna().any():
            who = means.index[means.isna()][:3].tolist()
            raise ValueError(f"respondents {who} answered no '{disposition}' item; drop them or "
                             "pass disposition=None")
        sd = means.std(ddof=0)
        if not sd > 0:
            raise ValueError(f"the '{disposition}' mean does not vary across respondents")
        disp = ((means - means.mean()) / sd).to_numpy(float)

    x = design_matrix(design["seller_response"].astype(str).to_numpy(),
                      design["violation"].astype(str).to_numpy(),
                      design["fan_count"].to_numpy(float), effects=tuple(effects))
    x.index = list(respondents)
    item_index = item_pos.loc[table["item"].astype(str)].to_numpy(int)
    return OrdinalData(
        respondents=respondents,
        items=items,
        constructs=constructs,
        item_construct=item_construct,
        item_categories=item_categories,
        respondent_index=respondent_pos.loc[table["respondent"]].to_numpy(int),
        item_index=item_index,
        construct_index=item_construct[item_index],
        response=response.astype(int),
        design=x,
        disposition=disp,
        respondent_table=design,
    )


def ordinal_data_of_design(long: pd.DataFrame, design: StudyDesign) -> OrdinalData:
    """Return the arrays of a declared design in the layout of :class:`OrdinalData`.

    For the models written on that layout (the metric comparison model) applied to a declared
    design in which every respondent rates one vignette: the design matrix has the declared
    effects (:func:`trustmodels.design.effect_names`), followed by the design's covariate
    columns (z-scored, named by their column: additive effects with the effects' prior), and
    the covariate takes the place of the disposition. The data are checked by
    :func:`trustmodels.design.prepare_design_data`.

    Parameters
    ----------
    long : pandas.DataFrame
        One row per answer.
    design : StudyDesign
        The declared design.

    Returns
    -------
    OrdinalData

    Raises
    ------
    ValueError
        When the data cannot support the design, a respondent rates several vignettes, or the
        design has grouping factors (which these models do not take).

    Examples
    --------
    >>> from trustmodels.design import simulate_design_survey
    >>> design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    >>> long = simulate_design_survey(design, {"reaction[excuse]": 0.5}, n_respondents=6,
    ...                               items={"trust": ["t1", "t2"]})
    >>> data = ordinal_data_of_design(long, design)
    >>> data.effects, len(data.respondents), data.response.size
    (('reaction[excuse]',), 6, 12)
    """
    data = prepare_design_data(long, design)
    if len(data.occasions) != len(data.respondents):
        raise ValueError(f"{len(data.respondents)} respondents rate {len(data.occasions)} "
                         "vignettes; this model needs one vignette per respondent")
    if design.groups:
        raise ValueError(f"this model does not take grouping factors ({list(design.groups)}); "
                         "fit the declared design's model (build_design_model), or declare "
                         "the design without them")
    occasion_of = np.empty(len(data.respondents), dtype=int)
    occasion_of[data.occasion_respondent] = np.arange(len(data.occasion_respondent))
    x = data.design
    if data.covariate_columns is not None:
        x = pd.concat([x, data.covariate_columns], axis=1)
    x = x.iloc[occasion_of].set_axis(list(data.respondents))
    respondent_table = data.occasions.iloc[occasion_of].set_index("respondent")
    return OrdinalData(
        respondents=data.respondents,
        items=data.items,
        constructs=data.constructs,
        item_construct=data.item_construct,
        item_categories=data.item_categories,
        respondent_index=data.occasion_respondent[data.occasion_index],
        item_index=data.item_index,
        construct_index=data.item_construct[data.item_index],
        response=data.response,
        design=x,
        disposition=data.covariate,
        respondent_table=respondent_table,
    )


def check_factor_and_by(design: StudyDesign, factor: str, by: str | None) -> None:
    """Refuse, in one line, a factor the design does not declare or a ``by`` that is not another.

    Parameters
    ----------
    design : StudyDesign
        The declared design.
    factor : str
        A factor whose levels are compared (or become curves).
    by : str or None
        Another factor whose levels are kept apart.

    Raises
    ------
    ValueError
        Naming the design's factors.

    Examples
    --------
    >>> design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    >>> check_factor_and_by(design, "mood", None)
    Traceback (most recent call last):
    ...
    ValueError: factor='mood' is not a factor of the design; factors: ['reaction']
    """
    if factor not in design.factors:
        raise ValueError(f"factor={factor!r} is not a factor of the design; factors: "
                         f"{list(design.factors)}")
    if by is not None and (by not in design.factors or by == factor):
        raise ValueError(f"by={by!r} must be another factor of the design; factors: "
                         f"{list(design.factors)}")
