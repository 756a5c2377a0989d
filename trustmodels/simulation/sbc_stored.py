"""The main model's SBC at a realistic survey size: run once (resumable), store, verify.

At the size of a published vignette study an SBC fit of the main model takes one to two
minutes, so a hundred simulations do not fit into a book build. They are run once with
``make sbc`` (this module's :func:`main`), which keeps every finished simulation as a small
verified JSON file (an interrupted run resumes where it stopped), and the ranks, truths and
fit diagnostics are stored in ``data/derived/sbc``; ``make sbc-declared`` does the same for
the main model built from the simulated survey's declared design (``model="declared"``) and
stores it in ``data/derived/sbc_declared``. The book reads the declared run
(:func:`load_stored_sbc`), refuses it when the settings, the design or the model changed, and
recomputes one simulation at every build (:func:`verify_stored_sbc`).

The key of a stored run is made of the settings, the design, the model's fingerprint
(:func:`trustmodels.inference.cache.model_fingerprint`: its structure, priors and data) and the
versions of the sampler's libraries, not the package version: a release that leaves the model
alone keeps its SBC. A change of the ranking code that the key cannot see shows in the
recomputed simulation.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import sys
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from trustmodels.datasets.stored import ChecksummedRecords, read_stored_manifest
from trustmodels.simulation.sbc import (
    LOG_LIKELIHOOD,
    SBCResult,
    SBCSettings,
    main_model_design,
    prior_simulations,
    run_sbc,
)

__all__ = [
    "REALISTIC_SBC",
    "REALISTIC_SBC_DECLARED",
    "REALISTIC_SBC_N_PER_CELL",
    "SBC_MODELS",
    "SimulationStore",
    "StoredSBC",
    "StoredSBCError",
    "load_stored_sbc",
    "main",
    "run_stored_sbc",
    "sbc_builder",
    "sbc_key",
    "store_sbc",
    "verify_stored_sbc",
]

#: The book's SBC: 100 simulations, each fit 4 vectorized chains x (500 tuning + 500) draws,
#: every truth ranked among 99 thinned draws. Ranked: the 11 effects, the disposition slope,
#: the 11 item discriminations, the 6 thresholds of the first item, the terms of the first
#: three respondents, and the log-likelihood of the simulated answers.
REALISTIC_SBC = SBCSettings(
    n_simulations=100, rank_draws=99, draws=500, tune=500, chains=4,
    var_names=("beta", "beta_disp", "lambda", "cutpoints", "u_residual"),
    first_elements=(("cutpoints", 1), ("u_residual", 3)), seed=20261206)

#: The same run of the main model built from the design the simulated survey's codebook declares
#: (``"declared"`` below): the covariate's slope is named ``beta_cov`` there.
REALISTIC_SBC_DECLARED = replace(
    REALISTIC_SBC, var_names=("beta", "beta_cov", "lambda", "cutpoints", "u_residual"))

#: The builders of the main model whose SBC can be stored: ``"ordinal"``,
#: :func:`~trustmodels.models.ordinal.build_ordinal_model` (the run chapter 5 reads), and
#: ``"declared"``, :func:`~trustmodels.models.declared.build_design_model` on
#: :func:`~trustmodels.simulation.survey_codebook.simulated_study_design` in the projected
#: form: the same model, its effects named by the design and its columns in the design's order.
SBC_MODELS = ("ordinal", "declared")

#: Respondents per response-by-violation cell of each SBC survey (6 cells: 300 respondents),
#: the size of many published vignette studies of this field.
REALISTIC_SBC_N_PER_CELL = 50

#: The command that recomputes the stored run.
RECOMPUTE_COMMAND = "make sbc"

#: Libraries whose versions enter the key (they decide what the sampler draws).
SAMPLER_LIBRARIES = ("pymc", "pytensor", "numpyro", "jax")

FILES = ("ranks.csv", "truth.csv", "fits.csv", "manifest.json")


class StoredSBCError(RuntimeError):
    """A stored SBC run that does not belong to the current settings or model (one line)."""


def sbc_builder(model: str = "ordinal"):
    """Return the builder of the main model whose SBC is run (see :data:`SBC_MODELS`).

    Parameters
    ----------
    model : {"ordinal", "declared"}
        Which builder.

    Returns
    -------
    callable
        ``long -> pymc.Model`` (picklable, for the worker processes).

    Examples
    --------
    >>> sbc_builder("declared").keywords["parameterization"]
    'projected'
    """
    if model not in SBC_MODELS:
        raise ValueError(f"unknown SBC model {model!r}; expected one of {SBC_MODELS}")
    if model == "ordinal":
        from trustmodels.models.ordinal import build_ordinal_model

        return build_ordinal_model
    from trustmodels.models.declared import build_design_model
    from trustmodels.simulation.survey_codebook import simulated_study_design

    return functools.partial(build_design_model, design=simulated_study_design(),
                             parameterization="projected")


def sbc_key(settings: SBCSettings, n_per_cell: int, design_seed: int,
            long: pd.DataFrame | None = None, model: str = "ordinal") -> tuple[str, dict]:
    """Return the key of an SBC run of the main model and the payload it is made of.

    Parameters
    ----------
    settings : SBCSettings
        Run settings.
    n_per_cell, design_seed : int
        The design survey (:func:`trustmodels.simulation.sbc.main_model_design`).
    long : pandas.DataFrame, optional
        That survey's long table, if already built.
    model : {"ordinal", "declared"}
        The builder (:func:`sbc_builder`).

    Returns
    -------
    key : str
        24 hex characters.
    payload : dict
        What the key is the hash of (with ``builder`` for a model other than ``"ordinal"``).
    """
    from trustmodels.inference.cache import model_fingerprint

    long = main_model_design(n_per_cell, design_seed) if long is None else long
    payload = {"settings": settings.key_fields(), "n_per_cell": n_per_cell,
               "design_seed": design_seed, "test_quantities": [LOG_LIKELIHOOD],
               "model": model_fingerprint(sbc_builder(model)(long)),
               "libraries": {name: version(name) for name in SAMPLER_LIBRARIES}}
    if model != "ordinal":
        payload["builder"] = model
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return digest[:24], payload


class SimulationStore:
    """Finished simulations of one SBC run, one checksummed JSON file each.

    Parameters
    ----------
    folder : str or pathlib.Path
        Root folder; simulations go to ``folder/<key>/sim-0000.json`` and so on.
    key : str
        The run's key (:func:`sbc_key`).

    Examples
    --------
    >>> import tempfile
    >>> store = SimulationStore(tempfile.mkdtemp(), "abc")
    >>> store.load(0) is None
    True
    >>> store.save(0, {"beta[a]": 3}, {"converged": True})
    >>> store.load(0)
    ({'beta[a]': 3}, {'converged': True})
    """

    def __init__(self, folder, key: str):
        self.records = ChecksummedRecords(Path(folder) / key, body_key="simulation",
                                          label="trustmodels sbc")
        self.folder = self.records.folder

    def load(self, simulation: int) -> tuple[dict, dict] | None:
        """Return a finished simulation's ``(ranks, diagnostics)``, or ``None``.

        A damaged file is moved aside (``.damaged``) and the simulation counts as not run.
        """
        body = self.records.load(f"sim-{simulation:04d}")
        return None if body is None else (body["ranks"], body["diagnostics"])

    def save(self, simulation: int, ranks: dict, diagnostics: dict) -> None:
        """Store a finished simulation (written to a temporary file, then renamed)."""
        self.records.save(f"sim-{simulation:04d}", {"ranks": ranks, "diagnostics": diagnostics})


def run_stored_sbc(folder, settings: SBCSettings = REALISTIC_SBC, *,
                   n_per_cell: int = REALISTIC_SBC_N_PER_CELL, design_seed: int = 7,
                   workers: int | None = None, progress=print,
                   model: str = "ordinal") -> tuple[SBCResult, dict]:
    """Run (or resume) the main model's SBC, keeping every simulation under ``folder``.

    Parameters
    ----------
    folder : str or pathlib.Path
        Where finished simulations are kept (:class:`SimulationStore`).
    settings : SBCSettings
        Run settings.
    n_per_cell, design_seed : int
        The design survey.
    workers : int, optional
        Processes fitting side by side (default: one per core this process may use). The
        ranks do not depend on it.
    progress : callable
        Called with a line after each fit.
    model : {"ordinal", "declared"}
        The builder (:func:`sbc_builder`).

    Returns
    -------
    result : SBCResult
    payload : dict
        The key's payload (for the manifest).
    """
    from trustmodels.config import machine_cores

    long = main_model_design(n_per_cell, design_seed)
    key, payload = sbc_key(settings, n_per_cell, design_seed, long, model=model)
    workers = max(1, min(machine_cores(), settings.n_simulations)) if workers is None else workers
    result = run_sbc(sbc_builder(model), long, settings, workers=workers, progress=progress,
                     store=SimulationStore(folder, key))
    result.extra = {"n_respondents": int(long["respondent"].nunique()),
                    "design_seed": design_seed, "key": key}
    return result, payload


@dataclass(frozen=True)
class StoredSBC:
    """A stored SBC run: the result and its manifest."""

    result: SBCResult
    manifest: dict


def store_sbc(result: SBCResult, payload: dict, folder) -> Path:
    """Write ``ranks.csv``, ``truth.csv``, ``fits.csv`` and ``manifest.json`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in (("ranks", result.ranks), ("truth", result.truth),
                        ("fits", result.fits)):
        table.to_csv(folder / f"{name}.csv", index_label="simulation", float_format="%.10g")
    manifest = {"key": result.extra["key"], **payload,
                "n_respondents": result.extra["n_respondents"],
                "simulations": len(result.ranks),
                "fit_seconds": round(float(result.fits["seconds"].sum()), 1)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                          encoding="utf-8")
    return folder


def load_stored_sbc(folder, settings: SBCSettings = REALISTIC_SBC, *,
                    n_per_cell: int = REALISTIC_SBC_N_PER_CELL,
                    design_seed: int = 7, model: str = "ordinal") -> StoredSBC:
    """Read a stored run; refuse it (one line) if it belongs to other settings or a model.

    ``model`` names the builder (:func:`sbc_builder`).

    Raises
    ------
    StoredSBCError
        When a file is missing or the stored key is not that of the arguments.
    """
    folder = Path(folder)
    key, _ = sbc_key(settings, n_per_cell, design_seed, model=model)
    manifest = read_stored_manifest(folder, FILES, key, what="SBC run",
                                    against="settings, model and sampler libraries",
                                    command=RECOMPUTE_COMMAND, error=StoredSBCError)

    def read(name):
        return pd.read_csv(folder / f"{name}.csv", index_col="simulation",
                           keep_default_na=False, na_values=[""])

    fits = read("fits")
    fits["gate"] = fits["gate"].fillna("")
    result = SBCResult(ranks=read("ranks"), truth=read("truth"), fits=fits, settings=settings,
                       seconds=float(manifest["fit_seconds"]),
                       extra={"n_respondents": manifest["n_respondents"],
                              "design_seed": design_seed, "key": key})
    return StoredSBC(result=result, manifest=manifest)


def _rank_tolerance(rank: np.ndarray, max_rank: int, sds: float = 4.0) -> np.ndarray:
    """Largest difference between two independent runs' ranks of one truth that is chance."""
    share = np.clip(rank / max_rank, 0.5 / max_rank, 1 - 0.5 / max_rank)
    return np.ceil(sds * np.sqrt(2 * max_rank * share * (1 - share))) + 1


def verify_stored_sbc(stored: StoredSBC, *, simulations=(0,), workers: int = 1) -> pd.DataFrame:
    """Recompute the truths of every simulation and the ranks of a few; raise on a difference.

    The prior draws are deterministic, so every stored truth must be recomputed to within
    ``1e-8``. The recomputed fits are NUTS runs: on the machine that made the run they repeat it
    exactly; elsewhere floating-point sums in another order can send the chains elsewhere, so a
    rank may move by Monte Carlo error, and the check allows four binomial standard deviations
    of the difference between two independent rankings.

    Parameters
    ----------
    stored : StoredSBC
        The stored run.
    simulations : sequence of int
        Simulations to recompute.
    workers : int
        Processes fitting side by side.

    Returns
    -------
    pandas.DataFrame
        One row per recomputed simulation and quantity: ``stored`` and ``recomputed`` rank,
        ``difference`` and ``tolerance``.

    Raises
    ------
    StoredSBCError
        When a truth or a rank differs.
    """
    result = stored.result
    settings = result.settings
    build_model = sbc_builder(stored.manifest.get("builder", "ordinal"))
    long = main_model_design(stored.manifest["n_per_cell"], stored.manifest["design_seed"])
    truth, *_ = prior_simulations(build_model, long, settings)
    stored_truth = result.truth.loc[:, truth.columns] if set(truth.columns) <= set(
        result.truth.columns) else None
    if stored_truth is None or not np.allclose(stored_truth.to_numpy(),
                                               truth.loc[stored_truth.index].to_numpy(),
                                               rtol=0, atol=1e-8):
        raise StoredSBCError(f"the stored SBC run's true parameters are not the prior draws of the "
                             f"current model and seed; recompute it with `{RECOMPUTE_COMMAND}`")
    fresh = run_sbc(build_model, long, settings, workers=workers,
                    simulations=list(simulations))
    rows = []
    for s in fresh.ranks.index:
        for name in fresh.ranks.columns:
            old = int(result.ranks.loc[s, name])
            rows.append({"simulation": int(s), "quantity": name, "stored": old,
                         "recomputed": int(fresh.ranks.loc[s, name])})
    table = pd.DataFrame(rows)
    table["difference"] = (table["recomputed"] - table["stored"]).abs()
    table["tolerance"] = _rank_tolerance(table["stored"].to_numpy(), settings.rank_draws)
    bad = table[table["difference"] > table["tolerance"]]
    if len(bad):
        row = bad.iloc[0]
        raise StoredSBCError(
            f"recomputed SBC simulation {row['simulation']} ranks {row['quantity']} at "
            f"{row['recomputed']}, the stored run at {row['stored']} (more than "
            f"{row['tolerance']:.0f} apart); recompute the run with `{RECOMPUTE_COMMAND}`")
    return table


def main(argv=None) -> int:
    """Run or resume the book's SBC and store it: ``python -m ... WORK_FOLDER DATA_FOLDER``."""
    parser = argparse.ArgumentParser(
        prog="python -m trustmodels.simulation.sbc_stored",
        description="Run (or resume) the main model's SBC at a realistic size and store it.")
    parser.add_argument("work", type=Path, help="folder for finished simulations (resumable)")
    parser.add_argument("out", type=Path, help="folder of the stored run (data/derived/sbc)")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes fitting side by side (default: one per core)")
    parser.add_argument("--model", choices=SBC_MODELS, default="ordinal",
                        help="the main model as written for the simulated survey (ordinal) or "
                             "built from its declared design (declared)")
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        print(f"trustmodels sbc: --workers must be a positive integer, got {args.workers}",
              file=sys.stderr)
        return 2
    settings = REALISTIC_SBC if args.model == "ordinal" else REALISTIC_SBC_DECLARED
    result, payload = run_stored_sbc(args.work, settings, workers=args.workers,
                                     model=args.model,
                                     progress=lambda line: print(line, flush=True))
    store_sbc(result, payload, args.out)
    print(f"stored {len(result.ranks)} simulations in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
