"""Benchmark: trustmodels' main model and sampler against PyMC's default way, and scaling in N.

Usage (from the project root)::

    .venv/bin/python benchmarks/bench_sampler.py            # main comparison, 900 respondents
    .venv/bin/python benchmarks/bench_sampler.py --quick    # small and short, a smoke run
    .venv/bin/python benchmarks/bench_sampler.py --scaling  # also ~1k, 10k, 100k responses
    .venv/bin/python benchmarks/bench_sampler.py --samplers numpyro --no-baseline
    .venv/bin/python benchmarks/bench_sampler.py --gradients  # cost of one gradient vs N only
    .venv/bin/python benchmarks/bench_sampler.py --reference  # NUTS on an ideal posterior

Every configuration runs in its own Python process (fresh compile caches in memory, clean peak
memory) on the same simulated data (SIMULATED, exactly the main model:
``trustmodels.simulation.simulate.simulate_main_model``), and reports

* ``wall_s``: wall time from building the model to the finished trace, compilation included;
* ``min_ess_bulk``: the smallest bulk ESS over every scalar element of every free parameter;
* ``ess_per_s``: ``min_ess_bulk / wall_s``;
* ``trace_mb``: size of the returned trace (sum of ``nbytes`` over its groups) and
  ``peak_rss_mb`` of the process;
* ``steps``: mean leapfrog steps (gradient evaluations) per posterior draw;
* ``gate``: whether :func:`trustmodels.inference.diagnostics.check_fit` accepts the fit.

``--reference`` times nothing of ours: it runs numpyro's NUTS (same adaptation, target_accept
0.9) on an independent standard normal of the main model's dimension at each scaling size, the
best-conditioned posterior there is. Its step size and steps per draw are the floor to expect
from any reparameterization of our model with a diagonal mass matrix: NUTS' step size
shrinks like ``dimension ** -0.25``, and the dimension of our model grows with the number of
respondents.

Configurations:

* ``pymc_default``: the baseline. The same model (same priors, same data) written the standard
  PyMC way with :class:`pymc.OrderedLogistic` (which forms and stores the N x K probability
  matrix), sampled by ``pm.sample(nuts_sampler="pymc")`` with default settings except
  ``random_seed``, ``cores=2`` and ``chains=4``;
* ``ours``: :func:`trustmodels.models.ordinal.build_ordinal_model` sampled by
  :func:`trustmodels.inference.sampling.fit` with its defaults;
* ``ours_<sampler>``: our model with another NUTS implementation (for the record);
* ``ours_noncentered`` / ``ours_vectorized``: ours with the plain non-centered respondent
  terms instead of the projected ones / with numpyro's vectorized chains instead of one XLA
  device per chain.

The last line printed is ``speedup_vs_pymc_default: X.XX``, the ratio of minimum bulk ESS per
second (wall time including compilation), ours over the PyMC default, from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "bench"
SEED = 20261122
#: trust items per respondent in the main model (competence 4, benevolence 3, integrity 4)
ITEMS_PER_RESPONDENT = 11


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------
def simulated_long(n_per_cell: int, seed: int = SEED):
    """Return (and cache) the long table of a main-model simulation with 6 * n_per_cell people."""
    import pandas as pd

    path = CACHE / f"long_n{n_per_cell}_s{seed}.pkl"
    if path.exists():
        return pd.read_pickle(path)
    from trustmodels.simulation.simulate import simulate_main_model
    from trustmodels.survey.codebook import Codebook
    from trustmodels.survey.table import survey_from_frame

    sim = simulate_main_model(n_per_cell=n_per_cell, seed=seed)
    long = survey_from_frame(sim.wide, Codebook.from_dict(sim.codebook), "simulated").long
    CACHE.mkdir(parents=True, exist_ok=True)
    long.to_pickle(path)
    return long


# ---------------------------------------------------------------------------------------------
# the baseline: the same model, written the standard PyMC way
# ---------------------------------------------------------------------------------------------
def build_baseline_model(long):
    """The main model with pm.OrderedLogistic (standard PyMC), same priors and data."""
    import numpy as np
    import pymc as pm
    import pytensor.tensor as pt

    from trustmodels.models.data import prepare_ordinal_data
    from trustmodels.models.ordinal import threshold_matrix
    from trustmodels.models.priors import OrdinalPriors

    priors = OrdinalPriors()
    data = prepare_ordinal_data(long)
    coords = {"respondent": list(data.respondents), "item": list(data.items),
              "effect": list(data.effects), "obs": np.arange(data.response.size)}
    with pm.Model(coords=coords) as model:
        x = pm.Data("X", data.design.to_numpy(float), dims=("respondent", "effect"))
        disposition = pm.Data("disposition", data.disposition, dims="respondent")
        beta = pm.Normal("beta", 0.0, priors.effect_sd, dims="effect")
        beta_disp = pm.Normal("beta_disp", 0.0, priors.disposition_sd)
        u = pm.Normal("u", 0.0, 1.0, dims="respondent")
        theta = pt.dot(x, beta) + beta_disp * disposition + u
        lam = pm.LogNormal("lambda", 0.0, priors.discrimination_log_sd, dims="item")
        cutpoints = threshold_matrix(data.items, data.item_categories, priors, "logit")
        eta = lam[data.item_index] * theta[data.respondent_index]
        pm.OrderedLogistic("y", eta=eta, cutpoints=cutpoints[data.item_index],
                           observed=data.response - 1, dims="obs")
    return model


# ---------------------------------------------------------------------------------------------
# one configuration, in its own process
# ---------------------------------------------------------------------------------------------
def _trace_mb(idata) -> float:
    total = 0
    for node in idata.subtree:
        if node.has_data:
            total += node.to_dataset().nbytes
    return total / 2**20


def run_one(config: str, n_per_cell: int, draws: int | None, tune: int | None) -> dict:
    """Fit one configuration and return its figures (runs in a worker process)."""
    import resource

    import numpy as np

    from trustmodels.inference.diagnostics import FitDiagnosticsError, GateThresholds, check_fit

    long = simulated_long(n_per_cell)
    n_obs = int(long["construct"].astype(str).isin(
        ["competence", "benevolence", "integrity"]).sum())
    settings = {} if draws is None else {"draws": draws, "tune": tune}
    start = time.perf_counter()
    if config == "pymc_default":
        import pymc as pm

        model = build_baseline_model(long)
        with model:
            idata = pm.sample(nuts_sampler="pymc", random_seed=SEED, cores=2, chains=4,
                              progressbar=False, **settings)
    else:
        from trustmodels.inference.sampling import fit
        from trustmodels.models.ordinal import build_ordinal_model

        model = build_ordinal_model(long)
        lax = GateThresholds(rhat_max=np.inf, ess_min=0.0, bfmi_min=0.0,
                             max_divergences=10**9)
        if config == "ours_noncentered":
            model = build_ordinal_model(long, parameterization="noncentered")
        if config in ("ours", "ours_noncentered"):
            options = {}
        elif config == "ours_vectorized":
            options = {"sampler_kwargs": {"chain_method": "vectorized"}}
        else:
            options = {"sampler": config.removeprefix("ours_")}
        idata = fit(model, thresholds=lax, label=config, **options, **settings)
    wall = time.perf_counter() - start

    free = [rv.name for rv in model.free_RVs]
    post = idata["posterior"].to_dataset()
    import arviz as az

    ess = az.ess(post[free], method="bulk")
    min_ess = float(min(float(ess[name].min()) for name in free))
    try:
        check_fit(idata, var_names=free, label=config)
        gate = "passed"
    except FitDiagnosticsError as err:
        gate = "failed: " + "; ".join(err.failures)
    stats = idata["sample_stats"].to_dataset()
    depth = stats["tree_depth"] if "tree_depth" in stats else None
    steps = stats["n_steps"] if "n_steps" in stats else None
    return {
        "config": config,
        "n_respondents": int(long["respondent"].nunique()),
        "n_responses": n_obs,
        "draws": int(post.sizes["draw"]),
        "chains": int(post.sizes["chain"]),
        "wall_s": round(wall, 2),
        "min_ess_bulk": round(min_ess, 1),
        "ess_per_s": round(min_ess / wall, 3),
        "trace_mb": round(_trace_mb(idata), 2),
        "trace_groups": sorted(node.name for node in idata.children.values()),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "divergences": int(stats["diverging"].sum()) if "diverging" in stats else None,
        "mean_tree_depth": None if depth is None else round(float(depth.mean()), 2),
        "mean_leapfrog_steps": None if steps is None else round(float(steps.mean()), 1),
        "gate": gate,
    }


def spawn(config: str, n_per_cell: int, draws: int | None, tune: int | None,
          timeout: float) -> dict:
    """Run one configuration in a fresh Python process and return its figures."""
    command = [sys.executable, __file__, "--worker", config, "--n-per-cell", str(n_per_cell)]
    if draws is not None:
        command += ["--draws", str(draws), "--tune", str(tune)]
    env = dict(os.environ)
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT, check=False, env=env)
    except subprocess.TimeoutExpired:
        return {"config": config, "n_per_cell": n_per_cell,
                "error": f"timed out after {timeout:.0f} s", "wall_s": None}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"config": config, "n_per_cell": n_per_cell, "error": tail,
                "wall_s": round(time.perf_counter() - started, 1)}
    result = json.loads(lines[-1])
    result["load_after"] = round(os.getloadavg()[0], 2)
    return result


def gradient_cost(n_per_cell: int, repeats: int = 30) -> dict:
    """Time one log-density gradient of our main model (JAX, compiled, warm) at a survey size.

    This is the part of a fit's cost that must grow linearly with the number of responses; the
    number of gradients per draw (leapfrog steps) is measured by the full runs.
    """
    import jax
    import numpy as np
    from pymc.sampling.jax import get_jaxified_logp

    from trustmodels.models.ordinal import build_ordinal_model

    model = build_ordinal_model(simulated_long(n_per_cell))
    logp = get_jaxified_logp(model)
    gradient = jax.jit(jax.grad(lambda values: logp(values)))
    point = model.initial_point()
    values = [np.asarray(point[v.name]) for v in model.value_vars]
    jax.block_until_ready(gradient(values))  # compile
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        jax.block_until_ready(gradient(values))
        times.append(time.perf_counter() - started)
    n_responses = len(model.coords["obs"])
    return {"n_per_cell": n_per_cell, "n_responses": n_responses,
            "gradient_ms": round(1000 * float(np.median(times)), 3),
            "us_per_1000_responses": round(1e6 * float(np.median(times)) / n_responses * 1000,
                                           1)}


def reference_gaussian(n_per_cell: int, draws: int = 1000, tune: int = 1000) -> dict:
    """NUTS (numpyro, one chain) on a standard normal with as many dimensions as our model.

    The ideal posterior for a diagonal mass matrix: its steps per draw are the floor for our
    model at this survey size.
    """
    import jax
    import jax.numpy as jnp
    import numpy as np
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    from trustmodels.models.ordinal import build_ordinal_model

    model = build_ordinal_model(simulated_long(n_per_cell))
    dimension = int(sum(np.size(value) for value in model.initial_point().values()))

    def standard_normal():
        numpyro.sample("x", dist.Normal(jnp.zeros(dimension), 1.0))

    mcmc = MCMC(NUTS(standard_normal, target_accept_prob=0.9), num_warmup=tune,
                num_samples=draws, num_chains=1, progress_bar=False)
    mcmc.run(jax.random.PRNGKey(SEED), extra_fields=("num_steps", "adapt_state.step_size"))
    extra = mcmc.get_extra_fields()
    return {"n_responses": len(model.coords["obs"]), "dimension": dimension,
            "step_size": float(np.mean(extra["adapt_state.step_size"])),
            "steps_per_draw": float(np.mean(extra["num_steps"]))}


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def machine() -> dict:
    """Describe the machine: CPU model, cores, load."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()]}


HEADER = ("| config | responses | wall s | min bulk ESS | ESS/s | trace MB | steps / draw "
          "| gate |\n|---|---|---|---|---|---|---|---|")


def _cell(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _row(result: dict) -> str:
    if "error" in result:
        return f"| {result['config']} | - | - | - | - | - | - | error: {result['error'][:80]} |"
    steps = result.get("mean_leapfrog_steps")
    return (f"| {result['config']} | {result['n_responses']} | {result['wall_s']:.1f} | "
            f"{result['min_ess_bulk']:.0f} | {result['ess_per_s']:.2f} | "
            f"{result['trace_mb']:.1f} | {'-' if steps is None else f'{steps:.1f}'} | "
            f"{result['gate'][:60]} |")


def main(argv=None) -> int:
    """Run the benchmark and print a Markdown table and the speedup line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small survey (150 respondents), 500 tune + 500 draws")
    parser.add_argument("--scaling", action="store_true",
                        help="also run ours at about 1k, 10k and 100k responses")
    parser.add_argument("--scaling-baseline", action="store_true",
                        help="run the PyMC default at the scaling sizes too (slow)")
    parser.add_argument("--samplers", default="numpyro,nutpie,pymc",
                        help="other NUTS implementations on our model, comma separated "
                             "('' for none)")
    parser.add_argument("--variants", default="",
                        help="variants of ours: noncentered,vectorized")
    parser.add_argument("--scaling-cells", default="15,150,1500",
                        help="respondents per design cell of the scaling runs (6 cells)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the PyMC default")
    parser.add_argument("--gradients", action="store_true",
                        help="only time one gradient of ours at the scaling sizes")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per configuration")
    parser.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--n-per-cell", type=int, default=150, help=argparse.SUPPRESS)
    parser.add_argument("--draws", type=int,
                        help="draws per chain of every configuration (default: fit's 1000)")
    parser.add_argument("--tune", type=int,
                        help="tuning steps per chain of every configuration (default: 1000)")
    parser.add_argument("--reference", action="store_true",
                        help="only run NUTS on a standard normal of the model's dimension at "
                             "the scaling sizes (the floor of steps per draw)")
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(run_one(args.worker, args.n_per_cell, args.draws, args.tune)))
        return 0

    if args.gradients or args.reference:
        if args.gradients:
            measure, columns = gradient_cost, {"n_responses": "responses",
                                               "gradient_ms": "gradient ms (median of 30, warm)",
                                               "us_per_1000_responses": "us per 1,000 responses"}
        else:
            measure, columns = reference_gaussian, {"n_responses": "responses",
                                                    "dimension": "dimension",
                                                    "step_size": "step size",
                                                    "steps_per_draw": "steps / draw"}
        print(f"machine: {json.dumps(machine())}", flush=True)
        print("| " + " | ".join(columns.values()) + " |")
        print("|" + "---|" * len(columns), flush=True)
        for cells in (int(c) for c in args.scaling_cells.split(",") if c):
            result = measure(cells)
            print("| " + " | ".join(_cell(result[key]) for key in columns) + " |", flush=True)
        return 0

    n_per_cell = 25 if args.quick else 150
    draws, tune = (500, 500) if args.quick else (None, None)
    if args.draws is not None or args.tune is not None:  # either alone keeps fit's 1000
        draws = 1000 if args.draws is None else args.draws
        tune = 1000 if args.tune is None else args.tune
    print(f"machine: {json.dumps(machine())}", flush=True)
    simulated_long(n_per_cell)
    results = []
    configs = ([] if args.no_baseline else ["pymc_default"]) + ["ours"]
    configs += [f"ours_{name}" for name in args.samplers.split(",") if name]
    configs += [f"ours_{name}" for name in args.variants.split(",") if name]
    print(HEADER, flush=True)
    for config in configs:
        result = spawn(config, n_per_cell, draws, tune, args.timeout)
        result["size"] = "main"
        results.append(result)
        print(_row(result), flush=True)

    if args.scaling:
        print("\nscaling (responses ~ 11 x respondents):")
        print(HEADER, flush=True)
        scaling_configs = ["ours"] + (["pymc_default"] if args.scaling_baseline else [])
        for cells in (int(c) for c in args.scaling_cells.split(",") if c):
            simulated_long(cells)
            for config in scaling_configs:
                result = spawn(config, cells, draws, tune, args.timeout)
                result["size"] = f"scaling_{cells}"
                results.append(result)
                print(_row(result), flush=True)

    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=1))
    main_runs = {r["config"]: r for r in results if r["size"] == "main" and "error" not in r}
    if "ours" in main_runs and "pymc_default" in main_runs:
        speedup = main_runs["ours"]["ess_per_s"] / main_runs["pymc_default"]["ess_per_s"]
        print(f"speedup_vs_pymc_default: {speedup:.2f}")
    else:
        print("speedup_vs_pymc_default: nan")
    return 0


if __name__ == "__main__":
    sys.exit(main())
