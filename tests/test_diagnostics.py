"""The convergence gate accepts good draws and fails loudly on bad ones."""

import numpy as np
import pytest
import xarray as xr

from trustmodels.inference.diagnostics import FitDiagnosticsError, GateThresholds, check_fit


def _tree(posterior: dict, diverging=None, energy=None):
    post = xr.Dataset({k: (("chain", "draw") + tuple(f"{k}_dim{i}" for i in range(v.ndim - 2)), v)
                       for k, v in posterior.items()})
    first = next(iter(posterior.values()))
    chains, draws = first.shape[:2]
    rng = np.random.default_rng(99)
    stats = xr.Dataset({
        "diverging": (("chain", "draw"), np.zeros((chains, draws), bool)
                      if diverging is None else diverging),
        "energy": (("chain", "draw"), rng.normal(size=(chains, draws))
                   if energy is None else energy),
    })
    return xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})


def test_independent_draws_pass():
    rng = np.random.default_rng(0)
    table = check_fit(_tree({"mu": rng.normal(size=(4, 1000)), "b": rng.normal(size=(4, 1000, 3))}))
    assert len(table) == 4 and (table["r_hat"] <= 1.01).all()


def test_two_chains_shifted_apart_fail_on_rhat():
    rng = np.random.default_rng(1)
    draws = rng.normal(size=(2, 1000))
    draws[1] += 1.0
    with pytest.raises(FitDiagnosticsError, match=r"R-hat > 1.01 for mu") as info:
        check_fit(_tree({"mu": draws}), label="shifted")
    assert "r_hat" in info.value.criteria and "divergences" not in info.value.criteria


def test_one_short_chain_fails_on_ess():
    rng = np.random.default_rng(2)
    with pytest.raises(FitDiagnosticsError, match="bulk ESS < 400") as info:
        check_fit(_tree({"mu": rng.normal(size=(1, 50))}))
    assert {"ess_bulk", "ess_tail"} <= info.value.criteria


def test_autocorrelated_draws_fail_on_ess():
    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.normal(size=(4, 1000)), axis=1) * 0.05
    with pytest.raises(FitDiagnosticsError, match="ESS"):
        check_fit(_tree({"mu": walk}))


def test_divergences_and_low_bfmi_are_reported_together():
    rng = np.random.default_rng(4)
    diverging = np.zeros((4, 1000), bool)
    diverging[0, :3] = True
    energy = np.cumsum(rng.normal(size=(4, 1000)), axis=1)  # slowly varying energy: low E-BFMI
    with pytest.raises(FitDiagnosticsError) as info:
        check_fit(_tree({"mu": rng.normal(size=(4, 1000))}, diverging=diverging, energy=energy))
    message = str(info.value)
    assert "3 divergent transitions" in message and "E-BFMI < 0.3" in message
    assert len(info.value.failures) == 2
    assert info.value.criteria == {"divergences", "bfmi"}


def test_thresholds_are_applied_as_given():
    rng = np.random.default_rng(5)
    tree = _tree({"mu": rng.normal(size=(4, 80))})
    with pytest.raises(FitDiagnosticsError, match="ESS"):
        check_fit(tree)
    check_fit(tree, thresholds=GateThresholds(ess_min=100))
