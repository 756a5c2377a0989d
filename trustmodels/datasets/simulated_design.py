"""The design coding shared by the simulator and the models.

A respondent's design is the seller's response (none, apology, denial), the violation type
(competence, integrity) and the seller's fan count. The fixed effects are coded against the
reference cell *no response to a competence violation, 10^4 followers*:

``apology``, ``denial``, ``integrity``, ``apology:integrity``, ``denial:integrity``,
``log_fans_c``, ``apology:log_fans_c``, ``denial:log_fans_c``, ``integrity:log_fans_c``,
``apology:integrity:log_fans_c``, ``denial:integrity:log_fans_c``

where ``log_fans_c = log10(fan_count) - 4``. There is no intercept column: the item thresholds
absorb it. The same names are the simulator's true parameters and the models' coefficients, so
parameter recovery compares like with like.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "DECLARED_EFFECT_NAMES",
    "FAN_CENTER_LOG10",
    "RESPONSE_LEVELS",
    "VIOLATION_LEVELS",
    "EFFECT_NAMES",
    "design_matrix",
    "log_fans_centered",
]

RESPONSE_LEVELS = ("none", "apology", "denial")
VIOLATION_LEVELS = ("competence", "integrity")
FAN_CENTER_LOG10 = 4.0

EFFECT_NAMES = (
    "apology",
    "denial",
    "integrity",
    "apology:integrity",
    "denial:integrity",
    "log_fans_c",
    "apology:log_fans_c",
    "denial:log_fans_c",
    "integrity:log_fans_c",
    "apology:integrity:log_fans_c",
    "denial:integrity:log_fans_c",
)

#: The parts of :data:`EFFECT_NAMES` as the declared design of the simulated survey's codebook
#: names them (:func:`trustmodels.design.effect_names`).
_DECLARED_PARTS = {"apology": "seller_response[apology]", "denial": "seller_response[denial]",
                   "integrity": "violation[integrity]", "log_fans_c": "log10(fan_count)"}

#: Each effect of :data:`EFFECT_NAMES` under its name in the declared design
#: (``StudyDesign.from_codebook`` of the simulated survey): the truth file and the main model
#: use the short names, a fit of :func:`trustmodels.models.declared.build_design_model` the
#: declared ones, e.g. ``"apology:log_fans_c"`` is ``"seller_response[apology]:log10(fan_count)"``.
DECLARED_EFFECT_NAMES = {
    name: ":".join(_DECLARED_PARTS[part] for part in name.split(":")) for name in EFFECT_NAMES}


def log_fans_centered(fan_count) -> np.ndarray:
    """Return ``log10(fan_count) - 4``, the centered fan count used in every model.

    Parameters
    ----------
    fan_count : array_like of int
        Followers of the seller; must be at least 1.

    Returns
    -------
    numpy.ndarray
        Centered log10 fan count (0 at 10,000 followers).

    Examples
    --------
    >>> log_fans_centered([100, 10_000, 1_000_000]).tolist()
    [-2.0, 0.0, 2.0]
    """
    counts = np.asarray(fan_count, dtype=float)
    if np.any(~np.isfinite(counts)) or np.any(counts < 1):
        raise ValueError("fan_count must be finite and at least 1 to take its log10")
    return np.log10(counts) - FAN_CENTER_LOG10


def design_matrix(
    seller_response, violation, fan_count, effects: tuple[str, ...] = EFFECT_NAMES
) -> pd.DataFrame:
    """Return the fixed-effects design matrix (one row per respondent, one column per effect).

    Parameters
    ----------
    seller_response : array_like of str
        ``"none"``, ``"apology"`` or ``"denial"``.
    violation : array_like of str
        ``"competence"`` or ``"integrity"``.
    fan_count : array_like of int
        Followers of the seller (at least 1).
    effects : tuple of str
        Columns to return, a subset of :data:`EFFECT_NAMES` (default all).

    Returns
    -------
    pandas.DataFrame
        Float columns named as in :data:`EFFECT_NAMES`.

    Examples
    --------
    >>> X = design_matrix(["apology", "none"], ["integrity", "competence"], [1000, 10_000])
    >>> X.loc[0, ["apology", "integrity", "apology:integrity", "apology:log_fans_c"]].tolist()
    [1.0, 1.0, 1.0, -1.0]
    >>> X.loc[1].abs().sum()
    np.float64(0.0)
    """
    response = pd.Series(np.asarray(seller_response, dtype=object))
    kind = pd.Series(np.asarray(violation, dtype=object))
    bad = sorted(set(response) - set(RESPONSE_LEVELS)) + sorted(set(kind) - set(VIOLATION_LEVELS))
    if bad:
        raise ValueError(f"unknown design levels {bad}; expected {RESPONSE_LEVELS} and "
                         f"{VIOLATION_LEVELS}")
    unknown = sorted(set(effects) - set(EFFECT_NAMES))
    if unknown:
        raise ValueError(f"unknown effects {unknown}; expected a subset of {EFFECT_NAMES}")
    columns = {
        "apology": (response == "apology").to_numpy(float),
        "denial": (response == "denial").to_numpy(float),
        "integrity": (kind == "integrity").to_numpy(float),
        "log_fans_c": log_fans_centered(fan_count),
    }
    for name in EFFECT_NAMES:
        if name not in columns:
            columns[name] = np.prod([columns[part] for part in name.split(":")], axis=0)
    return pd.DataFrame({name: columns[name] for name in effects})
