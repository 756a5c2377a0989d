"""Result tables formatted for readers (trustmodels.plots.tables)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from trustmodels.plots.tables import MINUS, format_number, reader_label, reader_table


def _cells(styler) -> list[str]:
    """The texts of the body cells (th and td) of the rendered table."""
    html = styler.to_html()
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, flags=re.S)]


@pytest.mark.parametrize(("value", "digits", "shown"), [
    (2191.013333, 2, "2,191.01"), (-0.004, 2, f"{MINUS}0.004"), (0.0, 2, "0.00"),
    (-0.0, 2, "0.00"), (-0.25, 2, f"{MINUS}0.25"), (0.00002, 2, "2.0e-05".replace("-", MINUS)),
    (np.float64(0.5), 3, "0.500"), (np.int64(-12000), 2, f"{MINUS}12,000"),
    (float("nan"), 2, ""), (None, 2, ""), (pd.NA, 2, ""), (np.True_, 2, "yes"),
    (4.0, 0, "4"), ("denial", 2, "denial"),
])
def test_numbers_read_as_in_the_prose(value, digits, shown):
    assert format_number(value, digits) == shown


def test_a_table_reads_well():
    raw = pd.DataFrame({"contrast": ["apology - none", None, "denial - none"],
                        "mean": [0.43129, np.nan, -0.0021],
                        "hdi_low": [0.2101, np.nan, -0.3],
                        "n_draws": [4000, np.nan, 4000],
                        "empty": [np.nan, np.nan, np.nan]})
    before = raw.copy()
    cells = _cells(reader_table(raw, digits={"hdi_low": 1}))
    text = " ".join(cells)
    assert "Contrast" in cells and "HDI low" in cells and "Empty" not in cells
    assert f"{MINUS}0.3" in cells and "0.43" in cells and "0.2" in cells
    assert not [cell for cell in cells if re.fullmatch(r"[-−]?0\.0+", cell)]
    assert f"{MINUS}0.002" in cells
    assert "nan" not in text.lower()  # the empty row is gone
    assert "4,000" in cells  # integral floats of a count column read as counts
    # no bare 0..n index: the first cell of the body row is the contrast
    assert not re.search(r">\s*0\s*<", reader_table(raw).to_html())
    pd.testing.assert_frame_equal(raw, before)  # the caller's table is unchanged


def test_a_meaningful_index_is_kept_with_its_name_in_words():
    table = pd.DataFrame({"elpd_loo": [-1234.5, -1250.25]},
                         index=pd.Index(["ordinal", "metric"], name="model_name"))
    cells = _cells(reader_table(table))
    assert "ordinal" in cells and "Model name" in cells and "ELPD LOO" in cells
    assert f"{MINUS}1,234.50" in cells
    assert table.index.name == "model_name"


def test_a_series_becomes_a_one_column_table():
    cells = _cells(reader_table(pd.Series([1.5, 2.25], index=["a", "b"], name="value")))
    assert cells[:1] == [""] or "Value" in cells
    assert "2.25" in cells


@pytest.mark.parametrize(("name", "label"), [("hdi_low", "HDI low"), ("r_hat", "R hat"),
                                             ("ML metric (semopy)", "ML metric (semopy)")])
def test_labels_are_words(name, label):
    assert reader_label(name) == label


def test_a_table_with_a_repeated_index_is_formatted_too():
    # result tables are often concatenations (the same row labels twice); Styler.apply and
    # .map refuse those, which once failed two chapters
    table = pd.concat([pd.DataFrame({"mean": [0.5], "model": ["a"]}, index=["x"]),
                       pd.DataFrame({"mean": [-0.25], "model": ["b"]}, index=["x"])])
    html = reader_table(table).to_html()
    assert f"{MINUS}0.25" in html and "text-align: right" in html
