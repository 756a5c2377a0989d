"""Simulation-based calibration: rank computation, the uniformity statistic and a small run."""

import numpy as np
import pandas as pd
import pytest

from trustmodels.simulation.sbc import ecdf_bands, rank_uniformity, sbc_rank, thin_draws


def _conjugate_ranks(fit_prior_sd, true_prior_sd=1.0, n_sims=200, n_draws=99, n_obs=1, seed=0):
    """Ranks from an exact normal-normal model whose fit may use a wrong prior scale.

    theta ~ Normal(0, true_prior_sd), y_i ~ Normal(theta, 1); the 'fit' draws from the exact
    posterior under a Normal(0, fit_prior_sd) prior. The ranks are uniform exactly when the
    two prior scales agree.
    """
    rng = np.random.default_rng(seed)
    ranks = []
    for _ in range(n_sims):
        theta = rng.normal(0.0, true_prior_sd)
        y = rng.normal(theta, 1.0, size=n_obs)
        precision = fit_prior_sd**-2 + n_obs
        draws = rng.normal(y.sum() / precision, precision**-0.5, size=n_draws)
        ranks.append(sbc_rank(theta, draws, rng))
    return np.array(ranks)


def test_rank_counts_draws_below_truth():
    draws = np.array([[0.1, 5.0], [0.3, 6.0], [0.2, 7.0]])
    assert sbc_rank([0.25, 4.0], draws).tolist() == [2, 0]


def test_rank_breaks_ties_at_random_within_range():
    draws = np.zeros((9, 1))
    ranks = np.array([sbc_rank([0.0], draws, rng=seed)[0] for seed in range(300)])
    assert ranks.min() >= 0 and ranks.max() <= 9
    assert len(np.unique(ranks)) == 10  # every rank 0..9 is reachable


def test_rank_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="do not match"):
        sbc_rank([0.0, 1.0], np.zeros((5, 3)))


def test_thin_draws_keeps_requested_number_evenly():
    kept = thin_draws(np.arange(4000), 200)
    assert kept.shape == (200,)
    assert set(np.diff(kept)) == {20}
    with pytest.raises(ValueError):
        thin_draws(np.arange(10), 11)


def test_bands_have_simultaneous_coverage_for_uniform_ranks():
    n, max_rank = 100, 49
    bands = ecdf_bands(n, max_rank, prob=0.9, n_points=None, seed=1)
    rng = np.random.default_rng(7)
    inside = 0
    for _ in range(400):
        ranks = np.sort(rng.integers(0, max_rank + 1, size=n))
        ecdf = np.searchsorted(ranks, bands["rank"], side="right") / n
        inside += np.all((ecdf >= bands["lower"]) & (ecdf <= bands["upper"]))
    # the simultaneous level is 0.9; discreteness makes the bands slightly conservative
    assert 0.84 <= inside / 400 <= 0.97


def test_uniformity_accepts_a_calibrated_fit():
    verdict = rank_uniformity(_conjugate_ranks(fit_prior_sd=1.0), max_rank=99)
    assert not verdict.flagged
    assert verdict.p_value > 0.05


@pytest.mark.parametrize(("true_sd", "fit_sd"), [(1.0, 0.3), (3.0, 1.0)])
def test_uniformity_flags_a_fit_with_the_wrong_prior_scale(true_sd, fit_sd):
    ranks = _conjugate_ranks(fit_prior_sd=fit_sd, true_prior_sd=true_sd)
    verdict = rank_uniformity(ranks, max_rank=99)
    assert verdict.flagged
    assert verdict.gamma < verdict.critical_gamma


def test_uniformity_false_alarm_rate_is_near_nominal():
    rng = np.random.default_rng(11)
    flagged = [rank_uniformity(rng.integers(0, 100, size=60), 99, n_replicates=500).flagged
               for _ in range(200)]
    assert np.mean(flagged) <= 0.1


def test_uniformity_rejects_out_of_range_ranks():
    with pytest.raises(ValueError, match="between 0 and max_rank"):
        rank_uniformity(pd.Series([0, 1, 120]), max_rank=99)


def test_result_round_trips_through_json():
    from trustmodels.simulation.sbc import SBCResult, SBCSettings

    # three of ten simulations (a recomputed sample): their numbers survive the round trip
    index = pd.Index([2, 5, 7], name="simulation")
    result = SBCResult(ranks=pd.DataFrame({"beta[a]": [0, 5, 9]}, index=index),
                       truth=pd.DataFrame({"beta[a]": [0.1, -0.2, 0.3]}, index=index),
                       fits=pd.DataFrame({"converged": [True, True, False], "gate": ["", "", "x"],
                                          "divergences": [0, 0, 2],
                                          "min_ess_bulk": [120.0, 130.0, np.nan],
                                          "seconds": [1.0, 1.0, 1.0]}, index=index),
                       settings=SBCSettings(n_simulations=10, rank_draws=9, draws=10, chains=1))
    again = SBCResult.from_json(result.to_json())
    assert again.settings == result.settings
    pd.testing.assert_frame_equal(again.ranks, result.ranks)
    pd.testing.assert_frame_equal(again.truth, result.truth)
    pd.testing.assert_frame_equal(again.fits, result.fits)
    assert again.max_rank == 9
    assert list(again.uniformity(converged_only=True).index) == ["beta[a]"]


def test_settings_need_enough_draws_to_rank():
    from trustmodels.simulation.sbc import SBCSettings

    with pytest.raises(ValueError, match="rank_draws"):
        SBCSettings(draws=10, chains=2, rank_draws=99)


@pytest.mark.slow
def test_small_sbc_run_of_the_main_model(tmp_path):
    from trustmodels.simulation.sbc import LOG_LIKELIHOOD, SBCSettings, main_model_sbc

    settings = SBCSettings(n_simulations=8, draws=150, tune=250, chains=2, rank_draws=49,
                           ess_min=50.0)
    # two worker processes, as in the book (the ranks do not depend on the number of workers)
    result = main_model_sbc(settings, n_per_cell=5, workers=2, cache_folder=tmp_path)
    # 11 effects, the disposition slope and the log-likelihood of the simulated answers
    assert result.ranks.shape == (8, 13)
    assert result.ranks.columns[0] == "beta[apology]"
    assert result.ranks.columns[-1] == LOG_LIKELIHOOD
    assert result.ranks.to_numpy().min() >= 0 and result.ranks.to_numpy().max() <= 49
    np.testing.assert_array_equal(result.truth.columns, result.ranks.columns[:-1])
    # not grossly non-uniform: a sign error or a wrong prior scale puts most ranks at 0 or 49
    # (and a posterior that ignores its data piles the log-likelihood's ranks at 49); pooled
    # over the 13 quantities the ranks must pass the uniformity check
    at_extremes = np.isin(result.ranks.to_numpy(), [0, 49]).mean()
    assert at_extremes < 0.25
    pooled = rank_uniformity(result.ranks.to_numpy().ravel(), max_rank=49)
    assert not pooled.flagged
    # every fit reports its smallest bulk ESS, whether or not it passed the SBC gate
    assert np.isfinite(result.fits["min_ess_bulk"].to_numpy()).all()
    assert (result.fits["min_ess_bulk"] > 0).all()
    # the second call reloads the cached result
    again = main_model_sbc(settings, n_per_cell=5, cache_folder=tmp_path)
    pd.testing.assert_frame_equal(again.ranks, result.ranks)
    assert len(list((tmp_path / "sbc").glob("*.json"))) == 1


def _normal_mean(long):
    import pymc as pm

    with pm.Model() as model:
        theta = pm.Normal("theta", 0.0, 1.0)
        pm.Normal("y", theta, 1.0, observed=long["response"].to_numpy(float))
    return model


def _ignores_its_data(long):
    """The same generative model, but its posterior is the prior: the likelihood is cancelled."""
    import pymc as pm

    with pm.Model() as model:
        theta = pm.Normal("theta", 0.0, 1.0)
        answers = long["response"].to_numpy(float)
        y = pm.Normal("y", theta, 1.0, observed=answers)
        pm.Potential("ignore_the_data", -pm.logp(y, answers).sum())
    return model


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_log_likelihood_quantity_catches_a_posterior_that_ignores_the_data():
    # ranks of the parameters alone cannot: the prior ranked among prior draws is uniform
    from trustmodels.simulation.sbc import LOG_LIKELIHOOD, SBCSettings, run_sbc

    long = pd.DataFrame({"construct": ["competence"] * 20, "response": np.zeros(20)})
    settings = SBCSettings(n_simulations=8, rank_draws=49, draws=250, tune=250, chains=2,
                           var_names=("theta",))
    ignoring = run_sbc(_ignores_its_data, long, settings, outcomes=("competence",)).uniformity()
    assert not ignoring.loc["theta", "flagged"]  # the parameter ranks see nothing wrong
    assert ignoring.loc[LOG_LIKELIHOOD, "flagged"]
    honest = run_sbc(_normal_mean, long, settings, outcomes=("competence",)).uniformity()
    assert not honest["flagged"].any(), honest


def test_detection_rate_is_the_false_alarm_rate_without_miscalibration_and_grows_with_it():
    from trustmodels.simulation.sbc import detection_rate

    assert abs(detection_rate(100, 99, replicates=2000) - 0.05) < 0.02
    rates = [detection_rate(100, 99, sd_ratio=r, replicates=500) for r in (0.9, 0.8, 0.6)]
    assert rates[0] < rates[1] < rates[2] and rates[2] > 0.95
    assert detection_rate(100, 99, shift=0.5, replicates=500) > detection_rate(
        100, 99, shift=0.1, replicates=500)
    # more simulations detect smaller errors
    assert detection_rate(400, 99, sd_ratio=0.9, replicates=300) > detection_rate(
        50, 99, sd_ratio=0.9, replicates=300)
    with pytest.raises(ValueError, match="positive"):
        detection_rate(100, 99, sd_ratio=0.0)


def test_sbc_figure_by_variable_draws_one_panel_per_variable_and_marks_the_flagged_curve():
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    from trustmodels.plots.sbc import plot_sbc_ecdf

    rng = np.random.default_rng(1)
    ranks = pd.DataFrame({"beta[a]": rng.integers(0, 100, 100),
                          "beta[b]": np.r_[np.zeros(50, int), np.full(50, 99)],  # U shape
                          "sigma": rng.integers(0, 100, 100)})
    fig = plot_sbc_ecdf(ranks, 99, by="variable")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["beta (2)", "sigma"]
    red = mcolors.to_rgba("#d1495b")
    beta_lines = [line for line in axes[0].get_lines() if len(line.get_xdata()) > 2]
    assert len(beta_lines) == 2
    assert sum(mcolors.to_rgba(line.get_color()) == red for line in beta_lines) == 1
    assert mcolors.to_rgba(axes[0].title.get_color()) == red
    assert mcolors.to_rgba(axes[1].title.get_color()) != red
    plt.close(fig)
    with pytest.raises(ValueError, match="by must be"):
        plot_sbc_ecdf(ranks, 99, by="item")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_sbc_runs_on_a_declared_design_through_the_front_door():
    # a user's own design: SBC needs only a function that builds the model from a long table
    import functools

    import trustmodels as tm
    from trustmodels.simulation.sbc import LOG_LIKELIHOOD

    design = tm.StudyDesign({"reaction": ["silence", "excuse", "denial"]}, outcomes=["trust"])
    long = tm.simulate_design_survey(design, {"reaction[excuse]": 0.5}, n_respondents=30,
                                     items={"trust": ["t1", "t2", "t3"]}, seed=1)
    settings = tm.SBCSettings(n_simulations=3, rank_draws=19, draws=100, tune=150, chains=2,
                              var_names=("beta", "lambda"), first_elements=(("lambda", 2),),
                              ess_min=10.0, seed=3)
    result = tm.run_sbc(functools.partial(tm.build_design_model, design=design), long,
                        settings, outcomes=design.outcomes)
    assert list(result.ranks.columns) == ["beta[reaction[excuse]]", "beta[reaction[denial]]",
                                          "lambda[t1]", "lambda[t2]", LOG_LIKELIHOOD]
    assert result.ranks.to_numpy().min() >= 0 and result.ranks.to_numpy().max() <= 19
    assert len(result.fits) == 3
