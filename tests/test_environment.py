"""The conda environment (Binder) agrees with the pinned lock the Makefile installs."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "requirements"))
import make_environment  # noqa: E402

SCANNED = ("trustmodels", "tests", "benchmarks", "notebooks", "requirements")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_modules() -> set[str]:
    modules: set[str] = set()
    sources: list[str] = []
    for folder in SCANNED:
        for path in (ROOT / folder).rglob("*.py"):
            sources.append(path.read_text())
        for path in (ROOT / folder).rglob("*.ipynb"):
            cells = json.loads(path.read_text())["cells"]
            sources.extend(
                "".join(c["source"]) for c in cells if c["cell_type"] == "code"
            )
    for source in sources:
        cleaned = "\n".join(line for line in source.splitlines() if not line.startswith(("%", "!")))
        for node in ast.walk(ast.parse(cleaned)):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules


def _imported_distributions() -> set[str]:
    mapping = importlib.metadata.packages_distributions()
    local = {"trustmodels", "make_environment", "conftest"}
    found = set()
    for module in _imported_modules() - set(sys.stdlib_module_names) - local:
        for dist in mapping.get(module, []):
            found.add(_normalize(dist))
    return found


def _environment_pins() -> dict[str, str]:
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for entry in spec["dependencies"]:
        entries = entry["pip"] if isinstance(entry, dict) else [entry]
        for item in entries:
            match = re.match(r"^([A-Za-z0-9_.\-]+)\s*==?\s*([^\s]+)$", item)
            if match:
                pins[_normalize(match.group(1))] = match.group(2)
    return pins


def test_environment_file_is_generated_from_the_lock():
    pins = make_environment.lock_versions(ROOT / "requirements" / "lock.txt")
    names = make_environment.direct_dependencies(ROOT / "pyproject.toml")
    assert (ROOT / "environment.yml").read_text() == make_environment.render(pins, names), (
        "environment.yml is stale: run python requirements/make_environment.py"
    )


def test_every_imported_package_has_the_lock_version_in_environment_yml():
    lock = {_normalize(k): v for k, v in make_environment.lock_versions(
        ROOT / "requirements" / "lock.txt").items()}
    env = _environment_pins()
    imported = _imported_distributions()
    assert {"pymc", "arviz", "pandas"} <= imported  # the scan sees the project's imports
    problems = []
    for dist in sorted(imported):
        if dist not in lock:
            problems.append(f"{dist}: imported but not in requirements/lock.txt")
        elif dist not in env:
            problems.append(f"{dist}: imported but not pinned in environment.yml "
                            "(declare it in pyproject.toml, then make lock)")
        elif env[dist] != lock[dist]:
            problems.append(f"{dist}: environment.yml {env[dist]} != lock {lock[dist]}")
    assert not problems, "\n".join(problems)


def test_environment_uses_python_312_from_conda_forge():
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert spec["channels"][0] == "conda-forge"
    assert "python=3.12" in spec["dependencies"]
    assert (ROOT / ".python-version").read_text().strip() == "3.12"


def test_a_python_that_does_not_run_is_one_line_from_make(tmp_path):
    # a missing .python-version gave pyenv's 7-line message and make's "Error 127"
    import subprocess

    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(["make", "-s", "-C", str(root), "check-python",
                             f"PYTHON={tmp_path / 'python3.12'}"],
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    ours = [line for line in result.stderr.splitlines() if not line.startswith("make")]
    assert len(ours) == 1 and "trustmodels needs Python 3.12" in ours[0], result.stderr
