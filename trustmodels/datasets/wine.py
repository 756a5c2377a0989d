"""Real data: bitterness of white wine, rated by 9 judges (Randall 1989; R package ordinal).

The ``wine`` data of Christensen's R package ordinal (GPL >= 2) come from a factorial
experiment on what makes white wine bitter (Randall 1989): two treatment factors, the
temperature (``cold``, ``warm``) and the skin contact (``no``, ``yes``) when the grapes were
crushed, each bottle made under one of the four conditions, two bottles per condition. Each of 9
judges rated all 8 bottles: ``response`` on a 0-100 scale and ``rating``, the same judgement on
an ordered 1-5 scale (1 least bitter, 5 most bitter). 72 rows, no missing values: the standard
example of cumulative link mixed models.

The project does not commit the data. :func:`load_wine` finds the original ``wine.rda``, checks
its SHA-256, converts it into the project's survey format (one row per judge and bottle: the
long, within-subjects layout, described by ``data/wine.datapackage.json`` with ``judge`` as the
respondent id and ``bottle`` as the vignette), caches the CSV and returns it validated by
:func:`trustmodels.survey.table.load_survey`.

Where the original file comes from, in this order (the same rules as
:mod:`trustmodels.datasets.realdata`, shared in :mod:`trustmodels.datasets.fetch`):

1. ``data_dir=`` or the environment variable ``TRUSTMODELS_DATA_DIR``: a local folder holding
   ``wine.rda`` (for machines without network; the folder is only read);
2. otherwise it is downloaded once with :mod:`pooch` from :data:`WINE_URL` (a fixed commit of
   github.com/runehaubo/ordinal) into the cache folder: ``cache=``, the environment variable
   ``TRUSTMODELS_CACHE_DIR`` or ``pooch.os_cache("trustmodels")``.

Every problem (no network and no local copy, wrong checksum, unreadable file) raises
:class:`~trustmodels.datasets.realdata.RealDataError` with one line that says what to do; a file
that fails the checksum is never cached or converted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from trustmodels.config import project_data_dir
from trustmodels.datasets.fetch import fetch_verified, load_converted, read_r_frame, write_csv
from trustmodels.datasets.realdata import RealDataError

__all__ = [
    "N_BOTTLES",
    "N_JUDGES",
    "RealDataError",
    "WINE_CODEBOOK_PATH",
    "WINE_COLUMNS",
    "WINE_CSV_NAME",
    "WINE_FILENAME",
    "WINE_SHA256",
    "WINE_URL",
    "convert_wine",
    "fetch_wine_raw",
    "load_wine",
    "write_wine_csv",
]

#: Name of the original file in ordinal's ``data/`` folder and in ``TRUSTMODELS_DATA_DIR``.
WINE_FILENAME = "wine.rda"
#: The pinned download address (ordinal at commit c41c402, GPL >= 2).
WINE_URL = (
    "https://github.com/runehaubo/ordinal/raw/c41c4026e0be598f890f52cf32badc550c82ba84/"
    "data/wine.rda"
)
#: SHA-256 of the original file.
WINE_SHA256 = "ff9ce2c15efebd289aa4e3ff1baf0a881bc80e796b96cd6752920fce4bc40a98"
#: File name of the converted CSV in the cache folder.
WINE_CSV_NAME = "wine.csv"
#: The project's codebook of the converted CSV.
WINE_CODEBOOK_PATH = project_data_dir() / "wine.datapackage.json"
#: Columns of the converted CSV, in order.
WINE_COLUMNS = ("judge", "bottle", "temp", "contact", "rating", "response")
#: Number of judges (the respondents).
N_JUDGES = 9
#: Number of bottles each judge rated (the vignettes).
N_BOTTLES = 8
_R_OBJECT = "wine"
_LEVELS = {"temp": ("cold", "warm"), "contact": ("no", "yes")}


def _pooch_downloader():
    """Return the downloader pooch uses (``None``: its default HTTP downloader; tests swap it)."""
    return None


def fetch_wine_raw(data_dir=None, cache=None) -> Path:
    """Return the path of the verified original ``wine.rda`` (downloading it if needed).

    Parameters
    ----------
    data_dir : str or pathlib.Path, optional
        Local folder holding :data:`WINE_FILENAME` (default: ``$TRUSTMODELS_DATA_DIR``). When
        set, nothing is downloaded and the folder is only read.
    cache : str or pathlib.Path, optional
        Cache folder for the download (default: :func:`trustmodels.config.download_cache_dir`).

    Returns
    -------
    pathlib.Path
        A file whose SHA-256 equals :data:`WINE_SHA256`.

    Raises
    ------
    RealDataError
        No local copy and no network, a wrong checksum or a missing file (one line).

    Examples
    --------
    >>> import tempfile
    >>> fetch_wine_raw(data_dir=tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    trustmodels.datasets.realdata.RealDataError: .../wine.rda not found: ...
    """
    return fetch_verified(WINE_FILENAME, WINE_URL, WINE_SHA256, data_dir=data_dir, cache=cache,
                          error_class=RealDataError, downloader=_pooch_downloader())


def _labels(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Return a column's values as text (R factors arrive as categoricals of text labels)."""
    return frame[name].astype("str").to_numpy()


def convert_wine(raw_path) -> pd.DataFrame:
    """Convert the original ``wine.rda`` into the project's table: one row per judge and bottle.

    Parameters
    ----------
    raw_path : str or pathlib.Path
        The original file (see :func:`fetch_wine_raw`).

    Returns
    -------
    pandas.DataFrame
        72 rows ordered by judge, then bottle (the file's order), columns :data:`WINE_COLUMNS`:
        ``judge`` (text ``"1"`` .. ``"9"``), ``bottle`` (integer 1-8), ``temp``
        (``cold``/``warm``), ``contact`` (``no``/``yes``), ``rating`` (integer 1-5) and
        ``response`` (number, 0-100).

    Raises
    ------
    RealDataError
        The file is not readable R data or does not hold the expected table (one line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "wine.rda"
    >>> _ = bad.write_bytes(b"not R data")
    >>> convert_wine(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    trustmodels.datasets.realdata.RealDataError: .../wine.rda: not a readable R data file ...
    """
    raw_path = Path(raw_path)
    frame = read_r_frame(raw_path, _R_OBJECT, WINE_URL, RealDataError)
    missing = [name for name in WINE_COLUMNS if name not in frame.columns]
    if missing:
        raise RealDataError(f"{raw_path}: columns {', '.join(missing)} missing; "
                            f"expected {', '.join(WINE_COLUMNS)}")
    expected = N_JUDGES * N_BOTTLES
    holes = int(frame[list(WINE_COLUMNS)].isna().to_numpy().sum())
    if len(frame) != expected or holes:
        raise RealDataError(f"{raw_path}: expected {expected} complete rows, found {len(frame)} "
                            f"rows with {holes} missing values")
    try:
        converted = pd.DataFrame({
            "judge": _labels(frame, "judge"),
            "bottle": _labels(frame, "bottle").astype(np.int64),
            "temp": _labels(frame, "temp"),
            "contact": _labels(frame, "contact"),
            "rating": _labels(frame, "rating").astype(np.int64),
            "response": frame["response"].to_numpy(dtype=float),
        })
    except ValueError as error:
        raise RealDataError(f"{raw_path}: bottle, rating or response is not numeric "
                            f"({error})") from None
    for name, levels in _LEVELS.items():
        odd = sorted(set(converted[name]) - set(levels))
        if odd:
            raise RealDataError(f"{raw_path}: {name} holds {', '.join(odd)}; "
                                f"expected {' or '.join(levels)}")
    order = np.lexsort((converted["bottle"].to_numpy(), converted["judge"].astype(int)))
    return converted.iloc[order].reset_index(drop=True)


def load_wine(data_dir=None, cache=None):
    """Return the wine bitterness ratings, validated against their codebook.

    Parameters
    ----------
    data_dir : str or pathlib.Path, optional
        Local folder holding ``wine.rda`` (default: ``$TRUSTMODELS_DATA_DIR``; without it the
        file is downloaded once).
    cache : str or pathlib.Path, optional
        Cache folder for the download and the converted CSV (default:
        :func:`trustmodels.config.download_cache_dir`). When it cannot be written (with
        ``data_dir`` nothing needs to be downloaded), the CSV is converted in a temporary folder
        instead.

    Returns
    -------
    trustmodels.survey.table.Survey
        9 respondents (the judges) with 8 rows each (the bottles): ``.wide`` (72 rows, one per
        judge and bottle), ``.long`` (one row per rating, with ``bottle``, ``temp`` and
        ``contact``) and ``.codebook`` (construct ``bitterness`` measured by ``rating``; design
        ``temp`` x ``contact``, references ``cold`` and ``no``).

    Raises
    ------
    RealDataError
        The original file cannot be found, downloaded, verified or read (one line).

    Examples
    --------
    >>> survey = load_wine()  # doctest: +SKIP
    >>> survey.n_respondents, survey.n_rows  # doctest: +SKIP
    (9, 72)
    """
    raw = fetch_wine_raw(data_dir=data_dir, cache=cache)
    return load_converted(convert_wine(raw), WINE_CSV_NAME, WINE_CODEBOOK_PATH, cache)


def write_wine_csv(folder, data_dir=None, cache=None) -> Path:
    """Write the wine ratings as a CSV file into ``folder`` (as a user's own survey would be).

    Parameters
    ----------
    folder : str or pathlib.Path
        Where to write ``wine.csv`` (created if needed).
    data_dir, cache
        As in :func:`load_wine`.

    Returns
    -------
    pathlib.Path
        The written file: one row per judge and bottle, columns :data:`WINE_COLUMNS`.
    """
    frame = convert_wine(fetch_wine_raw(data_dir=data_dir, cache=cache))
    return write_csv(frame, Path(folder), WINE_CSV_NAME)

