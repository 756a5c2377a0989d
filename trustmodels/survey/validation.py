"""Checking a survey CSV file against its codebook: the one place where data are validated.

:func:`validate_survey` reads the file as text cells with the :mod:`csv` module (the same as
``pandas.read_csv(dtype=str, keep_default_na=False)``, but keeping each record's row number and
detecting rows with too many or too few cells), so no parser guesses a type and nothing is
silently coerced: "3.0", " 3" or "NA" are not the integer 3 or a missing value unless the
codebook says so. It then checks the header against ``schema.fields`` and every cell against
its field, and returns the typed table together with **all** problems found. Each problem is one
line that names the file, the row, the column, the value and what was expected::

    survey.csv: row 5 (respondent R0004), column 'comp1': "8" is not an answer category;
    expected one of 1, 2, 3, 4, 5, 6, 7

(shown wrapped here; it is one line).

Row numbers follow the spreadsheet convention: **row N is the row number a spreadsheet program
shows when it opens the file**, so the header is row 1 and the first respondent is row 2.

What is checked
---------------
* the file: exists, is not empty (0 bytes) and has data rows below the header, decodes with the
  resource's ``encoding`` (default UTF-8; a byte-order mark is accepted), is well-formed CSV
  (``dialect.delimiter`` / ``dialect.quoteChar`` are honoured) and every row has as many cells
  as the header;
* the header: no duplicate or empty names; the columns match ``schema.fields`` as the schema's
  ``fieldsMatch`` requires (Table Schema v2; default ``"exact"``: same names in the same order);
  columns that the ``trustmodels`` extension uses or that are ``required`` must always exist;
* every cell: a cell whose text is one of the field's ``missingValues`` is *missing* (not an
  error unless the field is ``required``); otherwise it must parse as the field's ``type``
  (``integer``: digits with an optional sign; ``number``: a decimal number with ``.``;
  ``boolean``: ``trueValues`` / ``falseValues``), be one of its ``categories`` and of
  ``constraints.enum``, and lie within ``constraints.minimum`` / ``maximum``;
* ``unique`` fields and a single-field ``primaryKey`` (respondent ids) hold no duplicates;
* meaning-based rules from the extension: fan counts and durations are never negative.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from trustmodels.survey.codebook import Codebook, Field

__all__ = [
    "Problem",
    "RawTable",
    "SurveyValidationError",
    "read_csv_text",
    "summarize_problems",
    "validate_frame",
    "validate_survey",
]

_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Problem:
    """One validation problem, printed as one line.

    Parameters
    ----------
    file : str
        Name of the checked file.
    message : str
        What is wrong and what was expected.
    row : int, optional
        Spreadsheet row (header = row 1, first respondent = row 2).
    column : str, optional
        Column name.
    respondent : str, optional
        Respondent id of the row, when known.
    value : str, optional
        The offending cell text (also quoted in ``message``).

    Examples
    --------
    >>> print(Problem("s.csv", '"abc" is not an integer', row=3, column="age", respondent="R2"))
    s.csv: row 3 (respondent R2), column 'age': "abc" is not an integer
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    respondent: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            who = f" (respondent {self.respondent})" if self.respondent else ""
            where.append(f"row {self.row}{who}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{self.file}: {', '.join(where)}{': ' if where else ''}{self.message}"


def summarize_problems(problems: list[Problem], shown: int = 3) -> list[str]:
    """Return the lines to print for ``problems``: one line per kind of problem and column.

    Problems of one kind in one column (the same message but for the cell's value) that occur
    more than ``shown`` times are reported in one line with their count, first rows and the
    first problem's message, so that a file with a hundred thousand bad cells gives a screenful,
    not a hundred thousand lines. Rarer problems are listed one by one.

    Parameters
    ----------
    problems : list of Problem
        In file order.
    shown : int
        Problems of a kind listed one by one when there are at most this many.

    Returns
    -------
    list of str
        One line each.

    Examples
    --------
    >>> many = [Problem("s.csv", f'"{i}.0" is not an integer; expected 1-7', row=i + 2,
    ...                 column="q1", value=f"{i}.0") for i in range(1000)]
    >>> for line in summarize_problems(many + many[:1]):
    ...     print(line)
    s.csv: column 'q1', 1,001 rows (2, 3, 4, ...): "0.0" is not an integer; expected 1-7
    >>> print(summarize_problems(many[:2])[1])
    s.csv: row 3, column 'q1': "1.0" is not an integer; expected 1-7
    """
    groups: dict[tuple, list[Problem]] = {}
    for problem in problems:
        kind = problem.message
        if problem.value is not None:
            kind = kind.replace(f'"{problem.value}"', '"…"')
        groups.setdefault((problem.file, problem.column, kind), []).append(problem)
    lines = []
    for (file, column, _), members in groups.items():
        if len(members) <= shown:
            lines += [str(problem) for problem in members]
            continue
        rows = [str(problem.row) for problem in members[:3] if problem.row is not None]
        where = f"column {column!r}, " if column is not None else ""
        lines.append(f"{file}: {where}{len(members):,} rows ({', '.join(rows)}, ...): "
                     f"{members[0].message}")
    return lines


class SurveyValidationError(ValueError):
    """A survey file failed validation; ``str()`` is the problem lines, one per problem.

    Parameters
    ----------
    problems : list of Problem
        Every problem found.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class RawTable:
    """A CSV file as text cells.

    Parameters
    ----------
    header : list of str
        Column names as written.
    rows : list of list of str
        Cells of every non-blank record below the header.
    row_numbers : list of int
        Spreadsheet row of every record in ``rows`` (the header is row 1).
    """

    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]


def _decode(data: bytes, encoding: str, label: str) -> str:
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start: error.start + 1].hex()
        raise SurveyValidationError([Problem(
            label,
            f"not {encoding} text: byte 0x{byte} on line {line} of the file cannot be decoded; "
            f"expected {encoding} (in Excel: Save As \"CSV UTF-8\", or declare the file's "
            "\"encoding\" in the codebook)",
        )]) from None


def read_csv_text(path, encoding: str = "utf-8", delimiter: str = ",",
                  quotechar: str = '"') -> RawTable:
    r"""Read a CSV file as text cells, with the spreadsheet row number of every record.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    encoding : str
        Text encoding (``"utf-8"`` accepts a byte-order mark).
    delimiter, quotechar : str
        CSV dialect.

    Returns
    -------
    RawTable
        ``header`` (list of str), ``rows`` (lists of str, blank lines skipped) and
        ``row_numbers`` (spreadsheet row of each row; the header is row 1).

    Raises
    ------
    SurveyValidationError
        When the file is missing, empty, not decodable or not well-formed CSV.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = path.write_text("id,q1\nR1,3\n\nR2,\n")
    >>> table = read_csv_text(path)
    >>> table.header, table.rows, table.row_numbers
    (['id', 'q1'], [['R1', '3'], ['R2', '']], [2, 4])
    """
    path = Path(path)
    label = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SurveyValidationError([Problem(str(path), "file not found")]) from None
    except IsADirectoryError:
        raise SurveyValidationError([Problem(str(path), "is a folder; expected a CSV file")]) \
            from None
    except OSError as error:
        raise SurveyValidationError([Problem(str(path), f"cannot read ({error.strerror})")]) \
            from None
    if not data:
        raise SurveyValidationError([Problem(
            label, "file is empty (0 bytes); expected a header row and one row per respondent")])
    text = _decode(data, encoding, label)
    if not text.strip():
        raise SurveyValidationError([Problem(
            label, "file holds only blank lines; expected a header row and one row per "
                   "respondent")])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar,
                        strict=True)
    records: list[list[str]] = []
    numbers: list[int] = []
    try:
        for number, record in enumerate(reader, start=1):
            if record:
                records.append(record)
                numbers.append(number)
    except csv.Error as error:
        raise SurveyValidationError([Problem(
            label, f"not well-formed CSV near line {reader.line_num} of the file ({error}); "
                   "expected comma-separated cells with balanced double quotes")]) from None
    header_number = numbers[0]
    if header_number != 1:
        numbers = [n - header_number + 1 for n in numbers]
    return RawTable(header=records[0], rows=records[1:], row_numbers=numbers[1:])


# ---- cell conversion ------------------------------------------------------------------------
def _convert(text: str, spec: Field):
    """Return (value, error message or None) for one non-missing cell."""
    shown = f'"{text}"'
    if spec.type == "integer":
        if not _INTEGER.fullmatch(text):
            hint = " (a whole number)" if _NUMBER.fullmatch(text) else ""
            return None, f"{shown} is not an integer{hint}; expected {_expected(spec)}"
        value = int(text)
    elif spec.type == "number":
        if not _NUMBER.fullmatch(text):
            hint = " (use '.' as the decimal mark)" if re.fullmatch(r"[+-]?\d+,\d+", text) else ""
            return None, f"{shown} is not a number{hint}; expected {_expected(spec)}"
        value = float(text)
    elif spec.type == "boolean":
        if text in spec.true_values:
            value = True
        elif text in spec.false_values:
            value = False
        else:
            return None, (f"{shown} is not a boolean; expected one of "
                          f"{', '.join(spec.true_values + spec.false_values)}")
    else:
        value = text
    if spec.categories and value not in spec.categories:
        noun = "an answer category" if spec.type == "integer" else "a known level"
        return None, f"{shown} is not {noun}; expected {_expected(spec)}"
    if spec.enum is not None and value not in spec.enum:
        return None, f"{shown} is not allowed; expected one of {_listing(spec.enum)}"
    if spec.minimum is not None and value < spec.minimum:
        return None, f"{shown} is below the minimum; expected {_expected(spec)}"
    if spec.maximum is not None and value > spec.maximum:
        return None, f"{shown} is above the maximum; expected {_expected(spec)}"
    return value, None


def _listing(values) -> str:
    return ", ".join(str(value) for value in values)


def _expected(spec: Field) -> str:
    if spec.categories:
        return f"one of {_listing(spec.categories)}"
    noun = {"integer": "an integer", "number": "a number"}.get(spec.type, "a value")
    bounds = []
    if spec.minimum is not None:
        bounds.append(f">= {spec.minimum:g}")
    if spec.maximum is not None:
        bounds.append(f"<= {spec.maximum:g}")
    return noun + (" " + " and ".join(bounds) if bounds else "")


def _with_semantic_rules(codebook: Codebook) -> dict[str, Field]:
    """Fields with the extension's meaning-based rules (counts >= 0, design columns required)."""
    fields = dict(codebook.fields)
    for name in (codebook.fan_count, codebook.duration):
        if name and (fields[name].minimum is None or fields[name].minimum < 0):
            fields[name] = replace(fields[name], minimum=0)
    # what the declared design's model reads may not be missing
    for name in (*codebook.design, *codebook.moderators, *codebook.groups,
                 *codebook.covariate_columns,
                 *([codebook.vignette] if codebook.vignette else [])):
        fields[name] = replace(fields[name], required=True)
    # with a vignette column a respondent has one row per vignette: the id repeats, the pair
    # (id, vignette) may not (checked by _repeated_vignettes)
    fields[codebook.id] = replace(fields[codebook.id], required=True,
                                  unique=codebook.vignette is None)
    return fields


def _design_problems(frame: pd.DataFrame, codebook: Codebook, label: str,
                     numbers: list[int]) -> list[Problem]:
    """Find a respondent who rates one vignette twice (rows with a vignette column)."""
    problems = []
    if codebook.vignette and {codebook.id, codebook.vignette} <= set(frame.columns):
        first_seen: dict = {}
        for position, (respondent, vignette) in enumerate(
                zip(frame[codebook.id], frame[codebook.vignette], strict=True)):
            if respondent is pd.NA or vignette is pd.NA or respondent is None or vignette is None:
                continue
            key = (str(respondent), str(vignette))
            if key in first_seen:
                problems.append(Problem(
                    label, f"respondent {key[0]!r} rates vignette {key[1]!r} again (first in row "
                           f"{first_seen[key]}); expected one row per respondent and vignette",
                    numbers[position], codebook.vignette, key[0], key[1]))
            else:
                first_seen[key] = numbers[position]
    return problems


def _unanswered_items(raw: pd.DataFrame, fields: dict[str, Field], codebook: Codebook,
                      label: str) -> list[Problem]:
    """Find an item of a construct whose every cell is missing (a model could not use it)."""
    if raw.empty:
        return []
    return [Problem(label, f"no row answers this item of construct {construct!r} (all "
                           f"{len(raw)} cells are missing); expected answers, or remove it "
                           "from the codebook's constructs", column=item)
            for construct, items in codebook.constructs.items() for item in items
            if item in raw.columns
            and all(("" if text is None else str(text)) in fields[item].missing_values
                    for text in raw[item].tolist())]


def _typed_column(values: list, spec: Field) -> pd.Series:
    if spec.type == "integer":
        return pd.Series(pd.array(values, dtype="Int64"), name=spec.name)
    if spec.type == "number":
        return pd.Series([float("nan") if v is None else v for v in values], dtype="float64",
                         name=spec.name)
    if spec.type == "boolean":
        return pd.Series(pd.array(values, dtype="boolean"), name=spec.name)
    if spec.type == "string" and spec.categories:
        return pd.Series(pd.Categorical(values, categories=list(spec.categories),
                                        ordered=spec.ordered), name=spec.name)
    return pd.Series(values, dtype="str", name=spec.name)


# ---- header and table checks ----------------------------------------------------------------
def _header_problems(header: list[str], codebook: Codebook, label: str) -> list[Problem]:
    if len(header) == 1 and any(mark in header[0] for mark in ";\t"):
        # every other header problem would follow from the wrong delimiter: say only this
        mark, shown = (";", ";") if ";" in header[0] else ("\t", "\\t")
        name = "semicolons" if mark == ";" else "tabs"
        return [Problem(label, f"the file looks separated by {name}, not commas (the header is "
                               f"one column); declare it in the codebook's resource: "
                               f'"dialect": {{"delimiter": "{shown}"}}', row=1)]
    stray = {name: name.strip() for name in header
             if name != name.strip() and name.strip() in codebook.fields}
    problems = [Problem(label, f"the header name {name!r} has stray spaces; expected "
                               f"{clean!r}", row=1, column=clean) for name, clean in stray.items()]
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name.strip():
            problems.append(Problem(label, f"header cell {position} is empty; expected a "
                                           "column name", row=1))
        elif name in seen:
            problems.append(Problem(label, f"appears twice in the header (cells {seen[name]} and "
                                           f"{position}); expected unique column names",
                                    row=1, column=name))
        else:
            seen[name] = position
    names = set(header) | set(stray.values())
    mode = codebook.fields_match
    always = set(codebook.used_fields) | {n for n, f in codebook.fields.items() if f.required}
    missing = [name for name in codebook.fields if name not in names]
    if mode in ("superset", "partial"):
        missing = [name for name in missing if name in always]
    for name in missing:
        problems.append(Problem(label, f"missing from the file; the codebook ({codebook.source}, "
                                       f"resource {codebook.resource_name!r}) lists it",
                                column=name))
    if mode in ("exact", "equal", "superset"):
        for name in header:
            if name.strip() and name not in codebook.fields and name not in stray:
                problems.append(Problem(label, f"not in the codebook "
                                               f"({codebook.source}); expected only the "
                                               "codebook's fields (or set schema.fieldsMatch to "
                                               '"subset")', column=name))
    if mode == "exact" and not problems:
        if list(header) != list(codebook.fields):
            problems.append(Problem(label, "columns are in a different order than "
                                           'schema.fields (fieldsMatch "exact"); reorder them or '
                                           'set "fieldsMatch": "equal" in the codebook', row=1))
    return problems


def validate_frame(raw: pd.DataFrame, codebook: Codebook, label: str = "data",
                   row_numbers: list[int] | None = None,
                   header: list[str] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Check a table of text cells against a codebook and convert it to typed columns.

    Parameters
    ----------
    raw : pandas.DataFrame
        Cells as text (``str``), one row per respondent, columns as in the file.
    codebook : Codebook
        The codebook to check against.
    label : str
        File name used in problem lines.
    row_numbers : list of int, optional
        Spreadsheet row of every row of ``raw`` (default 2, 3, ...).
    header : list of str, optional
        The file's header as written, when it differs from ``raw.columns`` (for example with
        duplicate names); default ``raw.columns``.

    Returns
    -------
    typed : pandas.DataFrame
        The codebook's columns in codebook order: ``integer`` as ``Int64``, ``number`` as
        ``float64``, ``boolean`` as ``boolean``, ``string`` with categories as ``Categorical``
        (ordered when ``categoriesOrdered``), other strings as ``str``; missing cells are NA.
        Invalid cells are NA too, so use it only when ``problems`` is empty.
    problems : list of Problem
        Every problem found (empty when the table is valid).

    Examples
    --------
    >>> from trustmodels.survey.codebook import Codebook
    >>> book = Codebook.from_dict({"resources": [{"name": "demo", "schema": {
    ...     "fields": [{"name": "id", "type": "string"},
    ...                {"name": "q1", "type": "integer", "categories": [1, 2, 3]}]},
    ...     "trustmodels": {"id": "id", "constructs": {"trust": ["q1"]}}}]})
    >>> raw = pd.DataFrame({"id": ["R1", "R2", "R2"], "q1": ["3", "4", ""]})
    >>> typed, problems = validate_frame(raw, book, "demo.csv")
    >>> for problem in problems:  # doctest: +NORMALIZE_WHITESPACE
    ...     print(problem)
    demo.csv: row 3 (respondent R2), column 'q1': "4" is not an answer category;
        expected one of 1, 2, 3
    demo.csv: row 4, column 'id': "R2" repeats the value of row 3; expected unique
        respondent ids
    >>> typed["q1"].tolist()
    [3, <NA>, <NA>]
    """
    header = [str(name) for name in (raw.columns if header is None else header)]
    problems = _header_problems(header, codebook, label)
    numbers = list(row_numbers) if row_numbers is not None else list(range(2, len(raw) + 2))
    if len(raw) == 0 and row_numbers is None:
        problems.append(Problem(label, "has a header but no data rows; expected one row per "
                                       "respondent"))
    fields = _with_semantic_rules(codebook)
    present = [name for name in codebook.fields if name in raw.columns]
    ids = (raw[codebook.id].tolist() if codebook.id in present
           else [None] * len(raw))
    typed: dict[str, pd.Series] = {}
    for name in present:
        spec = fields[name]
        values = []
        first_seen: dict = {}
        for text, number, respondent in zip(raw[name].tolist(), numbers, ids, strict=True):
            text = "" if text is None else str(text)
            who = respondent if respondent not in (None, "") and name != codebook.id else None
            if text in spec.missing_values:
                values.append(None)
                if spec.required:
                    shown = f' ("{text}" is a missing-value code)' if text else ""
                    problems.append(Problem(label, f"required value is missing{shown}; expected "
                                                   f"{_expected(spec)}", number, name, who, text))
                continue
            value, error = _convert(text, spec)
            if error:
                problems.append(Problem(label, error, number, name, who, text))
            elif spec.unique and value in first_seen:
                noun = "respondent ids" if name == codebook.id else "values"
                problems.append(Problem(label, f'"{text}" repeats the value of row '
                                               f"{first_seen[value]}; expected unique {noun}",
                                        number, name, who, text))
            elif spec.unique:
                first_seen[value] = number
            values.append(value)
        typed[name] = _typed_column(values, spec)
    frame = pd.DataFrame(typed, index=pd.RangeIndex(len(raw)))
    problems += _design_problems(frame, codebook, label, list(numbers))
    problems += _unanswered_items(raw, fields, codebook, label)
    order = {name: position for position, name in enumerate(codebook.fields)}
    problems.sort(key=lambda p: (p.row is not None, p.row or 0, order.get(p.column, -1)))
    return frame, problems


def validate_survey(csv_path, codebook: Codebook) -> tuple[pd.DataFrame, list[Problem]]:
    r"""Read a survey CSV file as text and check it against ``codebook``.

    Parameters
    ----------
    csv_path : str or pathlib.Path
        The survey file (one row per respondent).
    codebook : Codebook
        Its codebook (see :class:`trustmodels.survey.codebook.Codebook`).

    Returns
    -------
    typed : pandas.DataFrame
        Typed columns (see :func:`validate_frame`); empty when the file could not be read.
    problems : list of Problem
        Every problem found, file-level problems first, then by row and column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from trustmodels.survey.codebook import Codebook
    >>> book = Codebook.from_dict({"resources": [{"name": "demo", "schema": {
    ...     "fields": [{"name": "id", "type": "string"},
    ...                {"name": "q1", "type": "integer", "categories": [1, 2, 3]}],
    ...     "missingValues": ["", "-99"]},
    ...     "trustmodels": {"id": "id", "constructs": {"trust": ["q1"]}}}]})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.csv"
    >>> _ = path.write_text("id,q1\nR1,3\nR2,-99\nR3,3.5\n")
    >>> typed, problems = validate_survey(path, book)
    >>> print(*problems, sep="\n")  # doctest: +NORMALIZE_WHITESPACE
    demo.csv: row 4 (respondent R3), column 'q1': "3.5" is not an integer (a whole number);
        expected one of 1, 2, 3
    """
    label = Path(csv_path).name
    dialect = codebook.resource.get("dialect", {})
    dialect = dialect if isinstance(dialect, dict) else {}
    try:
        table = read_csv_text(csv_path, encoding=codebook.encoding,
                              delimiter=str(dialect.get("delimiter", ",")),
                              quotechar=str(dialect.get("quoteChar", '"')))
    except SurveyValidationError as error:
        return pd.DataFrame(), error.problems
    width = len(table.header)
    problems = []
    rows, numbers = [], []
    for row, number in zip(table.rows, table.row_numbers, strict=True):
        if len(row) != width:
            problems.append(Problem(label, f"has {len(row)} cells but the header has {width} "
                                           "columns; expected one cell per column", row=number))
        else:
            rows.append(row)
            numbers.append(number)
    keep = list(dict.fromkeys(table.header))  # first occurrence of a duplicated name
    positions = [table.header.index(name) for name in keep]
    raw = pd.DataFrame([[row[p] for p in positions] for row in rows], columns=keep, dtype="str")
    typed, more = validate_frame(raw, codebook, label, numbers, header=table.header)
    if not table.rows:
        more.append(Problem(label, "has a header but no data rows; expected one row per "
                                   "respondent"))
    problems = more + problems
    problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    return typed, problems
