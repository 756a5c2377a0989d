r"""The simulation's true response contrasts, on the scales the ordinal model reports them.

The simulated survey (:mod:`trustmodels.simulation.simulate`) knows its parameters, so the
contrasts of
:mod:`trustmodels.analysis.effects` can be checked against the truth:

* *Latent scale.* The true contrast of response :math:`a` against :math:`b` is
  :math:`(x_a - x_b)\,\beta`, times the construct multiplier :math:`m_c` when the contrast is
  per construct. Pooled over the trusting beliefs the truth is :math:`\bar m\,(x_a - x_b)\beta`
  with :math:`\bar m` the mean multiplier (1 in the committed simulation).
* *Response scale.* For each trusting-belief item :math:`j` of construct :math:`c`, the true
  probability of agreeing (an answer above the midpoint) and the expected rating at average
  disposition to trust (:math:`D = 0`) integrate the item's true ordered logit over the
  respondent's variation :math:`u_i + \sigma_c \delta_{ic} \sim N(0, 1 + \sigma_c^2)`
  (Gauss-Hermite quadrature), with latent mean :math:`m_c\, x \beta`; the values are averaged
  over the items, as :func:`trustmodels.analysis.effects.response_contrasts` does.

:func:`compare_with_truth` joins estimates and truth and says whether each interval covers the
true value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustmodels.analysis.effects import CONTRASTS, DEFAULT_FAN_COUNTS, first_agreeing_category
from trustmodels.datasets.simulated_design import VIOLATION_LEVELS, design_matrix
from trustmodels.models.likelihood import category_probabilities
from trustmodels.simulation.params import CONSTRUCT_ITEMS, TRUST_CONSTRUCTS, SimulationParameters

__all__ = ["compare_with_truth", "true_latent_contrasts", "true_response_contrasts"]

_KEYS = ["construct", "violation", "fan_count", "contrast"]


def _difference(first, second, violation, fans, effects) -> float:
    names = tuple(effects)
    rows = design_matrix([first, second], [violation, violation], [fans, fans], effects=names)
    beta = np.array([effects[name] for name in names], dtype=float)
    return float((rows.to_numpy()[0] - rows.to_numpy()[1]) @ beta)


def _groups(params: SimulationParameters, by_construct: bool) -> dict[str, tuple[str, ...]]:
    if by_construct:
        return {c: (c,) for c in TRUST_CONSTRUCTS}
    return {"all": TRUST_CONSTRUCTS}


def true_latent_contrasts(params: SimulationParameters, *, by_construct: bool = False,
                          fan_counts=DEFAULT_FAN_COUNTS, contrasts=CONTRASTS) -> pd.DataFrame:
    """Return the true response contrasts on the latent scale (latent-SD units).

    Parameters
    ----------
    params : SimulationParameters
        The simulation's parameters (e.g. ``SimulationParameters.from_dict(truth["parameters"])``).
    by_construct : bool
        One row per trusting belief (effects times its multiplier) instead of the pooled value
        (effects times the mean multiplier).
    fan_counts : sequence of float
        Fan counts at which to evaluate the contrasts.
    contrasts : sequence of (str, str)
        Pairs (first, second); the contrast is first minus second.

    Returns
    -------
    pandas.DataFrame
        Columns ``construct`` (``"all"`` when pooled), ``violation``, ``fan_count``,
        ``contrast`` (``"first - second"``) and ``truth``.

    Examples
    --------
    >>> table = true_latent_contrasts(SimulationParameters(), fan_counts=(10_000,))
    >>> row = table[(table.violation == "competence") & (table.contrast == "apology - none")]
    >>> bool(abs(row.truth.iloc[0] - SimulationParameters().effects["apology"]) < 1e-9)
    True
    """
    multipliers = params.construct_multipliers
    rows = []
    for group, constructs in _groups(params, by_construct).items():
        scale = float(np.mean([multipliers[c] for c in constructs]))
        for violation in VIOLATION_LEVELS:
            for fans in fan_counts:
                for first, second in contrasts:
                    value = scale * _difference(first, second, violation, fans, params.effects)
                    rows.append({"construct": group, "violation": violation, "fan_count": fans,
                                 "contrast": f"{first} - {second}", "truth": value})
    return pd.DataFrame(rows)


def _item_level(params: SimulationParameters, constructs, latent_mean: dict[str, float],
                scale: str, n_nodes: int = 31) -> float:
    """Average over the constructs' items of P(agree) or E[rating] at D = 0."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)
    weights = weights / weights.sum()
    spread = np.sqrt(1.0 + params.construct_sd ** 2)
    values = []
    for construct in constructs:
        for item in CONSTRUCT_ITEMS[construct]:
            cuts = np.asarray(params.thresholds[item], dtype=float)
            eta = params.loadings[item] * (latent_mean[construct] + spread * nodes)
            probs = weights @ category_probabilities(eta, cuts, "logit")  # (K,)
            k = cuts.size + 1
            categories = np.arange(1, k + 1)
            if scale == "agree":
                values.append(float(probs[categories >= first_agreeing_category(k)].sum()))
            else:
                values.append(float(probs @ categories))
    return float(np.mean(values))


def true_response_contrasts(params: SimulationParameters, *, scale: str = "agree",
                            by_construct: bool = False, fan_counts=DEFAULT_FAN_COUNTS,
                            contrasts=CONTRASTS) -> pd.DataFrame:
    """Return the true response contrasts on the answer scale, at average disposition to trust.

    Parameters
    ----------
    params : SimulationParameters
        The simulation's parameters.
    scale : {"agree", "expected"}
        Probability of agreeing (answer 5-7 of 7) or expected rating.
    by_construct : bool
        One row per trusting belief instead of the average over all trusting-belief items.
    fan_counts, contrasts
        As in :func:`true_latent_contrasts`.

    Returns
    -------
    pandas.DataFrame
        Columns as :func:`true_latent_contrasts`, plus ``first_truth`` and ``second_truth``
        (each response's level).

    Raises
    ------
    ValueError
        For an unknown scale.

    Examples
    --------
    >>> params = SimulationParameters()
    >>> table = true_response_contrasts(params, fan_counts=(10_000,))
    >>> row = table[(table.violation == "competence") & (table.contrast == "apology - none")]
    >>> 0 < float(row.truth.iloc[0]) < 1
    True
    >>> true_response_contrasts(params, scale="median")
    Traceback (most recent call last):
    ...
    ValueError: unknown scale 'median'; expected 'agree' or 'expected'
    """
    if scale not in ("agree", "expected"):
        raise ValueError(f"unknown scale {scale!r}; expected 'agree' or 'expected'")
    multipliers = params.construct_multipliers
    names = tuple(params.effects)
    beta = np.array([params.effects[name] for name in names], dtype=float)
    rows = []
    for group, constructs in _groups(params, by_construct).items():
        for violation in VIOLATION_LEVELS:
            for fans in fan_counts:
                for first, second in contrasts:
                    levels = []
                    for response in (first, second):
                        x = design_matrix([response], [violation], [fans],
                                          effects=names).to_numpy()[0]
                        means = {c: multipliers[c] * float(x @ beta) for c in constructs}
                        levels.append(_item_level(params, constructs, means, scale))
                    rows.append({"construct": group, "violation": violation, "fan_count": fans,
                                 "contrast": f"{first} - {second}",
                                 "truth": levels[0] - levels[1], "first_truth": levels[0],
                                 "second_truth": levels[1]})
    return pd.DataFrame(rows)


def compare_with_truth(estimates: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Join contrast estimates with the true values and flag whether the HDI covers them.

    Parameters
    ----------
    estimates : pandas.DataFrame
        Rows of :func:`trustmodels.analysis.effects.latent_contrasts`,
        :func:`~trustmodels.analysis.effects.response_contrasts` or
        :func:`~trustmodels.analysis.contrasts.factor_contrasts` (of ``seller_response`` by
        ``violation`` at chosen fan counts); without a ``construct`` column the estimates are
        of the pooled effects (``"all"``).
    truth : pandas.DataFrame
        Rows of :func:`true_latent_contrasts` or :func:`true_response_contrasts` on the same
        scale, grouping and fan counts.

    Returns
    -------
    pandas.DataFrame
        ``estimates`` with the columns ``truth``, ``error`` (posterior mean minus truth) and
        ``covered`` (HDI contains the truth).

    Raises
    ------
    ValueError
        When an estimate has no matching true value.

    Examples
    --------
    >>> import pandas as pd
    >>> estimates = pd.DataFrame({"construct": ["all"], "violation": ["competence"],
    ...     "fan_count": [10_000], "contrast": ["apology - none"], "mean": [0.6],
    ...     "hdi_low": [0.4], "hdi_high": [0.8]})
    >>> truth = estimates[["construct", "violation", "fan_count", "contrast"]].assign(truth=0.7)
    >>> compare_with_truth(estimates, truth)[["error", "covered"]].round(2).to_dict("records")
    [{'error': -0.1, 'covered': True}]
    """
    true_values = truth[_KEYS + ["truth"]].copy()
    true_values["fan_count"] = true_values["fan_count"].astype(float)
    left = estimates.copy()
    if "construct" not in left:
        left["construct"] = "all"
    left["_fans"] = left["fan_count"].astype(float)
    merged = left.merge(true_values.rename(columns={"fan_count": "_fans"}),
                        on=["construct", "violation", "_fans", "contrast"], how="left")
    missing = merged["truth"].isna()
    if missing.any():
        row = merged.loc[missing].iloc[0]
        raise ValueError(f"no true value for construct {row['construct']!r}, violation "
                         f"{row['violation']!r}, fan count {row['_fans']:g}, contrast "
                         f"{row['contrast']!r}; compute the truth on the same grid")
    merged = merged.drop(columns="_fans")
    merged["error"] = merged["mean"] - merged["truth"]
    merged["covered"] = (merged["hdi_low"] <= merged["truth"]) & (
        merged["truth"] <= merged["hdi_high"])
    return merged
