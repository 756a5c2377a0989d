"""Fitting a PyMC model: one entry point with fixed seeds, explicit cores and the gate.

Every posterior the package or the book uses comes from :func:`fit`, which samples, adds the
pointwise log-likelihood (for PSIS-LOO) and passes the result through
:func:`trustmodels.diagnostics.check_fit` before returning it.
"""

from __future__ import annotations

import pymc as pm

from trustmodels.diagnostics import DEFAULT_THRESHOLDS, GateThresholds, check_fit

__all__ = ["DEFAULT_SAMPLER", "fit"]

#: The default NUTS implementation (chosen from ``benchmarks/``; see its README).
DEFAULT_SAMPLER = "numpyro"


def fit(
    model: pm.Model,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    cores: int = 2,
    random_seed: int = 20261122,
    sampler: str = DEFAULT_SAMPLER,
    target_accept: float = 0.9,
    log_likelihood: bool = True,
    check_vars: list[str] | None = None,
    thresholds: GateThresholds = DEFAULT_THRESHOLDS,
    label: str = "fit",
    progressbar: bool = False,
):
    """Sample ``model`` with NUTS and return the gated posterior.

    Parameters
    ----------
    model : pymc.Model
        The model to fit.
    draws, tune, chains : int
        Posterior draws and tuning steps per chain, and the number of chains.
    cores : int
        Processes or devices used for the chains (pass it explicitly; PyMC's guess is 1 here).
    random_seed : int
        Seed of the sampler; equal seeds give equal draws.
    sampler : {"numpyro", "pymc", "nutpie", "blackjax"}
        NUTS implementation passed to :func:`pymc.sample` as ``nuts_sampler``.
    target_accept : float
        Target acceptance rate of the step-size adaptation.
    log_likelihood : bool
        Store the pointwise log-likelihood (needed by PSIS-LOO).
    check_vars : list of str, optional
        Parameters the gate checks; by default every free parameter of the model.
    thresholds : GateThresholds
        The gate's limits.
    label : str
        Name of the fit in error messages.
    progressbar : bool
        Show the sampler's progress bar.

    Returns
    -------
    xarray.DataTree
        Posterior, sample statistics, observed data and (optionally) log-likelihood.

    Raises
    ------
    trustmodels.diagnostics.FitDiagnosticsError
        When the fit fails the convergence gate.
    """
    with model:
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            random_seed=random_seed,
            nuts_sampler=sampler,
            target_accept=target_accept,
            progressbar=progressbar,
            idata_kwargs={"log_likelihood": log_likelihood},
        )
    if check_vars is None:
        check_vars = [rv.name for rv in model.free_RVs]
    check_fit(idata, var_names=check_vars, thresholds=thresholds, label=label)
    return idata
