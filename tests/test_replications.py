"""Recovery across many simulated surveys: the performance measures and the stored run."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from trustmodels.design import Moderator, StudyDesign, simulate_design_survey
from trustmodels.simulation.params import SimulationParameters
from trustmodels.simulation.replications import (
    contrast_weights,
    recovery_performance,
    replicate_seed,
    run_replications,
)
from trustmodels.simulation.seed_recovery import (
    SeedRecoverySettings,
    StoredRecoveryError,
    latent_contrast_table,
    load_stored_recovery,
    run_seed_recovery,
    simulated_design,
    store_recovery,
    verify_stored_sample,
)

TINY = SeedRecoverySettings(n_surveys=3, n_per_cell=8, large_n_per_cell=30,
                            fan_counts=(10_000,))


def _normal_estimates(bias: float, sd: float, n: int = 4000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mean = 0.5 + bias + sd * rng.standard_normal(n)
    return pd.DataFrame({"contrast": "a", "truth": 0.5, "mean": mean, "sd": sd,
                         "hdi_low": mean - 1.959964 * sd, "hdi_high": mean + 1.959964 * sd})


def test_a_calibrated_estimator_covers_95_percent_and_its_se_matches_the_spread():
    row = recovery_performance(_normal_estimates(0.0, 0.1), by=["contrast"]).iloc[0]
    assert abs(row["coverage"] - 0.95) < 3 * row["coverage_se"]
    assert abs(row["bias"]) < 3 * row["bias_se"]
    assert abs(row["se_ratio"] - 1) < 0.05
    assert abs(row["rmse"] - 0.1) < 3 * row["rmse_se"]


def test_a_biased_or_overconfident_estimator_is_flagged():
    biased = recovery_performance(_normal_estimates(0.3, 0.1), by=["contrast"]).iloc[0]
    assert biased["coverage"] < 0.3 and biased["bias"] > 0.25
    overconfident = _normal_estimates(0.0, 0.1).assign(sd=0.05)
    overconfident["hdi_low"] = overconfident["mean"] - 1.96 * 0.05
    overconfident["hdi_high"] = overconfident["mean"] + 1.96 * 0.05
    row = recovery_performance(overconfident, by=["contrast"]).iloc[0]
    assert row["coverage"] < 0.75 and row["se_ratio"] < 0.6


def test_failed_fits_are_counted_not_scored():
    table = _normal_estimates(0.0, 0.1, n=10)
    table.loc[:2, ["mean", "sd", "hdi_low", "hdi_high"]] = np.nan
    row = recovery_performance(table, by=["contrast"]).iloc[0]
    assert (row["surveys"], row["failed"]) == (7, 3)


def test_contrast_weights_reproduce_the_design_rows_difference():
    design = StudyDesign({"reaction": ["silence", "excuse", "denial"], "harm": ["low", "high"]},
                         outcomes=["trust"], moderators={"fans": Moderator("log10", 4.0)})
    weights = contrast_weights(design, "reaction", "denial", "excuse", {"fans": 100})
    assert weights == {"reaction[excuse]": -1.0, "reaction[denial]": 1.0,
                       "reaction[excuse]:log10(fans)": 2.0, "reaction[denial]:log10(fans)": -2.0}


@pytest.mark.parametrize(("args", "message"), [
    (("mood", "a", "b", None), "unknown factor 'mood'"),
    (("reaction", "excuse", "apology", None), "'reaction' has no level 'apology'"),
    (("reaction", "excuse", "silence", {"size": 3}), "cannot hold ['size'] fixed"),
])
def test_a_contrast_the_design_lacks_is_one_line(args, message):
    design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        contrast_weights(design, *args)
    assert "\n" not in str(error.value)


def test_the_truth_of_the_simulated_contrasts_is_their_weights_times_the_effects():
    params = SimulationParameters()
    table = latent_contrast_table(params, simulated_design())
    names = {"apology": "seller_response[apology]", "denial": "seller_response[denial]",
             "integrity": "violation[integrity]", "log_fans_c": "log10(fan_count)"}
    effects = {":".join(names[part] for part in name.split(":")): value
               for name, value in params.effects.items()}
    scale = float(np.mean(list(params.construct_multipliers.values())))
    for row in table.itertuples():
        implied = scale * sum(w * effects.get(name, 0.0) for name, w in row.weights.items())
        assert row.truth == pytest.approx(implied, abs=1e-12), (row.violation, row.contrast)
    assert len(table) == 18


def test_a_replicate_does_not_depend_on_the_others():
    design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])

    def simulate(seed):
        return simulate_design_survey(design, {"reaction[excuse]": 0.5}, n_respondents=40,
                                      items={"trust": ["t1", "t2", "t3"]}, seed=seed)

    contrasts = pd.DataFrame({"contrast": ["excuse - silence"], "truth": [0.5],
                              "weights": [contrast_weights(design, "reaction", "excuse",
                                                           "silence")]})
    full = run_replications(simulate, design, contrasts, n_surveys=3, seed=7)
    alone = run_replications(simulate, design, contrasts, n_surveys=3, seed=7, replicates=[2])
    assert full["seed"].tolist() == [replicate_seed(7, r) for r in range(3)]
    pd.testing.assert_frame_equal(full[full["replicate"] == 2].reset_index(drop=True), alone)
    assert full["mean"].nunique() == 3  # different surveys, different estimates


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recovery")
    params = SimulationParameters()
    results, estimand = run_seed_recovery(params, TINY)
    store_recovery(folder, results, estimand, params, TINY, seconds=1.0)
    return folder, params


def test_a_stored_run_is_read_back_and_its_sample_recomputes_equal(stored):
    folder, params = stored
    run = load_stored_recovery(folder, params, TINY)
    assert run.results["replicate"].nunique() == 3 and len(run.estimand) == 6
    assert run.manifest["surveys"] == 3
    checked = verify_stored_sample(run, params, TINY, surveys=2)
    assert checked["difference"].max() <= 1e-3


def test_a_tampered_stored_estimate_fails_the_check(stored, tmp_path):
    folder, params = stored
    run = load_stored_recovery(folder, params, TINY)
    tampered = run.results.copy()
    tampered["mean"] = tampered["mean"] + 0.01 * tampered["sd"]
    bad = type(run)(results=tampered, estimand=run.estimand, manifest=run.manifest)
    with pytest.raises(StoredRecoveryError, match="differs from the stored one") as error:
        verify_stored_sample(bad, params, TINY, surveys=1)
    assert "\n" not in str(error.value)


def test_a_run_of_other_settings_or_parameters_is_refused_in_one_line(stored, tmp_path):
    folder, params = stored
    for settings, other in ((SeedRecoverySettings(), params), (TINY, params.main_model())):
        with pytest.raises(StoredRecoveryError, match="make recovery") as error:
            load_stored_recovery(folder, other, settings)
        assert "\n" not in str(error.value)
    (tmp_path / "manifest.json").write_text(json.dumps({"key": "x"}))
    with pytest.raises(StoredRecoveryError, match="lacks results.csv.gz, estimand.csv"):
        load_stored_recovery(tmp_path, params, TINY)


def test_the_fast_fitter_is_compared_with_nuts_under_the_main_models_names():
    import xarray as xr

    from trustmodels.planning.laplace import LaplaceFitter
    from trustmodels.simulation.seed_recovery import (
        _simulated_long,
        book_effect_name,
        fast_fitter_against_nuts,
    )

    params = SimulationParameters()
    long = _simulated_long(params, 10, seed=3)
    fit = LaplaceFitter(long, simulated_design()).fit(long)
    rng = np.random.default_rng(0)
    draws = rng.multivariate_normal(fit.mean, fit.cov, size=4000)  # a stand-in for NUTS draws

    def posterior(names):
        beta = xr.DataArray(draws.reshape(4, 1000, -1), dims=("chain", "draw", "effect"),
                            coords={"effect": names})
        return xr.DataTree.from_dict({"posterior": xr.Dataset({"beta": beta})})

    names = [book_effect_name(name) for name in fit.effects]
    table = fast_fitter_against_nuts(posterior(names), long, params, fan_counts=(10_000,))
    assert table.attrs["converged"] and len(table) == 6
    assert table["mean_difference"].abs().max() < 0.1
    assert table["sd_ratio"].between(0.95, 1.05).all()
    swapped = [names[1], names[0], *names[2:]]  # apology and denial confused: must show
    wrong = fast_fitter_against_nuts(posterior(swapped), long, params, fan_counts=(10_000,))
    assert wrong["mean_difference"].abs().max() > 1
    # a fit of the declared design names its effects as the design does: the same comparison
    declared = fast_fitter_against_nuts(posterior(list(fit.effects)), long, params,
                                        fan_counts=(10_000,))
    pd.testing.assert_frame_equal(declared, table)
    confused = [fit.effects[1], fit.effects[0], *fit.effects[2:]]
    wrong = fast_fitter_against_nuts(posterior(confused), long, params, fan_counts=(10_000,))
    assert wrong["mean_difference"].abs().max() > 1


def test_the_summary_measures_the_mismatch_against_the_large_survey(stored):
    from trustmodels.simulation.seed_recovery import recovery_summary

    folder, params = stored
    run = load_stored_recovery(folder, params, TINY)
    table, numbers = recovery_summary(run)
    assert numbers["n_contrasts"] == len(table) == 6
    np.testing.assert_allclose(table["mismatch"], table["estimand"] - table["truth"])
    # an estimand 10% below the truth everywhere is a mismatch of 10% (the model's unit wider)
    shrunk = run.estimand.assign(estimand=0.9 * run.estimand["truth"])
    _, moved = recovery_summary(type(run)(results=run.results, estimand=shrunk,
                                          manifest=run.manifest))
    assert moved["shrink"] == pytest.approx(0.1)
    assert moved["mismatch_max"] == pytest.approx(0.1 * run.estimand["truth"].abs().max())


def _two_level_design_and_contrasts():
    design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    contrasts = pd.DataFrame({"contrast": ["excuse - silence"], "truth": [0.5],
                              "weights": [contrast_weights(design, "reaction", "excuse",
                                                           "silence")]})
    return design, contrasts


def test_a_contrast_of_effects_the_design_lacks_is_one_line_before_any_survey():
    design, contrasts = _two_level_design_and_contrasts()
    bad = contrasts.assign(weights=[{"reaction[apology]": 1.0}])
    simulated = []
    with pytest.raises(ValueError, match=re.escape("contrast row 0: the design has no effects "
                                                   "['reaction[apology]']")) as error:
        run_replications(simulated.append, design, bad, n_surveys=2, seed=1)
    assert "\n" not in str(error.value) and simulated == []


def test_a_survey_of_another_layout_is_one_line_naming_the_survey():
    design, contrasts = _two_level_design_and_contrasts()

    def simulate(seed):  # the second survey has more respondents than the first
        size = 30 if seed == replicate_seed(1, 0) else 40
        return simulate_design_survey(design, {"reaction[excuse]": 0.5}, n_respondents=size,
                                      items={"trust": ["t1", "t2"]}, seed=seed)

    with pytest.raises(ValueError, match=r"^survey 1 \(seed \d+\): the data's layout differs"
                       ) as error:
        run_replications(simulate, design, contrasts, n_surveys=2, seed=1)
    assert "\n" not in str(error.value)


def test_the_performance_of_a_stored_design_analysis_is_read_by_hypothesis():
    # the design analysis stores truth, mean, sd and HDI per study: the same measures apply
    from trustmodels.config import project_data_dir
    from trustmodels.planning.stored import read_results

    results = read_results(project_data_dir() / "derived" / "plan" / "results.csv.gz")
    keys = ["scenario", "variant", "n_per_cell", "hypothesis"]
    table = recovery_performance(results, by=keys)
    assert len(table) == len(results.drop_duplicates(keys))
    assert table["coverage"].between(0, 1).all() and (table["surveys"] > 0).all()
    # the fast fitter is calibrated there too: coverage near 95% over the whole grid
    covered = ((results["hdi_low"] <= results["truth"])
               & (results["truth"] <= results["hdi_high"]))[results["mean"].notna()]
    assert abs(covered.mean() - 0.95) < 0.02
    with pytest.raises(ValueError, match=re.escape("lacks the columns ['study']")):
        recovery_performance(results, by=["study"])


def test_the_figure_draws_each_contrasts_coverage_bias_and_estimand_where_given():
    from trustmodels.plots.recovery import plot_recovery_performance

    table = pd.DataFrame({"contrast": ["a", "b"], "coverage": [0.95, 0.80],
                          "coverage_se": [0.01, 0.02], "bias": [0.0, -0.05],
                          "bias_se": [0.01, 0.02]})
    fig = plot_recovery_performance(table, estimand=pd.Series([0.02, -0.04]))
    left, right = fig.axes
    assert [t.get_text() for t in left.get_yticklabels()] == ["a", "b"]
    points = left.lines[1].get_xydata()  # after the nominal line: the coverage markers
    np.testing.assert_allclose(points[:, 0], [0.95, 0.80])
    bars = left.collections[0].get_segments()  # 95% Monte Carlo intervals
    np.testing.assert_allclose([segment[:, 0] for segment in bars],
                               [[0.95 - 0.0196, 0.95 + 0.0196], [0.80 - 0.0392, 0.80 + 0.0392]])
    np.testing.assert_allclose(right.collections[-1].get_offsets()[:, 0], [0.02, -0.04])
    without = plot_recovery_performance(table)
    assert len(without.axes[1].collections) == len(right.collections) - 1
    with pytest.raises(ValueError, match="empty"):
        plot_recovery_performance(table.iloc[:0])
