r"""Simulation-based calibration (SBC): do a model's posteriors cover the truth as claimed.

SBC (Talts et al. 2018) draws parameters :math:`\tilde\theta` from the prior, simulates data
:math:`\tilde y` from them, fits the model to :math:`\tilde y` and records the *rank* of
:math:`\tilde\theta` among :math:`L` posterior draws. If the model, its sampler and the code
that simulates from it are consistent, every rank is uniform on :math:`\{0, \dots, L\}`;
a U shape says the posteriors are too narrow, a hump too wide, a slope biased.

Uniformity is judged with the empirical distribution function (ECDF) of the ranks and
*simultaneous* bands (Säilynoja, Bürkner & Vehtari 2022): the band holds the whole ECDF of
uniform ranks with probability ``prob``, so one look at the ECDF-difference plot
(:func:`trustmodels.plots.sbc.plot_sbc_ecdf`) is one test at level ``1 - prob``.

The module has three layers:

- pure functions on ranks: :func:`thin_draws`, :func:`sbc_rank`, :func:`ecdf_bands`,
  :func:`rank_uniformity`;
- :func:`run_sbc`, the loop *draw from the prior - simulate - fit - rank* for any PyMC model
  builder whose likelihood can be simulated by :func:`pymc.sample_prior_predictive`;
- :func:`main_model_sbc`, a quick run of the main model on small surveys (minutes, cached on
  disk); the book shows the stored run at a realistic size of
  :mod:`trustmodels.simulation.sbc_stored`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "LOG_LIKELIHOOD",
    "MAIN_MODEL_SBC",
    "MAIN_MODEL_SBC_N_PER_CELL",
    "RankUniformity",
    "SBCResult",
    "SBCSettings",
    "data_log_likelihood",
    "detection_rate",
    "ecdf_bands",
    "main_model_design",
    "main_model_sbc",
    "prior_simulations",
    "rank_uniformity",
    "run_sbc",
    "sbc_rank",
    "thin_draws",
]


# ---------------------------------------------------------------------------------------------
# ranks
# ---------------------------------------------------------------------------------------------
def thin_draws(draws, n_keep: int) -> np.ndarray:
    """Keep ``n_keep`` evenly spaced draws (thinning reduces autocorrelation between ranks).

    Parameters
    ----------
    draws : array_like, shape (n_draws, ...)
        Posterior draws, chains already stacked along the first axis.
    n_keep : int
        Number of draws to keep (at most ``n_draws``).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_keep, ...)``.

    Examples
    --------
    >>> thin_draws(np.arange(10), 5).tolist()
    [0, 2, 4, 6, 8]
    """
    draws = np.asarray(draws)
    if not 1 <= n_keep <= draws.shape[0]:
        raise ValueError(f"n_keep must be between 1 and the {draws.shape[0]} draws; got {n_keep}")
    step = draws.shape[0] // n_keep
    return draws[: step * n_keep : step]


def sbc_rank(truth, draws, rng=None) -> np.ndarray:
    """Return the SBC rank of the true value(s) among posterior draws.

    The rank is the number of draws below the truth, ``0..L`` for ``L`` draws; ties (possible
    only for discrete parameters) are broken at random so that ranks stay uniform.

    Parameters
    ----------
    truth : float or array_like, shape (...)
        The parameter value(s) the data were simulated from.
    draws : array_like, shape (L, ...)
        Posterior draws of the same parameter(s).
    rng : numpy.random.Generator or int, optional
        Random numbers for tie breaking.

    Returns
    -------
    numpy.ndarray of int
        Shape of ``truth``.

    Examples
    --------
    >>> int(sbc_rank(0.5, np.array([0.1, 0.2, 0.7, 0.9])))
    2
    >>> sbc_rank([0.0, 10.0], np.array([[1.0, 1.0], [2.0, 2.0]])).tolist()
    [0, 2]
    """
    rng = np.random.default_rng(rng)
    truth = np.asarray(truth, dtype=float)
    draws = np.asarray(draws, dtype=float)
    if draws.shape[1:] != truth.shape:
        raise ValueError(f"draws of shape {draws.shape} do not match truth of shape {truth.shape}")
    below = np.sum(draws < truth, axis=0)
    ties = np.sum(draws == truth, axis=0)
    if np.any(ties):
        below = below + rng.integers(0, ties + 1)
    return np.asarray(below, dtype=int)


# ---------------------------------------------------------------------------------------------
# uniformity: ECDF with simultaneous bands (Säilynoja, Bürkner & Vehtari 2022)
# ---------------------------------------------------------------------------------------------
def _rank_grid(max_rank: int, n_points: int | None) -> np.ndarray:
    """Return the ranks ``k`` at which the ECDF ``P(rank <= k)`` is evaluated."""
    all_points = np.arange(max_rank)  # P(rank <= max_rank) = 1 is not informative
    if n_points is None or n_points >= max_rank:
        return all_points
    return np.unique(np.round(np.linspace(0, max_rank - 1, n_points)).astype(int))


def _gamma(counts_below: np.ndarray, n: int, z: np.ndarray) -> np.ndarray:
    """Smallest two-sided pointwise binomial tail probability over the grid (last axis)."""
    lower_tail = stats.binom.cdf(counts_below, n, z)
    upper_tail = stats.binom.sf(counts_below - 1, n, z)
    return np.min(2.0 * np.minimum(lower_tail, upper_tail), axis=-1)


def _ecdf_counts(ranks: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Count the ranks ``<= k`` for every grid point (last axis), for each row of ranks."""
    sorted_ranks = np.sort(ranks, axis=-1)
    return np.stack([np.searchsorted(row, grid, side="right") for row in
                     np.atleast_2d(sorted_ranks)])


def _critical_gamma(n: int, max_rank: int, grid: np.ndarray, prob: float, n_replicates: int,
                    seed: int) -> tuple[float, np.ndarray]:
    rng = np.random.default_rng(seed)
    uniform_ranks = rng.integers(0, max_rank + 1, size=(n_replicates, n))
    z = (grid + 1) / (max_rank + 1)
    gammas = _gamma(_ecdf_counts(uniform_ranks, grid), n, z)
    return float(np.quantile(gammas, 1.0 - prob)), gammas


def ecdf_bands(n_ranks: int, max_rank: int, prob: float = 0.95, n_points: int | None = 100,
               n_replicates: int = 2000, seed: int = 2022) -> pd.DataFrame:
    """Return simultaneous bands for the ECDF of ``n_ranks`` uniform ranks on ``0..max_rank``.

    The bands are pointwise binomial intervals at the level ``1 - gamma`` chosen by simulation
    so that the whole ECDF of uniform ranks stays inside them with probability ``prob``.

    Parameters
    ----------
    n_ranks : int
        Number of ranks (simulations).
    max_rank : int
        Largest possible rank ``L`` (the number of posterior draws used for ranking).
    prob : float
        Simultaneous coverage of the bands.
    n_points : int, optional
        Number of grid points (ranks are binned for large ``max_rank``); ``None`` uses all.
    n_replicates : int
        Simulated uniform rank sets used to calibrate the bands.
    seed : int
        Seed of that simulation.

    Returns
    -------
    pandas.DataFrame
        Columns ``rank``, ``fraction`` (the uniform CDF ``(rank + 1) / (L + 1)``), ``lower`` and
        ``upper`` (the band, on the ECDF scale), and ``gamma`` (the pointwise tail level).

    Examples
    --------
    >>> bands = ecdf_bands(50, 99, n_points=20)
    >>> bool(((bands["lower"] <= bands["fraction"]) & (bands["fraction"] <= bands["upper"])).all())
    True
    """
    grid = _rank_grid(max_rank, n_points)
    gamma, _ = _critical_gamma(n_ranks, max_rank, grid, prob, n_replicates, seed)
    z = (grid + 1) / (max_rank + 1)
    lower = stats.binom.ppf(gamma / 2, n_ranks, z) / n_ranks
    upper = stats.binom.ppf(1 - gamma / 2, n_ranks, z) / n_ranks
    return pd.DataFrame({"rank": grid, "fraction": z, "lower": lower, "upper": upper,
                         "gamma": gamma})


@dataclass(frozen=True)
class RankUniformity:
    """How far a set of SBC ranks is from uniform.

    Attributes
    ----------
    gamma : float
        The smallest two-sided pointwise binomial tail probability of the ECDF (small when the
        ECDF strays far from the uniform CDF anywhere).
    critical_gamma : float
        The ``1 - prob`` quantile of ``gamma`` for uniform ranks: the ECDF leaves the
        simultaneous band exactly when ``gamma < critical_gamma``.
    p_value : float
        Fraction of simulated uniform rank sets with a ``gamma`` at most as large.
    flagged : bool
        ``True`` when the ECDF leaves the ``prob`` simultaneous band.
    """

    gamma: float
    critical_gamma: float
    p_value: float
    flagged: bool


def rank_uniformity(ranks, max_rank: int, prob: float = 0.95, n_points: int | None = 100,
                    n_replicates: int = 2000, seed: int = 2022) -> RankUniformity:
    """Test whether SBC ranks are uniform with the ECDF simultaneous-band statistic.

    Parameters
    ----------
    ranks : array_like of int
        Ranks ``0..max_rank`` of one parameter across simulations.
    max_rank : int
        The number ``L`` of posterior draws used for ranking.
    prob, n_points, n_replicates, seed
        As in :func:`ecdf_bands`.

    Returns
    -------
    RankUniformity
        The statistic, its critical value, a simulated p-value and the verdict.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> rank_uniformity(rng.integers(0, 100, size=200), max_rank=99).flagged
    False
    >>> rank_uniformity(np.r_[np.zeros(60, int), np.full(60, 99)], max_rank=99).flagged
    True
    """
    ranks = np.asarray(ranks)
    if ranks.ndim != 1 or ranks.size == 0:
        raise ValueError("ranks must be a non-empty one-dimensional array")
    if np.any((ranks < 0) | (ranks > max_rank)) or not np.all(np.equal(np.mod(ranks, 1), 0)):
        raise ValueError(f"ranks must be integers between 0 and max_rank={max_rank}")
    grid = _rank_grid(max_rank, n_points)
    critical, gammas = _critical_gamma(ranks.size, max_rank, grid, prob, n_replicates, seed)
    z = (grid + 1) / (max_rank + 1)
    gamma = float(_gamma(_ecdf_counts(ranks.astype(int), grid), ranks.size, z)[0])
    p_value = float(np.mean(gammas <= gamma))
    return RankUniformity(gamma=gamma, critical_gamma=critical, p_value=p_value,
                          flagged=gamma < critical)


def detection_rate(n_simulations: int, max_rank: int, *, sd_ratio: float = 1.0,
                   shift: float = 0.0, prob: float = 0.95, replicates: int = 1000,
                   n_points: int | None = 100, seed: int = 0) -> float:
    r"""Return how often an SBC run of a given size flags a known miscalibration.

    The posterior of one parameter is taken as normal. A calibrated posterior is
    :math:`N(\mu, s^2)` with the truth drawn from it; the miscalibrated one is
    :math:`N(\mu + \text{shift} \cdot s, (\text{sd\_ratio} \cdot s)^2)` (``sd_ratio < 1``:
    too narrow, ``> 1``: too wide; ``shift``: biased by that many posterior SDs). Ranks of the
    truth among ``max_rank`` independent draws of the miscalibrated posterior are simulated for
    ``replicates`` runs of ``n_simulations`` simulations each, and the fraction of runs whose
    ECDF leaves the simultaneous ``prob`` band (:func:`rank_uniformity`) is returned. With
    ``sd_ratio=1`` and ``shift=0`` it is the false-alarm rate, about ``1 - prob``.

    Parameters
    ----------
    n_simulations : int
        Simulations (ranks) per SBC run.
    max_rank : int
        Posterior draws per rank.
    sd_ratio, shift : float
        The miscalibration.
    prob : float
        Simultaneous coverage of the band.
    replicates : int
        Simulated SBC runs.
    n_points : int, optional
        Grid points of the ECDF (as in :func:`ecdf_bands`).
    seed : int
        Seed of the simulation.

    Returns
    -------
    float
        Fraction of runs flagged.

    Examples
    --------
    >>> detection_rate(100, 99, sd_ratio=0.5, replicates=200) > 0.9
    True
    >>> detection_rate(100, 99, replicates=400) < 0.1
    True
    """
    if not (sd_ratio > 0 and n_simulations >= 1 and max_rank >= 1 and replicates >= 1):
        raise ValueError("sd_ratio, n_simulations, max_rank and replicates must be positive")
    rng = np.random.default_rng(seed)
    grid = _rank_grid(max_rank, n_points)
    critical, _ = _critical_gamma(n_simulations, max_rank, grid, prob, 2000, 2022)
    truth = rng.standard_normal((replicates, n_simulations, 1))
    draws = rng.normal(shift, sd_ratio, size=(replicates, n_simulations, max_rank))
    ranks = np.sum(draws < truth, axis=-1)
    z = (grid + 1) / (max_rank + 1)
    gammas = _gamma(_ecdf_counts(ranks, grid), n_simulations, z)
    return float(np.mean(gammas < critical))


# ---------------------------------------------------------------------------------------------
# the loop: prior draw -> simulated answers -> fit -> ranks
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SBCSettings:
    """Settings of an SBC run (all of them enter the cache key).

    Parameters
    ----------
    n_simulations : int
        Number of prior draws, simulated data sets and fits.
    rank_draws : int
        Posterior draws kept (evenly thinned) to rank each truth: ranks lie in ``0..rank_draws``.
    draws, tune, chains : int
        Sampler settings of each fit (``draws * chains`` must be at least ``rank_draws``).
    sampler : str
        NUTS implementation (see :func:`trustmodels.inference.sampling.fit`).
    sampler_kwargs : tuple of (str, object)
        Extra sampler options, as pairs (e.g. ``(("chain_method", "vectorized"),)``).
    var_names : tuple of str
        Parameters whose ranks are recorded.
    first_elements : tuple of (str, int)
        Variables of ``var_names`` of which only the first ``k`` entries along their first
        dimension are ranked and gated, as pairs (e.g. ``(("u_residual", 3),)``: three
        respondents' terms instead of all of them).
    ess_min : float
        Smallest bulk/tail ESS a fit needs to count as converged (the rank draws are thinned, so
        this is lower than the book's gate).
    seed : int
        Seed of the prior draws; fit ``s`` uses ``seed + 1 + s``.
    """

    n_simulations: int = 40
    rank_draws: int = 99
    draws: int = 250
    tune: int = 300
    chains: int = 4
    sampler: str = "numpyro"
    sampler_kwargs: tuple = (("chain_method", "vectorized"),)
    var_names: tuple[str, ...] = ("beta", "beta_disp")
    ess_min: float = 100.0
    seed: int = 20261122
    first_elements: tuple = ()

    def __post_init__(self):
        if self.draws * self.chains < self.rank_draws:
            raise ValueError("draws * chains must be at least rank_draws")
        if self.n_simulations < 1 or self.rank_draws < 1:
            raise ValueError("n_simulations and rank_draws must be positive")
        for name, count in self.first_elements:
            if name not in self.var_names or not (isinstance(count, int) and count >= 1):
                raise ValueError(f"first_elements names {name!r} with {count!r}: it must name "
                                 f"a variable of var_names {list(self.var_names)} and a "
                                 "positive number of entries")

    def key_fields(self) -> dict:
        """Return the settings as a dict for cache keys (``first_elements`` only when used)."""
        fields = asdict(self)
        if not self.first_elements:  # keys of runs made before the field existed stay valid
            del fields["first_elements"]
        return fields

    def ranked(self, dataset):
        """Return the ranked part of ``dataset``: ``var_names``, cut to ``first_elements``."""
        limits = dict(self.first_elements)
        parts = {}
        for name in self.var_names:
            array = dataset[name]
            if name in limits:
                first = [d for d in array.dims if d not in ("chain", "draw", "sample")][0]
                # its own dimension name: a shared one would be aligned with the other
                # variables' (all items) and fill the cut variable with NaN
                array = array.isel({first: slice(0, limits[name])}).rename(
                    {first: f"{name}_{first}"})
            parts[name] = array
        return type(dataset)(parts)


@dataclass
class SBCResult:
    """Ranks and diagnostics of an SBC run.

    Attributes
    ----------
    ranks : pandas.DataFrame
        One row per simulation, one column per scalar parameter (``beta[apology]``...).
    truth : pandas.DataFrame
        The prior draws the data were simulated from (same layout).
    fits : pandas.DataFrame
        Per simulation: ``converged`` (passed the SBC gate), ``gate`` (the failures, if any),
        ``divergences``, ``min_ess_bulk``, ``seconds``.
    settings : SBCSettings
        The settings used.
    seconds : float
        Wall time of the whole run.
    """

    ranks: pd.DataFrame
    truth: pd.DataFrame
    fits: pd.DataFrame
    settings: SBCSettings
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def max_rank(self) -> int:
        """Largest possible rank (the number of draws used for ranking)."""
        return self.settings.rank_draws

    def uniformity(self, prob: float = 0.95, converged_only: bool = False) -> pd.DataFrame:
        """Return the rank-uniformity statistic of every parameter.

        Parameters
        ----------
        prob : float
            Simultaneous coverage of the ECDF bands.
        converged_only : bool
            Use only the simulations whose fit passed the SBC gate.

        Returns
        -------
        pandas.DataFrame
            One row per parameter with the fields of :class:`RankUniformity`.
        """
        ranks = self.ranks[self.fits["converged"].to_numpy()] if converged_only else self.ranks
        rows = {name: asdict(rank_uniformity(ranks[name].to_numpy(), self.max_rank, prob))
                for name in ranks.columns}
        return pd.DataFrame.from_dict(rows, orient="index")

    def to_json(self) -> str:
        """Serialise the result (for the cache)."""
        return json.dumps({
            "ranks": self.ranks.to_dict(orient="list"),
            "truth": self.truth.to_dict(orient="list"),
            "fits": self.fits.to_dict(orient="list"),
            "simulations": [int(s) for s in self.ranks.index],
            "settings": asdict(self.settings),
            "seconds": self.seconds,
            "extra": self.extra,
        })

    @classmethod
    def from_json(cls, text: str) -> SBCResult:
        """Rebuild a result written by :meth:`to_json`."""
        data = json.loads(text)
        settings = data["settings"]
        settings["sampler_kwargs"] = tuple(tuple(pair) for pair in settings["sampler_kwargs"])
        settings["var_names"] = tuple(settings["var_names"])
        settings["first_elements"] = tuple(tuple(pair)
                                           for pair in settings.get("first_elements", ()))
        # results cached before the simulation numbers were stored hold all of them, in order
        ranks = pd.DataFrame(data["ranks"])
        index = pd.Index(data.get("simulations", range(len(ranks))), name="simulation")
        return cls(ranks=ranks.set_axis(index),
                   truth=pd.DataFrame(data["truth"]).set_axis(index),
                   fits=pd.DataFrame(data["fits"]).set_axis(index),
                   settings=SBCSettings(**settings), seconds=data["seconds"],
                   extra=data.get("extra", {}))


def _flatten(dataset, var_names: Sequence[str], sample_dims: tuple[str, ...]):
    """Return {label: values (n_samples,)} for every scalar element of the variables."""
    out = {}
    for name in var_names:
        array = dataset[name].stack(sample=sample_dims).transpose("sample", ...)
        extra = [d for d in array.dims if d != "sample"]
        values = array.to_numpy().reshape(array.sizes["sample"], -1)
        if extra:
            index = pd.MultiIndex.from_product([array[d].to_numpy() for d in extra])
            labels = [f"{name}[{', '.join(map(str, key))}]" for key in index]
        else:
            labels = [name]
        out.update({label: values[:, j] for j, label in enumerate(labels)})
    return out


def _replace_answers(long: pd.DataFrame, outcome_rows: np.ndarray, answers) -> pd.DataFrame:
    simulated = long.copy()
    response = simulated["response"].to_numpy(copy=True)
    response[outcome_rows] = np.asarray(answers, dtype=response.dtype)
    simulated["response"] = response
    return simulated


#: Column of the SBC ranks that holds the data-dependent test quantity: the log-likelihood of
#: the simulated answers, at the true parameters ranked among its values at the posterior draws.
LOG_LIKELIHOOD = "log-likelihood of the data"


def data_log_likelihood(model, draws, observed: str = "y") -> np.ndarray:
    """Return the log-likelihood of a model's observed answers at each of the given draws.

    SBC ranks of the parameters alone cannot detect a posterior that ignores the data: such a
    posterior is the prior, and prior draws ranked among prior draws are exactly uniform
    (Modrák et al. 2023). The log-likelihood of the simulated answers depends on the data: at the
    parameters that generated them it is higher than at draws that know nothing of them, so its
    ranks pile up at the top unless the posterior has learnt from the data.

    Parameters
    ----------
    model : pymc.Model
        The fitted model (its observed answers are the simulated ones).
    draws : xarray.Dataset
        Values of every free variable, with dimensions ``chain`` and ``draw`` first.
    observed : str
        Name of the observed variable.

    Returns
    -------
    numpy.ndarray
        One value per draw (chains stacked), summed over the answers.
    """
    import pymc as pm
    import xarray as xr

    free = [rv.name for rv in model.free_RVs]
    tree = xr.DataTree.from_dict({"posterior": draws[free]})
    loglik = pm.compute_log_likelihood(tree, model=model, var_names=[observed],
                                       extend_inferencedata=False, progressbar=False)
    values = loglik[observed] if observed in loglik else loglik.to_dataset()[observed]
    other = [dim for dim in values.dims if dim not in ("chain", "draw")]
    return values.sum(other).stack(sample=("chain", "draw")).to_numpy()


def _fit_and_rank(build_model, long: pd.DataFrame, outcome_rows: np.ndarray, answers,
                  truth: dict, s: int, settings: SBCSettings, cores: int, point=None,
                  observed: str = "y") -> tuple[dict, dict]:
    """Fit simulation ``s`` (answers simulated from the prior draw ``truth``) and rank the truth.

    Returns the ranks ``{label: rank}`` (with :data:`LOG_LIKELIHOOD` when ``point``, the whole
    prior draw, is given) and the fit's diagnostics (see :class:`SBCResult`). Module level so
    that worker processes can run it.
    """
    from trustmodels.inference.diagnostics import (
        FitDiagnosticsError,
        GateThresholds,
        check_fit,
        diagnostics_table,
    )
    from trustmodels.inference.sampling import fit

    started = time.perf_counter()
    lax = GateThresholds(rhat_max=np.inf, ess_min=0.0, bfmi_min=0.0, max_divergences=10**9)
    model = build_model(_replace_answers(long, outcome_rows, answers))
    idata = fit(model, draws=settings.draws, tune=settings.tune, chains=settings.chains,
                cores=cores, random_seed=settings.seed + 1 + s, sampler=settings.sampler,
                sampler_kwargs=dict(settings.sampler_kwargs), log_likelihood=False,
                thresholds=lax, label=f"SBC fit {s}")
    ranked = settings.ranked(idata["posterior"].to_dataset())
    draws = _flatten(ranked, settings.var_names, ("chain", "draw"))
    if set(draws) != set(truth):
        raise ValueError(f"the posterior has the parameters {sorted(draws)} but the prior draw "
                         f"{sorted(truth)}")
    rng = np.random.default_rng(settings.seed + 1 + s)
    ranks = {name: int(sbc_rank(truth[name], thin_draws(values, settings.rank_draws), rng))
             for name, values in draws.items()}
    if point is not None:
        ranks[LOG_LIKELIHOOD] = int(sbc_rank(
            data_log_likelihood(model, point, observed)[0],
            thin_draws(data_log_likelihood(model, idata["posterior"].to_dataset(), observed),
                       settings.rank_draws), rng))
    # the gate looks at the ranked quantities only (not at every respondent's term)
    gated = type(idata).from_dict({"posterior": ranked,
                                   "sample_stats": idata["sample_stats"].to_dataset()})
    min_ess = float(diagnostics_table(gated)["ess_bulk"].min())
    try:
        check_fit(gated, thresholds=GateThresholds(ess_min=settings.ess_min))
        gate = ""
    except FitDiagnosticsError as err:
        gate = "; ".join(err.failures)
    diagnostics = {"converged": gate == "", "gate": gate,
                   "divergences": int(idata["sample_stats"]["diverging"].sum()),
                   "min_ess_bulk": min_ess,
                   "seconds": round(time.perf_counter() - started, 2)}
    return ranks, diagnostics


def _simulations(tasks: list[tuple], workers: int):
    """Yield ``_fit_and_rank(*task)`` for every task, in order, in ``workers`` processes."""
    if workers == 1:
        for task in tasks:
            yield _fit_and_rank(*task)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent may already run JAX's and PyTensor's threads
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_fit_and_rank, *task) for task in tasks]
        for future in futures:
            yield future.result()


def prior_simulations(build_model: Callable[[pd.DataFrame], object], long: pd.DataFrame,
                      settings: SBCSettings, *,
                      outcomes: Sequence[str] = ("competence", "benevolence", "integrity"),
                      observed: str = "y"):
    """Draw the SBC's parameters from the prior and answers from the likelihood.

    One joint forward draw per simulation with :func:`pymc.sample_prior_predictive` (seed
    ``settings.seed``): the answers of simulation ``s`` come from the parameters of prior
    draw ``s``, including deterministic parameters such as ``beta`` of the projected ordinal
    model. Cheap next to the fits, and deterministic: a stored run's truths can be recomputed.

    Returns
    -------
    truth : pandas.DataFrame
        The ranked parameters of every simulation (one row each, columns as the ranks').
    answers : numpy.ndarray
        Simulated answers, one row per simulation.
    points : list of xarray.Dataset
        Every free parameter of each simulation (to evaluate the data's log-likelihood).
    outcome_rows : numpy.ndarray
        Rows of ``long`` that hold the model's observed answers.
    """
    import pymc as pm

    outcome_rows = np.flatnonzero(long["construct"].astype(str).isin(list(outcomes)).to_numpy())
    prior_model = build_model(long)
    free = [rv.name for rv in prior_model.free_RVs]
    prior = pm.sample_prior_predictive(
        draws=settings.n_simulations, model=prior_model, random_seed=settings.seed,
        var_names=list(dict.fromkeys([*free, *settings.var_names, observed])))
    prior_params = prior["prior"].to_dataset()
    points = [prior_params[free].isel(draw=[s]) for s in range(settings.n_simulations)]
    answers = prior["prior_predictive"].to_dataset()[observed]
    answers = answers.stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy()
    if answers.shape[1] != outcome_rows.size:
        raise ValueError(f"the model has {answers.shape[1]} answers but long has "
                         f"{outcome_rows.size} rows of the outcomes {list(outcomes)}")
    truth = pd.DataFrame(_flatten(settings.ranked(prior_params), settings.var_names,
                                  ("chain", "draw")))
    return truth, answers, points, outcome_rows


def run_sbc(build_model: Callable[[pd.DataFrame], object], long: pd.DataFrame,
            settings: SBCSettings | None = None, *,
            outcomes: Sequence[str] = ("competence", "benevolence", "integrity"),
            observed: str = "y", cores: int | None = None, workers: int = 1,
            progress: Callable[[str], None] | None = None, store=None,
            simulations: Sequence[int] | None = None) -> SBCResult:
    """Run simulation-based calibration of a model built from a long survey table.

    Parameters are drawn from the model's prior and answers from its likelihood with
    :func:`pymc.sample_prior_predictive` (one joint forward draw: the answers of simulation
    ``s`` come from the parameters of prior draw ``s``, including deterministic parameters such
    as ``beta`` of the projected ordinal model); the answers replace the ``response`` column of
    the outcome rows of ``long`` (the design and covariates are kept), the model is rebuilt and
    fitted with :func:`trustmodels.inference.sampling.fit`, and every truth is ranked among
    ``settings.rank_draws`` thinned posterior draws.

    Parameters
    ----------
    build_model : callable
        ``build_model(long) -> pymc.Model``; the model's observed answers must be named
        ``observed`` and be the rows of ``long`` whose construct is in ``outcomes``, in order.
        With ``workers > 1`` it must be importable (a module-level function).
    long : pandas.DataFrame
        The long table that fixes the design (its answers are replaced).
    settings : SBCSettings, optional
        Run settings (defaults of :class:`SBCSettings`).
    outcomes : sequence of str
        Outcome constructs of the model.
    observed : str
        Name of the observed variable.
    cores : int, optional
        Cores for the sampler of each fit (default :func:`trustmodels.config.fit_cores`).
    workers : int
        Processes that fit simulations side by side (each fit's chains are vectorized on one
        core by default, so ``workers=2`` uses two cores). Every fit has its own seed, so the
        ranks do not depend on ``workers``. The workers are started with ``spawn``: a script
        that calls this with ``workers > 1`` must guard its entry point with
        ``if __name__ == "__main__":``.
    progress : callable, optional
        Called with a one-line message after each fit.
    store : object, optional
        Keeps finished simulations so that an interrupted run resumes: ``store.load(s)``
        returns the ``(ranks, diagnostics)`` of simulation ``s`` or ``None``, and
        ``store.save(s, ranks, diagnostics)`` is called as soon as a fit is ranked (see
        :class:`trustmodels.simulation.sbc_stored.SimulationStore`).
    simulations : sequence of int, optional
        Run only these simulations (numbers ``0..n_simulations - 1``; their prior draws and
        seeds are those of the full run), e.g. to recompute a stored one.

    Returns
    -------
    SBCResult
        Ranks, truths and per-fit diagnostics, indexed by simulation number. Fits that fail the
        (SBC) gate are kept and marked: dropping them would bias the ranks.
    """
    from trustmodels.config import fit_cores

    settings = SBCSettings() if settings is None else settings
    cores = fit_cores(settings.chains) if cores is None else cores
    if not (isinstance(workers, int) and workers >= 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    chosen = list(range(settings.n_simulations)) if simulations is None else sorted(
        {int(s) for s in simulations})
    if not chosen or chosen[0] < 0 or chosen[-1] >= settings.n_simulations:
        raise ValueError(f"simulations must be numbers from 0 to {settings.n_simulations - 1}, "
                         f"got {simulations!r}")
    started = time.perf_counter()
    truth, answers, points, outcome_rows = prior_simulations(build_model, long, settings,
                                                             outcomes=outcomes, observed=observed)
    tasks_for = {s: (build_model, long, outcome_rows, answers[s], truth.loc[s].to_dict(), s,
                     settings, cores, points[s], observed) for s in chosen}
    finished = {}
    if store is not None:
        finished = {s: stored for s in chosen if (stored := store.load(s)) is not None}
    todo = [s for s in chosen if s not in finished]
    tasks = [tasks_for[s] for s in todo]
    for s, (rank, diagnostics) in zip(todo, _simulations(tasks, workers), strict=True):
        finished[s] = (rank, diagnostics)
        if store is not None:
            store.save(s, rank, diagnostics)
        if progress is not None:
            progress(f"SBC fit {s + 1}/{settings.n_simulations} ({len(finished)} of "
                     f"{len(chosen)} done): {diagnostics['seconds']:.1f} s "
                     f"{diagnostics['gate'] or 'ok'}")
    index = pd.Index(chosen, name="simulation")
    ranks = pd.DataFrame([finished[s][0] for s in chosen], index=index)
    return SBCResult(ranks=ranks[[*truth.columns, LOG_LIKELIHOOD]],
                     truth=truth.loc[chosen].set_axis(index),
                     fits=pd.DataFrame([finished[s][1] for s in chosen], index=index),
                     settings=settings, seconds=round(time.perf_counter() - started, 1))


#: Settings of the quick run (the book's until 0.2.0; the book now shows
#: :data:`trustmodels.simulation.sbc_stored.REALISTIC_SBC`): 20 simulations, 4 vectorized
#: chains x (500 tuning + 500) draws,
#: ranks among 99 thinned draws. Every fit compiles the model anew, which costs more than the
#: sampling of these small surveys (:data:`MAIN_MODEL_SBC_N_PER_CELL`): on the 2-core build
#: machine (with a second build running) a fit took about 15-28 s with 4 x (250 + 150) draws
#: and 20-31 s with 4 x (500 + 500). The longer fits are worth it: with 150 draws per chain
#: nearly every fit had an R-hat above 1.01 on some effect (1 of 20 passed the relaxed gate),
#: with 500 draws 17 of 20 pass (the other 3 had a few divergent transitions).
#: 20 simulations, fitted in one process per core, keep the run within a few minutes.
MAIN_MODEL_SBC = SBCSettings(n_simulations=20, rank_draws=99, draws=500, tune=500, chains=4)

#: Respondents per design cell of the book's SBC surveys (6 cells: 30 respondents).
MAIN_MODEL_SBC_N_PER_CELL = 5


def _sbc_cache_path(payload: dict, folder: Path | None) -> Path:
    from trustmodels.config import fit_cache_dir

    key = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    return (fit_cache_dir() if folder is None else Path(folder)) / "sbc" / f"{key[:32]}.json"


def main_model_design(n_per_cell: int, design_seed: int = 7) -> pd.DataFrame:
    """Return the long table that fixes the design of the main model's SBC surveys.

    A SIMULATED survey (:func:`trustmodels.simulation.simulate.simulate_main_model`) of
    ``n_per_cell`` respondents per response-by-violation cell: its design, fan counts and
    disposition answers are kept, its trust answers are replaced in every simulation.
    """
    from trustmodels.simulation.simulate import simulate_main_model
    from trustmodels.survey.codebook import Codebook
    from trustmodels.survey.table import survey_from_frame

    sim = simulate_main_model(n_per_cell=n_per_cell, seed=design_seed)
    return survey_from_frame(sim.wide, Codebook.from_dict(sim.codebook), "SIMULATED").long


def main_model_sbc(settings: SBCSettings = MAIN_MODEL_SBC, *,
                   n_per_cell: int = MAIN_MODEL_SBC_N_PER_CELL,
                   design_seed: int = 7, cores: int | None = None,
                   workers: int | None = None, cache: bool = True, cache_folder: Path | None = None,
                   progress=None) -> SBCResult:
    """Run (or reload) a quick SBC of the main model on small surveys (minutes, cached).

    The design (seller response, violation, fan count, disposition answers) comes from a small
    SIMULATED survey (:func:`trustmodels.simulation.simulate.simulate_main_model`, ``6 *
    n_per_cell``
    respondents); the trust answers are replaced by draws from the main model's prior
    predictive distribution in every simulation.

    Parameters
    ----------
    settings : SBCSettings
        Run settings.
    n_per_cell : int
        Respondents per design cell of each simulated survey.
    design_seed : int
        Seed of the design survey.
    cores : int, optional
        Cores for the sampler of each fit (see :func:`run_sbc`).
    workers : int, optional
        Processes fitting simulations side by side (see :func:`run_sbc`); by default one per CPU
        this process may use (:func:`trustmodels.config.machine_cores`). Not part of the cache
        key, since the ranks do not depend on it.
    cache : bool
        Reuse a stored result with identical inputs (settings, design, the model's fingerprint,
        package version) and store new results, as JSON under the fit cache folder's ``sbc/``.
    cache_folder : pathlib.Path, optional
        Folder instead of :func:`trustmodels.config.fit_cache_dir`.
    progress : callable, optional
        Called with a message after each fit.

    Returns
    -------
    SBCResult
        The run.
    """
    import trustmodels
    from trustmodels.inference.cache import model_fingerprint
    from trustmodels.models.ordinal import build_ordinal_model

    long = main_model_design(n_per_cell, design_seed)
    # the model's fingerprint (structure, priors, design) is part of the key: a change of the
    # model code reruns the SBC even when the package version is unchanged
    payload = {"settings": settings.key_fields(), "n_per_cell": n_per_cell, "seed": design_seed,
               "test_quantities": [LOG_LIKELIHOOD],
               "model": model_fingerprint(build_ordinal_model(long)),
               "version": trustmodels.__version__}
    path = _sbc_cache_path(payload, cache_folder)
    from trustmodels.inference.sampling import record_cache_use

    if cache and path.is_file():
        if cache_folder is None:  # a release's fit-cache asset carries the results a book used
            record_cache_use(f"sbc/{path.name}")
        return SBCResult.from_json(path.read_text())
    from trustmodels.config import machine_cores

    if workers is None:
        workers = max(1, min(machine_cores(), settings.n_simulations))
    result = run_sbc(build_ordinal_model, long, settings, cores=cores, workers=workers,
                     progress=progress)
    result.extra = {"n_respondents": 6 * n_per_cell, "design_seed": design_seed}
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(result.to_json())
        if cache_folder is None:
            record_cache_use(f"sbc/{path.name}")
    return result
