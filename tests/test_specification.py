"""Typed model specifications: every builder attaches one, fits carry it, readers refuse others."""

from __future__ import annotations

import json

import pytest
import xarray as xr

from tests.test_models_ordinal import tiny_long
from trustmodels.analysis.checks import category_counts
from trustmodels.analysis.contrasts import factor_contrasts
from trustmodels.analysis.effects import latent_contrasts
from trustmodels.design import StudyDesign, simulate_design_survey
from trustmodels.inference.cache import model_fingerprint
from trustmodels.inference.sampling import gated_variables
from trustmodels.models.declared import build_design_model
from trustmodels.models.fixed import build_fixed_model
from trustmodels.models.metric import build_metric_model
from trustmodels.models.ordinal import build_ordinal_model
from trustmodels.models.priors import OrdinalPriors
from trustmodels.models.specification import (
    DeclaredSpec,
    FixedSpec,
    MetricSpec,
    ModelSpec,
    ObservedCovariate,
    OrdinalSpec,
    model_spec,
)

WITHIN = StudyDesign({"reaction": ["silence", "excuse"], "reputation": ["low", "high"]},
                     outcomes=["trust"], vignette="vignette")


def _within_long():
    return simulate_design_survey(WITHIN, {"reaction[excuse]": 0.5}, n_respondents=8,
                                  items={"trust": ["t1", "t2"]}, vignettes=3, seed=4)


def _fit_with(spec) -> xr.DataTree:
    tree = xr.DataTree()
    tree.attrs["trustmodels_spec"] = spec.to_json()
    return tree


@pytest.mark.parametrize("build", [
    lambda: build_ordinal_model(tiny_long(n=24)),
    lambda: build_ordinal_model(tiny_long(n=24), effects_by_construct=True,
                                parameterization="noncentered"),
    lambda: build_metric_model(tiny_long(n=24), level="item", likelihood="discretized"),
    lambda: build_fixed_model(tiny_long(n=24), "comp1"),
    lambda: build_design_model(_within_long(), WITHIN),
    lambda: build_design_model(_within_long(), WITHIN, random_slopes=True),
], ids=["ordinal", "ordinal-by-construct", "metric", "fixed", "declared", "declared-slopes"])
def test_every_builder_attaches_a_typed_spec_that_survives_the_fit_json(build):
    model = build()
    spec = model.trustmodels_spec
    assert isinstance(spec, ModelSpec) and model_spec(model) is spec
    back = model_spec(_fit_with(spec))
    assert back == spec and type(back) is type(spec)
    assert set(spec.derived) <= set(gated_variables(model))
    # the JSON form is what the fit cache hashes: a round trip must not change the key
    assert json.loads(back.to_json()) == json.loads(spec.to_json())


def test_optional_fields_stay_out_of_the_json_form():
    plain = build_design_model(_within_long(), WITHIN).trustmodels_spec
    sloped = build_design_model(_within_long(), WITHIN, random_slopes=True).trustmodels_spec
    assert "random_slopes" not in plain.to_dict() and "slope_sd" not in plain.to_dict()
    assert sloped.to_dict()["random_slopes"] == list(sloped.random_slopes)
    assert sloped.slope_sd == 0.5
    assert "covariate" not in OrdinalSpec().to_dict()
    assert "derived" not in FixedSpec().to_dict()  # the fixed model never had one
    with_covariate = OrdinalSpec(observed_covariate=ObservedCovariate("buy", 5, "probit", 1.0, 9))
    assert with_covariate.to_dict()["covariate"]["n_answers"] == 9
    assert model_spec(_fit_with(with_covariate)) == with_covariate


def test_priors_come_back_as_their_dataclass():
    spec = build_ordinal_model(tiny_long(n=24), OrdinalPriors(effect_sd=0.5)).trustmodels_spec
    back = model_spec(_fit_with(spec))
    assert back.priors == OrdinalPriors(effect_sd=0.5)
    assert back.priors.effect_sd == 0.5


def test_the_cache_key_follows_the_spec():
    long = tiny_long(n=24)
    model = build_ordinal_model(long)
    same = build_ordinal_model(long)
    assert model_fingerprint(model) == model_fingerprint(same)
    # a specification that differs (the gate's variables) is a different key
    same.trustmodels_spec = OrdinalSpec(**{**vars(model.trustmodels_spec), "derived": ()})
    assert model_fingerprint(model) != model_fingerprint(same)


@pytest.mark.parametrize(("form", "message"), [
    ({"model": "glm"}, "names no known model: 'glm'"),
    ({"items": ["a"]}, "names no known model: None"),
    ({**FixedSpec().to_dict(), "extra": 1}, r"unknown keys \['extra'\]"),
    ({key: value for key, value in FixedSpec().to_dict().items() if key != "link"},
     "has no 'link'"),
])
def test_a_malformed_specification_is_one_line(form, message):
    with pytest.raises(ValueError, match=message) as error:
        ModelSpec.from_dict(form)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(("text", "message"), [
    ('{"model": "fixed"', "is not JSON"),
    ("[1, 2]", "is not a JSON object"),
    (json.dumps({**FixedSpec().to_dict(), "priors": {"effect_sd": 1.0, "slope": 2}}),
     "'fixed' model specification does not fit its model: .*slope"),
])
def test_a_fit_with_a_damaged_specification_is_one_line(text, message):
    fit = xr.DataTree()
    fit.attrs["trustmodels_spec"] = text
    with pytest.raises(ValueError, match=message) as error:
        model_spec(fit)
    assert "\n" not in str(error.value)


def test_a_fit_of_another_model_is_refused_by_name():
    declared = _fit_with(DeclaredSpec(items=("t1",), item_categories=(5,)))
    with pytest.raises(ValueError, match="effects need an ordinal model fit, got 'declared "
                                         "design'"):
        latent_contrasts(declared)
    import numpy as np

    effects = ["reaction[excuse]", "reputation[high]", "reaction[excuse]:reputation[high]"]
    metric = xr.DataTree.from_dict({"posterior": xr.Dataset(
        {"beta": (("chain", "draw", "effect"), np.zeros((1, 4, 3)))}, coords={"effect": effects})})
    metric.attrs["trustmodels_spec"] = MetricSpec(effects=tuple(effects)).to_json()
    with pytest.raises(ValueError, match="response-scale contrasts need a fit of "
                                         "build_design_model, got 'metric'"):
        factor_contrasts(metric, WITHIN, "reaction", scale="agree")
    with pytest.raises(ValueError, match="carries no trustmodels_spec"):
        model_spec(xr.DataTree())


def test_category_counts_by_item_names_the_items_of_the_spec():
    import numpy as np

    tree = xr.DataTree.from_dict({
        "observed_data": xr.Dataset({"y": ("obs", np.array([1, 2, 2, 1]))}),
        "posterior_predictive": xr.Dataset({"y": (("chain", "draw", "obs"),
                                                  np.array([[[1, 2, 2, 2]]]))}),
        "constant_data": xr.Dataset({"obs_item": ("obs", np.array([0, 0, 1, 1]))})})
    unnamed = category_counts(tree, by_item=True)
    assert sorted(set(unnamed["item"])) == ["0", "1"]
    tree.attrs["trustmodels_spec"] = OrdinalSpec(items=("trust1", "trust2")).to_json()
    assert sorted(set(category_counts(tree, by_item=True)["item"])) == ["trust1", "trust2"]
