"""The reader's codebook table generated from a data package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from booktools.codebook_table import CODEBOOK_COLUMNS, codebook_rows

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted((ROOT / "data").glob("*datapackage.json"))


def _package(tmp_path: Path, fields: list[dict], extension: dict) -> Path:
    path = tmp_path / "datapackage.json"
    path.write_text(json.dumps({"resources": [
        {"name": "other", "schema": {"fields": [{"name": "x", "type": "string"}]}},
        {"name": "survey", "schema": {"fields": fields}, "trustmodels": extension}]}))
    return path


def test_rows_follow_the_fields_with_roles_and_values(tmp_path):
    likert = [{"value": v, "label": label} for v, label in
              zip(range(1, 8), ["Strongly disagree", "2", "3", "4", "5", "6", "Strongly agree"],
                  strict=True)]
    fields = [
        {"name": "respondent_id", "type": "string"},
        {"name": "seller_response", "type": "string", "categories": ["none", "apology", "denial"]},
        {"name": "fan_count", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "comp1", "type": "integer", "title": "The seller is competent.",
         "categories": likert},
        {"name": "attention_check", "type": "integer"},
        {"name": "duration_s", "type": "integer"},
        {"name": "gender", "type": "string", "categories": ["female", "male"]},
    ]
    extension = {"id": "respondent_id", "design": ["seller_response"], "fan_count": "fan_count",
                 "constructs": {"competence": ["comp1"]},
                 "attention_check": {"field": "attention_check", "correct": 2},
                 "duration": "duration_s", "covariates": ["gender"]}
    rows = codebook_rows(_package(tmp_path, fields, extension), resource="survey")
    assert [row[0] for row in rows] == [f["name"] for f in fields]
    assert all(len(row) == len(CODEBOOK_COLUMNS) for row in rows)
    by_name = {row[0]: row for row in rows}
    assert by_name["respondent_id"][1] == "respondent id"
    assert by_name["seller_response"][1:] == ("design factor", "string", "",
                                              "none, apology, denial")
    assert by_name["fan_count"][4] == "≥ 0"
    assert by_name["comp1"][1:] == ("item: competence", "integer", "The seller is competent.",
                                    "1 = Strongly disagree … 7 = Strongly agree")
    assert by_name["attention_check"][1] == "attention check (correct answer 2)"
    assert by_name["duration_s"][1] == "completion time (s)"
    assert by_name["gender"][1] == "covariate"


def test_first_resource_is_the_default(tmp_path):
    path = _package(tmp_path, [{"name": "y", "type": "integer"}], {})
    assert codebook_rows(path) == [("x", "", "string", "", "")]


def test_unknown_resource_and_broken_file_give_one_line_errors(tmp_path):
    path = _package(tmp_path, [], {})
    with pytest.raises(ValueError, match="no resource named 'nope'"):
        codebook_rows(path, resource="nope")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="broken.json: not a readable data package"):
        codebook_rows(broken)


@pytest.mark.parametrize("package", PACKAGES, ids=[p.name for p in PACKAGES])
def test_committed_codebooks_give_one_row_per_field(package):
    resource = json.loads(package.read_text())["resources"][0]
    rows = codebook_rows(package)
    assert [row[0] for row in rows] == [f["name"] for f in resource["schema"]["fields"]]
    items = [i for items in resource["trustmodels"]["constructs"].values() for i in items]
    assert {row[0] for row in rows if row[1].startswith("item: ")} == set(items)


def test_truth_tables_of_the_committed_simulation_list_every_effect_and_assumption():
    from booktools.codebook_table import TRUTH_COLUMNS, truth_tables
    from trustmodels.datasets.simulated_design import EFFECT_NAMES

    path = ROOT / "data" / "raw" / "trust_repair_simulated.truth.json"
    truth = json.loads(path.read_text())
    tables = truth_tables(path)
    assert [row[0] for row in tables["effects"]] == list(EFFECT_NAMES)
    assert len(tables["assumptions"]) == len(truth["assumptions"])
    assert tables["calibration"][0][1] == str(truth["calibration"]["target"]["value"])
    for key, rows in tables.items():
        assert all(len(row) == len(TRUTH_COLUMNS[key]) for row in rows), key


def test_truth_tables_name_the_file_when_a_key_is_missing(tmp_path):
    from booktools.codebook_table import truth_tables

    path = tmp_path / "truth.json"
    path.write_text(json.dumps({"calibration": {}}))
    with pytest.raises(ValueError, match="truth.json: not a readable truth file"):
        truth_tables(path)
