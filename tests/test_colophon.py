"""Build facts shown in the colophon."""

from __future__ import annotations

import re
import subprocess
from importlib import metadata
from pathlib import Path

from booktools import colophon
from trustmodels import __version__

ROOT = Path(__file__).resolve().parents[1]


def test_package_versions_match_the_installed_distributions():
    versions = colophon.package_versions()
    assert list(versions) == list(colophon.KEY_PACKAGES)
    assert versions["trustmodels"] == __version__
    assert versions["pymc"] == metadata.version("pymc")


def test_package_versions_are_reproducible_between_calls():
    assert colophon.package_versions() == colophon.package_versions()


def test_git_commit_names_the_checked_out_commit():
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    commit = colophon.git_commit(ROOT)
    assert re.fullmatch(r"[0-9a-f]{12}(-dirty)?", commit)
    assert head.startswith(commit.removesuffix("-dirty"))


def test_build_date_honours_source_date_epoch():
    assert colophon.build_date({"SOURCE_DATE_EPOCH": "1700000000"}) == "2023-11-14"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", colophon.build_date({}))


def test_file_digest_of_the_lock_is_stable():
    lock = ROOT / "requirements" / "lock.txt"
    assert colophon.file_digest(lock) == colophon.file_digest(lock)
    assert re.fullmatch(r"[0-9a-f]{12}", colophon.file_digest(lock))
