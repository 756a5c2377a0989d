"""The convergence gate that every fit in the package and the book passes through.

A fit is accepted only when, for every checked parameter, R-hat is at most ``rhat_max``, bulk and
tail effective sample sizes are at least ``ess_min``, no transition diverged and the estimated
Bayesian fraction of missing information (E-BFMI) of every chain is at least ``bfmi_min``
(Vehtari et al. 2021; Betancourt 2016). A failure raises :class:`FitDiagnosticsError` with one
message that names the parameters at fault.
"""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["CRITERIA", "FitDiagnosticsError", "GateThresholds", "check_fit", "diagnostics_table"]


@dataclass(frozen=True)
class GateThresholds:
    """Thresholds of the convergence gate.

    Parameters
    ----------
    rhat_max : float
        Largest acceptable rank-normalized split R-hat.
    ess_min : float
        Smallest acceptable bulk and tail effective sample size.
    bfmi_min : float
        Smallest acceptable E-BFMI of any chain.
    max_divergences : int
        Largest acceptable number of divergent transitions (all chains together).
    """

    rhat_max: float = 1.01
    ess_min: float = 400.0
    bfmi_min: float = 0.3
    max_divergences: int = 0


DEFAULT_THRESHOLDS = GateThresholds()


#: The gate's criteria, as named in :attr:`FitDiagnosticsError.criteria`.
CRITERIA = ("r_hat", "ess_bulk", "ess_tail", "divergences", "bfmi")


class FitDiagnosticsError(RuntimeError):
    """A fit failed the convergence gate; the message lists every failure.

    Parameters
    ----------
    failures : list of str
        One phrase per failed criterion, naming the parameters or chains at fault.
    label : str
        Name of the fit.
    criteria : iterable of str
        The failed criteria (from :data:`CRITERIA`), for code that reacts to some of them (e.g.
        :func:`trustmodels.inference.sampling.fit` draws longer chains after an R-hat or ESS
        failure).

    Examples
    --------
    >>> err = FitDiagnosticsError(["R-hat > 1.01 for mu (1.020)"], "demo", ["r_hat"])
    >>> str(err), sorted(err.criteria)
    ('demo failed the convergence gate: R-hat > 1.01 for mu (1.020)', ['r_hat'])
    """

    def __init__(self, failures: list[str], label: str = "fit", criteria=()):
        self.failures = failures
        self.criteria = frozenset(criteria)
        super().__init__(f"{label} failed the convergence gate: " + "; ".join(failures))


def _posterior(idata) -> xr.Dataset:
    post = idata["posterior"]
    return post.to_dataset() if hasattr(post, "to_dataset") else post


def _sample_stats(idata) -> xr.Dataset | None:
    try:
        stats = idata["sample_stats"]
    except KeyError:
        return None
    return stats.to_dataset() if hasattr(stats, "to_dataset") else stats


def diagnostics_table(idata, var_names: list[str] | None = None) -> pd.DataFrame:
    r"""Return R-hat and bulk/tail ESS for every scalar element of the checked parameters.

    Parameters
    ----------
    idata : xarray.DataTree
        Posterior draws with a ``posterior`` group (dimensions ``chain`` and ``draw``).
    var_names : list of str, optional
        Parameters to check; by default all posterior variables.

    Returns
    -------
    pandas.DataFrame
        One row per scalar parameter element, columns ``r_hat``, ``ess_bulk``, ``ess_tail``.

    See Also
    --------
    trustmodels.inference.diagnostics.check_fit : The convergence gate built on this table.
    trustmodels.inference.diagnostics.GateThresholds : The gate's limits.
    fit : Sample a model; every fit passes the gate.

    Notes
    -----
    The values are ArviZ's (:func:`arviz.rhat`, :func:`arviz.ess`), following Vehtari et al.
    (2021). Each chain is split in half, giving :math:`M` sequences of :math:`N` draws, and the
    draws are replaced by the normal scores of their ranks in the pooled sample (rank
    normalization). For such sequences

    .. math::

        \hat R = \sqrt{\frac{\frac{N - 1}{N} W + \frac{1}{N} B}{W}},

    with :math:`W` the mean within-sequence variance and :math:`B / N` the variance of the
    sequence means. ``r_hat`` is the larger of :math:`\hat R` of the rank-normalized draws and
    of the rank-normalized folded draws :math:`\lvert \theta - \operatorname{median}(\theta)
    \rvert`. ``ess_bulk`` is the effective sample size of the rank-normalized split sequences.
    ``ess_tail`` is the smaller effective sample size of the indicators
    :math:`I(\theta \le q)` at two quantiles :math:`q`: ArviZ's default, which takes them from
    its ``stats.ci_prob`` setting (0.89 unless changed, that is the 11% and 89% quantiles),
    rather than the 5% and 95% quantiles of Vehtari et al. (2021).

    References
    ----------
    - Vehtari, A., Gelman, A., Simpson, D., Carpenter, B., & Bürkner, P.-C. (2021).
      Rank-normalization, folding, and localization: An improved R-hat for assessing
      convergence of MCMC (with discussion). *Bayesian Analysis*, 16(2), 667-718.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> post = xr.Dataset({"mu": (("chain", "draw"), rng.normal(size=(4, 500)))})
    >>> table = diagnostics_table(xr.DataTree.from_dict({"posterior": post}))
    >>> list(table.columns)
    ['r_hat', 'ess_bulk', 'ess_tail']
    """
    post = _posterior(idata)
    names = list(post.data_vars) if var_names is None else list(var_names)
    post = post[names]
    rhat = az.rhat(post)
    bulk = az.ess(post, method="bulk")
    tail = az.ess(post, method="tail")
    rows = []
    for name in names:
        values = {
            "r_hat": np.atleast_1d(rhat[name].values).ravel(),
            "ess_bulk": np.atleast_1d(bulk[name].values).ravel(),
            "ess_tail": np.atleast_1d(tail[name].values).ravel(),
        }
        extra_dims = [d for d in post[name].dims if d not in ("chain", "draw")]
        if extra_dims:
            index = pd.MultiIndex.from_product(
                [post[name][d].values for d in extra_dims], names=extra_dims
            )
            labels = [f"{name}[{', '.join(map(str, key if isinstance(key, tuple) else (key,)))}]"
                      for key in index]
        else:
            labels = [name]
        rows.append(pd.DataFrame(values, index=labels))
    return pd.concat(rows)


def check_fit(
    idata,
    var_names: list[str] | None = None,
    thresholds: GateThresholds = DEFAULT_THRESHOLDS,
    label: str = "fit",
) -> pd.DataFrame:
    """Raise :class:`FitDiagnosticsError` unless the fit passes the convergence gate.

    Parameters
    ----------
    idata : xarray.DataTree
        The fit, with ``posterior`` and (for divergences and E-BFMI) ``sample_stats`` groups.
    var_names : list of str, optional
        Parameters to check; by default every posterior variable.
    thresholds : GateThresholds
        The gate's limits.
    label : str
        Name of the fit used in the error message.

    Returns
    -------
    pandas.DataFrame
        The diagnostics table (see :func:`diagnostics_table`) when the fit passes.

    Raises
    ------
    FitDiagnosticsError
        Listing every failed criterion and the parameters at fault.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(1)
    >>> post = xr.Dataset({"mu": (("chain", "draw"), rng.normal(size=(4, 1000)))})
    >>> stats = xr.Dataset({
    ...     "diverging": (("chain", "draw"), np.zeros((4, 1000), dtype=bool)),
    ...     "energy": (("chain", "draw"), rng.normal(size=(4, 1000)))})
    >>> tree = xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})
    >>> check_fit(tree).loc["mu", "r_hat"] < 1.01
    np.True_
    """
    table = diagnostics_table(idata, var_names)
    failures: list[str] = []
    failed: list[str] = []

    def _worst(mask: pd.Series, column: str, fmt: str) -> str:
        bad = table.loc[mask, column].sort_values(ascending=column != "r_hat")
        shown = ", ".join(f"{k} ({fmt.format(v)})" for k, v in bad.head(5).items())
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        return shown + more

    rhat_bad = ~(table["r_hat"] <= thresholds.rhat_max)
    if rhat_bad.any():
        failures.append(f"R-hat > {thresholds.rhat_max} for {_worst(rhat_bad, 'r_hat', '{:.3f}')}")
        failed.append("r_hat")
    for column, kind in (("ess_bulk", "bulk"), ("ess_tail", "tail")):
        bad = ~(table[column] >= thresholds.ess_min)
        if bad.any():
            failures.append(
                f"{kind} ESS < {thresholds.ess_min:.0f} for {_worst(bad, column, '{:.0f}')}"
            )
            failed.append(column)
    stats = _sample_stats(idata)
    if stats is not None and "diverging" in stats:
        n_div = int(stats["diverging"].sum())
        if n_div > thresholds.max_divergences:
            failures.append(f"{n_div} divergent transitions")
            failed.append("divergences")
    if stats is not None and "energy" in stats:
        energy = stats["energy"].transpose("chain", "draw").values
        bfmi = np.square(np.diff(energy, axis=1)).mean(axis=1) / energy.var(axis=1)
        low = [f"chain {i} ({b:.2f})" for i, b in enumerate(bfmi) if not b >= thresholds.bfmi_min]
        if low:
            failures.append(f"E-BFMI < {thresholds.bfmi_min} in " + ", ".join(low))
            failed.append("bfmi")
    if failures:
        raise FitDiagnosticsError(failures, label, failed)
    return table
