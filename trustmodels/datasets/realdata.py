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

from pathlib import Path

import numpy as np
import pandas as pd

from trustmodels.config import DOWNLOAD_CACHE_ENV, OFFLINE_DATA_ENV, project_data_dir
from trustmodels.datasets.fetch import fetch_verified, load_converted, read_r_frame, write_csv
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


class RealDataError(RuntimeError):
    """The real data set cannot be found, fails its checksum or cannot be read (one line)."""


def _pooch_downloader():
    """Return the downloader pooch uses (``None``: its default HTTP downloader; tests swap it)."""
    return None


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
    return fetch_verified(RAW_FILENAME, DATA_URL, RAW_SHA256, data_dir=data_dir, cache=cache,
                          error_class=RealDataError, downloader=_pooch_downloader())


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
    raw_path = Path(raw_path)
    frame = read_r_frame(raw_path, _R_OBJECT, DATA_URL, RealDataError)
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
    return write_csv(wide, folder, CSV_NAME)


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
    raw = fetch_raw(data_dir=data_dir, cache=cache)
    return load_converted(convert_raw(raw), CSV_NAME, CODEBOOK_PATH, cache)
