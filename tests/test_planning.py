"""The design analysis: plan files, the fast fitter, the Dask runner and the ``plan`` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustmodels.analysis.effects import summarize_draws
from trustmodels.cli import main
from trustmodels.planning.assurance import assurance, sample_size_for
from trustmodels.planning.laplace import LaplaceFitter
from trustmodels.planning.runner import ResultStore, run_plan
from trustmodels.planning.spec import Hypothesis, PlanSpec, Scenario, normal_decision
from trustmodels.planning.stored import read_results
from trustmodels.planning.study import simulate_task
from trustmodels.planning.trust_repair import trust_repair_plan

TINY = {"n_per_cell": (4,), "replicates": 3, "scenarios": ["review", "null"],
        "variants": ["between"]}


def _comparable(table: pd.DataFrame) -> pd.DataFrame:
    # a CSV file reads an empty problem as missing
    return (table.drop(columns="seconds").assign(problem=table["problem"].fillna(""))
            .reset_index(drop=True))


# ---- plan files ------------------------------------------------------------------------------
def test_plan_round_trips_through_json(tmp_path):
    plan = trust_repair_plan()
    path = tmp_path / "plan.json"
    path.write_text(plan.to_json())
    again = PlanSpec.from_json(path)
    assert again.to_dict() == plan.to_dict()
    assert again.key() == plan.key()
    assert [t.seed for t in again.tasks()] == [t.seed for t in plan.tasks()]


def test_task_seeds_do_not_depend_on_the_grid():
    small = {t.key: t.seed for t in trust_repair_plan(n_per_cell=(50,), replicates=2).tasks()}
    book = {t.key: t.seed for t in trust_repair_plan().tasks()}
    shared = set(small) & set(book)
    assert len(shared) >= 8 and all(book[key] == small[key] for key in shared)
    assert len(set(book.values())) == len(book)


def test_a_plan_naming_unknown_effects_is_refused():
    plan = trust_repair_plan(**TINY)
    with pytest.raises(ValueError, match="names effects .'seller_response.excuse.'"):
        replace(plan, scenarios=[Scenario("x", "x", {"seller_response[excuse]": 1.0})])
    with pytest.raises(ValueError, match="hypothesis 'H9' names effects"):
        replace(plan, hypotheses=[Hypothesis("H9", "x", {"nope": 1.0})])


def test_normal_decision_matches_the_draw_based_rule():
    rng = np.random.default_rng(3)
    for mean, sd in [(0.5, 0.1), (0.02, 0.03), (0.12, 0.05), (-0.4, 0.1), (0.0, 0.2)]:
        draws = rng.normal(mean, sd, 400_000)
        expected = summarize_draws(draws, rope=(-0.1, 0.1))
        got = normal_decision(mean, sd, rope=0.1)
        assert got["decision"] == expected["decision"]
        # draw-based HDI ends scatter by a few hundredths of an SD; a wrong z (1.645 for 1.96)
        # would move the end by 0.3 SD
        assert got["hdi_low"] == pytest.approx(expected["hdi_low"], abs=0.05 * sd)


def test_hypothesis_outcomes():
    positive = Hypothesis("H", "x", {"a": 1.0}, "positive")
    nil = Hypothesis("N", "x", {"a": 1.0}, "nil")
    assert positive.outcome("different from zero", -0.3) == "opposite"
    assert positive.outcome("practically equivalent", 0.01) == "practically nil"
    assert nil.outcome("practically equivalent", 0.01) == "supported"
    assert nil.outcome("different from zero", 0.3) == "different"


# ---- the fast fitter ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_study():
    plan = trust_repair_plan(n_per_cell=(30,), replicates=2, scenarios=["review"],
                             variants=["between"])
    task = plan.tasks()[0]
    long, effects = simulate_task(plan, task)
    return plan, task, long, effects


def test_laplace_fitter_refuses_another_layout(small_study):
    plan, _, long, _ = small_study
    fitter = LaplaceFitter(long, plan.design)
    fewer = long[long["respondent"] != long["respondent"].iloc[0]]
    with pytest.raises(ValueError, match="layout differs"):
        fitter.fit(fewer)


def test_laplace_fit_reports_a_failed_optimization(small_study, monkeypatch):
    import trustmodels.planning.laplace as laplace

    plan, _, long, _ = small_study
    monkeypatch.setattr(laplace, "MAX_NEWTON_STEPS", 0)  # L-BFGS stopped early, no rescue
    fit = LaplaceFitter(long, plan.design).fit(long, max_iterations=2)
    assert not fit.converged and "posterior SDs from the mode" in fit.problem
    converged = LaplaceFitter(long, plan.design).fit(long)
    assert converged.converged, converged.problem


def test_newton_steps_finish_an_optimization_stopped_early(small_study):
    # L-BFGS stopped after 2 iterations ends about 2 posterior SDs from the mode (the test
    # above); the Newton steps that follow reach the mode of the full optimization
    plan, _, long, _ = small_study
    fitter = LaplaceFitter(long, plan.design)
    full = fitter.fit(long)
    early = fitter.fit(long, max_iterations=2)
    assert early.converged, early.problem
    distance = np.abs(early.mean - full.mean) / np.sqrt(np.diag(full.cov))
    assert distance.max() < 1e-3


def test_laplace_intervals_cover_the_truth_across_studies():
    # 40 studies of 600 respondents: the 95% intervals of the effects cover the truth at the
    # nominal rate (a fitter whose SDs were half the right size covers about 67%)
    plan = trust_repair_plan(n_per_cell=(100,), replicates=40, scenarios=["review"],
                             variants=["between"])
    fitter, covered = None, []
    for task in plan.tasks():
        long, effects = simulate_task(plan, task)
        fitter = fitter or LaplaceFitter(long, plan.design)
        fit = fitter.fit(long)
        assert fit.converged, fit.problem
        truth = np.array([effects.get(name, 0.0) for name in fit.effects])
        sd = np.sqrt(np.diag(fit.cov))
        covered.append(np.abs(fit.mean - truth) <= 1.96 * sd)
    assert 0.90 <= np.mean(covered) <= 0.99


@pytest.mark.slow
def test_laplace_agrees_with_nuts_and_the_check_can_fail(small_study):
    from trustmodels.planning.validation import agreement, nuts_comparison

    plan, task, _, _ = small_study
    table = nuts_comparison(plan, plan.tasks(), draws=500, tune=500, chains=4)
    result = agreement(table)
    assert table["nuts_passed"].all()
    # the NUTS time is the one recorded when sampling, also when the fit comes from the cache
    again = nuts_comparison(plan, plan.tasks(), draws=500, tune=500, chains=4)
    assert (table["nuts_seconds"] > 0).all()
    pd.testing.assert_series_equal(again["nuts_seconds"], table["nuts_seconds"])
    assert result["passed"], result
    broken = table.assign(laplace_sd=table["laplace_sd"] * 1.5,
                          laplace_hdi_low=table["laplace_mean"] - 1.5 * 1.96 * table["laplace_sd"])
    assert not agreement(broken)["passed"]


# ---- the runner -----------------------------------------------------------------------------
def test_serial_and_two_worker_runs_give_identical_results(tmp_path):
    plan = trust_repair_plan(**TINY)
    serial = run_plan(plan, tmp_path / "serial", workers=0, progress=False)
    one = run_plan(plan, tmp_path / "one", workers=1, progress=False)
    two = run_plan(plan, tmp_path / "two", workers=2, progress=False)
    assert len(serial) == len(plan.tasks()) * len(plan.hypotheses)
    pd.testing.assert_frame_equal(_comparable(serial), _comparable(one))
    pd.testing.assert_frame_equal(_comparable(serial), _comparable(two))


def test_a_damaged_stored_result_is_recomputed(tmp_path, capsys):
    plan = trust_repair_plan(**TINY)
    first = run_plan(plan, tmp_path, workers=0, progress=False)
    store = ResultStore(tmp_path, plan)
    files = sorted(store.folder.glob("*.json"))
    text = files[0].read_text()
    files[0].write_text(text.replace('"mean": ', '"mean": 1', 1))  # a changed digit
    files[1].write_text(text[: len(text) // 2])  # truncated
    again = run_plan(plan, tmp_path, workers=0, progress=False)
    err = capsys.readouterr().err
    assert err.count("is damaged") == 2
    assert len(list(store.folder.glob("*.damaged"))) == 2
    pd.testing.assert_frame_equal(_comparable(first), _comparable(again))


def _stored(out: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime_ns for p in (out / "tasks").rglob("*.json")}


def test_an_interrupted_plan_resumes_without_recomputing(tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "trustmodels", "plan", "--out", str(out), "--n-per-cell",
               "60", "--replicates", "30", "--scenario", "review", "--variant", "between",
               "--workers", "0", "--quiet"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while len(_stored(out)) < 3 and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = _stored(out)
    assert 3 <= len(before) < 30, "the run was not interrupted part-way"
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    after = _stored(out)
    assert all(after[name] == mtime for name, mtime in before.items())  # not recomputed
    assert len(after) == 30
    resumed = read_results(out / "results.csv")
    fresh = run_plan(PlanSpec.from_json(out / "plan.json"), tmp_path / "fresh", workers=0,
                     progress=False)
    pd.testing.assert_frame_equal(_comparable(resumed), _comparable(fresh), check_dtype=False)


@pytest.mark.slow
def test_a_real_scheduler_with_two_worker_processes_and_a_lost_worker(tmp_path):
    # a scheduler and two workers as separate processes on the loopback interface; one worker
    # is killed while tasks run: its tasks are retried on the other, and the results equal a
    # run without Dask
    plan = trust_repair_plan(n_per_cell=(200,), replicates=40, scenarios=["review"],
                             variants=["between"])
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    processes = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", "0",
                                   "--scheduler-file", str(scheduler_file), "--no-dashboard"],
                                  stderr=subprocess.DEVNULL, env=env)]
    try:
        while not scheduler_file.exists():
            time.sleep(0.2)
        worker = [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                  str(scheduler_file), "--nthreads", "1", "--no-dashboard", "--no-nanny",
                  "--host", "127.0.0.1"]
        processes += [subprocess.Popen(worker, stderr=subprocess.DEVNULL, env=env)
                      for _ in range(2)]
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        from dask.distributed import Client

        with Client(address) as client:
            client.wait_for_workers(2, timeout=120)

        store = ResultStore(tmp_path / "dask", plan).folder

        def kill_one_worker_soon():
            deadline = time.time() + 300
            while len(list(store.glob("*.json"))) < 5 and time.time() < deadline:
                time.sleep(0.1)
            processes[1].kill()  # mid-run: its task in flight is lost and must be rerun

        import threading

        killer = threading.Thread(target=kill_one_worker_soon)
        killer.start()
        distributed = run_plan(plan, tmp_path / "dask", scheduler=address, progress=False)
        killer.join()
        assert processes[1].poll() is not None, "the worker was not killed during the run"
        assert len(distributed) == 40 * len(plan.hypotheses)
    finally:
        for process in processes:
            process.kill()
    serial = run_plan(plan, tmp_path / "serial", workers=0, progress=False)
    pd.testing.assert_frame_equal(_comparable(distributed), _comparable(serial))


# ---- assurance ------------------------------------------------------------------------------
def test_assurance_counts_outcomes_and_false_claims():
    rows = pd.DataFrame({
        "scenario": "null", "variant": "between", "n_per_cell": 50, "hypothesis": "H1",
        "expect": "positive", "rope": 0.1, "truth": 0.0, "converged": [True] * 4 + [False],
        "decision": ["different from zero", "different from zero", "undecided",
                     "practically equivalent", "not converged"],
        "outcome": ["supported", "opposite", "undecided", "practically nil", "not converged"],
        "mean": [0.3, -0.3, 0.0, 0.0, np.nan], "hdi_low": [0.15, -0.5, -0.2, -0.05, np.nan],
        "hdi_high": [0.45, -0.15, 0.2, 0.05, np.nan]})
    row = assurance(rows).iloc[0]
    assert (row["studies"], row["failed"]) == (4, 1)
    assert row["assurance"] == 0.25 and row["false_claim"] == 0.25
    assert row["assurance_se"] == pytest.approx(np.sqrt(0.25 * 0.75 / 4))
    assert row["sign_error"] == 0  # a zero truth has no sign to get wrong
    sizes = sample_size_for(pd.DataFrame({"scenario": "s", "variant": "v", "hypothesis": "H",
                                          "n_per_cell": [50, 100], "assurance": [0.2, 0.5]}))
    assert np.isnan(sizes["n_per_cell"].iloc[0]) and sizes["largest"].iloc[0] == 100


# ---- the command ----------------------------------------------------------------------------
@pytest.mark.parametrize("arguments, message", [
    (["--n-per-cell", "0", "--out", "{tmp}"], "sizes must be whole numbers >= 1"),
    (["--scenario", "nope", "--out", "{tmp}"], "unknown scenario(s) ['nope']"),
    (["{tmp}/missing.json", "--out", "{tmp}"], "missing.json: no such plan file"),
    (["{tmp}/bad.json", "--out", "{tmp}"], "bad.json: not JSON"),
    (["{tmp}/partial.json", "--out", "{tmp}"], "the plan lacks the key 'design'"),
    (["--replicates", "2"], "give an output folder with --out DIR"),
    (["--out", "{tmp}", "--workers", "1", "--scheduler", "tcp://127.0.0.1:1"],
     "either --workers or --scheduler"),
])
def test_plan_command_bad_input_is_one_line(tmp_path, capsys, arguments, message):
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "partial.json").write_text('{"items": {}}')
    status = main(["plan", *[a.replace("{tmp}", str(tmp_path)) for a in arguments]])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert message in err[-1]
    assert not any(line.startswith("Traceback") for line in err)


def test_plan_command_writes_the_tables(tmp_path, capsys):
    status = main(["plan", "--out", str(tmp_path), "--n-per-cell", "4", "--replicates", "2",
                   "--scenario", "review", "--variant", "between", "--workers", "0",
                   "--quiet"])
    assert status == 0, capsys.readouterr().err
    results = read_results(tmp_path / "results.csv")
    table = read_results(tmp_path / "assurance.csv")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    plan = PlanSpec.from_json(tmp_path / "plan.json")
    assert len(results) == 2 * len(plan.hypotheses)
    assert set(table["hypothesis"]) == {h.name for h in plan.hypotheses}
    assert manifest["key"] == plan.key() and manifest["studies"] == 2
    printed = capsys.readouterr()
    assert main(["plan", "--print-plan"]) == 0
    assert json.loads(capsys.readouterr().out)["design"]["outcomes"] == ["competence"]
    assert printed.err.count("\n") <= 3


# ---- stored results -------------------------------------------------------------------------
def test_stored_results_are_checked_when_read(tmp_path):
    from trustmodels.planning.stored import (
        StoredPlanError,
        load_stored_plan,
        store_plan_outputs,
        verify_sample,
    )

    out = tmp_path / "out"
    assert main(["plan", "--out", str(out), "--n-per-cell", "4", "--replicates", "2",
                 "--scenario", "review", "--variant", "between", "--workers", "0",
                 "--quiet"]) == 0
    folder = store_plan_outputs(out, tmp_path / "derived")
    plan = PlanSpec.from_json(out / "plan.json")
    stored = load_stored_plan(folder, plan)
    assert len(verify_sample(stored, studies=2)) == 2 * len(plan.hypotheses)
    # another plan (here: another ROPE) is refused in one line naming the command
    with pytest.raises(StoredPlanError, match="recompute it with `make plan`"):
        load_stored_plan(folder, replace(plan, rope=0.2))
    # a changed stored number is found by recomputing
    results = pd.read_csv(folder / "results.csv.gz")
    results.loc[0, "mean"] += 0.01
    results.to_csv(folder / "results.csv.gz", index=False)
    with pytest.raises(StoredPlanError, match="differs from the stored one"):
        verify_sample(load_stored_plan(folder, plan), studies=2)
