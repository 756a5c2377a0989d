r"""Ordered item thresholds and their priors.

Induced Dirichlet prior (Betancourt 2019, *Ordinal regression*): for an item with :math:`K`
categories, the map from thresholds :math:`\tau_1 < \dots < \tau_{K-1}` to the category
probabilities at the anchor :math:`\eta = 0`,

.. math::

    p_k = F(\tau_k) - F(\tau_{k-1}), \qquad k = 1, \dots, K, \quad
    \tau_0 = -\infty, \ \tau_K = \infty,

is a bijection onto the open simplex; its Jacobian (from :math:`\tau` to :math:`p_{1..K-1}`)
is lower bidiagonal with determinant :math:`\prod_k f(\tau_k)`. A
:math:`\mathrm{Dirichlet}(\boldsymbol\alpha)` prior on :math:`p` therefore induces

.. math::

    \log \pi(\tau) = \log \mathrm{Dirichlet}\bigl(p(\tau) \mid \boldsymbol\alpha\bigr)
        + \sum_{k=1}^{K-1} \log f(\tau_k),

which is proper, invariant to the number of categories in spirit (it speaks about
probabilities, not threshold locations) and has the ordered transform as its support.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy import special, stats

from trustmodels.models.likelihood import log_cdf

__all__ = ["induced_dirichlet_logp", "ordered_cutpoints"]


def _log_category_probs(tau, link):
    """Log p_k at eta = 0 for ordered thresholds tau (last axis), shape (..., K)."""
    log_f = log_cdf(tau, link)
    first = log_f[..., :1]
    last = log_cdf(-tau[..., -1:], link)
    middle = log_f[..., 1:] + pt.log1mexp(log_f[..., :-1] - log_f[..., 1:])
    return pt.concatenate([first, middle, last], axis=-1)


def _log_density(tau, link):
    """Log of the latent density f at tau."""
    if link == "logit":
        return -pt.softplus(-tau) - pt.softplus(tau)
    return -0.5 * pt.square(tau) - 0.5 * np.log(2 * np.pi)


def induced_dirichlet_logp(tau, concentration, link: str = "logit"):
    """Return the induced-Dirichlet log-density of ordered thresholds (summed over the last axis).

    Parameters
    ----------
    tau : pytensor tensor, shape (..., K - 1)
        Increasing thresholds.
    concentration : float or pytensor scalar
        Dirichlet concentration (the same for every category).
    link : {"logit", "probit"}
        Latent distribution.

    Returns
    -------
    pytensor.tensor.TensorVariable
        Shape (...,).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import special
    >>> tau = np.array([-1.0, 0.5])
    >>> p = np.diff(np.r_[0, special.expit(tau), 1])
    >>> direct = np.log(2.0) + np.sum(np.log(special.expit(tau) * special.expit(-tau)))
    >>> bool(np.isclose(induced_dirichlet_logp(tau, 1.0).eval(), direct))
    True
    """
    tau = pt.as_tensor_variable(tau)
    n_categories = tau.shape[-1] + 1
    alpha = pt.as_tensor_variable(concentration)
    log_norm = pt.gammaln(alpha * n_categories) - n_categories * pt.gammaln(alpha)
    log_p = _log_category_probs(tau, link)
    return (log_norm + pt.sum((alpha - 1.0) * log_p, axis=-1)
            + pt.sum(_log_density(tau, link), axis=-1))


def _inverse_cdf(p, link):
    return special.logit(p) if link == "logit" else stats.norm.ppf(p)


def ordered_cutpoints(name: str, n_categories: int, dims: tuple[str, str], *,
                      prior: str = "induced_dirichlet", concentration: float = 1.0,
                      sd: float = 3.0, link: str = "logit", n_rows: int, shift=None):
    r"""Add an ``(n_rows, n_categories - 1)`` matrix of increasing thresholds to the model.

    Parameters
    ----------
    name : str
        Variable name.
    n_categories : int
        Number of answer categories K (at least 2).
    dims : tuple of str
        Dimension names ``(rows, cutpoints)``; both must be model coordinates.
    prior : {"induced_dirichlet", "normal"}
        Threshold prior (see the module docstring).
    concentration : float
        Dirichlet concentration for ``"induced_dirichlet"``.
    sd : float
        SD for ``"normal"``.
    link : {"logit", "probit"}
        Latent distribution (used by the induced Dirichlet).
    n_rows : int
        Number of rows (items).
    shift : pytensor tensor, shape (n_rows,), optional
        Sample the thresholds as offsets from ``shift`` (one value per row): the free variable
        is then ``<name>_offset`` :math:`= \tau - s`, whose prior is the threshold prior
        evaluated at :math:`\tau = \text{offset} + s`, and ``<name>`` is a Deterministic. A
        shift has Jacobian 1 and the ordering is shift invariant, so the model is unchanged;
        only the sampler's coordinates change (in the main model :math:`s` is the common
        location that the data cannot separate from the thresholds).

    Returns
    -------
    pytensor.tensor.TensorVariable
        The threshold matrix: a free variable with the ordered transform, or (with ``shift``)
        the Deterministic ``offset + shift``.

    Examples
    --------
    >>> import pymc as pm
    >>> with pm.Model(coords={"item": ["a", "b"], "cutpoint": [1, 2, 3]}) as model:
    ...     tau = ordered_cutpoints("tau", 4, ("item", "cutpoint"), n_rows=2)
    >>> model.initial_point()["tau_ordered__"].shape
    (2, 3)
    >>> with pm.Model(coords={"item": ["a", "b"], "cutpoint": [1, 2, 3]}) as model:
    ...     tau = ordered_cutpoints("tau", 4, ("item", "cutpoint"), n_rows=2,
    ...                             shift=np.array([1.0, -1.0]))
    >>> sorted(model.initial_point())
    ['tau_offset_ordered__']
    >>> bool(np.allclose(tau.eval({model["tau_offset"]: np.zeros((2, 3))})[:, 0], [1.0, -1.0]))
    True
    """
    if n_categories < 2:
        raise ValueError(f"an ordinal item needs at least 2 categories, got {n_categories}")
    shape = (n_rows, n_categories - 1)
    start = _inverse_cdf(np.arange(1, n_categories) / n_categories, link)
    start = np.broadcast_to(start, shape).copy()
    ordered = pm.distributions.transforms.ordered
    if prior not in ("induced_dirichlet", "normal"):
        raise ValueError(f"unknown cutpoint prior {prior!r}")

    # The prior parameter is passed as a (K - 1)-vector so that the signature carries the length.
    # Both priors are CustomDists with a support point (not an ``initval``), which keeps the
    # model convertible by PyMC's graph tools (log-likelihood, log-prior).
    def logp(value, param, offset_of=0.0):
        value = value + pt.shape_padright(offset_of)
        if prior == "normal":
            return pt.sum(pm.logp(pm.Normal.dist(0.0, param), value), axis=-1)
        return induced_dirichlet_logp(value, param[..., 0], link)

    def random(param, offset_of=0.0, rng=None, size=None):
        batch = np.broadcast_shapes(np.shape(param)[:-1], np.shape(offset_of)) \
            if size is None else tuple(size)
        value = float(np.asarray(param).ravel()[0])
        if prior == "normal":
            draws = np.sort(rng.normal(0.0, value, size=batch + (n_categories - 1,)), axis=-1)
        else:
            probs = rng.dirichlet(np.full(n_categories, value), size=batch)
            cumulative = np.clip(np.cumsum(probs, axis=-1)[..., :-1], 1e-12, 1 - 1e-12)
            draws = np.sort(_inverse_cdf(cumulative, link), axis=-1)
        return draws - np.asarray(offset_of)[..., None]

    def support_point(rv, size, param, offset_of=0.0):
        return pt.as_tensor_variable(start) - pt.shape_padright(offset_of)

    value = np.full(n_categories - 1, float(sd if prior == "normal" else concentration))
    if shift is None:
        return pm.CustomDist(
            name, value, logp=logp, random=random, support_point=support_point,
            signature="(k)->(k)", dims=dims, transform=ordered,
        )
    shift = pt.as_tensor_variable(shift)
    offset = pm.CustomDist(
        f"{name}_offset", value, shift, logp=logp, random=random, support_point=support_point,
        signature="(k),()->(k)", dims=dims, transform=ordered,
    )
    return pm.Deterministic(name, offset + shift[:, None], dims=dims)
