"""Tiny example data for trying a function in seconds (and for the docstrings' examples).

* :func:`example_codebook` and :func:`example_frame`: a three-respondent survey with one
  two-level factor (``group``) and one construct (``trust``) of two 1-5 items, one answer
  missing; :func:`example_survey` loads the two as a :class:`~trustmodels.survey.table.Survey`.
  Pass your own rows to :func:`trustmodels.survey.table.survey_from_frame` with
  :func:`example_codebook` to try a screening rule or a table.
* :func:`example_scores`: SIMULATED scale scores of the vignette design (seller's response,
  violation, fan count, disposition, trust) for the classical analyses.

None of these is data about anyone; they are for trying the functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustmodels.datasets.simulated_design import RESPONSE_LEVELS, VIOLATION_LEVELS
from trustmodels.survey.codebook import Codebook
from trustmodels.survey.table import Survey, survey_from_frame

__all__ = ["example_codebook", "example_frame", "example_scores", "example_survey"]


def example_codebook() -> Codebook:
    """Return the codebook of the example survey.

    Returns
    -------
    trustmodels.survey.codebook.Codebook
        Fields ``id``, ``group`` (levels ``a``, ``b``; the design factor), ``q1`` and ``q2``
        (1-5, the construct ``trust``).

    Examples
    --------
    >>> book = example_codebook()
    >>> book.id, book.design, dict(book.constructs)
    ('id', ('group',), {'trust': ('q1', 'q2')})
    """
    likert = [1, 2, 3, 4, 5]
    return Codebook.from_dict({"name": "example", "resources": [{
        "name": "example", "path": "example.csv",
        "schema": {"fields": [
            {"name": "id", "type": "string"},
            {"name": "group", "type": "string", "categories": ["a", "b"]},
            {"name": "q1", "type": "integer", "categories": likert},
            {"name": "q2", "type": "integer", "categories": likert}],
            "primaryKey": "id", "missingValues": [""]},
        "trustmodels": {"id": "id", "design": ["group"],
                        "constructs": {"trust": ["q1", "q2"]}}}]}, source="example.json")


def example_frame() -> pd.DataFrame:
    """Return the example survey's three rows (respondent R2 skipped ``q2``).

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``group``, ``q1``, ``q2``.

    Examples
    --------
    >>> example_frame().shape
    (3, 4)
    """
    return pd.DataFrame({"id": ["R1", "R2", "R3"], "group": ["a", "b", "b"],
                         "q1": [1, 5, 4], "q2": [2, None, 4]})


def example_survey() -> Survey:
    """Return the example survey, validated against :func:`example_codebook`.

    Returns
    -------
    trustmodels.survey.table.Survey

    Examples
    --------
    >>> example_survey().n_respondents
    3
    """
    return survey_from_frame(example_frame(), example_codebook(), source="example")


def example_scores(n: int, *, balanced: bool = False, apology_slope: float = 0.0,
                   seed: int = 0) -> pd.DataFrame:
    """Return SIMULATED scale scores of the vignette design, for trying the classical analyses.

    Parameters
    ----------
    n : int
        Respondents (a multiple of 6 with ``balanced``).
    balanced : bool
        Fill the response x violation cells equally, without fan count; otherwise seller
        response, violation, fan count (log-uniform, 10^2 to 10^6) and disposition are drawn at
        random.
    apology_slope : float
        Change of the apology effect per tenfold fan count (not with ``balanced``).
    seed : int
        Seed.

    Returns
    -------
    pandas.DataFrame
        ``seller_response``, ``violation``, [``fan_count``, ``disposition``,] ``trust``: 4 plus
        N(0, 1) noise plus, for an apology, ``1 + apology_slope * (log10(fan_count) - 2)``
        (1 in the balanced design).

    Examples
    --------
    >>> example_scores(5).columns.tolist()
    ['seller_response', 'violation', 'fan_count', 'disposition', 'trust']
    >>> example_scores(12, balanced=True).groupby(["seller_response", "violation"]).size().tolist()
    [2, 2, 2, 2, 2, 2]
    """
    rng = np.random.default_rng(seed)
    if balanced:
        scores = pd.DataFrame({"seller_response": np.repeat(RESPONSE_LEVELS, n // 3),
                               "violation": np.tile(VIOLATION_LEVELS, n // 2)})
        effect = 1.0
    else:
        scores = pd.DataFrame({"seller_response": rng.choice(RESPONSE_LEVELS, n),
                               "violation": rng.choice(VIOLATION_LEVELS, n),
                               "fan_count": np.round(10 ** rng.uniform(2, 6, n)).astype(int),
                               "disposition": rng.normal(4, 1, n)})
        effect = 1 + apology_slope * (np.log10(scores["fan_count"]) - 2)
    apology = (scores["seller_response"] == "apology").to_numpy()
    scores["trust"] = 4 + apology * effect + rng.normal(0, 1, n)
    return scores
