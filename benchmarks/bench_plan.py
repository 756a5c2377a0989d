"""Benchmark: simulated studies per hour for the design analysis, fast fitter against NUTS.

Usage (from the project root, on a quiet machine)::

    .venv/bin/python benchmarks/bench_plan.py                 # n = 100 per cell (600 respondents)
    .venv/bin/python benchmarks/bench_plan.py --n-per-cell 400

At one design point of the book's plan (the 'review' scenario, between respondents) it times

- the fast fitter (:class:`trustmodels.planning.laplace.LaplaceFitter`) in this process: the
  one-off compilation and the mean time per study over ``--laplace-studies`` studies;
- NUTS as the book fits (:func:`trustmodels.inference.sampling.fit`: 4 chains x (1000 tuning +
  1000 draws), numpyro, through the gate, without the fit cache) on ``--nuts-studies`` studies,
  using all cores;
- the Dask runner (:func:`trustmodels.planning.runner.run_plan`) with 1 and with 2 local worker
  processes on ``--dask-studies`` studies, from an empty result store (so worker start-up and
  compilation are included).

It prints one JSON record: studies per hour for each, the speed-up of the fast fitter, the
machine's cores and the load average before each part.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings

from trustmodels.config import machine_cores
from trustmodels.planning.study import simulate_task
from trustmodels.planning.trust_repair import trust_repair_plan


def main() -> None:
    """Run the benchmark and print its record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-cell", type=int, default=100)
    parser.add_argument("--laplace-studies", type=int, default=20)
    parser.add_argument("--nuts-studies", type=int, default=2)
    parser.add_argument("--dask-studies", type=int, default=40)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from trustmodels.inference.sampling import fit
    from trustmodels.models.declared import build_design_model
    from trustmodels.planning.laplace import LaplaceFitter
    from trustmodels.planning.runner import run_plan

    count = max(args.laplace_studies, args.nuts_studies, args.dask_studies)
    plan = trust_repair_plan(n_per_cell=(args.n_per_cell,), replicates=count,
                             scenarios=["review"], variants=["between"])
    tasks = plan.tasks()
    record = {"n_per_cell": args.n_per_cell,
              "respondents": plan.n_respondents("between", args.n_per_cell),
              "cores": machine_cores()}

    record["load_laplace"] = round(os.getloadavg()[0], 2)
    long, _ = simulate_task(plan, tasks[0])
    started = time.perf_counter()
    fitter = LaplaceFitter(long, plan.design)
    fitter.fit(long)
    record["laplace_compile_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    for task in tasks[:args.laplace_studies]:
        long, _ = simulate_task(plan, task)
        assert fitter.fit(long).converged
    per_study = (time.perf_counter() - started) / args.laplace_studies
    record["laplace_s_per_study"] = round(per_study, 3)
    record["laplace_studies_per_hour"] = round(3600 / per_study)

    record["load_nuts"] = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    for task in tasks[:args.nuts_studies]:
        long, _ = simulate_task(plan, task)
        fit(build_design_model(long, plan.design), random_seed=task.seed % 2**31, cache=False)
    per_study = (time.perf_counter() - started) / args.nuts_studies
    record["nuts_s_per_study"] = round(per_study, 1)
    record["nuts_studies_per_hour"] = round(3600 / per_study, 1)
    record["speedup"] = round(record["laplace_studies_per_hour"]
                              / record["nuts_studies_per_hour"])

    for workers in (1, 2):
        record[f"load_dask_{workers}"] = round(os.getloadavg()[0], 2)
        with tempfile.TemporaryDirectory() as store:
            started = time.perf_counter()
            run_plan(plan, store, workers=workers, tasks=tasks[:args.dask_studies],
                     progress=False)
            wall = time.perf_counter() - started
        record[f"dask_{workers}_workers_s"] = round(wall, 1)
        record[f"dask_{workers}_workers_studies_per_hour"] = round(3600 * args.dask_studies
                                                                   / wall)
    print(json.dumps(record))


if __name__ == "__main__":
    main()
