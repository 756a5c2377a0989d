"""Internal consistency of the multi-item scales: Cronbach's alpha, McDonald's omega, item-total.

Every function takes the survey in *wide* layout (one row per respondent, one numeric column per
Likert item) and a mapping ``construct -> item columns`` (the codebook's ``constructs``), and
returns a tidy :class:`pandas.DataFrame`.

Missing answers are handled explicitly with ``nan_policy``:

``"listwise"`` (default)
    A construct's statistics use only the respondents who answered *every* item of that construct
    (complete cases); ``n_respondents`` is their number, so the confidence interval and the point
    estimate refer to the same people.
``"pairwise"``
    Each item covariance uses every respondent who answered both items (as ``psych::alpha(use =
    "pairwise")`` in R). Respondents who answered no item of the construct are dropped;
    ``n_respondents`` counts those who answered at least one item, which is the *n* the Feldt
    interval is computed with. The covariance matrix may then mix different subsamples.

Alpha and its Feldt confidence interval come from :func:`pingouin.cronbach_alpha`
(Vallat 2018); alpha itself is Cronbach's (1951) coefficient.
Alpha is a lower bound of reliability that equals it only when all items load equally on one
factor (tau-equivalence); omega total relaxes that by using a one-factor solution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pingouin as pg

__all__ = [
    "NAN_POLICIES",
    "cronbach_alpha",
    "item_total_correlations",
    "mcdonald_omega",
    "reliability_table",
]

NAN_POLICIES = ("listwise", "pairwise")


def _check_nan_policy(nan_policy: str) -> None:
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")


def _item_frame(
    wide: pd.DataFrame, items: Sequence[str], construct: str, min_items: int = 2
) -> pd.DataFrame:
    """Return the construct's items as a float frame, with clear errors for bad input."""
    if not isinstance(wide, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame in wide layout, got {type(wide).__name__}")
    items = list(items)
    missing = [item for item in items if item not in wide.columns]
    if missing:
        raise ValueError(
            f"construct {construct!r}: item column(s) {missing} not found in the data "
            f"(columns are {list(wide.columns)})"
        )
    if len(items) < min_items:
        raise ValueError(
            f"construct {construct!r} has {len(items)} item(s) {items}; "
            f"this statistic needs at least {min_items}"
        )
    frame = wide[items]
    for item in items:
        if not (pd.api.types.is_numeric_dtype(frame[item]) and
                not pd.api.types.is_bool_dtype(frame[item])):
            raise ValueError(
                f"construct {construct!r}: column {item!r} has dtype {frame[item].dtype}; "
                "expected numeric Likert answers"
            )
    return frame.astype("float64")


def _usable_rows(frame: pd.DataFrame, nan_policy: str, construct: str) -> pd.DataFrame:
    _check_nan_policy(nan_policy)
    if nan_policy == "listwise":
        used = frame.dropna(axis=0, how="any")
    else:
        used = frame.dropna(axis=0, how="all")
    if len(used) < 3:
        raise ValueError(
            f"construct {construct!r}: only {len(used)} respondent(s) usable with "
            f"nan_policy={nan_policy!r}; reliability needs at least 3"
        )
    return used


def _check_constructs(wide: pd.DataFrame, constructs: Mapping[str, Sequence[str]]) -> None:
    if not isinstance(constructs, Mapping) or not constructs:
        raise ValueError("constructs must be a non-empty mapping construct -> item columns")


def cronbach_alpha(
    wide: pd.DataFrame,
    items: Sequence[str],
    *,
    construct: str = "scale",
    nan_policy: str = "listwise",
    ci: float = 0.95,
) -> dict:
    """Return Cronbach's alpha of one scale with its Feldt confidence interval.

    Parameters
    ----------
    wide : pandas.DataFrame
        One row per respondent, one numeric column per item (missing answers as NaN/NA).
    items : sequence of str
        The scale's item columns (at least two).
    construct : str
        Name of the scale, used in error messages and in the result.
    nan_policy : {"listwise", "pairwise"}
        How missing answers are handled (see the module docstring).
    ci : float
        Coverage of the confidence interval.

    Returns
    -------
    dict
        ``construct``, ``n_items``, ``n_respondents``, ``alpha``, ``ci_low``, ``ci_high``.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 4, 4, 5], "c": [2, 3, 3, 5, 5]})
    >>> result = cronbach_alpha(wide, ["a", "b", "c"])
    >>> round(result["alpha"], 4), result["n_respondents"]
    (0.9618, 5)
    """
    frame = _usable_rows(_item_frame(wide, items, construct), nan_policy, construct)
    alpha, (low, high) = pg.cronbach_alpha(data=frame, nan_policy=nan_policy, ci=ci)
    return {
        "construct": construct,
        "n_items": frame.shape[1],
        "n_respondents": len(frame),
        "alpha": float(alpha),
        "ci_low": float(low),
        "ci_high": float(high),
    }


def _one_factor_loadings(corr: np.ndarray, tol: float = 1e-8, max_iter: int = 1000) -> np.ndarray:
    """Standardized loadings of a one-factor minres (iterated principal axis) solution."""
    try:
        communality = 1.0 - 1.0 / np.diag(np.linalg.inv(corr))
    except np.linalg.LinAlgError:
        communality = np.full(corr.shape[0], 0.5)
    loadings = np.sqrt(np.clip(communality, 0.0, 1.0))
    for _ in range(max_iter):
        reduced = corr.copy()
        np.fill_diagonal(reduced, communality)
        values, vectors = np.linalg.eigh(reduced)
        loadings = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
        if loadings.sum() < 0:
            loadings = -loadings
        updated = loadings**2
        if np.max(np.abs(updated - communality)) < tol:
            break
        communality = updated
    return loadings


def mcdonald_omega(
    wide: pd.DataFrame,
    items: Sequence[str],
    *,
    construct: str = "scale",
    nan_policy: str = "listwise",
) -> float:
    """Return McDonald's omega total of one scale from a one-factor solution.

    The factor is extracted from the item correlation matrix by iterated principal axis
    factoring (a minres solution, as ``psych::omega`` with one factor):
    ``omega = (sum lambda)^2 / ((sum lambda)^2 + sum (1 - lambda^2))``. Unlike alpha it does not
    assume equal loadings. A Heywood case (a loading of at least 1) returns NaN.

    Parameters
    ----------
    wide : pandas.DataFrame
        One row per respondent, one numeric column per item.
    items : sequence of str
        The scale's item columns (at least three: one factor is not identified with two).
    construct : str
        Name of the scale, used in error messages.
    nan_policy : {"listwise", "pairwise"}
        How missing answers are handled (see the module docstring).

    Returns
    -------
    float
        Omega total.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> factor = rng.normal(size=2000)
    >>> wide = pd.DataFrame({f"x{j}": 0.8 * factor + 0.6 * rng.normal(size=2000)
    ...                      for j in range(4)})
    >>> round(mcdonald_omega(wide, list(wide.columns)), 2)
    0.88
    """
    frame = _usable_rows(_item_frame(wide, items, construct, min_items=3), nan_policy, construct)
    corr = frame.corr().to_numpy()
    if not np.all(np.isfinite(corr)):
        raise ValueError(
            f"construct {construct!r}: an item has no variance or no overlapping answers, "
            "so its correlations are undefined"
        )
    loadings = _one_factor_loadings(corr)
    if np.any(loadings >= 1.0):
        return float("nan")
    common = loadings.sum() ** 2
    return float(common / (common + np.sum(1.0 - loadings**2)))


def reliability_table(
    wide: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    nan_policy: str = "listwise",
    ci: float = 0.95,
) -> pd.DataFrame:
    r"""Return alpha (with confidence interval) and omega for every construct.

    Parameters
    ----------
    wide : pandas.DataFrame
        One row per respondent, one numeric column per item.
    constructs : mapping of str to sequence of str
        Construct name -> its item columns (e.g. ``survey.codebook.constructs``).
    nan_policy : {"listwise", "pairwise"}
        How missing answers are handled (see the module docstring).
    ci : float
        Coverage of the alpha confidence interval (Feldt's method).

    Returns
    -------
    pandas.DataFrame
        One row per construct: ``construct``, ``n_items``, ``n_respondents``, ``alpha``,
        ``ci_low``, ``ci_high``, ``omega`` (NaN for two-item scales).

    See Also
    --------
    trustmodels.analysis.reliability.cronbach_alpha : Alpha of one scale.
    trustmodels.analysis.reliability.mcdonald_omega : Omega total of one scale.
    trustmodels.analysis.reliability.item_total_correlations : Item-rest correlations and alpha
        if an item were dropped.
    pingouin.cronbach_alpha : The computation of alpha and its interval.

    Notes
    -----
    For a construct of :math:`k` items with item covariance matrix :math:`C` (complete cases,
    or pairwise covariances with ``nan_policy="pairwise"``), Cronbach's (1951) coefficient is

    .. math::

        \alpha = \frac{k}{k - 1} \left(1 - \frac{\operatorname{tr} C}{\mathbf{1}^\top C
            \mathbf{1}}\right),

    computed by :func:`pingouin.cronbach_alpha` (Vallat, 2018). Its interval is Feldt's:
    with :math:`n` respondents (``n_respondents``), :math:`\gamma = 1 -` ``ci`` and
    :math:`F_q` the :math:`q` quantile of the :math:`F(n - 1, (n - 1)(k - 1))` distribution,
    ``ci_low`` :math:`= 1 - (1 - \alpha)\, F_{1 - \gamma/2}` and ``ci_high``
    :math:`= 1 - (1 - \alpha)\, F_{\gamma/2}`, rounded by pingouin to three decimals.
    McDonald's omega total uses the standardized loadings :math:`\lambda_j` of a one-factor
    solution of the item correlations (iterated principal axis):

    .. math::

        \omega = \frac{(\sum_j \lambda_j)^2}{(\sum_j \lambda_j)^2 + \sum_j (1 - \lambda_j^2)}.

    It is NaN for a two-item scale (one factor is not identified) or a Heywood case (a loading
    of at least 1). Alpha equals the reliability only when all items load equally on one factor
    (tau-equivalence) and is otherwise a lower bound; omega drops that assumption.

    References
    ----------
    - Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
      *Psychometrika*, 16(3), 297-334.
    - Vallat, R. (2018). Pingouin: Statistics in Python. *Journal of Open Source Software*,
      3(31), 1026.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 4, 4, 5], "c": [2, 3, 3, 5, 5],
    ...                      "d": [3, 1, 4, 1, 5], "e": [2, 7, 1, 8, 2]})
    >>> table = reliability_table(wide, {"good": ["a", "b", "c"], "pair": ["d", "e"]})
    >>> table["alpha"].round(3).tolist()
    [0.962, -6.562]
    >>> table["n_items"].tolist()
    [3, 2]
    """
    _check_constructs(wide, constructs)
    rows = []
    for construct, items in constructs.items():
        row = cronbach_alpha(wide, items, construct=construct, nan_policy=nan_policy, ci=ci)
        row["omega"] = (
            mcdonald_omega(wide, items, construct=construct, nan_policy=nan_policy)
            if len(items) >= 3
            else float("nan")
        )
        rows.append(row)
    return pd.DataFrame(rows)


def item_total_correlations(
    wide: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    nan_policy: str = "listwise",
) -> pd.DataFrame:
    """Return each item's corrected item-total correlation and the alpha if it were dropped.

    The corrected item-total correlation is the Pearson correlation of an item with the sum of
    the *other* items of its construct. With ``nan_policy="pairwise"`` the rest-score is the sum
    of the other items a respondent answered, rescaled to the full number of items.

    Parameters
    ----------
    wide : pandas.DataFrame
        One row per respondent, one numeric column per item.
    constructs : mapping of str to sequence of str
        Construct name -> its item columns.
    nan_policy : {"listwise", "pairwise"}
        How missing answers are handled (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per item: ``construct``, ``item``, ``n_respondents``, ``item_rest_r``,
        ``alpha_if_dropped`` (NaN when the construct has only two items).

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 4, 4, 5], "c": [5, 3, 3, 1, 2]})
    >>> table = item_total_correlations(wide, {"scale": ["a", "b", "c"]})
    >>> table.set_index("item")["item_rest_r"].round(2).tolist()
    [0.0, 0.53, -0.8]
    """
    _check_constructs(wide, constructs)
    rows = []
    for construct, items in constructs.items():
        frame = _usable_rows(_item_frame(wide, items, construct), nan_policy, construct)
        for item in items:
            others = [other for other in items if other != item]
            rest = frame[others].mean(axis=1) * len(others)
            pair = pd.concat([frame[item], rest], axis=1).dropna()
            drop_alpha = float("nan")
            if len(others) >= 2:
                drop_alpha, _ = pg.cronbach_alpha(data=frame[others].dropna(how="all"),
                                                  nan_policy=nan_policy)
            rows.append({
                "construct": construct,
                "item": item,
                "n_respondents": len(pair),
                "item_rest_r": float(pair.iloc[:, 0].corr(pair.iloc[:, 1])),
                "alpha_if_dropped": float(drop_alpha),
            })
    return pd.DataFrame(rows)
