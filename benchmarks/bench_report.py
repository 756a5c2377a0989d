"""Benchmark: how long ``trustmodels report`` takes on a survey of about 300 and 3,000 respondents.

Usage (from the project root, on a quiet machine)::

    .venv/bin/python benchmarks/bench_report.py                  # 300 and 3,000 respondents
    .venv/bin/python benchmarks/bench_report.py --sizes 300      # one size
    .venv/bin/python benchmarks/bench_report.py --quick          # with --quick (the preview)

The survey is SIMULATED from a declared design like the book's (a three-level response x a
two-level violation between respondents, a log10 follower count as moderator, three 1-7 trust
items; :func:`trustmodels.design.simulate_design_survey`), written as CSV and codebook
(:func:`trustmodels.simulation.declared.write_design_survey`) and given to the command exactly as
a user runs it, in a fresh process with an empty fit cache. It prints one line per size: the wall
time of the whole command (checks, sampling, notebook, HTML), the machine's cores and the load
average before the run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trustmodels.config import machine_cores
from trustmodels.design import Moderator, StudyDesign, simulate_design_survey
from trustmodels.simulation.declared import write_design_survey

DESIGN = StudyDesign({"reaction": ["none", "apology", "denial"],
                      "violation": ["competence", "integrity"]}, outcomes=["trust"],
                     moderators={"followers": Moderator("log10", centre=4.0,
                                                        simulate_range=(-2.0, 2.0))})
EFFECTS = {"reaction[apology]": 0.5, "reaction[denial]": 0.15, "violation[integrity]": -0.3,
           "log10(followers)": 0.1, "reaction[apology]:log10(followers)": -0.05}


def run(size: int, quick: bool) -> dict:
    """Time one report in a fresh process; return its record."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        long = simulate_design_survey(DESIGN, EFFECTS, n_respondents=size,
                                      items={"trust": ["trust1", "trust2", "trust3"]},
                                      n_categories=7, seed=size)
        data, codebook = write_design_survey(long, DESIGN, folder / "in",
                                             title=f"Benchmark survey, {size} respondents")
        environment = dict(os.environ, TRUSTMODELS_FIT_CACHE=str(folder / "fits"))
        command = [sys.executable, "-m", "trustmodels", "report", str(data), "--codebook",
                   str(codebook), "--out", str(folder / "report")] + (["--quick"] if quick
                                                                       else [])
        load = os.getloadavg()[0]
        started = time.perf_counter()
        result = subprocess.run(command, env=environment, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"report failed for {size} respondents: {result.stderr[-2000:]}")
        passed = "passes the convergence gate" in result.stdout
    return {"respondents": size, "quick": quick, "wall_s": round(wall, 1), "gate": passed,
            "cores": machine_cores(), "load_before": round(load, 2)}


def main() -> None:
    """Run the benchmark and print one line per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,3000", help="respondents, comma-separated")
    parser.add_argument("--quick", action="store_true", help="time the --quick preview")
    args = parser.parse_args()
    for size in (int(value) for value in args.sizes.split(",")):
        print(run(size, args.quick), flush=True)


if __name__ == "__main__":
    main()
