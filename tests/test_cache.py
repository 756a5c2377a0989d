"""The fit cache: keys change with data, priors, model, settings and version; hits skip sampling."""

import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr

import trustmodels.inference.cache as fit_cache
import trustmodels.inference.sampling as sampling
from trustmodels.inference.diagnostics import FitDiagnosticsError
from trustmodels.models.fixed import build_fixed_model_from_arrays
from trustmodels.models.priors import FixedPriors
from trustmodels.models.specification import FixedSpec

SETTINGS = {"draws": 500, "tune": 500, "chains": 4, "random_seed": 1, "sampler": "numpyro"}


def _model(y=(1, 2, 3, 3, 2), priors=None):
    x = pd.DataFrame({"x": np.linspace(-1, 1, len(y))})
    return build_fixed_model_from_arrays(list(y), x, 3, priors)


def test_identical_inputs_give_the_same_key():
    assert fit_cache.fit_key(_model(), SETTINGS) == fit_cache.fit_key(_model(), SETTINGS)


@pytest.mark.parametrize("change", ["data", "priors", "settings", "version", "structure"])
def test_any_change_gives_a_new_key(change):
    base = fit_cache.fit_key(_model(), SETTINGS, version="1.0")
    if change == "data":
        key = fit_cache.fit_key(_model(y=(1, 2, 3, 3, 1)), SETTINGS, version="1.0")
    elif change == "priors":
        key = fit_cache.fit_key(_model(priors=FixedPriors(effect_sd=1.0)), SETTINGS,
                                version="1.0")
    elif change == "settings":
        key = fit_cache.fit_key(_model(), {**SETTINGS, "draws": 501}, version="1.0")
    elif change == "version":
        key = fit_cache.fit_key(_model(), SETTINGS, version="1.0.1")
    else:
        key = fit_cache.fit_key(_model(priors=FixedPriors(cutpoint_prior="normal")), SETTINGS,
                                version="1.0")
    assert key != base


def _fake_fit(chains=4, draws=500, shift=0.0, seed=0):
    rng = np.random.default_rng(seed)
    beta = rng.normal(size=(chains, draws, 1))
    beta[-1] += shift
    post = xr.Dataset({
        "beta": (("chain", "draw", "effect"), beta),
        "cutpoints": (("chain", "draw", "item", "cutpoint"),
                      np.sort(rng.normal(size=(chains, draws, 1, 2)), axis=-1)),
    })
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((chains, draws), bool)),
                        "energy": (("chain", "draw"), rng.normal(size=(chains, draws)))})
    return xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})


@pytest.fixture
def counting_sampler(monkeypatch, tmp_path):
    monkeypatch.setenv(fit_cache.CACHE_ENV, str(tmp_path))
    calls = []

    def fake_sample(model, **kwargs):
        calls.append(kwargs)
        return _fake_fit(seed=len(calls), shift=kwargs.get("fake_shift", 0.0))

    monkeypatch.setattr(sampling, "_sample", fake_sample)
    return calls


def test_second_identical_fit_is_loaded_from_the_cache(counting_sampler, tmp_path):
    first = sampling.fit(_model(), draws=500, tune=500, cores=1, cache=True,
                         log_likelihood=False)
    second = sampling.fit(_model(), draws=500, tune=500, cores=1, cache=True,
                          log_likelihood=False)
    assert len(counting_sampler) == 1
    np.testing.assert_array_equal(first["posterior"]["beta"].values,
                                  second["posterior"]["beta"].values)
    assert len(list(tmp_path.glob("*.zarr"))) == 1


@pytest.mark.parametrize("kwargs", [{"random_seed": 7}, {"draws": 499}, {"target_accept": 0.95}])
def test_changed_sampler_settings_refit(counting_sampler, kwargs):
    sampling.fit(_model(), draws=500, tune=500, cores=1, cache=True, log_likelihood=False)
    sampling.fit(_model(), **{"draws": 500, "tune": 500, "cores": 1, "cache": True,
                              "log_likelihood": False, **kwargs})
    assert len(counting_sampler) == 2


def test_changed_data_and_version_refit(counting_sampler, monkeypatch):
    sampling.fit(_model(), draws=500, tune=500, cores=1, cache=True, log_likelihood=False)
    sampling.fit(_model(y=(3, 2, 1, 1, 2)), draws=500, tune=500, cores=1, cache=True,
                 log_likelihood=False)
    assert len(counting_sampler) == 2
    monkeypatch.setattr("trustmodels.__version__", "99.0")
    sampling.fit(_model(), draws=500, tune=500, cores=1, cache=True, log_likelihood=False)
    assert len(counting_sampler) == 3


def test_a_cached_fit_is_gated_again_when_loaded(counting_sampler):
    model = _model()
    settings = dict(draws=500, tune=500, chains=4, random_seed=20261122, sampler="numpyro",
                    target_accept=0.9, log_likelihood=False, log_prior=False, sampler_kwargs={})
    fit_cache.save_fit(fit_cache.fit_key(model, settings), _fake_fit(shift=3.0))
    with pytest.raises(FitDiagnosticsError, match="R-hat"):
        sampling.fit(model, draws=500, tune=500, cores=1, cache=True, log_likelihood=False)
    assert counting_sampler == []


def test_a_fit_being_sampled_elsewhere_is_awaited_and_loaded_not_sampled_twice(monkeypatch,
                                                                             tmp_path):
    # two notebooks of the book fit the same model side by side: the second must wait for the
    # first and load its fit (without the lock it would sample too: two calls)
    monkeypatch.setenv(fit_cache.CACHE_ENV, str(tmp_path))
    started, release, calls = threading.Event(), threading.Event(), []

    def slow_sample(model, **kwargs):
        calls.append(kwargs)
        started.set()
        release.wait(timeout=30)
        return _fake_fit(seed=len(calls))

    monkeypatch.setattr(sampling, "_sample", slow_sample)
    results = {}

    def run(name):
        results[name] = sampling.fit(_model(), draws=500, tune=500, cores=1, cache=True)

    first = threading.Thread(target=run, args=("first",))
    first.start()
    assert started.wait(timeout=30)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    time.sleep(0.5)  # time for the second to reach the lookup (and to sample, were it free to)
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert len(calls) == 1
    np.testing.assert_array_equal(results["first"]["posterior"]["beta"].values,
                                  results["second"]["posterior"]["beta"].values)


def test_fit_lock_excludes_a_second_holder_until_released(tmp_path):
    order = []

    def take():
        with fit_cache.fit_lock("key", tmp_path):
            order.append("b")

    with fit_cache.fit_lock("key", tmp_path):
        waiter = threading.Thread(target=take)
        waiter.start()
        time.sleep(0.3)
        order.append("a")
    waiter.join(timeout=10)
    assert order == ["a", "b"]


@pytest.mark.parametrize("failing", ["flock", "open"])
def test_without_a_lock_to_take_fits_go_on_unlocked(monkeypatch, tmp_path, failing):
    # a network file system without flock, or a read-only cache folder, must not stop a fit
    def refuse(*args, **kwargs):
        raise OSError(37, "No locks available")

    if failing == "flock":
        monkeypatch.setattr(fit_cache.fcntl, "flock", refuse)
    else:
        monkeypatch.setattr(fit_cache, "open", refuse, raising=False)
    with fit_cache.fit_lock("key", tmp_path) as lock:
        assert lock.name == "key.lock"


def test_cache_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(fit_cache.CACHE_ENV, str(tmp_path / "fits"))
    assert fit_cache.fit_cache_dir() == tmp_path / "fits"
    monkeypatch.delenv(fit_cache.CACHE_ENV)
    # by default a user-level folder that every clone and worktree shares, not the checkout
    shared = fit_cache.fit_cache_dir()
    assert shared.name == "fits" and shared.parent.name == "trustmodels"
    assert Path(fit_cache.__file__).resolve().parents[1] not in shared.parents


def test_a_library_upgrade_changes_every_fit_key(monkeypatch):
    # after make lock changes PyMC, PyTensor, JAX or numpyro no old posterior may be reused
    import pymc as pm

    with pm.Model() as model:
        pm.Normal("mu")
    before = fit_cache.fit_key(model, {"draws": 10})
    versions = fit_cache.library_versions()
    monkeypatch.setattr(fit_cache, "library_versions",
                        lambda: {**versions, "pytensor": versions["pytensor"] + ".post1"})
    assert fit_cache.fit_key(model, {"draws": 10}) != before


def test_bad_sampler_settings_are_value_errors():
    with pytest.raises(ValueError, match="unknown sampler 'stan'"):
        sampling.fit(_model(), sampler="stan")
    with pytest.raises(ValueError, match="chains must be a positive integer"):
        sampling.fit(_model(), chains=0)


def test_fingerprint_sees_pymc_data_changes():
    def build(values):
        with pm.Model() as model:
            x = pm.Data("x", np.asarray(values, float))
            pm.Normal("y", x, 1.0, observed=np.zeros(3))
        return model

    assert fit_cache.model_fingerprint(build([1, 2, 3])) != fit_cache.model_fingerprint(
        build([1, 2, 4]))


def _stored_fit(folder):
    rng = np.random.default_rng(1)
    tree = xr.DataTree.from_dict({
        "posterior": xr.Dataset({"mu": (("chain", "draw"), rng.normal(size=(2, 50))),
                                 "tau": (("chain", "draw"), rng.gamma(2.0, size=(2, 50)))},
                                coords={"chain": [0, 1], "draw": np.arange(50)}),
        "sample_stats": xr.Dataset({"diverging": (("chain", "draw"), np.zeros((2, 50), bool))}),
    })
    tree.attrs["trustmodels_spec"] = FixedSpec(effects=("a",), item_categories=(5,)).to_json()
    path = fit_cache.save_fit("k" * 64, tree, folder)
    return tree, path


def test_a_stored_fit_loads_with_its_checksums_verified(tmp_path):
    tree, _ = _stored_fit(tmp_path)
    loaded = fit_cache.load_fit("k" * 64, tmp_path)
    assert loaded.identical(tree)
    assert fit_cache.CHECKSUM_ATTR not in loaded.attrs and fit_cache.CHECKSUM_ATTR not in tree.attrs


def _damage(path, how):
    chunks = sorted(p for p in path.rglob("*") if p.is_file() and p.name != "zarr.json")
    if how == "truncate a chunk":
        chunks[0].write_bytes(chunks[0].read_bytes()[:3])
    elif how == "delete a chunk":
        chunks[0].unlink()
    elif how == "garble the metadata":
        (path / "posterior" / "zarr.json").write_text("{not json")
    elif how == "drop the checksums":
        meta = path / "zarr.json"
        meta.write_text(meta.read_text().replace(fit_cache.CHECKSUM_ATTR, "something_else"))


@pytest.mark.parametrize("how", ["truncate a chunk", "delete a chunk", "garble the metadata",
                                 "drop the checksums"])
def test_a_damaged_entry_is_a_cache_miss_and_is_set_aside(tmp_path, caplog, how):
    _, path = _stored_fit(tmp_path)
    _damage(path, how)
    with caplog.at_level("WARNING", logger="trustmodels.inference.cache"):
        assert fit_cache.load_fit("k" * 64, tmp_path) is None
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "is damaged" in warning and "\n" not in warning
    assert not path.exists() and path.with_name(path.name + ".damaged").is_dir()


def test_a_single_bit_flip_in_any_stored_array_is_caught(tmp_path):
    # before checksums, 7 of 8 single-bit flips loaded and passed the gate (draws of 6e173)
    _, path = _stored_fit(tmp_path)
    chunks = sorted(p for p in path.rglob("*") if p.is_file() and p.name != "zarr.json")
    assert len(chunks) >= 4  # mu, tau, diverging and the coordinates
    pristine = {chunk: chunk.read_bytes() for chunk in chunks}
    for chunk in chunks:
        for position in (len(pristine[chunk]) // 2, len(pristine[chunk]) - 1):
            data = bytearray(pristine[chunk])
            data[position] ^= 0x10
            chunk.write_bytes(bytes(data))
            assert fit_cache.load_fit("k" * 64, tmp_path) is None, (chunk, position)
            # restore the entry for the next case
            aside = path.with_name(path.name + ".damaged")
            aside.rename(path)
            chunk.write_bytes(pristine[chunk])
    assert fit_cache.load_fit("k" * 64, tmp_path) is not None
