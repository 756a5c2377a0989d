"""The fixed-effects ordinal model agrees with statsmodels' maximum-likelihood OrderedModel."""

import numpy as np
import pandas as pd
import pytest
from scipy import special
from statsmodels.miscmodels.ordinal_model import OrderedModel

from trustmodels.inference.sampling import fit
from trustmodels.models.fixed import build_fixed_model_from_arrays


def _ordinal_data(n=1500, seed=5):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 2, n).astype(float),
                      "c": rng.uniform(-2, 2, n)})
    beta = np.array([0.8, -0.5, 0.3])
    cut = np.array([-2.0, -0.8, 0.0, 0.7, 1.8])
    latent = x.to_numpy() @ beta + rng.logistic(size=n)
    y = 1 + (latent[:, None] > cut).sum(axis=1)
    return y, x


@pytest.mark.slow
def test_posterior_means_agree_with_maximum_likelihood():
    y, x = _ordinal_data()
    ml = OrderedModel(y, x, distr="logit").fit(method="bfgs", disp=False, maxiter=2000)
    k = len(np.unique(y))
    ml_beta = ml.params.iloc[:3].to_numpy()
    ml_se = ml.bse.iloc[:3].to_numpy()
    ml_cut = ml.model.transform_threshold_params(ml.params.to_numpy())[1:-1]
    model = build_fixed_model_from_arrays(y, x, k)
    idata = fit(model, draws=500, tune=500, chains=4, cores=2, random_seed=11,
                log_likelihood=False, label="fixed vs statsmodels")
    post = idata["posterior"]
    beta = post["beta"].mean(("chain", "draw")).to_numpy()
    beta_sd = post["beta"].std(("chain", "draw")).to_numpy()
    cut = post["cutpoints"].mean(("chain", "draw")).to_numpy().ravel()
    # posterior SDs match the ML standard errors (weak prior, n = 1500)
    np.testing.assert_allclose(beta_sd, ml_se, rtol=0.15)
    # means agree within Monte Carlo error (about sd / sqrt(ESS >= 400) = 0.05 sd) plus a
    # prior/asymptotic allowance of 0.15 sd
    assert np.all(np.abs(beta - ml_beta) < 0.2 * ml_se), (beta, ml_beta)
    cut_sd = post["cutpoints"].std(("chain", "draw")).to_numpy().ravel()
    assert np.all(np.abs(cut - ml_cut) < 0.25 * cut_sd), (cut, ml_cut)
    # and the fixed-effects model is not trivially close: the truth differs from zero
    assert np.all(np.abs(ml_beta) > 5 * ml_se)


def test_statsmodels_parametrisation_matches_ours():
    # one observation, P(y <= k) = F(tau_k - x beta) in both
    y, x = _ordinal_data(n=300, seed=1)
    model = OrderedModel(y, x, distr="logit")
    params = np.r_[0.5, -0.2, 0.1, -1.0, np.log([1.0, 0.5, 0.5, 1.0])]
    tau = model.transform_threshold_params(params)
    eta = x.to_numpy()[0] @ params[:3]
    expected = special.expit(tau[1:] - eta) - special.expit(tau[:-1] - eta)
    np.testing.assert_allclose(expected[y[0] - 1], np.exp(model.loglikeobs(params)[0]))
