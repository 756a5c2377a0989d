"""Build the book strictly, with an execution cache that also watches the package and the data.

Jupyter Book's cache is keyed on notebook code cells only. This driver stores a fingerprint of
``trustmodels/`` and ``data/`` next to the cache; when it changes, the executed notebooks are
dropped and the build starts from a fresh Sphinx environment so that every notebook runs
again. Prose-only edits leave the cache untouched, and so do edits of the build machinery
(this folder, ``booktools/``, which no notebook imports).

Before building it makes sure the offline copy of MathJax exists
(:func:`booktools.mathjax_assets.ensure_mathjax`), and it executes the notebooks that need it
side by side (:func:`booktools.bookexec.execute_pending`; ``$TRUSTMODELS_BOOK_WORKERS`` at a
time, default 2) into Jupyter Book's cache, which Sphinx then reads. A notebook that fails
there fails the build at once, with its traceback.

Run it as ``python -m booktools.bookbuild`` (``make book`` does).
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from booktools.bookexec import execute_pending, toc_notebooks, workers_from_environment
from booktools.fitasset import FitAssetError, fetch_for_build
from booktools.mathjax_assets import MathJaxError, ensure_mathjax

__all__ = ["PATH_SETTINGS", "REAL_DATA_CALLS", "WATCHED", "absolute_path_settings",
           "check_real_data", "fingerprint", "main", "publish_executed_notebooks"]

#: Folders whose files decide what the notebooks compute: the package, the data and the pinned
#: library versions (after ``make lock`` every notebook runs again).
WATCHED = ("trustmodels", "data", "requirements")
SUFFIXES = {".py", ".csv", ".json", ".txt", ".sha256"}


def fingerprint(root: Path, watched: tuple[str, ...] = WATCHED) -> str:
    r"""Return a sha256 over the paths and contents of the watched source and data files.

    Parameters
    ----------
    root : pathlib.Path
        Project root.
    watched : tuple of str
        Folders whose files invalidate executed notebooks.

    Returns
    -------
    str
        Hex digest; equal trees give equal digests.

    Examples
    --------
    >>> import tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> (tmp / "data").mkdir(); _ = (tmp / "data" / "a.csv").write_text("x\n1\n")
    >>> fingerprint(tmp) == fingerprint(tmp)
    True
    """
    digest = hashlib.sha256()
    for folder in watched:
        base = root / folder
        if not base.exists():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            relative = path.relative_to(root).as_posix()
            if path.suffix not in SUFFIXES or "__pycache__" in path.parts:
                continue
            digest.update(relative.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


#: Settings that name folders. A relative value means relative to where ``make book`` runs,
#: but the notebooks run in ``notebooks/``: the build makes them absolute first.
PATH_SETTINGS = ("TRUSTMODELS_DATA_DIR", "TRUSTMODELS_CACHE_DIR", "TRUSTMODELS_FIT_CACHE")


def absolute_path_settings(environ=None) -> dict[str, str]:
    """Make the folder settings in ``environ`` (default ``os.environ``) absolute, in place.

    Returns
    -------
    dict
        The settings that changed, with their new values.

    Examples
    --------
    >>> environ = {"TRUSTMODELS_DATA_DIR": "data/offline", "HOME": "/root"}
    >>> absolute_path_settings(environ)["TRUSTMODELS_DATA_DIR"] == str(
    ...     Path("data/offline").resolve())
    True
    """
    import os

    environ = os.environ if environ is None else environ
    changed = {}
    for name in PATH_SETTINGS:
        value = environ.get(name)
        if value and not Path(value).is_absolute():
            changed[name] = environ[name] = str(Path(value).resolve())
    return changed


#: Calls in a notebook that need the real data set (downloaded once, or a local copy).
REAL_DATA_CALLS = ("load_lancelot_miltgen", "fetch_raw")


def check_real_data(root: Path) -> None:
    """Make sure the real data set is at hand when a chapter of the book loads it.

    Seconds instead of an hour: without it a machine without network and without
    ``$TRUSTMODELS_DATA_DIR`` executed every other chapter before the real-data chapter failed.
    The file is fetched (once, into its cache) or found and checked exactly as the chapter
    would (:func:`trustmodels.datasets.realdata.fetch_raw`).

    Parameters
    ----------
    root : pathlib.Path
        Project root.

    Raises
    ------
    trustmodels.datasets.realdata.RealDataError
        With the one line that says what to do.
    """
    needs = [path for path in toc_notebooks(root)
             if any(call in path.read_text(encoding="utf-8") for call in REAL_DATA_CALLS)]
    if needs:
        from trustmodels.datasets.realdata import fetch_raw

        fetch_raw()


def main(argv: list[str] | None = None) -> int:
    """Check prerequisites, drop a stale execution cache, execute, run ``jupyter-book build``."""
    from trustmodels.config import verify_share
    from trustmodels.datasets.realdata import RealDataError

    root = Path.cwd()
    absolute_path_settings()
    try:  # everything that can be checked in seconds, before any notebook runs
        ensure_mathjax(root)
        workers = workers_from_environment()
        verify_share()  # a wrong TRUSTMODELS_VERIFY_FITS fails here, not inside a notebook
        check_real_data(root)
        fetch_for_build(root)  # only when TRUSTMODELS_FETCH_FITS asks for the release's fits
    except (MathJaxError, ValueError, RealDataError, FitAssetError) as error:
        print(f"make book: {error}", file=sys.stderr)
        return 1
    build = root / "_build"
    build.mkdir(exist_ok=True)
    with _build_lock(build) as held:
        if not held:
            print("make book: another make book is building in this folder; wait for it to "
                  "finish (two builds would delete each other's executed notebooks)",
                  file=sys.stderr)
            return 1
        try:
            return _build(root, build, workers, argv)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the workers are stopped already
            return 130


@contextlib.contextmanager
def _build_lock(build: Path):
    """Hold ``_build/.make-book.lock`` (an flock) for the whole build; yield False if taken."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield True
        return
    with open(build / ".make-book.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held = False
        else:
            held = True
        yield held


def _build(root: Path, build: Path, workers: int, argv) -> int:
    """Drop a stale execution cache, execute the pending notebooks, run Jupyter Book."""
    cache = build / ".jupyter_cache"
    stamp = build / ".trustmodels-fingerprint"
    current = fingerprint(root)
    stale = not stamp.exists() or stamp.read_text() != current
    if stale and cache.exists():
        print("trustmodels or data changed since the last build: re-executing every notebook")
        shutil.rmtree(cache)
    build.mkdir(exist_ok=True)
    failures = execute_pending(root, workers)
    if failures:
        print("make book: " + ", ".join(Path(f.path).name for f in failures)
              + " failed (tracebacks above); the book was not built", file=sys.stderr)
        return 1
    # Sphinx re-reads only pages whose source changed; after dropping the cache every page must
    # be read again (--all: fresh environment), or the old outputs would stay in the pages.
    fresh = ["--all"] if stale else []
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), "-W", "-n",
               "--keep-going", *fresh, *(argv or [])]
    result = subprocess.run(command, check=False)
    if result.returncode == 0:
        stamp.write_text(current)
        publish_executed_notebooks(build, root)
    return result.returncode


def publish_executed_notebooks(build: Path, root: Path | None = None) -> list[Path]:
    """Let each chapter's download button offer the executed notebook, outputs included.

    The theme's button links to ``html/_sources/<chapter>.ipynb``, which Sphinx copies from the
    source (stored without outputs). This writes over it the notebook merged with its outputs
    from Jupyter Book's execution cache (``_build/.jupyter_cache``), where
    :mod:`booktools.bookexec` stored it.

    Parameters
    ----------
    build : pathlib.Path
        The build folder (``_build``).
    root : pathlib.Path, optional
        Project root (default: the build folder's parent).

    Returns
    -------
    list of pathlib.Path
        The notebooks replaced in the site.
    """
    import nbformat
    from jupyter_cache import get_cache

    root = build.parent if root is None else root
    sources, cache_path = build / "html" / "_sources", build / ".jupyter_cache"
    if not cache_path.is_dir():
        return []
    cache = get_cache(cache_path)
    replaced = []
    for notebook in toc_notebooks(root):
        target = sources / notebook.relative_to(root.resolve())
        if not target.is_file():
            continue
        try:
            _, merged = cache.merge_match_into_notebook(nbformat.read(notebook, as_version=4))
        except KeyError:  # not in the cache: leave the source
            continue
        nbformat.write(merged, target)
        replaced.append(target)
    return replaced


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
