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
from pymc.logprob.transforms import Transform
from scipy import special, stats

from trustmodels.models.likelihood import log_cdf

__all__ = ["AnchoredOrderedTransform", "induced_dirichlet_logp", "median_anchors",
           "ordered_cutpoints"]


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


class AnchoredOrderedTransform(Transform):
    r"""Ordered thresholds in coordinates that start from an anchor threshold of each row.

    PyMC's ``ordered`` transform maps increasing :math:`\tau_1 < \dots < \tau_{K-1}` to
    :math:`(\tau_1, \log(\tau_2 - \tau_1), \dots)`: every threshold is the first one plus
    gaps. When the first threshold is poorly determined (few answers in the lowest categories,
    e.g. a scale with a ceiling) and the upper ones are well determined, the first coordinate
    and every gap are strongly anti-correlated, which a diagonal mass matrix cannot undo. This
    transform keeps threshold :math:`a` (the anchor, chosen per row, e.g. by
    :func:`median_anchors` where the answers are dense) as it is and writes the others as log
    gaps to their neighbour towards the anchor:

    .. math::

        y_a = \tau_a, \qquad y_c = \log(\tau_c - \tau_{c-1}) \ (c > a), \qquad
        y_c = \log(\tau_{c+1} - \tau_c) \ (c < a).

    The log-Jacobian of the inverse map is :math:`\sum_{c \ne a} y_c`. With every anchor at
    0 it is PyMC's ``ordered`` transform. A change of the sampler's coordinates only: the
    model and its density on the thresholds are unchanged.

    Parameters
    ----------
    anchors : array_like of int, shape (rows,)
        Index (0-based) of the anchor threshold of each row; rows are the second-to-last axis.

    Examples
    --------
    >>> import numpy as np
    >>> tau = np.array([[-2.0, 0.0, 1.0], [-1.0, -0.5, 3.0]])
    >>> transform = AnchoredOrderedTransform([1, 2])
    >>> y = transform.forward(pt.as_tensor(tau)).eval()
    >>> np.round(y, 3).tolist()  # row 0: anchor tau_2 = 0; row 1: anchor tau_3 = 3
    [[0.693, 0.0, 0.0], [-0.693, 1.253, 3.0]]
    >>> bool(np.allclose(transform.backward(pt.as_tensor(y)).eval(), tau))
    True
    """

    name = "anchored"  # no underscore: PyMC strips the transform name at the last "_"

    def __init__(self, anchors):
        anchors = np.asarray(anchors, dtype="int64")
        if anchors.ndim != 1 or (anchors < 0).any():
            raise ValueError(f"anchors must be one non-negative index per row, got {anchors!r}")
        self.anchors = anchors

    def _masks(self, value):
        position = pt.arange(value.shape[-1])
        anchor = pt.as_tensor(self.anchors)[:, None]
        return pt.eq(position, anchor), pt.gt(position, anchor), pt.lt(position, anchor)

    def forward(self, value, *inputs):
        """Thresholds -> (anchor threshold, log gaps towards it)."""
        at_anchor, above, _ = self._masks(value)
        log_gap = pt.log(pt.diff(value, axis=-1))
        pad = pt.zeros_like(value[..., :1])
        gap_below = pt.concatenate([pad, log_gap], axis=-1)  # c -> log(tau_c - tau_{c-1})
        gap_above = pt.concatenate([log_gap, pad], axis=-1)  # c -> log(tau_{c+1} - tau_c)
        return pt.switch(at_anchor, value, pt.switch(above, gap_below, gap_above))

    def backward(self, value, *inputs):
        """(anchor threshold, log gaps) -> thresholds."""
        at_anchor, above, below = self._masks(value)
        anchor_value = pt.sum(pt.switch(at_anchor, value, 0.0), axis=-1, keepdims=True)
        gap = pt.exp(pt.switch(at_anchor, 0.0, value))
        rise = pt.cumsum(pt.switch(above, gap, 0.0), axis=-1)
        gap_below = pt.switch(below, gap, 0.0)
        fall = pt.sum(gap_below, axis=-1, keepdims=True) - pt.cumsum(gap_below, axis=-1) + gap_below
        return anchor_value + rise - fall

    def log_jac_det(self, value, *inputs):
        """Sum of the log gaps (the coordinates other than the anchor), per row."""
        at_anchor, _, _ = self._masks(value)
        return pt.sum(pt.switch(at_anchor, 0.0, value), axis=-1)


def median_anchors(response, item_index, n_categories) -> np.ndarray:
    """Return, per item, the index of the threshold just above the median answer.

    The threshold between the median category :math:`m` and :math:`m + 1` (index
    :math:`m - 1`, at most :math:`K - 2`) is the one the answers pin best; it is the anchor
    of :class:`AnchoredOrderedTransform`.

    Parameters
    ----------
    response : array_like of int
        Answers (1 to K), one per row of the long table.
    item_index : array_like of int
        Item of each answer (0 to n_items - 1).
    n_categories : array_like of int
        K of each item.

    Returns
    -------
    numpy.ndarray of int
        One anchor per item.

    Examples
    --------
    >>> median_anchors([1, 2, 2, 5, 5, 5], [0, 0, 0, 1, 1, 1], [5, 5]).tolist()
    [1, 3]
    """
    response = np.asarray(response)
    item_index = np.asarray(item_index)
    anchors = []
    for item, k in enumerate(np.asarray(n_categories, dtype=int)):
        answers = response[item_index == item]
        median = int(np.floor(np.median(answers))) if answers.size else (k + 1) // 2
        anchors.append(min(max(median - 1, 0), k - 2))
    return np.asarray(anchors, dtype="int64")
