"""Settings that follow the machine: how many cores a fit uses, which libraries are installed.

Every setting has one environment variable that overrides what the machine suggests. Nothing in
the package or the notebooks hard-codes a core count: a fit on a laptop with 2 cores and on a
workstation with 16 uses what is there.

========================  ===================================================================
variable                  what it sets
========================  ===================================================================
``TRUSTMODELS_CORES``     cores (processes or XLA devices) a fit runs its chains on; default:
                          the CPUs this process may use, at most one per chain
========================  ===================================================================
"""

from __future__ import annotations

import os

__all__ = ["CORES_ENV", "fit_cores", "installed_versions", "machine_cores"]

#: Environment variable that sets the cores of every fit (a positive integer).
CORES_ENV = "TRUSTMODELS_CORES"


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
