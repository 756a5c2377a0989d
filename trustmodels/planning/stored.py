"""A design analysis stored as a derived table, and its check when it is read.

A full grid takes the better part of an hour; a book (or a paper's analysis script) reads its
stored results instead. :func:`store_plan_outputs` copies the outputs of ``trustmodels plan``
(``results.csv``, ``assurance.csv``, ``plan.json``, ``manifest.json`` and, when run,
``nuts_check.csv``) into a folder such as ``data/derived/plan``. :func:`load_stored_plan` reads
them back and refuses them, in one line naming the command that recomputes them, when the
plan, the code that decides a result or the package version changed since
(:meth:`~trustmodels.planning.spec.PlanSpec.key`). :func:`verify_sample` recomputes a random
sample of the stored studies and fails if any differs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trustmodels.datasets.stored import read_stored_manifest
from trustmodels.planning.spec import PlanSpec

__all__ = ["StoredPlan", "StoredPlanError", "load_stored_plan", "read_results",
           "store_plan_outputs", "verify_sample"]

#: The command that recomputes the book's stored design analysis.
RECOMPUTE_COMMAND = "make plan"


def read_results(path) -> pd.DataFrame:
    r"""Read a results or assurance table of ``trustmodels plan``.

    Only empty cells are missing values: pandas' defaults would also read a scenario called
    ``null`` (or ``NA``) as missing.

    Examples
    --------
    >>> import io
    >>> read_results(io.StringIO("scenario,mean\nnull,\nreview,0.5\n"))["scenario"].tolist()
    ['null', 'review']
    """
    return pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False)


class StoredPlanError(RuntimeError):
    """Stored results that do not belong to the current plan or code (one line)."""


@dataclass(frozen=True)
class StoredPlan:
    """The stored outputs of a design analysis."""

    plan: PlanSpec
    results: pd.DataFrame
    assurance: pd.DataFrame
    manifest: dict
    nuts_check: pd.DataFrame | None


def store_plan_outputs(out, folder) -> Path:
    """Copy the outputs of ``trustmodels plan --out OUT`` into ``folder`` (results gzipped).

    The assurance table is recomputed from the results, so that it has every column of the
    installed version of :func:`trustmodels.planning.assurance.assurance`.

    Parameters
    ----------
    out : str or pathlib.Path
        The command's output folder.
    folder : str or pathlib.Path
        Destination (created).

    Returns
    -------
    pathlib.Path
        The destination.
    """
    out, folder = Path(out), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    from trustmodels.planning.assurance import assurance

    results = read_results(out / "results.csv")
    results.to_csv(folder / "results.csv.gz", index=False,
                   compression={"method": "gzip", "mtime": 0})
    assurance(results).to_csv(folder / "assurance.csv", index=False)  # from this version's code
    for name in ("plan.json", "manifest.json", "nuts_check.csv"):
        if (out / name).exists():
            shutil.copyfile(out / name, folder / name)
    return folder


def load_stored_plan(folder, plan: PlanSpec, *,
                     command: str = RECOMPUTE_COMMAND) -> StoredPlan:
    """Read stored design-analysis outputs and check that they belong to ``plan`` and the code.

    Parameters
    ----------
    folder : str or pathlib.Path
        Folder written by :func:`store_plan_outputs`.
    plan : PlanSpec
        The plan the results must belong to.
    command : str
        The command named in the error message.

    Returns
    -------
    StoredPlan

    Raises
    ------
    StoredPlanError
        When the folder lacks a file, or the stored key differs from ``plan.key()`` (the plan,
        the code that decides a result or the package version changed).
    """
    folder = Path(folder)
    manifest = read_stored_manifest(
        folder, ("results.csv.gz", "assurance.csv", "plan.json", "manifest.json"), plan.key(),
        what="design analysis", against="plan and code", command=command, error=StoredPlanError)
    check = folder / "nuts_check.csv"
    return StoredPlan(plan=PlanSpec.from_json(folder / "plan.json"),
                      results=read_results(folder / "results.csv.gz"),
                      assurance=read_results(folder / "assurance.csv"), manifest=manifest,
                      nuts_check=pd.read_csv(check) if check.exists() else None)


def verify_sample(stored: StoredPlan, *, studies: int = 8, seed: int = 0,
                  tolerance: float = 1e-3) -> pd.DataFrame:
    """Recompute a random sample of the stored studies; raise if any result differs.

    Parameters
    ----------
    stored : StoredPlan
        The stored analysis.
    studies : int
        Studies to recompute.
    seed : int
        Seed of the sample.
    tolerance : float
        Largest accepted difference of posterior means and SDs, in posterior SDs. The fitter is
        deterministic, but another machine or thread count may sum in another order and stop
        the optimizer a step earlier or later; the final Newton step then leaves differences
        far below this. Decisions must be equal unless an HDI end lies within this distance of
        the ROPE's edge.

    Returns
    -------
    pandas.DataFrame
        One row per recomputed study and hypothesis: stored and recomputed mean, SD and
        decision, ``difference`` (the larger of the absolute differences, in posterior SDs).

    Raises
    ------
    StoredPlanError
        When a recomputed study differs from the stored one.
    """
    from trustmodels.planning.study import run_task
    from trustmodels.simulation.replications import recomputed_difference

    plan = stored.plan
    tasks = plan.tasks()
    rng = np.random.default_rng(seed)
    chosen = [tasks[i] for i in sorted(rng.choice(len(tasks), size=studies, replace=False))]
    keys = ["scenario", "variant", "n_per_cell", "replicate", "hypothesis"]
    rows = []
    for task in chosen:
        fresh = pd.DataFrame(run_task(plan, task))
        old = stored.results.merge(fresh[keys], on=keys)
        merged = old.merge(fresh, on=keys, suffixes=("_stored", "_recomputed"))
        if len(merged) != len(fresh):
            raise StoredPlanError(f"stored results lack the study {task.key}")
        rows.append(merged)
    table = pd.concat(rows, ignore_index=True)
    table["difference"] = recomputed_difference(table)
    edge = np.minimum.reduce([(table[f"hdi_{end}_stored"] - sign * table["rope_stored"]).abs()
                              for end in ("low", "high") for sign in (-1, 1)])
    borderline = edge <= tolerance * table["sd_stored"]
    bad = table[(table["difference"] > tolerance)
                | ((table["decision_stored"] != table["decision_recomputed"]) & ~borderline)]
    if len(bad):
        row = bad.iloc[0]
        raise StoredPlanError(
            f"recomputed study {row['scenario']}/{row['variant']}/n{row['n_per_cell']}/"
            f"r{row['replicate']} ({row['hypothesis']}) differs from the stored one: mean "
            f"{row['mean_stored']:.6g} vs {row['mean_recomputed']:.6g}, decision "
            f"{row['decision_stored']!r} vs {row['decision_recomputed']!r}")
    return table[keys + ["mean_stored", "mean_recomputed", "sd_stored", "sd_recomputed",
                         "decision_stored", "decision_recomputed", "difference"]]


def main(argv=None) -> int:
    """Copy ``trustmodels plan`` outputs: ``python -m trustmodels.planning.stored OUT FOLDER``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m trustmodels.planning.stored",
                                     description="Store the outputs of `trustmodels plan`.")
    parser.add_argument("out", help="the command's --out folder")
    parser.add_argument("folder", help="destination, e.g. data/derived/plan")
    args = parser.parse_args(argv)
    print(f"stored in {store_plan_outputs(args.out, args.folder)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
