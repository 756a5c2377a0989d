r"""Posterior contrasts of the seller's responses, with HDIs, ROPE decisions and direction.

All functions take a fit of :func:`trustmodels.models.ordinal.build_ordinal_model` (returned
by :func:`trustmodels.inference.sampling.fit`) and return tidy :class:`pandas.DataFrame` rows that
notebooks can glue from.

*Latent scale.* The contrast of response :math:`a` against :math:`b` for a violation type and fan
count is :math:`(x_a - x_b)\,\beta` in latent-SD units, where :math:`x` is the design row of
:func:`trustmodels.datasets.simulated_design.design_matrix`.

*Response scale.* For each posterior draw and condition, the probability of agreeing (an answer
above the scale midpoint: 5-7 on a 7-point item) and the expected rating are averaged over the
outcome items and over the population of respondents (:math:`u \sim N(0, 1)`, integrated by
Gauss-Hermite quadrature) at average disposition to trust (:math:`d = 0`); the contrast is the
difference between responses.

*Summaries.* 95% highest-density intervals (HDI) by default; probability of direction (the
posterior share on the side of the median); Kruschke's (2018) HDI+ROPE rule: the effect is
"different from zero" when the HDI lies entirely outside the region of practical equivalence
(ROPE), "practically equivalent" when it lies entirely inside, "undecided" otherwise. Default
ROPEs: ±0.1 latent SD (half of a "small" standardized effect, Kruschke 2018), ±0.05 in the
probability of agreeing, ±0.1 rating points for the expected rating.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd

from trustmodels.analysis.decisions import rope_decision
from trustmodels.datasets.simulated_design import RESPONSE_LEVELS, VIOLATION_LEVELS, design_matrix
from trustmodels.models.likelihood import category_probabilities
from trustmodels.models.specification import OrdinalSpec, model_spec

__all__ = [
    "CONTRASTS",
    "DEFAULT_FAN_COUNTS",
    "DEFAULT_HDI_PROB",
    "DEFAULT_ROPES",
    "contrasts_across_fans",
    "first_agreeing_category",
    "hdi",
    "latent_contrasts",
    "response_contrasts",
    "summarize_draws",
]

#: The three pairwise response contrasts (first minus second).
CONTRASTS = (("apology", "none"), ("apology", "denial"), ("denial", "none"))
#: Fan counts at which contrasts are reported by default (10^2, 10^4, 10^6 followers).
DEFAULT_FAN_COUNTS = (100, 10_000, 1_000_000)
#: Default HDI mass.
DEFAULT_HDI_PROB = 0.95
#: Default ROPE half-widths by scale.
DEFAULT_ROPES = {"latent": 0.1, "agree": 0.05, "expected": 0.1}


def hdi(draws, prob: float = DEFAULT_HDI_PROB) -> tuple[float, float]:
    """Return the shortest interval holding ``prob`` of the draws (highest-density interval).

    A thin wrapper of :func:`arviz.hdi` (its default ``"nearest"`` method) for one quantity,
    returning a pair of floats.

    Parameters
    ----------
    draws : array_like
        Posterior draws of one quantity.
    prob : float
        Interval mass in (0, 1).

    Returns
    -------
    tuple of float
        Lower and upper limit.

    Raises
    ------
    ValueError
        When ``prob`` is not in (0, 1).

    See Also
    --------
    arviz.hdi : the implementation, for many quantities at once.

    References
    ----------
    - Kruschke, J. K. (2015). *Doing Bayesian Data Analysis* (2nd ed.), section 4.3.4.
      Academic Press.

    Examples
    --------
    >>> import numpy as np
    >>> low, high = hdi(np.random.default_rng(0).normal(size=100_000), 0.95)
    >>> bool(abs(low + 1.96) < 0.05 and abs(high - 1.96) < 0.05)
    True
    """
    if not 0 < prob < 1:
        raise ValueError(f"prob must be in (0, 1), got {prob}")
    low, high = az.hdi(np.asarray(draws, dtype=float).ravel(), prob=prob)
    return float(low), float(high)


def summarize_draws(draws, *, hdi_prob: float = DEFAULT_HDI_PROB,
                    rope: tuple[float, float] = (-0.1, 0.1)) -> dict:
    r"""Summarize draws of one contrast: mean, median, HDI, direction and the ROPE decision.

    Parameters
    ----------
    draws : array_like
        Posterior draws.
    hdi_prob : float
        HDI mass.
    rope : tuple of float
        Region of practical equivalence (low, high).

    Returns
    -------
    dict
        Keys ``mean``, ``median``, ``hdi_low``, ``hdi_high``, ``hdi_prob``, ``p_direction``,
        ``rope_low``, ``rope_high``, ``p_in_rope``, ``decision``.

    See Also
    --------
    hdi : The highest-density interval of the draws.
    latent_contrasts : Summaries of the response contrasts on the latent scale.
    response_contrasts : Summaries of the response contrasts on the answer scale.
    factor_contrasts : Summaries of a declared design's factor contrasts.

    Notes
    -----
    For :math:`S` draws :math:`\theta_1, \dots, \theta_S` of one quantity, ``hdi_low`` and
    ``hdi_high`` (:math:`h_\text{low}, h_\text{high}`) bound the shortest interval holding
    ``hdi_prob`` of the draws (:func:`hdi`), and with the ROPE
    :math:`[r_\text{low}, r_\text{high}]`

    .. math::

        p_\text{direction} &= \begin{cases}
            \#\{s : \theta_s > 0\} / S & \text{if } \operatorname{median}(\theta) \ge 0, \\
            \#\{s : \theta_s < 0\} / S & \text{otherwise},
        \end{cases} \\
        p_\text{ROPE} &= \#\{s : r_\text{low} \le \theta_s \le r_\text{high}\} / S.

    The decision is Kruschke's (2018) HDI+ROPE rule
    (:func:`~trustmodels.analysis.decisions.rope_decision`, which states it). The default
    ROPE, :math:`\pm 0.1`, is the latent-scale one (half of a
    "small" standardized effect of 0.2).

    References
    ----------
    - Kruschke, J. K. (2018). Rejecting or accepting parameter values in Bayesian
      estimation. *Advances in Methods and Practices in Psychological Science*, 1(2), 270-280.

    Examples
    --------
    >>> import numpy as np
    >>> row = summarize_draws(np.random.default_rng(1).normal(1.0, 0.1, 4000))
    >>> row["decision"], row["p_direction"]
    ('different from zero', 1.0)
    >>> summarize_draws(np.random.default_rng(1).normal(0, 0.01, 4000))["decision"]
    'practically equivalent'
    """
    values = np.asarray(draws, dtype=float).ravel()
    low, high = hdi(values, hdi_prob)
    median = float(np.median(values))
    p_direction = float(np.mean(values > 0) if median >= 0 else np.mean(values < 0))
    decision = rope_decision(low, high, rope)
    return {"mean": float(values.mean()), "median": median, "hdi_low": low, "hdi_high": high,
            "hdi_prob": hdi_prob, "p_direction": p_direction, "rope_low": rope[0],
            "rope_high": rope[1],
            "p_in_rope": float(np.mean((values >= rope[0]) & (values <= rope[1]))),
            "decision": decision}


def _stack(array, sample_first=True) -> np.ndarray:
    """(chain, draw, ...) -> (sample, ...)."""
    values = np.asarray(array)
    return values.reshape((-1,) + values.shape[2:])


def _beta(idata, spec) -> np.ndarray:
    """Beta draws as (sample, construct_or_1, effect)."""
    beta = idata["posterior"]["beta"]
    if spec.effects_by_construct:
        return _stack(beta.transpose("chain", "draw", "construct", "effect").values)
    return _stack(beta.transpose("chain", "draw", "effect").values)[:, None, :]


def _contrast_rows(spec, fan_counts, contrasts):
    unknown = sorted({a for pair in contrasts for a in pair} - set(RESPONSE_LEVELS))
    if unknown:
        raise ValueError(f"unknown seller responses {unknown} in contrasts; expected "
                         f"{RESPONSE_LEVELS}")
    rows = []
    for violation in VIOLATION_LEVELS:
        for fans in fan_counts:
            for first, second in contrasts:
                rows.append((violation, fans, first, second))
    return rows


def _design_row(response, violation, fans, effects) -> np.ndarray:
    return design_matrix([response], [violation], [fans], effects=tuple(effects)).to_numpy()[0]


def latent_contrasts(idata, *, fan_counts=DEFAULT_FAN_COUNTS, contrasts=CONTRASTS,
                     hdi_prob: float = DEFAULT_HDI_PROB,
                     rope: tuple[float, float] | None = None) -> pd.DataFrame:
    r"""Return response contrasts on the latent scale (latent-SD units) by violation and fans.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit of the ordinal model.
    fan_counts : sequence of int
        Fan counts at which to evaluate the contrasts.
    contrasts : sequence of (str, str)
        Pairs (first, second) of seller responses; the contrast is first minus second.
    hdi_prob : float
        HDI mass (default 0.95).
    rope : tuple of float, optional
        ROPE (default ±0.1 latent SD).

    Returns
    -------
    pandas.DataFrame
        One row per construct group x violation x fan count x contrast with the columns of
        :func:`summarize_draws` plus ``scale``, ``construct``, ``violation``, ``fan_count``,
        ``log10_fans``, ``contrast``.

    See Also
    --------
    response_contrasts : The same contrasts on the answer scale.
    contrasts_across_fans : Contrasts over a grid of fan counts, for floodlight plots.
    summarize_draws : The summary of each contrast's draws.
    factor_contrasts : Contrasts of any declared design's factors.

    Notes
    -----
    For violation type :math:`v` and fan count :math:`f`, the contrast of response :math:`a`
    against response :math:`b` is, per posterior draw of the effects :math:`\beta`,

    .. math::

        \Delta_{ab}(v, f) = (x_{avf} - x_{bvf})\, \beta,

    where :math:`x_{avf}` is the design row of
    :func:`trustmodels.datasets.simulated_design.design_matrix` for response :math:`a`, violation
    :math:`v` and :math:`f` fans (with ``effects_by_construct=True``, one contrast per outcome
    construct :math:`c`, with :math:`\beta_c`). The respondent intercept, the disposition term,
    the discriminations and the thresholds cancel or do not enter, so :math:`\Delta` is in
    standard deviations of the respondents' latent trust. Each contrast's draws are summarized by
    :func:`summarize_draws` (HDI, probability of direction, and Kruschke's 2018 HDI+ROPE
    decision).

    References
    ----------
    - Kruschke, J. K. (2018). Rejecting or accepting parameter values in Bayesian
      estimation. *Advances in Methods and Practices in Psychological Science*, 1(2), 270-280.
    """
    spec = model_spec(idata, OrdinalSpec, "effects need an ordinal model fit")
    rope = (-DEFAULT_ROPES["latent"], DEFAULT_ROPES["latent"]) if rope is None else rope
    beta = _beta(idata, spec)
    out = []
    for violation, fans, first, second in _contrast_rows(spec, fan_counts, contrasts):
        diff = (_design_row(first, violation, fans, spec.effects)
                - _design_row(second, violation, fans, spec.effects))
        draws = beta @ diff  # (sample, group)
        for g, group in enumerate(spec.effect_groups):
            out.append({"scale": "latent", "construct": group, "violation": violation,
                        "fan_count": fans, "log10_fans": float(np.log10(fans)),
                        "contrast": f"{first} - {second}",
                        **summarize_draws(draws[:, g], hdi_prob=hdi_prob, rope=rope)})
    return pd.DataFrame(out)


def _item_parameters(idata, spec):
    """Discriminations (sample, item) and padded thresholds (sample, item, max K - 1)."""
    post = idata["posterior"]
    lam = _stack(post["lambda"].transpose("chain", "draw", "item").values)
    items, kinds = spec.items, spec.item_categories
    tau = np.zeros(lam.shape + (max(kinds) - 1,))
    if "cutpoints" in post:
        tau[:] = _stack(post["cutpoints"].transpose("chain", "draw", "item", "cutpoint").values)
    else:
        for k in sorted(set(kinds)):
            block = post[f"cutpoints_k{k}"]
            rows = [items.index(str(i)) for i in block[f"item_k{k}"].values]
            tau[:, rows, : k - 1] = _stack(block.transpose("chain", "draw", f"item_k{k}",
                                                           f"cutpoint_k{k}").values)
    return lam, tau


def first_agreeing_category(n_categories):
    """Return the lowest answer above the midpoint of a 1..K scale (the "agree" scale's start).

    Parameters
    ----------
    n_categories : int or array_like of int
        K, the number of answer categories.

    Returns
    -------
    int or numpy.ndarray
        ``K // 2 + 2`` for odd K (above the neutral middle answer: 5 of 7, 4 of 5) and
        ``K // 2 + 1`` for even K (the upper half: 4 of 6).

    Examples
    --------
    >>> first_agreeing_category(7), first_agreeing_category(6), first_agreeing_category(5)
    (5, 4, 4)
    """
    k = np.asarray(n_categories)
    first = k // 2 + 1 + k % 2
    return int(first) if first.ndim == 0 else first


def _population_summaries(theta, lam, tau, kinds, link, n_nodes=15):
    """Per draw and item: P(agree) and E[rating], averaged over u ~ N(0, 1).

    theta: (sample,), lam: (sample, item), tau: (sample, item, C). Returns two (sample, item).
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)
    weights = weights / weights.sum()
    eta = lam[:, :, None] * (theta[:, None, None] + nodes[None, None, :])  # (s, item, q)
    probs = category_probabilities(eta, tau[:, :, None, :], link)  # (s, item, q, Kmax)
    probs = np.tensordot(probs, weights, axes=([2], [0]))  # (s, item, Kmax)
    kinds = np.asarray(kinds)
    categories = np.arange(1, probs.shape[-1] + 1)
    valid = categories[None, :] <= kinds[:, None]  # (item, Kmax)
    agree_mask = valid & (categories[None, :] >= first_agreeing_category(kinds)[:, None])
    agree = np.sum(probs * agree_mask, axis=-1)
    expected = np.sum(probs * categories * valid, axis=-1)
    return agree, expected


def response_contrasts(idata, *, scale: str = "agree", fan_counts=DEFAULT_FAN_COUNTS,
                       contrasts=CONTRASTS, hdi_prob: float = DEFAULT_HDI_PROB,
                       rope: tuple[float, float] | None = None,
                       max_draws: int | None = 2000) -> pd.DataFrame:
    r"""Return response contrasts on the answer scale, averaged over items and respondents.

    Parameters
    ----------
    idata : xarray.DataTree
        Fit of the ordinal model.
    scale : {"agree", "expected"}
        Probability of agreeing (answer above the midpoint, 5-7 of 7) or expected rating.
    fan_counts, contrasts, hdi_prob
        As in :func:`latent_contrasts`.
    rope : tuple of float, optional
        ROPE (default ±0.05 probability, or ±0.1 rating points).
    max_draws : int, optional
        Use at most this many posterior draws (evenly thinned) to bound the cost.

    Returns
    -------
    pandas.DataFrame
        As :func:`latent_contrasts` with ``scale`` equal to ``scale`` and extra columns
        ``first_mean`` and ``second_mean`` (posterior means of each response's level).

    See Also
    --------
    latent_contrasts : The same contrasts on the latent scale.
    contrasts_across_fans : Contrasts over a grid of fan counts, for floodlight plots.
    summarize_draws : The summary of each contrast's draws.

    Notes
    -----
    Per posterior draw (at most ``max_draws``, evenly thinned), the level of a condition with
    design row :math:`x` (response, violation type, fan count) is the population average

    .. math::

        m(x) = \frac{1}{J} \sum_{j=1}^{J} \int \sum_{k=1}^{K_j} w_{jk}\,
            P\bigl(y_j = k \mid \eta = \lambda_j (x \beta + u), \tau_j\bigr)\, \phi(u)\, du

    over the :math:`J` outcome items (those of one construct with ``effects_by_construct=True``),
    at average disposition to trust (:math:`d = 0`), with :math:`P` the fitted cumulative-link
    probabilities, :math:`\phi` the standard normal density of the respondent intercept (the
    integral is a 15-node Gauss-Hermite quadrature), and :math:`w_{jk} = 1` for
    :math:`k \ge \lfloor K_j / 2 \rfloor + 2` and 0 otherwise (``scale="agree"``: for an odd
    :math:`K_j` the answers above the midpoint, 5-7 of 7) or :math:`w_{jk} = k`
    (``scale="expected"``). The contrast of response :math:`a` against :math:`b` is
    :math:`m(x_a) - m(x_b)` per draw, summarized by :func:`summarize_draws` (with Kruschke's
    2018 HDI+ROPE decision). On this nonlinear
    scale a contrast depends on where the two conditions lie on the latent scale, not only on
    their latent difference.

    References
    ----------
    - Kruschke, J. K. (2018). Rejecting or accepting parameter values in Bayesian
      estimation. *Advances in Methods and Practices in Psychological Science*, 1(2), 270-280.
    """
    if scale not in ("agree", "expected"):
        raise ValueError(f"unknown scale {scale!r}; expected 'agree' or 'expected'")
    spec = model_spec(idata, OrdinalSpec, "effects need an ordinal model fit")
    rope = (-DEFAULT_ROPES[scale], DEFAULT_ROPES[scale]) if rope is None else rope
    beta = _beta(idata, spec)
    lam, tau = _item_parameters(idata, spec)
    if max_draws is not None and beta.shape[0] > max_draws:
        keep = np.linspace(0, beta.shape[0] - 1, max_draws).round().astype(int)
        beta, lam, tau = beta[keep], lam[keep], tau[keep]
    item_group = (np.array([spec.constructs.index(c) for c in spec.item_construct])
                  if spec.effects_by_construct else np.zeros(len(spec.items), int))
    level_cache: dict = {}

    def level(response, violation, fans):
        key = (response, violation, fans)
        if key not in level_cache:
            theta = beta @ _design_row(response, violation, fans, spec.effects)  # (s, g)
            per_item = np.empty(lam.shape)
            for g in range(theta.shape[1]):
                agree, expected = _population_summaries(theta[:, g], lam, tau,
                                                        spec.item_categories, spec.link)
                chosen = agree if scale == "agree" else expected
                per_item[:, item_group == g] = chosen[:, item_group == g]
            level_cache[key] = np.stack([per_item[:, item_group == g].mean(axis=1)
                                         for g in range(theta.shape[1])], axis=1)
        return level_cache[key]

    out = []
    for violation, fans, first, second in _contrast_rows(spec, fan_counts, contrasts):
        a, b = level(first, violation, fans), level(second, violation, fans)
        for g, group in enumerate(spec.effect_groups):
            out.append({"scale": scale, "construct": group, "violation": violation,
                        "fan_count": fans, "log10_fans": float(np.log10(fans)),
                        "contrast": f"{first} - {second}",
                        **summarize_draws(a[:, g] - b[:, g], hdi_prob=hdi_prob, rope=rope),
                        "first_mean": float(a[:, g].mean()),
                        "second_mean": float(b[:, g].mean())})
    return pd.DataFrame(out)


def contrasts_across_fans(idata, *, log10_fans=None, scale: str = "latent", contrasts=CONTRASTS,
                          hdi_prob: float = DEFAULT_HDI_PROB, rope=None) -> pd.DataFrame:
    """Return contrasts over a grid of fan counts (marginal effects, for floodlight plots).

    Parameters
    ----------
    idata : xarray.DataTree
        Fit of the ordinal model.
    log10_fans : array_like, optional
        Grid of log10 fan counts (default 2..6 in steps of 0.2).
    scale : {"latent", "agree", "expected"}
        Scale of the contrasts.
    contrasts, hdi_prob, rope
        As in :func:`latent_contrasts`.

    Returns
    -------
    pandas.DataFrame
        One row per grid point (and group, violation, contrast).
    """
    grid = np.arange(2.0, 6.0001, 0.2) if log10_fans is None else np.asarray(log10_fans, float)
    fans = tuple(10.0 ** grid)
    if scale == "latent":
        table = latent_contrasts(idata, fan_counts=fans, contrasts=contrasts, hdi_prob=hdi_prob,
                                 rope=rope)
    else:
        table = response_contrasts(idata, scale=scale, fan_counts=fans, contrasts=contrasts,
                                   hdi_prob=hdi_prob, rope=rope, max_draws=1000)
    return table

