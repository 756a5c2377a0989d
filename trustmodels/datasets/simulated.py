"""The compendium's SIMULATED vignette survey and its known truth, loaded after their checksums.

Both loaders check ``raw/SHA256SUMS`` first (:func:`trustmodels.datasets.manifest.verify_manifest`),
so a changed raw byte stops the analysis with one line naming the file. Nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from trustmodels.config import project_data_dir
from trustmodels.datasets.manifest import ManifestError, verify_manifest
from trustmodels.survey.codebook import Codebook, CodebookError
from trustmodels.survey.table import Survey, load_survey

__all__ = ["SIMULATED_CODEBOOK", "TRUTH_FILE", "load_simulated_survey", "load_simulated_truth"]

#: The simulated survey's codebook, relative to the data folder.
SIMULATED_CODEBOOK = "datapackage.json"
#: Its true parameters, relative to the data folder.
TRUTH_FILE = "raw/trust_repair_simulated.truth.json"


def load_simulated_survey(data_dir=None, verify: bool = True) -> Survey:
    """Load the compendium's SIMULATED survey after checking its checksums.

    Reads ``datapackage.json`` in the data folder and the CSV file its resource names
    (``raw/trust_repair_simulated.csv``), after
    :func:`trustmodels.datasets.manifest.verify_manifest`
    has checked every file listed in ``raw/SHA256SUMS``. Nothing is written.

    Parameters
    ----------
    data_dir : str or pathlib.Path, optional
        The data folder; default :func:`trustmodels.config.project_data_dir`
        (``$TRUSTMODELS_PROJECT_DATA`` or ``data/`` of the repository).
    verify : bool
        Check the manifest first (keep True in analyses).

    Returns
    -------
    Survey

    Raises
    ------
    trustmodels.datasets.manifest.ManifestError
        When a raw file is missing, changed, or the data file is not listed in the manifest.
    """
    folder = Path(data_dir) if data_dir is not None else project_data_dir()
    codebook_path = folder / SIMULATED_CODEBOOK
    if not codebook_path.is_file():
        raise FileNotFoundError(f"{codebook_path}: not found; generate the simulated data with "
                                "`trustmodels simulate` (see data/README)")
    codebook = Codebook.from_file(codebook_path)
    if codebook.data_path is None:
        raise CodebookError(f"{codebook_path}: the resource has no \"path\"")
    if verify:
        raw = folder / "raw"
        listed = verify_manifest(raw)
        try:
            relative = codebook.data_path.resolve().relative_to(raw.resolve()).as_posix()
        except ValueError:
            relative = None
        if relative not in listed:
            raise ManifestError(f"{codebook.data_path.name}: not listed in {raw / 'SHA256SUMS'}; "
                                "expected every raw data file to have a checksum")
    return load_survey(None, codebook)


def load_simulated_truth(data_dir=None, verify: bool = True) -> dict:
    """Return the SIMULATED survey's true parameters after checking the raw checksums.

    Parameters
    ----------
    data_dir : str or pathlib.Path, optional
        The data folder; default :func:`trustmodels.config.project_data_dir`.
    verify : bool
        Check ``raw/SHA256SUMS`` first (keep True in analyses).

    Returns
    -------
    dict
        The truth file: ``parameters`` (true effects, thresholds, ...), ``calibration``, the
        simulation settings and the list of simulated careless respondents.

    Raises
    ------
    trustmodels.datasets.manifest.ManifestError
        When the truth file is missing, changed or not listed in the manifest.

    Examples
    --------
    >>> truth = load_simulated_truth()
    >>> truth["simulated"]
    True
    """
    folder = Path(data_dir) if data_dir is not None else project_data_dir()
    path = folder / TRUTH_FILE
    if verify:
        listed = verify_manifest(folder / "raw")
        if Path(TRUTH_FILE).name not in listed:
            raise ManifestError(f"{path.name}: not listed in {folder / 'raw' / 'SHA256SUMS'}; "
                                "expected every raw data file to have a checksum")
    return json.loads(path.read_text(encoding="utf-8"))
