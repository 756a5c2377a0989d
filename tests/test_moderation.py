"""Nonlinear moderation: floodlight regions (exact, on synthetic draws) and the HSGP model."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from trustmodels.analysis.floodlight import (
    contrast_summary,
    floodlight,
    intervals_where_positive,
    moderation_contrasts,
    true_contrast,
)
from trustmodels.datasets.simulated_design import EFFECT_NAMES
from trustmodels.models.moderation import (
    BASELINE_EFFECTS,
    FAN_GRID,
    SmoothPriors,
    build_moderation_model,
    detrend_basis,
    hsgp_basis,
)
from trustmodels.plots.floodlight import plot_floodlight


def _linear_band_draws(intercept, slope, grid, spread=0.2, n_draws=401):
    """Draws whose 2.5% / 97.5% quantiles are exactly intercept + slope * x -/+ 1.96 * spread.

    Every draw is the same line shifted by a fixed offset z_d; the offsets' 2.5% and 97.5%
    quantiles are exactly -1.96 and 1.96, so the interval bounds are linear in x.
    """
    offsets = np.linspace(-1.96, 1.96, n_draws)
    offsets = np.concatenate([offsets, -offsets])  # symmetric, quantiles stay exact
    offsets = np.sort(offsets)
    quantiles = np.quantile(offsets, [0.025, 0.975])
    offsets = -1.96 + (offsets - quantiles[0]) * (2 * 1.96) / (quantiles[1] - quantiles[0])
    return intercept + slope * grid[None, :] + spread * offsets[:, None]


def test_intervals_where_positive_interpolates_roots_exactly():
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    g = np.array([1.0, -1.0, -1.0, 3.0, 3.0])
    assert intervals_where_positive(x, g) == [(0.0, 0.5), (2.25, 4.0)]


def test_intervals_reject_bad_grid():
    with pytest.raises(ValueError, match="increasing"):
        intervals_where_positive([0, 2, 1], [1, 1, 1])


def test_floodlight_regions_of_a_declining_contrast_are_exact():
    grid = np.linspace(2, 6, 9)  # step 0.5: region ends fall between grid points
    draws = _linear_band_draws(intercept=1.2, slope=-0.3, grid=grid, spread=0.1)
    regions = floodlight(draws, grid, prob=0.95, rope=0.5).set_index("kind")
    # lower bound 1.2 - 0.3 x - 0.196 > 0  <=>  x < 3.3467
    assert regions.loc["credibly positive", "start"] == pytest.approx(2.0)
    assert regions.loc["credibly positive", "end"] == pytest.approx((1.2 - 0.196) / 0.3)
    # upper bound 1.2 - 0.3 x + 0.196 < 0  <=>  x > 4.6533
    assert regions.loc["credibly negative", "start"] == pytest.approx((1.2 + 0.196) / 0.3)
    assert regions.loc["credibly negative", "end"] == pytest.approx(6.0)
    # inside [-0.5, 0.5]: upper < 0.5 <=> x > 2.32; lower > -0.5 <=> x < 5.013
    assert regions.loc["practically equivalent", "start"] == pytest.approx((0.7 + 0.196) / 0.3)
    assert regions.loc["practically equivalent", "end"] == pytest.approx((1.7 - 0.196) / 0.3)
    assert regions.loc["credibly positive", "end_fans"] == pytest.approx(
        10 ** ((1.2 - 0.196) / 0.3))


def test_floodlight_of_a_null_contrast_has_only_equivalence():
    grid = np.linspace(2, 6, 5)
    draws = _linear_band_draws(intercept=0.0, slope=0.0, grid=grid, spread=0.02)
    regions = floodlight(draws, grid, rope=0.1)
    assert regions["kind"].tolist() == ["practically equivalent"]
    assert (regions["start"].item(), regions["end"].item()) == (2.0, 6.0)


def test_floodlight_of_a_vague_contrast_is_empty():
    grid = np.linspace(2, 6, 5)
    draws = _linear_band_draws(intercept=0.0, slope=0.0, grid=grid, spread=1.0)
    assert floodlight(draws, grid, rope=0.1).empty


def test_contrast_summary_checks_shape():
    with pytest.raises(ValueError, match="shape"):
        contrast_summary(np.zeros((10, 4)), np.linspace(2, 6, 5))


def test_floodlight_figure_marks_regions_and_truth():
    grid = np.linspace(2, 6, 21)
    draws = _linear_band_draws(1.2, -0.3, grid, spread=0.1)
    fig = plot_floodlight({"competence": draws, "integrity": draws - 0.3}, grid,
                          truth={"competence": 1.2 - 0.3 * grid}, rope=0.5)
    labels = {t.get_text() for t in fig.legends[0].get_texts()}
    assert {"credibly positive", "credibly negative", "simulation truth"} <= labels
    assert [ax.get_title() for ax in fig.axes] == ["competence", "integrity"]


# ---------------------------------------------------------------------------------------------
# the HSGP moderation model
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_long():
    from trustmodels.simulation.simulate import simulate_main_model
    from trustmodels.survey.codebook import Codebook
    from trustmodels.survey.table import survey_from_frame

    sim = simulate_main_model(n_per_cell=4, seed=3)
    return survey_from_frame(sim.wide, Codebook.from_dict(sim.codebook), "sim").long


def test_hsgp_basis_matches_pymc_hsgp():
    import pymc as pm

    x = np.linspace(-1.7, 2.0, 30)
    basis, omega = hsgp_basis(x, 8, 2.0)
    gp = pm.gp.HSGP(m=[8], c=2.0, cov_func=pm.gp.cov.ExpQuad(1, ls=0.9))
    phi, sqrt_psd = gp.prior_linearized(x[:, None])
    np.testing.assert_allclose(basis, phi.eval(), atol=1e-12)
    kernel = pm.gp.cov.ExpQuad(1, ls=0.9)
    np.testing.assert_allclose(np.sqrt(kernel.power_spectral_density(omega[:, None]).eval()),
                               sqrt_psd.eval(), atol=1e-12)


def test_detrend_basis_removes_the_line_fitted_on_the_respondents_only():
    rng = np.random.default_rng(2)
    x_fit = rng.uniform(-2, 2, 40)
    x_grid = np.linspace(-2, 2, 9)
    x = np.concatenate([x_fit, x_grid])
    basis, _ = hsgp_basis(x, 6, 2.0)
    flat = detrend_basis(basis, x, 40)
    design = np.column_stack([np.ones_like(x), x])
    np.testing.assert_allclose(design[:40].T @ flat[:40], 0.0, atol=1e-10)
    # the grid rows lose the same line: the change is linear in x there too
    removed = basis - flat
    coef = np.linalg.lstsq(design[:40], removed[:40], rcond=None)[0]
    np.testing.assert_allclose(removed[40:], design[40:] @ coef, atol=1e-10)
    # why: on the data range the first sine is nearly a constant (it would trade off with the
    # curve's level); after detrending it has mean zero there
    assert basis[:40, 0].mean() > 0.3 and abs(flat[:40, 0].mean()) < 1e-10


def test_hsgp_basis_rejects_bad_input():
    with pytest.raises(ValueError, match="finite"):
        hsgp_basis(np.array([0.0, np.nan]), 5, 2.0)


def test_moderation_model_has_the_documented_structure(small_long):
    model = build_moderation_model(small_long, smooth=SmoothPriors(n_basis=7))
    assert model.coords["response_effect"] == ("apology", "denial")
    assert model.coords["violation"] == ("competence", "integrity")
    assert model.coords["effect"] == BASELINE_EFFECTS
    assert len(model.coords["basis"]) == 7
    assert np.allclose(model.coords["fan_grid"], FAN_GRID)
    assert len(model.coords["respondent"]) == 24
    dims = model.named_vars_to_dims
    assert dims["gp_weights"] == ("response_effect", "violation", "basis")
    assert dims["effect_curve"] == ("response_effect", "violation", "fan_grid")
    assert dims["curve_level"] == ("response_effect", "violation")
    free = {rv.name for rv in model.free_RVs}
    assert {"beta_in_sample", "beta_disp_in_sample", "u_design", "u_residual", "lambda",
            "curve_level_in_sample", "curve_slope_in_sample", "gp_amplitude"} <= free
    assert "gp_lengthscale" not in free  # fixed (SmoothPriors.lengthscale)
    assert len(model.coords["design_term"]) == 1 + 3 + 4 + 4 + 1
    assert model.trustmodels_spec.derived == ("beta", "beta_disp", "curve_level", "curve_slope")
    # 11 trust items per respondent are the outcomes
    assert len(model.coords["obs"]) == 24 * 11
    point = model.initial_point()
    assert np.isfinite(model.compile_logp()(point))


def test_moderation_curve_is_linear_without_gp_amplitude(small_long):
    import pymc as pm

    model = build_moderation_model(small_long, smooth=SmoothPriors(n_basis=5))
    fixed = pm.do(model, {"gp_amplitude": 0.0, "curve_level": np.full((2, 2), 0.5),
                          "curve_slope": np.full((2, 2), -0.2)})
    curve = pm.draw(fixed["effect_curve"], random_seed=1)
    expected = 0.5 - 0.2 * (np.asarray(FAN_GRID) - 4.0)
    np.testing.assert_allclose(curve[0, 1], expected, atol=1e-10)


def test_true_contrast_matches_design():
    effects = dict.fromkeys(EFFECT_NAMES, 0.0) | {"apology": 0.8, "denial": 0.3,
                                                  "apology:log_fans_c": -0.2,
                                                  "apology:integrity": -0.1}
    grid = np.array([2.0, 4.0, 6.0])
    np.testing.assert_allclose(true_contrast(effects, "apology", "denial", "integrity", grid),
                               [1.2 - 0.1 - 0.3, 0.8 - 0.1 - 0.3, 0.4 - 0.1 - 0.3])


def test_moderation_rejects_zero_fans(small_long):
    bad = small_long.copy()
    bad["fan_count"] = bad["fan_count"].where(bad["respondent"] != bad["respondent"].iloc[0], 0)
    with pytest.raises(ValueError, match="fan_count"):
        build_moderation_model(bad)


@pytest.mark.slow
def test_smooth_apology_effect_recovers_a_declining_truth():
    from trustmodels.inference.sampling import fit
    from trustmodels.simulation.simulate import simulate_main_model
    from trustmodels.survey.codebook import Codebook
    from trustmodels.survey.table import survey_from_frame

    sim = simulate_main_model(n_per_cell=60, seed=11)
    long = survey_from_frame(sim.wide, Codebook.from_dict(sim.codebook), "sim").long
    idata = fit(build_moderation_model(long), cores=2, label="moderation recovery")
    contrasts = moderation_contrasts(idata)
    effects = sim.truth["parameters"]["effects"]
    assert effects["apology:log_fans_c"] < 0  # the simulated apology effect declines
    checks = []
    for violation in ("competence", "integrity"):
        draws = contrasts.sel(contrast="apology - none", violation=violation)
        for log10_fans in (2.5, 4.0, 5.5):
            values = draws.sel(log10_fans=log10_fans, method="nearest").to_numpy()
            low, high = np.quantile(values, [0.025, 0.975])
            truth = true_contrast(effects, "apology", "none", violation, [log10_fans])[0]
            checks.append(low <= truth <= high)
    assert sum(checks) >= 5  # 95% intervals: at most one miss in six is plausible
    # the estimated curve declines from 10^2.5 to 10^5.5 followers after a competence violation
    competence = contrasts.sel(contrast="apology - none", violation="competence")
    drop = (competence.sel(log10_fans=2.5, method="nearest")
            - competence.sel(log10_fans=5.5, method="nearest")).to_numpy()
    assert np.mean(drop > 0) > 0.8
