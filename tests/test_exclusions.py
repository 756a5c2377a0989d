import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import PROJECT_DATA
from trustmodels.datasets.simulated import load_simulated_survey
from trustmodels.survey.codebook import Codebook
from trustmodels.survey.exclusions import (
    DEFAULT_RULES,
    ExclusionRules,
    apply_exclusions,
    exclusions_by,
)
from trustmodels.survey.table import survey_from_frame

FEW_ITEMS = ExclusionRules(min_items_straightlining=4)


def flagged(report, rule):
    column = report.flags[rule]
    return column.index[column.fillna(False).to_numpy(bool)].tolist()


def test_each_rule_flags_its_respondent(mini_survey):
    kept, report = apply_exclusions(mini_survey, FEW_ITEMS)
    assert flagged(report, "attention_check") == ["R05"]  # answered 5, instructed 2
    assert flagged(report, "straightlining") == ["R04"]  # 4 on all five items
    assert flagged(report, "speeding") == ["R06"]  # 60 s against a median near 400 s
    assert report.excluded == ["R04", "R05", "R06"]
    assert kept.respondent_ids.tolist() == ["R01", "R02", "R03", "R07", "R08"]
    assert report.n_before == 8 and report.n_after == kept.n_respondents == 5
    assert set(kept.long["respondent"]) == set(kept.respondent_ids)


def test_report_table_for_the_book(mini_survey):
    _, report = apply_exclusions(mini_survey, FEW_ITEMS)
    table = report.table
    assert list(table.columns) == ["rule", "criterion", "applicable", "flagged", "removed",
                                   "remaining"]
    assert table["rule"].tolist() == ["attention_check", "straightlining", "speeding",
                                      "any rule"]
    assert table["remaining"].tolist() == [7, 6, 5, 5]
    median = float(np.median(mini_survey.wide["duration_s"].dropna().to_numpy(float)))
    assert f"median ({median:g} s)" in table.loc[2, "criterion"]
    assert "speeding" in str(report)


def overlapping_survey(mini_survey):
    """R05 fails the attention check and also straight-lines."""
    frame = mini_survey.wide.astype(object)
    for item in mini_survey.items:
        frame.loc[4, item] = 3
    return survey_from_frame(frame, mini_survey.codebook)


def test_sequential_and_overlapping_counts_differ_for_overlaps(mini_survey):
    _, report = apply_exclusions(overlapping_survey(mini_survey), FEW_ITEMS)
    rows = report.table.set_index("rule")
    assert rows.loc["straightlining", "flagged"] == 2  # R04 and R05
    assert rows.loc["straightlining", "removed"] == 1  # R05 already removed by the check
    assert rows.loc["any rule", "removed"] == 3
    assert rows["removed"].iloc[:3].sum() == rows.loc["any rule", "removed"]


def test_rules_without_their_column_are_not_applicable(mini_codebook_dict, mini_survey):
    extension = mini_codebook_dict["resources"][0]["trustmodels"]
    del extension["attention_check"], extension["duration"]
    book = Codebook.from_dict(mini_codebook_dict)
    survey = survey_from_frame(mini_survey.wide, book)
    kept, report = apply_exclusions(survey, FEW_ITEMS)
    rows = report.table.set_index("rule")
    assert rows["applicable"].tolist() == [False, True, False, True]
    assert rows.loc["attention_check", "criterion"].startswith("not applicable")
    assert pd.isna(rows.loc["speeding", "flagged"]) and pd.isna(rows.loc["speeding", "removed"])
    assert report.flags["speeding"].isna().all()
    assert report.excluded == ["R04"]


def test_straightlining_needs_enough_answered_items(mini_survey):
    _, report = apply_exclusions(mini_survey, ExclusionRules(min_items_straightlining=6))
    assert not report.table.loc[1, "applicable"]  # only 5 items in the codebook
    _, report = apply_exclusions(mini_survey, DEFAULT_RULES)
    assert not report.table.loc[1, "applicable"]
    frame = mini_survey.wide.astype(object)
    frame.loc[3, "comp1"] = None  # R04 now answers 4 identical items
    survey = survey_from_frame(frame, mini_survey.codebook)
    _, report = apply_exclusions(survey, ExclusionRules(min_items_straightlining=5))
    assert flagged(report, "straightlining") == []
    _, report = apply_exclusions(survey, FEW_ITEMS)
    assert flagged(report, "straightlining") == ["R04"]


def test_missing_attention_answer_fails_and_missing_duration_does_not(mini_survey):
    frame = mini_survey.wide.astype(object)
    frame.loc[0, "attention_check"] = None
    frame.loc[1, "duration_s"] = None
    _, report = apply_exclusions(survey_from_frame(frame, mini_survey.codebook), FEW_ITEMS)
    assert flagged(report, "attention_check") == ["R01", "R05"]
    assert flagged(report, "speeding") == ["R06"]


def test_fixed_speeding_threshold(mini_survey):
    _, report = apply_exclusions(mini_survey, ExclusionRules(min_duration_s=395))
    assert flagged(report, "speeding") == ["R02", "R04", "R06"]
    assert "below 395 s" in report.table.loc[2, "criterion"]


def test_rules_can_be_switched_off(mini_survey):
    rules = ExclusionRules(attention_check=False, straightlining=False, speeding=False)
    kept, report = apply_exclusions(mini_survey, rules)
    assert kept.n_respondents == 8 and report.excluded == []
    assert (report.table["criterion"].iloc[:3] == "switched off").all()


def test_input_survey_is_unchanged(mini_survey):
    before = mini_survey.wide.copy()
    apply_exclusions(mini_survey, FEW_ITEMS)
    pd.testing.assert_frame_equal(mini_survey.wide, before)


@pytest.fixture(scope="module")
def simulated():
    truth = json.loads((PROJECT_DATA / "raw" / "trust_repair_simulated.truth.json").read_text())
    survey = load_simulated_survey()
    return survey, truth, apply_exclusions(survey)


def test_simulated_straightliners_are_found(simulated):
    _, truth, (_, report) = simulated
    assert set(flagged(report, "straightlining")) == set(truth["careless"]["straightliner"])


def test_simulated_speeders_and_attention_failures_are_found(simulated):
    _, truth, (_, report) = simulated
    assert set(truth["careless"]["speeder"]) <= set(flagged(report, "speeding"))
    assert set(truth["attentive_failed_attention_check"]) <= set(
        flagged(report, "attention_check"))
    careless = {rid for ids in truth["careless"].values() for rid in ids}
    extra = set(flagged(report, "speeding")) - careless
    assert not extra  # nobody attentive is flagged as a speeder


def test_simulated_report_adds_up(simulated):
    survey, _, (kept, report) = simulated
    rows = report.table.set_index("rule")
    assert rows.loc["any rule", "remaining"] == kept.n_respondents == report.n_after
    assert report.n_before - report.n_after == rows["removed"].iloc[:3].sum()
    assert (rows["flagged"].iloc[:3] >= rows["removed"].iloc[:3]).all()
    assert len(report.excluded) == survey.n_respondents - kept.n_respondents


def test_exclusions_by_condition_count_each_rule(mini_survey):
    _, report = apply_exclusions(mini_survey, FEW_ITEMS)
    table = exclusions_by(mini_survey, report, "seller_response").set_index("seller_response")
    # R04 (apology) straight-lines, R05 (none) fails the attention check, R06 (denial) speeds
    assert table.loc["apology", ["straightlining", "excluded"]].tolist() == [1, 1]
    assert table.loc["none", ["attention_check", "excluded"]].tolist() == [1, 1]
    assert table.loc["denial", ["speeding", "excluded"]].tolist() == [1, 1]
    assert table.loc["all", "n"] == report.n_before == table.drop(index="all")["n"].sum()
    assert table.loc["all", "excluded"] == report.n_before - report.n_after
    assert table.loc["none", "excluded_pct"] == pytest.approx(100 / table.loc["none", "n"])


def test_exclusions_by_flags_attrition_that_depends_on_the_condition(mini_survey):
    """Straight-liners only in one condition: the chi-squared test sees the difference."""
    frame = pd.concat([mini_survey.wide.astype(object)] * 6, ignore_index=True)
    frame["respondent_id"] = [f"S{i:03d}" for i in range(len(frame))]
    apology = (frame["seller_response"] == "apology").to_numpy()
    for item in mini_survey.items:
        frame.loc[apology, item] = 4
    survey = survey_from_frame(frame, mini_survey.codebook)
    _, report = apply_exclusions(survey, ExclusionRules(min_items_straightlining=4,
                                                        attention_check=False, speeding=False))
    table = exclusions_by(survey, report, ["seller_response"])
    assert table.set_index("seller_response").loc["apology", "excluded_pct"] == 100.0
    assert table.attrs["chi2_p"] < 0.001
    balanced = exclusions_by(mini_survey, apply_exclusions(mini_survey, FEW_ITEMS)[1],
                             "seller_response")
    assert balanced.attrs["chi2_p"] > 0.5  # one excluded in each of three conditions


def test_exclusions_by_refuses_an_unknown_column_or_another_survey(mini_survey):
    _, report = apply_exclusions(mini_survey, FEW_ITEMS)
    with pytest.raises(ValueError, match="no column 'condition' in the survey"):
        exclusions_by(mini_survey, report, "condition")
    kept, _ = apply_exclusions(mini_survey, FEW_ITEMS)
    with pytest.raises(ValueError, match="the report is not of this survey"):
        exclusions_by(kept, report, "seller_response")


def _vignette_survey(tmp_path, rows):
    from tests.test_repeated_measures import _write
    from trustmodels.survey.table import load_survey

    return load_survey(tmp_path / "wine.csv", _write(tmp_path, rows=rows))


def test_respondents_not_rows_are_screened_when_they_rate_several_vignettes(tmp_path):
    """Straight-lining spans a respondent's vignettes; an excluded respondent loses every row."""
    rows = ["judge,bottle,temp,dose,rating", "J1,1,cold,1,0", "J1,2,warm,10,3",
            "J2,1,cold,100,2", "J2,2,warm,1000,2", "J3,1,cold,1,1", "J3,2,warm,1,4"]
    survey = _vignette_survey(tmp_path, rows)
    kept, report = apply_exclusions(survey, ExclusionRules(min_items_straightlining=2))
    assert report.n_before == 3 and report.excluded == ["J2"]
    assert kept.respondent_ids.tolist() == ["J1", "J1", "J3", "J3"]
    table = exclusions_by(survey, report, "temp").set_index("temp")
    assert table["n"].tolist() == [3, 3, 6]  # ratings per condition
    assert table["excluded"].tolist() == [1, 1, 2]
