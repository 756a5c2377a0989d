"""Shared fixtures: a hand-made mini survey (tests/fixtures/) and helpers to write variants."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
MINI_CODEBOOK = FIXTURES / "mini_datapackage.json"
MINI_CSV = FIXTURES / "mini_survey.csv"
MINI_PROBLEMS_CSV = FIXTURES / "mini_survey_problems.csv"
PROJECT_DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def mini_codebook_path() -> Path:
    """The mini survey's codebook (Data Package v2), 8 respondents, 5 Likert items."""
    return MINI_CODEBOOK


@pytest.fixture
def mini_csv_path() -> Path:
    """The valid mini survey file."""
    return MINI_CSV


@pytest.fixture
def mini_codebook_dict() -> dict:
    """A fresh, mutable copy of the mini codebook as a dict."""
    return copy.deepcopy(json.loads(MINI_CODEBOOK.read_text(encoding="utf-8")))


@pytest.fixture
def mini_csv_text() -> str:
    """The valid mini survey file as text (header + 8 rows)."""
    return MINI_CSV.read_text(encoding="utf-8")


@pytest.fixture
def mini_survey():
    """The mini survey, loaded and validated."""
    from trustmodels.survey.table import load_survey

    return load_survey(MINI_CSV, MINI_CODEBOOK)


@pytest.fixture
def write_survey(tmp_path, mini_codebook_dict, mini_csv_text):
    """Write a codebook and a CSV file into a fresh folder; returns (csv_path, codebook_path).

    ``write_survey(csv=..., codebook=...)``: ``csv`` is text or bytes (default the valid mini
    file), ``codebook`` a dict (default the mini codebook) or text written as is.
    """

    def write(csv=None, codebook=None, csv_name="survey.csv", codebook_name="datapackage.json"):
        csv = mini_csv_text if csv is None else csv
        codebook = mini_codebook_dict if codebook is None else codebook
        csv_path = tmp_path / csv_name
        if isinstance(csv, bytes):
            csv_path.write_bytes(csv)
        else:
            csv_path.write_text(csv, encoding="utf-8", newline="")
        codebook_path = tmp_path / codebook_name
        text = codebook if isinstance(codebook, str) else json.dumps(codebook, indent=2)
        codebook_path.write_text(text, encoding="utf-8")
        return csv_path, codebook_path

    return write


@pytest.fixture
def profile_codebook():
    """A codebook maker: vignettes rated per respondent, one factor, the given ``groups``."""
    from trustmodels.survey.codebook import Codebook

    def codebook_with(groups):
        likert = [1, 2, 3, 4, 5]
        return Codebook.from_dict({"name": "profiles", "resources": [{
            "name": "profiles", "path": "profiles.csv",
            "schema": {"fields": [
                {"name": "id", "type": "string"},
                {"name": "vignette", "type": "string"},
                {"name": "profile", "type": "string"},
                {"name": "reaction", "type": "string", "categories": ["silence", "excuse"]},
                {"name": "q1", "type": "integer", "categories": likert}],
                "missingValues": [""]},
            "trustmodels": {"id": "id", "vignette": "vignette", "design": ["reaction"],
                            "groups": groups, "constructs": {"trust": ["q1"]}}}]},
            source="profiles.json")

    return codebook_with
