r"""A predictive check of proportional odds: does a condition shift every threshold alike.

A cumulative-link model moves all thresholds of an item by the same amount when a condition
changes (proportional odds). If a condition instead moves answers mostly at one end of the
scale (say an apology turns "slightly agree" into "agree" but never lifts anyone out of
"strongly disagree"), the differences between conditions in the cumulative log-odds
:math:`\operatorname{logit} P(y \le k)` differ between thresholds :math:`k`.

:func:`cumulative_logit_shifts` computes these differences for the observed answers and for
every posterior predictive draw, and reports each threshold's departure from the average
shift, so that the model's own departures (from items with different thresholds, respondent
terms and the link) set the reference. An observed departure outside the predictive interval
at some threshold is evidence against proportional odds for that comparison; the remedy is a
model with category-specific effects (Bürkner & Vuorre 2019).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustmodels.analysis.checks import condition_masks, observed_and_predicted

__all__ = ["cumulative_logit_shifts"]


def _empirical_logits(answers: np.ndarray, mask: np.ndarray, n_categories: int) -> np.ndarray:
    """Cumulative empirical log-odds (0.5 added to both counts) per threshold, per draw row."""
    chosen = answers[..., mask]  # (..., n)
    n = chosen.shape[-1]
    below = np.stack([(chosen <= k).sum(axis=-1) for k in range(1, n_categories)], axis=-1)
    return np.log((below + 0.5) / (n - below + 0.5))


def cumulative_logit_shifts(idata, *, by, pairs=None, group: str = "posterior_predictive",
                            var_name: str = "y", prob: float = 0.9) -> pd.DataFrame:
    r"""Return each threshold's departure from a parallel shift, observed and predicted.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit with ``observed_data`` and the predictive ``group`` (e.g. from
        :func:`trustmodels.analysis.checks.predictive_draws`).
    by : sequence
        A condition label per observed answer (:func:`trustmodels.design.condition_labels`).
    pairs : sequence of (str, str), optional
        Pairs (condition, reference condition) to compare; default every condition against the
        first label.
    group : str
        Predictive group.
    var_name : str
        Observed variable.
    prob : float
        Mass of the central predictive interval.

    Returns
    -------
    pandas.DataFrame
        One row per pair and threshold: ``condition``, ``reference``, ``threshold`` (:math:`k`,
        between answers :math:`k` and :math:`k + 1`), ``observed_shift`` (difference in
        cumulative log-odds), ``observed`` (its departure from the pair's mean shift),
        ``predicted_mean``, ``predicted_low``, ``predicted_high`` and ``inside``.

    Raises
    ------
    ValueError
        When ``by`` does not have one label per observed answer, or a pair names an unknown
        condition.

    See Also
    --------
    trustmodels.analysis.checks.category_counts : counts per category and condition.

    Notes
    -----
    For conditions :math:`c` and reference :math:`r` and threshold :math:`k`, with
    :math:`m_{ck}` the number of answers of condition :math:`c` at or below :math:`k` among its
    :math:`n_c`,

    .. math::

        L_{ck} = \log\frac{m_{ck} + 0.5}{n_c - m_{ck} + 0.5}, \qquad
        D_k = L_{ck} - L_{rk}, \qquad T_k = D_k - \frac{1}{K - 1}\sum_{j=1}^{K-1} D_j .

    Under proportional odds in a homogeneous population :math:`T_k = 0`; with items of
    different thresholds and respondent terms it is not exactly 0, so :math:`T_k` of the
    observed answers is compared with its distribution over the predictive draws. The
    intervals are pointwise (one per threshold).

    References
    ----------
    - Bürkner, P.-C., & Vuorre, M. (2019). Ordinal regression models in psychology: A
      tutorial. *Advances in Methods and Practices in Psychological Science*, 2(1), 77-101.

    Examples
    --------
    >>> import numpy as np
    >>> import xarray as xr
    >>> rng = np.random.default_rng(1)
    >>> # condition b moves answers only at the top: 3 -> 5, never out of 1
    >>> a = rng.choice([1, 3, 5], size=600, p=[0.3, 0.4, 0.3])
    >>> b = np.where(a == 3, 5, a)
    >>> observed = np.concatenate([a, b])
    >>> def check(replicate):
    ...     replicated = np.stack([replicate() for _ in range(200)])[None]
    ...     tree = xr.DataTree.from_dict({
    ...         "observed_data": xr.Dataset({"y": ("obs", observed)}),
    ...         "posterior_predictive": xr.Dataset({"y": (("chain", "draw", "obs"),
    ...                                                  replicated)})})
    ...     return cumulative_logit_shifts(tree, by=["a"] * 600 + ["b"] * 600)["inside"].tolist()
    >>> def top_only():  # a model that moves answers as the data do
    ...     draw = rng.choice([1, 3, 5], size=600, p=[0.3, 0.4, 0.3])
    ...     return np.concatenate([draw, np.where(draw == 3, 5, draw)])
    >>> def parallel():  # a model that shifts every threshold alike
    ...     latent = rng.logistic(size=1200) + np.repeat([0.0, 1.2], 600)
    ...     return np.digitize(latent, [-0.85, -0.42, 0.85, 0.86]) + 1
    >>> check(top_only), check(parallel)
    ([True, True, True, True], [False, False, False, False])
    """
    observed, predicted = observed_and_predicted(idata, group=group, var_name=var_name)
    observed, predicted = observed.astype(int), predicted.astype(int)
    masks = dict(condition_masks(by, observed.size))
    conditions = list(masks)
    pairs = ([(condition, conditions[0]) for condition in conditions[1:]] if pairs is None
             else [(str(first), str(second)) for first, second in pairs])
    unknown = sorted({name for pair in pairs for name in pair} - set(conditions))
    if unknown:
        raise ValueError(f"unknown condition {unknown[0]!r}; expected one of {conditions}")
    n_categories = int(max(observed.max(), predicted.max()))
    tail = (1 - prob) / 2
    rows = []
    for condition, reference in pairs:
        first, second = masks[condition], masks[reference]
        shift = (_empirical_logits(observed, first, n_categories)
                 - _empirical_logits(observed, second, n_categories))
        shifts = (_empirical_logits(predicted, first, n_categories)
                  - _empirical_logits(predicted, second, n_categories))  # (draw, K - 1)
        departure = shift - shift.mean()
        departures = shifts - shifts.mean(axis=1, keepdims=True)
        low, high = np.quantile(departures, [tail, 1 - tail], axis=0)
        for k in range(n_categories - 1):
            rows.append({"condition": condition, "reference": reference, "threshold": k + 1,
                         "observed_shift": float(shift[k]), "observed": float(departure[k]),
                         "predicted_mean": float(departures[:, k].mean()),
                         "predicted_low": float(low[k]), "predicted_high": float(high[k]),
                         "inside": bool(low[k] <= departure[k] <= high[k])})
    return pd.DataFrame(rows)

