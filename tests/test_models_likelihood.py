"""The cumulative-link likelihood against direct NumPy/SciPy computations."""

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import special, stats

from trustmodels.models.cutpoints import induced_dirichlet_logp
from trustmodels.models.likelihood import (
    category_probabilities,
    draw_ordinal,
    log_cdf,
    ordinal_logp,
    ordinal_logp_numpy,
)


def _mixed_problem(seed=0, n=400):
    rng = np.random.default_rng(seed)
    kinds = np.array([7, 5, 2, 7])
    cut = np.zeros((kinds.size, kinds.max() - 1))
    for j, k in enumerate(kinds):
        cut[j, : k - 1] = np.sort(rng.normal(0, 2, k - 1))
    item = rng.integers(0, kinds.size, n)
    big_k = kinds[item]
    y = 1 + (rng.random(n) * big_k).astype(int)
    eta = rng.normal(0, 3, n)
    return y, eta, cut, item, big_k


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_logp_equals_direct_computation(link):
    y, eta, cut, item, big_k = _mixed_problem()
    fast = ordinal_logp(y, eta, cut, item, big_k, link).eval()
    direct = ordinal_logp_numpy(y, eta, cut, item, big_k, link)
    # PyTensor's erfc/erfcx are accurate to ~1e-10 relative, which the probit tails amplify
    rtol = 1e-9 if link == "logit" else 1e-6
    np.testing.assert_allclose(fast, direct, rtol=rtol, atol=1e-10)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_probabilities_of_all_categories_sum_to_one(link):
    _, eta, cut, item, big_k = _mixed_problem(seed=1, n=50)
    for k_item in np.unique(big_k):
        rows = np.flatnonzero(big_k == k_item)
        total = np.zeros(rows.size)
        for category in range(1, k_item + 1):
            y = np.full(rows.size, category)
            total += np.exp(ordinal_logp(y, eta[rows], cut, item[rows], big_k[rows], link).eval())
        np.testing.assert_allclose(total, 1.0, rtol=1e-10)
        probs = category_probabilities(eta[rows], cut[item[rows], : k_item - 1], link)
        np.testing.assert_allclose(probs.sum(axis=-1), 1.0)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_extreme_linear_predictors_stay_finite_with_finite_gradients(link):
    eta = pt.dvector("eta")
    y = np.array([1, 4, 7, 1, 7, 3])
    cut = np.array([[-2.0, -1.0, 0.0, 0.5, 1.0, 2.0]])
    logp = ordinal_logp(y, eta, cut, np.zeros(6, int), np.full(6, 7), link)
    func = pytensor.function([eta], [logp, pt.grad(logp.sum(), eta)])
    values, grad = func(np.array([30.0, 30.0, -30.0, -30.0, 30.0, -30.0]))
    assert np.all(np.isfinite(grad))
    assert np.all(values[[3, 4]] > -1e-6)  # the likely categories have probability ~1
    assert np.all(np.isfinite(values)) and np.all(values < 0)


def test_log_cdf_matches_scipy_in_both_tails():
    x = np.array([-40.0, -8.0, -1.0, 0.0, 3.0, 30.0])
    np.testing.assert_allclose(log_cdf(x, "probit").eval(), stats.norm.logcdf(x), rtol=1e-8)
    # reference -log1p(exp(-x)): log(expit(x)) itself loses digits when expit(x) rounds near 1
    np.testing.assert_allclose(log_cdf(x, "logit").eval(), -np.log1p(np.exp(-x)), rtol=1e-9)


def test_unknown_link_is_a_value_error():
    with pytest.raises(ValueError, match="unknown link 'cauchit'"):
        log_cdf(0.0, "cauchit")


def test_draws_follow_the_category_probabilities():
    rng = np.random.default_rng(3)
    cut = np.array([[-1.0, 0.0, 1.5, 0.0], [-0.5, 0.5, 1.0, 2.0]])
    kinds = np.array([4, 5])
    item = np.repeat([0, 1], 20_000)
    eta = np.where(item == 0, 0.3, -0.4)
    y = draw_ordinal(eta, cut, item, kinds[item], "logit", rng=rng)
    for j in (0, 1):
        expected = category_probabilities(eta[item == j][0], cut[j, : kinds[j] - 1])
        observed = np.bincount(y[item == j], minlength=kinds[j] + 1)[1:] / 20_000
        np.testing.assert_allclose(observed, expected, atol=0.012)
        assert y[item == j].max() <= kinds[j]


def test_induced_dirichlet_density_integrates_to_one_for_three_categories():
    # two thresholds: integrate the density over the ordered half-plane on a grid
    grid = np.linspace(-12, 12, 801)
    a, b = np.meshgrid(grid, grid, indexing="ij")
    ordered = b > a
    tau = np.stack([a[ordered], b[ordered]], axis=-1)
    for alpha in (1.0, 2.5):
        density = np.exp(induced_dirichlet_logp(tau, alpha).eval())
        total = density.sum() * (grid[1] - grid[0]) ** 2
        assert abs(total - 1.0) < 0.02


def test_induced_dirichlet_equals_dirichlet_times_jacobian():
    tau = np.array([-1.2, 0.1, 0.9, 2.0])
    alpha = 1.7
    p = np.diff(np.r_[0.0, special.expit(tau), 1.0])
    jacobian = np.prod(special.expit(tau) * special.expit(-tau))
    direct = stats.dirichlet.logpdf(p, np.full(5, alpha)) + np.log(jacobian)
    assert np.isclose(induced_dirichlet_logp(tau, alpha).eval(), direct)


def test_probit_log_probabilities_match_high_precision_values_in_the_tails():
    # reference: scipy's log_ndtr (accurate in both tails), differenced on the side of the
    # smaller tail, far into both tails, where a difference of CDFs would round to 0 or 1
    cut = np.array([[-2.0, -1.0, 0.0, 0.5, 1.0, 2.0]])
    eta = np.array([-35.0, -12.0, -3.0, -0.2, 0.0, 0.7, 4.0, 15.0, 35.0])
    bounds = np.concatenate([[-np.inf], cut[0], [np.inf]])
    for k in range(1, 8):
        y = np.full(eta.size, k)
        fast = ordinal_logp(y, eta, cut, np.zeros(eta.size, int), np.full(eta.size, 7),
                            "probit").eval()
        a, b = bounds[k - 1] - eta, bounds[k] - eta
        upper = a > 0  # both in the upper tail: log(Q(a) - Q(b)) with Q(x) = Phi(-x)
        big, small = np.where(upper, -a, b), np.where(upper, -b, a)
        exact = special.log_ndtr(big) + np.log1p(-np.exp(special.log_ndtr(small)
                                                          - special.log_ndtr(big)))
        np.testing.assert_allclose(fast, exact, rtol=1e-9)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_gradients_stay_finite_under_jax_for_every_category_and_extreme_predictors(link):
    # the samplers differentiate the JAX translation of the graph; an unused branch that
    # overflows gives 0 * inf = nan there even where PyTensor's own gradient is finite (this
    # caught the probit form's open-end dummy; |eta| stays below 709, beyond which PyTensor's
    # JAX softplus itself overflows in an unused branch)
    import jax
    from pymc.sampling.jax import get_jaxified_graph

    cut = np.array([[-2.0, -1.0, 0.0, 0.5, 1.0, 2.0]])
    eta_values = np.array([-300.0, -40.0, -3.0, -1e-9, 0.0, 0.3, 3.0, 40.0, 300.0])
    eta = pt.dvector("eta")
    for k in range(1, 8):
        y = np.full(eta_values.size, k)
        logp = ordinal_logp(y, eta, cut, np.zeros(y.size, int), np.full(y.size, 7), link)
        graph = get_jaxified_graph(inputs=[eta], outputs=[logp.sum()])
        grad = jax.grad(lambda values, graph=graph: graph(values)[0])(eta_values)
        assert np.all(np.isfinite(np.asarray(grad))), (link, k, grad)
