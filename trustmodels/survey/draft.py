"""A first codebook guessed from a survey CSV file: ``trustmodels codebook draft``.

Writing a ``datapackage.json`` by hand for a new survey is tedious. :func:`draft_codebook` reads
the CSV file as text (no parser guesses types behind its back) and returns a Data Package v2 with
one resource whose ``schema.fields`` and ``"trustmodels"`` section are filled where the values
allow a guess:

* integer columns with few values in a Likert-like range (within 0..10 or -5..5) are ordered
  Likert items (``categories``: every integer from the smallest to the largest answer observed,
  over all items of the construct); items that share a name prefix form a construct
  (``trust1``, ``trust2`` -> ``trust``);
* text columns with few distinct values are factors (levels in order of first appearance; the
  first is the reference level) and, when no cell is missing, design factors;
* the respondent id is a column named like an id (``id``, ``respondent``, ``participant``,
  ``judge``, ``subject``, ``*_id``) or else the first column whose values are all distinct (and
  not a few small integers, which are more likely answers); when ids repeat, a small column that
  tells a respondent's rows apart is the ``vignette``;
* other numeric columns without missing cells are moderators (``log10`` when positive and
  spanning two or more orders of magnitude, centred at the rounded median of log10; otherwise
  ``none``, centred at the rounded mean);
* the missing-value codes ``""``, ``NA``, ``NaN`` and ``.`` found in the file are listed;
  ``3.0``-style whole numbers count as integers;
* a ``;`` or tab delimiter is declared in ``dialect``.

Every field gets a ``description`` starting with ``"DRAFT: guessed ..."`` that says what was
guessed and why; what cannot be guessed is a placeholder starting with ``"TODO:"``. The draft is
a starting point to check, never a finished codebook.
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DraftError", "MISSING_CODES", "SCHEMA_URL", "draft_codebook", "draft_summary"]

#: The Data Package v2 profile named in ``$schema``.
SCHEMA_URL = "https://datapackage.org/profiles/2.0/datapackage.json"
#: Cell texts recognised as missing values (those present in the file are listed).
MISSING_CODES = ("", "NA", "NaN", ".")

_INTEGER = re.compile(r"[+-]?\d+")
_WHOLE_DECIMAL = re.compile(r"[+-]?\d+\.0*")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_ID_NAME = re.compile(r"(id|respondent|participant|judge|subject|person|pid|responseid|"
                      r"case)(_?id)?", re.IGNORECASE)
_WEAK_ID_NAME = re.compile(r".*(_id|Id|ID)")
_VIGNETTE_NAME = re.compile(r".*(vignette|scenario|stimulus|trial|task).*", re.IGNORECASE)
_ITEM_NUMBER = re.compile(r"[_.\-]?\d+$")
_DELIMITERS = (",", ";", "\t")


class DraftError(ValueError):
    """The file cannot be drafted from; ``str()`` is one line naming the file."""


@dataclass
class _Column:
    """One column of the file as text, with what its cells look like."""

    name: str
    position: int
    cells: list[str]
    values: list[str]  # the cells that are not missing-value codes
    kind: str  # "empty", "integer", "number" or "text"
    decimals: bool = False  # integers written like "3.0"
    decimal_comma: bool = False

    @property
    def n_missing(self) -> int:
        return len(self.cells) - len(self.values)

    @property
    def distinct(self) -> list[str]:
        """Distinct values in order of first appearance."""
        return list(dict.fromkeys(self.values))

    @property
    def numbers(self) -> list[float]:
        return [float(value) for value in self.values]

    @property
    def integers(self) -> list[int]:
        return [int(float(value)) if self.decimals else int(value) for value in self.values]

    @property
    def all_distinct(self) -> bool:
        return not self.n_missing and len(set(self.values)) == len(self.values)


def _read(path: Path) -> tuple[list[str], list[list[str]], str]:
    """Return the header, the rows and the delimiter of a CSV file (DraftError if unusable)."""
    expected = "expected a CSV file with a header row and one row per respondent"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DraftError(f"{path}: file not found; {expected}") from None
    except IsADirectoryError:
        raise DraftError(f"{path}: is a folder; {expected}") from None
    except OSError as error:
        raise DraftError(f"{path}: cannot read ({error.strerror}); {expected}") from None
    if not data.strip():
        what = "is empty (0 bytes)" if not data else "holds only blank lines"
        raise DraftError(f"{path}: file {what}; {expected}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DraftError(
            f"{path}: not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); expected a "
            'UTF-8 CSV file (in Excel: Save As "CSV UTF-8")') from None
    first_line = text.lstrip("\r\n").splitlines()[0]
    widths = {mark: len(next(csv.reader([first_line], delimiter=mark))) for mark in _DELIMITERS}
    delimiter = max(_DELIMITERS, key=lambda mark: (widths[mark], mark == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = [(reader.line_num, record) for record in reader if record]
    except csv.Error as error:
        raise DraftError(f"{path}: not well-formed CSV near line {reader.line_num} ({error}); "
                         "expected cells separated by commas (or ; or tabs) with balanced "
                         "double quotes") from None
    header, rows = records[0][1], [record for _, record in records[1:]]
    if not rows:
        raise DraftError(f"{path}: has a header but no data rows; expected one row per "
                         "respondent to guess the columns from")
    for position, name in enumerate(header, start=1):
        if not name.strip():
            raise DraftError(f"{path}: header cell {position} is empty; expected a column name "
                             "(R's write.csv writes row names there unless row.names = FALSE)")
    repeated = [name for name in dict.fromkeys(header) if header.count(name) > 1]
    if repeated:
        raise DraftError(f"{path}: the header names {repeated[0]!r} "
                         f"{header.count(repeated[0])} times; expected unique column names")
    uneven = [number for number, row in records[1:] if len(row) != len(header)]
    if uneven:
        raise DraftError(f"{path}: line {uneven[0]} (and {len(uneven) - 1} more) has not "
                         f"{len(header)} cells like the header; expected one cell per column"
                         if len(uneven) > 1 else
                         f"{path}: line {uneven[0]} has not {len(header)} cells like the "
                         "header; expected one cell per column")
    return header, rows, delimiter


def _column(name: str, position: int, cells: list[str]) -> _Column:
    values = [cell for cell in cells if cell not in MISSING_CODES]
    column = _Column(name, position, cells, values, "text")
    if not values:
        column.kind = "empty"
    elif all(_INTEGER.fullmatch(value) for value in values):
        column.kind = "integer"
    elif all(_INTEGER.fullmatch(value) or _WHOLE_DECIMAL.fullmatch(value) for value in values):
        column.kind, column.decimals = "integer", True
    elif all(_NUMBER.fullmatch(value) for value in values):
        column.kind = "number"
    else:
        column.decimal_comma = all(_NUMBER.fullmatch(value) or _DECIMAL_COMMA.fullmatch(value)
                                   for value in values)
    return column


def _show(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _rounded(value: float) -> int | float:
    """Two significant digits, as an int when whole (47.2 -> 47, 0.4667 -> 0.47)."""
    value = float(f"{value:.2g}") if value else 0.0
    return int(value) if value.is_integer() else value


def _likert_range(column: _Column, likert_max: int) -> tuple[int, int] | None:
    if column.kind != "integer":
        return None
    values = column.integers
    low, high = min(values), max(values)
    in_scale = (0 <= low and high <= 10) or (-5 <= low and high <= 5)
    if len(set(values)) >= 2 and in_scale and high - low + 1 <= likert_max:
        return low, high
    return None


def _choose_id(columns: list[_Column], likert_max: int) -> tuple[_Column | None, str]:
    """Return the respondent id column and why it was chosen."""
    ids = [c for c in columns if c.kind in ("integer", "text")]
    for column in ids:
        if _ID_NAME.fullmatch(column.name):
            return column, f"the name {column.name!r} looks like an id"
    for column in ids:
        if (column.all_distinct and not _VIGNETTE_NAME.fullmatch(column.name)
                and _likert_range(column, likert_max) is None):  # a few answers, not ids
            return column, "its values are all distinct"
    for column in ids:
        if _WEAK_ID_NAME.fullmatch(column.name) and not _VIGNETTE_NAME.fullmatch(column.name):
            return column, f"the name {column.name!r} looks like an id"
    return None, ""


def _choose_vignette(id_column: _Column, columns: list[_Column],
                     max_levels: int) -> _Column | None:
    """Return a small column that tells apart the rows of one respondent, if any."""
    groups: dict[str, list[int]] = {}
    for row, respondent in enumerate(id_column.cells):
        groups.setdefault(respondent, []).append(row)
    rows_per_id = max(len(rows) for rows in groups.values())
    candidates = []
    for column in columns:
        if column is id_column or column.kind == "empty" or column.n_missing:
            continue
        per_id = [[column.cells[row] for row in rows] for rows in groups.values()]
        if not all(len(set(cells)) == len(cells) for cells in per_id):
            continue
        hinted = bool(_VIGNETTE_NAME.fullmatch(column.name))
        n_levels = len(set(column.values))
        if n_levels < 2 or not (hinted or n_levels <= max(max_levels, rows_per_id)):
            continue
        same_set = len({frozenset(cells) for cells in per_id}) == 1
        candidates.append((not hinted, not same_set, n_levels, column.position, column))
    return min(candidates)[-1] if candidates else None


def _construct_name(item: str) -> str:
    return _ITEM_NUMBER.sub("", item) or item


def draft_codebook(csv_path, *, max_levels: int = 10, likert_max: int = 11) -> dict:
    r"""Guess a codebook (a Data Package v2 dict) from a survey CSV file.

    Parameters
    ----------
    csv_path : str or pathlib.Path
        The survey file (UTF-8; comma, semicolon or tab separated).
    max_levels : int
        A text column with at most this many distinct values is a factor.
    likert_max : int
        An integer column with at most this many values (within 0..10 or -5..5) is a Likert
        item.

    Returns
    -------
    dict
        The Data Package: ``$schema``, ``name``, a ``description`` saying it is a draft, and one
        resource (``path`` = the file's name, so save the codebook next to the file) with
        ``schema`` and the ``"trustmodels"`` section. Every field's ``description`` starts with
        ``"DRAFT: guessed"``; what cannot be guessed is a ``"TODO: ..."`` placeholder.

    Raises
    ------
    DraftError
        One line naming the file when it is missing, empty, has no data rows, is not UTF-8 or
        not well-formed CSV.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "My Survey.csv"
    >>> _ = path.write_text("id,group,trust1,trust2\nR1,a,1,5\nR2,b,4,NA\nR3,a,5,2\n")
    >>> package = draft_codebook(path)
    >>> resource = package["resources"][0]
    >>> resource["name"], resource["path"], resource["schema"]["missingValues"]
    ('my-survey', 'My Survey.csv', ['', 'NA'])
    >>> resource["trustmodels"]
    {'id': 'id', 'constructs': {'trust': ['trust1', 'trust2']}, 'design': ['group']}
    >>> trust1 = resource["schema"]["fields"][2]
    >>> trust1["categories"], trust1["description"]
    ([1, 2, 3, 4, 5], "DRAFT: guessed an ordered Likert item (integers 1-5) of construct 'trust'")
    """
    path = Path(csv_path)
    header, rows, delimiter = _read(path)
    columns = [_column(name, position, [row[position] for row in rows])
               for position, name in enumerate(header)]
    notes: dict[str, str] = {}
    fixes: list[str] = []
    ext: dict = {}

    id_column, why_id = _choose_id(columns, likert_max)
    vignette, repeats = None, False
    if id_column is not None:
        repeats = len(set(id_column.cells)) < len(id_column.cells)
        if repeats:
            vignette = _choose_vignette(id_column, columns, max_levels)
            rows_per_id = len(rows) / len(set(id_column.cells))
            how = (f"ids repeat, {rows_per_id:.3g} rows per id on average"
                   + (f", told apart by {vignette.name!r}" if vignette else ""))
        else:
            how = "one row per id"
        notes[id_column.name] = f"DRAFT: guessed the respondent id ({why_id}; {how})"
        ext["id"] = id_column.name
    else:
        ext["id"] = "TODO: the respondent id column"
        fixes.append("name the respondent id column in trustmodels.id")

    fields = []
    likert: dict[str, tuple[int, int]] = {}
    design, moderators = [], {}
    for column in columns:
        spec: dict = {"name": column.name}
        if column is id_column:
            spec["type"] = "integer" if column.kind == "integer" and not column.decimals \
                else "string"
            spec["constraints"] = {"required": True, **({} if repeats else {"unique": True})}
        elif column is vignette:
            spec["type"] = ("string" if column.kind == "text" else
                            "number" if column.decimals else column.kind)
            notes[column.name] = (
                f"DRAFT: guessed the vignette column ({len(column.distinct)} values; no "
                "respondent has a "
                "value twice, so it tells a respondent's rows apart)")
            spec["constraints"] = {"required": True}
        elif (scale := _likert_range(column, likert_max)) is not None:
            spec["type"] = "integer"
            likert[column.name] = scale
        elif column.kind == "text" and len(column.distinct) <= max_levels:
            levels = column.distinct
            spec["type"] = "string"
            spec["categories"] = levels
            shown = ", ".join(levels)
            if len(levels) >= 2 and not column.n_missing:
                design.append(column.name)
                notes[column.name] = (
                    f"DRAFT: guessed an experimental factor ({len(levels)} text levels in order "
                    f"of first appearance: {shown}; the first is the reference level)")
            else:
                why = (f"{column.n_missing} cells are missing, which a design factor may not be"
                       if column.n_missing else "it has a single level")
                notes[column.name] = (f"DRAFT: guessed a categorical column (levels {shown}); "
                                      f"not a design factor because {why}")
        elif column.kind in ("integer", "number"):
            spec["type"] = "integer" if column.kind == "integer" and not column.decimals \
                else "number"
            numbers = column.numbers
            low, high = min(numbers), max(numbers)
            noun = "integers" if column.kind == "integer" else "numbers"
            span = f"{noun} {_show(low)}-{_show(high)}"
            if column.decimals:
                span += f', written as decimals like "{column.values[0]}", hence "number"'
            if low == high:
                notes[column.name] = (f"DRAFT: guessed a numeric column (always "
                                      f"{_show(low)}); not a moderator because it never varies")
            elif column.n_missing:
                notes[column.name] = (
                    f"DRAFT: guessed a numeric column ({span}); not guessed as a moderator "
                    f"because {column.n_missing} cells are missing (a moderator may not be)")
            elif low > 0 and math.log10(high) - math.log10(low) >= 2:
                centre = math.floor(statistics.median(math.log10(x) for x in numbers) + 0.5)
                moderators[column.name] = {"transform": "log10", "centre": centre}
                orders = math.log10(high) - math.log10(low)
                notes[column.name] = (
                    f"DRAFT: guessed a numeric moderator on a log10 scale ({span} span "
                    f"{orders:.1f} orders of magnitude; centred at {centre}, the rounded median "
                    "of log10); remove it from trustmodels.moderators if it is not a moderator")
            else:
                centre = _rounded(statistics.fmean(numbers))
                moderators[column.name] = {"transform": "none", "centre": centre}
                notes[column.name] = (
                    f"DRAFT: guessed a numeric moderator ({span}; centred at {centre}, the "
                    "rounded mean); remove it from trustmodels.moderators if it is not a "
                    "moderator (e.g. an outcome or a covariate)")
        elif column.kind == "text":
            spec["type"] = "string"
            hint = ("; the cells look like numbers with a decimal comma, which trustmodels does "
                    "not read: write them with '.'" if column.decimal_comma else "")
            notes[column.name] = (f"DRAFT: guessed free text ({len(column.distinct)} distinct "
                                  f"values, more than {max_levels} for a factor){hint}")
        else:
            spec["type"] = "string"
            notes[column.name] = ("DRAFT: guessed text (every cell is missing, nothing to "
                                  "guess from)")
        fields.append(spec)

    constructs: dict[str, list[str]] = {}
    decimal_items = []
    for item in likert:
        constructs.setdefault(_construct_name(item), []).append(item)
    for construct, items in constructs.items():
        low = min(likert[item][0] for item in items)
        high = max(likert[item][1] for item in items)
        for item in items:
            spec = next(spec for spec in fields if spec["name"] == item)
            spec["categories"] = list(range(low, high + 1))
            spec["categoriesOrdered"] = True
            seen = "" if likert[item] == (low, high) else \
                f"; answers observed {likert[item][0]}-{likert[item][1]}"
            note = (f"DRAFT: guessed an ordered Likert item (integers {low}-{high}{seen}) of "
                    f"construct {construct!r}")
            column = columns[header.index(item)]
            if column.decimals:
                note += ('; the file writes answers as decimals like "3.0": trustmodels validate '
                         'accepts only whole numbers ("3") in an item, so rewrite the file')
                decimal_items.append(item)
            notes[item] = note
    if decimal_items:
        fixes.append('write the answers of items written as decimals ("3.0") as whole numbers '
                     f"(\"3\"): {', '.join(decimal_items)}")
    if constructs:
        ext["constructs"] = constructs
    else:
        ext["constructs"] = {"TODO: construct name": ["TODO: its Likert item columns"]}
        fixes.append("list the Likert items of each construct in trustmodels.constructs")
    if design:
        ext["design"] = design
    if moderators:
        ext["moderators"] = moderators
    if id_column is not None and repeats:
        ext["vignette"] = vignette.name if vignette else \
            "TODO: the column that tells a respondent's rows apart (ids repeat)"
        if vignette is None:
            fixes.append("name the vignette column in trustmodels.vignette (ids repeat)")
    for spec in fields:
        spec["description"] = notes[spec["name"]]

    present = [code for code in MISSING_CODES
               if code == "" or any(code in column.cells for column in columns)]
    schema: dict = {"fields": fields, "missingValues": present}
    if id_column is not None:
        key = [id_column.name, vignette.name] if vignette else [id_column.name]
        if not repeats or vignette:
            schema["primaryKey"] = key
    name = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "survey"
    resource: dict = {
        "name": name,
        "path": path.name,
        "description": "DRAFT: the trustmodels section is guessed: "
                       + "; ".join(_explain(ext)),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
    }
    if delimiter != ",":
        resource["dialect"] = {"delimiter": delimiter}
    resource["schema"] = schema
    resource["trustmodels"] = ext
    todo = f" Still to do: {'; '.join(fixes)}." if fixes else ""
    return {
        "$schema": SCHEMA_URL,
        "name": name,
        "description": (
            f"DRAFT codebook guessed by `trustmodels codebook draft` from {path.name}; check it "
            "before use. Every field's description starting with \"DRAFT: guessed\" says what "
            "was guessed and why: fix what is wrong, replace every \"TODO\", add titles (the "
            "item wordings) and category labels, then run `trustmodels validate "
            f"{path.name} --codebook <this file>`.{todo}"),
        "resources": [resource],
    }


def _explain(ext: dict) -> list[str]:
    parts = [f"id {ext['id']!r}"]
    parts += [f"construct {name!r} from items {', '.join(items)}"
              for name, items in ext["constructs"].items()]
    if ext.get("design"):
        parts.append(f"design factors {', '.join(ext['design'])}")
    if ext.get("moderators"):
        parts.append(f"moderators {', '.join(ext['moderators'])}")
    if ext.get("vignette"):
        parts.append(f"vignette {ext['vignette']!r}")
    return parts


def draft_summary(package: dict) -> str:
    """Return one line saying what a draft from :func:`draft_codebook` guessed.

    Examples
    --------
    >>> print(draft_summary({"resources": [{"path": "s.csv", "schema": {"fields": [{}, {}, {}]},
    ...     "trustmodels": {"id": "id", "constructs": {"trust": ["t1", "t2"]}}}]}))
    s.csv: drafted 3 fields: id 'id', 1 construct (2 items); check every "DRAFT" and "TODO"
    """
    resource = package["resources"][0]
    ext = resource["trustmodels"]
    n_items = sum(len(items) for items in ext["constructs"].values())
    parts = [f"id {ext['id']!r}"]
    if ext.get("vignette"):
        parts.append(f"vignette {ext['vignette']!r}")
    parts.append(f"{_count(len(ext['constructs']), 'construct')} ({_count(n_items, 'item')})")
    for key, noun in (("design", "design factor"), ("moderators", "moderator")):
        if ext.get(key):
            parts.append(_count(len(ext[key]), noun))
    return (f"{resource['path']}: drafted {len(resource['schema']['fields'])} fields: "
            f"{', '.join(parts)}; check every \"DRAFT\" and \"TODO\"")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
