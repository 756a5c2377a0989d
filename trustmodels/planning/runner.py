"""Run a design analysis: simulate -> fit -> decide, for every task of a plan, on Dask.

Each task (:class:`~trustmodels.planning.spec.Task`) is one simulated study
(:func:`trustmodels.planning.study.run_task`: simulate, fit with the fast fitter compiled once
per worker process and study size, decide every hypothesis).

- **Deterministic**: a task's result depends only on the plan and the task (its seed is derived
  from the plan's seed, scenario, variant, size and replicate), not on the number of workers or
  the order in which tasks finish.
- **Resumable**: every finished task is stored at once as a small JSON file under a key of the
  plan's settings and the package version, with a checksum; a later run loads the finished tasks
  (verifying each) and computes only the rest. A damaged file is moved aside and recomputed.
- **Distributed**: by default a local Dask cluster of process workers (one per core, one thread
  each: PyTensor compilation is not thread-safe); ``scheduler="tcp://host:port"`` uses an
  existing cluster (for example one started by ``dask-jobqueue`` on SLURM). A task whose worker
  dies is retried.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pandas as pd

from trustmodels.datasets.stored import ChecksummedRecords
from trustmodels.planning.spec import PlanSpec, Task
from trustmodels.planning.study import run_task

__all__ = ["ResultStore", "run_plan"]

class ResultStore:
    """Finished tasks of one plan's settings, one verified JSON file each.

    Parameters
    ----------
    folder : str or pathlib.Path
        Root folder; results go to ``folder/<settings key>/``.
    plan : PlanSpec
        The plan.

    Examples
    --------
    >>> import tempfile
    >>> from trustmodels.planning.trust_repair import trust_repair_plan
    >>> plan = trust_repair_plan(n_per_cell=(10,), replicates=1)
    >>> store = ResultStore(tempfile.mkdtemp(), plan)
    >>> task = plan.tasks()[0]
    >>> store.load(task) is None
    True
    >>> store.save(task, [{"hypothesis": "H1", "mean": 0.5}])
    >>> store.load(task)
    [{'hypothesis': 'H1', 'mean': 0.5}]
    """

    def __init__(self, folder, plan: PlanSpec):
        self.records = ChecksummedRecords(Path(folder) / plan.settings_key(), body_key="rows",
                                          label="trustmodels plan")
        self.folder = self.records.folder

    def load(self, task: Task) -> list[dict] | None:
        """Return a finished task's rows, or None (a damaged file is moved aside, warned)."""
        return self.records.load(task.key, seed=task.seed)

    def save(self, task: Task, rows: list[dict]) -> None:
        """Store a finished task (atomically: a partial file is never read as a result)."""
        self.records.save(task.key, rows, seed=task.seed)


def _worker_environment() -> dict[str, str]:
    # one thread per worker process: the workers, not the threads, use the cores
    return {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
            "PYTHONWARNINGS": "ignore"}


def run_plan(plan: PlanSpec, store, *, workers: int | None = None, scheduler: str | None = None,
             tasks: list[Task] | None = None, progress: bool = True,
             retries: int = 2) -> pd.DataFrame:
    """Run (or resume) every task of a plan and return the tidy results table.

    Parameters
    ----------
    plan : PlanSpec
        The plan.
    store : str or pathlib.Path
        Folder of the finished tasks (see :class:`ResultStore`).
    workers : int, optional
        Worker processes of a local cluster (default: the machine's cores,
        :func:`trustmodels.config.machine_cores`); 0 runs the tasks in this process, one after
        the other, without Dask.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:port``) instead of a local cluster.
    tasks : list of Task, optional
        A subset of the plan's tasks (default: all).
    progress : bool
        Show a progress bar (tasks done, time left) on stderr.
    retries : int
        Times a task is retried when its worker dies.

    Returns
    -------
    pandas.DataFrame
        One row per task and hypothesis (see :func:`~trustmodels.planning.study.run_task`),
        sorted by scenario, variant, size, replicate and hypothesis.

    Examples
    --------
    >>> import tempfile
    >>> from trustmodels.planning.trust_repair import trust_repair_plan
    >>> plan = trust_repair_plan(n_per_cell=(10,), replicates=2, scenarios=["review"],
    ...                          variants=["between"])
    >>> table = run_plan(plan, tempfile.mkdtemp(), workers=0, progress=False)
    >>> table[["replicate", "hypothesis", "outcome"]].head(3).to_dict("list")["hypothesis"]
    ['H1', 'H1-integrity', 'H2']
    """
    from tqdm.auto import tqdm

    from trustmodels.config import machine_cores

    results = ResultStore(store, plan)
    tasks = plan.tasks() if tasks is None else list(tasks)
    rows, pending = [], []
    for task in tasks:
        stored = results.load(task)
        if stored is None:
            pending.append(task)
        else:
            rows.extend(stored)
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(pending), unit="study",
               disable=not progress, file=sys.stderr, desc="trustmodels plan")
    if pending and workers == 0 and scheduler is None:
        for task in pending:
            task_rows = run_task(plan, task)
            results.save(task, task_rows)
            rows.extend(task_rows)
            bar.update()
    elif pending:
        from dask.distributed import Client, LocalCluster, as_completed

        cluster = None
        if scheduler is None:
            cluster = LocalCluster(n_workers=workers or machine_cores(), threads_per_worker=1,
                                   processes=True, dashboard_address=None,
                                   env=_worker_environment(), silence_logs=logging.ERROR)
        client = Client(scheduler if scheduler is not None else cluster)
        try:
            payload = client.scatter(plan.to_dict(), broadcast=True)
            futures = {client.submit(run_task, payload, task, key=f"trustmodels-{task.key}",
                                     retries=retries, pure=False): task for task in pending}
            for future in as_completed(futures):
                task_rows = future.result()
                results.save(futures[future], task_rows)
                rows.extend(task_rows)
                bar.update()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    bar.close()
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    order = {name: i for i, name in enumerate(h.name for h in plan.hypotheses)}
    return (table.assign(_h=table["hypothesis"].map(order))
            .sort_values(["scenario", "variant", "n_per_cell", "replicate", "_h"])
            .drop(columns="_h").reset_index(drop=True))
