r"""Assurance: how often a study of a given design decides each hypothesis, with Monte Carlo error.

:func:`assurance` turns the tidy results of :func:`trustmodels.planning.runner.run_plan` (one row
per simulated study and hypothesis) into the probability of each outcome per design point, with
its Monte Carlo standard error :math:`\sqrt{p(1-p)/R}` over :math:`R` studies;
:func:`sample_size_for` reads off the smallest size on the grid that reaches a target assurance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DESIGN_POINT", "assurance", "sample_size_for", "scenario_table"]

#: Columns that identify a design point and hypothesis.
DESIGN_POINT = ("scenario", "variant", "n_per_cell", "hypothesis")


def assurance(results: pd.DataFrame) -> pd.DataFrame:
    r"""Return the probability of each outcome per design point and hypothesis.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`trustmodels.planning.runner.run_plan`.

    Returns
    -------
    pandas.DataFrame
        One row per scenario, variant, respondents per cell and hypothesis: ``studies``,
        ``failed`` (fits that did not converge, left out of the shares), ``assurance`` (share
        "supported") and ``assurance_se``, the shares ``opposite``, ``practically_nil``,
        ``different``, ``undecided``, ``sign_error`` (HDI outside the ROPE on the side opposite
        to a non-zero truth), ``false_claim`` (supported although the truth contradicts the
        hypothesis: a directional truth inside the ROPE or of the other sign, or a nil
        hypothesis whose truth is outside the ROPE), ``direction`` and ``direction_se`` (share
        of studies whose 95% HDI lies entirely on the claimed side of zero: the weaker claim of
        a credible direction, without the ROPE; empty for a nil hypothesis), the mean HDI width
        and the mean truth.

    See Also
    --------
    run_plan : Simulate and fit the studies whose results this function reads.
    trustmodels.planning.assurance.sample_size_for : The smallest size on the grid that reaches
        a target assurance.
    plot_assurance : A figure of this table.
    Hypothesis : The claim and the outcome of each study's decision.

    Notes
    -----
    For a design point (scenario, variant, respondents per cell) and hypothesis, let
    :math:`R` be the number of simulated studies whose fit converged. Each study takes its true
    effects from the scenario (the design prior: fixed values, and the uncertain effects drawn
    anew for every study), is simulated and fitted, and decides the hypothesis by the HDI+ROPE
    rule (Kruschke, 2018), which :meth:`Hypothesis.outcome` maps to an outcome. The
    assurance is the share of studies whose outcome is "supported",

    .. math::

        \hat a = \frac{1}{R} \sum_{r=1}^{R} I(\text{study } r \text{ supports the hypothesis}),
        \qquad \mathrm{SE}(\hat a) = \sqrt{\frac{\hat a (1 - \hat a)}{R}},

    the Monte Carlo estimate of the probability, averaged over what the scenario says about the
    effects, that a study of this design ends with the hoped-for decision: the Bayesian
    analogue of power (O'Hagan & Stevens, 2001; Kruschke & Liddell, 2018).
    ``direction`` and ``direction_se`` are computed in the same way from the share whose 95%
    HDI lies on the claimed side of zero. Studies whose fit did not converge are counted in
    ``failed`` and left out, so every share is conditional on convergence.

    References
    ----------
    - Kruschke, J. K. (2018). Rejecting or accepting parameter values in Bayesian
      estimation. *Advances in Methods and Practices in Psychological Science*, 1(2), 270-280.
    - O'Hagan, A., & Stevens, J. W. (2001). Bayesian assessment of sample size for clinical
      trials of cost-effectiveness. *Medical Decision Making*, 21(3), 219-230.
    - Kruschke, J. K., & Liddell, T. M. (2018). The Bayesian new statistics: Hypothesis
      testing, estimation, meta-analysis, and power analysis from a Bayesian perspective.
      *Psychonomic Bulletin & Review*, 25(1), 178-206.

    Examples
    --------
    >>> rows = pd.DataFrame({"scenario": "s", "variant": "v", "n_per_cell": 10, "hypothesis": "H",
    ...                      "truth": 0.5, "converged": True, "outcome": ["supported", "undecided"],
    ...                      "decision": ["different from zero", "undecided"], "mean": [0.5, 0.1],
    ...                      "hdi_low": [0.2, -0.2], "hdi_high": [0.8, 0.4], "expect": "positive",
    ...                      "rope": 0.1})
    >>> assurance(rows)[["studies", "assurance", "undecided"]].to_dict("records")
    [{'studies': 2, 'assurance': 0.5, 'undecided': 0.5}]
    """
    table = results.copy()
    ok = table["converged"].astype(bool)
    decided = table["decision"] == "different from zero"
    table["_supported"] = table["outcome"] == "supported"
    table["_opposite"] = table["outcome"] == "opposite"
    table["_nil"] = table["outcome"] == "practically nil"
    table["_different"] = table["outcome"] == "different"
    table["_undecided"] = table["outcome"] == "undecided"
    table["_sign_error"] = decided & (table["truth"] != 0) & (
        np.sign(table["mean"]) != np.sign(table["truth"]))
    if {"expect", "rope"} <= set(table.columns):
        directional = table["expect"] != "nil"
        sign = np.where(table["expect"] == "negative", -1.0, 1.0)
        wrong_truth = np.where(directional, sign * table["truth"] <= table["rope"],
                               table["truth"].abs() > table["rope"])
        table["_false_claim"] = table["_supported"] & wrong_truth
    else:
        table["_false_claim"] = False
    table["_width"] = table["hdi_high"] - table["hdi_low"]
    if "expect" in table:
        table["_direction"] = np.where(
            table["expect"] == "positive", table["hdi_low"] > 0,
            np.where(table["expect"] == "negative", table["hdi_high"] < 0, np.nan))
    else:
        table["_direction"] = np.nan
    keys = list(DESIGN_POINT)
    failed = (~ok).groupby([table[k] for k in keys]).sum().rename("failed")
    good = table[ok]
    grouped = good.groupby(keys, sort=True)
    summary = pd.DataFrame({
        "studies": grouped.size(),
        "assurance": grouped["_supported"].mean(),
        "opposite": grouped["_opposite"].mean(),
        "practically_nil": grouped["_nil"].mean(),
        "different": grouped["_different"].mean(),
        "undecided": grouped["_undecided"].mean(),
        "sign_error": grouped["_sign_error"].mean(),
        "false_claim": grouped["_false_claim"].mean(),
        "direction": grouped["_direction"].mean(),
        "hdi_width": grouped["_width"].mean(),
        "truth": grouped["truth"].mean(),
    })
    for share in ("assurance", "direction"):
        summary[f"{share}_se"] = np.sqrt(summary[share] * (1 - summary[share])
                                         / summary["studies"])
    summary = summary.join(failed, how="left").fillna({"failed": 0})
    summary["failed"] = summary["failed"].astype(int)
    columns = ["studies", "failed", "assurance", "assurance_se", "direction", "direction_se",
               "opposite", "practically_nil", "different", "undecided", "sign_error",
               "false_claim", "hdi_width", "truth"]
    return summary[columns].reset_index()


def sample_size_for(table: pd.DataFrame, target: float = 0.8, *,
                    column: str = "assurance") -> pd.DataFrame:
    """Return, per scenario, variant and hypothesis, the smallest grid size reaching ``target``.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`assurance`.
    target : float
        Assurance to reach.
    column : str
        The share to read: ``"assurance"`` (HDI+ROPE) or ``"direction"``.

    Returns
    -------
    pandas.DataFrame
        ``n_per_cell`` (NaN when no size on the grid reaches it), the share there (named as
        ``column``), and ``largest`` (the largest size on the grid, so that "not reached by N"
        can be said).

    Examples
    --------
    >>> t = pd.DataFrame({"scenario": "s", "variant": "v", "hypothesis": "H",
    ...                   "n_per_cell": [50, 100, 200], "assurance": [0.3, 0.85, 0.95]})
    >>> sample_size_for(t)[["n_per_cell", "assurance"]].to_dict("records")
    [{'n_per_cell': 100.0, 'assurance': 0.85}]
    """
    rows = []
    for key, group in table.groupby(["scenario", "variant", "hypothesis"], sort=False):
        group = group.sort_values("n_per_cell")
        reached = group[group[column] >= target]
        first = reached.iloc[0] if len(reached) else None
        rows.append({"scenario": key[0], "variant": key[1], "hypothesis": key[2],
                     "n_per_cell": float(first["n_per_cell"]) if first is not None else np.nan,
                     column: float(first[column]) if first is not None else np.nan,
                     "largest": int(group["n_per_cell"].max())})
    return pd.DataFrame(rows)


def scenario_table(plan) -> pd.DataFrame:
    """Return each scenario's true value of every hypothesis' contrast, with its sources.

    Parameters
    ----------
    plan : trustmodels.planning.spec.PlanSpec
        The plan.

    Returns
    -------
    pandas.DataFrame
        One row per scenario: ``scenario``, ``label``, one column per hypothesis (the contrast
        at the centre of the uncertain effects' distributions), ``varies`` (the effects drawn
        anew for every study, with their SD) and ``sources``.

    Examples
    --------
    >>> from trustmodels.planning.trust_repair import trust_repair_plan
    >>> table = scenario_table(trust_repair_plan())
    >>> float(table.set_index("scenario").loc["null", "H1"])
    0.0
    """
    rows = []
    for scenario in plan.scenarios:
        effects = {**scenario.effects, **{k: m for k, (m, _) in scenario.uncertain.items()}}
        row = {"scenario": scenario.name, "label": scenario.label}
        row.update({h.name: h.value(effects) for h in plan.hypotheses})
        row["varies"] = "; ".join(f"{k} (SD {sd:g})" for k, (_, sd) in scenario.uncertain.items())
        row["sources"] = scenario.sources
        rows.append(row)
    return pd.DataFrame(rows)
