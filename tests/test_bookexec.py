"""Executing the book's notebooks side by side into Jupyter Book's execution cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache

from booktools import bookexec

CONFIG = "execute:\n  execute_notebooks: cache\n  cache: _build/.jupyter_cache\n  timeout: 120\n"


def _notebook(path: Path, *sources: str) -> Path:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    (tmp_path / "_config.yml").write_text(CONFIG)
    (tmp_path / "intro.md").write_text("# Intro\n")
    _notebook(tmp_path / "notebooks" / "a.ipynb",
              "from pathlib import Path\n_ = Path('written_here.txt').write_text('a')",
              "print(6 * 7)")
    _notebook(tmp_path / "notebooks" / "b.ipynb", "print('b' * 3)")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: Analyses\n    chapters:\n"
        "      - file: notebooks/a\n      - file: notebooks/b\n")
    return tmp_path


def _outputs(cache, path: Path) -> list[str]:
    _, merged = cache.merge_match_into_notebook(nbformat.read(path, as_version=4))
    return [output.get("text", "") for cell in merged.cells if cell.cell_type == "code"
            for output in cell.outputs]


def test_pending_notebooks_are_executed_in_their_folder_and_cached_for_the_build(book):
    lines: list[str] = []
    assert bookexec.execute_pending(book, workers=2, log=lines.append) == []
    cache = get_cache(book / "_build" / ".jupyter_cache")
    assert _outputs(cache, book / "notebooks" / "a.ipynb") == ["42\n"]
    assert _outputs(cache, book / "notebooks" / "b.ipynb") == ["bbb\n"]
    assert (book / "notebooks" / "written_here.txt").read_text() == "a"
    assert any("notebooks/a.ipynb executed in" in line for line in lines)
    # nothing is pending any more: a second call executes nothing
    again: list[str] = []
    assert bookexec.execute_pending(book, workers=2, log=again.append) == []
    assert again == []


def test_a_changed_code_cell_is_executed_again_and_a_prose_edit_is_not(book):
    bookexec.execute_pending(book, workers=1, log=lambda line: None)
    path = book / "notebooks" / "b.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("Prose only."))
    nbformat.write(notebook, path)
    cache = get_cache(book / "_build" / ".jupyter_cache")
    assert bookexec.pending_notebooks([path], cache) == []
    notebook.cells[0].source = "print('c' * 2)"
    nbformat.write(notebook, path)
    assert bookexec.pending_notebooks([path], cache) == [path]
    bookexec.execute_pending(book, workers=1, log=lambda line: None)
    assert _outputs(cache, path) == ["cc\n"]


def test_a_failing_notebook_is_reported_with_its_traceback_and_not_cached(book):
    failing = _notebook(book / "notebooks" / "a.ipynb", "raise RuntimeError('fit failed the gate')")
    lines: list[str] = []
    failures = bookexec.execute_pending(book, workers=2, log=lines.append)
    assert [Path(f.path).name for f in failures] == ["a.ipynb"]
    assert "fit failed the gate" in failures[0].error
    assert any("notebooks/a.ipynb FAILED" in line and "RuntimeError" in line for line in lines)
    cache = get_cache(book / "_build" / ".jupyter_cache")
    assert bookexec.pending_notebooks([failing], cache) == [failing]


def test_the_longest_notebooks_start_first_and_the_rest_keep_their_order(tmp_path):
    names = ["01_data", "02_classical", "05_model_checks", "07_privacy_real_data"]
    paths = [tmp_path / "notebooks" / f"{name}.ipynb" for name in names]
    assert [p.stem for p in bookexec.schedule(paths, tmp_path)] == [
        "07_privacy_real_data", "05_model_checks", "01_data", "02_classical"]


def test_every_notebook_of_the_book_is_found_and_scheduled():
    root = Path(__file__).resolve().parents[1]
    found = bookexec.toc_notebooks(root)
    assert sorted(found) == sorted((root / "notebooks").glob("*.ipynb"))
    listed = [root / f"{name}.ipynb" for name in bookexec.LONGEST_FIRST]
    assert all(path in found for path in listed)


@pytest.mark.parametrize("value", ["0", "two", "-1", ""])
def test_a_bad_worker_count_is_a_one_line_error(monkeypatch, value):
    monkeypatch.setenv(bookexec.WORKERS_ENV, value)
    with pytest.raises(ValueError, match="TRUSTMODELS_BOOK_WORKERS") as error:
        bookexec.workers_from_environment()
    assert "\n" not in str(error.value)


def test_jupyter_book_uses_the_executions_and_executes_nothing_itself(book):
    # the point of the exercise: if Jupyter Book did not find them, it would run every notebook
    # a second time, one after the other
    bookexec.execute_pending(book, workers=2, log=lambda line: None)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    # from the book's folder, as make book runs it: myst-nb resolves execute.cache against the
    # working directory
    result = subprocess.run([str(jupyter_book), "build", str(book)], cwd=book,
                            capture_output=True, text=True, check=False)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert log.count("Using cached notebook") == 2, log
    assert "Executing notebook" not in log, log
    assert "42" in (book / "_build" / "html" / "notebooks" / "a.html").read_text()


def test_a_glued_figure_is_stored_as_a_sharp_image_whatever_the_shell_backend(tmp_path,
                                                                             monkeypatch):
    # the site once shipped with "<Figure size ...>" text instead of every figure: the shell's
    # MPLBACKEND=Agg reached the kernels, and glue then stores only the text repr
    monkeypatch.setenv("MPLBACKEND", "Agg")
    (tmp_path / "_config.yml").write_text(CONFIG)
    (tmp_path / "intro.md").write_text("# Intro\n")
    path = _notebook(tmp_path / "notebooks" / "fig.ipynb",
                     "import matplotlib.pyplot as plt\nfrom myst_nb import glue\n"
                     "fig, ax = plt.subplots(figsize=(4, 3), dpi=100)\nax.plot([1, 2, 3])\n"
                     "glue('fig_line', fig, display=False)\nplt.close(fig)")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: A\n    chapters:\n"
        "      - file: notebooks/fig\n")
    assert bookexec.execute_pending(tmp_path, workers=1, log=lambda line: None) == []
    cache = get_cache(tmp_path / "_build" / ".jupyter_cache")
    _, merged = cache.merge_match_into_notebook(nbformat.read(path, as_version=4))
    (output,) = merged.cells[0].outputs
    png = "application/papermill.record/image/png"
    assert png in output["data"], f"the glued figure has no image: {list(output['data'])}"
    # retina: the PNG has twice the pixels of the size it is shown at
    import base64
    import struct

    width = struct.unpack(">I", base64.b64decode(output["data"][png])[16:20])[0]
    shown = output["metadata"]["image/png"]["width"]
    assert width >= 2 * shown - 2, (width, shown)


def test_the_colophon_lists_each_executed_notebook_with_its_time(book):
    from booktools.colophon import execution_times

    bookexec.execute_pending(book, workers=2, log=lambda line: None)
    times = dict(execution_times(book / "_build" / ".jupyter_cache", book))
    assert set(times) == {"notebooks/a", "notebooks/b"}
    assert all(value.endswith(" s") for value in times.values())


def _sleeping_book(root: Path) -> Path:
    """A two-notebook book whose notebooks record their kernel's pid and then sleep."""
    from booktools import mathjax_assets

    (root / "_config.yml").write_text(CONFIG.replace("timeout: 120", "timeout: 600"))
    (root / "intro.md").write_text("# Intro\n")
    for name in ("a", "b"):
        _notebook(root / "notebooks" / f"{name}.ipynb",
                  f"import os, time\nopen('kernel_{name}.pid', 'w').write(str(os.getpid()))\n"
                  "time.sleep(300)")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: A\n    chapters:\n"
        "      - file: notebooks/a\n      - file: notebooks/b\n")
    site = root / mathjax_assets.SITE_DIR  # an offline MathJax copy, so nothing is fetched
    site.mkdir(parents=True)
    (site / ".version").write_text(mathjax_assets.MATHJAX_SHA256 + "\n")
    return root


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_make_book_stops_within_seconds_and_leaves_no_kernel_behind(tmp_path, signal_name):
    # Ctrl-C three times did not end make book; SIGTERM left workers and a kernel running
    import signal
    import time

    root = _sleeping_book(tmp_path)
    process = subprocess.Popen([sys.executable, "-m", "booktools.bookbuild"], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**__import__("os").environ,
                                    "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
                                    "TRUSTMODELS_BOOK_WORKERS": "2"},
                               # a background job of a non-interactive shell (a CI runner)
                               # inherits an ignored SIGINT; Ctrl-C at a terminal is not ignored
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    pids = [root / "notebooks" / f"kernel_{name}.pid" for name in ("a", "b")]
    deadline = time.monotonic() + 120
    while not all(path.is_file() and path.read_text() for path in pids):
        assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
        time.sleep(0.5)
    kernels = [int(path.read_text()) for path in pids]
    stopped = time.monotonic()
    process.send_signal(getattr(signal, signal_name))
    output, _ = process.communicate(timeout=30)
    assert time.monotonic() - stopped < 20, output
    assert process.returncode != 0
    assert "make book: interrupted; no notebook had finished" in output, output
    time.sleep(2)
    assert [pid for pid in kernels if _alive(pid)] == [], "kernels left running"
    assert get_cache(root / "_build" / ".jupyter_cache").list_cache_records() == []


def test_a_second_make_book_in_the_same_folder_refuses_in_one_line(tmp_path, monkeypatch,
                                                                   capsys):
    import fcntl

    from booktools import bookbuild

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(bookbuild, "ensure_mathjax", lambda root: root)
    (tmp_path / "_build").mkdir()
    with open(tmp_path / "_build" / ".make-book.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a first build is running
        assert bookbuild.main([]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "another make book" in error


def test_the_downloadable_notebook_is_the_executed_one(book):
    from booktools.bookbuild import publish_executed_notebooks

    bookexec.execute_pending(book, workers=2, log=lambda line: None)
    source = book / "_build" / "html" / "_sources" / "notebooks" / "a.ipynb"
    source.parent.mkdir(parents=True)
    source.write_text((book / "notebooks" / "a.ipynb").read_text())  # as Sphinx copies it
    assert publish_executed_notebooks(book / "_build", book) == [source]
    outputs = [o for c in nbformat.read(source, as_version=4).cells for o in c.outputs]
    assert [o.get("text") for o in outputs] == ["42\n"]
