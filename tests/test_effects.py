"""Contrasts, HDIs and ROPE decisions from a posterior with known draws."""


import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import special, stats

from trustmodels.analysis.effects import (
    contrasts_across_fans,
    hdi,
    latent_contrasts,
    response_contrasts,
    summarize_draws,
)
from trustmodels.datasets.simulated_design import EFFECT_NAMES
from trustmodels.models.specification import OrdinalSpec

ITEMS = ["comp1", "benev1"]


def fake_fit(beta_mean, sd=0.05, draws=400, seed=0, by_construct=False):
    rng = np.random.default_rng(seed)
    beta_mean = np.asarray(beta_mean, float)
    if by_construct:
        beta = beta_mean + sd * rng.normal(size=(2, draws, 2, len(EFFECT_NAMES)))
        beta_var = (("chain", "draw", "construct", "effect"), beta)
    else:
        beta = beta_mean + sd * rng.normal(size=(2, draws, len(EFFECT_NAMES)))
        beta_var = (("chain", "draw", "effect"), beta)
    cut = np.broadcast_to(special.logit(np.arange(1, 7) / 7), (2, draws, 2, 6)).copy()
    post = xr.Dataset(
        {"beta": beta_var, "lambda": (("chain", "draw", "item"), np.ones((2, draws, 2))),
         "cutpoints": (("chain", "draw", "item", "cutpoint"), cut)},
        coords={"effect": list(EFFECT_NAMES), "item": ITEMS, "cutpoint": np.arange(1, 7),
                "construct": ["competence", "benevolence"]},
    )
    tree = xr.DataTree.from_dict({"posterior": post})
    tree.attrs["trustmodels_spec"] = OrdinalSpec(
        link="logit", effects_by_construct=by_construct, items=tuple(ITEMS),
        constructs=("competence", "benevolence"), item_construct=("competence", "benevolence"),
        item_categories=(7, 7), effects=EFFECT_NAMES).to_json()
    return tree


def _beta(**values):
    return np.array([values.get(name.replace(":", "_"), 0.0) for name in EFFECT_NAMES])


def test_latent_contrasts_follow_the_design_coding():
    beta = _beta(apology=0.8, denial=0.3, apology_integrity=-0.4, apology_log_fans_c=-0.1)
    table = latent_contrasts(fake_fit(beta, sd=1e-9), fan_counts=(100, 10_000))
    row = table.set_index(["violation", "fan_count", "contrast"])["mean"]
    assert np.isclose(row[("competence", 10_000, "apology - none")], 0.8)
    assert np.isclose(row[("integrity", 10_000, "apology - none")], 0.4)
    assert np.isclose(row[("competence", 100, "apology - none")], 0.8 + 0.2)
    assert np.isclose(row[("competence", 10_000, "apology - denial")], 0.5)
    assert np.isclose(row[("integrity", 100, "denial - none")], 0.3)
    assert len(table) == 2 * 2 * 3 and set(table["construct"]) == {"all"}


def test_rope_decisions_follow_kruschkes_rule():
    table = latent_contrasts(fake_fit(_beta(apology=1.0, denial=0.0), sd=0.02))
    decisions = table.set_index(["violation", "fan_count", "contrast"])["decision"]
    assert decisions[("competence", 10_000, "apology - none")] == "different from zero"
    assert decisions[("competence", 10_000, "denial - none")] == "practically equivalent"
    wide = latent_contrasts(fake_fit(_beta(denial=0.1), sd=0.3))
    assert (wide["contrast"].eq("denial - none") & wide["decision"].eq("undecided")).any()


def test_summaries_hdi_and_direction():
    draws = np.random.default_rng(2).normal(0.3, 0.2, 40_000)
    row = summarize_draws(draws, hdi_prob=0.9, rope=(-0.1, 0.1))
    assert row["hdi_low"] == pytest.approx(0.3 - 1.645 * 0.2, abs=0.01)
    assert row["p_direction"] == pytest.approx(stats.norm.cdf(0.3 / 0.2), abs=0.01)
    skewed = np.random.default_rng(3).exponential(size=40_000)
    low, high = hdi(skewed, 0.95)
    assert low < 0.01 and high == pytest.approx(-np.log(0.05), abs=0.05)
    with pytest.raises(ValueError, match="prob must be in"):
        hdi(skewed, 1.5)


def test_response_scale_probability_of_agreeing_matches_direct_integration():
    beta = _beta(apology=1.0)
    table = response_contrasts(fake_fit(beta, sd=1e-9), scale="agree", fan_counts=(10_000,))
    row = table[(table["violation"] == "competence") & (table["contrast"] == "apology - none")]
    cut4 = special.logit(4 / 7)

    def p_agree(theta):
        u = np.linspace(-8, 8, 4001)
        return np.trapezoid(stats.norm.pdf(u) * special.expit(theta + u - cut4), u)

    assert row["first_mean"].item() == pytest.approx(p_agree(1.0), abs=1e-4)
    assert row["second_mean"].item() == pytest.approx(p_agree(0.0), abs=1e-4)
    assert row["mean"].item() == pytest.approx(p_agree(1.0) - p_agree(0.0), abs=1e-4)


def test_expected_rating_is_symmetric_at_zero_effect():
    table = response_contrasts(fake_fit(_beta(), sd=1e-9), scale="expected")
    assert np.allclose(table["first_mean"], 4.0) and np.allclose(table["mean"], 0.0, atol=1e-9)


def test_effects_by_construct_give_rows_per_construct():
    beta = np.stack([_beta(apology=0.5), _beta(apology=-0.5)])
    table = latent_contrasts(fake_fit(beta, sd=1e-9, by_construct=True), fan_counts=(10_000,))
    rows = table[(table["contrast"] == "apology - none") & (table["violation"] == "competence")]
    assert dict(zip(rows["construct"], rows["mean"].round(6), strict=True)) == {
        "competence": 0.5, "benevolence": -0.5}


def test_contrasts_across_fans_cover_the_grid():
    table = contrasts_across_fans(fake_fit(_beta(apology_log_fans_c=-0.2), sd=1e-9))
    one = table[(table["contrast"] == "apology - none") & (table["violation"] == "competence")]
    assert one["log10_fans"].min() == pytest.approx(2)
    assert one["log10_fans"].max() == pytest.approx(6)
    assert np.allclose(one["mean"], -0.2 * (one["log10_fans"] - 4))
    assert isinstance(table, pd.DataFrame)


def test_a_fit_without_specification_is_refused():
    tree = fake_fit(_beta())
    tree.attrs.pop("trustmodels_spec")
    with pytest.raises(ValueError, match="no trustmodels_spec"):
        latent_contrasts(tree)


@pytest.mark.parametrize(("k", "agreeing"), [(7, 3), (6, 3), (5, 2), (4, 2)])
def test_agreeing_means_the_answers_above_the_midpoint_for_odd_and_even_scales(k, agreeing):
    # equally likely answers: P(agree) is the share of categories above the midpoint (the
    # upper half of an even scale; before, a 6-point scale left out its answer 4)
    from trustmodels.analysis.effects import _population_summaries

    cuts = special.logit(np.arange(1, k) / k)
    agree, expected = _population_summaries(np.zeros(1), np.full((1, 1), 1e-9),
                                            cuts[None, None, :], [k], "logit")
    assert agree.item() == pytest.approx(agreeing / k, abs=1e-6)
    assert expected.item() == pytest.approx((k + 1) / 2, abs=1e-6)
