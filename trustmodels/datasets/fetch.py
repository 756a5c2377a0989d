"""Public data files: find the offline copy or download, verify, read R data, cache the CSV.

The steps every public data set of the compendium shares (:mod:`trustmodels.datasets.realdata`,
:mod:`trustmodels.datasets.wine`):

1. :func:`fetch_verified` returns the original file: from the folder ``data_dir=`` or
   ``$TRUSTMODELS_DATA_DIR`` when set (only read, never written), else downloaded once with
   :mod:`pooch` from a pinned URL into :func:`trustmodels.config.download_cache_dir`. Either way
   its SHA-256 must match; a file that does not is never cached or converted.
2. :func:`read_r_frame` reads one data frame of an R data file (``.RData`` / ``.rda``).
3. :func:`load_converted` writes the converted table as a CSV into the cache folder (atomically,
   left alone when unchanged) and returns it validated against the committed codebook.

Every problem raises the caller's error class with one line that says what to do.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pooch

from trustmodels.config import OFFLINE_DATA_ENV, download_cache_dir, offline_data_dir
from trustmodels.datasets.manifest import sha256_of

__all__ = ["fetch_verified", "how_to_get", "load_converted", "read_r_frame", "write_csv"]


def how_to_get(url: str) -> str:
    """Return the advice, for error messages, on getting a file without network.

    Parameters
    ----------
    url : str
        The pinned download address.

    Returns
    -------
    str
        One line.

    Examples
    --------
    >>> how_to_get("https://example.org/x.rda")
    'download https://example.org/x.rda into a folder and set TRUSTMODELS_DATA_DIR to that folder (or pass data_dir=)'
    """  # noqa: E501
    return (f"download {url} into a folder and set {OFFLINE_DATA_ENV} to that folder "
            f"(or pass data_dir=)")


def _verified_local(folder: Path, filename: str, url: str, sha256: str, error_class,
                    advice: str) -> Path:
    if not folder.is_dir():
        raise error_class(f"{OFFLINE_DATA_ENV} / data_dir points to {folder}, which is not a "
                          f"folder; it must hold {filename} ({advice})")
    raw = folder / filename
    if not raw.is_file():
        raise error_class(f"{raw} not found: {OFFLINE_DATA_ENV} / data_dir must name a folder "
                          f"that holds {filename} ({advice})")
    found = sha256_of(raw)
    if found != sha256:
        raise error_class(f"{raw}: SHA-256 {found} does not match the expected {sha256}; "
                          f"the file is corrupted or a different version: replace it with {url}")
    return raw


def fetch_verified(filename: str, url: str, sha256: str, data_dir=None, cache=None,
                   error_class: type[Exception] = RuntimeError, advice: str | None = None,
                   downloader=None) -> Path:
    """Return the path of a verified original file: the offline copy, or downloaded once.

    Parameters
    ----------
    filename : str
        The file's name in the offline folder and in the cache folder.
    url : str
        The pinned download address.
    sha256 : str
        The file's expected SHA-256 (64 lowercase hex digits).
    data_dir : str or pathlib.Path, optional
        Local folder holding ``filename`` (default: ``$TRUSTMODELS_DATA_DIR``). When set,
        nothing is downloaded and the folder is only read.
    cache : str or pathlib.Path, optional
        Cache folder for the download (default: :func:`trustmodels.config.download_cache_dir`).
    error_class : type
        Exception raised, with one line, for every problem.
    advice : str, optional
        How to get the file without network (default: :func:`how_to_get` of ``url``).
    downloader : callable, optional
        The :mod:`pooch` downloader (default: its HTTP downloader; tests pass a fake one).

    Returns
    -------
    pathlib.Path
        A file whose SHA-256 equals ``sha256``.

    Raises
    ------
    error_class
        No local copy and no network, a wrong checksum or a missing file (one line).

    Examples
    --------
    >>> import tempfile
    >>> fetch_verified("x.rda", "https://example.org/x.rda", "0" * 64,
    ...                data_dir=tempfile.mkdtemp(), error_class=ValueError)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: .../x.rda not found: TRUSTMODELS_DATA_DIR / data_dir must name a folder ...
    """
    advice = how_to_get(url) if advice is None else advice
    local = offline_data_dir(data_dir)
    if local is not None:
        return _verified_local(local, filename, url, sha256, error_class, advice)
    try:
        path = pooch.retrieve(
            url,
            known_hash=f"sha256:{sha256}",
            fname=filename,
            path=download_cache_dir(cache),
            downloader=downloader,
            progressbar=False,
        )
    except ValueError as error:
        if "hash" in str(error).lower():
            raise error_class(f"the file downloaded from {url} does not match SHA-256 "
                              f"{sha256}; nothing was cached ({advice})") from None
        raise error_class(f"cannot download {url} ({error}); {advice}") from None
    except Exception as error:  # network failures come as requests/OS errors
        reason = type(error).__name__
        raise error_class(f"cannot download {filename} (no network? {reason}); "
                          f"{advice}") from None
    return Path(path)


def read_r_frame(path, name: str, url: str, error_class: type[Exception] = RuntimeError):
    """Return the data frame ``name`` of an R data file (``.RData`` or ``.rda``).

    Parameters
    ----------
    path : str or pathlib.Path
        The R data file.
    name : str
        The R object to return.
    url : str
        The original's address, named in the message when the file is unreadable.
    error_class : type
        Exception raised, with one line, for every problem.

    Returns
    -------
    pandas.DataFrame
        As :mod:`pyreadr` reads it (R factors become ``Categorical``).

    Raises
    ------
    error_class
        The file is not readable R data or does not hold ``name`` (one line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "bad.rda"
    >>> _ = bad.write_bytes(b"not R data")
    >>> read_r_frame(bad, "wine", "https://example.org/wine.rda", ValueError)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: .../bad.rda: not a readable R data file (...); replace it with https://...
    """
    import pyreadr

    path = Path(path)
    try:
        objects = pyreadr.read_r(str(path))
    except Exception as error:  # pyreadr raises its own error types for damaged files
        raise error_class(f"{path}: not a readable R data file ({type(error).__name__}); "
                          f"replace it with {url}") from None
    if name not in objects:
        raise error_class(f"{path}: holds {', '.join(objects) or 'no objects'}; "
                          f"expected the data frame {name}")
    return objects[name]


def write_csv(frame: pd.DataFrame, folder, name: str) -> Path:
    r"""Write a table to ``folder/name`` as CSV (atomically), unless it already holds it.

    The file is replaced only when its content changes, so an existing cached CSV keeps its
    modification time.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (its index is not written).
    folder : str or pathlib.Path
        Cache folder (created if needed).
    name : str
        File name.

    Returns
    -------
    pathlib.Path
        The CSV file.

    Examples
    --------
    >>> import tempfile
    >>> write_csv(pd.DataFrame({"id": ["a"], "q": [3]}), tempfile.mkdtemp(), "t.csv").read_text()
    'id,q\na,3\n'
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    text = frame.to_csv(index=False, lineterminator="\n")
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return target
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, delete=False,
                                     suffix=".tmp", newline="") as stream:
        stream.write(text)
    os.replace(stream.name, target)
    return target


def load_converted(frame: pd.DataFrame, name: str, codebook_path, cache=None):
    """Cache a converted table as ``name`` and return it validated against its codebook.

    Parameters
    ----------
    frame : pandas.DataFrame
        The converted table, columns as in the codebook.
    name : str
        File name of the CSV in the cache folder.
    codebook_path : str or pathlib.Path
        The committed codebook (``data/*.datapackage.json``).
    cache : str or pathlib.Path, optional
        Cache folder (default: :func:`trustmodels.config.download_cache_dir`). When it cannot be
        written (a read-only HOME), the CSV is written to a temporary folder instead.

    Returns
    -------
    trustmodels.survey.table.Survey

    Raises
    ------
    trustmodels.survey.validation.SurveyValidationError
        The converted table does not meet its codebook.
    """
    from trustmodels.survey.table import load_survey

    try:
        csv_path = write_csv(frame, download_cache_dir(cache), name)
    except OSError:  # an unwritable cache folder (read-only HOME): convert in a scratch folder
        with tempfile.TemporaryDirectory() as scratch:
            return load_survey(write_csv(frame, scratch, name), codebook_path)
    return load_survey(csv_path, codebook_path)
