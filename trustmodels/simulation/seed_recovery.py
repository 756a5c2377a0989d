r"""The simulated survey's contrasts recovered across many surveys, and the model's estimand.

The book's chapters fit the committed SIMULATED survey once. :func:`run_seed_recovery` draws
``n_surveys`` new surveys from the same simulator, parameters and design (150 respondents per
cell, without careless respondents or missing answers, so that every survey has the same
layout), fits each with the declared-design model of the survey (the book's main model:
seller response x violation x log10 fan count, disposition to trust as covariate, one latent
trust behind the trusting-belief items) by the fast fitter, and scores the latent contrasts of
the recovery tables against the truth (:func:`~trustmodels.simulation.replications.
recovery_performance`).

The simulator is richer than the model: it puts the *latent* disposition into trust where the
model conditions on the observed item mean, and it gives each respondent construct-specific
deviations and each belief its own effect multiplier. So the model converges to a value that
is not exactly the simulator's: its **estimand**. :func:`run_seed_recovery` also fits one very
large survey (``large_n_per_cell`` respondents per cell), whose estimates are that estimand up
to a small Monte Carlo error, so that the mismatch has a size.

Both take minutes, so the book reads them stored (``make recovery`` writes
``data/derived/recovery``): :func:`load_stored_recovery` refuses files of other settings,
parameters or package version, and :func:`verify_stored_sample` recomputes a few of the stored
surveys and fails if any differs.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from trustmodels.analysis.effects import CONTRASTS, DEFAULT_FAN_COUNTS, DEFAULT_HDI_PROB
from trustmodels.datasets.stored import read_stored_manifest
from trustmodels.design import StudyDesign
from trustmodels.models.data import DISPOSITION_CONSTRUCT
from trustmodels.simulation.params import TRUST_CONSTRUCTS, SimulationParameters
from trustmodels.simulation.replications import (
    contrast_weights,
    recomputed_difference,
    run_replications,
)

__all__ = ["SeedRecoverySettings", "StoredRecovery", "StoredRecoveryError", "book_effect_name",
           "fast_fitter_against_nuts", "latent_contrast_table", "load_stored_recovery",
           "recovery_summary", "run_seed_recovery", "simulated_design", "store_recovery",
           "verify_stored_sample"]

#: The command that recomputes the stored runs.
RECOMPUTE_COMMAND = "make recovery"
#: Columns that name one contrast of the recovery tables.
CONTRAST_KEYS = ["violation", "fan_count", "contrast"]


@dataclass(frozen=True)
class SeedRecoverySettings:
    """What a recovery run across seeds simulates and fits.

    Attributes
    ----------
    n_surveys : int
        Simulated surveys.
    n_per_cell : int
        Respondents per seller response x violation cell (the committed survey has 150).
    seed : int
        Seed of the run (survey ``r`` uses
        :func:`~trustmodels.simulation.replications.replicate_seed`).
    fan_counts : tuple of float
        Fan counts at which the contrasts are scored.
    hdi_prob : float
        HDI mass.
    large_n_per_cell : int
        Respondents per cell of the one large survey that estimates the model's estimand.
    """

    n_surveys: int = 200
    n_per_cell: int = 150
    seed: int = 20261206
    fan_counts: tuple[float, ...] = field(default=DEFAULT_FAN_COUNTS)
    hdi_prob: float = DEFAULT_HDI_PROB
    large_n_per_cell: int = 10_000

    def key(self, params: SimulationParameters) -> str:
        """Return a hash of the settings, the simulation's parameters and the package version."""
        from trustmodels._version import __version__

        text = json.dumps({"settings": asdict(self), "parameters": params.to_dict(),
                           "version": __version__}, sort_keys=True, default=float)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def simulated_design() -> StudyDesign:
    """Return the declared design of the book's main model of the simulated survey.

    The factors and the fan-count moderator come from the survey's codebook; the outcome is
    the trusting beliefs and the covariate the disposition to trust, as in
    :func:`trustmodels.models.ordinal.build_ordinal_model`.

    Examples
    --------
    >>> design = simulated_design()
    >>> design.factors["seller_response"], design.covariate
    (('none', 'apology', 'denial'), 'disposition')
    """
    from trustmodels.simulation.survey_codebook import simulated_datapackage
    from trustmodels.survey.codebook import Codebook

    design = StudyDesign.from_codebook(Codebook.from_dict(simulated_datapackage()),
                                       outcomes=list(TRUST_CONSTRUCTS))
    return replace(design, covariate=DISPOSITION_CONSTRUCT)


def _simulated_long(params: SimulationParameters, n_per_cell: int, seed: int) -> pd.DataFrame:
    from trustmodels.simulation.simulate import simulate_survey
    from trustmodels.survey.codebook import Codebook
    from trustmodels.survey.table import survey_from_frame

    sim = simulate_survey(params, n_per_cell=n_per_cell, seed=seed, careless_rate=0,
                          missing_rate=0)
    return survey_from_frame(sim.wide, Codebook.from_dict(sim.codebook), "SIMULATED").long


def latent_contrast_table(params: SimulationParameters, design: StudyDesign,
                          fan_counts=DEFAULT_FAN_COUNTS) -> pd.DataFrame:
    """Return the recovery tables' latent contrasts as effect weights with their true values.

    Parameters
    ----------
    params : SimulationParameters
        The simulation's parameters (the truth).
    design : StudyDesign
        The declared design of the simulated survey (:func:`simulated_design`).
    fan_counts : sequence of float
        Fan counts.

    Returns
    -------
    pandas.DataFrame
        ``violation``, ``fan_count``, ``contrast`` (``"apology - none"``...), ``truth``
        (:func:`~trustmodels.simulation.recovery.true_latent_contrasts`, pooled over the
        beliefs) and ``weights``.

    Examples
    --------
    >>> table = latent_contrast_table(SimulationParameters(), simulated_design(), (10_000,))
    >>> row = table[(table.violation == "competence") & (table.contrast == "apology - none")]
    >>> row["weights"].iloc[0]
    {'seller_response[apology]': 1.0}
    >>> bool(abs(row["truth"].iloc[0] - SimulationParameters().effects["apology"]) < 1e-9)
    True
    """
    from trustmodels.simulation.recovery import true_latent_contrasts

    truth = true_latent_contrasts(params, fan_counts=fan_counts)
    weights = []
    for row in truth.itertuples(index=False):
        first, second = row.contrast.split(" - ")
        weights.append(contrast_weights(design, "seller_response", first, second,
                                        {"violation": row.violation,
                                         "fan_count": row.fan_count}))
    known = {f"{first} - {second}" for first, second in CONTRASTS}
    table = truth[truth["contrast"].isin(known)].assign(weights=weights)
    return table[[*CONTRAST_KEYS, "truth", "weights"]].reset_index(drop=True)


def book_effect_name(name: str) -> str:
    """Return the main model's name of an effect of :func:`simulated_design`.

    Examples
    --------
    >>> book_effect_name("seller_response[apology]:log10(fan_count)")
    'apology:log_fans_c'
    """
    from trustmodels.datasets.simulated_design import EFFECT_NAMES

    parts = []
    for part in name.split(":"):
        if part == "log10(fan_count)":
            parts.append("log_fans_c")
        elif part.endswith("]") and "[" in part:
            parts.append(part[part.index("[") + 1:-1])
        else:
            raise ValueError(f"{name!r} is not an effect of the simulated survey's design")
    book = ":".join(parts)
    if book not in EFFECT_NAMES:
        raise ValueError(f"{name!r} is not an effect of the simulated survey's design")
    return book


def fast_fitter_against_nuts(idata, long: pd.DataFrame, params: SimulationParameters,
                             fan_counts=DEFAULT_FAN_COUNTS) -> pd.DataFrame:
    """Fit a survey with the fast fitter and compare its contrasts with a NUTS fit of the model.

    The recovery runs fit every survey with the fast fitter; this checks that fitter on the
    design and model of those runs, against the main model's NUTS draws of the same answers.

    Parameters
    ----------
    idata : arviz.InferenceData or xarray.DataTree
        NUTS fit of the main model to ``long`` (``posterior["beta"]`` with an ``effect``
        coordinate): :func:`trustmodels.models.declared.build_design_model` of the simulated
        survey's declared design, or :func:`trustmodels.models.ordinal.build_ordinal_model`
        (its effects under their short names).
    long : pandas.DataFrame
        The answers that were fitted (long table).
    params : SimulationParameters
        The simulation's parameters (only for the list of contrasts and their truth).
    fan_counts : sequence of float
        Fan counts of the contrasts.

    Returns
    -------
    pandas.DataFrame
        Per contrast: ``violation``, ``fan_count``, ``contrast``, ``truth``, ``nuts_mean``,
        ``nuts_sd``, ``fast_mean``, ``fast_sd``, ``mean_difference`` (in NUTS posterior SDs)
        and ``sd_ratio`` (fast over NUTS); ``attrs["converged"]`` says whether the fast fit
        converged.
    """
    import warnings

    from trustmodels.planning.laplace import LaplaceFitter

    design = simulated_design()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = LaplaceFitter(long, design).fit(long)
    beta = idata["posterior"]["beta"].stack(sample=("chain", "draw")).transpose("effect", ...)
    draws = {str(name): beta.sel(effect=name).to_numpy() for name in beta["effect"].values}
    rows = []
    for row in latent_contrast_table(params, design, fan_counts).itertuples(index=False):
        contrast = sum(weight * draws[name if name in draws else book_effect_name(name)]
                       for name, weight in row.weights.items())
        mean, sd = fast.contrast(row.weights)
        nuts_mean, nuts_sd = float(np.mean(contrast)), float(np.std(contrast))
        rows.append({"violation": row.violation, "fan_count": row.fan_count,
                     "contrast": row.contrast, "truth": row.truth, "nuts_mean": nuts_mean,
                     "nuts_sd": nuts_sd, "fast_mean": mean, "fast_sd": sd,
                     "mean_difference": (mean - nuts_mean) / nuts_sd, "sd_ratio": sd / nuts_sd})
    table = pd.DataFrame(rows)
    table.attrs["converged"] = fast.converged
    return table


def run_seed_recovery(params: SimulationParameters,
                      settings: SeedRecoverySettings | None = None, *,
                      replicates=None, large: bool = True,
                      progress=None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Simulate and fit many surveys of the simulated design; fit one large survey.

    Parameters
    ----------
    params : SimulationParameters
        The simulation's parameters (the committed truth).
    settings : SeedRecoverySettings, optional
        The run's settings (defaults if omitted).
    replicates : sequence of int, optional
        Only these surveys (e.g. to check a stored run).
    large : bool
        Also fit the large survey.
    progress : callable, optional
        Called with progress messages.

    Returns
    -------
    tuple of pandas.DataFrame
        Per survey and contrast (:func:`~trustmodels.simulation.replications.run_replications`),
        and per contrast the large survey's ``estimand`` (posterior mean), ``estimand_sd`` and
        ``truth`` (None when ``large`` is False).
    """
    settings = SeedRecoverySettings() if settings is None else settings
    design = simulated_design()
    contrasts = latent_contrast_table(params, design, settings.fan_counts)

    def simulate(seed: int) -> pd.DataFrame:
        return _simulated_long(params, settings.n_per_cell, seed)

    table = run_replications(simulate, design, contrasts, n_surveys=settings.n_surveys,
                             seed=settings.seed, hdi_prob=settings.hdi_prob,
                             replicates=replicates, progress=progress)
    if not large:
        return table, None
    big = run_replications(
        lambda seed: _simulated_long(params, settings.large_n_per_cell, seed), design,
        contrasts, n_surveys=1, seed=settings.seed + 1, hdi_prob=settings.hdi_prob)
    if not bool(big["converged"].all()):
        raise RuntimeError(f"the fit of the large survey failed: {big['problem'].iloc[0]}")
    estimand = big[[*CONTRAST_KEYS, "truth"]].assign(estimand=big["mean"],
                                                      estimand_sd=big["sd"])
    return table, estimand


class StoredRecoveryError(RuntimeError):
    """Stored recovery runs that do not belong to the current settings or version (one line)."""


@dataclass(frozen=True)
class StoredRecovery:
    """A stored recovery run: per-survey results, the large survey's estimand, the manifest."""

    results: pd.DataFrame
    estimand: pd.DataFrame
    manifest: dict


def store_recovery(folder, results: pd.DataFrame, estimand: pd.DataFrame,
                   params: SimulationParameters, settings: SeedRecoverySettings,
                   seconds: float) -> Path:
    """Write ``results.csv.gz``, ``estimand.csv`` and ``manifest.json`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    results.to_csv(folder / "results.csv.gz", index=False,
                   compression={"method": "gzip", "mtime": 0})
    estimand.to_csv(folder / "estimand.csv", index=False)
    from trustmodels._version import __version__

    manifest = {"key": settings.key(params), "settings": asdict(settings),
                "version": __version__, "surveys": int(results["replicate"].nunique()),
                "failed": int((~results["converged"].astype(bool)).sum()),
                "seconds": round(seconds, 1)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def load_stored_recovery(folder, params: SimulationParameters,
                         settings: SeedRecoverySettings | None = None) -> StoredRecovery:
    """Read a stored run; refuse it (one line) if it belongs to other settings or a version.

    Raises
    ------
    StoredRecoveryError
        When a file is missing or the stored key is not that of ``settings`` and ``params``.
    """
    settings = SeedRecoverySettings() if settings is None else settings
    folder = Path(folder)
    manifest = read_stored_manifest(
        folder, ("results.csv.gz", "estimand.csv", "manifest.json"), settings.key(params),
        what="recovery run", against="settings, parameters and version",
        command=RECOMPUTE_COMMAND, error=StoredRecoveryError)
    results = pd.read_csv(folder / "results.csv.gz", keep_default_na=False, na_values=[""])
    return StoredRecovery(results=results, estimand=pd.read_csv(folder / "estimand.csv"),
                          manifest=manifest)


def verify_stored_sample(stored: StoredRecovery, params: SimulationParameters,
                         settings: SeedRecoverySettings | None = None, *, surveys: int = 2,
                         seed: int = 0, tolerance: float = 1e-3) -> pd.DataFrame:
    """Recompute a random sample of the stored surveys; raise if any estimate differs.

    Parameters
    ----------
    stored : StoredRecovery
        The stored run.
    params, settings
        As the run was made.
    surveys : int
        Surveys to recompute.
    seed : int
        Seed of the choice.
    tolerance : float
        Largest accepted difference of posterior means and SDs, in posterior SDs.

    Returns
    -------
    pandas.DataFrame
        Per recomputed survey and contrast: stored and recomputed ``mean`` and ``sd`` and
        ``difference`` (the larger absolute difference, in stored posterior SDs).

    Raises
    ------
    StoredRecoveryError
        When a recomputed estimate differs from the stored one.
    """
    settings = SeedRecoverySettings() if settings is None else settings
    available = np.sort(stored.results["replicate"].unique())
    rng = np.random.default_rng(seed)
    chosen = sorted(int(r) for r in rng.choice(available, size=surveys, replace=False))
    fresh, _ = run_seed_recovery(params, settings, replicates=chosen, large=False)
    keys = ["replicate", *CONTRAST_KEYS]
    old = stored.results.astype({"fan_count": float})
    merged = old.merge(fresh.astype({"fan_count": float}), on=keys,
                       suffixes=("_stored", "_recomputed"))
    if len(merged) != len(fresh):
        raise StoredRecoveryError(f"the stored recovery run lacks surveys {chosen}; recompute it "
                                  f"with `{RECOMPUTE_COMMAND}`")
    merged["difference"] = recomputed_difference(merged)
    bad = merged[~(merged["difference"] <= tolerance)]
    if len(bad):
        row = bad.iloc[0]
        raise StoredRecoveryError(
            f"recomputed survey {row['replicate']} ({row['contrast']}, {row['violation']}, "
            f"{row['fan_count']:g} fans) differs from the stored one: mean "
            f"{row['mean_stored']:.6g} vs {row['mean_recomputed']:.6g}; recompute the run with "
            f"`{RECOMPUTE_COMMAND}`")
    return merged[keys + ["mean_stored", "mean_recomputed", "sd_stored", "sd_recomputed",
                          "difference"]]


def recovery_summary(stored: StoredRecovery, *, nominal: float = DEFAULT_HDI_PROB,
                     away_from_zero: float = 0.2) -> tuple[pd.DataFrame, dict[str, float]]:
    """Summarize a stored run: performance per contrast and the numbers the book quotes.

    Parameters
    ----------
    stored : StoredRecovery
        The stored run.
    nominal : float
        The HDI mass; coverage below it by more than two Monte Carlo SEs is undercoverage.
    away_from_zero : float
        Contrasts whose true value is at least this far from zero (latent SD) enter the ratio
        of the model's estimand to the truth.

    Returns
    -------
    tuple
        The table of :func:`~trustmodels.simulation.replications.recovery_performance` per
        contrast with ``estimand``, ``estimand_sd``, ``mismatch`` (estimand minus truth) and
        ``residual`` (bias minus mismatch); and a dict: ``n_contrasts``, ``coverage_min``,
        ``coverage_max``, ``coverage_se`` (mean Monte Carlo SE), ``n_undercovered``,
        ``bias_max`` (absolute), ``rmse_min``, ``rmse_max``, ``se_ratio_min``,
        ``se_ratio_max``, ``large_sd_max`` (largest posterior SD of the large survey),
        ``mismatch_max`` (absolute), ``mismatch_sd_units`` (largest mismatch in posterior SDs of
        one survey), ``ratio_min``, ``ratio_max``, ``shrink`` (one minus the mean ratio),
        ``n_bias_beyond_truth`` and ``n_bias_beyond_mismatch`` (biases more than two Monte
        Carlo SEs from zero, from the mismatch), ``n_by_chance`` (expected number beyond two
        SEs), ``residual_max`` and ``residual_sd_units`` (the largest bias minus mismatch, in
        latent SD and in posterior SDs of one survey).
    """
    from trustmodels.simulation.replications import recovery_performance

    table = recovery_performance(stored.results, by=CONTRAST_KEYS).astype({"fan_count": float})
    estimand = stored.estimand.drop(columns="truth").astype({"fan_count": float})
    table = table.merge(estimand, on=CONTRAST_KEYS)
    table["mismatch"] = table["estimand"] - table["truth"]
    table["residual"] = table["bias"] - table["mismatch"]
    away = table[table["truth"].abs() >= away_from_zero]
    ratio = away["estimand"] / away["truth"]
    gap = table["residual"].abs() / np.hypot(table["bias_se"], table["estimand_sd"])
    worst = table["residual"].abs().idxmax()
    numbers = {
        "n_contrasts": len(table),
        "coverage_min": float(table["coverage"].min()),
        "coverage_max": float(table["coverage"].max()),
        "coverage_se": float(table["coverage_se"].mean()),
        "n_undercovered": int((table["coverage"] + 2 * table["coverage_se"] < nominal).sum()),
        "bias_max": float(table["bias"].abs().max()),
        "rmse_min": float(table["rmse"].min()), "rmse_max": float(table["rmse"].max()),
        "se_ratio_min": float(table["se_ratio"].min()),
        "se_ratio_max": float(table["se_ratio"].max()),
        "large_sd_max": float(table["estimand_sd"].max()),
        "mismatch_max": float(table["mismatch"].abs().max()),
        "mismatch_sd_units": float((table["mismatch"].abs() / table["model_se"]).max()),
        "ratio_min": float(ratio.min()), "ratio_max": float(ratio.max()),
        "shrink": float(1 - ratio.mean()),
        "n_bias_beyond_truth": int((table["bias"].abs() > 2 * table["bias_se"]).sum()),
        "n_bias_beyond_mismatch": int((gap > 2).sum()),
        "n_by_chance": 0.05 * len(table),
        "residual_max": float(abs(table.loc[worst, "residual"])),
        "residual_sd_units": float(abs(table.loc[worst, "residual"])
                                   / table.loc[worst, "model_se"]),
    }
    return table, numbers


def main(argv=None) -> int:
    """Run and store: ``python -m trustmodels.simulation.seed_recovery FOLDER``."""
    import argparse

    from trustmodels.datasets.simulated import load_simulated_truth

    parser = argparse.ArgumentParser(prog="python -m trustmodels.simulation.seed_recovery",
                                     description="Recover the simulated survey's contrasts "
                                                 "across many simulated surveys; store them.")
    parser.add_argument("folder", help="destination, e.g. data/derived/recovery")
    args = parser.parse_args(argv)
    try:
        params = SimulationParameters.from_dict(load_simulated_truth()["parameters"])
    except (OSError, ValueError, RuntimeError) as error:  # missing or changed truth file
        print(f"trustmodels recovery: {error}", file=sys.stderr)
        return 1
    settings = SeedRecoverySettings()
    start = time.perf_counter()
    results, estimand = run_seed_recovery(params, settings,
                                          progress=lambda message: print(message, flush=True))
    folder = store_recovery(args.folder, results, estimand, params, settings,
                            time.perf_counter() - start)
    print(f"stored in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
