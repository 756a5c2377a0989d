r"""A predictive check of the measurement structure: do items of one construct agree more.

A model with one latent trust per respondent says that every trusting-belief item measures the
same thing, so two items of *different* constructs (say a competence and an integrity item)
should correlate about as strongly as two items of the *same* construct. If respondents hold
distinct beliefs, items within a construct agree more than items across constructs, and the
single-factor model cannot reproduce that.

:func:`item_correlation_check` computes the mean correlation of the items within each
construct and between each pair of constructs, for the observed answers and for every
posterior predictive draw, and compares them. The category-count checks
(:func:`trustmodels.analysis.checks.category_counts`) cannot see this: they look at one answer
at a time, not at how a respondent's answers go together.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from trustmodels.analysis.checks import observed_and_predicted
from trustmodels.models.specification import SPEC_ATTRIBUTE, model_spec

__all__ = ["item_correlation_check"]


def _answer_matrix(values: np.ndarray, respondent: np.ndarray, item: np.ndarray,
                   n_respondents: int, n_items: int) -> np.ndarray:
    """(..., n_obs) answers -> (..., respondent, item) with NaN where nothing was answered."""
    out = np.full(values.shape[:-1] + (n_respondents, n_items), np.nan)
    out[..., respondent, item] = values
    return out


def _pair_correlations(matrix: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Pearson correlation of each item pair over respondents who answered both, per draw."""
    result = np.empty(matrix.shape[:-2] + (len(pairs),))
    for p, (a, b) in enumerate(pairs):
        x, y = matrix[..., a], matrix[..., b]
        both = ~(np.isnan(x) | np.isnan(y))
        count = both.sum(axis=-1)
        x = np.where(both, x, 0.0)
        y = np.where(both, y, 0.0)
        mean_x = x.sum(axis=-1, keepdims=True) / count[..., None]
        mean_y = y.sum(axis=-1, keepdims=True) / count[..., None]
        dx = np.where(both, x - mean_x, 0.0)
        dy = np.where(both, y - mean_y, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            result[..., p] = (dx * dy).sum(axis=-1) / np.sqrt((dx ** 2).sum(axis=-1)
                                                              * (dy ** 2).sum(axis=-1))
    return result


def item_correlation_check(idata, *, item_construct=None, group: str = "posterior_predictive",
                           var_name: str = "y", respondent="obs_respondent",
                           item="obs_item", prob: float = 0.9) -> pd.DataFrame:
    r"""Return mean item correlations within and between constructs, observed and predicted.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit with ``observed_data``, the predictive ``group`` and ``constant_data`` holding the
        respondent and item index of every answer (the ordinal models store them).
    item_construct : sequence of str, optional
        The construct of each item, in item-index order (default: ``item_construct`` of the
        fit's ``trustmodels_spec``).
    group, var_name : str
        Predictive group and observed variable.
    respondent, item : str or array_like
        Names of the index variables in ``constant_data``, or the indices themselves (one per
        observed answer: the respondent, or the rating occasion of a design with several
        vignettes per respondent, and the item), e.g. ``occasion_index`` and ``item_index``
        of :func:`trustmodels.design.prepare_design_data` for a declared design's model.
    prob : float
        Mass of the central predictive interval.

    Returns
    -------
    pandas.DataFrame
        One row per construct (``kind`` ``"within"``), per pair of constructs (``"between"``)
        and a last row ``"within - between"`` (the mean within-construct minus the mean
        between-construct correlation); columns ``kind``, ``constructs``, ``n_pairs``,
        ``observed``, ``predicted_mean``, ``predicted_low``, ``predicted_high``, ``inside``.

    Raises
    ------
    ValueError
        When the constructs of the items are unknown or fewer than two constructs have items.

    See Also
    --------
    trustmodels.analysis.checks.category_counts : the check of answers one at a time.

    Notes
    -----
    With :math:`r_{jl}` the Pearson correlation of items :math:`j` and :math:`l` over the
    respondents who answered both, the statistic of construct :math:`c` is the mean of
    :math:`r_{jl}` over the pairs of its items, that of constructs :math:`c \ne d` the mean
    over pairs with one item of each, and the summary is the mean of all within-construct
    pairs minus the mean of all between-construct pairs. Each is computed on the observed
    answers and on every predictive draw (the same answers left out as missing). A model with
    one latent variable per respondent predicts a summary near 0 (only item discriminations
    make within-construct pairs differ); distinct beliefs show as an observed summary above
    the predictive interval.

    Examples
    --------
    >>> import numpy as np
    >>> import xarray as xr
    >>> rng = np.random.default_rng(3)
    >>> n = 400
    >>> common, own = rng.normal(size=n), rng.normal(size=(2, n))  # two distinct beliefs
    >>> items = np.stack([common + own[c] + rng.normal(size=n) for c in (0, 0, 1, 1)], axis=1)
    >>> one_factor = lambda: np.stack([rng.normal(size=n)] * 4, 1) + rng.normal(size=(n, 4))
    >>> replicated = np.stack([one_factor().ravel() for _ in range(100)])[None]
    >>> tree = xr.DataTree.from_dict({
    ...     "observed_data": xr.Dataset({"y": ("obs", items.ravel())}),
    ...     "posterior_predictive": xr.Dataset({"y": (("chain", "draw", "obs"), replicated)}),
    ...     "constant_data": xr.Dataset({"obs_respondent": ("obs", np.repeat(np.arange(n), 4)),
    ...                                  "obs_item": ("obs", np.tile(np.arange(4), n))})})
    >>> table = item_correlation_check(tree, item_construct=["a", "a", "b", "b"])
    >>> row = table.iloc[-1]
    >>> row["kind"], bool(row["observed"] > row["predicted_high"])
    ('within - between', True)
    """
    if item_construct is None:
        item_construct = (model_spec(idata).item_construct if SPEC_ATTRIBUTE in idata.attrs
                          else ())
        if not item_construct:
            raise ValueError("item_correlation_check: the fit names no item constructs; pass "
                             "item_construct (one construct per item)")
    item_construct = [str(c) for c in item_construct]
    constructs = list(dict.fromkeys(item_construct))
    if len(constructs) < 2:
        raise ValueError("item_correlation_check: needs items of at least two constructs; "
                         f"got {constructs}")
    if isinstance(respondent, str) or isinstance(item, str):
        constant = idata["constant_data"].to_dataset()
    respondents = np.asarray(constant[respondent].values if isinstance(respondent, str)
                             else respondent).astype(int)
    items = np.asarray(constant[item].values if isinstance(item, str) else item).astype(int)
    observed, predicted = observed_and_predicted(idata, group=group, var_name=var_name)
    observed, predicted = observed.astype(float), predicted.astype(float)
    n_respondents, n_items = int(respondents.max()) + 1, len(item_construct)
    pairs = list(combinations(range(n_items), 2))
    observed_r = _pair_correlations(
        _answer_matrix(observed, respondents, items, n_respondents, n_items), pairs)
    predicted_r = _pair_correlations(
        _answer_matrix(predicted, respondents, items, n_respondents, n_items), pairs)
    groups = [("within", c, [p for p, (a, b) in enumerate(pairs)
                             if item_construct[a] == item_construct[b] == c])
              for c in constructs]
    groups += [("between", f"{c} - {d}", [p for p, (a, b) in enumerate(pairs)
                                          if {item_construct[a], item_construct[b]} == {c, d}])
               for c, d in combinations(constructs, 2)]
    groups = [group for group in groups if group[2]]
    within = [p for kind, _, chosen in groups if kind == "within" for p in chosen]
    between = [p for kind, _, chosen in groups if kind == "between" for p in chosen]
    tail = (1 - prob) / 2
    rows = []

    def add(kind, name, n_pairs, observed_value, predicted_values):
        low, high = np.nanquantile(predicted_values, [tail, 1 - tail])
        rows.append({"kind": kind, "constructs": name, "n_pairs": n_pairs,
                     "observed": float(observed_value),
                     "predicted_mean": float(np.nanmean(predicted_values)),
                     "predicted_low": float(low), "predicted_high": float(high),
                     "inside": bool(low <= observed_value <= high)})

    for kind, name, chosen in groups:
        add(kind, name, len(chosen), np.nanmean(observed_r[chosen]),
            np.nanmean(predicted_r[:, chosen], axis=1))
    if within and between:
        add("within - between", "all", len(within) + len(between),
            np.nanmean(observed_r[within]) - np.nanmean(observed_r[between]),
            np.nanmean(predicted_r[:, within], axis=1)
            - np.nanmean(predicted_r[:, between], axis=1))
    return pd.DataFrame(rows)

