"""fit(): sampling with the gate, log-likelihood and log-prior groups, specification, seeds."""

import json

import numpy as np
import pandas as pd
import pytest

from trustmodels.checks import loo_summary, prior_sensitivity
from trustmodels.diagnostics import FitDiagnosticsError
from trustmodels.models.fixed import build_fixed_model_from_arrays
from trustmodels.sampling import add_log_densities, fit


def _small_model(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"x": rng.normal(size=n)})
    y = 1 + (0.7 * x["x"].to_numpy()[:, None] + rng.logistic(size=(n, 1))
             > np.array([-1.0, 0.0, 1.0])).sum(axis=1)
    return build_fixed_model_from_arrays(y, x, 4)


@pytest.mark.slow
def test_fit_returns_gated_posterior_with_loo_and_prior_groups():
    idata = fit(_small_model(), draws=400, tune=400, chains=4, cores=2, log_prior=True,
                log_likelihood=True, random_seed=3)
    assert {"posterior", "sample_stats", "log_likelihood", "log_prior",
            "observed_data"} <= set(idata.children)
    assert idata["log_likelihood"]["y"].shape == (4, 400, 300)
    assert json.loads(idata.attrs["trustmodels_spec"])["model"] == "fixed"
    assert loo_summary(idata)["n_data"] == 300
    assert "prior" in prior_sensitivity(idata).columns
    # by default neither log density is stored; add_log_densities adds them to the same draws
    model = _small_model()
    again = fit(model, draws=400, tune=400, chains=4, cores=2, random_seed=3)
    assert not {"log_likelihood", "log_prior"} & set(again.children)
    add_log_densities(again, model, log_prior=True)
    np.testing.assert_allclose(again["log_likelihood"]["y"].values,
                               idata["log_likelihood"]["y"].values)
    assert "log_prior" in again.children
    np.testing.assert_array_equal(idata["posterior"]["beta"].values,
                                  again["posterior"]["beta"].values)


@pytest.mark.slow
def test_a_too_short_fit_fails_the_gate_loudly_and_is_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTMODELS_FIT_CACHE", str(tmp_path))
    with pytest.raises(FitDiagnosticsError, match="ESS < 400"):
        fit(_small_model(), draws=60, tune=100, chains=1, cores=1, log_likelihood=False,
            label="short", cache=True)
    assert list(tmp_path.iterdir()) == []
