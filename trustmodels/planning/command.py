"""``trustmodels plan``: run a design analysis from the command line.

``trustmodels plan [PLAN.json] --out DIR [--scenario A,B] [--variant V] [--n-per-cell 50,100]
[--replicates R] [--workers N | --scheduler tcp://host:port]``

Without a plan file it runs the book's design analysis
(:func:`trustmodels.planning.trust_repair.trust_repair_plan`); ``--print-plan`` prints the plan
as JSON (a template to edit for one's own study). The grid options replace the plan's grid by
one block. The command writes into ``--out``: ``results.csv`` (one row per simulated study and
hypothesis), ``assurance.csv`` (per design point), ``plan.json`` and ``manifest.json`` (the
plan's key, the package version, workers, wall time); the finished studies are kept in
``--out/tasks`` so that running the same command again resumes an interrupted run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

__all__ = ["add_plan_arguments", "plan_from_arguments", "run_plan_command"]


class PlanError(ValueError):
    """A problem with the command's input (one line)."""


def _sizes(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of whole "
                                         "numbers") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: sizes must be whole numbers >= 1")
    return values


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(text)


def add_plan_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``trustmodels plan`` to ``parser``."""
    parser.add_argument("plan", nargs="?", metavar="PLAN.json",
                        help="the plan (default: the book's design analysis)")
    parser.add_argument("--out", metavar="DIR", help="output folder (needed unless "
                        "--print-plan)")
    parser.add_argument("--scenario", type=_names, metavar="A,B", help="scenarios to run")
    parser.add_argument("--variant", type=_names, metavar="V", help="design variants to run")
    parser.add_argument("--n-per-cell", type=_sizes, metavar="50,100,...",
                        help="respondents per design cell")
    parser.add_argument("--replicates", type=_count, metavar="R",
                        help="simulated studies per design point")
    parser.add_argument("--workers", type=_count, metavar="N",
                        help="local worker processes (default: the machine's cores; 0: no "
                             "Dask, one task after another)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="address of a running Dask scheduler to use instead")
    parser.add_argument("--nuts-check", type=_count, default=0, metavar="K",
                        help="also fit K random studies per design point (up to --nuts-max-n "
                             "per cell) with NUTS and compare (nuts_check.csv)")
    parser.add_argument("--nuts-max-n", type=_count, default=100, metavar="N",
                        help="largest size per cell checked with NUTS (default 100)")
    parser.add_argument("--print-plan", action="store_true",
                        help="print the plan as JSON and stop")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def plan_from_arguments(args: argparse.Namespace):
    """Return the plan the arguments describe (raises PlanError with one line)."""
    from trustmodels.planning.spec import PlanBlock, PlanSpec
    from trustmodels.planning.trust_repair import trust_repair_plan

    try:
        plan = PlanSpec.from_json(args.plan) if args.plan else trust_repair_plan()
    except ValueError as error:
        raise PlanError(str(error)) from None
    grid = (args.scenario, args.variant, args.n_per_cell, args.replicates)
    if any(value is not None for value in grid):
        if args.replicates == 0:
            raise PlanError("--replicates must be at least 1")
        block = PlanBlock(args.scenario or [s.name for s in plan.scenarios],
                          args.variant or [v.name for v in plan.variants],
                          args.n_per_cell or sorted({n for b in plan.blocks
                                                     for n in b.n_per_cell}),
                          args.replicates or max(b.replicates for b in plan.blocks))
        data = plan.to_dict()
        data["blocks"] = [{"scenarios": list(block.scenarios), "variants": list(block.variants),
                           "n_per_cell": list(block.n_per_cell),
                           "replicates": block.replicates}]
        try:
            plan = PlanSpec.from_dict(data)
        except ValueError as error:
            raise PlanError(str(error)) from None
    return plan


def run_plan_command(args: argparse.Namespace) -> int:
    """Run ``trustmodels plan``; return the exit status (2 with one line for bad input)."""
    from trustmodels.planning.assurance import assurance
    from trustmodels.planning.runner import run_plan

    try:
        plan = plan_from_arguments(args)
        if args.print_plan:
            sys.stdout.write(plan.to_json())
            return 0
        if not args.out:
            raise PlanError("give an output folder with --out DIR")
        if args.scheduler and args.workers is not None:
            raise PlanError("give either --workers or --scheduler, not both")
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise PlanError(f"--out {out}: exists and is not a folder")
        out.mkdir(parents=True, exist_ok=True)
    except PlanError as error:
        print(f"trustmodels plan: {error}", file=sys.stderr)
        return 2
    tasks = plan.tasks()
    store = out / "tasks"
    print(f"trustmodels plan: {len(tasks):,} simulated studies "
          f"({len(plan.hypotheses)} hypotheses each); finished ones in {store} are reused",
          file=sys.stderr)
    from trustmodels._version import __version__
    from trustmodels.config import machine_cores

    workers = args.scheduler or (args.workers if args.workers is not None else machine_cores())
    before = len(list((store / plan.settings_key()).glob("*.json"))) if store.exists() else 0
    start = time.perf_counter()
    try:
        results = run_plan(plan, store, workers=args.workers, scheduler=args.scheduler,
                           progress=not args.quiet)
    except KeyboardInterrupt:
        done = len(list((store / plan.settings_key()).glob("*.json")))
        print(f"\ntrustmodels plan: interrupted; {done:,} of {len(tasks):,} studies are stored "
              f"in {store}; run the same command to resume", file=sys.stderr)
        return 130
    seconds = time.perf_counter() - start
    results.to_csv(out / "results.csv", index=False)
    assurance(results).to_csv(out / "assurance.csv", index=False)
    (out / "plan.json").write_text(plan.to_json(), encoding="utf-8")
    runs = []
    previous = out / "manifest.json"
    if previous.exists():  # earlier runs of the same settings (an interrupted or smaller grid)
        old = json.loads(previous.read_text(encoding="utf-8"))
        if old.get("settings_key") == plan.settings_key():
            runs = old.get("runs") or [{"seconds": old.get("seconds", 0.0),
                                        "workers": old.get("workers"),
                                        "studies_computed": old.get("studies", 0)}]
    runs.append({"seconds": round(seconds, 1), "workers": workers,
                 "studies_computed": len(tasks) - min(before, len(tasks))})
    studies = results.drop_duplicates(["scenario", "variant", "n_per_cell", "replicate"])
    manifest = {"key": plan.key(), "settings_key": plan.settings_key(),
                "version": __version__, "studies": len(tasks), "workers": workers,
                "seconds": round(sum(run["seconds"] for run in runs), 1),
                "fit_seconds_total": round(float(studies["seconds"].sum()), 1), "runs": runs}
    if args.nuts_check:
        from trustmodels.planning.validation import agreement, check_tasks, nuts_comparison

        chosen = check_tasks(plan, per_point=args.nuts_check, max_n_per_cell=args.nuts_max_n,
                             seed=plan.seed)
        print(f"trustmodels plan: fitting {len(chosen)} studies with NUTS to check the fast "
              "fitter", file=sys.stderr)
        begin = time.perf_counter()
        check = nuts_comparison(plan, chosen)
        check.to_csv(out / "nuts_check.csv", index=False)
        per_study = check.drop_duplicates(["scenario", "variant", "n_per_cell", "replicate"])
        # wall time of the check, and the NUTS sampling time the fits recorded when they were
        # sampled (a fit read from the fit cache takes seconds to read, not to sample)
        manifest["nuts_check"] = {**agreement(check),
                                  "seconds": round(time.perf_counter() - begin, 1),
                                  "nuts_sampling_seconds": round(
                                      float(per_study["nuts_seconds"].mean()), 1)}
        print(f"trustmodels plan: fast fitter against NUTS: {manifest['nuts_check']}",
              file=sys.stderr)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"trustmodels plan: wrote {out / 'results.csv'} and {out / 'assurance.csv'} "
          f"({seconds:,.0f} s)", file=sys.stderr)
    return 0
