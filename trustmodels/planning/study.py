"""One simulated study of a design analysis: simulate, fit with the fast fitter, decide.

:func:`run_task` is what a Dask worker runs for every task of a plan. The fitter
(:class:`~trustmodels.planning.laplace.LaplaceFitter`) is compiled once per process and study
layout (variant and size) and reused for every later study of that layout.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from trustmodels.design import simulate_design_survey
from trustmodels.planning.spec import PlanSpec, Task, normal_decision

__all__ = ["run_task", "simulate_task"]

#: Compiled fitters of this process, by (settings key, variant, respondents per cell).
_FITTERS: dict = {}


def simulate_task(plan: PlanSpec, task: Task) -> tuple[pd.DataFrame, dict[str, float]]:
    """Return the simulated survey (long table) of a task and its true effects.

    Examples
    --------
    >>> from trustmodels.planning.trust_repair import trust_repair_plan
    >>> plan = trust_repair_plan(n_per_cell=(10,), replicates=1)
    >>> long, effects = simulate_task(plan, plan.tasks()[0])
    >>> long["respondent"].nunique() == plan.n_respondents("between", 10)
    True
    """
    rng = np.random.default_rng(task.seed)
    effects = plan.scenario(task.scenario).draw(rng)
    variant = plan.variant(task.variant)
    long = simulate_design_survey(
        plan.design, effects, n_respondents=plan.n_respondents(task.variant, task.n_per_cell),
        items=plan.items, n_categories=plan.n_categories, vignettes=variant.vignettes,
        discrimination=plan.discrimination, seed=int(rng.integers(2**32)))
    return long, effects


def _fitter(plan: PlanSpec, task: Task, long: pd.DataFrame):
    from trustmodels.planning.laplace import LaplaceFitter

    key = (plan.settings_key(), task.variant, task.n_per_cell)
    if key not in _FITTERS:
        _FITTERS[key] = LaplaceFitter(long, plan.design)
    return _FITTERS[key]


def run_task(plan: PlanSpec | dict, task: Task) -> list[dict]:
    """Simulate, fit and decide one task; return one row per hypothesis.

    Parameters
    ----------
    plan : PlanSpec or dict
        The plan (or its :meth:`~PlanSpec.to_dict`, as sent to a worker).
    task : Task
        The task.

    Returns
    -------
    list of dict
        Per hypothesis: the task's fields, ``n_respondents``, ``hypothesis``, ``expect``,
        ``rope``, ``truth`` (the
        contrast's true value in this study), ``mean``, ``sd``, ``hdi_low``, ``hdi_high``,
        ``decision``, ``outcome``, ``converged``, ``problem`` and ``seconds`` (the fit's wall
        time; not part of the comparison between runs).
    """
    plan = plan if isinstance(plan, PlanSpec) else PlanSpec.from_dict(plan)
    start = time.perf_counter()
    long, effects = simulate_task(plan, task)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = _fitter(plan, task, long).fit(long)
    seconds = time.perf_counter() - start
    rows = []
    for hypothesis in plan.hypotheses:
        row = {"scenario": task.scenario, "variant": task.variant,
               "n_per_cell": task.n_per_cell,
               "n_respondents": plan.n_respondents(task.variant, task.n_per_cell),
               "replicate": task.replicate, "seed": task.seed, "hypothesis": hypothesis.name,
               "expect": hypothesis.expect, "rope": plan.rope,
               "truth": hypothesis.value(effects), "converged": fit.converged,
               "problem": fit.problem, "seconds": round(seconds, 3)}
        if fit.converged:
            mean, sd = fit.contrast(hypothesis.weights)
            decided = normal_decision(mean, sd, rope=plan.rope, hdi_prob=plan.hdi_prob)
            row.update(mean=mean, sd=sd, **decided,
                       outcome=hypothesis.outcome(decided["decision"], mean))
        else:
            row.update(mean=np.nan, sd=np.nan, hdi_low=np.nan, hdi_high=np.nan,
                       decision="not converged", outcome="not converged")
        rows.append(row)
    return rows
