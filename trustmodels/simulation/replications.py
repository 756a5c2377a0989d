r"""Recovery across many simulated surveys of one design: coverage, bias and RMSE of contrasts.

One simulated data set shows that a model recovered its truth once. A reviewer asks how
often: over many surveys drawn from the same design and truth, how often does the 95% HDI
cover the true contrast, how large are the bias and the root mean squared error, and does the
posterior SD match the spread of the estimates from survey to survey? These are the
performance measures of a simulation study (Morris, White & Crowther, 2019), each reported with
its Monte Carlo standard error.

:func:`run_replications` simulates ``n_surveys`` surveys with a function you give it, fits each
with the fast fitter (:class:`~trustmodels.planning.laplace.LaplaceFitter`, compiled once for
the layout) and returns every contrast's posterior mean, SD and HDI beside its true value.
:func:`recovery_performance` summarizes such a table (it also reads the results of a design
analysis, whose rows carry ``truth``, ``mean``, ``sd`` and the HDI).
:func:`contrast_weights` writes a contrast of two levels of a factor, at chosen values of the
other design variables, as weights of the declared design's effects.

References
----------
Morris, T. P., White, I. R., & Crowther, M. J. (2019). Using simulation studies to evaluate
statistical methods. *Statistics in Medicine*, 38(11), 2074-2102.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from trustmodels.design import StudyDesign, design_rows, effect_names

__all__ = ["contrast_weights", "recovery_performance", "recomputed_difference", "replicate_seed",
           "run_replications"]


def replicate_seed(seed: int, replicate: int) -> int:
    """Return the seed of one simulated survey: fixed by ``seed`` and ``replicate`` alone.

    The seed of survey 17 does not depend on how many surveys a run has, on the order in
    which they are computed or on the number of workers.

    Examples
    --------
    >>> replicate_seed(1, 17) == replicate_seed(1, 17) != replicate_seed(1, 18)
    True
    """
    return int(np.random.SeedSequence([int(seed), int(replicate)]).generate_state(1)[0])


def recomputed_difference(table: pd.DataFrame) -> pd.Series:
    """Return how far recomputed estimates lie from stored ones, in stored posterior SDs.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``mean_stored``, ``mean_recomputed``, ``sd_stored`` and ``sd_recomputed``.

    Returns
    -------
    pandas.Series
        Per row, the larger of the absolute differences of means and of SDs, divided by the
        stored SD.

    Examples
    --------
    >>> table = pd.DataFrame({"mean_stored": [0.5], "mean_recomputed": [0.52],
    ...                       "sd_stored": [0.1], "sd_recomputed": [0.1]})
    >>> round(float(recomputed_difference(table).iloc[0]), 6)
    0.2
    """
    return np.maximum((table["mean_stored"] - table["mean_recomputed"]).abs(),
                      (table["sd_stored"] - table["sd_recomputed"]).abs()) / table["sd_stored"]


def contrast_weights(design: StudyDesign, factor: str, first: str, second: str,
                     at: Mapping[str, object] | None = None) -> dict[str, float]:
    """Return the weights of the effects that make ``first - second`` of ``factor``.

    Parameters
    ----------
    design : StudyDesign
        The declared design.
    factor : str
        One of its factors.
    first, second : str
        Two of the factor's levels.
    at : mapping, optional
        Values of the other design variables (a level of each other factor, a raw value of
        each moderator); omitted factors are held at their reference level, omitted moderators
        at their centre.

    Returns
    -------
    dict of str to float
        Effect name to weight, zero weights left out (as
        :meth:`trustmodels.planning.laplace.LaplaceFit.contrast` takes them).

    Raises
    ------
    ValueError
        For an unknown factor, level or design variable (one line).

    Examples
    --------
    >>> from trustmodels.design import Moderator
    >>> design = StudyDesign({"reaction": ["silence", "excuse"], "harm": ["low", "high"]},
    ...                      outcomes=["trust"], moderators={"fans": Moderator("log10", 4.0)})
    >>> contrast_weights(design, "reaction", "excuse", "silence", {"harm": "high", "fans": 1e5})
    {'reaction[excuse]': 1.0, 'reaction[excuse]:harm[high]': 1.0, 'reaction[excuse]:log10(fans)': 1.0, 'reaction[excuse]:harm[high]:log10(fans)': 1.0}
    """  # noqa: E501
    if factor not in design.factors:
        raise ValueError(f"unknown factor {factor!r}; the design has {list(design.factors)}")
    for level in (first, second):
        if level not in design.factors[factor]:
            raise ValueError(f"{factor!r} has no level {level!r}; its levels are "
                             f"{list(design.factors[factor])}")
    from trustmodels.analysis.contrasts import raw_centre

    at = dict(at or {})
    unknown = sorted(set(at) - set(design.columns) | ({factor} & set(at)))
    if unknown:
        raise ValueError(f"cannot hold {unknown} fixed; the other design variables are "
                         f"{[name for name in design.columns if name != factor]}")
    row = {name: levels[0] for name, levels in design.factors.items()}
    row.update({name: raw_centre(moderator) for name, moderator in design.moderators.items()})
    row.update(at)
    frame = pd.DataFrame([{**row, factor: first}, {**row, factor: second}])
    rows = design_rows(frame, design)
    difference = rows.iloc[0] - rows.iloc[1]
    return {name: float(value) for name, value in difference.items() if value != 0}


def run_replications(simulate: Callable[[int], pd.DataFrame], design: StudyDesign,
                     contrasts: pd.DataFrame, *, n_surveys: int, seed: int,
                     hdi_prob: float = 0.95, replicates: Sequence[int] | None = None,
                     progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Simulate and fit many surveys; return every contrast's estimate beside its truth.

    Parameters
    ----------
    simulate : callable
        ``simulate(seed)`` returns one survey as a long table (one row per answer, as
        :func:`trustmodels.design.prepare_design_data` reads it). Every survey must have the
        same layout (respondents, vignettes, items): the fitter is compiled once.
    design : StudyDesign
        The declared design the surveys are fitted with.
    contrasts : pandas.DataFrame
        One row per contrast: a column ``weights`` (effect name to weight, e.g. from
        :func:`contrast_weights`), a column ``truth`` (its true value) and any label columns.
    n_surveys : int
        Surveys to simulate (replicates ``0 .. n_surveys - 1``).
    seed : int
        Seed of the run; survey ``r`` is simulated with ``replicate_seed(seed, r)``.
    hdi_prob : float
        Mass of the HDI (central interval of the normal approximation).
    replicates : sequence of int, optional
        Only these replicates (e.g. to recompute a sample of a stored run).
    progress : callable, optional
        Called with a message after every 20th survey.

    Returns
    -------
    pandas.DataFrame
        Per survey and contrast: ``replicate``, ``seed``, the label columns, ``truth``,
        ``mean``, ``sd``, ``hdi_low``, ``hdi_high``, ``error`` (mean minus truth),
        ``covered``, ``converged`` and ``problem`` (why a fit failed; its estimates are
        missing).

    Raises
    ------
    ValueError
        In one line: a contrast weighs an effect the design lacks (naming the row), the table
        lacks ``weights`` or ``truth``, or a survey cannot be fitted with the fitter compiled
        for the first (naming the survey and its seed).

    Examples
    --------
    >>> from trustmodels.design import simulate_design_survey
    >>> design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    >>> def simulate(seed):
    ...     return simulate_design_survey(design, {"reaction[excuse]": 0.5}, n_respondents=60,
    ...                                   items={"trust": ["t1", "t2", "t3"]}, seed=seed)
    >>> contrasts = pd.DataFrame({"contrast": ["excuse - silence"], "truth": [0.5],
    ...     "weights": [contrast_weights(design, "reaction", "excuse", "silence")]})
    >>> table = run_replications(simulate, design, contrasts, n_surveys=3, seed=1)
    >>> table[["replicate", "contrast", "truth", "converged"]].to_dict("list")
    {'replicate': [0, 1, 2], 'contrast': ['excuse - silence', 'excuse - silence', 'excuse - silence'], 'truth': [0.5, 0.5, 0.5], 'converged': [True, True, True]}
    """  # noqa: E501
    from scipy import stats

    from trustmodels.planning.laplace import LaplaceFitter

    missing = {"weights", "truth"} - set(contrasts.columns)
    if missing:
        raise ValueError(f"the contrasts table lacks the columns {sorted(missing)}")
    known = set(effect_names(design))
    for number, weights in enumerate(contrasts["weights"]):
        unknown = sorted(set(weights) - known)
        if unknown:
            raise ValueError(f"contrast row {number}: the design has no effects {unknown}; "
                             f"its effects are {sorted(known)}")
    labels = [column for column in contrasts.columns if column not in ("weights", "truth")]
    z = float(stats.norm.ppf(0.5 + hdi_prob / 2))
    fitter = None
    rows = []
    chosen = list(range(n_surveys)) if replicates is None else list(replicates)
    for count, replicate in enumerate(chosen, start=1):
        survey_seed = replicate_seed(seed, replicate)
        long = simulate(survey_seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if fitter is None:
                fitter = LaplaceFitter(long, design)
            try:
                fit = fitter.fit(long)
            except ValueError as error:  # e.g. a survey of another layout than the first
                raise ValueError(f"survey {replicate} (seed {survey_seed}): {error}") from None
        for contrast in contrasts.itertuples(index=False):
            record = dict(zip(contrasts.columns, contrast, strict=True))
            row = {"replicate": replicate, "seed": survey_seed,
                   **{label: record[label] for label in labels}, "truth": record["truth"],
                   "converged": fit.converged, "problem": fit.problem}
            if fit.converged:
                mean, sd = fit.contrast(record["weights"])
                row.update(mean=mean, sd=sd, hdi_low=mean - z * sd, hdi_high=mean + z * sd)
            else:
                row.update(mean=np.nan, sd=np.nan, hdi_low=np.nan, hdi_high=np.nan)
            rows.append(row)
        if progress is not None and count % 20 == 0:
            progress(f"{count} of {len(chosen)} surveys fitted")
    table = pd.DataFrame(rows)
    table["error"] = table["mean"] - table["truth"]
    table["covered"] = (table["hdi_low"] <= table["truth"]) & (table["truth"] <= table["hdi_high"])
    order = ["replicate", "seed", *labels, "truth", "mean", "sd", "hdi_low", "hdi_high", "error",
             "covered", "converged", "problem"]
    return table[order]


def recovery_performance(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    r"""Summarize estimates of many simulated surveys: coverage, bias, RMSE, with Monte Carlo SEs.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per survey and contrast with ``truth``, ``mean``, ``sd``, ``hdi_low``,
        ``hdi_high`` (missing for a failed fit); the output of :func:`run_replications` or the
        results of a design analysis.
    by : sequence of str
        Columns that name a contrast.

    Returns
    -------
    pandas.DataFrame
        Per contrast: ``surveys`` (fitted), ``failed``, ``truth`` (its mean when the truth
        varies), ``coverage`` and ``coverage_se``, ``bias`` and ``bias_se``, ``rmse`` and
        ``rmse_se``, ``empirical_se`` (SD of the estimates across surveys), ``model_se``
        (root mean posterior variance) and ``se_ratio`` (model over empirical: near 1 when the
        posterior SD is as wide as the estimates scatter), ``hdi_width``.

    Notes
    -----
    With :math:`n` fitted surveys, estimates :math:`\hat\theta_r`, truths :math:`\theta_r`,
    errors :math:`e_r = \hat\theta_r - \theta_r` and coverage indicators :math:`c_r`
    (Morris et al., 2019, Table 6):

    .. math::

        \text{bias} = \bar e, \quad \operatorname{SE} = s_e / \sqrt{n}; \qquad
        \text{coverage} = \bar c, \quad \operatorname{SE} = \sqrt{\bar c (1 - \bar c) / n};

        \text{RMSE} = \sqrt{\overline{e^2}}, \quad
        \operatorname{SE} \approx s_{e^2} / (2\,\text{RMSE}\,\sqrt{n})
        \ \text{(delta method from the SE of the mean squared error)}.

    References
    ----------
    Morris, T. P., White, I. R., & Crowther, M. J. (2019). Using simulation studies to evaluate
    statistical methods. *Statistics in Medicine*, 38(11), 2074-2102.

    Examples
    --------
    >>> table = pd.DataFrame({"contrast": ["a"] * 4, "truth": [0.5] * 4,
    ...     "mean": [0.4, 0.6, 0.5, 0.7], "sd": [0.1] * 4,
    ...     "hdi_low": [0.2, 0.4, 0.3, 0.55], "hdi_high": [0.6, 0.8, 0.7, 0.9]})
    >>> row = recovery_performance(table, by=["contrast"]).iloc[0]
    >>> float(row["coverage"]), round(float(row["bias"]), 3), round(float(row["rmse"]), 3)
    (0.75, 0.05, 0.122)
    """
    missing = {"truth", "mean", "sd", "hdi_low", "hdi_high", *by} - set(table.columns)
    if missing:
        raise ValueError(f"the table lacks the columns {sorted(missing)}")
    rows = []
    for key, group in table.groupby(list(by), sort=False):
        fitted = group.dropna(subset=["mean", "sd"])
        n = len(fitted)
        error = (fitted["mean"] - fitted["truth"]).to_numpy(float)
        covered = ((fitted["hdi_low"] <= fitted["truth"])
                   & (fitted["truth"] <= fitted["hdi_high"])).to_numpy(float)
        squared = error ** 2
        rmse = float(np.sqrt(squared.mean())) if n else np.nan
        empirical = float(fitted["mean"].std(ddof=1)) if n > 1 else np.nan
        model = float(np.sqrt((fitted["sd"] ** 2).mean())) if n else np.nan
        coverage = float(covered.mean()) if n else np.nan
        rows.append({
            **dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)),
            "surveys": n, "failed": len(group) - n, "truth": float(group["truth"].mean()),
            "coverage": coverage,
            "coverage_se": float(np.sqrt(coverage * (1 - coverage) / n)) if n else np.nan,
            "bias": float(error.mean()) if n else np.nan,
            "bias_se": float(error.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
            "rmse": rmse,
            "rmse_se": (float(squared.std(ddof=1) / (2 * rmse * np.sqrt(n)))
                        if n > 1 and rmse > 0 else np.nan),
            "empirical_se": empirical, "model_se": model,
            "se_ratio": model / empirical if n > 1 and empirical > 0 else np.nan,
            "hdi_width": float((fitted["hdi_high"] - fitted["hdi_low"]).mean()) if n else np.nan,
        })
    return pd.DataFrame(rows)
