"""Loading a validated survey: the wide table, the tidy long table and construct scores.

:func:`load_survey` is the only way analyses read survey data: it parses the codebook, checks
the file with :func:`trustmodels.survey.validation.validate_survey` (all problems at once, raised
as one :class:`~trustmodels.survey.validation.SurveyValidationError`) and returns a
:class:`Survey`. Nothing here knows a particular study: the compendium's own data sets are
loaded by :mod:`trustmodels.datasets`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from trustmodels.survey.codebook import Codebook, CodebookError
from trustmodels.survey.validation import SurveyValidationError, validate_frame, validate_survey

__all__ = [
    "Survey",
    "construct_scores",
    "load_survey",
    "survey_from_frame",
]

#: The simulated survey's codebook, relative to the data folder.


@dataclass(frozen=True, eq=False)
class Survey:
    """A validated survey: one typed row per respondent plus its codebook.

    Parameters
    ----------
    wide : pandas.DataFrame
        One row per respondent, the codebook's columns in codebook order (``Int64`` integers,
        ``Categorical`` factors with the codebook's level order, ``str`` text; missing = NA).
    codebook : trustmodels.survey.codebook.Codebook
        The codebook the data were validated against.
    source : str
        Where the data came from (file name), shown in messages.

    Examples
    --------
    >>> from trustmodels.datasets.examples import example_codebook, example_frame
    >>> survey = survey_from_frame(example_frame(), example_codebook(), source="demo")
    >>> survey
    Survey('demo', 3 respondents, 2 items in 1 constructs)
    >>> survey.long[["respondent", "item", "response", "n_categories", "group"]]
      respondent item  response  n_categories group
    0         R1   q1         1             5     a
    1         R1   q2         2             5     a
    2         R2   q1         5             5     b
    3         R3   q1         4             5     b
    4         R3   q2         4             5     b
    """

    wide: pd.DataFrame
    codebook: Codebook
    source: str = ""

    def __repr__(self) -> str:
        flag = ", SIMULATED" if self.codebook.simulated else ""
        return (f"Survey({self.source!r}, {self.n_respondents} respondents, "
                f"{len(self.items)} items in {len(self.codebook.constructs)} constructs{flag})")

    @property
    def n_respondents(self) -> int:
        """Number of respondents (rows of :attr:`wide`; distinct ids with a vignette column)."""
        if self.codebook.vignette:
            return int(self.wide[self.codebook.id].nunique())
        return len(self.wide)

    @property
    def n_rows(self) -> int:
        """Number of rows: one per respondent, or per respondent and vignette."""
        return len(self.wide)

    @property
    def items(self) -> tuple[str, ...]:
        """Likert items in codebook order."""
        return self.codebook.items

    @property
    def respondent_ids(self) -> pd.Series:
        """Respondent ids as text, in row order."""
        return self.wide[self.codebook.id].astype("str")

    @cached_property
    def long(self) -> pd.DataFrame:
        """The tidy long table of all items (see :meth:`to_long`)."""
        return self.to_long()

    def to_long(self, items: Sequence[str] | None = None,
                constructs: Sequence[str] | None = None) -> pd.DataFrame:
        """Return one row per observed answer (missing answers dropped).

        Parameters
        ----------
        items : sequence of str, optional
            Items to include (default all).
        constructs : sequence of str, optional
            Include only the items of these constructs.

        Returns
        -------
        pandas.DataFrame
            Rows in respondent order, then item order. Columns: ``respondent`` (str), ``item``
            and ``construct`` (Categorical, all codebook items / constructs as categories in
            codebook order), ``response`` (int64, the answer as coded), ``n_categories``
            (int64, K of the item), then the design factors (Categorical, codebook level
            order), ``fan_count`` (int64; Int64 if it has missing values), the moderators, the
            grouping factors and the covariates; with a vignette column, that column first
            (after ``n_categories``).
        """
        book = self.codebook
        chosen = list(book.items if items is None else items)
        unknown = [item for item in chosen if item not in book.items]
        if unknown:
            raise KeyError(f"{book.source}: {unknown} are not items of any construct")
        if constructs is not None:
            missing = [name for name in constructs if name not in book.constructs]
            if missing:
                raise KeyError(f"{book.source}: no constructs {missing}; constructs are "
                               f"{list(book.constructs)}")
            wanted = {item for name in constructs for item in book.constructs[name]}
            chosen = [item for item in chosen if item in wanted]
        answers = self.wide[chosen].to_numpy(dtype="float64", na_value=np.nan)
        rows, columns = np.nonzero(~np.isnan(answers))
        item_codes = np.array([book.items.index(item) for item in chosen], dtype="int64")[columns]
        construct_codes = np.array([list(book.constructs).index(book.construct_of(item))
                                    for item in chosen], dtype="int64")[columns]
        sizes = np.array([book.n_categories(item) for item in chosen], dtype="int64")
        long = pd.DataFrame({
            "respondent": pd.Series(self.respondent_ids.to_numpy()[rows], dtype="str"),
            "item": pd.Categorical.from_codes(item_codes, categories=list(book.items)),
            "construct": pd.Categorical.from_codes(construct_codes,
                                                   categories=list(book.constructs)),
            "response": answers[rows, columns].astype("int64"),
            "n_categories": sizes[columns],
        })
        extra = [*([book.vignette] if book.vignette else []), *book.design,
                 *([book.fan_count] if book.fan_count else []), *book.moderators,
                 *book.groups, *book.covariate_columns, *book.covariates]
        for name in dict.fromkeys(extra):
            column = self.wide[name].iloc[rows].reset_index(drop=True)
            if str(column.dtype) == "Int64" and not column.isna().any():
                column = column.astype("int64")
            long[name] = column
        return long


def _render_cell(value, spec) -> str:
    """Text of an in-memory value as it would appear in a CSV file."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "" if "" in spec.missing_values else spec.missing_values[0]
    if isinstance(value, bool | np.bool_):
        return spec.true_values[0] if value else spec.false_values[0]
    if isinstance(value, float | np.floating) and float(value).is_integer() and spec.type in (
            "integer", "string"):
        return str(int(value))
    return str(value)


def survey_from_frame(frame: pd.DataFrame, codebook: Codebook, source: str = "data") -> Survey:
    """Validate an in-memory table (e.g. a simulator's output) and return a :class:`Survey`.

    Every value is written as the text a CSV file would hold (missing values as the field's
    first missing-value code) and checked exactly like a file, so in-memory data meet the same
    contract as files on disk.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent, columns named as in the codebook.
    codebook : trustmodels.survey.codebook.Codebook
        Its codebook.
    source : str
        Name used in problem lines.

    Returns
    -------
    Survey

    Raises
    ------
    trustmodels.survey.validation.SurveyValidationError
        With one line per problem (rows numbered as if the table were a CSV file).

    Examples
    --------
    >>> from trustmodels.datasets.examples import example_codebook, example_frame
    >>> bad = example_frame().assign(q1=[1, 9, 4])
    >>> survey_from_frame(bad, example_codebook(), "sim")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    trustmodels.survey.validation.SurveyValidationError: sim: row 3 (respondent R2), column 'q1':
        "9" is not an answer category; expected one of 1, 2, 3, 4, 5
    """
    text = {}
    for name in frame.columns:
        spec = codebook.fields.get(str(name))
        values = frame[name].tolist()
        text[str(name)] = ([_render_cell(value, spec) for value in values] if spec
                           else ["" if pd.isna(value) else str(value) for value in values])
    raw = pd.DataFrame(text, columns=[str(name) for name in frame.columns], dtype="str")
    typed, problems = validate_frame(raw, codebook, source)
    if problems:
        raise SurveyValidationError(problems)
    return Survey(wide=typed, codebook=codebook, source=source)


def load_survey(csv_path, codebook_path, resource: str | None = None) -> Survey:
    r"""Read, validate and type a survey CSV file described by a codebook.

    Parameters
    ----------
    csv_path : str or pathlib.Path or None
        The survey file. ``None`` uses the resource's ``path`` in the codebook.
    codebook_path : str or pathlib.Path or trustmodels.survey.codebook.Codebook
        The ``datapackage.json`` codebook (or an already parsed codebook).
    resource : str, optional
        Resource name when the codebook describes several files.

    Returns
    -------
    Survey

    Raises
    ------
    trustmodels.survey.codebook.CodebookError
        When the codebook is unreadable or inconsistent.
    trustmodels.survey.validation.SurveyValidationError
        When the data have problems; ``str()`` lists all of them, one per line.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> from trustmodels.datasets.examples import example_codebook
    >>> _ = (folder / "dp.json").write_text(json.dumps(example_codebook().raw))
    >>> _ = (folder / "demo.csv").write_text("id,group,q1,q2\nR1,a,1,2\nR2,b,5,\n")
    >>> survey = load_survey(folder / "demo.csv", folder / "dp.json")
    >>> survey.wide["q2"].tolist(), survey.long["response"].tolist()
    ([2, <NA>], [1, 2, 5])
    """
    codebook = (codebook_path if isinstance(codebook_path, Codebook)
                else Codebook.from_file(codebook_path, resource=resource))
    if csv_path is None:
        if codebook.data_path is None:
            raise CodebookError(f"{codebook.source}: resource {codebook.resource_name!r} has "
                                'no "path"; pass the CSV file explicitly')
        csv_path = codebook.data_path
    typed, problems = validate_survey(csv_path, codebook)
    if problems:
        raise SurveyValidationError(problems)
    return Survey(wide=typed, codebook=codebook, source=Path(csv_path).name)


def construct_scores(survey: Survey, constructs: Sequence[str] | None = None,
                     min_items: int = 1, with_design: bool = False) -> pd.DataFrame:
    """Return each respondent's mean answer over the available items of each construct.

    Parameters
    ----------
    survey : Survey
        A loaded survey.
    constructs : sequence of str, optional
        Constructs to score (default all, in codebook order).
    min_items : int
        Fewest answered items for a score; with fewer the score is NaN.
    with_design : bool
        Also return the design factors, fan count and covariates (before the scores).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``respondent`` (the id), one float column per construct.

    Examples
    --------
    >>> from trustmodels.datasets.examples import example_codebook, example_frame
    >>> survey = survey_from_frame(example_frame(), example_codebook())
    >>> construct_scores(survey)["trust"].to_dict()
    {'R1': 1.5, 'R2': 5.0, 'R3': 4.0}
    >>> construct_scores(survey, min_items=2)["trust"].tolist()
    [1.5, nan, 4.0]
    """
    book = survey.codebook
    names = list(book.constructs if constructs is None else constructs)
    unknown = [name for name in names if name not in book.constructs]
    if unknown:
        raise KeyError(f"{book.source}: no constructs {unknown}; constructs are "
                       f"{list(book.constructs)}")
    index = pd.Index(survey.respondent_ids.to_numpy(), name="respondent", dtype="str")
    scores = {}
    for name in names:
        answers = survey.wide[list(book.constructs[name])].to_numpy("float64", na_value=np.nan)
        counts = (~np.isnan(answers)).sum(axis=1)
        with np.errstate(invalid="ignore"):
            means = np.nansum(answers, axis=1) / counts
        scores[name] = np.where(counts >= max(min_items, 1), means, np.nan)
    result = pd.DataFrame(scores, index=index)
    if with_design:
        extra = [*book.design, *([book.fan_count] if book.fan_count else []), *book.covariates]
        front = survey.wide[list(dict.fromkeys(extra))].set_axis(index)
        result = pd.concat([front, result], axis=1)
    return result
