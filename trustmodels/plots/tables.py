"""Tables for readers: one formatting step between a result table and the page.

Every chapter shows its result tables through :func:`reader_table`, so that all of them follow
the same rules:

- numbers rounded for reading (``digits`` decimals, chosen per column where needed; counts as
  integers with thousands separators, but a probability column, ``p_...`` or ``..._prob``,
  keeps its decimals even when every value is 0 or 1), never ``2191.013333``;
- negative numbers with a true minus sign (U+2212), as in the prose; a number that rounds to
  zero keeps one significant digit (no ``-0.00``);
- a missing value shown as an empty cell, and rows or columns that hold nothing dropped;
- no bare ``0..n-1`` index; column and index names in words (``hdi_low`` -> "HDI low");
- wide tables scroll inside the text column instead of overflowing it.

The result is a :class:`pandas.io.formats.style.Styler`; its HTML is what Jupyter and the
book show, and ``.data`` still holds the numbers.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["MINUS", "agree", "format_interval", "format_number", "glue_rows", "reader_label",
           "reader_table"]

#: The minus sign used for negative numbers (U+2212), as in typeset prose.
MINUS = "\u2212"

#: Words and abbreviations written in capitals in labels.
_UPPER = {"hdi", "ci", "se", "sd", "ess", "elpd", "loo", "rope", "ml", "ols", "id", "bf10",
          "ppc", "sbc", "df", "p", "mcse", "bfmi", "dse"}


def format_number(value, digits: int = 2) -> str:
    """Format one value for a reader.

    Parameters
    ----------
    value : object
        A number (Python, NumPy), a missing value, or anything else (shown with ``str``).
    digits : int
        Decimals of non-integer numbers.

    Returns
    -------
    str
        Integers with thousands separators, other numbers with ``digits`` decimals (in
        scientific notation from a billion up), negative numbers with a true minus sign, ``""``
        for a missing value. A number that is not zero but rounds to zero keeps one
        significant digit (``−0.004``), so that no ``-0.00`` appears and a true zero stays
        distinguishable.

    Examples
    --------
    >>> format_number(2191.013333)
    '2,191.01'
    >>> format_number(-0.004)
    '−0.004'
    >>> format_number(0.0)
    '0.00'
    >>> format_number(-0.25)
    '−0.25'
    >>> format_number(12000)
    '12,000'
    >>> format_number(0.00012, digits=4)
    '0.0001'
    >>> format_number(float("nan"))
    ''
    >>> format_number(True), format_number("apology")
    ('yes', 'apology')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}".replace("-", MINUS)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return ""
        if math.isinf(number):
            return "∞" if number > 0 else MINUS + "∞"
        if number.is_integer() and abs(number) < 1e15 and digits == 0:
            return f"{int(number):,}".replace("-", MINUS)
        if abs(number) >= 1e9:
            text = f"{number:.2e}"
        elif number != 0 and round(number, digits) == 0:
            # not zero, but it rounds to it: one significant digit, never "-0.00"
            text = f"{number:.1g}" if abs(number) >= 1e-4 else f"{number:.1e}"
        else:
            text = f"{number:,.{digits}f}".lstrip("-" if number == 0 else "")
        return text.replace("-", MINUS)
    return str(value)


def agree(count: int, singular: str, plural: str) -> str:
    """Return the word that agrees with ``count`` in prose ("1 parameter leaves", "2 leave").

    Examples
    --------
    >>> f"1 {agree(1, 'parameter leaves', 'parameters leave')}"
    '1 parameter leaves'
    >>> agree(0, "fit", "fits"), agree(3, "leaves", "leave")
    ('fits', 'leave')
    """
    return singular if count == 1 else plural


def format_interval(mean, low, high, digits: int = 2) -> str:
    """Format a posterior mean with its interval for prose: ``−0.21 [−0.26, −0.15]``.

    Parameters
    ----------
    mean, low, high : float
        The estimate and the interval's ends.
    digits : int
        Decimals (see :func:`format_number`).

    Returns
    -------
    str

    Examples
    --------
    >>> format_interval(-0.0123, -0.0149, -0.0041)
    '−0.01 [−0.01, −0.004]'
    """
    return (f"{format_number(mean, digits)} [{format_number(low, digits)}, "
            f"{format_number(high, digits)}]")


def reader_label(name) -> str:
    """Turn a column or index name into words.

    Parameters
    ----------
    name : object
        A name such as ``"hdi_low"`` or ``"partial_eta_sq"``; anything that is not a string
        (a number, a tuple of a multi-level column) is returned as text unchanged.

    Returns
    -------
    str

    Examples
    --------
    >>> reader_label("hdi_low"), reader_label("ess_bulk"), reader_label("prob_positive")
    ('HDI low', 'ESS bulk', 'Prob positive')
    >>> reader_label("Bayes ordinal: mean")
    'Bayes ordinal: mean'
    """
    if not isinstance(name, str):
        return str(name)
    if "_" not in name and name != name.lower():
        return name  # already written for readers
    words = [word.upper() if word.lower() in _UPPER else word for word in name.split("_")]
    first = words[0]
    if first and first != first.upper():
        words[0] = first[0].upper() + first[1:]
    return " ".join(words)


def reader_table(frame: pd.DataFrame | pd.Series, *, digits: int | Mapping[str, int] = 2,
                 labels: Mapping[str, str] | None = None, index: bool | None = None,
                 caption: str | None = None):
    """Return a result table formatted for readers (see the module's rules).

    Parameters
    ----------
    frame : pandas.DataFrame or pandas.Series
        The table (a Series becomes a one-column table).
    digits : int or mapping of str to int
        Decimals of non-integer numbers, for all columns or per column (others: 2).
    labels : mapping of str to str, optional
        Column and index names to show instead of :func:`reader_label`'s.
    index : bool, optional
        Show the index. By default it is shown unless it is a plain ``0..n-1`` range.
    caption : str, optional
        A caption above the table.

    Returns
    -------
    pandas.io.formats.style.Styler
        Renders as HTML in Jupyter and in the book; ``.data`` is the table (with empty rows and
        columns dropped), unrounded.

    Examples
    --------
    >>> table = pd.DataFrame({"contrast": ["apology - none", "denial - none"],
    ...                       "mean": [0.4312, -0.0021], "hdi_low": [0.21, -0.3],
    ...                       "n_draws": [4000, 4000]})
    >>> styled = reader_table(table)
    >>> html = styled.to_html()
    >>> "HDI low" in html, "−0.30" in html, "4,000" in html, "0.43" in html
    (True, True, True, True)
    >>> ">−0.002<" in html, ">0.00<" in html  # -0.0021 keeps its sign and one digit
    (True, False)
    >>> ">1.00<" in reader_table(pd.DataFrame({"p_direction": [1.0]})).to_html()  # not a count
    True
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=frame.name if frame.name is not None else "value")
    bare = (isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
            and frame.index.step == 1)
    frame = frame.dropna(how="all").dropna(axis="columns", how="all")
    labels = dict(labels or {})
    per_column = dict(digits) if isinstance(digits, Mapping) else {}
    default = digits if isinstance(digits, int) else 2

    def formatter(column):
        values = frame[column]
        probability = str(column).startswith("p_") or str(column).endswith("_prob")
        counts = (pd.api.types.is_float_dtype(values) and not probability
                  and np.all(np.mod(values.dropna().to_numpy(), 1) == 0))
        places = per_column.get(column, 0 if counts else default)
        return lambda value: format_number(value, places)

    show_index = index is True or (index is None and not bare)
    if show_index:
        frame = frame.rename_axis(index=[None if name is None else labels.get(
            name, reader_label(name)) for name in frame.index.names])
    styler = frame.style.format({column: formatter(column) for column in frame.columns})
    styler = styler.format_index(lambda name: labels.get(name, reader_label(name)), axis=1)
    if show_index:
        styler = styler.format_index(
            lambda value: labels.get(value, format_number(value, default)
                                     if isinstance(value, numbers.Number) else str(value)),
            axis=0)
    else:
        styler = styler.hide(axis="index")
    numeric = [position for position, column in enumerate(frame.columns)
               if pd.api.types.is_numeric_dtype(frame.iloc[:, position])
               and not pd.api.types.is_bool_dtype(frame.iloc[:, position])]
    if numeric:  # numbers line up on the right, text stays on the left (by position: the
        # index or the columns of a result table need not be unique)
        styler = styler.set_table_styles(
            [{"selector": f"td.col{position}", "props": "text-align: right;"}
             for position in numeric], overwrite=False)
    if caption:
        styler = styler.set_caption(caption)
    return styler.set_table_attributes('class="trustmodels-table"')


def glue_rows(table: pd.DataFrame, key, fields: Mapping, glue) -> dict:
    """Glue chosen fields of every row of a result table, under keys built from the row.

    The numbers a chapter's prose quotes come from its result tables; this glues them in one
    call per table, so that the keys are built in one place and every quoted number is
    computed. The package does not depend on the book's tools: pass the glue function (in a
    MyST-NB notebook ``lambda name, value: glue(name, value, display=False)``).

    Parameters
    ----------
    table : pandas.DataFrame
        Result table.
    key : callable
        Row (a named tuple of :meth:`pandas.DataFrame.itertuples`) to the key's prefix.
    fields : mapping
        Suffix to a column name or to a callable of the row; each row gives
        ``f"{key(row)}_{suffix}"``.
    glue : callable
        ``glue(name, value)``, called once per glued value.

    Returns
    -------
    dict
        Every glued name with its value, in order.

    Examples
    --------
    >>> table = pd.DataFrame({"contrast": ["a - b"], "mean": [0.51], "covered": [True]})
    >>> glued = glue_rows(table, lambda row: f"latent_{row.contrast.replace(' - ', '_')}",
    ...                   {"mean": "mean",
    ...                    "covered": lambda row: "covers" if row.covered else "misses"},
    ...                   lambda name, value: None)
    >>> glued
    {'latent_a_b_mean': 0.51, 'latent_a_b_covered': 'covers'}
    """
    glued = {}
    for row in table.itertuples(index=False):
        prefix = key(row)
        for suffix, field in fields.items():
            value = field(row) if callable(field) else getattr(row, field)
            if isinstance(value, np.generic):
                value = value.item()
            glued[f"{prefix}_{suffix}"] = value
            glue(f"{prefix}_{suffix}", value)
    return glued
