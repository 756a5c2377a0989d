"""A cache of fitted posteriors, stored as Zarr and keyed by everything that determines them.

The key hashes (SHA-256) the model specification (the text of its log-density graph, the values
of every constant and data container in it, its coordinates and its ``trustmodels_spec``), the
sampler settings and the package version. Identical inputs reuse the stored fit, any change
(data, priors, model structure, settings, version) gives a new key and a new fit. Cached fits go
through the convergence gate again when loaded (:func:`trustmodels.inference.sampling.fit` does
this).

Fits are stored as Zarr folders (``<key>.zarr``): writing NetCDF-4 groups needs ``h5py``,
which is not part of the pinned environment, and Zarr holds the same ``DataTree``.

The folder is ``$TRUSTMODELS_FIT_CACHE`` if set, else ``fits`` in the user's cache folder
(``~/.cache/trustmodels/fits`` on Linux, from platformdirs through pooch), shared by every
clone and worktree on the machine: a fit sampled once is reused wherever its key matches. To
build cold on purpose, point the variable at an empty folder
(``TRUSTMODELS_FIT_CACHE=$(mktemp -d) make book``).

The key also holds the versions of the libraries that decide the draws
(:data:`SAMPLING_LIBRARIES`), so that after an upgrade (``make lock``) no posterior of the old
stack is reused.

Processes that share the folder (the book executes notebooks side by side) coordinate through
:func:`fit_lock`: while one samples a key, another asking for the same key waits and then loads
the stored fit instead of sampling it a second time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytensor
import xarray as xr
from pytensor.graph.basic import Constant
from pytensor.graph.traversal import ancestors
from pytensor.tensor.sharedvar import TensorSharedVariable

import trustmodels
from trustmodels.config import FIT_CACHE_ENV, fit_cache_dir

try:  # POSIX; elsewhere fits are not coordinated between processes (each samples its own)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["CACHE_ENV", "CHECKSUM_ATTR", "SAMPLING_LIBRARIES", "fit_key", "fit_lock",
           "library_versions", "load_fit", "model_fingerprint", "save_fit", "tree_checksums"]

#: Environment variable naming the cache folder (see :mod:`trustmodels.config`).
CACHE_ENV = FIT_CACHE_ENV


def _update_array(digest, value) -> None:
    array = np.asarray(value)
    digest.update(str(array.dtype).encode())
    digest.update(str(array.shape).encode())
    if array.dtype.kind == "O":
        digest.update(repr(array.tolist()).encode())
    else:
        digest.update(np.ascontiguousarray(array).tobytes())


def model_fingerprint(model) -> str:
    """Return a SHA-256 hex digest of a PyMC model's structure, constants and data.

    Parameters
    ----------
    model : pymc.Model
        The model.

    Returns
    -------
    str
        64 hex characters; equal for models built identically from equal inputs.

    Examples
    --------
    >>> import pymc as pm
    >>> def build(sd):
    ...     with pm.Model() as model:
    ...         pm.Normal("y", 0.0, sd, observed=[0.1, 0.2])
    ...     return model
    >>> model_fingerprint(build(1.0)) == model_fingerprint(build(1.0))
    True
    >>> model_fingerprint(build(1.0)) == model_fingerprint(build(2.0))
    False
    """
    digest = hashlib.sha256()
    logp = model.logp(sum=False)
    text = pytensor.printing.debugprint(logp, file="str", id_type="", print_type=True)
    digest.update(text.encode())
    for variable in ancestors(logp):
        if isinstance(variable, Constant):
            _update_array(digest, variable.data)
        elif isinstance(variable, TensorSharedVariable):
            digest.update(str(variable.name).encode())
            _update_array(digest, variable.get_value(borrow=True))
    for name in sorted(model.coords):
        digest.update(name.encode())
        _update_array(digest, np.asarray(model.coords[name], dtype=object))
    spec = getattr(model, "trustmodels_spec", None)
    form = spec.to_dict() if spec is not None else None
    digest.update(json.dumps(form, sort_keys=True, default=str).encode())
    return digest.hexdigest()


#: Libraries whose versions are part of every fit key: they decide the draws.
SAMPLING_LIBRARIES = ("pymc", "pytensor", "numpyro", "jax", "jaxlib", "numpy", "nutpie",
                      "blackjax")


def library_versions(names: tuple[str, ...] = SAMPLING_LIBRARIES) -> dict[str, str]:
    """Return the installed version of each library that decides a fit's draws.

    Parameters
    ----------
    names : tuple of str
        Distribution names.

    Returns
    -------
    dict
        Name to version (``"-"`` when not installed).

    Examples
    --------
    >>> library_versions(("pymc", "surely-not-installed"))["surely-not-installed"]
    '-'
    """
    from trustmodels.config import installed_versions

    return installed_versions(names)


def fit_key(model, settings: dict, version: str | None = None) -> str:
    """Return the cache key of fitting ``model`` with sampler ``settings``.

    Parameters
    ----------
    model : pymc.Model
        The model.
    settings : dict
        Sampler settings (draws, tune, chains, seed, sampler, ...); JSON-serialisable.
    version : str, optional
        Package version (default: the installed ``trustmodels.__version__``).

    Returns
    -------
    str
        64 hex characters.
    """
    version = trustmodels.__version__ if version is None else version
    payload = json.dumps({"settings": settings, "version": version,
                          "libraries": library_versions()}, sort_keys=True, default=str)
    return hashlib.sha256((model_fingerprint(model) + payload).encode()).hexdigest()


def _path(key: str, folder: Path | None) -> Path:
    return (fit_cache_dir() if folder is None else Path(folder)) / f"{key}.zarr"


@contextmanager
def fit_lock(key: str, folder: Path | None = None) -> Iterator[Path]:
    """Hold an exclusive lock on ``key`` (a ``<key>.lock`` file beside the stored fit).

    :func:`trustmodels.inference.sampling.fit` holds it from looking the key up until the new fit is
    stored, so a second process fitting the same model at the same time waits and then loads
    the fit instead of sampling it again. The lock is an advisory ``flock`` that the operating
    system releases when its holder exits, also after a crash. Where there is no lock to take
    (Windows, a file system without ``flock``, a read-only cache folder) nothing is locked and
    nothing fails.

    Parameters
    ----------
    key : str
        Cache key (:func:`fit_key`).
    folder : pathlib.Path, optional
        Cache folder (default :func:`trustmodels.config.fit_cache_dir`).

    Yields
    ------
    pathlib.Path
        The lock file.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with fit_lock("abc", folder) as lock:
    ...     print(lock.name)
    abc.lock
    """
    path = _path(key, folder).with_suffix(".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")
    except OSError:  # e.g. a read-only cache folder: fits can be loaded, not coordinated
        handle = None
    if handle is None:  # outside the except: later errors are not chained to this one
        yield path
        return
    with handle:
        locked = _flock(handle, "LOCK_EX")
        try:
            yield path
        finally:
            if locked:
                _flock(handle, "LOCK_UN")


def _flock(handle, operation: str) -> bool:
    """Apply ``fcntl.flock``; False where locks are not available.

    Without locks (Windows, some network file systems) every process samples its own fit.
    """
    if fcntl is None:
        return False
    try:
        fcntl.flock(handle, getattr(fcntl, operation))
    except OSError:
        return False
    return True


def load_fit(key: str, folder: Path | None = None):
    """Return the cached fit stored under ``key``, or None when there is none.

    Parameters
    ----------
    key : str
        Cache key (:func:`fit_key`).
    folder : pathlib.Path, optional
        Cache folder (default :func:`trustmodels.config.fit_cache_dir`).

    Returns
    -------
    xarray.DataTree or None
        The fit, fully loaded into memory. None also when the entry cannot be trusted: any
        failure to read it (truncated or missing chunk, unreadable metadata) or an array that no
        longer matches the checksum stored with it. Such an entry is moved aside
        (``<key>.zarr.damaged``) with a one-line warning, and the fit is sampled again.
    """
    path = _path(key, folder)
    if not path.is_dir():
        return None
    try:
        with xr.open_datatree(path, engine="zarr", consolidated=False) as tree:
            tree = tree.load()
        stored = tree.attrs.pop(CHECKSUM_ATTR, None)
        if stored is None:
            raise ValueError("it has no checksums")
        if json.loads(stored) != tree_checksums(tree):
            raise ValueError("its arrays do not match their checksums")
    except Exception as error:  # noqa: BLE001 - any failure to load is a cache miss
        _set_aside(path, error)
        return None
    return tree


#: Root attribute of a stored fit that holds the checksum of every array (:func:`save_fit`).
CHECKSUM_ATTR = "trustmodels_checksums"


def tree_checksums(tree) -> dict[str, str]:
    """Return a SHA-256 of every array (data variables and coordinates) of a DataTree.

    Parameters
    ----------
    tree : xarray.DataTree
        A fit.

    Returns
    -------
    dict
        ``"group/variable"`` to hex digest.

    Examples
    --------
    >>> tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"mu": ("draw", [0.5, 1.5])})})
    >>> sums = tree_checksums(tree)
    >>> list(sums), len(sums["/posterior/mu"])
    (['/posterior/mu'], 64)
    """
    sums = {}
    for node in tree.subtree:
        for name, variable in node.dataset.variables.items():
            digest = hashlib.sha256()
            values = np.asarray(variable.values)
            digest.update(str(values.shape).encode())
            if values.dtype.kind in "OUST":  # text: the stored dtype may differ, the text not
                digest.update("\x00".join(map(str, values.ravel().tolist())).encode())
            else:
                digest.update(str(values.dtype).encode())
                digest.update(np.ascontiguousarray(values).tobytes())
            sums[f"{node.path.rstrip('/')}/{name}"] = digest.hexdigest()
    return sums


def _set_aside(path: Path, error: Exception) -> None:
    """Move a damaged entry out of the way (one warning line) so that the fit is sampled anew."""
    import logging

    aside = path.with_name(path.name + ".damaged")
    try:
        if aside.exists():
            shutil.rmtree(aside, ignore_errors=True)
        os.replace(path, aside)
        where = f"moved to {aside.name}"
    except OSError:
        where = "left in place"
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    logging.getLogger(__name__).warning(
        "fit cache entry %s is damaged (%s: %s); %s, the fit is sampled again",
        path, type(error).__name__, reason[:200], where)


def save_fit(key: str, idata, folder: Path | None = None) -> Path:
    """Store a fit under ``key`` (written to a temporary folder, then renamed).

    Parameters
    ----------
    key : str
        Cache key (:func:`fit_key`).
    idata : xarray.DataTree
        The fit.
    folder : pathlib.Path, optional
        Cache folder (default :func:`trustmodels.config.fit_cache_dir`).

    Returns
    -------
    pathlib.Path
        Where the fit was written.
    """
    path = _path(key, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale_temporaries(path.parent)
    temporary = Path(tempfile.mkdtemp(suffix=".zarr.tmp", dir=path.parent))
    try:
        stored = idata.copy()
        stored.attrs = {**idata.attrs, CHECKSUM_ATTR: json.dumps(tree_checksums(idata))}
        stored.to_zarr(temporary / "fit.zarr", mode="w", consolidated=False)
        if path.exists():
            shutil.rmtree(path)
        os.replace(temporary / "fit.zarr", path)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return path


#: Age after which a temporary folder of :func:`save_fit` is taken for the leftover of a process
#: that was killed while saving (a save takes seconds).
STALE_TEMPORARY_SECONDS = 3600


def _sweep_stale_temporaries(folder: Path) -> None:
    """Remove ``*.zarr.tmp`` folders left by processes killed while saving."""
    import time

    for leftover in Path(folder).glob("*.zarr.tmp"):
        try:
            if time.time() - leftover.stat().st_mtime > STALE_TEMPORARY_SECONDS:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            pass
