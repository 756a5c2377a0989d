"""Every setting of the package in one place: folders, cores, installed versions.

Every setting has one environment variable that overrides what the machine suggests, and one
function here that reads it; no other module reads these variables or locates a folder from
its own file. Nothing in the package or the notebooks hard-codes a core count: a fit on a
laptop with 2 cores and on a workstation with 16 uses what is there.

=============================  ==============================================================
variable                       what it sets
=============================  ==============================================================
``TRUSTMODELS_CORES``          cores (processes or XLA devices) a fit runs its chains on;
                               default: the CPUs this process may use, at most one per chain
                               (:func:`fit_cores`)
``TRUSTMODELS_FIT_CACHE``      folder of cached posteriors; default ``fits`` in the user's
                               cache folder, shared by every clone (:func:`fit_cache_dir`)
``TRUSTMODELS_CACHE_DIR``      folder of downloaded public data and their converted CSVs;
                               default the user's cache folder (:func:`download_cache_dir`)
``TRUSTMODELS_DATA_DIR``       a local folder holding offline copies of the public data sets
                               (read instead of downloading; :func:`offline_data_dir`)
``TRUSTMODELS_PROJECT_DATA``   the compendium's ``data/`` folder; default ``data/`` of the
                               source checkout (:func:`project_data_dir`)
``TRUSTMODELS_FIT_LOG``        a file to which every cached fit appends its key when it is
                               loaded or stored (the book build sets it per notebook, so that
                               a release can ship the fits the book used; :func:`fit_log_path`)
``TRUSTMODELS_VERIFY_FITS``    share (0 to 1) of the fits loaded from the cache that are
                               sampled again and compared with the stored ones within Monte
                               Carlo error; default 0 (:func:`verify_share`)
=============================  ==============================================================
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "CORES_ENV",
    "DOWNLOAD_CACHE_ENV",
    "FIT_CACHE_ENV",
    "FIT_LOG_ENV",
    "OFFLINE_DATA_ENV",
    "PROJECT_DATA_ENV",
    "VERIFY_ENV",
    "download_cache_dir",
    "fit_cache_dir",
    "fit_cores",
    "fit_log_path",
    "installed_versions",
    "machine_cores",
    "offline_data_dir",
    "project_data_dir",
    "use_host_devices",
    "verify_share",
]

#: Environment variable that sets the cores of every fit (a positive integer).
CORES_ENV = "TRUSTMODELS_CORES"
#: Environment variable naming the folder of cached posteriors.
FIT_CACHE_ENV = "TRUSTMODELS_FIT_CACHE"
#: Environment variable naming the folder of downloads and converted public data.
DOWNLOAD_CACHE_ENV = "TRUSTMODELS_CACHE_DIR"
#: Environment variable naming a folder of offline copies of the public data sets.
OFFLINE_DATA_ENV = "TRUSTMODELS_DATA_DIR"
#: Environment variable naming the compendium's ``data/`` folder.
PROJECT_DATA_ENV = "TRUSTMODELS_PROJECT_DATA"
#: Environment variable naming the file that records the keys of the cached fits used.
FIT_LOG_ENV = "TRUSTMODELS_FIT_LOG"
#: Environment variable with the share of cached fits to sample again and compare.
VERIFY_ENV = "TRUSTMODELS_VERIFY_FITS"


def _user_cache() -> Path:
    import pooch  # its os_cache is platformdirs' user cache folder

    return Path(pooch.os_cache("trustmodels"))


def project_data_dir() -> Path:
    """Return the compendium's ``data/`` folder: ``$TRUSTMODELS_PROJECT_DATA``, else the checkout's.

    Returns
    -------
    pathlib.Path
        The folder (it need not exist yet): ``data/`` beside the ``trustmodels`` package in a
        source checkout.

    Examples
    --------
    >>> project_data_dir().name
    'data'
    """
    override = os.environ.get(PROJECT_DATA_ENV)
    if override:
        return Path(override).expanduser().absolute()
    return Path(__file__).resolve().parent.parent / "data"


def fit_cache_dir() -> Path:
    """Return the folder of cached posteriors: ``$TRUSTMODELS_FIT_CACHE``, else the user's.

    Returns
    -------
    pathlib.Path
        The folder (created on first save): ``~/.cache/trustmodels/fits`` on Linux, shared by
        every clone and worktree on the machine.

    Examples
    --------
    >>> os.environ[FIT_CACHE_ENV] = "/tmp/fits-example"
    >>> str(fit_cache_dir())
    '/tmp/fits-example'
    >>> del os.environ[FIT_CACHE_ENV]
    """
    configured = os.environ.get(FIT_CACHE_ENV)
    if configured:
        return Path(configured).expanduser().absolute()
    return _user_cache() / "fits"


def download_cache_dir(path=None) -> Path:
    """Return the folder of downloads: ``path``, else ``$TRUSTMODELS_CACHE_DIR``, else the user's.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        Explicit folder.

    Returns
    -------
    pathlib.Path
        The folder (not created here).

    Examples
    --------
    >>> download_cache_dir("/tmp/tm-cache").as_posix()
    '/tmp/tm-cache'
    """
    if path is not None:
        return Path(path)
    configured = os.environ.get(DOWNLOAD_CACHE_ENV)
    if configured:
        return Path(configured).expanduser().absolute()
    return _user_cache()


def offline_data_dir(path=None) -> Path | None:
    """Return the folder of offline data copies: ``path``, else ``$TRUSTMODELS_DATA_DIR``, or None.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        Explicit folder.

    Returns
    -------
    pathlib.Path or None
        The folder, absolute (a relative setting is read from the current folder), or None when
        nothing is set (then the data are downloaded).

    Examples
    --------
    >>> offline_data_dir("/srv/data").as_posix()
    '/srv/data'
    """
    if path is not None:
        return Path(path).expanduser().absolute()
    configured = os.environ.get(OFFLINE_DATA_ENV)
    return Path(configured).expanduser().absolute() if configured else None


def fit_log_path() -> Path | None:
    """Return the file that records the keys of the cached fits used, or None (no record).

    Returns
    -------
    pathlib.Path or None
        ``$TRUSTMODELS_FIT_LOG`` when set.

    Examples
    --------
    >>> os.environ[FIT_LOG_ENV] = "/tmp/fits-used.txt"
    >>> str(fit_log_path())
    '/tmp/fits-used.txt'
    >>> del os.environ[FIT_LOG_ENV]
    >>> fit_log_path() is None
    True
    """
    configured = os.environ.get(FIT_LOG_ENV)
    return Path(configured).expanduser().absolute() if configured else None


def verify_share() -> float:
    """Return the share of fits loaded from the cache that are sampled again and compared.

    Returns
    -------
    float
        ``$TRUSTMODELS_VERIFY_FITS`` (0 to 1), default 0.

    Raises
    ------
    ValueError
        When the setting is not a number from 0 to 1 (one line).

    Examples
    --------
    >>> os.environ[VERIFY_ENV] = "0.25"
    >>> verify_share()
    0.25
    >>> del os.environ[VERIFY_ENV]
    >>> verify_share()
    0.0
    """
    value = os.environ.get(VERIFY_ENV, "").strip()
    if not value:
        return 0.0
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"{VERIFY_ENV}={value!r}: expected a share from 0 to 1 of the cached "
                         "fits to sample again")
    return share


def machine_cores() -> int:
    """Return the number of CPUs this process may run on.

    Reads the process's CPU affinity where the system reports it (a container or ``taskset``
    limit counts), else :func:`os.cpu_count`.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> machine_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def fit_cores(chains: int | None = None) -> int:
    """Return the cores a fit uses: ``$TRUSTMODELS_CORES``, else the machine's, per chain at most.

    Parameters
    ----------
    chains : int, optional
        Chains of the fit: more cores than chains would idle, so the machine's count is capped
        at it (an explicit ``$TRUSTMODELS_CORES`` is taken as it is).

    Returns
    -------
    int
        At least 1.

    Raises
    ------
    ValueError
        When ``$TRUSTMODELS_CORES`` is set to anything but a positive integer (one line).

    Examples
    --------
    >>> os.environ[CORES_ENV] = "3"
    >>> fit_cores(chains=4)
    3
    >>> del os.environ[CORES_ENV]
    >>> fit_cores(chains=1)
    1
    """
    value = os.environ.get(CORES_ENV)
    if value is not None:
        if not value.strip().isdigit() or int(value) < 1:
            raise ValueError(f"{CORES_ENV}={value!r}: expected a positive integer (cores per fit)")
        return int(value)
    cores = machine_cores()
    return cores if chains is None else max(1, min(cores, chains))


def installed_versions(names, missing: str = "-") -> dict[str, str]:
    """Return the installed version of each distribution, in the order given.

    Parameters
    ----------
    names : iterable of str
        Distribution names as on the package index.
    missing : str
        Shown for a distribution that is not installed.

    Returns
    -------
    dict
        Name to version.

    Examples
    --------
    >>> versions = installed_versions(("pytest", "surely-not-a-real-distribution"))
    >>> versions["surely-not-a-real-distribution"]
    '-'
    >>> versions["pytest"][0].isdigit()
    True
    """
    from importlib import metadata

    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = missing
    return versions


#: XLA's flag for the number of CPU devices (numpyro runs one chain per device in parallel).
HOST_DEVICE_FLAG = "--xla_force_host_platform_device_count"


def use_host_devices(count: int | None = None) -> int:
    """Ask XLA for ``count`` CPU devices, so that numpyro runs chains in parallel.

    numpyro runs chains in parallel only on as many XLA devices as chains. This sets
    ``XLA_FLAGS`` (as :func:`numpyro.set_host_device_count` does) unless it names a device count
    already; XLA reads it when JAX creates its CPU backend, at the first JAX computation, so
    call it before sampling (:func:`trustmodels.inference.sampling.fit` does). With 4 devices on
    2 cores, 4 chains share the cores and give the same draws in about half the wall time of
    running them one after another (``benchmarks/README.md``).

    Parameters
    ----------
    count : int, optional
        Devices to ask for (default ``max(machine_cores(), 4)``, 4 being the default chains).

    Returns
    -------
    int
        The device count in effect in ``XLA_FLAGS``.

    Examples
    --------
    >>> saved = os.environ.pop("XLA_FLAGS", None)
    >>> use_host_devices(6), os.environ["XLA_FLAGS"]
    (6, '--xla_force_host_platform_device_count=6')
    >>> use_host_devices(8)  # an existing setting wins
    6
    >>> _ = os.environ.pop("XLA_FLAGS") if saved is None else os.environ.update(XLA_FLAGS=saved)
    """
    flags = os.environ.get("XLA_FLAGS", "")
    for part in flags.split():
        if part.startswith(HOST_DEVICE_FLAG + "="):
            return int(part.split("=", 1)[1])
    count = max(machine_cores(), 4) if count is None else int(count)
    os.environ["XLA_FLAGS"] = f"{flags} {HOST_DEVICE_FLAG}={count}".strip()
    return count

