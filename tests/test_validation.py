"""Each kind of data problem gets its own test; problem lines name file, row, column, value."""

import hashlib
import json

import pandas as pd
import pytest

from tests.conftest import MINI_PROBLEMS_CSV
from trustmodels.survey.codebook import Codebook
from trustmodels.survey.validation import Problem, SurveyValidationError, validate_survey

HEADER = ("respondent_id,seller_response,violation,fan_count,comp1,comp2,comp3,intent1,intent2,"
          "attention_check,gender,duration_s")


def check(write_survey, csv=None, codebook=None):
    csv_path, codebook_path = write_survey(csv=csv, codebook=codebook)
    typed, problems = validate_survey(csv_path, Codebook.from_file(codebook_path))
    return typed, [str(problem) for problem in problems]


def replace_cell(text, respondent, column, value):
    """The mini CSV text with one cell changed."""
    lines = text.splitlines()
    names = lines[0].split(",")
    for number, line in enumerate(lines):
        cells = line.split(",")
        if cells[0] == respondent:
            cells[names.index(column)] = value
            lines[number] = ",".join(cells)
    return "\n".join(lines) + "\n"


def test_the_mini_survey_is_valid(write_survey):
    typed, problems = check(write_survey)
    assert problems == []
    assert len(typed) == 8
    assert list(typed.columns) == HEADER.split(",")
    assert str(typed["comp1"].dtype) == "Int64"
    assert typed["seller_response"].cat.categories.tolist() == ["none", "apology", "denial"]
    assert typed["respondent_id"].tolist()[:2] == ["R01", "R02"]


def test_problem_line_format():
    problem = Problem("s.csv", '"8" is not an answer category; expected one of 1, 2',
                      row=4, column="comp1", respondent="R03")
    assert str(problem) == ("s.csv: row 4 (respondent R03), column 'comp1': \"8\" is not an "
                            "answer category; expected one of 1, 2")


@pytest.mark.parametrize("value", ["8", "0", "-1"])
def test_out_of_range_likert_value(write_survey, mini_csv_text, value):
    _, problems = check(write_survey, replace_cell(mini_csv_text, "R03", "comp1", value))
    assert problems == [f"survey.csv: row 4 (respondent R03), column 'comp1': \"{value}\" is not "
                        "an answer category; expected one of 1, 2, 3, 4, 5, 6, 7"]


def test_unknown_factor_level(write_survey, mini_csv_text):
    _, problems = check(write_survey, replace_cell(mini_csv_text, "R02", "seller_response",
                                                   "Apology"))
    assert problems == ["survey.csv: row 3 (respondent R02), column 'seller_response': "
                        "\"Apology\" is not a known level; expected one of none, apology, denial"]


def test_negative_fan_count(write_survey, mini_csv_text):
    _, problems = check(write_survey, replace_cell(mini_csv_text, "R05", "fan_count", "-3"))
    assert problems == ["survey.csv: row 6 (respondent R05), column 'fan_count': \"-3\" is "
                        "below the minimum; expected an integer >= 0"]


def test_negative_fan_count_even_without_a_minimum_in_the_codebook(
        write_survey, mini_csv_text, mini_codebook_dict):
    mini_codebook_dict["resources"][0]["schema"]["fields"][3]["constraints"].pop("minimum")
    _, problems = check(write_survey, replace_cell(mini_csv_text, "R05", "fan_count", "-3"),
                        mini_codebook_dict)
    assert len(problems) == 1 and "'fan_count': \"-3\" is below the minimum" in problems[0]


@pytest.mark.parametrize("value", ["2.5", "1e3", "1,000", "many"])
def test_non_integer_fan_count(write_survey, mini_csv_text, value):
    text = replace_cell(mini_csv_text, "R05", "fan_count", f'"{value}"')
    _, problems = check(write_survey, text)
    assert len(problems) == 1
    assert problems[0].startswith(f"survey.csv: row 6 (respondent R05), column 'fan_count': "
                                  f"\"{value}\" is not an integer")
    assert problems[0].endswith("expected an integer >= 0")


def test_duplicate_respondent_ids(write_survey, mini_csv_text):
    text = replace_cell(mini_csv_text, "R07", "respondent_id", "R02")
    text = replace_cell(text, "R08", "respondent_id", "R02")
    _, problems = check(write_survey, text)
    assert problems == [
        "survey.csv: row 8, column 'respondent_id': \"R02\" repeats the value of row 3; "
        "expected unique respondent ids",
        "survey.csv: row 9, column 'respondent_id': \"R02\" repeats the value of row 3; "
        "expected unique respondent ids"]


def test_missing_required_columns(write_survey, mini_csv_text):
    frame = pd.read_csv(pd.io.common.StringIO(mini_csv_text), dtype=str, keep_default_na=False)
    text = frame.drop(columns=["violation", "comp2"]).to_csv(index=False)
    _, problems = check(write_survey, text)
    assert problems == [
        "survey.csv: column 'violation': missing from the file; the codebook "
        "(datapackage.json, resource 'mini_survey') lists it",
        "survey.csv: column 'comp2': missing from the file; the codebook "
        "(datapackage.json, resource 'mini_survey') lists it"]


def test_codebook_names_a_column_the_file_lacks(write_survey, mini_csv_text, mini_codebook_dict):
    fields = mini_codebook_dict["resources"][0]["schema"]["fields"]
    fields.append({"name": "region", "type": "string"})
    _, problems = check(write_survey, codebook=mini_codebook_dict)
    assert problems == ["survey.csv: column 'region': missing from the file; the codebook "
                        "(datapackage.json, resource 'mini_survey') lists it"]


def test_optional_unused_column_may_be_absent_with_fields_match_superset(
        write_survey, mini_codebook_dict):
    schema = mini_codebook_dict["resources"][0]["schema"]
    schema["fields"].append({"name": "region", "type": "string"})
    schema["fieldsMatch"] = "superset"
    typed, problems = check(write_survey, codebook=mini_codebook_dict)
    assert problems == [] and "region" not in typed.columns


def test_extra_column_is_reported_unless_fields_match_subset(
        write_survey, mini_csv_text, mini_codebook_dict):
    lines = mini_csv_text.splitlines()
    text = "\n".join([lines[0] + ",note"] + [line + ",x" for line in lines[1:]]) + "\n"
    _, problems = check(write_survey, text)
    assert len(problems) == 1 and problems[0].startswith(
        "survey.csv: column 'note': not in the codebook (datapackage.json)")
    mini_codebook_dict["resources"][0]["schema"]["fieldsMatch"] = "subset"
    typed, problems = check(write_survey, text, mini_codebook_dict)
    assert problems == [] and "note" not in typed.columns


def test_column_order_matters_only_for_fields_match_exact(
        write_survey, mini_csv_text, mini_codebook_dict):
    frame = pd.read_csv(pd.io.common.StringIO(mini_csv_text), dtype=str, keep_default_na=False)
    text = frame[list(reversed(frame.columns))].to_csv(index=False)
    _, problems = check(write_survey, text)
    assert len(problems) == 1 and "different order than schema.fields" in problems[0]
    mini_codebook_dict["resources"][0]["schema"]["fieldsMatch"] = "equal"
    typed, problems = check(write_survey, text, mini_codebook_dict)
    assert problems == [] and list(typed.columns) == HEADER.split(",")


def test_text_in_an_integer_column(write_survey, mini_csv_text):
    _, problems = check(write_survey, replace_cell(mini_csv_text, "R01", "duration_s", "abc"))
    assert problems == ["survey.csv: row 2 (respondent R01), column 'duration_s': \"abc\" is "
                        "not an integer; expected an integer >= 0"]


def test_fraction_in_a_likert_column(write_survey, mini_csv_text):
    _, problems = check(write_survey, replace_cell(mini_csv_text, "R04", "intent2", "3.5"))
    assert problems == ["survey.csv: row 5 (respondent R04), column 'intent2': \"3.5\" is not "
                        "an integer (a whole number); expected one of 1, 2, 3, 4, 5, 6, 7"]


@pytest.mark.parametrize("value", [" 3", "3.0", "+"])
def test_no_silent_coercion_of_near_integers(write_survey, mini_csv_text, value):
    _, problems = check(write_survey, replace_cell(mini_csv_text, "R04", "comp3", value))
    assert len(problems) == 1 and f'"{value}" is not an integer' in problems[0]


def test_number_field_with_decimal_comma(write_survey, mini_csv_text, mini_codebook_dict):
    fields = mini_codebook_dict["resources"][0]["schema"]["fields"]
    fields[-1]["type"] = "number"
    mini_codebook_dict["resources"][0]["trustmodels"]["duration"] = "duration_s"
    typed, problems = check(write_survey, replace_cell(mini_csv_text, "R01", "duration_s",
                                                       '"400,5"'), mini_codebook_dict)
    assert problems == ["survey.csv: row 2 (respondent R01), column 'duration_s': \"400,5\" is "
                        "not a number (use '.' as the decimal mark); expected a number >= 0"]
    typed, problems = check(write_survey, replace_cell(mini_csv_text, "R01", "duration_s",
                                                       "400.5"), mini_codebook_dict)
    assert problems == [] and typed["duration_s"].iloc[0] == 400.5


def test_empty_file(write_survey):
    _, problems = check(write_survey, b"")
    assert problems == ["survey.csv: file is empty (0 bytes); expected a header row and one row "
                        "per respondent"]


def test_header_only(write_survey):
    _, problems = check(write_survey, HEADER + "\n")
    assert problems == ["survey.csv: has a header but no data rows; expected one row per "
                        "respondent"]


def test_blank_lines_only(write_survey):
    _, problems = check(write_survey, "\n\n  \n")
    assert len(problems) == 1 and "only blank lines" in problems[0]


def test_file_not_utf8(write_survey, mini_csv_text):
    text = replace_cell(mini_csv_text, "R03", "gender", "divers\u00e9")
    _, problems = check(write_survey, text.encode("latin-1"))
    assert problems == [
        "survey.csv: not utf-8 text: byte 0xe9 on line 4 of the file cannot be decoded; expected "
        "utf-8 (in Excel: Save As \"CSV UTF-8\", or declare the file's \"encoding\" in the "
        "codebook)"]


def test_declared_encoding_is_used(write_survey, mini_csv_text, mini_codebook_dict):
    mini_codebook_dict["resources"][0]["encoding"] = "latin-1"
    fields = mini_codebook_dict["resources"][0]["schema"]["fields"]
    fields[10]["categories"].append("divers\u00e9")
    text = replace_cell(mini_csv_text, "R03", "gender", "divers\u00e9")
    typed, problems = check(write_survey, text.encode("latin-1"), mini_codebook_dict)
    assert problems == [] and typed["gender"].iloc[2] == "divers\u00e9"


def test_utf8_byte_order_mark_is_accepted(write_survey, mini_csv_text):
    typed, problems = check(write_survey, b"\xef\xbb\xbf" + mini_csv_text.encode())
    assert problems == [] and typed.columns[0] == "respondent_id"


def test_missing_value_codes_are_missing_not_errors(write_survey, mini_csv_text):
    text = replace_cell(mini_csv_text, "R02", "comp2", "-99")
    typed, problems = check(write_survey, text)
    assert problems == []
    assert typed["comp2"].isna().tolist() == [False, True, True, False, False, False, False,
                                              False]


def test_an_item_that_no_row_answers_is_one_line(write_survey, mini_csv_text):
    # a model could not use such an item; it used to be dropped silently while the survey
    # still reported it among its items
    text = mini_csv_text
    for respondent in [f"R0{i}" for i in range(1, 9)]:
        text = replace_cell(text, respondent, "comp2", "")
    _, problems = check(write_survey, text)
    assert problems == ["survey.csv: column 'comp2': no row answers this item of construct "
                        "'competence' (all 8 cells are missing); expected answers, or remove it "
                        "from the codebook's constructs"]
    _, problems = check(write_survey, replace_cell(mini_csv_text, "R01", "comp2", ""))
    assert problems == []  # one missing answer is not a problem


@pytest.mark.parametrize(("role", "column", "expected"), [
    ("groups", "gender", "expected one of female, male, non-binary, prefer not to say"),
    ("covariate_columns", "duration_s", "expected an integer >= 0"),
])
def test_a_missing_group_or_covariate_column_is_named_with_its_row(
        write_survey, mini_csv_text, mini_codebook_dict, role, column, expected):
    # the declared design's model reads them for every rating: a gap is a data problem
    book = json.loads(json.dumps(mini_codebook_dict))
    book["resources"][0]["trustmodels"][role] = [column]
    text = replace_cell(mini_csv_text, "R04", column, "")
    _, problems = check(write_survey, text, book)
    assert problems[0] == (f"survey.csv: row 5 (respondent R04), column '{column}': required "
                           f"value is missing; {expected}")
    assert all("required value is missing" in problem for problem in problems)


def test_missing_value_in_a_required_field(write_survey, mini_csv_text):
    text = replace_cell(mini_csv_text, "R02", "violation", "-99")
    text = replace_cell(text, "R03", "respondent_id", "")
    _, problems = check(write_survey, text)
    assert problems == [
        "survey.csv: row 3 (respondent R02), column 'violation': required value is missing "
        "(\"-99\" is a missing-value code); expected one of competence, integrity",
        "survey.csv: row 4, column 'respondent_id': required value is missing; expected a value"]


def test_other_codes_are_not_missing(write_survey, mini_csv_text):
    _, problems = check(write_survey, replace_cell(mini_csv_text, "R02", "comp2", "NA"))
    assert len(problems) == 1 and '"NA" is not an integer' in problems[0]


def test_all_problems_are_collected_in_row_order(mini_codebook_path):
    typed, problems = validate_survey(MINI_PROBLEMS_CSV, Codebook.from_file(mini_codebook_path))
    lines = [str(problem) for problem in problems]
    assert [(p.row, p.column) for p in problems] == [
        (2, "comp1"), (3, "seller_response"), (4, "fan_count"), (5, "comp2"), (6, "fan_count"),
        (7, "respondent_id")]
    assert all(line.startswith("mini_survey_problems.csv: row ") for line in lines)
    assert all("expected" in line for line in lines)


def test_row_with_too_many_or_too_few_cells(write_survey, mini_csv_text):
    lines = mini_csv_text.splitlines()
    lines[2] += ",extra"
    lines[5] = lines[5].rsplit(",", 1)[0]
    _, problems = check(write_survey, "\n".join(lines) + "\n")
    assert problems == [
        "survey.csv: row 3: has 13 cells but the header has 12 columns; expected one cell per "
        "column",
        "survey.csv: row 6: has 11 cells but the header has 12 columns; expected one cell per "
        "column"]


def test_rows_are_spreadsheet_rows_despite_blank_lines_and_multiline_cells(
        write_survey, mini_csv_text, mini_codebook_dict):
    fields = mini_codebook_dict["resources"][0]["schema"]["fields"]
    fields[10] = {"name": "gender", "type": "string"}
    lines = mini_csv_text.splitlines()
    lines[1] = lines[1].replace("female", '"fe\nmale"')
    lines.insert(3, "")
    text = "\n".join(lines) + "\n"
    text = replace_cell(text, "R04", "comp1", "9")
    _, problems = check(write_survey, text, mini_codebook_dict)
    # header = row 1, R01 = row 2 (one record over two lines), R02 = row 3, blank row 4, R03 = 5
    assert len(problems) == 1 and problems[0].startswith("survey.csv: row 6 (respondent R04)")


def test_malformed_quotes(write_survey, mini_csv_text):
    _, problems = check(write_survey, mini_csv_text + 'R09,"none,competence,1\n')
    assert len(problems) == 1 and "not well-formed CSV" in problems[0]


def test_duplicate_and_empty_header_names(write_survey, mini_csv_text):
    lines = mini_csv_text.splitlines()
    lines[0] = lines[0].replace("comp3", "comp2").replace("gender", "")
    _, problems = check(write_survey, "\n".join(lines) + "\n")
    assert "survey.csv: row 1, column 'comp2': appears twice in the header (cells 6 and 7); " \
           "expected unique column names" in problems
    assert "survey.csv: row 1: header cell 11 is empty; expected a column name" in problems
    assert any("column 'comp3': missing from the file" in p for p in problems)
    assert any("column 'gender': missing from the file" in p for p in problems)


def test_semicolon_separated_file_gets_a_hint(write_survey, mini_csv_text, mini_codebook_dict):
    text = mini_csv_text.replace(",", ";")
    _, problems = check(write_survey, text)
    # one line, first: every other problem would only follow from the delimiter
    assert problems == ["survey.csv: row 1: the file looks separated by semicolons, not commas "
                        "(the header is one column); declare it in the codebook's resource: "
                        "\"dialect\": {\"delimiter\": \";\"}"]
    mini_codebook_dict["resources"][0]["dialect"] = {"delimiter": ";"}
    _, problems = check(write_survey, text, mini_codebook_dict)
    assert problems == []


def test_missing_file(mini_codebook_path, tmp_path):
    _, problems = validate_survey(tmp_path / "gone.csv", Codebook.from_file(mini_codebook_path))
    assert [str(p) for p in problems] == [f"{tmp_path / 'gone.csv'}: file not found"]


def test_validation_error_lists_every_problem():
    problems = [Problem("a.csv", "one", row=2, column="x"), Problem("a.csv", "two")]
    error = SurveyValidationError(problems)
    assert str(error) == "a.csv: row 2, column 'x': one\na.csv: two"
    assert error.problems == problems


def test_validation_does_not_change_the_file(write_survey):
    csv_path, codebook_path = write_survey(csv=MINI_PROBLEMS_CSV.read_text())
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in csv_path.parent.iterdir()}
    validate_survey(csv_path, Codebook.from_file(codebook_path))
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in csv_path.parent.iterdir()}
    assert before == after


def test_codebook_passed_as_dict_validates_the_same(mini_codebook_dict, mini_csv_path):
    book = Codebook.from_dict(json.loads(json.dumps(mini_codebook_dict)))
    _, problems = validate_survey(mini_csv_path, book)
    assert problems == []


def test_problems_carry_the_cell_value(write_survey, mini_csv_text, mini_codebook_path):
    csv_path, _ = write_survey(replace_cell(mini_csv_text, "R03", "comp1", "8"))
    _, [problem] = validate_survey(csv_path, Codebook.from_file(mini_codebook_path))
    assert (problem.file, problem.row, problem.column, problem.respondent, problem.value) == (
        "survey.csv", 4, "comp1", "R03", "8")


def test_a_tab_separated_file_is_named_as_such(write_survey, mini_csv_text):
    _, problems = check(write_survey, mini_csv_text.replace(",", "\t"))
    assert len(problems) == 1 and "separated by tabs" in problems[0]
    assert '"dialect": {"delimiter": "\\t"}' in problems[0]


def test_header_names_with_stray_spaces_say_so(write_survey, mini_csv_text):
    lines = mini_csv_text.splitlines()
    lines[0] = lines[0].replace("comp2", "comp2 ")
    _, problems = check(write_survey, "\n".join(lines) + "\n")
    assert problems[0] == ("survey.csv: row 1, column 'comp2': the header name 'comp2 ' has stray "
                           "spaces; expected 'comp2'")
    assert not any("missing from the file" in p or "not in the codebook" in p for p in problems)
