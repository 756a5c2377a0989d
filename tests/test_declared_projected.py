"""The declared design's projected form, and the simulated survey as one declared design."""

import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytest

import trustmodels as tm
from trustmodels.analysis.contrasts import factor_contrasts
from trustmodels.datasets.simulated import load_simulated_survey
from trustmodels.datasets.simulated_design import DECLARED_EFFECT_NAMES, EFFECT_NAMES
from trustmodels.design import StudyDesign, effect_names, simulate_design_survey
from trustmodels.inference.sampling import gated_variables
from trustmodels.models.declared import build_design_model
from trustmodels.models.ordinal import build_ordinal_model
from trustmodels.models.priors import OrdinalPriors


def declared_name(effect: str) -> str:
    return DECLARED_EFFECT_NAMES[effect]


@pytest.fixture(scope="module")
def simulated():
    """The first 90 respondents of the simulated survey and the design its codebook declares."""
    survey = load_simulated_survey()
    long = survey.long
    kept = long["respondent"].astype(str).isin(
        list(dict.fromkeys(long["respondent"].astype(str)))[:90])
    return long[kept], StudyDesign.from_codebook(survey.codebook)


def small_design_survey(n=40, vignettes=None, outcomes=None):
    outcomes = outcomes or ("trust",)
    design = StudyDesign({"reaction": ["silence", "excuse", "apology"]}, outcomes=outcomes,
                         moderators={"fans": tm.Moderator("log10", centre=4.0)},
                         covariate="disposition",
                         vignette="vignette" if vignettes else None)
    long = simulate_design_survey(design, {"reaction[excuse]": 0.4, "log10(fans)": 0.2},
                                  n_respondents=n, vignettes=vignettes or 1, seed=3,
                                  items={**{name: [f"{name}{k}" for k in (1, 2, 3)]
                                            for name in outcomes}, "disposition": ["d1", "d2"]},
                                  covariate_effect=0.5)
    return long, design


def random_point(model, seed):
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=value.shape) for name, value in model.initial_point().items()}


def values_at(model, point, names):
    """Evaluate model variables (or tensors) at a point of its value variables."""
    outputs = model.replace_rvs_by_values([model[n] if isinstance(n, str) else n for n in names])
    return pytensor.function(model.value_vars, outputs, on_unused_input="ignore")(
        *[point[v.name] for v in model.value_vars])


@pytest.mark.parametrize("by_construct", [False, True])
def test_the_simulated_codebook_declares_the_main_model(simulated, by_construct):
    # the design read from the simulated survey's codebook, built by the generic builder, is the
    # main model: same effects (named by the design), and the same log density (priors and
    # likelihood) at a point mapped by name
    long, design = simulated
    assert design.covariate == "disposition"
    assert design.outcomes == ("competence", "benevolence", "integrity")
    main = build_ordinal_model(long, parameterization="noncentered",
                               effects_by_construct=by_construct)
    declared = build_design_model(long, design, effects_by_construct=by_construct)
    assert sorted(declared.coords["effect"]) == sorted(declared_name(e) for e in EFFECT_NAMES)
    assert list(declared.coords["respondent"]) == list(main.coords["respondent"])
    assert list(declared.coords["item"]) == list(main.coords["item"])
    point = random_point(main, seed=4)
    order = [EFFECT_NAMES.index(next(e for e in EFFECT_NAMES if declared_name(e) == d))
             for d in declared.coords["effect"]]
    mapped = {"beta": point["beta"][..., order], "beta_cov": point["beta_disp"], "u": point["u"],
              "lambda_log__": point["lambda_log__"],
              "cutpoints_ordered__": point["cutpoints_ordered__"]}
    assert np.isclose(main.compile_logp()(point), declared.compile_logp()(mapped))
    assert not np.isclose(main.compile_logp()(point), declared.compile_logp()(
        {**mapped, "beta": point["beta"]}))  # the order matters: the comparison is not vacuous


@pytest.mark.parametrize("by_construct", [False, True])
def test_projected_and_noncentered_declared_forms_give_the_same_likelihood(by_construct):
    long, design = small_design_survey(outcomes=("trust", "liking") if by_construct else None)
    projected = build_design_model(long, design, parameterization="projected",
                                   effects_by_construct=by_construct)
    noncentered = build_design_model(long, design, effects_by_construct=by_construct)
    point = random_point(projected, seed=2)
    beta, beta_cov, u, cutpoints = values_at(
        projected, point, ["beta", "beta_cov", projected.respondent_variation, "cutpoints"])
    mapped = {"beta": beta, "beta_cov": beta_cov, "u": u, "lambda_log__": point["lambda_log__"],
              "cutpoints_ordered__": np.c_[cutpoints[:, :1], np.log(np.diff(cutpoints, axis=1))]}
    logp_projected = projected.compile_logp(vars=[projected["y"]])(point)
    assert np.isclose(logp_projected, noncentered.compile_logp(vars=[noncentered["y"]])(mapped))
    # the occasions are in another order than the respondents: mapping u by position would differ
    shuffled = {**mapped, "u": u[::-1]}
    assert not np.isclose(logp_projected,
                          noncentered.compile_logp(vars=[noncentered["y"]])(shuffled))


def test_projected_declared_form_keeps_the_priors_of_u_beta_and_the_thresholds():
    long, design = small_design_survey(n=24)
    model = build_design_model(long, design, OrdinalPriors(effect_sd=0.5),
                               parameterization="projected")
    with model:
        pm.Deterministic("u_of_draw", model.respondent_variation)
        prior = pm.sample_prior_predictive(draws=4000, random_seed=7,
                                           var_names=["u_of_draw", "beta", "beta_cov",
                                                      "cutpoints", "cutpoints_offset"])
    draws = prior["prior"]
    u = draws["u_of_draw"].values.reshape(-1, 24)
    assert np.abs(np.cov(u, rowvar=False) - np.eye(24)).max() < 0.12
    beta = draws["beta"].values.reshape(-1, len(model.coords["effect"]))
    assert np.allclose(beta.std(axis=0), 0.5, atol=0.03)
    assert np.abs(beta.mean(axis=0)).max() < 0.03
    assert np.isclose(draws["beta_cov"].values.std(), 1.0, atol=0.05)
    # thresholds independent of their shift lambda_j * gamma_0 (offsets are not)
    cutpoints = draws["cutpoints"].values.reshape(4000, -1, 6)
    shift = (cutpoints - draws["cutpoints_offset"].values.reshape(4000, -1, 6))[:, :, 0]
    assert abs(np.corrcoef(cutpoints[:, 0, 3], shift[:, 0])[0, 1]) < 0.06
    assert np.abs(shift).std() > 0.1  # non-vacuous: the shift varies


def test_projected_declared_form_gates_its_coefficients_and_records_its_form():
    long, design = small_design_survey()
    model = build_design_model(long, design, parameterization="projected")
    spec = tm.model_spec(model)
    assert spec.parameterization == "projected"
    assert spec.derived == ("beta", "beta_cov", "cutpoints")
    assert {"beta", "beta_cov", "cutpoints", "u_design", "u_residual"} <= set(
        gated_variables(model))
    assert type(spec).from_json(spec.to_json()) == spec
    plain = tm.model_spec(build_design_model(long, design))
    assert "parameterization" not in plain.to_dict() and plain.derived == ()


def test_projected_declared_form_refuses_several_vignettes_and_unknown_forms():
    long, design = small_design_survey(n=12, vignettes=3)
    with pytest.raises(ValueError, match="needs one vignette per respondent; 12 respondents "
                                         "rate 36 vignettes"):
        build_design_model(long, design, parameterization="projected")
    with pytest.raises(ValueError, match="unknown parameterization 'centred'"):
        build_design_model(long, design, parameterization="centred")


def test_the_simulator_draws_a_covariate_measured_by_its_items():
    design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"],
                         covariate="disposition")
    items = {"trust": ["t1", "t2", "t3"], "disposition": ["d1", "d2", "d3"]}

    def correlation(effect):
        long = simulate_design_survey(design, {}, n_respondents=600, items=items, seed=1,
                                      covariate_effect=effect)
        means = long.pivot_table(index="respondent", columns="construct", values="response",
                                 observed=True)
        return means["trust"].corr(means["disposition"])

    assert correlation(1.0) > 0.3
    assert abs(correlation(0.0)) < 0.1
    with pytest.raises(ValueError, match="declares the covariate 'disposition', but items lists "
                                         "none of its items"):
        simulate_design_survey(design, {}, n_respondents=10, items={"trust": ["t1"]})


@pytest.mark.slow
def test_projected_and_noncentered_declared_fits_agree_and_pass_the_gate():
    # the same model sampled two ways: both pass the gate (fit raises otherwise) and their
    # posterior means agree within Monte Carlo error (compare_fits: Bonferroni over the effects)
    from trustmodels.inference.sampling import fit
    from trustmodels.inference.verify import compare_fits

    long, design = small_design_survey(n=120)
    projected, noncentered = (
        fit(build_design_model(long, design, parameterization=form), draws=500, tune=500,
            random_seed=9, label=f"{form} declared design")
        for form in ("projected", "noncentered"))
    assert compare_fits(projected, noncentered, ["beta", "beta_cov"]) == []
    assert "u_design" in projected.posterior and "u" in noncentered.posterior


def as_declared_fit(ordinal_fit, design):
    """The same posterior draws, named as a fit of the declared simulated design."""
    import xarray as xr

    from trustmodels.models.specification import DeclaredSpec

    spec = tm.model_spec(ordinal_fit)
    posterior = ordinal_fit["posterior"].to_dataset().assign_coords(
        effect=[declared_name(e) for e in spec.effects]).sel(effect=list(effect_names(design)))
    tree = xr.DataTree.from_dict({"posterior": posterior})
    tree.attrs["trustmodels_spec"] = DeclaredSpec(
        link=spec.link, factors=design.factors,
        moderators={n: (m.transform, m.centre) for n, m in design.moderators.items()},
        covariate=design.covariate, outcomes=spec.constructs, items=spec.items,
        item_categories=spec.item_categories, effects=tuple(posterior["effect"].values),
        effects_by_construct=True if spec.effects_by_construct else None).to_json()
    return tree


@pytest.mark.parametrize("by_construct", [False, True])
def test_factor_contrasts_of_the_declared_simulated_design_are_the_main_models_contrasts(
        simulated, by_construct):
    # the tables the simulated chapters read from latent_contrasts and response_contrasts are
    # factor_contrasts of the declared design, draw for draw
    from test_effects import fake_fit

    from trustmodels.analysis.effects import CONTRASTS, latent_contrasts, response_contrasts

    _, design = simulated
    rng = np.random.default_rng(11)
    ordinal_fit = fake_fit(rng.normal(0, 0.5, len(EFFECT_NAMES)), sd=0.2,
                           by_construct=by_construct)
    declared_fit = as_declared_fit(ordinal_fit, design)
    fans = [100, 10_000, 1_000_000]
    keys = ["contrast", "violation", "fan_count", "mean", "hdi_low", "hdi_high", "p_direction",
            "decision"]
    theirs = latent_contrasts(ordinal_fit, fan_counts=fans)
    ours = factor_contrasts(declared_fit, design, "seller_response", by="violation",
                            at={"fan_count": fans}, pairs=CONTRASTS)
    if by_construct:  # the same rows, construct by construct
        keys.insert(0, "construct")
        order = ["construct", "violation", "fan_count"]
        theirs = theirs.sort_values(order, kind="stable", key=lambda column: column.map(
            {name: i for i, name in enumerate(pd.unique(column))}))
    pd.testing.assert_frame_equal(ours[keys].reset_index(drop=True),
                                  theirs[keys].reset_index(drop=True), check_dtype=False)
    if by_construct:
        with pytest.raises(ValueError, match="response-scale contrasts of a fit with effects by "
                                             "construct are not available"):
            factor_contrasts(declared_fit, design, "seller_response", scale="agree")
        return
    for scale in ("agree", "expected"):
        theirs = response_contrasts(ordinal_fit, scale=scale, fan_counts=fans)
        ours = factor_contrasts(declared_fit, design, "seller_response", by="violation",
                                at={"fan_count": fans}, pairs=CONTRASTS, scale=scale)
        columns = keys[3:] + ["first_mean", "second_mean"]
        np.testing.assert_allclose(ours[columns[:-3]].to_numpy(float),
                                   theirs[columns[:-3]].to_numpy(float), atol=1e-9)
        assert ours["decision"].tolist() == theirs["decision"].tolist()
        np.testing.assert_allclose(ours[["first_mean", "second_mean"]].to_numpy(float),
                                   theirs[["first_mean", "second_mean"]].to_numpy(float),
                                   atol=1e-9)


def test_contrast_pairs_name_declared_levels():
    from test_studydesign import _fake_fit

    design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    fit = _fake_fit(design, {"reaction[excuse]": 0.7})
    table = factor_contrasts(fit, design, "reaction", pairs=[("silence", "excuse")])
    assert table["contrast"].tolist() == ["silence - excuse"]
    np.testing.assert_allclose(table["mean"], [-0.7])
    with pytest.raises(ValueError, match=r"\['apology'\] are not among its levels"):
        factor_contrasts(fit, design, "reaction", pairs=[("apology", "silence")])


@pytest.mark.parametrize(("level", "likelihood"), [("respondent_mean", "normal"),
                                                   ("item", "discretized")])
def test_the_metric_model_of_the_declared_simulated_design_is_the_metric_model(
        simulated, level, likelihood):
    # the metric comparison model takes the declaration: on the simulated survey's declared
    # design it has the same log density as the model written for that survey, effects mapped
    from trustmodels.models.metric import build_metric_model

    long, design = simulated
    kwargs = {"level": level, "likelihood": likelihood, "parameterization": "noncentered"}
    main = build_metric_model(long, **kwargs)
    declared = build_metric_model(long, design=design, **kwargs)
    assert list(declared.coords["effect"]) == list(effect_names(design))
    assert list(declared.coords["item"]) == list(main.coords["item"])
    point = random_point(main, seed=6)
    order = [EFFECT_NAMES.index(next(e for e in EFFECT_NAMES if declared_name(e) == d))
             for d in declared.coords["effect"]]
    mapped = {**point, "beta": point["beta"][order]}
    assert np.isclose(main.compile_logp()(point), declared.compile_logp()(mapped))
    assert not np.isclose(main.compile_logp()(point), declared.compile_logp()(point))


def test_the_metric_model_of_a_design_needs_one_vignette_per_respondent():
    from trustmodels.models.metric import build_metric_model

    long, design = small_design_survey(n=12, vignettes=3)
    with pytest.raises(ValueError, match="12 respondents rate 36 vignettes; this model needs one "
                                         "vignette per respondent"):
        build_metric_model(long, design=design, level="item")
