"""The wheel built from ``pyproject.toml`` carries the science only, no book-build code.

The book's machinery (``booktools/``: the build, notebook execution, the Sphinx extension) lives
beside the package, so ``pip install trustmodels`` must not ship it, and no installed module may
import it or the website's libraries. The second test builds a wheel from a copy of the project
that also packages ``booktools`` and shows that the check fails on it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import trustmodels

ROOT = Path(__file__).resolve().parents[1]
#: Imports that belong to the website, never to the installed package.
WEBSITE_IMPORTS = re.compile(r"^\s*(?:import|from)\s+(booktools|myst_nb|sphinx|jupyter_book)\b",
                             re.MULTILINE)


def _uv() -> str:
    uv = Path(sys.executable).parent / "uv"
    found = str(uv) if uv.exists() else shutil.which("uv")
    assert found, "uv is not installed beside this Python (make venv installs it)"
    return found


def _build_wheel(source: Path, out: Path) -> Path:
    subprocess.run([_uv(), "build", "--wheel", "--out-dir", str(out), str(source)], check=True,
                   capture_output=True, text=True)
    (wheel,) = out.glob("*.whl")
    return wheel


def website_code_in(wheel: Path) -> list[str]:
    """Return the wheel's entries that are book-build code or import the website's libraries."""
    found = []
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            top = name.split("/")[0]
            if top not in ("trustmodels", f"trustmodels-{trustmodels.__version__}.dist-info"):
                found.append(name)
            elif name.endswith(".py") and WEBSITE_IMPORTS.search(archive.read(name).decode()):
                found.append(name)
    return found


def _copy_project(target: Path) -> Path:
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(
        ".venv", ".git", "_build", "build", "dist", ".cache", "data", "notebooks",
        "node_modules", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache"))
    return target


def test_the_wheel_holds_the_package_and_no_book_build_code(tmp_path):
    wheel = _build_wheel(_copy_project(tmp_path / "project"), tmp_path / "dist")
    assert website_code_in(wheel) == []
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "trustmodels/__init__.py" in names and "trustmodels/design.py" in names


def test_the_check_finds_book_build_code_in_a_wheel_that_ships_it(tmp_path):
    project = _copy_project(tmp_path / "project")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert 'packages = ["trustmodels"]' in text
    pyproject.write_text(text.replace('packages = ["trustmodels"]',
                                      'packages = ["trustmodels", "booktools"]'),
                         encoding="utf-8")
    wheel = _build_wheel(project, tmp_path / "dist")
    found = website_code_in(wheel)
    assert any(name.startswith("booktools/") for name in found)


@pytest.mark.parametrize("line", ["import myst_nb", "from sphinx.util import logging",
                                  "    from booktools import bookbuild"])
def test_an_installed_module_that_imports_the_website_is_found(tmp_path, line):
    wheel = tmp_path / f"trustmodels-{trustmodels.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("trustmodels/plots/page.py", f"{line}\n")
        archive.writestr("trustmodels/__init__.py", "import numpy\n")
    assert website_code_in(wheel) == ["trustmodels/plots/page.py"]
