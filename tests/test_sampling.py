"""fit(): sampling with the gate, log-likelihood and log-prior groups, specification, seeds."""

import json
import os

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr

from trustmodels.analysis.checks import loo_summary, prior_sensitivity
from trustmodels.inference import sampling
from trustmodels.inference.diagnostics import FitDiagnosticsError
from trustmodels.inference.sampling import add_log_densities, fit
from trustmodels.models.fixed import build_fixed_model_from_arrays
from trustmodels.models.specification import model_spec


def _small_model(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"x": rng.normal(size=n)})
    y = 1 + (0.7 * x["x"].to_numpy()[:, None] + rng.logistic(size=(n, 1))
             > np.array([-1.0, 0.0, 1.0])).sum(axis=1)
    return build_fixed_model_from_arrays(y, x, 4)


@pytest.mark.slow
def test_fit_returns_gated_posterior_with_loo_and_prior_groups():
    idata = fit(_small_model(), draws=400, tune=400, chains=4, cores=2, log_prior=True,
                log_likelihood=True, random_seed=3)
    assert {"posterior", "sample_stats", "log_likelihood", "log_prior",
            "observed_data"} <= set(idata.children)
    assert idata["log_likelihood"]["y"].shape == (4, 400, 300)
    assert json.loads(idata.attrs["trustmodels_spec"])["model"] == "fixed"
    assert model_spec(idata) == _small_model().trustmodels_spec  # the typed object comes back
    assert loo_summary(idata)["n_data"] == 300
    assert "prior" in prior_sensitivity(idata).columns
    # by default neither log density is stored; add_log_densities adds them to the same draws
    model = _small_model()
    again = fit(model, draws=400, tune=400, chains=4, cores=2, random_seed=3)
    assert not {"log_likelihood", "log_prior"} & set(again.children)
    add_log_densities(again, model, log_prior=True)
    np.testing.assert_allclose(again["log_likelihood"]["y"].values,
                               idata["log_likelihood"]["y"].values)
    assert "log_prior" in again.children
    np.testing.assert_array_equal(idata["posterior"]["beta"].values,
                                  again["posterior"]["beta"].values)


@pytest.mark.slow
def test_a_too_short_fit_fails_the_gate_loudly_and_is_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTMODELS_FIT_CACHE", str(tmp_path))
    with pytest.raises(FitDiagnosticsError, match="ESS < 400"):
        fit(_small_model(), draws=60, tune=100, chains=1, cores=1, log_likelihood=False,
            label="short", cache=True)
    # nothing stored (only the key's lock file, which the fit cache keeps, may remain)
    assert [path.name for path in tmp_path.iterdir() if path.suffix != ".lock"] == []


def _fake_tree(draws: int, *, shifted: bool = False, divergent: bool = False):
    """Four chains of ``draws`` independent draws of ``mu`` (chain 1 shifted if asked)."""
    rng = np.random.default_rng(draws)
    mu = rng.normal(size=(4, draws))
    if shifted:
        mu[1] += 1.0
    diverging = np.zeros((4, draws), bool)
    diverging[0, 0] = divergent
    return xr.DataTree.from_dict({
        "posterior": xr.Dataset({"mu": (("chain", "draw"), mu)}),
        "sample_stats": xr.Dataset({"diverging": (("chain", "draw"), diverging),
                                    "energy": (("chain", "draw"), rng.normal(size=(4, draws)))}),
    })


def _record_draws(monkeypatch, make_tree):
    asked = []

    def fake_sample(model, *, draws, **kwargs):
        asked.append(draws)
        return make_tree(draws)

    monkeypatch.setattr(sampling, "_sample", fake_sample)
    return asked


def test_a_fit_failing_on_rhat_alone_is_sampled_again_with_twice_the_draws(monkeypatch):
    # stands in for a fit whose chains have not mixed after 100 draws but have after 200
    asked = _record_draws(monkeypatch, lambda draws: _fake_tree(draws, shifted=draws < 200))
    idata = fit(pm.Model(), draws=100, check_vars=["mu"], label="fake")
    assert asked == [100, 200]
    assert idata["posterior"].sizes["draw"] == 200
    assert idata.attrs["trustmodels_draws_requested"] == 100


def test_extensions_stop_and_the_last_failure_is_raised(monkeypatch):
    asked = _record_draws(monkeypatch, lambda draws: _fake_tree(draws, shifted=True))
    with pytest.raises(FitDiagnosticsError, match=r"fake \(extended to 400 draws per chain\) "
                                                  r"failed the convergence gate: R-hat"):
        fit(pm.Model(), draws=100, check_vars=["mu"], label="fake", extensions=2)
    assert asked == [100, 200, 400]
    asked.clear()
    with pytest.raises(FitDiagnosticsError, match="^fake failed"):
        fit(pm.Model(), draws=100, check_vars=["mu"], label="fake", extensions=0)
    assert asked == [100]


def test_divergences_are_never_mended_by_more_draws(monkeypatch):
    asked = _record_draws(monkeypatch, lambda draws: _fake_tree(draws, shifted=True,
                                                                divergent=True))
    with pytest.raises(FitDiagnosticsError, match="1 divergent transitions"):
        fit(pm.Model(), draws=100, check_vars=["mu"], label="fake", extensions=3)
    assert asked == [100]


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["numpyro", "pymc"])
def test_longer_runs_with_the_same_seed_repeat_the_first_draws(sampler):
    # what makes an extension extend the chains rather than replace them
    model = _small_model(n=50)
    # one process: PyMC would fork workers for cores > 1, which JAX (loaded here) warns may deadlock
    short, long = (sampling._sample(model, draws=draws, tune=100, chains=2, cores=1,
                                    random_seed=5, sampler=sampler, target_accept=0.9,
                                    progressbar=False, sampler_kwargs=None)
                   for draws in (50, 100))
    np.testing.assert_array_equal(short["posterior"]["beta"].values,
                                  long["posterior"]["beta"].values[:, :50])
    assert not np.array_equal(long["posterior"]["beta"].values[:, :50],
                              long["posterior"]["beta"].values[:, 50:])


@pytest.mark.parametrize("failure", ["read-only folder", "disk full"])
def test_a_fit_that_cannot_be_stored_is_returned_with_a_warning(monkeypatch, tmp_path, caplog,
                                                                failure):
    # a finished fit that passed the gate was lost when the cache could not be written
    import errno
    import logging

    from trustmodels.inference import cache

    _record_draws(monkeypatch, lambda draws: _fake_tree(draws))
    monkeypatch.setattr(sampling.fit_cache, "fit_key", lambda model, settings: "k" * 64)
    if failure == "read-only folder":
        folder = tmp_path / "fits"
        folder.mkdir()
        folder.chmod(0o500)
        if os.access(folder, os.W_OK):  # running as root: write access cannot be taken away
            monkeypatch.setattr(cache.tempfile, "mkdtemp", _raise(errno.EACCES))
    else:
        folder = tmp_path / "fits"
        monkeypatch.setattr(cache.xr.DataTree, "to_zarr", _raise(errno.ENOSPC), raising=False)
    monkeypatch.setenv("TRUSTMODELS_FIT_CACHE", str(folder))
    with caplog.at_level(logging.WARNING, logger="trustmodels.inference.sampling"):
        idata = fit(pm.Model(), draws=500, check_vars=["mu"], label="fake", cache=True)
    assert idata["posterior"].sizes["draw"] == 500  # the fit, not an error
    warnings = [r.getMessage() for r in caplog.records if "could not be stored" in r.getMessage()]
    assert len(warnings) == 1 and "\n" not in warnings[0]


def _raise(code):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    return fail


def test_a_leftover_of_a_killed_save_is_swept(tmp_path):
    from trustmodels.inference import cache

    old = tmp_path / "abc.zarr.tmp"
    old.mkdir()
    os.utime(old, (0, 0))
    fresh = tmp_path / "def.zarr.tmp"  # another process may be saving right now
    fresh.mkdir()
    cache.save_fit("k" * 64, _fake_tree(10), tmp_path)
    assert not old.exists() and fresh.exists()
    assert (tmp_path / f"{'k' * 64}.zarr").is_dir()


def test_a_damaged_cached_fit_is_sampled_again(monkeypatch, tmp_path):
    asked = _record_draws(monkeypatch, lambda draws: _fake_tree(draws))
    monkeypatch.setenv("TRUSTMODELS_FIT_CACHE", str(tmp_path))
    monkeypatch.setattr(sampling.fit_cache, "fit_key", lambda model, settings: "d" * 64)
    fit(pm.Model(), draws=500, check_vars=["mu"], label="fake", cache=True)
    fit(pm.Model(), draws=500, check_vars=["mu"], label="fake", cache=True)
    assert asked == [500]  # the second call loaded the stored fit
    chunk = next(p for p in (tmp_path / f"{'d' * 64}.zarr" / "posterior").rglob("*")
                 if p.is_file() and p.name != "zarr.json")
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0x01
    chunk.write_bytes(bytes(data))
    idata = fit(pm.Model(), draws=500, check_vars=["mu"], label="fake", cache=True)
    assert asked == [500, 500]  # damaged: sampled again, not loaded
    assert idata["posterior"].sizes["draw"] == 500
