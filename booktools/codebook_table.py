"""Tables for readers that describe a data set: its codebook and, if simulated, its truth.

:func:`codebook_rows` reads a Frictionless ``datapackage.json`` directly (it needs no data) and
returns rows that the book's data page shows through the ``trustmodels-codebook`` directive of
:mod:`booktools.sphinxext`, so the table always matches the committed codebook.
:func:`truth_tables` does the same for the truth file of the simulated survey (calibration,
true effects and assumptions; ``trustmodels-truth`` directive).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["CODEBOOK_COLUMNS", "TRUTH_COLUMNS", "codebook_rows", "truth_tables"]

#: Column headers of the reader's codebook table.
CODEBOOK_COLUMNS = ("Column", "Role", "Type", "Wording or meaning", "Values")
#: Column headers of the three truth tables.
TRUTH_COLUMNS = {
    "calibration": ("Calibrated quantity", "Target", "Source", "Achieved in calibration"),
    "effects": ("Effect", "True value (latent SD units)"),
    "assumptions": ("Parameter", "Value", "Basis"),
}


def _roles(extension: dict[str, Any]) -> dict[str, str]:
    roles: dict[str, str] = {}
    if extension.get("id"):
        roles[extension["id"]] = "respondent id"
    for factor in extension.get("design", []) or []:
        roles[factor] = "design factor"
    if extension.get("fan_count"):
        roles[extension["fan_count"]] = "design: fan count"
    for construct, items in (extension.get("constructs") or {}).items():
        for item in items:
            roles[item] = f"item: {construct}"
    check = extension.get("attention_check") or {}
    if check.get("field"):
        roles[check["field"]] = f"attention check (correct answer {check.get('correct')})"
    if extension.get("duration"):
        roles[extension["duration"]] = "completion time (s)"
    for covariate in extension.get("covariates", []) or []:
        roles[covariate] = "covariate"
    return roles


def _values(field: dict[str, Any]) -> str:
    categories = field.get("categories")
    if categories:
        if isinstance(categories[0], dict):
            first, last = categories[0], categories[-1]
            if len(categories) > 2:
                return (f"{first['value']} = {first.get('label', first['value'])} … "
                        f"{last['value']} = {last.get('label', last['value'])}")
            return ", ".join(f"{c['value']} = {c.get('label', c['value'])}" for c in categories)
        return ", ".join(str(c) for c in categories)
    constraints = field.get("constraints") or {}
    bounds = [f"≥ {constraints['minimum']}" if "minimum" in constraints else "",
              f"≤ {constraints['maximum']}" if "maximum" in constraints else ""]
    return " and ".join(b for b in bounds if b)


def codebook_rows(path: Path, resource: str | None = None) -> list[tuple[str, ...]]:
    """Return the reader's codebook table of one resource of a data package.

    Parameters
    ----------
    path : pathlib.Path
        The ``datapackage.json``.
    resource : str, optional
        Resource name; defaults to the first resource.

    Returns
    -------
    list of tuple of str
        One row per field, in file order, with the columns :data:`CODEBOOK_COLUMNS`.

    Raises
    ------
    ValueError
        One line naming the file when it is not a data package or lacks the resource.

    Examples
    --------
    >>> import json, tempfile
    >>> package = {"resources": [{"name": "survey", "schema": {"fields": [
    ...     {"name": "respondent_id", "type": "string"},
    ...     {"name": "comp1", "type": "integer", "title": "The seller is competent.",
    ...      "categories": [{"value": v, "label": str(v)} for v in range(1, 8)]}]},
    ...     "trustmodels": {"id": "respondent_id", "constructs": {"competence": ["comp1"]}}}]}
    >>> path = Path(tempfile.mkdtemp()) / "datapackage.json"
    >>> _ = path.write_text(json.dumps(package))
    >>> codebook_rows(path)[1]
    ('comp1', 'item: competence', 'integer', 'The seller is competent.', '1 = 1 … 7 = 7')
    """
    try:
        package = json.loads(Path(path).read_text(encoding="utf-8"))
        resources = package["resources"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a readable data package ({error})") from None
    chosen = [r for r in resources if resource is None or r.get("name") == resource]
    if not chosen:
        raise ValueError(f"{path}: no resource named {resource!r}")
    table = chosen[0]
    roles = _roles(table.get("trustmodels") or {})
    rows = []
    for field in table.get("schema", {}).get("fields", []):
        name = field["name"]
        rows.append((name, roles.get(name, ""), field.get("type", "string"),
                     field.get("title", "") or field.get("description", ""), _values(field)))
    return rows


def truth_tables(path: Path) -> dict[str, list[tuple[str, ...]]]:
    """Return the calibration, true effects and assumptions of a simulated data set's truth file.

    Parameters
    ----------
    path : pathlib.Path
        The JSON truth file written by the simulator (keys ``calibration``, ``parameters``,
        ``assumptions``).

    Returns
    -------
    dict
        ``{"calibration": rows, "effects": rows, "assumptions": rows}`` with the columns
        :data:`TRUTH_COLUMNS`.

    Raises
    ------
    ValueError
        One line naming the file when it is unreadable or lacks one of the keys.

    Examples
    --------
    >>> import json, tempfile
    >>> truth = {"calibration": {"target": {"statistic": "d", "value": 0.44, "source": "Meta"},
    ...                          "achieved_d": 0.44},
    ...          "parameters": {"effects": {"apology": 0.69}},
    ...          "assumptions": [{"parameter": "p", "value": "1", "basis": "guess"}]}
    >>> path = Path(tempfile.mkdtemp()) / "truth.json"
    >>> _ = path.write_text(json.dumps(truth))
    >>> truth_tables(path)["effects"]
    [('apology', '0.69')]
    """
    try:
        truth = json.loads(Path(path).read_text(encoding="utf-8"))
        target = truth["calibration"]["target"]
        calibration = [(target["statistic"], str(target["value"]), target["source"],
                        str(truth["calibration"].get("achieved_d", "")))]
        effects = [(name, f"{value:g}") for name, value in truth["parameters"]["effects"].items()]
        assumptions = [(a["parameter"], str(a["value"]), a["basis"])
                       for a in truth["assumptions"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a readable truth file (missing or bad {error})") from None
    return {"calibration": calibration, "effects": effects, "assumptions": assumptions}
