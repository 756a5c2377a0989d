"""A survey with one row per respondent and vignette: codebook keys, validation, the design."""

from __future__ import annotations

import json

import pytest

from trustmodels.design import StudyDesign, design_table
from trustmodels.survey.codebook import Codebook, CodebookError
from trustmodels.survey.table import load_survey
from trustmodels.survey.validation import validate_survey


def _codebook(**extension):
    trustmodels = {"id": "judge", "vignette": "bottle", "constructs": {"bitter": ["rating"]},
                   "design": ["temp"], **extension}
    return {"resources": [{"name": "wine", "path": "wine.csv", "schema": {"fields": [
        {"name": "judge", "type": "string"},
        {"name": "bottle", "type": "integer"},
        {"name": "temp", "type": "string", "categories": ["cold", "warm"]},
        {"name": "dose", "type": "number"},
        {"name": "rating", "type": "integer", "categories": [0, 1, 2, 3, 4],
         "categoriesOrdered": True}], "missingValues": [""]},
        "trustmodels": trustmodels}]}


ROWS = ["judge,bottle,temp,dose,rating", "J1,1,cold,1,0", "J1,2,warm,10,3", "J2,1,cold,100,1",
        "J2,2,warm,1000,4"]


def _write(tmp_path, rows=ROWS, **extension):
    (tmp_path / "wine.csv").write_text("\n".join(rows) + "\n")
    path = tmp_path / "datapackage.json"
    path.write_text(json.dumps(_codebook(**extension)))
    return path


def test_ids_repeat_across_vignettes_and_the_design_reads_the_codebook(tmp_path):
    path = _write(tmp_path, moderators={"dose": {"transform": "log10", "centre": 1}})
    survey = load_survey(None, Codebook.from_file(path))
    assert (survey.n_respondents, survey.n_rows) == (2, 4)
    design = StudyDesign.from_codebook(survey.codebook)
    assert design.factors == {"temp": ("cold", "warm")}
    assert design.vignette == "bottle" and design.outcomes == ("bitter",)
    assert design.moderators["dose"].transform == "log10"
    long = design_table(survey)
    # answers coded 0-4 become positions 1-5 on the answer scale
    assert long["response"].tolist() == [1, 4, 2, 5]
    assert {"bottle", "temp", "dose"} <= set(long.columns)


def test_a_respondent_rating_one_vignette_twice_is_one_line(tmp_path):
    rows = [*ROWS[:3], "J1,2,cold,1,2"]
    path = _write(tmp_path, rows=rows)
    _, problems = validate_survey(tmp_path / "wine.csv", Codebook.from_file(path))
    lines = [str(p) for p in problems]
    assert lines == ["wine.csv: row 4 (respondent J1), column 'bottle': respondent 'J1' rates "
                     "vignette '2' again (first in row 3); expected one row per respondent and "
                     "vignette"]


def test_without_a_vignette_column_ids_must_be_unique(tmp_path):
    path = _write(tmp_path, vignette=None)
    _, problems = validate_survey(tmp_path / "wine.csv", Codebook.from_file(path))
    assert any("repeats the value of row 2; expected unique respondent ids" in str(p)
               for p in problems)


@pytest.mark.parametrize(("extension", "message"), [
    ({"moderators": {"dose": {"transform": "log2"}}}, "transform 'log2'"),
    ({"moderators": {"temp": {}}}, "moderator 'temp' has type 'string'"),
    ({"moderators": {"nope": {}}}, "moderators names 'nope', which is not in schema.fields"),
    ({"covariate": "mood"}, "covariate names 'mood', which is not a construct"),
    ({"outcomes": ["mood"]}, "outcomes names 'mood', which is not a construct"),
    ({"vignette": "judge"}, "vignette names the id field 'judge'"),
])
def test_a_wrong_design_declaration_is_one_line_naming_the_codebook(tmp_path, extension,
                                                                    message):
    path = _write(tmp_path, **extension)
    with pytest.raises(CodebookError) as error:
        Codebook.from_file(path)
    assert len(error.value.problems) == 1
    assert message in error.value.problems[0] and "datapackage.json" in error.value.problems[0]
