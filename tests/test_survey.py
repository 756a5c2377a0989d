import csv
import hashlib
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from tests.conftest import MINI_CODEBOOK, MINI_CSV, MINI_PROBLEMS_CSV, PROJECT_DATA
from trustmodels.datasets.manifest import ManifestError, write_manifest
from trustmodels.datasets.simulated import load_simulated_survey
from trustmodels.datasets.simulated_design import RESPONSE_LEVELS, VIOLATION_LEVELS
from trustmodels.survey.codebook import Codebook, CodebookError
from trustmodels.survey.table import (
    construct_scores,
    load_survey,
    survey_from_frame,
)
from trustmodels.survey.validation import SurveyValidationError

LONG_COLUMNS = ["respondent", "item", "construct", "response", "n_categories",
                "seller_response", "violation", "fan_count", "gender"]


def observed_answers(path, items, missing=("", "-99")):
    """(respondent, item, answer) triples read straight from the CSV file."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [(row["respondent_id"], item, int(row[item]))
                for row in csv.DictReader(handle) for item in items if row[item] not in missing]


def test_load_survey_types_the_wide_table(mini_survey):
    wide = mini_survey.wide
    assert mini_survey.n_respondents == 8
    assert str(wide["comp1"].dtype) == "Int64" and str(wide["fan_count"].dtype) == "Int64"
    assert wide["violation"].cat.categories.tolist() == ["competence", "integrity"]
    assert wide["gender"].isna().tolist()[-1]
    assert wide["comp1"].isna().sum() == 1  # the -99 code of R07
    assert repr(mini_survey) == ("Survey('mini_survey.csv', 8 respondents, 5 items in 2 "
                                 "constructs, SIMULATED)")


def test_long_table_columns_and_types(mini_survey):
    long = mini_survey.long
    assert list(long.columns) == LONG_COLUMNS
    assert str(long["respondent"].dtype) == "str"
    assert long["item"].cat.categories.tolist() == ["comp1", "comp2", "comp3", "intent1",
                                                    "intent2"]
    assert long["construct"].cat.categories.tolist() == ["competence", "intention"]
    assert long["response"].dtype == np.int64 and long["n_categories"].dtype == np.int64
    assert long["seller_response"].cat.categories.tolist() == list(RESPONSE_LEVELS)
    assert long["fan_count"].dtype == np.int64
    assert set(long["n_categories"]) == {7}


def test_long_table_holds_exactly_the_observed_answers(mini_survey):
    expected = observed_answers(MINI_CSV, mini_survey.items)
    long = mini_survey.long
    assert list(zip(long["respondent"], long["item"].astype(str), long["response"],
                    strict=True)) == expected
    assert len(long) < 8 * 5  # missing answers were dropped


def test_long_rows_carry_their_respondents_design(mini_survey):
    wide = mini_survey.wide.set_index("respondent_id")
    long = mini_survey.long
    for column in ("seller_response", "violation", "fan_count", "gender"):
        from_wide = wide.loc[long["respondent"], column].astype(object).tolist()
        assert long[column].astype(object).tolist() == from_wide
    constructs = mini_survey.codebook
    assert all(constructs.construct_of(item) == construct
               for item, construct in zip(long["item"], long["construct"], strict=True))


def test_to_long_by_construct_and_items(mini_survey):
    intention = mini_survey.to_long(constructs=["intention"])
    assert set(intention["item"]) == {"intent1", "intent2"}
    assert intention["item"].cat.categories.tolist() == list(mini_survey.items)
    only = mini_survey.to_long(items=["comp2"])
    assert len(only) == mini_survey.wide["comp2"].notna().sum()
    with pytest.raises(KeyError, match="not items"):
        mini_survey.to_long(items=["comp9"])
    with pytest.raises(KeyError, match="no constructs"):
        mini_survey.to_long(constructs=["trust"])


def test_construct_scores_are_means_of_available_items(mini_survey):
    scores = construct_scores(mini_survey)
    assert list(scores.columns) == ["competence", "intention"]
    assert scores.index.name == "respondent"
    wide = mini_survey.wide.set_index("respondent_id")
    for construct, items in mini_survey.codebook.constructs.items():
        expected = wide[list(items)].astype("float64").mean(axis=1, skipna=True)
        np.testing.assert_allclose(scores[construct].to_numpy(), expected.to_numpy())
    assert scores.loc["R03", "competence"] == (3 + 4) / 2  # comp2 is empty for R03


def test_construct_scores_min_items_and_design(mini_survey):
    scores = construct_scores(mini_survey, constructs=["intention"], min_items=2)
    answered = mini_survey.wide[["intent1", "intent2"]].notna().sum(axis=1).to_numpy()
    assert np.array_equal(scores["intention"].isna().to_numpy(), answered < 2)
    with_design = construct_scores(mini_survey, with_design=True)
    assert list(with_design.columns) == ["seller_response", "violation", "fan_count", "gender",
                                         "competence", "intention"]
    with pytest.raises(KeyError):
        construct_scores(mini_survey, constructs=["loyalty"])


def test_load_survey_raises_all_problem_lines():
    with pytest.raises(SurveyValidationError) as caught:
        load_survey(MINI_PROBLEMS_CSV, MINI_CODEBOOK)
    lines = str(caught.value).splitlines()
    assert len(lines) == len(caught.value.problems) == 6
    assert all(line.startswith("mini_survey_problems.csv: row ") for line in lines)


def test_load_survey_without_csv_uses_the_resource_path():
    survey = load_survey(None, MINI_CODEBOOK)
    assert survey.source == "mini_survey.csv" and survey.n_respondents == 8


def test_load_survey_with_a_bad_codebook(tmp_path):
    path = tmp_path / "datapackage.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(CodebookError, match="not valid JSON"):
        load_survey(MINI_CSV, path)


def test_survey_from_frame_round_trip(mini_survey):
    again = survey_from_frame(mini_survey.wide, mini_survey.codebook)
    pd.testing.assert_frame_equal(again.wide, mini_survey.wide)


def test_survey_from_frame_validates(mini_survey):
    frame = mini_survey.wide.astype(object)
    frame.loc[1, "comp1"] = 2.5
    frame.loc[2, "violation"] = "both"
    with pytest.raises(SurveyValidationError) as caught:
        survey_from_frame(frame, mini_survey.codebook, source="simulated")
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "comp1"),
                                                                  (4, "violation")]


# ---- the committed simulated survey ---------------------------------------------------------
def raw_state():
    raw = PROJECT_DATA / "raw"
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(raw.iterdir())}


def test_simulated_survey_loads_cleanly_and_leaves_raw_data_alone():
    before = raw_state()
    survey = load_simulated_survey()
    assert raw_state() == before
    book = survey.codebook
    assert book.simulated and survey.n_respondents == 900
    long = survey.long
    assert long["seller_response"].cat.categories.tolist() == list(RESPONSE_LEVELS)
    assert long["violation"].cat.categories.tolist() == list(VIOLATION_LEVELS)
    counts = survey.wide.groupby(["seller_response", "violation"], observed=True).size()
    assert counts.tolist() == [150] * 6
    answered = int(survey.wide[list(survey.items)].notna().to_numpy().sum())
    assert len(long) == answered < 900 * 18
    assert long["response"].between(1, 7).all()


def copy_data(tmp_path):
    target = tmp_path / "data"
    (target / "raw").mkdir(parents=True)
    shutil.copy(PROJECT_DATA / "datapackage.json", target / "datapackage.json")
    for path in (PROJECT_DATA / "raw").iterdir():
        shutil.copy(path, target / "raw" / path.name)
    return target


def test_simulated_survey_location_can_be_overridden(tmp_path, monkeypatch):
    target = copy_data(tmp_path)
    monkeypatch.setenv("TRUSTMODELS_PROJECT_DATA", str(target))
    assert load_simulated_survey().n_respondents == 900


def test_changed_simulated_file_is_refused(tmp_path, monkeypatch):
    target = copy_data(tmp_path)
    csv_path = target / "raw" / "trust_repair_simulated.csv"
    text = csv_path.read_text(encoding="utf-8")
    csv_path.write_text(text.replace("R0001,", "R0001 ,", 1), encoding="utf-8")
    monkeypatch.setenv("TRUSTMODELS_PROJECT_DATA", str(target))
    with pytest.raises(ManifestError) as caught:
        load_simulated_survey()
    message = str(caught.value)
    assert message.startswith("trust_repair_simulated.csv: SHA-256 differs from SHA256SUMS")
    assert hashlib.sha256(csv_path.read_bytes()).hexdigest() in message


def test_simulated_file_must_be_listed_in_the_manifest(tmp_path):
    target = copy_data(tmp_path)
    write_manifest(target / "raw", ["trust_repair_simulated.truth.json"])
    with pytest.raises(ManifestError, match="trust_repair_simulated.csv: not listed"):
        load_simulated_survey(target)


def test_missing_simulated_codebook_says_how_to_generate(tmp_path):
    with pytest.raises(FileNotFoundError, match="trustmodels simulate"):
        load_simulated_survey(tmp_path)


def test_simulated_codebook_is_the_one_loaded():
    survey = load_simulated_survey()
    on_disk = json.loads((PROJECT_DATA / "datapackage.json").read_text(encoding="utf-8"))
    assert survey.codebook.raw == on_disk
    assert survey.codebook == Codebook.from_file(PROJECT_DATA / "datapackage.json")


def minimal_codebook(path=None):
    resource = {"name": "own", "schema": {"fields": [
        {"name": "pid", "type": "string"},
        {"name": "t1", "type": "integer", "categories": [1, 2, 3, 4, 5]},
        {"name": "t2", "type": "integer", "categories": [1, 2, 3, 4, 5]}]},
        "trustmodels": {"id": "pid", "constructs": {"trust": ["t1", "t2"]}}}
    if path:
        resource["path"] = path
    return {"resources": [resource]}


def test_a_users_survey_without_design_columns(tmp_path):
    (tmp_path / "own.csv").write_text("pid,t1,t2\nP1,5,4\nP2,,1\n", encoding="utf-8")
    (tmp_path / "dp.json").write_text(json.dumps(minimal_codebook("own.csv")), encoding="utf-8")
    survey = load_survey(None, tmp_path / "dp.json")
    assert list(survey.long.columns) == ["respondent", "item", "construct", "response",
                                         "n_categories"]
    assert survey.long["response"].tolist() == [5, 4, 1]
    assert set(survey.long["n_categories"]) == {5}


def test_codebook_without_path_needs_the_csv(tmp_path):
    (tmp_path / "dp.json").write_text(json.dumps(minimal_codebook()), encoding="utf-8")
    with pytest.raises(CodebookError, match="has no \"path\"; pass the CSV file"):
        load_survey(None, tmp_path / "dp.json")
