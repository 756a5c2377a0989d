"""Citation metadata: CITATION.cff is valid, single-sourced and .zenodo.json follows it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from booktools import citation
from trustmodels import __version__

ROOT = Path(__file__).resolve().parents[1]
CFFCONVERT = Path(sys.executable).with_name("cffconvert")


def _validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CFFCONVERT), "--validate", "-i", str(path)], capture_output=True,
                          text=True, check=False)


def test_citation_cff_is_valid_according_to_cffconvert():
    result = _validate(ROOT / "CITATION.cff")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout


@pytest.mark.parametrize("edit", [
    ('date-released: "', 'date-released: "not a date '),
    ("license: MIT", "license: not-an-spdx-id"),
    ("authors:", "contributors:"),
], ids=["date", "licence", "no-authors"])
def test_the_validator_rejects_an_invalid_citation_file(edit):
    from cffconvert import Citation
    from jsonschema.exceptions import ValidationError

    text = (ROOT / "CITATION.cff").read_text()
    assert edit[0] in text
    with pytest.raises(ValidationError):
        Citation(text.replace(edit[0], edit[1])).validate()


def test_citation_version_is_the_package_version():
    assert citation.read_cff(ROOT / "CITATION.cff")["version"] == __version__


def test_citation_has_the_required_release_metadata():
    cff = citation.read_cff(ROOT / "CITATION.cff")
    assert cff["cff-version"] == "1.2.0"
    assert cff["license"] == "MIT"
    assert "CC-BY-4.0" in cff["abstract"]
    # one setting: the repository of _config.yml (booktools.citation copies it)
    assert cff["repository-code"] == citation.repository_url(ROOT)
    assert cff["authors"]


def test_zenodo_json_is_generated_from_the_committed_citation_file():
    committed = (ROOT / ".zenodo.json").read_text(encoding="utf-8")
    regenerated = citation.zenodo_json((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert committed == regenerated
    assert json.loads(committed)["version"] == __version__


def test_check_reports_nothing_stale_in_the_repository():
    assert citation.sync(ROOT, check=True) == []


def test_sync_repairs_a_stale_version_and_zenodo_file(tmp_path):
    for name in ("CITATION.cff", ".zenodo.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    stale = citation.with_version((tmp_path / "CITATION.cff").read_text(), "0.0.0-old")
    (tmp_path / "CITATION.cff").write_text(stale)
    (tmp_path / ".zenodo.json").write_text("{}\n")
    assert len(citation.sync(tmp_path, check=True)) == 2
    assert (tmp_path / "CITATION.cff").read_text() == stale  # --check changed nothing
    citation.sync(tmp_path)
    assert citation.sync(tmp_path, check=True) == []
    assert citation.read_cff(tmp_path / "CITATION.cff")["version"] == __version__


def test_sync_sets_the_release_date_and_keeps_comments(tmp_path):
    for name in ("CITATION.cff", ".zenodo.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    citation.sync(tmp_path, date="2030-01-31")
    text = (tmp_path / "CITATION.cff").read_text()
    assert citation.read_cff(tmp_path / "CITATION.cff")["date-released"] == "2030-01-31"
    assert text.startswith("# Citation metadata")
    assert json.loads((tmp_path / ".zenodo.json").read_text())["publication_date"] == "2030-01-31"


def test_with_version_refuses_a_file_without_a_version_line():
    with pytest.raises(ValueError, match="version"):
        citation.with_version("title: x\n", "1.0.0")


def test_command_line_check_exits_nonzero_on_a_stale_file(tmp_path):
    for name in ("CITATION.cff", ".zenodo.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".zenodo.json").write_text("{}\n")
    result = subprocess.run([sys.executable, "-m", "booktools.citation", "--check", "--root",
                             str(tmp_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "stale: .zenodo.json: not generated from the current " \
        "CITATION.cff"


def test_apa_and_bibtex_name_the_version():
    cff = citation.read_cff(ROOT / "CITATION.cff")
    assert f"(Version {__version__})" in citation.apa_citation(cff)
    assert f"version = {{{__version__}}}" in citation.bibtex_citation(cff)


def test_changelog_has_an_entry_for_the_package_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog
    assert f"## [{__version__}]" in changelog


def test_sync_copies_the_repository_of_the_book_config(tmp_path):
    for name in ("CITATION.cff", ".zenodo.json", "_config.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    config = (tmp_path / "_config.yml").read_text()
    url = citation.repository_url(ROOT)
    (tmp_path / "_config.yml").write_text(config.replace(url, "https://github.com/fork/tm"))
    stale = citation.sync(tmp_path, check=True)
    assert [line.split(":")[0] for line in stale] == ["CITATION.cff"]
    citation.sync(tmp_path)
    cff = citation.read_cff(tmp_path / "CITATION.cff")
    assert cff["repository-code"] == "https://github.com/fork/tm"
    assert citation.sync(tmp_path, check=True) == []
