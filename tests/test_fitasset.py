"""The fit-cache release asset and the verify mode, end to end on a book of two notebooks.

Offline: a local file stands in for the release download.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache

from booktools import bookexec, fitasset

CONFIG = "execute:\n  execute_notebooks: cache\n  cache: _build/.jupyter_cache\n  timeout: 300\n"

#: A notebook that fits a one-parameter model through the fit cache and prints its mean.
FIT_CELL = """
import pymc as pm
from trustmodels.inference.sampling import fit
with pm.Model() as model:
    mu = pm.Normal("mu", 0.0, 10.0)
    pm.Normal("y", mu, 1.0, observed={observed})
posterior = fit(model, draws=600, tune=300, chains=2, cores=1, sampler="pymc", cache=True,
                random_seed=1, label="{label}")
print(round(float(posterior["posterior"]["mu"].mean()), 6))
"""


def _notebook(path: Path, source: str) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    root = tmp_path / "book"
    root.mkdir()
    (root / "_config.yml").write_text(CONFIG)
    (root / "intro.md").write_text("# Intro\n")
    _notebook(root / "notebooks" / "a.ipynb", FIT_CELL.format(observed=[1.0, 2.0, 3.0],
                                                              label="fit a"))
    _notebook(root / "notebooks" / "b.ipynb", FIT_CELL.format(observed=[-1.0, 0.5],
                                                              label="fit b"))
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: Analyses\n    chapters:\n"
        "      - file: notebooks/a\n      - file: notebooks/b\n")
    return root


def _run(root: Path) -> tuple[dict[str, str], list]:
    """Execute the book afresh; return each notebook's printed output and the failures."""
    shutil.rmtree(root / "_build" / ".jupyter_cache", ignore_errors=True)
    failures = bookexec.execute_pending(root, workers=1, log=lambda line: None)
    cache = get_cache(root / "_build" / ".jupyter_cache")
    printed = {}
    for name in ("a", "b"):
        path = root / "notebooks" / f"{name}.ipynb"
        try:
            _, merged = cache.merge_match_into_notebook(nbformat.read(path, as_version=4))
        except KeyError:  # failed: not cached
            continue
        printed[name] = "".join(output.get("text", "") for cell in merged.cells
                                for output in cell.get("outputs", [])).strip()
    return printed, failures


def _means(printed: dict[str, str]) -> dict[str, float]:
    return {name: float(text.splitlines()[-1]) for name, text in printed.items()}


@pytest.mark.slow
def test_a_release_asset_rebuilds_the_book_from_its_fits_and_verify_mode_can_fail(
        book, tmp_path, monkeypatch):
    from trustmodels.inference.cache import load_fit, save_fit

    first_cache, second_cache = tmp_path / "fits-first", tmp_path / "fits-second"
    monkeypatch.setenv("TRUSTMODELS_FIT_CACHE", str(first_cache))
    monkeypatch.delenv("TRUSTMODELS_VERIFY_FITS", raising=False)
    first, failures = _run(book)
    assert failures == [] and set(first) == {"a", "b"}

    # each notebook's record names the fit it used; the asset holds exactly those fits
    records = {name: bookexec.fit_log(book, book / "notebooks" / f"{name}.ipynb")
               .read_text().split() for name in ("a", "b")}
    assert all(len(keys) == 1 for keys in records.values())
    archive = fitasset.pack(book, tmp_path / "dist", version="9.9.9", fits=first_cache)
    record = json.loads((book / fitasset.ASSET_RECORD).read_text())
    assert record["asset"] == archive.name and record["fits"] == 2
    again = fitasset.pack(book, tmp_path / "dist-again", version="9.9.9", fits=first_cache)
    assert again.read_bytes() == archive.read_bytes()  # same fits, same checksum

    # a fresh machine: an empty fit cache, the asset fetched from a local file
    monkeypatch.setenv("TRUSTMODELS_FIT_CACHE", str(second_cache))
    environ = {fitasset.FETCH_ENV: "1", fitasset.SOURCE_ENV: str(archive)}
    lines: list[str] = []
    assert fitasset.fetch_for_build(book, environ, log=lines.append) == 2
    assert "2 fit(s) of release 9.9.9" in lines[0]
    assert fitasset.fetch_for_build(book, environ, log=lines.append) == 0  # nothing replaced
    second, failures = _run(book)
    assert failures == []
    # sampled on the first run, read from the shipped fits on the second: same numbers
    assert all("Sampling 2 chains" in first[name] for name in ("a", "b"))
    assert not any("Sampling" in second[name] for name in ("a", "b"))
    assert _means(second) == _means(first)

    # the notebooks read the shipped fits: a changed stored fit shows in the output ...
    key_a = records["a"][0]
    tampered = load_fit(key_a, second_cache)
    tampered["posterior"]["mu"] = tampered["posterior"]["mu"] + 5.0
    shutil.rmtree(second_cache / f"{key_a}.zarr")
    save_fit(key_a, tampered, second_cache)
    third, failures = _run(book)
    assert failures == []
    assert _means(third)["a"] == pytest.approx(_means(first)["a"] + 5.0)

    # ... and verify mode, sampling every fit again, finds it and passes the untouched one
    monkeypatch.setenv("TRUSTMODELS_VERIFY_FITS", "1")
    fourth, failures = _run(book)
    assert [Path(f.path).name for f in failures] == ["a.ipynb"]
    assert "FitVerificationError" in failures[0].error
    assert f"the stored fit {key_a[:12]} differs from the one sampled again" in failures[0].error
    assert "Sampling 2 chains" in fourth["b"]  # sampled again in verify mode
    assert _means(fourth) == {"b": _means(first)["b"]}


def test_fetch_refuses_a_wrong_checksum_a_missing_file_and_an_unrecorded_release(tmp_path):
    asset = tmp_path / "x.tar.gz"
    asset.write_bytes(b"not the asset")
    with pytest.raises(fitasset.FitAssetError, match="is not the recorded"):
        fitasset.fetch(str(asset), "0" * 64, fits=tmp_path / "fits")
    with pytest.raises(fitasset.FitAssetError, match="no such fit-cache asset"):
        fitasset.fetch(str(tmp_path / "missing.tar.gz"), "0" * 64, fits=tmp_path / "fits")
    with pytest.raises(fitasset.FitAssetError, match="no fit-cache asset is recorded"):
        fitasset.fetch_for_build(tmp_path, {fitasset.FETCH_ENV: "1"})


def test_fetch_is_opt_in_and_never_runs_in_ci(tmp_path):
    assert fitasset.fetch_for_build(tmp_path, {}) is None
    lines: list[str] = []
    assert fitasset.fetch_for_build(tmp_path, {fitasset.FETCH_ENV: "1", "CI": "true"},
                                    log=lines.append) is None
    assert lines == [f"make book: {fitasset.FETCH_ENV} is ignored in CI; the fits are sampled"]


def test_an_unreachable_download_is_one_line(tmp_path, monkeypatch):
    import pooch

    def offline(*args, **kwargs):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(fitasset.FitAssetError) as raised:
        fitasset.fetch("https://example.invalid/x.tar.gz", "0" * 64, fits=tmp_path / "fits")
    message = str(raised.value)
    assert "\n" not in message and "could not download" in message
    assert fitasset.FETCH_ENV in message


def test_pack_needs_a_record_of_every_notebook(tmp_path):
    (tmp_path / "_config.yml").write_text(CONFIG)
    (tmp_path / "intro.md").write_text("# Intro\n")
    _notebook(tmp_path / "notebooks" / "a.ipynb", "print(1)")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: notebooks/a\n")
    with pytest.raises(fitasset.FitAssetError, match="no record of the fits notebooks/a.ipynb"):
        fitasset.pack(tmp_path, tmp_path / "dist", version="1", fits=tmp_path / "fits")


def test_the_build_refuses_a_wrong_verify_share_before_any_notebook(monkeypatch, capsys,
                                                                   tmp_path):
    from booktools import bookbuild

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(bookbuild, "ensure_mathjax", lambda root: root)
    monkeypatch.setenv("TRUSTMODELS_VERIFY_FITS", "half")
    assert bookbuild.main([]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TRUSTMODELS_VERIFY_FITS='half'" in err


def test_the_asset_carries_the_sbc_result_the_book_used(tmp_path):
    # a fresh clone rebuilt from the 0.2.0 asset sampled the SBC's 20 fits again: the asset held
    # the fits but not the SBC result, which is cached as sbc/<key>.json
    (tmp_path / "_config.yml").write_text(CONFIG)
    (tmp_path / "intro.md").write_text("# Intro\n")
    notebook = tmp_path / "notebooks" / "a.ipynb"
    _notebook(notebook, "print(1)")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: notebooks/a\n")
    fits = tmp_path / "fits"
    (fits / "k1.zarr" / "posterior").mkdir(parents=True)
    (fits / "k1.zarr" / "posterior" / "mu").write_text("fit")
    (fits / "sbc").mkdir()
    (fits / "sbc" / "s1.json").write_text('{"ranks": [1, 2]}')
    record = bookexec.fit_log(tmp_path, notebook)
    record.parent.mkdir(parents=True)
    record.write_text("k1\nsbc/s1.json\n")
    archive = fitasset.pack(tmp_path, tmp_path / "dist", version="1", fits=fits)
    digest = json.loads((tmp_path / fitasset.ASSET_RECORD).read_text())["sha256"]
    fresh = tmp_path / "fresh"
    assert fitasset.fetch(str(archive), digest, fits=fresh) == 2
    assert (fresh / "sbc" / "s1.json").read_text() == '{"ranks": [1, 2]}'
    assert (fresh / "k1.zarr" / "posterior" / "mu").read_text() == "fit"
    (fits / "sbc" / "s1.json").unlink()  # a recorded result that is gone is named
    with pytest.raises(fitasset.FitAssetError, match="not in the fit cache"):
        fitasset.pack(tmp_path, tmp_path / "dist", version="1", fits=fits)


def test_the_sbc_records_its_result_in_the_fit_log(tmp_path, monkeypatch):
    from trustmodels.simulation import sbc

    monkeypatch.setenv("TRUSTMODELS_FIT_CACHE", str(tmp_path / "fits"))
    monkeypatch.setenv("TRUSTMODELS_FIT_LOG", str(tmp_path / "used.txt"))
    settings = sbc.SBCSettings(n_simulations=2, rank_draws=19, draws=20, tune=20, chains=1)
    import pandas as pd

    stored = sbc.SBCResult(ranks=pd.DataFrame({"mu": [1, 2]}), truth=pd.DataFrame({"mu": [0, 0]}),
                           fits=pd.DataFrame({"converged": [True, True]}), settings=settings,
                           seconds=1.0)
    monkeypatch.setattr(sbc, "run_sbc", lambda *args, **kwargs: stored)
    sbc.main_model_sbc(settings, n_per_cell=4, workers=1)  # computed and stored
    sbc.main_model_sbc(settings, n_per_cell=4, workers=1)  # read back
    entries = (tmp_path / "used.txt").read_text().split()
    assert len(entries) == 2 and entries[0] == entries[1] and entries[0].startswith("sbc/")
    assert (tmp_path / "fits" / entries[0]).is_file()
