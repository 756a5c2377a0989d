"""The real data set: finding, verifying, converting and caching it (no network needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import requests

from trustmodels.datasets import realdata
from trustmodels.datasets.realdata import (
    CSV_NAME,
    DATA_DIR_ENV,
    RAW_FILENAME,
    RAW_SHA256,
    RealDataError,
    convert_raw,
    fetch_raw,
    load_lancelot_miltgen,
)

#: The offline copy that CI keeps beside the checkout (../shared/data).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def shared_copy():
    raw = SHARED_DATA / RAW_FILENAME
    if not raw.is_file():
        pytest.fail(f"{raw} missing: CI and the book build need ../shared/data beside the checkout")
    return raw


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No data folder setting and a fresh cache folder."""
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv(realdata.CACHE_DIR_ENV, str(cache))
    return cache


def _serve(content: bytes):
    """A pooch downloader that 'downloads' the given bytes, or raises for an Exception."""

    def downloader(url, output_file, pooch_instance):
        if isinstance(content, Exception):
            raise content
        Path(output_file).write_bytes(content) if not hasattr(output_file, "write") \
            else output_file.write(content)

    return downloader


def test_setting_points_to_folder_with_the_file(monkeypatch, shared_copy, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(shared_copy.parent))
    survey = load_lancelot_miltgen(cache=tmp_path / "cache")
    assert survey.n_respondents == realdata.N_RESPONDENTS
    assert (tmp_path / "cache" / CSV_NAME).is_file()


def test_conversion_has_all_rows_items_ranges_and_no_missing(shared_copy, tmp_path):
    survey = load_lancelot_miltgen(data_dir=shared_copy.parent, cache=tmp_path)
    wide = survey.wide
    assert wide.shape == (1090, 12)
    assert list(wide.columns[1:]) == list(realdata.ITEM_CATEGORIES)
    assert wide["respondent_id"].is_unique
    assert not wide.isna().any().any()
    for item, k in realdata.ITEM_CATEGORIES.items():
        values = wide[item].to_numpy(dtype=int)
        assert values.min() == 1 and values.max() == k, item
    long = survey.long
    assert len(long) == 1090 * 11
    assert set(long["construct"].astype(str)) == set(realdata.CONSTRUCTS)
    # the converted answers are the original ones, row by row
    import pyreadr

    original = pyreadr.read_r(str(shared_copy))["LancelotMiltgenetal2016"]
    np.testing.assert_array_equal(wide[list(realdata.ITEM_CATEGORIES)].to_numpy(dtype=float),
                                  original[list(realdata.ITEM_CATEGORIES)].to_numpy())


def test_data_folder_without_the_file(tmp_path):
    with pytest.raises(RealDataError, match=f"{RAW_FILENAME} not found.*{DATA_DIR_ENV}"):
        fetch_raw(data_dir=tmp_path)


def test_setting_naming_a_missing_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(RealDataError, match="not a folder"):
        fetch_raw(cache=tmp_path / "cache")


def test_corrupted_local_file_fails_checksum_and_is_left_alone(tmp_path, shared_copy):
    folder = tmp_path / "data"
    folder.mkdir()
    damaged = shared_copy.read_bytes()[:-100] + b"\0" * 100
    (folder / RAW_FILENAME).write_bytes(damaged)
    cache = tmp_path / "cache"
    with pytest.raises(RealDataError, match="does not match the expected") as error:
        load_lancelot_miltgen(data_dir=folder, cache=cache)
    assert "\n" not in str(error.value)
    assert (folder / RAW_FILENAME).read_bytes() == damaged  # never touched
    assert not cache.exists()  # nothing cached


def test_unreadable_r_file_gives_one_line(tmp_path):
    bad = tmp_path / RAW_FILENAME
    bad.write_bytes(b"RDX3\n this is not R data")
    with pytest.raises(RealDataError, match="not a readable R data file") as error:
        convert_raw(bad)
    assert "\n" not in str(error.value)


def test_offline_without_setting_says_how_to_get_the_file(isolated, monkeypatch):
    monkeypatch.setattr(realdata, "_pooch_downloader",
                        lambda: _serve(requests.exceptions.ConnectionError("offline")))
    with pytest.raises(RealDataError) as error:
        load_lancelot_miltgen()
    message = str(error.value)
    assert "\n" not in message
    assert realdata.DATA_URL in message and DATA_DIR_ENV in message
    assert not (isolated / RAW_FILENAME).exists()


def test_download_with_wrong_checksum_caches_nothing(isolated, monkeypatch):
    monkeypatch.setattr(realdata, "_pooch_downloader", lambda: _serve(b"tampered bytes"))
    with pytest.raises(RealDataError, match="does not match SHA-256"):
        load_lancelot_miltgen()
    cached = list(isolated.glob("*")) if isolated.exists() else []
    assert not [path for path in cached if path.name in (RAW_FILENAME, CSV_NAME)]


def test_download_is_verified_cached_and_reused(isolated, monkeypatch, shared_copy):
    calls = []

    def counting(url, output_file, pooch_instance):
        calls.append(url)
        Path(output_file).write_bytes(shared_copy.read_bytes())

    monkeypatch.setattr(realdata, "_pooch_downloader", lambda: counting)
    first = load_lancelot_miltgen()
    second = load_lancelot_miltgen()
    assert calls == [realdata.DATA_URL]  # downloaded once, then read from the cache
    assert realdata.sha256_of(isolated / RAW_FILENAME) == RAW_SHA256
    assert (isolated / CSV_NAME).is_file()
    assert first.wide.equals(second.wide)


def test_cached_csv_is_rewritten_when_it_was_edited(tmp_path, shared_copy):
    cache = tmp_path / "cache"
    load_lancelot_miltgen(data_dir=shared_copy.parent, cache=cache)
    csv = cache / CSV_NAME
    original = csv.read_text()
    csv.write_text(original.replace("LM0001,", "LM0001x,", 1))
    load_lancelot_miltgen(data_dir=shared_copy.parent, cache=cache)
    assert csv.read_text() == original


def test_local_copy_is_never_modified(tmp_path, shared_copy):
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(shared_copy, folder / RAW_FILENAME)
    before = sorted(p.name for p in folder.iterdir())
    load_lancelot_miltgen(data_dir=folder, cache=tmp_path / "cache")
    assert sorted(p.name for p in folder.iterdir()) == before
    assert realdata.sha256_of(folder / RAW_FILENAME) == RAW_SHA256


def test_an_unwritable_cache_folder_still_loads_from_the_data_folder(monkeypatch, shared_copy,
                                                                     tmp_path):
    # with the data setting nothing needs the cache; an unwritable HOME gave a 19-line OSError
    monkeypatch.setenv(DATA_DIR_ENV, str(shared_copy.parent))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    survey = load_lancelot_miltgen(cache=blocked / "cache")
    assert survey.n_respondents == realdata.N_RESPONDENTS
    assert blocked.read_text() == "a file where the cache folder should be"
