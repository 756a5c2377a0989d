"""Execute the book's notebooks side by side, into Jupyter Book's own execution cache.

Jupyter Book 1 executes notebooks one after the other while Sphinx reads them. Sampling uses
both cores, but every notebook also has long single-core stretches (compiling a model for JAX,
predictive checks, PSIS-LOO, figures), during which the other core idles.
:func:`execute_pending` runs the notebooks of the table of contents that have no cached
execution in a pool of worker processes, the way myst-nb runs them (a fresh kernel, the
notebook's folder as working directory, ``execute.timeout`` and ``execute.allow_errors`` of
``_config.yml``), and stores every result in the jupyter-cache that ``execute.cache`` names
(relative to the project root, from where ``make book`` runs Jupyter Book: myst-nb resolves it
against the working directory).
The Sphinx build that follows finds each notebook there and executes nothing.

Notebooks that fit the same model (chapters 3, 4 and 5 fit the main model) share the fit
through the fit cache's lock (:func:`trustmodels.inference.cache.fit_lock`): the second waits for
the first
and loads its fit. Every fit has a fixed seed, so the numbers do not depend on the schedule.

Only the book build imports this module; no notebook does, so editing it re-executes nothing.

On Ctrl-C or SIGTERM the pending notebooks are cancelled and the workers end (each shuts its
kernel down on the way out); notebooks that finished stay in the cache.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = ["FIT_LOG_FOLDER", "KERNEL_ARGUMENTS", "KERNEL_MPLBACKEND", "LONGEST_FIRST",
           "WORKERS_ENV", "Execution", "default_workers", "execute_pending", "fit_log",
           "pending_notebooks", "schedule", "toc_notebooks", "workers_from_environment"]

#: Environment variable with the number of notebooks executed at the same time.
WORKERS_ENV = "TRUSTMODELS_BOOK_WORKERS"
#: Matplotlib backend of the notebook kernels. Figures reach a page only as the image outputs
#: that the inline backend's display formatters produce; with another backend (a ``MPLBACKEND``
#: inherited from the shell, such as ``Agg``) ``glue`` stores a figure as its text repr.
KERNEL_MPLBACKEND = "module://matplotlib_inline.backend_inline"
#: Kernel options: figures as PNG at twice their pixel size, shown at their nominal size
#: ("retina"), so that they stay sharp on high-density screens and when enlarged.
KERNEL_ARGUMENTS = ("--InlineBackend.figure_formats=retina",)
#: Notebooks started first, longest first (measured clean-build times, benchmarks/README.md):
#: a long notebook started last would run alone at the end. Only the order depends on it.
LONGEST_FIRST = ("notebooks/07_privacy_real_data", "notebooks/05_model_checks",
                 "notebooks/04_fan_count", "notebooks/03_apology_denial",
                 "notebooks/06_purchase_frequency")


@dataclass(frozen=True)
class Execution:
    """The outcome of executing one notebook.

    Attributes
    ----------
    path : str
        The notebook.
    seconds : float
        Wall time of the execution.
    notebook : str or None
        The executed notebook as JSON (None when it failed).
    error : str or None
        The error with the failing cell's traceback (None when it succeeded).
    """

    path: str
    seconds: float
    notebook: str | None
    error: str | None


def toc_notebooks(root: Path) -> list[Path]:
    r"""Return the ``.ipynb`` files that ``_toc.yml`` lists, in its order.

    Parameters
    ----------
    root : pathlib.Path
        Project root (holding ``_toc.yml``).

    Returns
    -------
    list of pathlib.Path
        Absolute paths; empty when there is no table of contents.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "nb").mkdir(); _ = (root / "nb" / "a.ipynb").write_text("{}")
    >>> _ = (root / "_toc.yml").write_text(
    ...     "root: intro\nparts:\n- chapters:\n  - file: nb/a\n  - file: prose\n")
    >>> [path.name for path in toc_notebooks(root)]
    ['a.ipynb']
    """
    toc = root / "_toc.yml"
    if not toc.is_file():
        return []
    files: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("root", "file") and isinstance(value, str):
                    files.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(toc.read_text(encoding="utf-8")))
    notebooks = []
    for name in files:
        path = root / name
        path = path if path.suffix == ".ipynb" else path.with_name(path.name + ".ipynb")
        if path.is_file():
            notebooks.append(path.resolve())
    return notebooks


def schedule(notebooks: Iterable[Path], root: Path) -> list[Path]:
    """Order notebooks for execution: :data:`LONGEST_FIRST` first, the rest as given.

    Parameters
    ----------
    notebooks : iterable of pathlib.Path
        Absolute notebook paths.
    root : pathlib.Path
        Project root.

    Returns
    -------
    list of pathlib.Path
        The same notebooks, reordered.

    Examples
    --------
    >>> root = Path("/project")
    >>> paths = [root / "notebooks/01_data.ipynb", root / "notebooks/07_privacy_real_data.ipynb"]
    >>> [path.name for path in schedule(paths, root)]
    ['07_privacy_real_data.ipynb', '01_data.ipynb']
    """
    notebooks = list(notebooks)

    def rank(path: Path) -> int:
        name = path.relative_to(root).with_suffix("").as_posix()
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    return sorted(notebooks, key=rank)  # stable: the rest keep the table-of-contents order


def default_workers(cores: int | None = None) -> int:
    """Return how many notebooks to execute at once on a machine with ``cores`` CPUs.

    Half the cores (each notebook's fits use several), but at least 2 where there are 2 cores:
    one notebook's single-core stretches (kernel start, compiling, LOO, figures) then overlap
    another's sampling (``benchmarks/README.md``, session 8).

    Parameters
    ----------
    cores : int, optional
        CPUs available; by default :func:`trustmodels.config.machine_cores`.

    Returns
    -------
    int

    Examples
    --------
    >>> [default_workers(cores) for cores in (1, 2, 4, 8, 16)]
    [1, 2, 2, 4, 8]
    """
    from trustmodels.config import machine_cores

    cores = machine_cores() if cores is None else cores
    return 1 if cores <= 1 else max(2, cores // 2)


def workers_from_environment(default: int | None = None) -> int:
    """Return the number of notebooks to execute at once (``$TRUSTMODELS_BOOK_WORKERS``).

    Parameters
    ----------
    default : int, optional
        Used when the variable is unset; by default :func:`default_workers`.

    Returns
    -------
    int
        At least 1.

    Raises
    ------
    ValueError
        When the variable is set to anything but a positive integer (one line).

    Examples
    --------
    >>> os.environ[WORKERS_ENV] = "3"
    >>> workers_from_environment()
    3
    >>> del os.environ[WORKERS_ENV]
    """
    value = os.environ.get(WORKERS_ENV)
    if value is None:
        return default if default is not None else default_workers()
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"{WORKERS_ENV}={value!r}: expected a positive integer (notebooks "
                         "executed at the same time)")
    return int(value)


def _settings(root: Path) -> tuple[Path, int | None, bool]:
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    execute = config.get("execute") or {}
    cache = root / execute.get("cache", "_build/.jupyter_cache")
    timeout = execute.get("timeout", 30)
    return cache, (None if timeout is None or timeout < 0 else int(timeout)), bool(
        execute.get("allow_errors", False))


def pending_notebooks(notebooks: Iterable[Path], cache) -> list[Path]:
    """Return the notebooks whose code has no execution in the jupyter-cache ``cache``.

    Parameters
    ----------
    notebooks : iterable of pathlib.Path
        Notebook files.
    cache : jupyter_cache.base.JupyterCacheAbstract
        The execution cache (matched on code cells and kernel, as myst-nb matches).

    Returns
    -------
    list of pathlib.Path
        The notebooks that would be executed.
    """
    import nbformat

    pending = []
    for path in notebooks:
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            pending.append(path)
    return pending


#: Folder (under ``_build``) of the per-notebook records of the cached fits used.
FIT_LOG_FOLDER = "fits-used"


def fit_log(root: Path, notebook: Path) -> Path:
    """Return the file that records the cached fits ``notebook`` used in the last build.

    Examples
    --------
    >>> fit_log(Path("/p"), Path("/p/notebooks/03_main.ipynb")).as_posix()
    '/p/_build/fits-used/notebooks--03_main.txt'
    """
    relative = Path(notebook).resolve().relative_to(Path(root).resolve()).with_suffix("")
    return Path(root) / "_build" / FIT_LOG_FOLDER / f"{'--'.join(relative.parts)}.txt"


def _execute(path: str, timeout: int | None, allow_errors: bool,
             record: str | None = None) -> Execution:
    """Execute one notebook in a fresh kernel in its own folder (runs in a worker process)."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    notebook = nbformat.read(path, as_version=4)
    os.environ["MPLBACKEND"] = KERNEL_MPLBACKEND  # this worker's kernels inherit it
    if record is not None:  # the kernel appends the key of every cached fit it uses
        Path(record).parent.mkdir(parents=True, exist_ok=True)
        Path(record).write_text("")
        from trustmodels.config import FIT_LOG_ENV

        os.environ[FIT_LOG_ENV] = record
    start = time.perf_counter()
    result = single_nb_execution(notebook, cwd=str(Path(path).parent), timeout=timeout,
                                 allow_errors=allow_errors, meta_override=True,
                                 extra_arguments=list(KERNEL_ARGUMENTS))
    seconds = time.perf_counter() - start
    if result.err is not None:
        return Execution(path, seconds, None,
                         result.exc_string or f"{type(result.err).__name__}: {result.err}")
    return Execution(path, seconds, nbformat.writes(notebook), None)


def execute_pending(root: Path, workers: int,
                    log: Callable[[str], None] = print) -> list[Execution]:
    """Execute the notebooks of the book that have no cached execution, ``workers`` at a time.

    Parameters
    ----------
    root : pathlib.Path
        Project root (``_config.yml``, ``_toc.yml``).
    workers : int
        Notebooks executed at the same time (each in its own process and kernel).
    log : callable
        Receives one line per event (start, and each notebook's end with its time).

    Returns
    -------
    list of Execution
        The failed executions (empty when all succeeded); successful ones are in the cache.
    """
    root = Path(root).resolve()
    notebooks = toc_notebooks(root)
    if not notebooks:
        return []
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache_path, timeout, allow_errors = _settings(root)
    cache = get_cache(cache_path)
    pending = schedule(pending_notebooks(notebooks, cache), root)
    if not pending:
        return []
    log(f"make book: executing {len(pending)} notebook(s), {workers} at a time: "
        + ", ".join(path.name for path in pending))
    failures, finished = [], []
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_worker_signals)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        futures = [pool.submit(_execute, str(path), timeout, allow_errors,
                               str(fit_log(root, path))) for path in pending]
        for future in as_completed(futures):
            done = future.result()
            name = Path(done.path).relative_to(root).as_posix()
            if done.error is not None:
                log(f"make book: {name} FAILED after {done.seconds:.0f} s:\n{done.error}")
                failures.append(done)
                continue
            record = cache.add_nb_to_project(done.path)
            cache.cache_notebook_bundle(
                CacheBundleIn(nbformat.reads(done.notebook, as_version=4), record.uri,
                              data={"execution_seconds": done.seconds}),
                check_validity=False, overwrite=True)
            finished.append(name)
            log(f"make book: {name} executed in {done.seconds:.0f} s "
                f"({time.perf_counter() - start:.0f} s since the start)")
    except KeyboardInterrupt:
        _stop(pool)
        log("make book: interrupted; " + (f"finished and kept: {', '.join(finished)}"
                                          if finished else "no notebook had finished"))
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    pool.shutdown()
    return failures


def _worker_signals() -> None:
    """In a worker: leave Ctrl-C to the parent; on SIGTERM, exit through ``finally`` blocks.

    nbclient shuts its kernel down in a ``finally`` block, so a worker that exits this way does
    not leave its kernel (which runs in a session of its own) behind.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_cleanly)


def _exit_cleanly(signum, frame):
    raise SystemExit(128 + signum)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _stop(pool: ProcessPoolExecutor, grace: float = 10.0) -> None:
    """Cancel pending notebooks and end the workers (each shuts its kernel down first)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(timeout=2)
