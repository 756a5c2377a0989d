r"""Checking a stored fit against a fresh one: the verify mode of the fit cache.

A release ships the posteriors the book was built from, so that a reader reruns the book in
minutes. Whether those posteriors are what this machine would sample is checked by sampling a
random share of them again (``$TRUSTMODELS_VERIFY_FITS``, :func:`trustmodels.config.verify_share`)
and comparing each posterior mean with the stored one within Monte Carlo error
(:func:`compare_fits`); :func:`trustmodels.inference.sampling.fit` does both when it loads a fit
from the cache. Which fits are sampled again follows from their keys
(:func:`selected_for_verification`), so two builds with the same share check the same fits.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy import stats

__all__ = ["FAMILY_ALPHA", "FitVerificationError", "compare_fits", "selected_for_verification"]

#: Chance that :func:`compare_fits` calls two fits of the same posterior different (over all
#: compared quantities of one fit together: a Bonferroni bound).
FAMILY_ALPHA = 0.001


class FitVerificationError(RuntimeError):
    """A stored fit differs from a fresh one by more than Monte Carlo error (one line)."""


def selected_for_verification(key: str, share: float) -> bool:
    """Return whether the fit stored under ``key`` is among the ``share`` sampled again.

    Parameters
    ----------
    key : str
        Cache key of the fit.
    share : float
        Share of fits to select (0 to 1).

    Returns
    -------
    bool
        True for about ``share`` of all keys; always the same answer for the same key and share.

    Examples
    --------
    >>> selected_for_verification("abc", 1.0), selected_for_verification("abc", 0.0)
    (True, False)
    >>> keys = [f"key{i}" for i in range(2000)]
    >>> round(sum(selected_for_verification(k, 0.25) for k in keys) / 2000, 1)
    0.2
    """
    if share <= 0:
        return False
    if share >= 1:
        return True
    digest = hashlib.sha256(f"verify\x1f{key}".encode()).digest()
    return int.from_bytes(digest[:8], "little") / 2.0**64 < share


def compare_fits(stored, fresh, var_names, *, family_alpha: float = FAMILY_ALPHA) -> list[str]:
    r"""Compare the posterior means of two fits of the same model within Monte Carlo error.

    Parameters
    ----------
    stored, fresh : xarray.DataTree
        The fit from the cache and the one sampled again.
    var_names : sequence of str
        Posterior variables compared (e.g. the gated variables).
    family_alpha : float
        Chance of calling two fits of the same posterior different, over all compared values.

    Returns
    -------
    list of str
        One description per value that differs (empty when the fits agree).

    Notes
    -----
    For every element :math:`j` of the variables, with posterior means :math:`m_{1j}, m_{2j}`
    and their Monte Carlo standard errors :math:`e_{1j}, e_{2j}` (ArviZ's ``mcse`` of the mean),

    .. math::

        z_j = \frac{m_{1j} - m_{2j}}{\sqrt{e_{1j}^2 + e_{2j}^2}},

    and the fits differ where :math:`|z_j| > \Phi^{-1}(1 - \alpha / (2J))` for :math:`J`
    compared values and family-wise :math:`\alpha` (Bonferroni). Two independent runs of a
    sampler on the same posterior pass with probability at least :math:`1 - \alpha`; on the
    same machine with the same seeds the draws are usually identical and :math:`z_j = 0`.

    Examples
    --------
    >>> import xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> def tree(shift):
    ...     draws = rng.normal(shift, 1.0, size=(2, 1000))
    ...     return xr.DataTree.from_dict({"posterior": xr.Dataset(
    ...         {"mu": (("chain", "draw"), draws)})})
    >>> compare_fits(tree(0.0), tree(0.0), ["mu"])
    []
    >>> compare_fits(tree(0.0), tree(0.5), ["mu"])[0].startswith("mu: mean")
    True
    """
    import arviz as az

    names = list(var_names)
    posteriors = [fit["posterior"].to_dataset()[names] for fit in (stored, fresh)]
    means = [post.mean(("chain", "draw")) for post in posteriors]
    errors = [az.mcse(post, method="mean") for post in posteriors]
    count = sum(int(np.size(means[0][name].values)) for name in names)
    critical = float(stats.norm.ppf(1 - family_alpha / (2 * max(count, 1))))
    problems = []
    for name in names:
        first, second = (np.atleast_1d(m[name].values).ravel() for m in means)
        spread = np.hypot(*(np.atleast_1d(e[name].values).ravel() for e in errors))
        z = np.abs(first - second) / np.where(spread > 0, spread, np.inf)
        z = np.where((spread == 0) & (first != second), np.inf, z)
        for index in np.flatnonzero(z > critical):
            label = name if first.size == 1 else f"{name}[{index}]"
            problems.append(f"{label}: mean {first[index]:.4g} stored vs {second[index]:.4g} "
                            f"sampled again ({z[index]:.1f} Monte Carlo SEs apart; at most "
                            f"{critical:.1f} expected)")
    return problems
