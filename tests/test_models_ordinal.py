"""Building the ordinal, metric and fixed-effects models from the tidy long table."""

import numpy as np
import pandas as pd
import pytensor
import pytest
from scipy import special, stats

from trustmodels.datasets.simulated_design import EFFECT_NAMES, design_matrix
from trustmodels.models.fixed import build_fixed_model
from trustmodels.models.metric import build_metric_model
from trustmodels.models.ordinal import PARAMETERIZATIONS, build_ordinal_model
from trustmodels.models.priors import OrdinalPriors

ITEMS = {"competence": ["comp1", "comp2"], "benevolence": ["benev1"],
         "integrity": ["integ1", "integ2"], "disposition": ["dtt1", "dtt2"]}


def tiny_long(n=60, seed=0, k=7, k_of=None):
    """A small tidy long table from the main model (all effects zero)."""
    rng = np.random.default_rng(seed)
    response = np.resize(["none", "apology", "denial"], n)
    violation = np.resize(["competence", "integrity"], n)
    fans = np.round(10 ** rng.uniform(2, 6, n)).astype(int)
    rows = []
    for construct, items in ITEMS.items():
        for item in items:
            big_k = (k_of or {}).get(item, k)
            latent = rng.normal(size=n) + rng.logistic(size=n)
            y = 1 + (latent[:, None] > special.logit(np.arange(1, big_k) / big_k)).sum(1)
            rows += [(f"R{i:03d}", item, construct, int(y[i]), big_k, response[i], violation[i],
                      int(fans[i])) for i in range(n)]
    long = pd.DataFrame(rows, columns=["respondent", "item", "construct", "response",
                                       "n_categories", "seller_response", "violation",
                                       "fan_count"])
    long["item"] = pd.Categorical(long["item"], [i for v in ITEMS.values() for i in v])
    long["construct"] = pd.Categorical(long["construct"], list(ITEMS))
    return long


def test_main_model_has_the_design_coordinates_and_variables():
    model = build_ordinal_model(tiny_long(), parameterization="centered")
    assert list(model.coords["effect"]) == list(EFFECT_NAMES)
    assert list(model.coords["item"]) == ["comp1", "comp2", "benev1", "integ1", "integ2"]
    assert list(model.coords["construct"]) == ["competence", "benevolence", "integrity"]
    assert len(model.coords["cutpoint"]) == 6
    assert {rv.name for rv in model.free_RVs} == {"beta", "beta_disp", "theta", "lambda",
                                                  "cutpoints"}
    noncentered = build_ordinal_model(tiny_long(), parameterization="noncentered")
    assert "u" in {rv.name for rv in noncentered.free_RVs}
    projected = build_ordinal_model(tiny_long())  # the default
    assert {rv.name for rv in projected.free_RVs} == {
        "beta_in_sample", "beta_disp_in_sample", "u_design", "u_residual", "lambda",
        "cutpoints_offset"}
    assert {v.name for v in projected.deterministics} == {"beta", "beta_disp", "cutpoints"}
    assert projected.trustmodels_spec.derived == ("beta", "beta_disp", "cutpoints")
    assert list(projected.coords["design_term"]) == ["intercept", *EFFECT_NAMES, "disposition"]
    assert model["y"].eval().shape == (60 * 5,)


@pytest.mark.parametrize("by_construct", [False, True])
def test_projected_and_noncentered_forms_give_the_same_likelihood(by_construct):
    # map a random point of the projected form to (beta, beta_disp, u) and evaluate the
    # non-centered form there: the answers' log-likelihood must agree
    long = tiny_long(n=30, seed=5)
    projected = build_ordinal_model(long, effects_by_construct=by_construct)
    noncentered = build_ordinal_model(long, effects_by_construct=by_construct,
                                      parameterization="noncentered")
    rng = np.random.default_rng(2)
    point = {name: rng.normal(size=value.shape)
             for name, value in projected.initial_point().items()}
    outputs = projected.replace_rvs_by_values(
        [projected["beta"], projected["beta_disp"], projected.respondent_variation,
         projected["cutpoints"]])
    values = pytensor.function(projected.value_vars, outputs, on_unused_input="ignore")(
        *[point[v.name] for v in projected.value_vars])
    cutpoints = values[3]
    mapped = {"lambda_log__": point["lambda_log__"],
              "cutpoints_ordered__": np.c_[cutpoints[:, :1], np.log(np.diff(cutpoints, axis=1))]}
    mapped.update(beta=values[0], beta_disp=values[1], u=values[2])
    logp_projected = projected.compile_logp(vars=[projected["y"]])(point)
    logp_noncentered = noncentered.compile_logp(vars=[noncentered["y"]])(mapped)
    assert np.isclose(logp_projected, logp_noncentered)


@pytest.mark.parametrize("prior", ["induced_dirichlet", "normal"])
def test_projected_form_keeps_the_prior_of_the_thresholds(prior):
    # the thresholds are sampled as offsets from lambda_j * gamma_0; the offsets' prior term must
    # be the threshold prior evaluated at the thresholds themselves (shift: Jacobian 1)
    from trustmodels.models.cutpoints import induced_dirichlet_logp

    priors = OrdinalPriors(cutpoint_prior=prior)
    model = build_ordinal_model(tiny_long(n=24, seed=6), priors)
    rng = np.random.default_rng(3)
    point = {name: rng.normal(size=value.shape) for name, value in model.initial_point().items()}
    offset = model["cutpoints_offset"]
    term = model.compile_logp(vars=[offset], jacobian=False)(point)
    cutpoints = pytensor.function(model.value_vars, model.replace_rvs_by_values(
        [model["cutpoints"]]), on_unused_input="ignore")(
        *[point[v.name] for v in model.value_vars])[0]
    offsets = np.cumsum(np.c_[point["cutpoints_offset_ordered__"][:, :1],
                              np.exp(point["cutpoints_offset_ordered__"][:, 1:])], axis=1)
    shift = cutpoints - offsets
    assert np.ptp(shift, axis=1).max() < 1e-12  # one shift per item
    assert np.abs(shift).min() > 1e-3  # and not zero: the test would pass vacuously
    if prior == "normal":
        expected = stats.norm(0.0, priors.cutpoint_sd).logpdf(cutpoints).sum()
    else:
        expected = induced_dirichlet_logp(cutpoints, priors.cutpoint_concentration).eval().sum()
    assert np.isclose(term, expected)


def test_prior_draws_of_the_thresholds_do_not_depend_on_their_shift():
    # prior draws of the offsets must subtract lambda_j * gamma_0, so that the thresholds
    # (offset + shift) are independent of it, as in the model's definition
    import pymc as pm

    model = build_ordinal_model(tiny_long(n=24, seed=6))
    with model:
        prior = pm.sample_prior_predictive(draws=4000, random_seed=8,
                                           var_names=["cutpoints", "cutpoints_offset"])
    cutpoints = prior["prior"]["cutpoints"].values.reshape(4000, -1, 6)
    offsets = prior["prior"]["cutpoints_offset"].values.reshape(4000, -1, 6)
    shift = (cutpoints - offsets)[:, :, 0]
    assert np.ptp(cutpoints - offsets - shift[:, :, None]) < 1e-9  # one shift per item
    for item in range(shift.shape[1]):
        middle = cutpoints[:, item, 3]
        assert abs(np.corrcoef(middle, shift[:, item])[0, 1]) < 0.06
        assert np.corrcoef(offsets[:, item, 3], shift[:, item])[0, 1] < -0.06  # non-vacuous


def test_projected_form_keeps_the_priors_of_u_and_beta():
    # u = C L z + P_perp w must be Normal(0, I) and beta = beta_in_sample - L z Normal(0, sd)
    import pymc as pm

    model = build_ordinal_model(tiny_long(n=24, seed=6), OrdinalPriors(effect_sd=0.5))
    with model:
        pm.Deterministic("u_of_draw", model.respondent_variation)
        prior = pm.sample_prior_predictive(draws=4000, random_seed=7, var_names=["u_of_draw",
                                                                                  "beta"])
    u = prior["prior"]["u_of_draw"].values.reshape(-1, 24)
    assert np.abs(np.cov(u, rowvar=False) - np.eye(24)).max() < 0.12
    beta = prior["prior"]["beta"].values.reshape(-1, len(EFFECT_NAMES))
    assert np.allclose(beta.std(axis=0), 0.5, atol=0.03)
    assert np.abs(beta.mean(axis=0)).max() < 0.03


def test_projected_form_refuses_a_design_with_more_columns_than_respondents():
    with pytest.raises(ValueError, match="collinear or outnumber the 12 respondents"):
        build_ordinal_model(tiny_long(n=12))


def test_initial_point_gives_uniform_category_probabilities():
    # at the initial point eta = 0 and thresholds sit at logit(k / K): every answer has 1 / K
    model = build_ordinal_model(tiny_long())
    logp = model.compile_logp(vars=[model["y"]])(model.initial_point())
    assert np.isclose(logp, 300 * np.log(1 / 7))


def test_likelihood_matches_a_direct_computation_at_a_random_point():
    long = tiny_long(n=30, seed=4)
    model = build_ordinal_model(long, effects_by_construct=True, parameterization="centered")
    rng = np.random.default_rng(1)
    point = {name: rng.normal(size=value.shape) * 0.5
             for name, value in model.initial_point().items()}
    point["cutpoints_ordered__"] = np.tile([-2.0, -0.5, -0.5, 0.0, -1.0, 0.2], (5, 1))
    logp = model.compile_logp(vars=[model["y"]])(point)
    # recompute by hand
    beta = point["beta"]
    lam = np.exp(point["lambda_log__"])
    trust = point["theta"]  # centered: theta_i = X_i mean_c(beta_c) + beta_disp d_i + u_i
    cut = np.cumsum(np.c_[point["cutpoints_ordered__"][:, :1],
                          np.exp(point["cutpoints_ordered__"][:, 1:])], axis=1)
    respondents = pd.unique(long["respondent"])
    design = long.drop_duplicates("respondent").set_index("respondent").loc[respondents]
    x = design_matrix(design["seller_response"], design["violation"], design["fan_count"])
    constructs = ["competence", "benevolence", "integrity"]
    items = ["comp1", "comp2", "benev1", "integ1", "integ2"]
    outcome = long[long["construct"].isin(constructs)]
    total = 0.0
    for _, row in outcome.iterrows():
        i = list(respondents).index(row["respondent"])
        j = items.index(row["item"])
        c = constructs.index(row["construct"])
        theta = trust[i] + x.to_numpy()[i] @ (beta[c] - beta.mean(axis=0))
        cdf = np.r_[0.0, special.expit(cut[j] - lam[j] * theta), 1.0]
        total += np.log(cdf[row["response"]] - cdf[row["response"] - 1])
    assert np.isclose(logp, total)


def test_items_with_different_numbers_of_categories_get_their_own_thresholds():
    long = tiny_long(k_of={"benev1": 5, "integ2": 4})
    model = build_ordinal_model(long)
    names = {rv.name for rv in model.free_RVs}
    assert {"cutpoints_k7_offset", "cutpoints_k5_offset", "cutpoints_k4_offset"} <= names
    assert {"cutpoints_k7", "cutpoints_k5", "cutpoints_k4"} <= set(
        model.trustmodels_spec.derived)  # the thresholds themselves are gated
    assert list(model.coords["item_k5"]) == ["benev1"]
    assert np.isfinite(model.compile_logp()(model.initial_point()))


def test_prior_predictive_answers_respect_each_items_categories():
    import pymc as pm

    long = tiny_long(k_of={"benev1": 3})
    model = build_ordinal_model(long, link="probit")
    with model:
        prior = pm.sample_prior_predictive(draws=20, random_seed=3)
    y = prior["prior_predictive"]["y"].values
    is_benev = (long[long["construct"] != "disposition"]["item"] == "benev1").to_numpy()
    assert y[..., is_benev].max() <= 3 and y.min() >= 1 and y[..., ~is_benev].max() <= 7


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.iloc[0:0], "the long table is empty"),
        (lambda d: d.assign(violation="competence"), "design factor 'violation' has only one"),
        (lambda d: d.assign(fan_count=np.where(d["respondent"] == "R002", 0, d["fan_count"])),
         "fan_count' of respondent 'R002' is 0"),
        (lambda d: d.assign(fan_count=np.where(d["respondent"] == "R003", np.inf,
                                               d["fan_count"])), "finite count >= 1"),
        (lambda d: d.drop(columns="fan_count"), "lacks the columns"),
        (lambda d: d.assign(response=np.where(d.index == 5, 9, d["response"])),
         "column 'response' row 5 is 9"),
    ],
)
def test_bad_input_is_a_one_line_value_error(mutate, message):
    with pytest.raises(ValueError, match=message) as info:
        build_ordinal_model(mutate(tiny_long()))
    assert "\n" not in str(info.value)


def test_unknown_and_empty_constructs_are_value_errors():
    long = tiny_long()
    with pytest.raises(ValueError, match=r"unknown constructs \['trust'\]"):
        build_ordinal_model(long, outcomes=("trust",))
    without_benevolence = long[long["construct"] != "benevolence"]
    with pytest.raises(ValueError, match="construct 'benevolence' has no items"):
        build_ordinal_model(without_benevolence)
    with pytest.raises(ValueError, match="unknown link"):
        build_ordinal_model(long, link="cloglog")


def test_priors_are_validated():
    with pytest.raises(ValueError, match="cutpoint_prior"):
        OrdinalPriors(cutpoint_prior="flat")
    model = build_ordinal_model(tiny_long(), OrdinalPriors(cutpoint_prior="normal"))
    assert np.isfinite(model.compile_logp()(model.initial_point()))


def test_metric_models_build_at_both_levels():
    long = tiny_long()
    means = build_metric_model(long)
    assert means["y"].eval().shape == (60 * 3,)
    items = build_metric_model(long, level="item", likelihood="discretized")
    assert items["y"].eval().shape == (60 * 5,)
    with pytest.raises(ValueError, match="needs level='item'"):
        build_metric_model(long, likelihood="discretized")


def test_discretized_metric_probabilities_sum_to_one():
    long = tiny_long(n=6)
    model = build_metric_model(long, level="item", likelihood="discretized", disposition=None,
                               parameterization="noncentered")
    point = model.initial_point()
    logp_fn = model.compile_logp(vars=[model["y"]], sum=False)
    from pymc.model.transform.conditioning import observe  # noqa: F401 (API presence)

    total = np.zeros(30)
    for category in range(1, 8):
        fixed = long[long["construct"] != "disposition"].copy()
        fixed["response"] = category
        other = pd.concat([fixed, long[long["construct"] == "disposition"]])
        m = build_metric_model(other, level="item", likelihood="discretized", disposition=None,
                               parameterization="noncentered")
        total += np.exp(m.compile_logp(vars=[m["y"]], sum=False)(point)[0])
    assert np.allclose(total, 1.0)
    assert logp_fn(point)[0].shape == (30,)


def test_fixed_model_of_one_item():
    model = build_fixed_model(tiny_long(), "comp1")
    assert list(model.coords["effect"]) == list(EFFECT_NAMES)
    assert model["y"].eval().shape == (60,)
    with pytest.raises(ValueError, match="item 'comp9' has no answers"):
        build_fixed_model(tiny_long(), "comp9")


@pytest.mark.parametrize(("level", "likelihood"), [("item", "discretized"), ("item", "normal"),
                                                   ("respondent_mean", "normal")])
def test_projected_and_noncentered_metric_models_give_the_same_likelihood(level, likelihood):
    # map a random point of the projected form to (alpha, beta, beta_disp, z) and evaluate the
    # non-centered form there: the answers' log-likelihood must agree
    long = tiny_long(n=30, seed=8)
    projected = build_metric_model(long, level=level, likelihood=likelihood)
    noncentered = build_metric_model(long, level=level, likelihood=likelihood,
                                     parameterization="noncentered")
    assert projected.trustmodels_spec.derived == ("alpha", "beta", "beta_disp")
    rng = np.random.default_rng(3)
    point = {name: rng.normal(size=value.shape)
             for name, value in projected.initial_point().items()}
    # z = (C gamma + P_perp w): the projected model's u, rebuilt from its free variables
    names = ["alpha", "beta", "beta_disp", "u_design", "u_residual"]
    values = pytensor.function(projected.value_vars,
                               projected.replace_rvs_by_values([projected[n] for n in names]),
                               on_unused_input="ignore")(
        *[point[v.name] for v in projected.value_vars])
    from trustmodels.models.data import prepare_ordinal_data
    from trustmodels.models.ordinal import design_columns

    columns = design_columns(prepare_ordinal_data(long))
    gram_inv = np.linalg.inv(columns.T @ columns)
    gamma = np.linalg.cholesky(gram_inv) @ values[3]
    w = values[4]
    z = columns @ gamma + w - columns @ (gram_inv @ columns.T @ w)
    mapped = {name: point[name] for name in ("sigma_u_log__", "sigma_log__")}
    mapped.update(alpha=values[0], beta=values[1], beta_disp=values[2], z=z)
    logp_projected = projected.compile_logp(vars=[projected["y"]])(point)
    logp_noncentered = noncentered.compile_logp(vars=[noncentered["y"]])(mapped)
    assert np.isclose(logp_projected, logp_noncentered)


def test_projected_metric_model_keeps_the_priors_of_alpha_and_beta():
    import pymc as pm

    model = build_metric_model(tiny_long(n=24, seed=9), level="item", likelihood="discretized")
    with model:
        prior = pm.sample_prior_predictive(draws=4000, random_seed=10,
                                           var_names=["alpha", "beta"])
    alpha = prior["prior"]["alpha"].values.reshape(4000, -1)
    assert np.allclose(alpha.mean(axis=0), 4.0, atol=0.1)  # midpoint of 1-7
    assert np.allclose(alpha.std(axis=0), 2.0, atol=0.1)
    beta = prior["prior"]["beta"].values.reshape(4000, -1)
    assert np.allclose(beta.std(axis=0), 1.0, atol=0.05)
    assert np.abs(beta.mean(axis=0)).max() < 0.05


@pytest.mark.parametrize("disposition", ["disposition", None])
@pytest.mark.parametrize("parameterization", PARAMETERIZATIONS)
def test_the_gate_checks_exactly_the_variables_the_model_has(disposition, parameterization):
    # a model without the disposition covariate once sampled for minutes and then died in the
    # gate with KeyError: 'beta_disp' (the gated list always named it)
    from trustmodels.inference.sampling import gated_variables

    model = build_ordinal_model(tiny_long(), disposition=disposition,
                                parameterization=parameterization)
    names = set(model.named_vars)
    gated = gated_variables(model)
    assert [name for name in gated if name not in names] == []
    assert ("beta_disp" in gated) == (disposition is not None)
