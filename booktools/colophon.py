"""Facts about how the book was built: package versions, commit, build date, chapter run times.

The colophon page shows them (through the ``trustmodels-colophon`` directive of
:mod:`booktools.sphinxext`). Package versions depend only on the installed environment, so two
builds in the same environment show the same table; the commit and the date are metadata.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import subprocess
from pathlib import Path

__all__ = [
    "KEY_PACKAGES",
    "build_date",
    "execution_times",
    "file_digest",
    "git_commit",
    "package_versions",
    "python_version",
]

#: Distributions whose versions the colophon lists (analysis stack first, then the book).
KEY_PACKAGES = (
    "trustmodels", "pymc", "pytensor", "arviz", "numpyro", "jax", "nutpie", "numpy", "scipy",
    "pandas", "xarray", "statsmodels", "pingouin", "semopy", "matplotlib", "seaborn",
    "jupyter-book", "myst-nb", "sphinx", "sphinxcontrib-bibtex",
)


def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str]:
    """Return the installed version of each distribution, in the order given.

    Parameters
    ----------
    names : tuple of str
        Distribution names as on the package index.

    Returns
    -------
    dict
        Name to version; ``"not installed"`` for a missing distribution.

    Examples
    --------
    >>> versions = package_versions(("pytest", "surely-not-a-real-distribution"))
    >>> versions["surely-not-a-real-distribution"]
    'not installed'
    >>> versions["pytest"][0].isdigit()
    True
    """
    from trustmodels.config import installed_versions

    return installed_versions(names, missing="not installed")


def python_version() -> str:
    """Return the running Python's version and implementation, e.g. ``'3.12.1 (CPython)'``.

    Examples
    --------
    >>> python_version().startswith("3.")
    True
    """
    return f"{platform.python_version()} ({platform.python_implementation()})"


def git_commit(root: Path) -> str:
    """Return the short commit hash of ``root``'s checkout, marked ``-dirty`` with local edits.

    Parameters
    ----------
    root : pathlib.Path
        A folder inside a git working tree.

    Returns
    -------
    str
        For example ``'a6f47d0'`` or ``'a6f47d0-dirty'``; ``'unknown (not a git checkout)'``
        when git or the repository is missing.

    Examples
    --------
    >>> import tempfile
    >>> git_commit(Path(tempfile.mkdtemp()))
    'unknown (not a git checkout)'
    """
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=12",
             "--exclude", "*"], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return "unknown (not a git checkout)"
    if result.returncode != 0 or not result.stdout.strip():
        return "unknown (not a git checkout)"
    return result.stdout.strip()


def build_date(environ: dict[str, str] | None = None) -> str:
    """Return the build date (UTC, ISO format), honouring ``SOURCE_DATE_EPOCH``.

    Parameters
    ----------
    environ : dict, optional
        Environment to read (defaults to :data:`os.environ`).

    Returns
    -------
    str
        ``YYYY-MM-DD``.

    Examples
    --------
    >>> build_date({"SOURCE_DATE_EPOCH": "0"})
    '1970-01-01'
    """
    environ = os.environ if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH")
    moment = (dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC) if epoch
              else dt.datetime.now(tz=dt.UTC))
    return moment.date().isoformat()


def file_digest(path: Path, length: int = 12) -> str:
    r"""Return the first ``length`` hex digits of a file's sha256 (to name the lock file used).

    Parameters
    ----------
    path : pathlib.Path
        File to hash.
    length : int
        Number of hex digits kept.

    Returns
    -------
    str
        The shortened digest, or ``'missing'`` if the file does not exist.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "lock.txt"
    >>> _ = path.write_text("numpy==2.5\n")
    >>> len(file_digest(path)), file_digest(path.with_name("absent.txt"))
    (12, 'missing')
    """
    if not path.is_file():
        return "missing"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:length]


def execution_times(cache_path: Path, root: Path) -> list[tuple[str, str]]:
    """Return how long each executed notebook of the execution cache took, longest first.

    :mod:`booktools.bookexec` records the wall time of every notebook it executes in the cache
    (``execution_seconds``); the colophon shows it, so that a chapter that grows is seen at once.

    Parameters
    ----------
    cache_path : pathlib.Path
        Jupyter Book's execution cache (``execute.cache`` of ``_config.yml``).
    root : pathlib.Path
        Project root; notebooks are named relative to it.

    Returns
    -------
    list of tuple of str
        ``(notebook, "123 s")`` pairs; empty when there is no cache or no timing.

    Examples
    --------
    >>> import tempfile
    >>> execution_times(Path(tempfile.mkdtemp()) / "none", Path("."))
    []
    """
    if not Path(cache_path).is_dir():
        return []
    from jupyter_cache import get_cache

    cache = get_cache(cache_path)
    rows = []
    for record in cache.list_cache_records():
        seconds = (record.data or {}).get("execution_seconds")
        if seconds is None:
            continue
        name = Path(record.uri)
        try:
            name = name.resolve().relative_to(Path(root).resolve())
        except ValueError:
            pass
        rows.append((name.with_suffix("").as_posix(), float(seconds)))
    rows.sort(key=lambda row: -row[1])
    return [(name, f"{seconds:,.0f} s") for name, seconds in rows]
