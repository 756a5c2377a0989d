"""Real survey data: privacy concern, trust, risk and intention (Lancelot-Miltgen et al. 2016).

The data set holds 1,090 young European consumers' answers to 11 Likert items about adopting a
location-tracking service: privacy concern ``privcon1``-``privcon4`` (1-5), trust
``trust1``-``trust2``, perceived risk ``risk1``-``risk3`` and intention to use
``intent1``-``intent2`` (1-7). It is distributed with the R package cSEM (GPL-3) as an ``.RData``
file. The project does not commit it. :func:`load_lancelot_miltgen` finds the original file,
checks its SHA-256, converts it into the project's survey format (a wide CSV with a respondent id,
described by ``data/lancelot_miltgen_2016.datapackage.json``), caches the CSV and returns it
validated by :func:`trustmodels.survey.table.load_survey`.

Where the original file comes from, in this order:

1. ``data_dir=`` or the environment variable ``TRUSTMODELS_DATA_DIR``: a local folder holding
   ``LancelotMiltgenetal2016.RData`` (for machines without network; the folder is only read);
2. otherwise it is downloaded once with :mod:`pooch` from :data:`DATA_URL` (a fixed commit of
   github.com/M-E-Rademaker/cSEM) into the cache folder: ``cache_dir=``, the environment variable
   ``TRUSTMODELS_CACHE_DIR`` or ``pooch.os_cache("trustmodels")``.

Every problem (no network and no local copy, wrong checksum, unreadable file) raises
:class:`RealDataError` with one line that says what to do; a file that fails the checksum is never
cached or converted.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pooch

from trustmodels.config import (
    DOWNLOAD_CACHE_ENV,
    OFFLINE_DATA_ENV,
    download_cache_dir,
    offline_data_dir,
    project_data_dir,
)
from trustmodels.datasets.manifest import sha256_of

__all__ = [
    "CACHE_DIR_ENV",
    "CODEBOOK_PATH",
    "CONSTRUCTS",
    "CSV_NAME",
    "DATA_DIR_ENV",
    "DATA_URL",
    "ITEM_CATEGORIES",
    "N_RESPONDENTS",
    "RAW_FILENAME",
    "RAW_SHA256",
    "RealDataError",
    "convert_raw",
    "fetch_raw",
    "load_lancelot_miltgen",
    "sha256_of",
    "write_survey_csv",
]

#: Name of the original file in cSEM's ``data/`` folder and in ``TRUSTMODELS_DATA_DIR``.
RAW_FILENAME = "LancelotMiltgenetal2016.RData"
#: The pinned download address (cSEM at commit 7f96724, GPL-3).
DATA_URL = (
    "https://github.com/M-E-Rademaker/cSEM/raw/7f96724821e2ba85afa3b16b77dbc3aae50b7425/"
    "data/LancelotMiltgenetal2016.RData"
)
#: SHA-256 of the original file.
RAW_SHA256 = "d1cb59a984e688f8078f084ae01a914ca864ce4ca9b09cba634e86b819baefa2"
#: Environment variable naming a local folder that holds :data:`RAW_FILENAME`.
DATA_DIR_ENV = OFFLINE_DATA_ENV
#: Environment variable naming the cache folder (downloaded original and converted CSV).
CACHE_DIR_ENV = DOWNLOAD_CACHE_ENV
#: File name of the converted survey CSV in the cache folder.
CSV_NAME = "lancelot_miltgen_2016.csv"
#: The project's codebook of the converted CSV.
CODEBOOK_PATH = project_data_dir() / "lancelot_miltgen_2016.datapackage.json"
#: Number of respondents in the data set.
N_RESPONDENTS = 1090
#: Items of each construct, in codebook order.
CONSTRUCTS = {
    "privacy_concern": ("privcon1", "privcon2", "privcon3", "privcon4"),
    "trust": ("trust1", "trust2"),
    "risk": ("risk1", "risk2", "risk3"),
    "intention": ("intent1", "intent2"),
}
#: Number of answer categories of each item (privacy concern 1-5, the others 1-7).
ITEM_CATEGORIES = {
    item: (5 if construct == "privacy_concern" else 7)
    for construct, items in CONSTRUCTS.items()
    for item in items
}
_R_OBJECT = "LancelotMiltgenetal2016"
_ID = "respondent_id"
_HOW_TO_GET = (
    f"download {DATA_URL} into a folder and set {DATA_DIR_ENV} to that folder "
    f"(or pass data_dir=)"
)


class RealDataError(RuntimeError):
    """The real data set cannot be found, fails its checksum or cannot be read (one line)."""


def _data_dir(data_dir) -> Path | None:
    return offline_data_dir(data_dir)


def _pooch_downloader():
    """Return the downloader pooch uses (``None``: its default HTTP downloader; tests swap it)."""
    return None


def _verified_local(folder: Path) -> Path:
    if not folder.is_dir():
        raise RealDataError(f"{DATA_DIR_ENV} / data_dir points to {folder}, which is not a folder; "
                            f"it must hold {RAW_FILENAME} ({_HOW_TO_GET})")
    raw = folder / RAW_FILENAME
    if not raw.is_file():
        raise RealDataError(f"{raw} not found: {DATA_DIR_ENV} / data_dir must name a folder that "
                            f"holds {RAW_FILENAME} ({_HOW_TO_GET})")
    found = sha256_of(raw)
    if found != RAW_SHA256:
        raise RealDataError(f"{raw}: SHA-256 {found} does not match the expected {RAW_SHA256}; "
                            f"the file is corrupted or a different version: replace it with "
                            f"{DATA_URL}")
    return raw


def fetch_raw(data_dir=None, cache=None) -> Path:
    """Return the path of the verified original ``.RData`` file (downloading it if needed).

    Parameters
    ----------
    data_dir : str or pathlib.Path, optional
        Local folder holding :data:`RAW_FILENAME` (default: ``$TRUSTMODELS_DATA_DIR``). When
        set, nothing is downloaded and the folder is only read.
    cache : str or pathlib.Path, optional
        Cache folder for the download (default: :func:`trustmodels.config.download_cache_dir`).

    Returns
    -------
    pathlib.Path
        A file whose SHA-256 equals :data:`RAW_SHA256`.

    Raises
    ------
    RealDataError
        No local copy and no network, a wrong checksum or a missing file (one line).

    Examples
    --------
    >>> import tempfile
    >>> fetch_raw(data_dir=tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    trustmodels.datasets.realdata.RealDataError: ...LancelotMiltgenetal2016.RData not found: ...
    """
    local = _data_dir(data_dir)
    if local is not None:
        return _verified_local(local)
    folder = download_cache_dir(cache)
    try:
        path = pooch.retrieve(
            DATA_URL,
            known_hash=f"sha256:{RAW_SHA256}",
            fname=RAW_FILENAME,
            path=folder,
            downloader=_pooch_downloader(),
            progressbar=False,
        )
    except ValueError as error:
        if "hash" in str(error).lower():
            raise RealDataError(f"the file downloaded from {DATA_URL} does not match SHA-256 "
                                f"{RAW_SHA256}; nothing was cached ({_HOW_TO_GET})") from None
        raise RealDataError(f"cannot download {DATA_URL} ({error}); {_HOW_TO_GET}") from None
    except Exception as error:  # network failures come as requests/OS errors
        reason = type(error).__name__
        raise RealDataError(f"cannot download {RAW_FILENAME} (no network? {reason}); "
                            f"{_HOW_TO_GET}") from None
    return Path(path)


def convert_raw(raw_path) -> pd.DataFrame:
    """Convert the original ``.RData`` file into the project's wide survey table.

    Parameters
    ----------
    raw_path : str or pathlib.Path
        The original file (see :func:`fetch_raw`).

    Returns
    -------
    pandas.DataFrame
        1,090 rows; ``respondent_id`` (``"LM0001"`` .. ``"LM1090"``, in the file's row order)
        followed by the 11 items as integers.

    Raises
    ------
    RealDataError
        The file is not readable R data or does not hold the expected table (one line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "bad.RData"
    >>> _ = bad.write_bytes(b"not R data")
    >>> convert_raw(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    trustmodels.datasets.realdata.RealDataError: ...bad.RData: not a readable R data file ...
    """
    import pyreadr

    raw_path = Path(raw_path)
    try:
        objects = pyreadr.read_r(str(raw_path))
    except Exception as error:  # pyreadr raises its own error types for damaged files
        raise RealDataError(f"{raw_path}: not a readable R data file ({type(error).__name__}); "
                            f"replace it with {DATA_URL}") from None
    if _R_OBJECT not in objects:
        raise RealDataError(f"{raw_path}: holds {', '.join(objects) or 'no objects'}; "
                            f"expected the data frame {_R_OBJECT}")
    frame = objects[_R_OBJECT]
    items = list(ITEM_CATEGORIES)
    missing = [item for item in items if item not in frame.columns]
    if missing:
        raise RealDataError(f"{raw_path}: columns {', '.join(missing)} missing; "
                            f"expected {', '.join(items)}")
    values = frame[items].to_numpy(dtype=float)
    if len(frame) != N_RESPONDENTS or not np.all(np.isfinite(values)):
        raise RealDataError(f"{raw_path}: expected {N_RESPONDENTS} complete rows, found "
                            f"{len(frame)} rows with {int(np.sum(~np.isfinite(values)))} missing "
                            "answers")
    if not np.array_equal(values, np.round(values)):
        raise RealDataError(f"{raw_path}: item answers are not whole numbers")
    wide = pd.DataFrame({_ID: [f"LM{row:04d}" for row in range(1, len(frame) + 1)]})
    for item in items:
        wide[item] = values[:, items.index(item)].astype(np.int64)
    return wide


def write_survey_csv(wide: pd.DataFrame, folder) -> Path:
    r"""Write the converted table to ``folder/lancelot_miltgen_2016.csv`` (atomically).

    The file is replaced only when its content changes, so an existing cached CSV keeps its
    modification time.

    Parameters
    ----------
    wide : pandas.DataFrame
        Output of :func:`convert_raw`.
    folder : str or pathlib.Path
        Cache folder (created if needed).

    Returns
    -------
    pathlib.Path
        The CSV file.

    Examples
    --------
    >>> import tempfile
    >>> frame = pd.DataFrame({"respondent_id": ["LM0001"], "trust1": [3]})
    >>> write_survey_csv(frame, tempfile.mkdtemp()).read_text()
    'respondent_id,trust1\nLM0001,3\n'
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / CSV_NAME
    text = wide.to_csv(index=False, lineterminator="\n")
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return target
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, delete=False,
                                     suffix=".tmp", newline="") as stream:
        stream.write(text)
    os.replace(stream.name, target)
    return target


def load_lancelot_miltgen(data_dir=None, cache=None):
    """Return the Lancelot-Miltgen et al. (2016) survey, validated against its codebook.

    Parameters
    ----------
    data_dir : str or pathlib.Path, optional
        Local folder holding the original file (default: ``$TRUSTMODELS_DATA_DIR``; without it
        the file is downloaded once).
    cache : str or pathlib.Path, optional
        Cache folder for the download and the converted CSV (default:
        :func:`trustmodels.config.download_cache_dir`). When
        it cannot be written (with ``data_dir`` nothing needs to be downloaded), the CSV is
        converted in a temporary folder instead.

    Returns
    -------
    trustmodels.survey.table.Survey
        ``.wide`` (1,090 rows: ``respondent_id`` and 11 items), ``.long`` (one row per answer)
        and ``.codebook``.

    Raises
    ------
    RealDataError
        The original file cannot be found, downloaded, verified or read (one line).

    Examples
    --------
    >>> import os
    >>> survey = load_lancelot_miltgen()  # doctest: +SKIP
    >>> survey.wide.shape  # doctest: +SKIP
    (1090, 12)
    """
    from trustmodels.survey.table import load_survey

    raw = fetch_raw(data_dir=data_dir, cache=cache)
    wide = convert_raw(raw)
    try:
        csv_path = write_survey_csv(wide, download_cache_dir(cache))
    except OSError:  # an unwritable cache folder (read-only HOME): convert in a scratch folder
        with tempfile.TemporaryDirectory() as scratch:
            return load_survey(write_survey_csv(wide, scratch), CODEBOOK_PATH)
    return load_survey(csv_path, CODEBOOK_PATH)
