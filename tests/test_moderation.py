"""Nonlinear moderation: floodlight regions (exact, on synthetic draws) and the HSGP model."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from trustmodels.models.moderation import (
    contrast_summary,
    floodlight,
    intervals_where_positive,
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
    labels = {t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()}
    assert {"credibly positive", "credibly negative", "simulation truth"} <= labels
    assert [ax.get_title() for ax in fig.axes] == ["competence", "integrity"]
