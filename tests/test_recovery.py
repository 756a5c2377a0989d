"""Tests of the simulation's true contrasts on the model's scales
(trustmodels.simulation.recovery)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from trustmodels.simulation.params import TRUST_CONSTRUCTS, SimulationParameters
from trustmodels.simulation.recovery import (
    compare_with_truth,
    true_latent_contrasts,
    true_response_contrasts,
)

PARAMS = SimulationParameters()


def pick(table, violation, contrast, construct="all", fans=10_000):
    rows = table[(table.violation == violation) & (table.contrast == contrast)
                 & (table.construct == construct) & (table.fan_count == fans)]
    assert len(rows) == 1
    return float(rows.truth.iloc[0])


def test_latent_truth_follows_the_design_coding():
    table = true_latent_contrasts(PARAMS, fan_counts=(10_000, 1_000_000))
    e = PARAMS.effects
    scale = np.mean(list(PARAMS.construct_multipliers.values()))
    assert pick(table, "integrity", "apology - denial") == pytest.approx(
        scale * (e["apology"] + e["apology:integrity"] - e["denial"] - e["denial:integrity"]))
    # two decades above the reference the apology's fan-count slope enters twice
    assert pick(table, "competence", "apology - none", fans=1_000_000) == pytest.approx(
        scale * (e["apology"] + 2 * e["apology:log_fans_c"]))


def test_latent_truth_by_construct_scales_with_multipliers():
    table = true_latent_contrasts(PARAMS, by_construct=True, fan_counts=(10_000,))
    assert set(table.construct) == set(TRUST_CONSTRUCTS)
    for construct in TRUST_CONSTRUCTS:
        assert pick(table, "competence", "apology - none", construct) == pytest.approx(
            PARAMS.construct_multipliers[construct] * PARAMS.effects["apology"])


def test_response_truth_is_zero_without_effects_and_signed_with_them():
    null = dataclasses.replace(PARAMS, effects=dict.fromkeys(PARAMS.effects, 0.0))
    for scale in ("agree", "expected"):
        zero = true_response_contrasts(null, scale=scale, fan_counts=(10_000,))
        assert np.allclose(zero.truth, 0.0)
        real = true_response_contrasts(PARAMS, scale=scale, fan_counts=(10_000,))
        assert pick(real, "competence", "apology - none") > 0


def test_response_truth_matches_monte_carlo_of_the_generator():
    # the generator: theta_c = m_c x beta + u + sd_c * delta at D = 0, item by item
    rng = np.random.default_rng(0)
    n = 400_000
    noise = rng.standard_normal(n) + PARAMS.construct_sd * rng.standard_normal(n)
    item, construct = "integ2", "integrity"
    cuts = np.asarray(PARAMS.thresholds[item])
    eta = PARAMS.loadings[item] * (PARAMS.construct_multipliers[construct]
                                   * PARAMS.effects["apology"] + noise)
    answers = 1 + (rng.logistic(size=n)[:, None] + eta[:, None] > cuts[None, :]).sum(axis=1)
    table = true_response_contrasts(
        dataclasses.replace(PARAMS, thresholds={k: (tuple(cuts) if k.startswith("integ") else v)
                                                for k, v in PARAMS.thresholds.items()},
                            loadings={k: (PARAMS.loadings[item] if k.startswith("integ") else v)
                                      for k, v in PARAMS.loadings.items()}),
        by_construct=True, fan_counts=(10_000,), contrasts=(("apology", "none"),))
    row = table[(table.construct == construct) & (table.violation == "competence")]
    assert float(row.first_truth.iloc[0]) == pytest.approx(np.mean(answers >= 5), abs=0.005)


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="unknown scale"):
        true_response_contrasts(PARAMS, scale="median")


def test_compare_with_truth_flags_coverage_and_missing_truth():
    estimates = pd.DataFrame({"construct": "all", "violation": ["competence", "integrity"],
                              "fan_count": 10_000, "contrast": "apology - none",
                              "mean": [0.5, 0.5], "hdi_low": [0.3, 0.3], "hdi_high": [0.7, 0.7]})
    truth = true_latent_contrasts(PARAMS, fan_counts=(10_000,))
    joined = compare_with_truth(estimates, truth)
    expected = [0.3 <= t <= 0.7 for t in joined.truth]
    assert joined.covered.tolist() == expected
    assert joined.error.tolist() == pytest.approx((joined["mean"] - joined.truth).tolist())
    with pytest.raises(ValueError, match="no true value for construct 'all', violation "
                                         "'competence', fan count 100"):
        compare_with_truth(estimates.assign(fan_count=100), truth)
