"""The book build driver: cache fingerprint, cache invalidation and the offline MathJax copy."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from booktools import bookbuild, mathjax_assets

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A minimal project tree with package, data, book prose and a notebook."""
    (tmp_path / "trustmodels").mkdir()
    (tmp_path / "trustmodels" / "models.py").write_text("SCALE = 1.0\n")
    (tmp_path / "booktools").mkdir()
    (tmp_path / "booktools" / "sphinxext.py").write_text("# book only\n")
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "survey.csv").write_text("id,y\nR1,3\n")
    (tmp_path / "data" / "datapackage.json").write_text('{"resources": []}\n')
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    return tmp_path


def test_fingerprint_changes_when_package_code_changes(project):
    before = bookbuild.fingerprint(project)
    (project / "trustmodels" / "models.py").write_text("SCALE = 2.0\n")
    assert bookbuild.fingerprint(project) != before


def test_fingerprint_changes_when_data_change(project):
    before = bookbuild.fingerprint(project)
    (project / "data" / "raw" / "survey.csv").write_text("id,y\nR1,4\n")
    assert bookbuild.fingerprint(project) != before


def test_fingerprint_changes_when_a_data_file_is_added(project):
    before = bookbuild.fingerprint(project)
    (project / "data" / "derived").mkdir()
    (project / "data" / "derived" / "summary.csv").write_text("a\n1\n")
    assert bookbuild.fingerprint(project) != before


def test_fingerprint_changes_when_the_pinned_libraries_change(project):
    (project / "requirements").mkdir()
    (project / "requirements" / "lock.txt").write_text("pymc==6.4.0\n")
    before = bookbuild.fingerprint(project)
    (project / "requirements" / "lock.txt").write_text("pymc==6.4.1\n")
    assert bookbuild.fingerprint(project) != before


def test_fingerprint_ignores_book_prose(project):
    before = bookbuild.fingerprint(project)
    (project / "book" / "intro.md").write_text("# Introduction, rewritten\n")
    (project / "book" / "limitations.md").write_text("# Limitations\n")
    assert bookbuild.fingerprint(project) == before


def test_fingerprint_ignores_the_build_machinery(project):
    before = bookbuild.fingerprint(project)
    (project / "booktools" / "sphinxext.py").write_text("# book only, edited\n")
    assert bookbuild.fingerprint(project) == before


def test_fingerprint_ignores_bytecode_caches(project):
    before = bookbuild.fingerprint(project)
    (project / "trustmodels" / "__pycache__").mkdir()
    (project / "trustmodels" / "__pycache__" / "models.cpython-312.pyc").write_bytes(b"\0")
    assert bookbuild.fingerprint(project) == before


def test_no_notebook_imports_the_build_machinery():
    # editing booktools/ does not re-execute the notebooks, so they must not depend on it
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        assert "booktools" not in notebook.read_text(encoding="utf-8"), notebook.name


def test_the_package_holds_no_website_machinery():
    # pip install trustmodels carries science only: no module of the package imports the
    # website's build tools (Sphinx, docutils, Jupyter Book, its execution cache, booktools).
    # nbclient and nbconvert are allowed: `trustmodels report` executes and exports a notebook.
    import ast

    forbidden = {"sphinx", "docutils", "jupyter_book", "jupyter_cache", "myst_nb", "booktools"}
    offenders = []
    for path in (ROOT / "trustmodels").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {name}" for name in names
                          if name.split(".")[0] in forbidden]
    assert offenders == []


def _fake_run(returncode: int, calls: list):
    def run(command, check=False):
        calls.append(command)
        return subprocess.CompletedProcess(command, returncode)
    return run


def test_main_drops_a_stale_execution_cache_and_records_the_fingerprint(project, monkeypatch):
    cache = project / "_build" / ".jupyter_cache"
    cache.mkdir(parents=True)
    (cache / "executed.db").write_text("old")
    (project / "_build" / ".trustmodels-fingerprint").write_text("stale")
    calls: list = []
    monkeypatch.chdir(project)
    monkeypatch.setattr(bookbuild, "ensure_mathjax", lambda root: root)
    monkeypatch.setattr(bookbuild.subprocess, "run", _fake_run(0, calls))
    assert bookbuild.main([]) == 0
    assert not cache.exists()
    assert (project / "_build" / ".trustmodels-fingerprint").read_text() == \
        bookbuild.fingerprint(project)
    assert calls[0][1:] == ["build", str(project), "-W", "-n", "--keep-going", "--all"]


def test_main_reuses_everything_when_nothing_the_notebooks_use_changed(project, monkeypatch):
    cache = project / "_build" / ".jupyter_cache"
    cache.mkdir(parents=True)
    (project / "_build" / ".trustmodels-fingerprint").write_text(bookbuild.fingerprint(project))
    (project / "book" / "intro.md").write_text("# A prose edit\n")
    calls: list = []
    monkeypatch.chdir(project)
    monkeypatch.setattr(bookbuild, "ensure_mathjax", lambda root: root)
    monkeypatch.setattr(bookbuild.subprocess, "run", _fake_run(0, calls))
    assert bookbuild.main([]) == 0
    assert cache.exists()
    assert "--all" not in calls[0]


def test_main_keeps_a_current_cache_and_keeps_the_old_stamp_after_a_failed_build(project,
                                                                                  monkeypatch):
    cache = project / "_build" / ".jupyter_cache"
    cache.mkdir(parents=True)
    stamp = project / "_build" / ".trustmodels-fingerprint"
    stamp.write_text(bookbuild.fingerprint(project))
    monkeypatch.chdir(project)
    monkeypatch.setattr(bookbuild, "ensure_mathjax", lambda root: root)
    monkeypatch.setattr(bookbuild.subprocess, "run", _fake_run(2, []))
    (project / "book" / "intro.md").write_text("# Prose edit\n")
    assert bookbuild.main([]) == 2
    assert cache.exists()
    (project / "trustmodels" / "models.py").write_text("SCALE = 3.0\n")
    assert bookbuild.main([]) == 2
    assert stamp.read_text() != bookbuild.fingerprint(project)


def test_main_reports_missing_npm_in_one_line(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    monkeypatch.setattr(mathjax_assets.shutil, "which", lambda name: None)
    monkeypatch.setattr(bookbuild.subprocess, "run", _fake_run(0, []))
    assert bookbuild.main([]) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "npm not found" in error


def _tarball(path: Path, members: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_install_from_tarball_keeps_only_the_browser_files_needed(tmp_path):
    tarball = tmp_path / "mathjax.tgz"
    digest = _tarball(tarball, {
        "package/LICENSE": b"Apache",
        "package/es5/tex-chtml.js": b"/* mathjax */",
        "package/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff": b"font",
        "package/es5/input/tex/extensions/ams.js": b"/* ams */",
        "package/es5/tex-svg-full.js": b"/* not needed */",
        "package/ts/core.ts": b"// sources are not needed",
    })
    site = mathjax_assets.install_from_tarball(tarball, tmp_path / "site" / "mathjax", digest)
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert files == [".version", "LICENSE", "input/tex/extensions/ams.js",
                     "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff", "tex-chtml.js"]


def test_install_from_tarball_rejects_a_wrong_hash(tmp_path):
    tarball = tmp_path / "mathjax.tgz"
    _tarball(tarball, {"package/es5/tex-chtml.js": b"x"})
    with pytest.raises(mathjax_assets.MathJaxError, match="sha256"):
        mathjax_assets.install_from_tarball(tarball, tmp_path / "site", "0" * 64)


def test_install_from_tarball_rejects_a_package_without_the_entry_point(tmp_path):
    tarball = tmp_path / "other.tgz"
    digest = _tarball(tarball, {"package/index.js": b"x"})
    with pytest.raises(mathjax_assets.MathJaxError, match="tex-chtml.js"):
        mathjax_assets.install_from_tarball(tarball, tmp_path / "site", digest)


def test_ensure_mathjax_reuses_an_installed_copy_without_npm(tmp_path, monkeypatch):
    site = tmp_path / mathjax_assets.SITE_DIR
    site.mkdir(parents=True)
    (site / ".version").write_text(mathjax_assets.MATHJAX_SHA256 + "\n")
    monkeypatch.setattr(mathjax_assets.shutil, "which", lambda name: None)
    assert mathjax_assets.ensure_mathjax(tmp_path) == site


def test_config_serves_mathjax_from_the_site():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    extra = config["html_extra_path"]
    assert extra == [mathjax_assets.SITE_DIR.parent.as_posix()]
    assert "://" not in config["mathjax_path"]
    assert config["mathjax_path"].endswith(f"{mathjax_assets.SITE_DIR.name}/tex-chtml.js")


def test_publishing_workflow_builds_with_make_book_and_deploys_the_site():
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    build = workflow["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in build]
    uses = [step.get("uses", "") for step in build]
    assert any(run.startswith("make book") for run in runs)
    # GitHub runs what the local CI runs: the README's test command after the book, and ruff
    local = (ROOT / ".ci" / "run").read_text()
    assert "make book" in local and "make test" in local
    assert [run.split()[:2] for run in runs if run.startswith("make ")] == [
        ["make", "book"], ["make", "test"]]
    assert any("ruff check" in run for run in runs)
    assert workflow["jobs"]["build"]["timeout-minutes"] >= 90  # a cold build fits
    python = next(s for s in build if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.12"
    assert any(u.startswith("actions/setup-node") for u in uses)
    cache = next(s for s in build if s.get("uses", "").startswith("actions/cache"))
    for path in ("_build/.jupyter_cache", ".cache/fits"):
        assert path in cache["with"]["path"].split()
    for keyed in ("requirements/lock.txt", "trustmodels/", "data/"):
        assert keyed in cache["with"]["key"]
    upload = next(s for s in build if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"]["path"] == "_build/html"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages")
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}


def test_missing_real_data_stops_the_build_before_any_notebook_runs(project, monkeypatch,
                                                                    capsys, tmp_path_factory):
    # tried as a new user would: without network and without the data setting, the build
    # executed the other chapters for an hour before the real-data chapter failed
    from trustmodels.datasets import realdata

    (project / "notebooks").mkdir()
    (project / "notebooks" / "real.ipynb").write_text(
        '{"cells": [{"cell_type": "code", "source": "load_lancelot_miltgen()"}]}')
    (project / "_toc.yml").write_text("root: book/intro\nchapters:\n- file: notebooks/real\n")
    empty = tmp_path_factory.mktemp("no-data")
    monkeypatch.setenv(realdata.DATA_DIR_ENV, str(empty))
    monkeypatch.chdir(project)
    monkeypatch.setattr(bookbuild, "ensure_mathjax", lambda root: root)
    executed: list = []
    monkeypatch.setattr(bookbuild, "execute_pending",
                        lambda root, workers: executed.append(root) or [])
    assert bookbuild.main([]) == 1
    assert executed == []
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "LancelotMiltgenetal2016.RData not found" in error
