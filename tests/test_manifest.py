import hashlib
import shutil
import subprocess

import pytest

from tests.conftest import PROJECT_DATA
from trustmodels.config import project_data_dir
from trustmodels.datasets.manifest import (
    ManifestError,
    sha256_of,
    verify_manifest,
    write_manifest,
)

A_CSV = b"id,x\nR1,1\n"
B_JSON = b'{"b": 2}\n'


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.csv").write_bytes(A_CSV)
    (tmp_path / "sub" / "b.json").write_bytes(B_JSON)
    return tmp_path


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_write_then_verify(folder):
    manifest = write_manifest(folder, ["sub/b.json", folder / "a.csv"])
    assert manifest == folder / "SHA256SUMS"
    assert manifest.read_text() == f"{digest(A_CSV)}  a.csv\n{digest(B_JSON)}  sub/b.json\n"
    assert verify_manifest(folder) == ["a.csv", "sub/b.json"]


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU sha256sum not installed")
def test_manifest_is_readable_by_sha256sum(folder):
    write_manifest(folder, ["a.csv", "sub/b.json"])
    result = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_changed_file_names_file_and_both_hashes(folder):
    write_manifest(folder, ["a.csv", "sub/b.json"])
    expected = sha256_of(folder / "a.csv")
    changed = b"id,x\nR1,2\n"
    (folder / "a.csv").write_bytes(changed)
    with pytest.raises(ManifestError) as caught:
        verify_manifest(folder)
    assert str(caught.value) == (
        f"a.csv: SHA-256 differs from SHA256SUMS (expected {expected}, actual "
        f"{digest(changed)}); the file changed since the manifest was written")


def test_missing_listed_file(folder):
    write_manifest(folder, ["a.csv", "sub/b.json"])
    expected = sha256_of(folder / "sub" / "b.json")
    (folder / "sub" / "b.json").unlink()
    with pytest.raises(ManifestError) as caught:
        verify_manifest(folder)
    assert caught.value.problems == [
        f"sub/b.json: listed in SHA256SUMS (expected SHA-256 {expected}) but missing from "
        f"{folder}"]


def test_every_problem_is_reported(folder):
    write_manifest(folder, ["a.csv", "sub/b.json"])
    (folder / "a.csv").write_bytes(b"changed\n")
    (folder / "sub" / "b.json").unlink()
    with pytest.raises(ManifestError) as caught:
        verify_manifest(folder)
    assert [line.split(":")[0] for line in caught.value.problems] == ["a.csv", "sub/b.json"]


def test_missing_manifest(folder):
    with pytest.raises(ManifestError, match="SHA256SUMS: checksum manifest not found"):
        verify_manifest(folder)


@pytest.mark.parametrize("line, expected", [
    ("abc  a.csv", "line 1: 'abc  a.csv' is not '<64 hex digits>  <path>'"),
    (f"{'0' * 64}  ../secret.txt", "line 1: path '../secret.txt' must be relative"),
    (f"{'0' * 64}  /etc/passwd", "line 1: path '/etc/passwd' must be relative"),
])
def test_malformed_manifest_lines(folder, line, expected):
    (folder / "SHA256SUMS").write_text(line + "\n")
    with pytest.raises(ManifestError) as caught:
        verify_manifest(folder)
    assert caught.value.problems[0].startswith("SHA256SUMS: " + expected)


def test_empty_manifest(folder):
    (folder / "SHA256SUMS").write_text("\n")
    with pytest.raises(ManifestError, match="lists no files"):
        verify_manifest(folder)


def test_binary_mode_lines_and_uppercase_hashes_are_accepted(folder):
    (folder / "SHA256SUMS").write_text(f"{sha256_of(folder / 'a.csv').upper()} *a.csv\n")
    assert verify_manifest(folder) == ["a.csv"]


def test_write_refuses_files_outside_the_folder(folder, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "x.csv"
    outside.write_text("x\n")
    with pytest.raises(ValueError, match="is not inside"):
        write_manifest(folder, [outside])
    with pytest.raises(ValueError, match="must not leave"):
        write_manifest(folder, ["../x.csv"])
    with pytest.raises(ValueError, match="at least one file"):
        write_manifest(folder, [])
    assert not (folder / "SHA256SUMS").exists()


def test_project_data_dir_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("TRUSTMODELS_PROJECT_DATA", raising=False)
    assert project_data_dir() == PROJECT_DATA
    monkeypatch.setenv("TRUSTMODELS_PROJECT_DATA", str(tmp_path))
    assert project_data_dir() == tmp_path


def test_committed_raw_data_match_their_manifest():
    listed = verify_manifest(PROJECT_DATA / "raw")
    assert "trust_repair_simulated.csv" in listed
