"""Settings that follow the machine: the cores of a fit and the notebooks executed at once."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from booktools import bookexec
from trustmodels import config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def eight_cores(monkeypatch):
    """A machine on which this process may use 8 CPUs."""
    monkeypatch.delenv(config.CORES_ENV, raising=False)
    monkeypatch.delenv(bookexec.WORKERS_ENV, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)


def test_fits_and_the_book_follow_the_machine(eight_cores):
    assert config.machine_cores() == 8
    assert config.fit_cores(chains=4) == 4  # never more cores than chains
    assert config.fit_cores() == 8
    assert bookexec.workers_from_environment() == 4


def test_one_setting_overrides_the_machine(eight_cores, monkeypatch):
    monkeypatch.setenv(config.CORES_ENV, "3")
    monkeypatch.setenv(bookexec.WORKERS_ENV, "1")
    assert config.fit_cores(chains=4) == 3
    assert bookexec.workers_from_environment() == 1


@pytest.mark.parametrize("value", ["0", "two", "-1", ""])
def test_a_bad_core_count_is_a_one_line_error(monkeypatch, value):
    monkeypatch.setenv(config.CORES_ENV, value)
    with pytest.raises(ValueError, match="TRUSTMODELS_CORES") as error:
        config.fit_cores(chains=4)
    assert "\n" not in str(error.value)


def test_a_fit_without_cores_uses_the_machine(eight_cores, monkeypatch):
    import pymc as pm

    from trustmodels.inference import sampling

    asked = {}

    def fake_sample(model, **kwargs):
        asked.update(kwargs)
        raise RuntimeError("stop here")

    monkeypatch.setattr(sampling, "_sample", fake_sample)
    with pytest.raises(RuntimeError, match="stop here"):
        sampling.fit(pm.Model(), chains=2, check_vars=[])
    assert asked["cores"] == 2
    monkeypatch.setenv(config.CORES_ENV, "1")
    with pytest.raises(RuntimeError, match="stop here"):
        sampling.fit(pm.Model(), chains=4, check_vars=[])
    assert asked["cores"] == 1


def _code(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")),
                         ids=lambda path: path.stem)
def test_no_notebook_hard_codes_a_core_or_worker_count(notebook):
    fixed = re.findall(r"\b(?:cores|workers|n_jobs)\s*=\s*\d+|^\w*(?:CORES|WORKERS)\w*\s*=\s*\d+",
                       _code(notebook), flags=re.M)
    assert fixed == [], f"{notebook.name}: {fixed}"


def test_importing_the_sampler_changes_no_environment_and_fit_asks_for_devices():
    import subprocess
    import sys

    code = ("import os; os.environ.pop('XLA_FLAGS', None); "
            "import trustmodels.inference.sampling; print(os.environ.get('XLA_FLAGS'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "None"
    import inspect

    from trustmodels.inference import sampling

    assert "use_host_devices()" in inspect.getsource(sampling.fit)
