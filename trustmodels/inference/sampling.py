"""Fitting a PyMC model: one entry point with fixed seeds, explicit cores, a cache and the gate.

Every posterior the package or the book uses comes from :func:`fit`, which samples (or reloads a
cached fit with an identical model, data, priors, settings and package version, see
:mod:`trustmodels.inference.cache`), adds the pointwise log-likelihood (for PSIS-LOO) and
optionally the
log-prior (for power-scaling sensitivity, :func:`arviz.psense`), and passes the result through
:func:`trustmodels.inference.diagnostics.check_fit` before returning it.

numpyro runs chains in parallel only on as many XLA devices as chains: :func:`fit` first calls
:func:`trustmodels.config.use_host_devices`, which asks XLA for ``max(CPUs, 4)`` host devices
unless ``XLA_FLAGS`` names a count already (importing this module changes no environment).
"""

from __future__ import annotations

import logging

import pymc as pm

from trustmodels.config import fit_cores, fit_log_path, use_host_devices, verify_share
from trustmodels.inference import cache as fit_cache
from trustmodels.inference.diagnostics import (
    DEFAULT_THRESHOLDS,
    FitDiagnosticsError,
    GateThresholds,
    check_fit,
)
from trustmodels.inference.interrupt import stop_at_once_on_ctrl_c
from trustmodels.inference.verify import (
    FitVerificationError,
    compare_fits,
    selected_for_verification,
)

__all__ = ["DEFAULT_DRAWS", "DEFAULT_SAMPLER", "DEFAULT_TUNE", "EXTENDABLE_CRITERIA", "SAMPLERS",
           "add_log_densities", "describe_run", "fit", "gated_variables", "run_length"]

_log = logging.getLogger(__name__)

#: The default NUTS implementation. numpyro had the highest ESS per second on a fixed-effects
#: ordered logit on this machine (stack notes: 207 against 68 for PyMC's NUTS and 67-76 for
#: nutpie, N = 600); the formal benchmark of the main model lives in ``benchmarks/``.
DEFAULT_SAMPLER = "numpyro"
#: Draws and tuning steps per chain that :func:`fit` asks for by default.
DEFAULT_DRAWS, DEFAULT_TUNE = 1000, 1000
#: NUTS implementations accepted by :func:`fit`.
SAMPLERS = ("numpyro", "pymc", "nutpie", "blackjax")
#: Gate criteria that longer chains can mend (see ``extensions`` of :func:`fit`). Divergences
#: and a low E-BFMI point at the posterior's geometry; more draws do not mend them.
EXTENDABLE_CRITERIA = frozenset({"r_hat", "ess_bulk", "ess_tail"})


def gated_variables(model: pm.Model) -> list[str]:
    """Return the names of the variables the gate checks by default.

    Every free variable, plus the deterministic quantities a model reports in place of its free
    variables (the ``derived`` variables of the model's specification,
    :mod:`trustmodels.models.specification`, e.g. ``beta`` of the projected ordinal model).

    Parameters
    ----------
    model : pymc.Model
        A model built by :mod:`trustmodels.models`.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import pymc as pm
    >>> with pm.Model() as model:
    ...     mu = pm.Normal("mu")
    >>> gated_variables(model)
    ['mu']
    """
    spec = getattr(model, "trustmodels_spec", None)
    return [rv.name for rv in model.free_RVs] + list(spec.derived if spec is not None else ())


def add_log_densities(idata, model: pm.Model, *, log_likelihood: bool = True,
                      log_prior: bool = False):
    """Add the pointwise log-likelihood and/or the log-prior of a fit's draws, in place.

    PSIS-LOO needs the log-likelihood and power-scaling sensitivity also the log-prior;
    :func:`fit` stores neither by default (they are large), so a chapter that needs them adds
    them to its (possibly cached) fit with this function. Groups already present are kept.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of ``model`` (from :func:`fit`).
    model : pymc.Model
        The fitted model.
    log_likelihood, log_prior : bool
        Which groups to add.

    Returns
    -------
    xarray.DataTree
        ``idata``, with the groups ``log_likelihood`` and/or ``log_prior``.
    """
    if log_likelihood and "log_likelihood" not in idata.children:
        pm.stats.compute_log_likelihood(idata, model=model, extend_inferencedata=True,
                                        progressbar=False)
    if log_prior and "log_prior" not in idata.children:
        pm.stats.compute_log_prior(idata, model=model, extend_inferencedata=True,
                                   progressbar=False)
    return idata


def run_length(idata) -> dict:
    """Return the chains, draws per chain and tuning steps a fit holds, and the draws asked for.

    The draws may exceed those asked for when :func:`fit` extended the chains (see its
    ``extensions``); prose should report these numbers, not the settings in the code.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit from :func:`fit`.

    Returns
    -------
    dict
        ``chains``, ``draws``, ``tune`` (``None`` if the sampler did not record it) and
        ``requested`` (the draws per chain asked for; ``draws`` if not recorded).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> post = xr.Dataset({"mu": (("chain", "draw"), np.zeros((4, 200)))},
    ...                   attrs={"tuning_steps": 500})
    >>> idata = xr.DataTree.from_dict({"posterior": post})
    >>> idata.attrs["trustmodels_draws_requested"] = 100
    >>> run_length(idata)
    {'chains': 4, 'draws': 200, 'tune': 500, 'requested': 100}
    """
    posterior = idata["posterior"]
    tune = posterior.attrs.get("tuning_steps")
    return {"chains": int(posterior.sizes["chain"]), "draws": int(posterior.sizes["draw"]),
            "tune": None if tune is None else int(tune),
            "requested": int(idata.attrs.get("trustmodels_draws_requested",
                                             posterior.sizes["draw"]))}


def describe_run(fits) -> str:
    """Describe the length of one or several fits in words, for the book's prose.

    Parameters
    ----------
    fits : xarray.DataTree or dict of str to xarray.DataTree
        One fit, or fits by the name the sentence should give them.

    Returns
    -------
    str
        E.g. ``"4 chains of 1,000 draws after 1,000 tuning steps"``; fits of different lengths
        are described one by one, each followed by its name.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> def tree(draws):
    ...     post = xr.Dataset({"mu": (("chain", "draw"), np.zeros((4, draws)))},
    ...                       attrs={"tuning_steps": 1000})
    ...     return xr.DataTree.from_dict({"posterior": post})
    >>> describe_run(tree(1000))
    '4 chains of 1,000 draws after 1,000 tuning steps'
    >>> describe_run({"model A": tree(1000), "model B": tree(1000)})
    '4 chains of 1,000 draws after 1,000 tuning steps each'
    >>> describe_run({"model A": tree(1000), "model B": tree(2000)})
    '4 chains of 1,000 draws after 1,000 tuning steps for model A and 4 chains of 2,000 draws after 1,000 tuning steps for model B'
    """  # noqa: E501

    def phrase(idata) -> str:
        length = run_length(idata)
        text = f"{length['chains']} chains of {length['draws']:,} draws"
        return text if length["tune"] is None else text + f" after {length['tune']:,} tuning steps"

    if "posterior" in getattr(fits, "children", {}):  # one fit (a DataTree is a Mapping too)
        return phrase(fits)
    phrases = {name: phrase(idata) for name, idata in fits.items()}
    if len(set(phrases.values())) == 1:
        return next(iter(phrases.values())) + (" each" if len(phrases) > 1 else "")
    return " and ".join(f"{text} for {name}" for name, text in phrases.items())


def _sample(model, *, draws, tune, chains, cores, random_seed, sampler, target_accept,
            progressbar, sampler_kwargs):
    kwargs = dict(draws=draws, tune=tune, chains=chains, cores=cores, random_seed=random_seed,
                  nuts_sampler=sampler, target_accept=target_accept, progressbar=progressbar,
                  compute_convergence_checks=False)
    if sampler_kwargs:
        kwargs["nuts"] = dict(sampler_kwargs)  # PyMC 6: `nuts_sampler_kwargs` is deprecated
    with model, stop_at_once_on_ctrl_c("the fit"):
        return pm.sample(**kwargs)


def fit(
    model: pm.Model,
    *,
    draws: int = DEFAULT_DRAWS,
    tune: int = DEFAULT_TUNE,
    chains: int = 4,
    cores: int | None = None,
    random_seed: int = 20261122,
    sampler: str = DEFAULT_SAMPLER,
    target_accept: float = 0.9,
    log_likelihood: bool = False,
    log_prior: bool = False,
    check_vars: list[str] | None = None,
    thresholds: GateThresholds = DEFAULT_THRESHOLDS,
    label: str = "fit",
    progressbar: bool = False,
    cache: bool = False,
    sampler_kwargs: dict | None = None,
    extensions: int = 1,
):
    r"""Sample ``model`` with NUTS and return the gated posterior.

    A fresh fit that fails the gate on R-hat or effective sample size alone is sampled again
    with twice as many draws per chain (``extensions`` times at most) before the failure is
    raised. With the same seed and tuning the longer run repeats the first draws exactly (for
    numpyro and PyMC's NUTS; ``tests/test_sampling.py`` checks it), so the chains are extended,
    not replaced, as one would by hand. Why: over hundreds of exchangeable respondent-level
    parameters the largest R-hat of a healthy 4 x 1000 fit lands near 1.01 by chance, and a
    different seed, or a CPU whose floating point sends the chains elsewhere, can push one
    scalar over the limit (``benchmarks/README.md``, session 7); twice the draws halve that
    noise. Divergences and a low E-BFMI are never retried.

    Parameters
    ----------
    model : pymc.Model
        The model to fit.
    draws, tune, chains : int
        Posterior draws and tuning steps per chain, and the number of chains.
    cores : int, optional
        Processes or devices used for the chains. By default
        :func:`trustmodels.config.fit_cores`: ``$TRUSTMODELS_CORES``, else the CPUs this process
        may use, at most one per chain (PyMC's own guess is half the CPUs). The draws do not
        depend on it, and it is not part of the cache key.
    random_seed : int
        Seed of the sampler; equal seeds give equal draws.
    sampler : {"numpyro", "pymc", "nutpie", "blackjax"}
        NUTS implementation passed to :func:`pymc.sample` as ``nuts_sampler``.
    target_accept : float
        Target acceptance rate of the step-size adaptation.
    log_likelihood : bool
        Store the pointwise log-likelihood (needed by PSIS-LOO). Off by default: it holds one
        value per answer and draw (317 MB for 9,900 answers and 4,000 draws);
        :func:`add_log_densities` adds it to a fit later.
    log_prior : bool
        Store the log-prior of every free variable (needed by :func:`arviz.psense`).
    check_vars : list of str, optional
        Parameters the gate checks; by default :func:`gated_variables` (every free parameter and
        the derived quantities the model reports).
    thresholds : GateThresholds
        The gate's limits.
    label : str
        Name of the fit in error messages.
    progressbar : bool
        Show the sampler's progress bar.
    cache : bool
        Reuse a stored fit with the same key and store new fits that pass the gate
        (:mod:`trustmodels.inference.cache`); a stored fit is gated again when loaded. A fit that
        cannot
        be stored (read-only folder, full disk) is returned with a one-line warning. While a
        new fit is sampled its key is locked (:func:`trustmodels.inference.cache.fit_lock`): another
        process fitting the same model waits, then loads the stored fit. With
        ``$TRUSTMODELS_FIT_LOG`` set, the key of every cached fit used is appended to that
        file; with ``$TRUSTMODELS_VERIFY_FITS`` set, that share of the fits loaded from the
        cache is sampled again and compared (:mod:`trustmodels.inference.verify`).
    sampler_kwargs : dict, optional
        Extra keyword arguments of the NUTS implementation, passed as :func:`pymc.sample`'s
        ``nuts`` (e.g. ``{"chain_method": "vectorized"}`` for numpyro); part of the cache key.
    extensions : int
        How many times a fresh fit that fails only on R-hat or ESS is sampled again with twice
        the draws per chain (0: fail at once). Not part of the cache key: a stored fit passed
        the gate with the draws it holds. ``attrs["trustmodels_draws_requested"]`` of the result
        records ``draws``; its ``posterior`` holds the draws actually made.

    Returns
    -------
    xarray.DataTree
        Posterior, sample statistics, observed data, (optionally) log-likelihood and log-prior.
        ``attrs["trustmodels_spec"]`` holds the model's specification as JSON when it has one.

    Raises
    ------
    ValueError
        For an unknown sampler, non-positive draws/chains/cores or negative tune/extensions.
    trustmodels.inference.verify.FitVerificationError
        In verify mode, when a stored fit differs from the one sampled again.
    trustmodels.inference.diagnostics.FitDiagnosticsError
        When the fit (fresh, after its extensions, or cached) fails the convergence gate.

    See Also
    --------
    diagnostics_table : R-hat and bulk and tail ESS of every parameter.
    trustmodels.inference.diagnostics.check_fit : The convergence gate.
    trustmodels.inference.sampling.add_log_densities : Add the log-likelihood or log-prior later.
    describe_run : The length of a fit in words.

    Notes
    -----
    The draws come from the No-U-Turn sampler (Hoffman & Gelman, 2014), an adaptive form of
    Hamiltonian Monte Carlo, run through :func:`pymc.sample` (Abril-Pla et al., 2023) by the
    implementation ``sampler`` (numpyro by default; Phan et al., 2019): ``chains`` chains of
    ``tune`` warm-up steps, which adapt the step size towards ``target_accept`` and the mass
    matrix and are discarded, followed by ``draws`` draws.

    The fit is accepted only when it passes the gate of
    :func:`trustmodels.inference.diagnostics.check_fit` with the limits ``thresholds``
    (defaults in brackets): for every checked parameter a rank-normalized split
    :math:`\hat R` of at most ``rhat_max`` (1.01) and bulk and tail effective sample sizes of
    at least ``ess_min`` (400) (Vehtari et al., 2021); at most ``max_divergences`` (0)
    divergent transitions in all chains together; and in every chain an estimated Bayesian
    fraction of missing information of at least ``bfmi_min`` (0.3) (Betancourt, 2016),

    .. math::

        \widehat{\mathrm{BFMI}} = \frac{\frac{1}{N - 1} \sum_{n=2}^{N} (E_n - E_{n-1})^2}
            {\frac{1}{N} \sum_{n=1}^{N} (E_n - \bar E)^2},

    with :math:`E_n` the Hamiltonian energy of draw :math:`n` of the chain.

    References
    ----------
    - Hoffman, M. D., & Gelman, A. (2014). The No-U-Turn sampler: Adaptively setting path
      lengths in Hamiltonian Monte Carlo. *Journal of Machine Learning Research*, 15(47),
      1593-1623.
    - Abril-Pla, O., Andreani, V., Carroll, C., Dong, L., Fonnesbeck, C. J., Kochurov, M.,
      Kumar, R., Lao, J., Luhmann, C. C., Martin, O. A., Osthege, M., Vieira, R., Wiecki, T., &
      Zinkov, R. (2023). PyMC: A modern, and comprehensive probabilistic programming framework
      in Python. *PeerJ Computer Science*, 9, e1516.
    - Phan, D., Pradhan, N., & Jankowiak, M. (2019). Composable effects for flexible and
      accelerated probabilistic programming in NumPyro. *arXiv preprint* arXiv:1912.11554.
    - Vehtari, A., Gelman, A., Simpson, D., Carpenter, B., & Bürkner, P.-C. (2021).
      Rank-normalization, folding, and localization: An improved R-hat for assessing
      convergence of MCMC (with discussion). *Bayesian Analysis*, 16(2), 667-718.
    - Betancourt, M. (2016). Diagnosing suboptimal cotangent disintegrations in Hamiltonian
      Monte Carlo. *arXiv preprint* arXiv:1604.00695.
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; expected one of {SAMPLERS}")
    if sampler == "numpyro":
        use_host_devices()
    if cores is None and isinstance(chains, int) and chains >= 1:
        cores = fit_cores(chains)
    for name, value in (("draws", draws), ("chains", chains), ("cores", cores)):
        if not (isinstance(value, int) and value >= 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    for name, value in (("tune", tune), ("extensions", extensions)):
        if not (isinstance(value, int) and value >= 0):
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    if check_vars is None:
        check_vars = gated_variables(model)
    settings = dict(draws=draws, tune=tune, chains=chains, random_seed=random_seed,
                    sampler=sampler, target_accept=target_accept, log_likelihood=log_likelihood,
                    log_prior=log_prior, sampler_kwargs=sampler_kwargs or {})
    run = dict(model=model, draws=draws, tune=tune, chains=chains, cores=cores,
               random_seed=random_seed, sampler=sampler, target_accept=target_accept,
               progressbar=progressbar, sampler_kwargs=sampler_kwargs, check_vars=check_vars,
               thresholds=thresholds, label=label, extensions=extensions)
    if not cache:
        idata = _sample_gated(**run)
        _finish(idata, model, draws=draws, log_likelihood=log_likelihood, log_prior=log_prior)
        return idata
    key = fit_cache.fit_key(model, settings)
    # held until the new fit is stored: a process fitting the same key meanwhile waits, then
    # loads this fit instead of sampling it again (the book runs notebooks side by side)
    with fit_cache.fit_lock(key):
        idata = fit_cache.load_fit(key)
        if idata is None:
            idata = _sample_gated(**run)
            _finish(idata, model, draws=draws, log_likelihood=log_likelihood,
                    log_prior=log_prior)
            try:
                fit_cache.save_fit(key, idata)
            except OSError as error:  # read-only folder, full disk: keep the finished fit
                _log.warning("%s passed the gate but could not be stored in the fit cache "
                             "(%s); it is returned, and will be sampled again next time",
                             label, error.strerror or error)
            record_cache_use(key)
            return idata
    check_fit(idata, var_names=check_vars, thresholds=thresholds, label=label)
    record_cache_use(key)
    if selected_for_verification(key, verify_share()):
        _verify(idata, run, key, draws=draws, log_likelihood=log_likelihood,
                log_prior=log_prior)
    return idata


def record_cache_use(key: str) -> None:
    """Append ``key`` to ``$TRUSTMODELS_FIT_LOG`` when it is set (the fits a book used).

    A fit's key names ``<key>.zarr`` in the fit cache; another cached result names its file
    path in the fit cache (e.g. ``sbc/<key>.json``), so that a release's fit-cache asset
    carries it too.
    """
    path = fit_log_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(key + "\n")


def _verify(stored, run: dict, key: str, *, draws, log_likelihood, log_prior) -> None:
    """Sample a stored fit again and compare (verify mode); raise when they differ."""
    _log.warning("%s: verify mode, sampling the stored fit %s again", run["label"], key[:12])
    fresh = _sample_gated(**run)
    _finish(fresh, run["model"], draws=draws, log_likelihood=log_likelihood,
            log_prior=log_prior)
    problems = compare_fits(stored, fresh, run["check_vars"])
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise FitVerificationError(
            f"{run['label']}: the stored fit {key[:12]} differs from the one sampled again: "
            f"{problems[0]}{more}")


def _sample_gated(model, *, draws, tune, chains, cores, random_seed, sampler, target_accept,
                  progressbar, sampler_kwargs, check_vars, thresholds, label, extensions):
    """Sample and gate; extend a fit failing on R-hat/ESS alone (see :func:`fit`)."""
    per_chain = draws
    while True:
        idata = _sample(model, draws=per_chain, tune=tune, chains=chains, cores=cores,
                        random_seed=random_seed, sampler=sampler, target_accept=target_accept,
                        progressbar=progressbar, sampler_kwargs=sampler_kwargs)
        try:  # gate first: a fit that fails is never stored (rerunning resamples it)
            check_fit(idata, var_names=check_vars, thresholds=thresholds,
                      label=label if per_chain == draws
                      else f"{label} (extended to {per_chain} draws per chain)")
            return idata
        except FitDiagnosticsError as error:
            if extensions == 0 or not error.criteria <= EXTENDABLE_CRITERIA:
                raise
            extensions -= 1
            per_chain *= 2
            _log.warning("%s; sampling the same chains longer: %d draws per chain",
                         error, per_chain)


def _finish(idata, model, *, draws, log_likelihood, log_prior):
    """Add the requested log densities and the attributes every fresh fit carries."""
    add_log_densities(idata, model, log_likelihood=log_likelihood, log_prior=log_prior)
    spec = getattr(model, "trustmodels_spec", None)
    if spec is not None:
        idata.attrs["trustmodels_spec"] = spec.to_json()
    idata.attrs["trustmodels_draws_requested"] = draws
