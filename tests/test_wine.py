"""The wine data (R package ordinal): finding, verifying, converting and caching (no network)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import requests

from trustmodels.cli import main as cli_main
from trustmodels.datasets import wine
from trustmodels.datasets.manifest import sha256_of
from trustmodels.datasets.realdata import DATA_DIR_ENV, RealDataError
from trustmodels.datasets.wine import (
    WINE_CODEBOOK_PATH,
    WINE_CSV_NAME,
    WINE_FILENAME,
    WINE_SHA256,
    WINE_URL,
    convert_wine,
    fetch_wine_raw,
    load_wine,
)

#: The offline copy that CI keeps beside the checkout (../shared/data).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def wine_rda() -> Path:
    """The offline copy of wine.rda (a failure, not a skip, when CI lacks it)."""
    path = SHARED_DATA / WINE_FILENAME
    assert path.is_file(), f"{path} missing: the tests need ../shared/data beside the checkout"
    return path


@pytest.fixture
def download(monkeypatch, tmp_path):
    """Serve a download: ``download(bytes or exception)`` patches pooch, returns the cache."""
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("TRUSTMODELS_CACHE_DIR", str(tmp_path / "cache"))
    urls: list[str] = []

    def serve(content):
        def fake(url, output_file, pooch_instance):
            urls.append(url)
            if isinstance(content, Exception):
                raise content
            Path(output_file).write_bytes(content)

        monkeypatch.setattr(wine, "_pooch_downloader", lambda: fake)
        return tmp_path / "cache"

    serve.urls = urls
    return serve


def test_offline_copy_loads_as_nine_judges_with_eight_bottles(monkeypatch, wine_rda, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(wine_rda.parent))
    survey = load_wine(cache=tmp_path / "cache")
    assert (tmp_path / "cache" / WINE_CSV_NAME).is_file()
    assert survey.n_respondents == 9
    assert survey.n_rows == 72
    assert repr(survey) == "Survey('wine.csv', 9 respondents, 1 items in 1 constructs)"
    wide = survey.wide
    assert list(wide.columns) == list(wine.WINE_COLUMNS)
    assert not wide.isna().any().any()
    assert sorted(wide["judge"].unique(), key=int) == [str(j) for j in range(1, 10)]
    assert wide.groupby("judge").size().eq(8).all()
    assert not wide.duplicated(["judge", "bottle"]).any()
    assert wide.groupby(["temp", "contact"], observed=True).size().tolist() == [18] * 4
    assert list(wide["temp"].cat.categories) == ["cold", "warm"]
    assert list(wide["contact"].cat.categories) == ["no", "yes"]
    assert set(wide["rating"]) == {1, 2, 3, 4, 5}
    # rating is the 0-100 response grouped in steps of 20 (as the ordinal documentation says)
    grouped = np.searchsorted([20, 40, 60, 80], wide["response"].to_numpy(), side="right") + 1
    np.testing.assert_array_equal(wide["rating"].to_numpy(dtype=int), grouped)
    long = survey.long
    assert len(long) == 72
    assert {"bottle", "temp", "contact"} <= set(long.columns)
    assert set(long["construct"].astype(str)) == {"bitterness"}
    assert long["n_categories"].eq(5).all()
    book = survey.codebook
    assert (book.id, book.vignette, book.design, book.outcomes) == (
        "judge", "bottle", ("temp", "contact"), ("bitterness",))


def test_conversion_keeps_the_original_values(wine_rda):
    import pyreadr

    original = pyreadr.read_r(str(wine_rda))["wine"]
    converted = convert_wine(wine_rda)
    assert converted.shape == (72, 6)
    for name in ("judge", "temp", "contact"):
        assert converted[name].tolist() == original[name].astype(str).tolist()
    for name in ("bottle", "rating"):
        assert converted[name].tolist() == original[name].astype(int).tolist()
    np.testing.assert_array_equal(converted["response"], original["response"])


def test_cached_csv_passes_the_validate_command(wine_rda, tmp_path, capsys):
    load_wine(data_dir=wine_rda.parent, cache=tmp_path)
    status = cli_main(["validate", str(tmp_path / WINE_CSV_NAME),
                       "--codebook", str(WINE_CODEBOOK_PATH)])
    assert status == 0, capsys.readouterr()
    assert capsys.readouterr().out.startswith("valid:")


def test_a_changed_byte_fails_the_checksum_in_one_line(tmp_path, wine_rda):
    folder = tmp_path / "data"
    folder.mkdir()
    content = bytearray(wine_rda.read_bytes())
    content[len(content) // 2] ^= 0xFF
    (folder / WINE_FILENAME).write_bytes(bytes(content))
    cache = tmp_path / "cache"
    with pytest.raises(RealDataError, match="does not match the expected") as error:
        load_wine(data_dir=folder, cache=cache)
    message = str(error.value)
    assert "\n" not in message
    assert WINE_SHA256 in message and WINE_URL in message
    assert (folder / WINE_FILENAME).read_bytes() == bytes(content)  # never touched
    assert not cache.exists()  # nothing cached


def test_data_folder_without_the_file(tmp_path):
    with pytest.raises(RealDataError, match=f"{WINE_FILENAME} not found.*{DATA_DIR_ENV}"):
        fetch_wine_raw(data_dir=tmp_path)


def test_offline_without_setting_names_the_url_and_the_setting(download):
    cache = download(requests.exceptions.ConnectionError("offline"))
    with pytest.raises(RealDataError) as error:
        load_wine()
    assert "\n" not in str(error.value)
    assert WINE_URL in str(error.value) and DATA_DIR_ENV in str(error.value)
    assert not (cache / WINE_FILENAME).exists()


def test_a_download_with_the_wrong_checksum_is_not_kept(download):
    cache = download(b"tampered bytes")
    with pytest.raises(RealDataError, match=f"downloaded from {WINE_URL} does not match SHA-256"):
        load_wine()
    kept = {path.name for path in cache.glob("*")} if cache.exists() else set()
    assert not kept & {WINE_FILENAME, WINE_CSV_NAME}


def test_the_download_is_verified_cached_and_reused(download, wine_rda):
    cache = download(wine_rda.read_bytes())
    first, second = load_wine(), load_wine()
    assert download.urls == [WINE_URL]  # fetched once, then read from the cache
    assert sha256_of(cache / WINE_FILENAME) == WINE_SHA256
    assert (cache / WINE_CSV_NAME).is_file()
    assert first.wide.equals(second.wide)


def test_unreadable_r_file_gives_one_line(tmp_path):
    bad = tmp_path / WINE_FILENAME
    bad.write_bytes(b"RDX3\n this is not R data")
    with pytest.raises(RealDataError, match="not a readable R data file") as error:
        convert_wine(bad)
    assert "\n" not in str(error.value)
