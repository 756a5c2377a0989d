"""Is the fast fitter good enough? Its decisions and intervals against NUTS on the same studies.

:func:`nuts_comparison` fits tasks of a plan twice, with the fast fitter
(:class:`~trustmodels.planning.laplace.LaplaceFitter`) and with NUTS
(:func:`trustmodels.inference.sampling.fit`, through the convergence gate), and returns one row per
task and hypothesis with both posterior means, SDs, HDI end points and decisions.
:func:`agreement` summarizes such a table: the share of equal decisions and the largest
differences in posterior SDs, with a verdict against the thresholds the book uses.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from trustmodels.planning.spec import PlanSpec, Task, normal_decision
from trustmodels.planning.study import simulate_task

__all__ = ["AGREEMENT_TARGETS", "agreement", "check_tasks", "nuts_comparison"]

#: What "accurate enough" means: share of equal decisions, largest differences of posterior
#: means and HDI end points (in NUTS posterior SDs) and of posterior SDs (relative).
AGREEMENT_TARGETS = {"decisions": 0.95, "mean_sd_units": 0.25, "hdi_sd_units": 0.35,
                     "sd_relative": 0.15}


def check_tasks(plan: PlanSpec, *, per_point: int = 3, max_n_per_cell: int = 100,
                seed: int = 1) -> list[Task]:
    """Pick a random subset of a plan's tasks for the comparison with NUTS.

    Parameters
    ----------
    plan : PlanSpec
        The plan.
    per_point : int
        Studies per design point (scenario, variant, size).
    max_n_per_cell : int
        Only design points up to this size (NUTS takes minutes on large studies).
    seed : int
        Seed of the choice.

    Returns
    -------
    list of Task
        The chosen tasks, in the plan's order.

    Examples
    --------
    >>> from trustmodels.planning.trust_repair import trust_repair_plan
    >>> plan = trust_repair_plan(n_per_cell=(50, 400), replicates=10, scenarios=["null"])
    >>> [(t.variant, t.n_per_cell) for t in check_tasks(plan, per_point=1)]
    [('between', 50), ('within', 50)]
    """
    rng = np.random.default_rng(seed)
    points: dict = {}
    for task in plan.tasks():
        if task.n_per_cell <= max_n_per_cell:
            points.setdefault((task.scenario, task.variant, task.n_per_cell), []).append(task)
    chosen = set()
    for tasks in points.values():
        picks = rng.choice(len(tasks), size=min(per_point, len(tasks)), replace=False)
        chosen.update(tasks[i].key for i in picks)
    return [task for task in plan.tasks() if task.key in chosen]


def nuts_comparison(plan: PlanSpec, tasks: list[Task], *, draws: int = 1000, tune: int = 1000,
                    chains: int = 4, cores: int | None = None,
                    cache: bool = True) -> pd.DataFrame:
    """Fit every task with the fast fitter and with NUTS; return both per hypothesis.

    Parameters
    ----------
    plan : PlanSpec
        The plan.
    tasks : list of Task
        The studies to compare.
    draws, tune, chains, cores : int
        NUTS settings (passed to :func:`trustmodels.inference.sampling.fit`).
    cache : bool
        Reuse NUTS fits from the fit cache.

    Returns
    -------
    pandas.DataFrame
        Task fields, ``hypothesis``, ``truth``, and ``mean``, ``sd``, ``hdi_low``, ``hdi_high``,
        ``decision`` prefixed ``laplace_`` and ``nuts_`` (NUTS HDIs from the draws),
        ``nuts_passed`` (the NUTS fit passed the convergence gate; a fit that fails it has no
        NUTS values and is left out by :func:`agreement`) and ``nuts_seconds``, the sampling
        time the fit recorded when it was sampled (also for a fit read from the fit cache, whose
        reading takes far less).
    """
    from trustmodels.analysis.effects import summarize_draws
    from trustmodels.inference.diagnostics import FitDiagnosticsError
    from trustmodels.inference.sampling import fit as nuts_fit
    from trustmodels.models.declared import build_design_model
    from trustmodels.planning.laplace import LaplaceFitter

    rows = []
    for task in tasks:
        long, effects = simulate_task(plan, task)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            laplace = LaplaceFitter(long, plan.design).fit(long)
            model = build_design_model(long, plan.design)
            try:
                idata = nuts_fit(model, draws=draws, tune=tune, chains=chains, cores=cores,
                                 random_seed=task.seed % 2**31, cache=cache, progressbar=False)
            except FitDiagnosticsError:  # a NUTS fit that fails the gate is no reference
                idata = None
        passed = idata is not None
        seconds = (float(idata.posterior.attrs.get("sampling_time", np.nan)) if passed
                   else np.nan)
        if passed:
            beta = idata.posterior["beta"].stack(sample=("chain", "draw"))
            beta = beta.transpose("effect", ...).sel(effect=list(laplace.effects)).to_numpy()
        else:
            beta = np.full((len(laplace.effects), 1), np.nan)
        for hypothesis in plan.hypotheses:
            weights = np.array([hypothesis.weights.get(name, 0.0) for name in laplace.effects])
            draws_h = weights @ beta
            nuts = summarize_draws(draws_h, hdi_prob=plan.hdi_prob, rope=(-plan.rope, plan.rope))
            mean, sd = laplace.contrast(hypothesis.weights)
            fast = normal_decision(mean, sd, rope=plan.rope, hdi_prob=plan.hdi_prob)
            rows.append({"scenario": task.scenario, "variant": task.variant,
                         "n_per_cell": task.n_per_cell, "replicate": task.replicate,
                         "hypothesis": hypothesis.name, "truth": hypothesis.value(effects),
                         "laplace_converged": laplace.converged,
                         "laplace_mean": mean, "laplace_sd": sd,
                         "laplace_hdi_low": fast["hdi_low"], "laplace_hdi_high": fast["hdi_high"],
                         "laplace_decision": fast["decision"],
                         "nuts_mean": nuts["mean"], "nuts_sd": float(np.std(draws_h)),
                         "nuts_hdi_low": nuts["hdi_low"], "nuts_hdi_high": nuts["hdi_high"],
                         "nuts_decision": nuts["decision"], "nuts_passed": passed,
                         "nuts_seconds": seconds})
    return pd.DataFrame(rows)


def agreement(table: pd.DataFrame, targets: dict | None = None) -> dict:
    """Summarize a :func:`nuts_comparison` table and judge it against ``targets``.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`nuts_comparison`.
    targets : dict, optional
        Thresholds (default :data:`AGREEMENT_TARGETS`).

    Returns
    -------
    dict
        ``decisions`` (share of equal decisions), ``mean_sd_units`` and ``hdi_sd_units`` (the
        largest absolute differences of posterior means and HDI end points, in NUTS posterior
        SDs), ``sd_relative`` (largest relative difference of posterior SDs), ``comparisons``,
        ``studies``, ``failures`` (the criteria not met) and ``passed``.

    Examples
    --------
    >>> t = pd.DataFrame({"laplace_decision": ["undecided"], "nuts_decision": ["undecided"],
    ...                   "laplace_mean": [0.50], "nuts_mean": [0.51], "laplace_sd": [0.1],
    ...                   "nuts_sd": [0.1], "laplace_hdi_low": [0.3], "nuts_hdi_low": [0.31],
    ...                   "laplace_hdi_high": [0.7], "nuts_hdi_high": [0.71], "scenario": "s",
    ...                   "variant": "v", "n_per_cell": 1, "replicate": 0})
    >>> agreement(t)["passed"]
    True
    >>> agreement(t.assign(laplace_sd=[0.2]))["failures"]
    ['sd_relative']
    """
    targets = AGREEMENT_TARGETS if targets is None else targets
    if "nuts_passed" in table:
        table = table[table["nuts_passed"].astype(bool)]
    sd = table["nuts_sd"]
    result = {
        "decisions": float((table["laplace_decision"] == table["nuts_decision"]).mean()),
        "mean_sd_units": float(((table["laplace_mean"] - table["nuts_mean"]).abs() / sd).max()),
        "hdi_sd_units": float(max(((table["laplace_hdi_low"] - table["nuts_hdi_low"]).abs()
                                   / sd).max(),
                                  ((table["laplace_hdi_high"] - table["nuts_hdi_high"]).abs()
                                   / sd).max())),
        "sd_relative": float(((table["laplace_sd"] - sd).abs() / sd).max()),
        "comparisons": len(table),
        "studies": len(table.drop_duplicates(["scenario", "variant", "n_per_cell",
                                              "replicate"])),
    }
    failures = [name for name in ("mean_sd_units", "hdi_sd_units", "sd_relative")
                if result[name] > targets[name]]
    if result["decisions"] < targets["decisions"]:
        failures.insert(0, "decisions")
    result["failures"] = failures
    result["passed"] = not failures
    return result
