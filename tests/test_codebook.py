import json

import pytest

from tests.conftest import PROJECT_DATA
from trustmodels.datasets.simulated_design import RESPONSE_LEVELS, VIOLATION_LEVELS
from trustmodels.survey.codebook import Codebook, CodebookError


def write(tmp_path, data, name="datapackage.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2),
                    encoding="utf-8")
    return path


def problems_of(tmp_path, data):
    with pytest.raises(CodebookError) as caught:
        Codebook.from_file(write(tmp_path, data))
    return caught.value.problems


def test_parses_the_mini_codebook(mini_codebook_path):
    book = Codebook.from_file(mini_codebook_path)
    assert book.items == ("comp1", "comp2", "comp3", "intent1", "intent2")
    assert list(book.constructs) == ["competence", "intention"]
    assert book.likert_levels("comp2") == (1, 2, 3, 4, 5, 6, 7)
    assert book.n_categories("intent1") == 7
    assert book.construct_of("intent2") == "intention"
    assert book.item_wording("comp1") == "The seller is competent."
    assert book.fields["comp1"].category_labels[0] == "Strongly disagree"
    assert book.fields["comp1"].ordered
    assert book.id == "respondent_id"
    assert book.design == ("seller_response", "violation")
    assert book.fields["seller_response"].categories == ("none", "apology", "denial")
    assert book.fan_count == "fan_count"
    assert book.attention_check == ("attention_check", 2)
    assert book.duration == "duration_s"
    assert book.covariates == ("gender",)
    assert book.simulated
    assert book.data_path == mini_codebook_path.parent / "mini_survey.csv"
    assert book.fields["comp1"].missing_values == ("", "-99")


def test_primary_key_makes_the_id_required_and_unique(mini_codebook_dict):
    field = mini_codebook_dict["resources"][0]["schema"]["fields"][0]
    field.pop("constraints")
    book = Codebook.from_dict(mini_codebook_dict)
    assert book.fields["respondent_id"].unique and book.fields["respondent_id"].required


def test_invalid_json_is_one_line_with_position(tmp_path):
    path = write(tmp_path, '{\n  "resources": [\n    {"name": "x" "path": "a.csv"}\n  ]\n}\n',
                 name="codebook.json")
    with pytest.raises(CodebookError) as caught:
        Codebook.from_file(path)
    message = str(caught.value)
    assert message == ("codebook.json: line 3 column 18: not valid JSON "
                       "(Expecting ',' delimiter)")
    assert "\n" not in message


def test_missing_codebook_file(tmp_path):
    with pytest.raises(CodebookError, match="codebook file not found"):
        Codebook.from_file(tmp_path / "nope.json")


def test_empty_codebook_file(tmp_path):
    with pytest.raises(CodebookError, match="datapackage.json: file is empty"):
        Codebook.from_file(write(tmp_path, ""))


def test_codebook_not_utf8(tmp_path):
    path = tmp_path / "datapackage.json"
    path.write_bytes('{"title": "Vertrauensbr\u00fcche"}'.encode("latin-1"))
    with pytest.raises(CodebookError, match="datapackage.json: not UTF-8"):
        Codebook.from_file(path)


def test_top_level_must_be_an_object(tmp_path):
    assert problems_of(tmp_path, [1, 2]) == [
        "datapackage.json: top level is a JSON list; expected an object (a Data Package)"]


@pytest.mark.parametrize("resources, expected", [
    (None, 'no "resources" list'),
    ([], '"resources" is empty'),
    ("x.csv", '"resources" is not a list'),
])
def test_resources_are_required(tmp_path, resources, expected):
    data = {"name": "x"} if resources is None else {"resources": resources}
    [problem] = problems_of(tmp_path, data)
    assert problem.startswith("datapackage.json: ") and expected in problem


def test_schema_fields_are_required(tmp_path, mini_codebook_dict):
    del mini_codebook_dict["resources"][0]["schema"]["fields"]
    [problem] = problems_of(tmp_path, mini_codebook_dict)
    assert "resource 'mini_survey'" in problem and 'no "schema.fields" list' in problem


def test_extension_is_required(tmp_path, mini_codebook_dict):
    del mini_codebook_dict["resources"][0]["trustmodels"]
    [problem] = problems_of(tmp_path, mini_codebook_dict)
    assert 'no "trustmodels" object' in problem


@pytest.mark.parametrize("key, expected", [
    ("id", '"id" is missing'), ("constructs", '"constructs" is missing or empty')])
def test_id_and_constructs_are_required(tmp_path, mini_codebook_dict, key, expected):
    del mini_codebook_dict["resources"][0]["trustmodels"][key]
    [problem] = problems_of(tmp_path, mini_codebook_dict)
    assert expected in problem


def test_construct_naming_an_unknown_field(tmp_path, mini_codebook_dict):
    mini_codebook_dict["resources"][0]["trustmodels"]["constructs"]["competence"].append("comp9")
    [problem] = problems_of(tmp_path, mini_codebook_dict)
    assert problem == ("datapackage.json: resource 'mini_survey' trustmodels: construct "
                       "'competence' names 'comp9', which is not in schema.fields")


@pytest.mark.parametrize("change", [
    {"type": "string"},
    {"categories": None},
    {"categories": ["low", "high"]},
    {"categories": [1.5, 2.5]},
])
def test_likert_item_needs_integer_categories(tmp_path, mini_codebook_dict, change):
    field = mini_codebook_dict["resources"][0]["schema"]["fields"][4]
    assert field["name"] == "comp1"
    for key, value in change.items():
        if value is None:
            field.pop(key)
        else:
            field[key] = value
    problems = problems_of(tmp_path, mini_codebook_dict)
    assert any("comp1" in p and "integer" in p for p in problems), problems


def test_every_problem_is_reported_once_per_line(tmp_path, mini_codebook_dict):
    extension = mini_codebook_dict["resources"][0]["trustmodels"]
    extension["id"] = "participant"
    extension["design"] = ["seller_response", "condition"]
    extension["covariates"] = ["gender", "age"]
    problems = problems_of(tmp_path, mini_codebook_dict)
    assert len(problems) == 3
    assert all(p.startswith("datapackage.json: ") and "\n" not in p for p in problems)
    assert {"'participant'", "'condition'", "'age'"} == {p.split(" names ")[1].split(",")[0]
                                                          for p in problems}


def test_item_in_two_constructs(tmp_path, mini_codebook_dict):
    constructs = mini_codebook_dict["resources"][0]["trustmodels"]["constructs"]
    constructs["intention"].append("comp1")
    [problem] = problems_of(tmp_path, mini_codebook_dict)
    assert "listed under both 'competence' and 'intention'" in problem


def test_design_factor_needs_levels(tmp_path, mini_codebook_dict):
    mini_codebook_dict["resources"][0]["schema"]["fields"][1].pop("categories")
    [problem] = problems_of(tmp_path, mini_codebook_dict)
    assert "design factor 'seller_response' has no categories" in problem


@pytest.mark.parametrize("path", ["/data/survey.csv", "../survey.csv"])
def test_resource_path_must_stay_in_the_folder(tmp_path, mini_codebook_dict, path):
    mini_codebook_dict["resources"][0]["path"] = path
    [problem] = problems_of(tmp_path, mini_codebook_dict)
    assert "must be relative" in problem


def test_choosing_among_several_resources(tmp_path, mini_codebook_dict):
    first = mini_codebook_dict["resources"][0]
    second = json.loads(json.dumps(first))
    second["name"] = "wave2"
    second["path"] = "wave2.csv"
    mini_codebook_dict["resources"].append(second)
    path = write(tmp_path, mini_codebook_dict)
    with pytest.raises(CodebookError, match=r"2 resources \(mini_survey, wave2\); choose one"):
        Codebook.from_file(path)
    assert Codebook.from_file(path, resource="wave2").data_path == tmp_path / "wave2.csv"
    with pytest.raises(CodebookError, match="no resource named 'wave3'"):
        Codebook.from_file(path, resource="wave3")


def test_resource_without_extension_is_ignored_when_another_has_it(tmp_path, mini_codebook_dict):
    mini_codebook_dict["resources"].insert(0, {"name": "readme", "path": "README.md"})
    assert Codebook.from_dict(mini_codebook_dict).resource_name == "mini_survey"


def test_field_level_and_object_missing_values(mini_codebook_dict):
    schema = mini_codebook_dict["resources"][0]["schema"]
    schema["missingValues"] = [{"value": "", "label": "skipped"}, {"value": "NA", "label": "n/a"}]
    schema["fields"][-1]["missingValues"] = ["", "-1"]
    book = Codebook.from_dict(mini_codebook_dict)
    assert book.fields["comp1"].missing_values == ("", "NA")
    assert book.fields["duration_s"].missing_values == ("", "-1")


def test_numeric_missing_value_codes_are_rejected(tmp_path, mini_codebook_dict):
    mini_codebook_dict["resources"][0]["schema"]["missingValues"] = ["", -99]
    [problem] = problems_of(tmp_path, mini_codebook_dict)
    assert "-99 is not a string" in problem


def test_unknown_fields_match_mode(tmp_path, mini_codebook_dict):
    mini_codebook_dict["resources"][0]["schema"]["fieldsMatch"] = "loose"
    [problem] = problems_of(tmp_path, mini_codebook_dict)
    assert "fieldsMatch is 'loose'" in problem


def test_the_simulated_codebook_follows_the_contract():
    book = Codebook.from_file(PROJECT_DATA / "datapackage.json")
    assert book.simulated and "SIMULATED" in book.title
    assert list(book.constructs) == ["competence", "benevolence", "integrity", "intention",
                                     "disposition"]
    assert len(book.items) == 18
    assert all(book.likert_levels(item) == tuple(range(1, 8)) for item in book.items)
    assert book.fields["seller_response"].categories == RESPONSE_LEVELS
    assert book.fields["violation"].categories == VIOLATION_LEVELS
    assert book.attention_check == ("attention_check", 2)
    assert book.data_path == PROJECT_DATA / "raw" / "trust_repair_simulated.csv"


def test_attention_check_answer_must_be_a_category(tmp_path, mini_codebook_dict):
    mini_codebook_dict["resources"][0]["trustmodels"]["attention_check"]["correct"] = 9
    [problem] = problems_of(tmp_path, mini_codebook_dict)
    assert "attention_check.correct 9 is not one of the categories of 'attention_check'" in problem


@pytest.mark.parametrize("dialect", [{"delimiter": ";;"}, {"quoteChar": ""}, "semicolon"])
def test_dialect_must_be_usable(tmp_path, mini_codebook_dict, dialect):
    mini_codebook_dict["resources"][0]["dialect"] = dialect
    [problem] = problems_of(tmp_path, mini_codebook_dict)
    assert "dialect" in problem


JUNK = [None, 5, -1.5, "x", "", [], {}, [1], ["x"], [{}], {"a": 1}, True]
PLACES = [
    ("resources",), ("resources", 0), ("resources", 0, "name"), ("resources", 0, "path"),
    ("resources", 0, "encoding"), ("resources", 0, "schema"),
    ("resources", 0, "schema", "fields"), ("resources", 0, "schema", "fields", 0),
    ("resources", 0, "schema", "fields", 4, "categories"),
    ("resources", 0, "schema", "fields", 4, "type"),
    ("resources", 0, "schema", "fields", 4, "constraints"),
    ("resources", 0, "schema", "fields", 3, "constraints", "minimum"),
    ("resources", 0, "schema", "fields", 4, "trueValues"),
    ("resources", 0, "schema", "fields", 4, "missingValues"),
    ("resources", 0, "schema", "missingValues"), ("resources", 0, "schema", "primaryKey"),
    ("resources", 0, "schema", "fieldsMatch"), ("resources", 0, "trustmodels"),
    ("resources", 0, "trustmodels", "id"), ("resources", 0, "trustmodels", "constructs"),
    ("resources", 0, "trustmodels", "constructs", "competence"),
    ("resources", 0, "trustmodels", "design"), ("resources", 0, "trustmodels", "fan_count"),
    ("resources", 0, "trustmodels", "attention_check"),
    ("resources", 0, "trustmodels", "duration"), ("resources", 0, "trustmodels", "covariates"),
]


@pytest.mark.parametrize("place", PLACES, ids=lambda place: ".".join(map(str, place)))
def test_junk_anywhere_gives_a_codebook_error_not_a_crash(mini_codebook_dict, place):
    for junk in JUNK:
        data = json.loads(json.dumps(mini_codebook_dict))
        target = data
        for key in place[:-1]:
            target = target[key]
        target[place[-1]] = junk
        try:
            Codebook.from_dict(data, source="dp.json")
        except CodebookError as error:
            assert all(line.startswith("dp.json: ") for line in error.problems), error
