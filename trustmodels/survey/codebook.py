"""The codebook: a Frictionless Data Package v2 that describes a survey file.

A codebook is a ``datapackage.json`` (Data Package v2 with Table Schema v2 resources). Each
resource describes one CSV file: its ``path`` (relative to the codebook's folder), ``encoding``,
``schema.fields`` (name, ``type``, ``title``, ``categories``, ``constraints``), the schema's
``missingValues`` and ``primaryKey``. A resource analysed by trustmodels also carries the project
extension object ``"trustmodels"`` that says what each column *means*::

    "trustmodels": {
      "id": "respondent_id",                        # required
      "constructs": {"competence": ["comp1", ...]},  # required: Likert items per construct
      "design": ["seller_response", "violation"],   # optional experimental factors (levels:
                                                    # the field's categories, first = reference)
      "moderators": {"fan_count": {"transform": "log10", "centre": 4}},  # optional numeric
      "fan_count": "fan_count",                     # optional (a log10 moderator centred at 4)
      "outcomes": ["competence", "integrity"],      # optional: constructs a model explains
                                                    # (default: every construct but the covariate)
      "covariate": "disposition",                   # optional: a construct used as covariate
      "vignette": "vignette_id",                    # optional: one row per respondent and
                                                    # vignette (ids then repeat across rows)
      "groups": ["profile"],                        # optional: grouping factors crossed with
                                                    # respondents (e.g. the seller profile or
                                                    # the rater), one random intercept each
      "covariate_columns": ["age"],                 # optional: numeric columns the declared
                                                    # design's model adjusts for (z-scored)
      "attention_check": {"field": "attention_check", "correct": 2},   # optional
      "duration": "duration_s",                     # optional completion time in seconds
      "covariates": ["purchase_freq", "gender"],    # optional
      "simulated": true                             # optional flag shown in outputs
    }

:meth:`Codebook.from_file` reads and checks all of this and raises :class:`CodebookError` with
one line per problem (naming the codebook file) when something is missing or inconsistent, so
that problems surface before any data are read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

__all__ = ["CodebookError", "Codebook", "Field", "SUPPORTED_TYPES", "FIELDS_MATCH_MODES"]

#: Table Schema field types checked and converted by the validator. Other Table Schema types
#: (``date``, ``datetime``, ...) are kept as text without checks.
SUPPORTED_TYPES = ("string", "integer", "number", "boolean")

#: Table Schema v2 ``fieldsMatch`` modes (how the file's header must match ``schema.fields``).
FIELDS_MATCH_MODES = ("exact", "equal", "subset", "superset", "partial")

_DEFAULT_TRUE = ("true", "True", "TRUE", "1")
_DEFAULT_FALSE = ("false", "False", "FALSE", "0")


class CodebookError(ValueError):
    """A codebook cannot be read or is inconsistent.

    Parameters
    ----------
    problems : list of str
        One self-contained line per problem (each names the codebook file).
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Field:
    """One column of a survey file as the codebook describes it.

    Parameters
    ----------
    name : str
        Column name in the CSV header.
    type : str
        Table Schema type (``"string"``, ``"integer"``, ``"number"``, ``"boolean"``, ...).
    title : str
        Human-readable label (for a Likert item: the item wording).
    categories : tuple
        Allowed values in codebook order (empty when the field has no categories).
    category_labels : tuple of str
        Labels of the categories (the values as text when the codebook gives no labels).
    ordered : bool
        ``categoriesOrdered``: whether the categories are ordered.
    required : bool
        ``constraints.required``: a missing value is a problem.
    unique : bool
        ``constraints.unique`` (or the field is the primary key).
    minimum, maximum : float or None
        ``constraints.minimum`` / ``constraints.maximum``.
    enum : tuple or None
        ``constraints.enum``: allowed values.
    missing_values : tuple of str
        Cell texts that mean *missing* for this field.
    true_values, false_values : tuple of str
        Texts of a ``boolean`` field.
    """

    name: str
    type: str = "string"
    title: str = ""
    categories: tuple = ()
    category_labels: tuple[str, ...] = ()
    ordered: bool = False
    required: bool = False
    unique: bool = False
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple | None = None
    missing_values: tuple[str, ...] = ("",)
    true_values: tuple[str, ...] = _DEFAULT_TRUE
    false_values: tuple[str, ...] = _DEFAULT_FALSE


@dataclass(frozen=True)
class Codebook:
    """A parsed and checked codebook for one survey resource.

    Build it with :meth:`from_file` (or :meth:`from_dict`); the constructor does no checks.

    Parameters
    ----------
    source : str
        Where the codebook came from (file path or a label), used in messages.
    resource_name : str
        Name of the described resource.
    data_path : pathlib.Path or None
        The resource's CSV file, resolved against the codebook's folder.
    fields : dict of str to Field
        Columns in codebook order.
    id : str
        Respondent id column.
    constructs : dict of str to tuple of str
        Likert items of each construct, in codebook order.
    design : tuple of str
        Experimental factor columns.
    fan_count : str or None
        Fan count column.
    moderators : dict of str to tuple of (str, float)
        Numeric moderator columns with their transform (``"none"`` or ``"log10"``) and centre
        (in transformed units); a ``fan_count`` column is a log10 moderator centred at 4.
    outcomes : tuple of str
        Outcome constructs (default: every construct except the covariate).
    covariate : str or None
        A construct whose respondent mean is a covariate.
    vignette : str or None
        Vignette column when each row is one respondent's rating of one vignette.
    groups : tuple of str
        Grouping factors crossed with respondents (such as the seller profile a vignette shows
        or the rater), each with a random intercept in the declared design's model.
    covariate_columns : tuple of str
        Numeric columns the declared design's model adjusts for (z-scored, additive).
    attention_check : tuple of (str, object) or None
        Attention-check column and its instructed answer.
    duration : str or None
        Completion-time column (seconds).
    covariates : tuple of str
        Respondent covariates.
    simulated : bool
        Whether the data are simulated.
    title : str
        Title of the data package.
    encoding : str
        Text encoding of the CSV file.
    fields_match : str
        Table Schema ``fieldsMatch`` mode.
    primary_key : tuple of str
        The schema's ``primaryKey``.
    raw : dict
        The whole Data Package as read.
    resource : dict
        The chosen resource as read (e.g. its ``dialect``).

    Examples
    --------
    >>> book = Codebook.from_dict({
    ...     "resources": [{"name": "demo", "path": "demo.csv", "schema": {
    ...         "fields": [
    ...             {"name": "id", "type": "string"},
    ...             {"name": "q1", "type": "integer", "categories": [1, 2, 3, 4, 5]},
    ...             {"name": "q2", "type": "integer", "categories": [1, 2, 3, 4, 5]}],
    ...         "missingValues": ["", "NA"]},
    ...       "trustmodels": {"id": "id", "constructs": {"trust": ["q1", "q2"]}}}]})
    >>> book.items
    ('q1', 'q2')
    >>> book.likert_levels("q1")
    (1, 2, 3, 4, 5)
    >>> book.construct_of("q2"), book.n_categories("q2")
    ('trust', 5)
    """

    source: str
    resource_name: str
    data_path: Path | None
    fields: dict[str, Field]
    id: str
    constructs: dict[str, tuple[str, ...]]
    design: tuple[str, ...] = ()
    fan_count: str | None = None
    moderators: dict[str, tuple[str, float]] = dataclass_field(default_factory=dict)
    outcomes: tuple[str, ...] = ()
    covariate: str | None = None
    vignette: str | None = None
    groups: tuple[str, ...] = ()
    covariate_columns: tuple[str, ...] = ()
    attention_check: tuple[str, Any] | None = None
    duration: str | None = None
    covariates: tuple[str, ...] = ()
    simulated: bool = False
    title: str = ""
    encoding: str = "utf-8"
    fields_match: str = "exact"
    primary_key: tuple[str, ...] = ()
    raw: dict = dataclass_field(default_factory=dict, repr=False, compare=False)
    resource: dict = dataclass_field(default_factory=dict, repr=False, compare=False)

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_file(cls, path, resource: str | None = None) -> Codebook:
        r"""Read and check a ``datapackage.json`` codebook.

        Parameters
        ----------
        path : str or pathlib.Path
            The codebook file.
        resource : str, optional
            Name of the resource to use. Without it the codebook must hold exactly one resource
            with a ``"trustmodels"`` extension (or exactly one resource).

        Returns
        -------
        Codebook

        Raises
        ------
        CodebookError
            When the file is missing, not UTF-8, not valid JSON or not a usable codebook; the
            message has one line per problem and starts with the file name.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "codebook.json"
        >>> _ = path.write_text('{"resources": [\n  {"name": "x" "path": 1}]}')
        >>> try:
        ...     Codebook.from_file(path)
        ... except CodebookError as error:
        ...     print(error)
        codebook.json: line 2 column 16: not valid JSON (Expecting ',' delimiter)
        """
        path = Path(path)
        label = path.name
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            raise CodebookError(f"{path}: codebook file not found") from None
        except IsADirectoryError:
            raise CodebookError(f"{path}: is a folder; expected a datapackage.json file") from None
        except UnicodeDecodeError as error:
            raise CodebookError(
                f"{label}: not UTF-8 text (byte {error.start}); save the codebook as UTF-8"
            ) from None
        except OSError as error:
            raise CodebookError(f"{path}: cannot read the codebook ({error.strerror})") from None
        if not text.strip():
            raise CodebookError(f"{label}: file is empty; expected a Data Package JSON object")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CodebookError(
                f"{label}: line {error.lineno} column {error.colno}: not valid JSON ({error.msg})"
            ) from None
        return cls.from_dict(data, source=label, base_dir=path.parent, resource=resource)

    @classmethod
    def from_dict(
        cls,
        data: Mapping,
        source: str = "codebook",
        base_dir=None,
        resource: str | None = None,
    ) -> Codebook:
        """Check a codebook already parsed from JSON.

        Parameters
        ----------
        data : mapping
            The Data Package as a dict.
        source : str
            Name used at the start of every problem line.
        base_dir : str or pathlib.Path, optional
            Folder that resource paths are relative to (default: the working folder).
        resource : str, optional
            Resource name (see :meth:`from_file`).

        Returns
        -------
        Codebook

        Raises
        ------
        CodebookError
            One line per problem.

        Examples
        --------
        >>> Codebook.from_dict({"resources": []}, source="dp.json")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        trustmodels.survey.codebook.CodebookError: dp.json: "resources" is empty; expected ...
        """
        return _CodebookParser(data, source, base_dir, resource).parse()

    # ---- queries ------------------------------------------------------------------------
    @property
    def items(self) -> tuple[str, ...]:
        """All Likert items of all constructs, in codebook order."""
        return tuple(item for items in self.constructs.values() for item in items)

    @property
    def field_names(self) -> tuple[str, ...]:
        """All column names in codebook order."""
        return tuple(self.fields)

    def field(self, name: str) -> Field:
        """Return the :class:`Field` called ``name`` (KeyError naming the codebook if absent)."""
        try:
            return self.fields[name]
        except KeyError:
            raise KeyError(f"{self.source}: no field {name!r}") from None

    def likert_levels(self, item: str) -> tuple[int, ...]:
        """Return the answer categories (integers) of a Likert ``item`` in order."""
        if item not in self.items:
            raise KeyError(f"{self.source}: {item!r} is not an item of any construct")
        return tuple(self.fields[item].categories)

    def n_categories(self, item: str) -> int:
        """Return K, the number of answer categories of a Likert ``item``."""
        return len(self.likert_levels(item))

    def construct_of(self, item: str) -> str:
        """Return the construct that ``item`` measures."""
        for construct, items in self.constructs.items():
            if item in items:
                return construct
        raise KeyError(f"{self.source}: {item!r} is not an item of any construct")

    def item_wording(self, item: str) -> str:
        """Return an item's ``title`` (its wording), or its name when there is none."""
        return self.fields[item].title or item

    @property
    def used_fields(self) -> tuple[str, ...]:
        """Columns the trustmodels extension refers to (id, items, design, ...)."""
        named = [self.id, *self.design, *self.items]
        named += [self.fan_count] if self.fan_count else []
        named += list(self.moderators)
        named += [self.vignette] if self.vignette else []
        named += list(self.groups)
        named += list(self.covariate_columns)
        named += [self.attention_check[0]] if self.attention_check else []
        named += [self.duration] if self.duration else []
        named += list(self.covariates)
        return tuple(dict.fromkeys(named))


# ---- parsing ------------------------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


class _CodebookParser:
    """Collects every problem of a codebook dict, then builds a :class:`Codebook`."""

    def __init__(self, data, source, base_dir, resource):
        self.data = data
        self.source = source
        self.base_dir = Path(base_dir) if base_dir is not None else Path(".")
        self.resource_name = resource
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}{': ' if where else ''}{message}")

    def fail_if_problems(self) -> None:
        if self.problems:
            raise CodebookError(self.problems)

    def parse(self) -> Codebook:
        if not isinstance(self.data, Mapping):
            self.problem("", f"top level is a JSON {type(self.data).__name__}; expected an object "
                             "(a Data Package)")
            self.fail_if_problems()
        resource, where = self.pick_resource()
        fields, missing = self.parse_schema(resource, where)
        if not fields:  # nothing to check the extension against
            self.fail_if_problems()
        return self.parse_extension(resource, where, fields, missing)

    def pick_resource(self) -> tuple[Mapping, str]:
        resources = self.data.get("resources")
        if resources is None:
            self.problem("", 'no "resources" list; expected a Data Package with resources')
        elif not isinstance(resources, list):
            self.problem("", '"resources" is not a list')
        elif not resources:
            self.problem("", '"resources" is empty; expected at least one resource')
        elif not all(isinstance(item, Mapping) for item in resources):
            self.problem("", '"resources" must hold objects')
        self.fail_if_problems()
        names = [str(item.get("name", f"#{index + 1}")) for index, item in enumerate(resources)]
        if self.resource_name is not None:
            if self.resource_name not in names:
                self.problem("", f"no resource named {self.resource_name!r}; resources are "
                                 f"{', '.join(names)}")
                self.fail_if_problems()
            index = names.index(self.resource_name)
        else:
            with_extension = [i for i, item in enumerate(resources) if "trustmodels" in item]
            candidates = with_extension or list(range(len(resources)))
            if len(candidates) > 1:
                listed = ", ".join(names[i] for i in candidates)
                self.problem("", f"{len(candidates)} resources ({listed}); choose one with "
                                 "--resource / resource=")
                self.fail_if_problems()
            index = candidates[0]
        return resources[index], f"resource {names[index]!r}"

    def parse_schema(self, resource: Mapping, where: str):
        schema = resource.get("schema")
        if isinstance(schema, str):
            self.problem(where, "schema given as a path or URL; inline the schema object "
                                "in the codebook")
            return {}, ("",)
        if not isinstance(schema, Mapping):
            self.problem(where, 'no "schema" object')
            return {}, ("",)
        missing = self.parse_missing_values(schema.get("missingValues", [""]),
                                            f"{where} schema.missingValues")
        raw_fields = schema.get("fields")
        if not isinstance(raw_fields, list) or not raw_fields:
            self.problem(where, 'no "schema.fields" list (or it is empty)')
            return {}, missing
        fields: dict[str, Field] = {}
        primary = self.names(schema.get("primaryKey"), f"{where} schema.primaryKey")
        for number, raw in enumerate(raw_fields, start=1):
            parsed = self.parse_field(raw, number, missing, where)
            if parsed is None:
                continue
            if parsed.name in fields:
                self.problem(where, f"field {parsed.name!r} is defined twice")
                continue
            if parsed.name in primary and len(primary) == 1:
                parsed = replace(parsed, unique=True, required=True)
            fields[parsed.name] = parsed
        for key in primary:
            if key not in fields:
                self.problem(where, f"primaryKey names {key!r}, which is not in schema.fields")
        mode = schema.get("fieldsMatch", "exact")
        if mode not in FIELDS_MATCH_MODES:
            self.problem(where, f"schema.fieldsMatch is {mode!r}; expected one of "
                                f"{', '.join(FIELDS_MATCH_MODES)}")
        return fields, missing

    def names(self, value, where) -> tuple[str, ...]:
        """Return a name or list of names as a tuple (absent = empty); report anything else."""
        if value is None or value == "":
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            return tuple(value)
        self.problem(where, f"{value!r} is not a name or a list of names")
        return ()

    def parse_missing_values(self, values, where) -> tuple[str, ...]:
        if not isinstance(values, list):
            self.problem(where, "expected a list of strings")
            return ("",)
        texts = []
        for value in values:
            if isinstance(value, Mapping) and isinstance(value.get("value"), str):
                texts.append(value["value"])
            elif isinstance(value, str):
                texts.append(value)
            else:
                self.problem(where, f"{value!r} is not a string (missing-value codes are the "
                                    "cell texts, e.g. \"\" or \"-99\")")
        return tuple(texts)

    def parse_field(self, raw, number, missing, where) -> Field | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not raw["name"]:
            self.problem(where, f"schema.fields #{number} has no name")
            return None
        name = raw["name"]
        here = f"{where} field {name!r}"
        kind = raw.get("type", "any")
        if not isinstance(kind, str):
            self.problem(here, f"type {kind!r} is not a string")
            kind = "any"
        constraints = raw.get("constraints", {})
        if not isinstance(constraints, Mapping):
            self.problem(here, "constraints is not an object")
            constraints = {}
        categories, labels = self.parse_categories(raw.get("categories"), kind, here)
        bounds = {}
        for key in ("minimum", "maximum"):
            value = constraints.get(key)
            if value is not None and not _is_number(value):
                self.problem(here, f"constraints.{key} is {value!r}; expected a number")
                value = None
            bounds[key] = value
        enum = constraints.get("enum")
        if enum is not None and not isinstance(enum, list):
            self.problem(here, "constraints.enum is not a list")
            enum = None
        field_missing = missing
        if "missingValues" in raw:
            field_missing = self.parse_missing_values(raw["missingValues"],
                                                      f"{here} missingValues")
        return Field(
            name=name,
            type=kind,
            title=str(raw.get("title", "") or ""),
            categories=categories,
            category_labels=labels,
            ordered=bool(raw.get("categoriesOrdered", False)),
            required=bool(constraints.get("required", False)),
            unique=bool(constraints.get("unique", False)),
            minimum=bounds["minimum"],
            maximum=bounds["maximum"],
            enum=tuple(enum) if enum is not None else None,
            missing_values=field_missing,
            true_values=self.names(raw.get("trueValues", _DEFAULT_TRUE), f"{here} trueValues"),
            false_values=self.names(raw.get("falseValues", _DEFAULT_FALSE),
                                    f"{here} falseValues"),
        )

    def parse_categories(self, raw, kind, here) -> tuple[tuple, tuple[str, ...]]:
        if raw is None:
            return (), ()
        if not isinstance(raw, list) or not raw:
            self.problem(here, "categories must be a non-empty list")
            return (), ()
        values, labels = [], []
        for entry in raw:
            if isinstance(entry, Mapping) and "value" in entry:
                values.append(entry["value"])
                labels.append(str(entry.get("label", entry["value"])))
            elif isinstance(entry, Mapping):
                self.problem(here, f"category {dict(entry)!r} has no \"value\"")
            else:
                values.append(entry)
                labels.append(str(entry))
        if kind == "integer" and not all(_is_int(value) for value in values):
            self.problem(here, f"categories {values!r} are not all integers")
        if kind == "string" and not all(isinstance(value, str) for value in values):
            self.problem(here, f"categories {values!r} are not all strings")
        if len(set(map(repr, values))) != len(values):
            self.problem(here, "categories repeat a value")
        return tuple(values), tuple(labels)

    def parse_extension(self, resource, where, fields, missing) -> Codebook:
        ext = resource.get("trustmodels")
        if not isinstance(ext, Mapping):
            self.problem(where, 'no "trustmodels" object; expected at least '
                                '{"id": ..., "constructs": {...}}')
            self.fail_if_problems()
        here = f"{where} trustmodels"

        def known(name, role) -> str | None:
            if name is None or name == "":
                return None
            if not isinstance(name, str):
                self.problem(here, f"{role} is {name!r}; expected a field name")
                return None
            if name not in fields:
                self.problem(here, f"{role} names {name!r}, which is not in schema.fields")
                return None
            return name

        id_field = ext.get("id")
        if not id_field:
            self.problem(here, '"id" is missing; expected the respondent id field name')
        id_field = known(id_field, "id")
        constructs = self.parse_constructs(ext.get("constructs"), fields, here)
        design = tuple(name for name in (known(n, "design")
                                         for n in self.names(ext.get("design"), here)) if name)
        for name in design:
            if not fields[name].categories:
                self.problem(here, f"design factor {name!r} has no categories (its levels)")
        fan_count = known(ext.get("fan_count"), "fan_count")
        if fan_count and fields[fan_count].type != "integer":
            self.problem(here, f"fan_count field {fan_count!r} has type "
                               f"{fields[fan_count].type!r}; expected \"integer\"")
        attention = None
        raw_attention = ext.get("attention_check")
        if raw_attention:
            if not isinstance(raw_attention, Mapping) or "correct" not in raw_attention:
                self.problem(here, 'attention_check must be {"field": ..., "correct": ...}')
            else:
                name = known(raw_attention.get("field"), "attention_check.field")
                correct = raw_attention["correct"]
                allowed = fields[name].categories if name else ()
                if allowed and correct not in allowed:
                    self.problem(here, f"attention_check.correct {correct!r} is not one of the "
                                       f"categories of {name!r}")
                elif name:
                    attention = (name, correct)
        duration = known(ext.get("duration"), "duration")
        if duration and fields[duration].type not in ("integer", "number"):
            self.problem(here, f"duration field {duration!r} has type "
                               f"{fields[duration].type!r}; expected \"integer\" or \"number\"")
        covariates = tuple(name for name in (known(n, "covariates")
                                             for n in self.names(ext.get("covariates"), here))
                           if name)
        moderators = self.parse_moderators(ext.get("moderators"), fields, here, known)
        if fan_count and fan_count not in moderators:
            moderators = {fan_count: ("log10", 4.0), **moderators}
        vignette = known(ext.get("vignette"), "vignette")
        if vignette and vignette == id_field:
            self.problem(here, f"vignette names the id field {vignette!r}; expected the column "
                               "that tells a respondent's vignettes apart")
        groups = tuple(name for name in (known(n, "groups")
                                         for n in self.names(ext.get("groups"), here)) if name)
        for name in groups:
            if name in (id_field, vignette, *design, *moderators):
                self.problem(here, f"groups names {name!r}, which is already the id, the "
                                   "vignette, a design factor or a moderator; expected another "
                                   "column (e.g. the seller profile or the rater)")
        covariate_columns = tuple(
            name for name in (known(n, "covariate_columns")
                              for n in self.names(ext.get("covariate_columns"), here)) if name)
        for name in covariate_columns:
            if name in (id_field, vignette, *design, *moderators, *groups):
                self.problem(here, f"covariate_columns names {name!r}, which is already the id, "
                                   "the vignette, a design factor, a moderator or a group; "
                                   "expected another column")
            elif fields[name].type not in ("integer", "number"):
                self.problem(here, f"covariate_columns names {name!r} of type "
                                   f"{fields[name].type!r}; expected \"integer\" or \"number\" "
                                   "(code a two-level variable as 0/1; a categorical one is a "
                                   "design factor)")
        covariate = ext.get("covariate")
        if covariate is not None and covariate not in constructs:
            self.problem(here, f"covariate names {covariate!r}, which is not a construct; "
                               f"constructs: {list(constructs)}")
            covariate = None
        outcomes = tuple(self.names(ext.get("outcomes"), here))
        for name in outcomes:
            if name not in constructs:
                self.problem(here, f"outcomes names {name!r}, which is not a construct; "
                                   f"constructs: {list(constructs)}")
            elif name == covariate:
                self.problem(here, f"{name!r} is both an outcome and the covariate")
        if not outcomes:
            outcomes = tuple(name for name in constructs if name != covariate)
        encoding = resource.get("encoding", "utf-8")
        try:
            "".encode(encoding)
        except (LookupError, TypeError):
            self.problem(where, f"encoding {encoding!r} is not a known text encoding")
        dialect = resource.get("dialect", {})
        if not isinstance(dialect, Mapping):
            self.problem(where, "dialect must be an object, e.g. {\"delimiter\": \";\"}")
        else:
            for key in ("delimiter", "quoteChar"):
                if key in dialect and not (isinstance(dialect[key], str)
                                           and len(dialect[key]) == 1):
                    self.problem(where, f"dialect.{key} is {dialect[key]!r}; expected one "
                                        "character")
        data_path = resource.get("path")
        if isinstance(data_path, list):
            self.problem(where, "path lists several files; expected one CSV file")
            data_path = None
        elif data_path is not None and not isinstance(data_path, str):
            self.problem(where, f"path {data_path!r} is not a string")
            data_path = None
        elif data_path and (Path(data_path).is_absolute() or ".." in Path(data_path).parts):
            self.problem(where, f"path {data_path!r} must be relative to the codebook's folder "
                                "without '..'")
            data_path = None
        self.fail_if_problems()
        schema = resource["schema"]
        return Codebook(
            source=self.source,
            resource_name=str(resource.get("name", "")),
            data_path=(self.base_dir / data_path) if data_path else None,
            fields=fields,
            id=id_field,
            constructs=constructs,
            design=design,
            fan_count=fan_count,
            moderators=moderators,
            outcomes=outcomes,
            covariate=covariate,
            vignette=vignette,
            groups=groups,
            covariate_columns=covariate_columns,
            attention_check=attention,
            duration=duration,
            covariates=covariates,
            simulated=bool(ext.get("simulated", False)),
            title=str(self.data.get("title", "") or ""),
            encoding=encoding,
            fields_match=schema.get("fieldsMatch", "exact"),
            primary_key=self.names(schema.get("primaryKey"), where),
            raw=dict(self.data),
            resource=dict(resource),
        )

    def parse_moderators(self, raw, fields, here, known) -> dict[str, tuple[str, float]]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.problem(here, 'moderators must be {"column": {"transform": "log10" or "none", '
                               '"centre": number}}')
            return {}
        moderators = {}
        for name, spec in raw.items():
            if known(name, "moderators") is None:
                continue
            spec = {} if spec is None else spec
            if not isinstance(spec, Mapping):
                self.problem(here, f"moderator {name!r} must be an object such as "
                                   '{"transform": "log10", "centre": 4}')
                continue
            transform = spec.get("transform", "none")
            centre = spec.get("centre", 0.0)
            if transform not in ("none", "log10"):
                self.problem(here, f"moderator {name!r} has transform {transform!r}; expected "
                                   '"none" or "log10"')
                continue
            if not _is_number(centre):
                self.problem(here, f"moderator {name!r} has centre {centre!r}; expected a number")
                continue
            if fields[name].type not in ("integer", "number"):
                self.problem(here, f"moderator {name!r} has type {fields[name].type!r}; "
                                   'expected "integer" or "number"')
                continue
            moderators[str(name)] = (str(transform), float(centre))
        return moderators

    def parse_constructs(self, raw, fields, here) -> dict[str, tuple[str, ...]]:
        if not isinstance(raw, Mapping) or not raw:
            self.problem(here, '"constructs" is missing or empty; expected '
                               '{"construct": ["item1", "item2", ...]}')
            return {}
        constructs: dict[str, tuple[str, ...]] = {}
        seen: dict[str, str] = {}
        for construct, items in raw.items():
            if not isinstance(items, list) or not items or not all(
                    isinstance(item, str) for item in items):
                self.problem(here, f"construct {construct!r} must list its item field names")
                continue
            for item in items:
                if item in seen:
                    self.problem(here, f"item {item!r} is listed under both {seen[item]!r} and "
                                       f"{construct!r}")
                seen[item] = construct
                if item not in fields:
                    self.problem(here, f"construct {construct!r} names {item!r}, which is not "
                                       "in schema.fields")
                    continue
                spec = fields[item]
                if spec.type != "integer" or not spec.categories:
                    self.problem(here, f"item {item!r} of construct {construct!r} needs "
                                       '"type": "integer" and integer "categories" (the Likert '
                                       "answer scale)")
                elif len(spec.categories) < 2:
                    self.problem(here, f"item {item!r} has fewer than 2 categories")
            constructs[str(construct)] = tuple(items)
        return constructs
