"""``trustmodels report``: two designs end to end, and every bad input as one line.

The end-to-end tests run the command as a user would (``trustmodels.cli.main``) on small
simulated surveys of two different designs, then compare the report's tables with the package's
own functions on the same fit (loaded from the fit cache the report filled).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from trustmodels import cli
from trustmodels.design import Moderator, StudyDesign, simulate_design_survey
from trustmodels.simulation.declared import write_design_survey

BETWEEN = StudyDesign({"reaction": ["silence", "excuse", "denial"]},
                      outcomes=["trust", "intent"],
                      moderators={"fans": Moderator("log10", centre=4.0,
                                                    simulate_range=(-2.0, 2.0))})
WITHIN = StudyDesign({"temp": ["cold", "warm"], "contact": ["no", "yes"]},
                     outcomes=["bitterness"], vignette="bottle")
# the within-subjects case adjusts for a numeric column (the taster's age, say)
AGED = StudyDesign({"temp": ["cold", "warm"], "contact": ["no", "yes"]},
                   outcomes=["bitterness"], vignette="bottle", covariate_columns=["age"])


def _write_survey(folder, design, effects, *, n, items, vignettes=1, seed=5):
    """Write a simulated survey of ``design`` as CSV (one row per occasion) and its codebook."""
    long = simulate_design_survey(design, effects, n_respondents=n, items=items,
                                  vignettes=vignettes, seed=seed)
    return write_design_survey(long, design, folder, name="survey", title="A test survey")


def _add_attention_check(data, codebook, *, failed_every):
    """Add an instructed-response item that every ``failed_every``-th respondent fails."""
    frame = pd.read_csv(data, dtype=str)
    frame["attention"] = ["5" if i % failed_every == 0 else "2" for i in range(len(frame))]
    frame.to_csv(data, index=False)
    book = json.loads(codebook.read_text(encoding="utf-8"))
    resource = book["resources"][0]
    resource["schema"]["fields"].append({"name": "attention", "type": "integer",
                                         "categories": [1, 2, 3, 4, 5]})
    resource["trustmodels"]["attention_check"] = {"field": "attention", "correct": 2}
    codebook.write_text(json.dumps(book), encoding="utf-8")


def _inputs(folder):
    return sorted(path.name for path in folder.iterdir())


@pytest.fixture
def fit_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTMODELS_FIT_CACHE", str(tmp_path / "fits"))
    return tmp_path / "fits"


@pytest.mark.slow
@pytest.mark.parametrize("case", ["between-subjects with a moderator",
                                  "within-subjects without a moderator"])
def test_the_report_runs_end_to_end_and_its_tables_are_the_packages(tmp_path, fit_cache,
                                                                    case, capsys):
    from trustmodels.analysis.contrasts import factor_contrasts
    from trustmodels.design import design_table
    from trustmodels.inference.sampling import fit
    from trustmodels.models.declared import build_design_model
    from trustmodels.report.run import QUICK, gate_thresholds
    from trustmodels.survey.codebook import Codebook
    from trustmodels.survey.exclusions import apply_exclusions, exclusions_by
    from trustmodels.survey.table import load_survey

    if case.startswith("between"):
        design, effects = BETWEEN, {"reaction[excuse]": 0.8, "reaction[denial]": 0.2,
                                    "log10(fans)": 0.2}
        data, codebook = _write_survey(tmp_path / "in", design, effects, n=150,
                                       items={"trust": ["t1", "t2", "t3"],
                                              "intent": ["i1", "i2"]})
        _add_attention_check(data, codebook, failed_every=9)
        extra = ["--at", "fans=100,1000000"]
    else:
        design, effects = AGED, {"temp[warm]": 1.5, "contact[yes]": 0.8, "age": 0.5}
        data, codebook = _write_survey(tmp_path / "in", design, effects, n=12,
                                       items={"bitterness": ["rating"]}, vignettes=8)
        extra = ["--random-slopes"]
    before = _inputs(tmp_path / "in")
    # the three commands in order: a draft codebook, validation, the report
    assert cli.main(["codebook", "draft", str(data)]) == 0
    draft = json.loads(capsys.readouterr().out)
    guessed = draft["resources"][0]["trustmodels"]
    assert guessed["id"] == "respondent" and set(guessed["design"]) == set(design.factors)
    assert cli.main(["validate", str(data), "--codebook", str(codebook)]) == 0
    assert capsys.readouterr().out.startswith("valid:")
    out = tmp_path / "report"
    status = cli.main(["report", str(data), "--codebook", str(codebook), "--out", str(out),
                       "--quick", *extra])
    printed = capsys.readouterr()
    assert status == 0, printed.err
    assert "[1/4]" in printed.out and "[4/4]" in printed.out
    assert _inputs(tmp_path / "in") == before  # nothing written next to the input
    assert {"index.html", "report.ipynb", "cells.csv", "contrasts.csv",
            "diagnostics.csv"} <= set(_inputs(out))
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "QUICK PREVIEW" in html and "passes the convergence gate" in html
    assert ("random slopes" in html) == (extra == ["--random-slopes"])
    assert html.count("data:image/png;base64") >= 3  # Likert bars, predictive checks, contrasts
    assert "Traceback" not in html and "<Figure size" not in html
    # every figure says what it shows to a screen reader (nbconvert's stand-in text otherwise)
    assert "No description has been provided" not in html
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) >= 3 and all(re.search(r'alt="[^"]{20,}"', tag) for tag in images)

    # the report's contrasts are the package's, on the same (cached) fit
    survey = load_survey(data, Codebook.from_file(codebook))
    kept, _ = apply_exclusions(survey)
    model = build_design_model(design_table(kept), design, random_slopes=bool(extra[:1] == [
        "--random-slopes"]))
    idata = fit(model, draws=QUICK["draws"], tune=QUICK["tune"], chains=QUICK["chains"],
                random_seed=20261122, label="report fit", thresholds=gate_thresholds(True),
                cache=True)
    assert len(list(fit_cache.glob("*.zarr"))) == 1  # the command sampled once, this loaded it
    reported = pd.read_csv(out / "contrasts.csv")
    at = {"fans": [100.0, 1_000_000.0]} if design.moderators else None
    for factor in design.factors:
        for scale in ("latent", "expected"):
            ours = factor_contrasts(idata, design, factor, scale=scale, at=at)
            theirs = reported[(reported["factor"] == factor) & (reported["scale"] == scale)]
            np.testing.assert_allclose(theirs["mean"].to_numpy(), ours["mean"].to_numpy(),
                                       rtol=1e-9)
            assert theirs["contrast"].tolist() == ours["contrast"].tolist()
    cells = pd.read_csv(out / "cells.csv")
    assert set(design.factors) <= set(cells.columns)
    shifts = pd.read_csv(out / "proportional_odds.csv")
    assert shifts["threshold"].min() == 1 and shifts["threshold"].nunique() >= 2
    assert "Proportional odds:" in html
    if case.startswith("between"):  # the screening removed respondents: rates per condition
        _, report = apply_exclusions(survey)
        ours = exclusions_by(survey, report, list(design.factors))
        theirs = pd.read_csv(out / "exclusions_by_condition.csv", dtype={"reaction": str})
        assert theirs["excluded"].tolist() == ours["excluded"].tolist()
        assert ours["excluded"].iloc[-1] == report.n_before - report.n_after > 0
        assert "Excluded per condition" in html
    else:
        assert not (out / "exclusions_by_condition.csv").exists()
    if len(design.outcomes) > 1:  # items of two constructs: the measurement-structure check
        from trustmodels.analysis.checks import predictive_draws
        from trustmodels.analysis.item_correlations import item_correlation_check
        from trustmodels.design import prepare_design_data

        prepared = prepare_design_data(design_table(kept), design)
        construct = {item: c for c, items in {"trust": ["t1", "t2", "t3"],
                                              "intent": ["i1", "i2"]}.items() for item in items}
        replicated = predictive_draws(model, idata, kind="posterior", random_seed=20261122)
        ours = item_correlation_check(replicated,
                                      item_construct=[construct[i] for i in prepared.items],
                                      respondent=prepared.occasion_index,
                                      item=prepared.item_index)
        theirs = pd.read_csv(out / "item_correlations.csv")
        np.testing.assert_allclose(theirs["observed"], ours["observed"], rtol=1e-9)
        np.testing.assert_allclose(theirs["predicted_mean"], ours["predicted_mean"], rtol=1e-9)
        assert "Measurement structure:" in html
    else:
        assert not (out / "item_correlations.csv").exists()
    if design.moderators:
        floodlight = pd.read_csv(out / "floodlight.csv")
        assert floodlight["fans"].nunique() == 25
    if design.covariate_columns:  # the adjustment is stated and its slope tabled
        from trustmodels.analysis.effects import summarize_draws

        assert "adjusted for the numeric columns age" in html
        slopes = pd.read_csv(out / "covariate_columns.csv").set_index("covariate_column")
        ours = summarize_draws(idata["posterior"]["beta_columns"].sel(covariate_column="age"))
        assert slopes.loc["age", "mean"] == pytest.approx(ours["mean"], rel=1e-9)
    else:
        assert not (out / "covariate_columns.csv").exists()


def _good_inputs(tmp_path):
    return _write_survey(tmp_path / "in", WITHIN, {"temp[warm]": 1.0}, n=6,
                         items={"bitterness": ["rating"]}, vignettes=4)


@pytest.mark.parametrize(("change", "message"), [
    ("missing data", "no such file; expected the survey's data file"),
    ("missing codebook", "no such file; expected the survey's codebook file"),
    ("bad cell", "column 'rating'"),
    ("one level", "has only the level(s)"),
    ("unknown moderator", "--at fans: not a moderator of the design"),
    ("out exists", "the folder exists and is not empty; pass --force"),
    ("out is the data folder", "holds the data file"),
    ("bad --at", "expected NAME=VALUE,VALUE"),
    ("negative --tune", "--tune -1: expected an integer >= 0"),
    ("zero --rope", "--rope 0: expected a positive half-width"),
    ("random slopes between", "no effect varies within respondents"),
])
def test_a_bad_input_is_one_line_and_status_2_before_any_sampling(tmp_path, fit_cache, capsys,
                                                                  change, message):
    data, codebook = _good_inputs(tmp_path)
    out = tmp_path / "report"
    args = ["report", str(data), "--codebook", str(codebook), "--out", str(out), "--quick"]
    if change == "missing data":
        args[1] = str(tmp_path / "nope.csv")
    elif change == "missing codebook":
        args[3] = str(tmp_path / "nope.json")
    elif change == "bad cell":
        text = data.read_text().splitlines()
        cells = text[1].split(",")
        cells[-1] = "9"
        data.write_text("\n".join([text[0], ",".join(cells), *text[2:]]) + "\n")
    elif change == "one level":
        data.write_text(data.read_text().replace("warm", "cold"))
    elif change == "unknown moderator":
        args += ["--at", "fans=10"]
    elif change == "out exists":
        out.mkdir()
        (out / "keep.txt").write_text("mine")
    elif change == "out is the data folder":
        args[5] = str(data.parent)
        args.append("--force")  # even so: the input is never replaced
    elif change == "bad --at":
        args += ["--at", "fans"]
    elif change == "negative --tune":
        args += ["--tune", "-1"]
    elif change == "zero --rope":
        args += ["--rope", "0"]
    elif change == "random slopes between":  # one rating per judge: nothing varies within
        data, codebook = _write_survey(tmp_path / "in", StudyDesign(
            {"temp": ["cold", "warm"]}, outcomes=["bitterness"]), {"temp[warm]": 1.0}, n=20,
            items={"bitterness": ["rating"]})
        args[1], args[3] = str(data), str(codebook)
        args += ["--random-slopes"]
    before = _inputs(tmp_path / "in")
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err, err
    # argparse's usage errors show the usage above their one line
    lines = err.splitlines() if change != "bad --at" else err.splitlines()[-1:]
    assert len(lines) == 1 and "Traceback" not in err
    assert _inputs(tmp_path / "in") == before
    assert not fit_cache.exists()  # nothing was sampled
    if change == "out exists":
        assert (out / "keep.txt").read_text() == "mine"


@pytest.mark.slow
def test_a_fit_that_fails_the_gate_is_reported_as_failing_with_no_estimates(tmp_path, fit_cache,
                                                                            monkeypatch):
    from trustmodels.report import run

    failure = "report fit failed the convergence gate: R-hat > 1.01 for beta[temp[warm]] (1.2)"
    monkeypatch.setattr(run, "_prefit", lambda *args, **kwargs: failure)
    data, codebook = _good_inputs(tmp_path)
    out = tmp_path / "report"
    settings = run.ReportSettings(data=data, codebook=codebook, out=out, quick=True)
    run.run_report(settings, progress=None)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "The fit FAILS the convergence gate" in html and "R-hat &gt; 1.01" in html
    assert "No contrasts: the fit failed the convergence gate" in html
    assert not (out / "contrasts.csv").exists() and not (out / "diagnostics.csv").exists()
    assert not fit_cache.exists()  # the notebook did not sample either
