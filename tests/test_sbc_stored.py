"""The stored SBC run: ranked parts of variables, resuming, storing, refusing, verifying."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from trustmodels.simulation.sbc import SBCSettings
from trustmodels.simulation.sbc_stored import (
    SimulationStore,
    StoredSBCError,
    load_stored_sbc,
    run_stored_sbc,
    store_sbc,
    verify_stored_sbc,
)


def _posterior():
    items = ["i1", "i2", "i3"]
    return xr.Dataset({
        "lambda": (("chain", "draw", "item"), np.ones((2, 5, 3))),
        "cutpoints": (("chain", "draw", "item", "cutpoint"), np.ones((2, 5, 3, 2))),
        "u": (("chain", "draw", "respondent"), np.ones((2, 5, 4))),
    }, coords={"item": items, "cutpoint": [1, 2], "respondent": ["r1", "r2", "r3", "r4"]})


def test_ranked_part_keeps_the_first_entries_and_never_fills_with_nan():
    # cutting cutpoints to one item while lambda keeps all three used to align the two on
    # their shared "item" dimension and fill the cut variable with NaN
    settings = SBCSettings(var_names=("lambda", "cutpoints", "u"), draws=50, chains=2,
                           rank_draws=9, first_elements=(("cutpoints", 1), ("u", 2)))
    ranked = settings.ranked(_posterior())
    assert ranked["lambda"].shape == (2, 5, 3)
    assert ranked["cutpoints"].shape == (2, 5, 1, 2)
    assert ranked["u"].shape == (2, 5, 2)
    assert not any(bool(ranked[name].isnull().any()) for name in ranked.data_vars)
    assert list(ranked["cutpoints"].coords["cutpoints_item"].values) == ["i1"]


def test_first_elements_must_name_a_ranked_variable():
    with pytest.raises(ValueError, match="first_elements names 'u'"):
        SBCSettings(var_names=("beta",), first_elements=(("u", 3),))
    with pytest.raises(ValueError, match="positive number"):
        SBCSettings(var_names=("u",), first_elements=(("u", 0),))


def test_settings_without_first_elements_keep_their_old_key():
    assert "first_elements" not in SBCSettings().key_fields()
    assert SBCSettings(var_names=("u",), first_elements=(("u", 1),)).key_fields()[
        "first_elements"] == (("u", 1),)


def test_a_damaged_simulation_file_is_moved_aside_and_run_again(tmp_path):
    store = SimulationStore(tmp_path, "key")
    store.save(3, {"beta[a]": 7}, {"converged": True})
    path = tmp_path / "key" / "sim-0003.json"
    record = json.loads(path.read_text())
    record["simulation"]["ranks"]["beta[a]"] = 8  # edited without its checksum
    path.write_text(json.dumps(record))
    assert store.load(3) is None
    assert not path.exists() and path.with_suffix(".damaged").exists()


TINY = SBCSettings(n_simulations=3, rank_draws=19, draws=50, tune=50, chains=2, ess_min=1.0,
                   var_names=("beta", "lambda", "cutpoints", "u_residual"),
                   first_elements=(("cutpoints", 1), ("u_residual", 2)), seed=5)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_stored_run_resumes_stores_refuses_and_verifies(tmp_path):
    work, out = tmp_path / "work", tmp_path / "out"
    lines = []
    result, payload = run_stored_sbc(work, TINY, n_per_cell=5, workers=2, progress=lines.append)
    assert len(lines) == 3
    assert result.ranks.shape == (3, 11 + 11 + 6 + 2 + 1)
    assert result.ranks.index.tolist() == [0, 1, 2]
    # a second run finds every simulation finished and fits nothing
    lines.clear()
    again, _ = run_stored_sbc(work, TINY, n_per_cell=5, workers=1, progress=lines.append)
    assert lines == []
    pd.testing.assert_frame_equal(again.ranks, result.ranks)
    # stored and read back
    store_sbc(result, payload, out)
    stored = load_stored_sbc(out, TINY, n_per_cell=5)
    pd.testing.assert_frame_equal(stored.result.ranks, result.ranks)
    pd.testing.assert_frame_equal(stored.result.truth, result.truth)
    assert stored.manifest["simulations"] == 3 and stored.manifest["n_respondents"] == 30
    # other settings: refused before anything is read
    other = SBCSettings(**{**TINY.__dict__, "seed": 6})
    with pytest.raises(StoredSBCError, match="not that of the current settings"):
        load_stored_sbc(out, other, n_per_cell=5)
    # one simulation recomputed: on this machine its ranks are repeated exactly
    table = verify_stored_sbc(stored, simulations=(1,))
    assert (table["difference"] == 0).all() and len(table) == result.ranks.shape[1]
    # a stored rank moved far from what the fit gives, and a stored truth changed: both caught
    tampered = stored.result.ranks.copy()
    name = (tampered.loc[1] - 9.5).abs().idxmax()  # the most extreme rank, moved to the other end
    tampered.loc[1, name] = 19 if tampered.loc[1, name] < 10 else 0
    broken = type(stored)(result=type(stored.result)(**{**stored.result.__dict__,
                                                        "ranks": tampered}),
                          manifest=stored.manifest)
    with pytest.raises(StoredSBCError, match="simulation 1 ranks"):
        verify_stored_sbc(broken, simulations=(1,))
    truth = stored.result.truth.copy()
    truth.iloc[2, 0] += 0.01
    broken = type(stored)(result=type(stored.result)(**{**stored.result.__dict__,
                                                        "truth": truth}),
                          manifest=stored.manifest)
    with pytest.raises(StoredSBCError, match="true parameters are not the prior draws"):
        verify_stored_sbc(broken, simulations=(1,))


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(StoredSBCError, match="lacks ranks.csv"):
        load_stored_sbc(tmp_path, TINY, n_per_cell=5)


def test_the_command_names_a_bad_worker_count_in_one_line(tmp_path, capsys):
    from trustmodels.simulation.sbc_stored import main

    assert main([str(tmp_path / "work"), str(tmp_path / "out"), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--workers must be a positive integer, got 0" in err


@pytest.mark.parametrize("folder, model", [("sbc", "ordinal"), ("sbc_declared", "declared")])
def test_the_stored_runs_keep_their_keys(folder, model):
    # chapter 5 reads sbc_declared (the declared design's main model); sbc is the same run of
    # build_ordinal_model: neither key may change without `make sbc` / `make sbc-declared`
    import json as _json

    from trustmodels.config import project_data_dir
    from trustmodels.simulation.sbc_stored import REALISTIC_SBC, REALISTIC_SBC_DECLARED, sbc_key

    settings = REALISTIC_SBC_DECLARED if model == "declared" else REALISTIC_SBC
    manifest = _json.loads((project_data_dir() / "derived" / folder / "manifest.json")
                           .read_text())
    assert sbc_key(settings, 50, 7, model=model)[0] == manifest["key"]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_declared_form_of_the_main_model_runs_stores_and_verifies(tmp_path):
    # the main model built from the simulated survey's declared design: its own key (refused as
    # the ordinal builder's run and vice versa), the same stored layout, verified like the other
    settings = SBCSettings(**{**TINY.__dict__, "n_simulations": 2})
    work, out = tmp_path / "work", tmp_path / "out"
    result, payload = run_stored_sbc(work, settings, n_per_cell=5, workers=2, model="declared",
                                     progress=lambda line: None)
    assert payload["builder"] == "declared"
    assert "beta[seller_response[apology]]" in result.ranks.columns
    store_sbc(result, payload, out)
    with pytest.raises(StoredSBCError, match="not that of the current settings"):
        load_stored_sbc(out, settings, n_per_cell=5)
    stored = load_stored_sbc(out, settings, n_per_cell=5, model="declared")
    table = verify_stored_sbc(stored, simulations=(1,))
    assert (table["difference"] == 0).all()
