"""The simulated vignette survey: layout, codebook, truth, determinism, calibration, directions."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from trustmodels.config import project_data_dir
from trustmodels.datasets.simulated_design import (
    EFFECT_NAMES,
    RESPONSE_LEVELS,
    VIOLATION_LEVELS,
    design_matrix,
)
from trustmodels.simulation.params import (
    CALIBRATED_RESPONSE_SCALE,
    CALIBRATION_N_PER_CELL,
    CALIBRATION_SEED,
    CALIBRATION_TARGET,
    CONSTRUCT_ITEMS,
    SimulationParameters,
    default_effects,
)
from trustmodels.simulation.simulate import (
    CARELESS_KINDS,
    DEFAULT_SEED,
    _ordered_logit,
    apology_vs_controls_d,
    apology_vs_none_d,
    calibrate_response_scale,
    main,
    simulate_main_model,
    simulate_survey,
    trust_score,
    write_simulated_survey,
)
from trustmodels.simulation.survey_codebook import (
    AGE_GROUPS,
    COLUMNS,
    CSV_PATH,
    GENDERS,
    ITEM_WORDINGS,
    simulated_datapackage,
)

DATA = project_data_dir()
COMMITTED = {
    "csv": DATA / "raw" / "trust_repair_simulated.csv",
    "truth": DATA / "raw" / "trust_repair_simulated.truth.json",
    "datapackage": DATA / "datapackage.json",
    "sha256sums": DATA / "raw" / "SHA256SUMS",
}
ITEMS = [item for items in CONSTRUCT_ITEMS.values() for item in items]
TRUST_ITEMS = [*CONSTRUCT_ITEMS["competence"], *CONSTRUCT_ITEMS["benevolence"],
               *CONSTRUCT_ITEMS["integrity"]]


@pytest.fixture(scope="module")
def survey():
    return simulate_survey()


@pytest.fixture(scope="module")
def committed_csv():
    return pd.read_csv(COMMITTED["csv"], dtype={"respondent_id": str})


@pytest.fixture(scope="module")
def truth():
    return json.loads(COMMITTED["truth"].read_text())


@pytest.fixture(scope="module")
def large_clean():
    """Many attentive respondents without missing answers: effects are estimated precisely."""
    wide = simulate_survey(n_per_cell=6000, seed=11, careless_rate=0, missing_rate=0).wide
    return wide.assign(trust=trust_score(wide))


# ---- layout ----------------------------------------------------------------------------------

def test_columns_shape_and_ids(survey):
    wide = survey.wide
    assert tuple(wide.columns) == COLUMNS
    assert len(wide) == 900
    assert wide["respondent_id"].tolist() == [f"R{k:04d}" for k in range(1, 901)]


def test_cells_are_balanced_and_shuffled(survey):
    counts = survey.wide.groupby(["seller_response", "violation"]).size()
    assert len(counts) == 6 and set(counts) == {150}
    cells = (survey.wide["seller_response"] + "/" + survey.wide["violation"]).tolist()
    assert cells != sorted(cells)
    assert len(set(cells[:30])) >= 4  # the first respondents come from many cells


def test_value_ranges(survey):
    wide = survey.wide
    for item in [*ITEMS, "attention_check"]:
        observed = wide[item].dropna()
        assert observed.between(1, 7).all(), item
    for column in ("purchase_freq", "social_media_use"):
        assert set(wide[column].dropna()) <= {1, 2, 3, 4, 5}
    assert set(wide["seller_response"]) == set(RESPONSE_LEVELS)
    assert set(wide["violation"]) == set(VIOLATION_LEVELS)
    assert set(wide["age_group"]) <= set(AGE_GROUPS)
    assert set(wide["gender"]) <= set(GENDERS)
    assert (wide["duration_s"] > 0).all()
    design = ["respondent_id", "seller_response", "violation", "fan_count", "attention_check",
              "age_group", "gender", "duration_s"]
    assert not wide[design].isna().any().any()


def test_fan_count_is_log_uniform_between_1e2_and_1e6():
    fans = simulate_survey(n_per_cell=1000, seed=3).wide["fan_count"].to_numpy(dtype=float)
    assert fans.min() >= 100 and fans.max() <= 1_000_000
    assert np.all(fans == np.round(fans))
    decade_shares = np.histogram(np.log10(fans), bins=[2, 3, 4, 5, 6])[0] / fans.size
    assert np.all(np.abs(decade_shares - 0.25) < 0.03), decade_shares


def test_missing_answers_are_a_few_percent_and_rise_along_the_questionnaire():
    wide = simulate_survey(n_per_cell=2000, seed=4).wide
    rates = wide[ITEMS].isna().mean()
    assert 0.02 < rates.mean() < 0.04
    first, last = rates[list(CONSTRUCT_ITEMS["disposition"])], rates[
        list(CONSTRUCT_ITEMS["intention"])]
    assert last.mean() > 1.5 * first.mean()
    assert simulate_survey(n_per_cell=20, seed=4, missing_rate=0).wide.notna().all().all()


# ---- careless respondents --------------------------------------------------------------------

def test_careless_respondents_behave_as_recorded(survey):
    wide = survey.wide.set_index("respondent_id")
    careless = survey.truth["careless"]
    assert sorted(careless) == sorted(CARELESS_KINDS)
    assert all(len(ids) == 15 for ids in careless.values())  # 5% of 900, in equal parts
    straight = wide.loc[careless["straightliner"], [*ITEMS, "attention_check"]]
    assert (straight.nunique(axis=1) == 1).all()
    random_failed = wide.loc[careless["random"], "attention_check"] != 2
    assert random_failed.mean() > 0.6
    attentive_ids = survey.latent.loc[survey.latent["careless"] == "attentive", "respondent_id"]
    assert wide.loc[careless["speeder"], "duration_s"].max() < 90
    assert wide.loc[attentive_ids, "duration_s"].quantile(0.01) > 120
    attentive_failed = wide.loc[attentive_ids, "attention_check"] != 2
    assert sorted(attentive_failed[attentive_failed].index) == sorted(
        survey.truth["attentive_failed_attention_check"])
    assert attentive_failed.mean() < 0.03


def test_switching_the_mess_off_keeps_attentive_answers():
    messy = simulate_survey(n_per_cell=30, seed=8)
    clean = simulate_survey(n_per_cell=30, seed=8, careless_rate=0, missing_rate=0)
    attentive = (messy.latent["careless"] == "attentive").to_numpy()
    a = messy.wide.loc[attentive, ITEMS]
    b = clean.wide.loc[attentive, ITEMS]
    observed = a.notna().to_numpy()
    assert (a.to_numpy()[observed] == b.to_numpy()[observed]).all()
    assert not (messy.wide.loc[~attentive, ITEMS].to_numpy(dtype=float, na_value=np.nan)
                == clean.wide.loc[~attentive, ITEMS].to_numpy(dtype=float)).all()


# ---- determinism and committed files ---------------------------------------------------------

def test_same_seed_same_data_other_seed_other_data():
    first = simulate_survey(n_per_cell=20, seed=5).wide
    pd.testing.assert_frame_equal(first, simulate_survey(n_per_cell=20, seed=5).wide)
    assert not first.equals(simulate_survey(n_per_cell=20, seed=6).wide)


def test_regenerating_reproduces_the_committed_files_byte_for_byte(tmp_path):
    paths = write_simulated_survey(tmp_path)
    assert set(paths) == set(COMMITTED)
    for key, path in paths.items():
        assert path.read_bytes() == COMMITTED[key].read_bytes(), key


def test_command_line_writes_the_files(tmp_path, capsys):
    assert main(["--output-dir", str(tmp_path), "--seed", "7"]) == 0
    assert "trust_repair_simulated.csv" in capsys.readouterr().out
    truth = json.loads((tmp_path / "raw" / "trust_repair_simulated.truth.json").read_text())
    assert truth["seed"] == 7
    csv = (tmp_path / "raw" / "trust_repair_simulated.csv").read_bytes()
    assert csv != COMMITTED["csv"].read_bytes()


def test_sha256sums_match_the_committed_raw_files():
    import hashlib

    lines = COMMITTED["sha256sums"].read_text().splitlines()
    assert len(lines) == 2
    for line in lines:
        digest, name = line.split("  ")
        assert hashlib.sha256((DATA / "raw" / name).read_bytes()).hexdigest() == digest


def test_committed_csv_equals_the_default_simulation(survey, committed_csv):
    assert list(committed_csv.columns) == list(COLUMNS)
    expected = survey.wide.astype({c: "float64" for c in COLUMNS
                                   if str(survey.wide[c].dtype) == "Int64"})
    got = committed_csv.astype({c: "float64" for c in expected.columns
                                if expected[c].dtype == "float64"})
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert committed_csv[ITEMS].isna().to_numpy().any()  # empty cells are missing answers


# ---- codebook --------------------------------------------------------------------------------

def test_codebook_describes_the_csv(committed_csv):
    package = json.loads(COMMITTED["datapackage"].read_text())
    assert package == simulated_datapackage()
    assert "SIMULATED" in package["title"] and "SIMULATED" in package["description"]
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    (resource,) = package["resources"]
    assert "simulated" in resource["name"] and "simulated" in resource["path"]
    assert resource["path"] == CSV_PATH and (DATA / resource["path"]).is_file()
    schema = resource["schema"]
    fields = {f["name"]: f for f in schema["fields"]}
    assert list(fields) == list(committed_csv.columns)
    assert schema["missingValues"] == [""] and schema["primaryKey"] == ["respondent_id"]
    for item in ITEMS:
        spec = fields[item]
        assert spec["type"] == "integer" and spec["categoriesOrdered"] is True
        assert [c["value"] for c in spec["categories"]] == list(range(1, 8))
        assert spec["categories"][0]["label"] == "Strongly disagree"
        assert spec["categories"][-1]["label"] == "Strongly agree"
        assert spec["title"] == ITEM_WORDINGS[item] and "adapted" in spec["description"]
    for column in ("seller_response", "violation", "age_group", "gender"):
        assert set(committed_csv[column]) <= set(fields[column]["categories"])
    extension = resource["trustmodels"]
    assert extension["simulated"] is True
    assert extension["constructs"] == {c: list(items) for c, items in CONSTRUCT_ITEMS.items()}
    assert extension["attention_check"] == {"field": "attention_check", "correct": 2}
    assert extension["covariates"] == ["purchase_freq", "social_media_use", "age_group",
                                       "gender"]
    used = [extension["id"], *extension["design"], extension["fan_count"],
            extension["duration"], *extension["covariates"]]
    assert set(used) <= set(fields)


def test_the_project_loader_reads_the_committed_files():
    from trustmodels.survey.table import load_survey

    loaded = load_survey(COMMITTED["csv"], COMMITTED["datapackage"])
    assert loaded.wide.shape == (900, len(COLUMNS))
    observed = int(loaded.wide[ITEMS].notna().sum().sum())
    assert len(loaded.long) == observed


# ---- truth -----------------------------------------------------------------------------------

def test_truth_file_agrees_with_the_parameters(truth, committed_csv):
    assert truth["simulated"] is True and truth["seed"] == DEFAULT_SEED
    assert SimulationParameters.from_dict(truth["parameters"]) == SimulationParameters()
    assert list(truth["parameters"]["effects"]) == list(EFFECT_NAMES)
    assert truth["parameters"]["effects"] == default_effects(CALIBRATED_RESPONSE_SCALE)
    calibration = truth["calibration"]
    assert calibration["target"] == CALIBRATION_TARGET
    assert calibration["response_scale"] == CALIBRATED_RESPONSE_SCALE
    ids = set(committed_csv["respondent_id"])
    careless = [i for kind in CARELESS_KINDS for i in truth["careless"][kind]]
    assert len(careless) == len(set(careless)) == 45 and set(careless) <= ids
    missing = committed_csv[list(truth["missing_answers"])].isna().sum().to_dict()
    assert truth["missing_answers"] == missing


def test_main_model_switch_gives_one_trust_driving_every_item():
    params = SimulationParameters()
    survey = simulate_main_model(params, n_per_cell=20, seed=2)
    latent = survey.latent
    for construct in ("competence", "benevolence", "integrity", "intention"):
        np.testing.assert_allclose(latent[f"theta_{construct}"], latent["theta"], rtol=0,
                                   atol=1e-12)
    x = design_matrix(survey.wide["seller_response"], survey.wide["violation"],
                      survey.wide["fan_count"])
    expected = (x.to_numpy() @ np.array(list(params.effects.values()))
                + params.disposition_effect * latent["disposition"] + latent["u"])
    np.testing.assert_allclose(latent["theta"], expected)
    assert survey.wide.notna().all().all()
    assert (survey.latent["careless"] == "attentive").all()


def test_ordered_logit_draws_follow_the_cumulative_logit():
    cuts = (-2.0, -1.0, 0.0, 0.5, 1.5, 3.0)
    eta = np.full(200_000, 0.7)
    uniform = np.random.default_rng(0).random(eta.size)
    answers = _ordered_logit(eta, cuts, uniform)
    empirical = [(answers <= k).mean() for k in range(1, 7)]
    np.testing.assert_allclose(empirical, expit(np.array(cuts) - 0.7), atol=0.004)


@pytest.mark.parametrize("change, message", [
    ({"effects": {"apology": 1.0}}, "effects must have the keys"),
    ({"loadings": {**SimulationParameters().loadings, "comp1": -1.0}}, "must be positive"),
    ({"thresholds": {**SimulationParameters().thresholds, "dtt2": (0, 1, 1, 2, 3, 4)}},
     "increasing"),
    ({"construct_sd": -0.1}, "non-negative"),
])
def test_invalid_parameters_are_rejected(change, message):
    with pytest.raises(ValueError, match=message):
        replace(SimulationParameters(), **change)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_per_cell": 0}, "n_per_cell"),
    ({"careless_rate": 1.5}, "careless_rate"),
    ({"missing_rate": -0.1}, "missing_rate"),
])
def test_invalid_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate_survey(**kwargs)


# ---- calibration and the published directions -------------------------------------------------

def test_recorded_scale_reproduces_the_target_in_the_calibration_simulation():
    wide = simulate_survey(n_per_cell=CALIBRATION_N_PER_CELL, seed=CALIBRATION_SEED,
                           careless_rate=0, missing_rate=0).wide
    assert apology_vs_controls_d(wide) == pytest.approx(CALIBRATION_TARGET["value"], abs=0.002)
    # the meta-analysis reports a larger effect against silence alone; so does the simulation
    assert apology_vs_none_d(wide) > CALIBRATION_TARGET["value"] + 0.05


def test_calibration_finds_the_recorded_scale_with_other_random_numbers():
    result = calibrate_response_scale(n_per_cell=3000, seed=101)
    assert result.achieved_d == pytest.approx(0.44, abs=0.002)
    assert result.response_scale == pytest.approx(CALIBRATED_RESPONSE_SCALE, abs=0.06)
    assert calibrate_response_scale(0.2, n_per_cell=3000, seed=101).response_scale < 0.35


def test_simulated_d_is_close_to_the_published_044_across_seeds():
    ds = []
    for seed in range(5):
        survey = simulate_survey(n_per_cell=1000, seed=seed)
        attentive = (survey.latent["careless"] == "attentive").to_numpy()
        ds.append(apology_vs_controls_d(survey.wide[attentive]))
    assert all(abs(d - 0.44) < 0.1 for d in ds), ds
    assert abs(np.mean(ds) - 0.44) < 0.04, ds


def _apology_gain(frame, versus="none"):
    means = frame.groupby("seller_response")["trust"].mean()
    return means["apology"] - means[versus]


def test_apology_helps_less_at_high_fan_counts(large_clean):
    low = large_clean[large_clean["fan_count"] < 1_000]
    high = large_clean[large_clean["fan_count"] > 100_000]
    assert _apology_gain(low) - _apology_gain(high) > 0.2


def test_apology_beats_denial_and_denial_beats_silence(large_clean):
    means = large_clean.groupby("seller_response")["trust"].mean()
    assert means["apology"] - means["denial"] > 0.2
    assert means["denial"] - means["none"] > 0.05
    assert means["apology"] - means["denial"] < means["apology"] - means["none"]


def test_apology_helps_more_after_competence_than_integrity_violations(large_clean):
    by_kind = {kind: large_clean[large_clean["violation"] == kind] for kind in VIOLATION_LEVELS}
    assert _apology_gain(by_kind["competence"]) - _apology_gain(by_kind["integrity"]) > 0.15
    # the denial does relatively better after an integrity violation
    assert (_apology_gain(by_kind["competence"], "denial")
            - _apology_gain(by_kind["integrity"], "denial")) > 0.3


def test_popular_sellers_are_trusted_more_and_frequent_buyers_less(large_clean):
    silent = large_clean[large_clean["seller_response"] == "none"]
    trust_by_fans = silent.groupby(silent["fan_count"] > 10_000)["trust"].mean()
    assert trust_by_fans[True] - trust_by_fans[False] > 0.1
    pair = large_clean[["trust", "purchase_freq"]].astype("float64")
    assert pair.corr(method="spearman").iloc[0, 1] < -0.05


def test_trust_dimensions_are_correlated_but_distinct():
    latent = simulate_survey(n_per_cell=2000, seed=9).latent
    correlations = latent[["theta_competence", "theta_benevolence", "theta_integrity"]].corr()
    off_diagonal = correlations.to_numpy()[np.triu_indices(3, 1)]
    assert np.all((off_diagonal > 0.6) & (off_diagonal < 0.95)), off_diagonal


def test_data_folder_keeps_derived_placeholder():
    assert (Path(DATA) / "derived").is_dir()


def test_simulate_never_overwrites_the_committed_data_without_force(tmp_path, capsys):
    # `trustmodels simulate --seed 7` once silently replaced data/raw and its manifest
    from trustmodels.simulation.simulate import main

    assert main(["--output-dir", str(tmp_path), "--quiet"]) == 0
    csv = tmp_path / "raw" / "trust_repair_simulated.csv"
    before = csv.read_bytes()
    assert main(["--output-dir", str(tmp_path), "--quiet", "--seed", "7"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--force" in error and str(csv) in error
    assert csv.read_bytes() == before
    assert main(["--output-dir", str(tmp_path), "--quiet", "--seed", "7", "--force"]) == 0
    assert csv.read_bytes() != before
