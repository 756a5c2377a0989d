"""The smooth moderation model of a declared design: the simulated survey's one, and another."""

import numpy as np
import pytest

import trustmodels as tm
from trustmodels.analysis.floodlight import floodlight_table, moderation_contrasts
from trustmodels.datasets.simulated import load_simulated_survey
from trustmodels.design import Moderator, StudyDesign, simulate_design_survey
from trustmodels.models.moderation import FAN_GRID, build_moderation_model
from trustmodels.models.priors import SmoothPriors

SMALL = SmoothPriors(n_basis=5)


@pytest.fixture(scope="module")
def simulated():
    """The first 90 respondents of the simulated survey and the design its codebook declares."""
    survey = load_simulated_survey()
    long = survey.long
    first = list(dict.fromkeys(long["respondent"].astype(str)))[:90]
    return long[long["respondent"].astype(str).isin(first)], StudyDesign.from_codebook(
        survey.codebook)


def random_point(model, seed):
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=value.shape) for name, value in model.initial_point().items()}


def test_the_simulated_codebook_declares_the_smooth_moderation_model(simulated):
    # the declared design's smooth model of the seller's response along the fan count, by
    # violation, is the chapter's model: the same log density at a point mapped by name
    long, design = simulated
    legacy = build_moderation_model(long, smooth=SMALL)
    declared = build_moderation_model(long, smooth=SMALL, design=design,
                                      factor="seller_response", by="violation",
                                      grid=FAN_GRID)
    assert declared.named_vars_to_dims["effect_curve"] == ("seller_response", "violation",
                                                           "fan_count_grid")
    assert declared.coords["seller_response"] == ("apology", "denial")
    assert declared.coords["effect"] == ("violation[integrity]", "log10(fan_count)",
                                         "violation[integrity]:log10(fan_count)")
    assert list(declared.coords["respondent"]) == list(legacy.coords["respondent"])
    point = random_point(legacy, seed=5)
    mapped = {("beta_cov_in_sample" if name == "beta_disp_in_sample" else name): value
              for name, value in point.items()}
    assert np.isclose(legacy.compile_logp()(point), declared.compile_logp()(mapped))
    # and a model whose curves ignore the violation type is another model
    pooled = build_moderation_model(long, smooth=SMALL, design=design,
                                    factor="seller_response", grid=FAN_GRID)
    assert pooled.named_vars_to_dims["curve_level"] == ("seller_response", "pooled")
    assert pooled.trustmodels_spec.by is None
    assert declared.trustmodels_spec.factor_levels == ("none", "apology", "denial")
    assert declared.trustmodels_spec.derived == ("beta", "beta_cov", "curve_level",
                                                 "curve_slope")


def test_the_legacy_spec_keeps_its_json_form(simulated):
    # the declared fields are left out for the simulated survey's fixed design, so the fit key
    # of the chapter's smooth model does not change
    long, _ = simulated
    form = build_moderation_model(long, smooth=SMALL).trustmodels_spec.to_dict()
    assert not {"factor", "factor_levels", "by", "moderator", "transform", "centre",
                "covariate"} & set(form)


def other_design(n=60, apology=0.8):
    design = StudyDesign({"reaction": ["silence", "excuse", "apology"],
                          "channel": ["email", "phone"]}, outcomes=["trust"],
                         moderators={"age": Moderator("none", centre=40.0,
                                                      simulate_range=(-20.0, 20.0))})
    long = simulate_design_survey(design, {"reaction[apology]": apology,
                                           "reaction[apology]:age": -0.03},
                                  n_respondents=n, seed=2,
                                  items={"trust": ["t1", "t2", "t3"]})
    return long, design


def test_another_design_gets_curves_named_by_its_own_levels():
    long, design = other_design()
    model = build_moderation_model(long, design=design, factor="reaction",
                                   smooth=SmoothPriors(n_basis=5, lengthscale=15.0))
    assert model.coords["reaction"] == ("excuse", "apology")
    assert model.coords["pooled"] == ("all",)
    grid = np.asarray(model.coords["age_grid"])
    ages = long.drop_duplicates("respondent")["age"]
    assert len(grid) == 41 and np.isclose(grid[0], ages.min()) and np.isclose(grid[-1],
                                                                               ages.max())
    # the baseline keeps every effect without the reaction: channel, age, channel:age
    assert model.coords["effect"] == ("channel[phone]", "age", "channel[phone]:age")
    assert "beta_cov" not in model.named_vars  # no covariate declared


@pytest.mark.parametrize("kwargs, message", [
    ({"factor": "mood"}, "factor='mood' is not a factor of the design"),
    ({"factor": "reaction", "by": "reaction"}, "by='reaction' must be another factor"),
    ({"factor": "reaction", "moderator": "income"}, "moderator='income' is not a moderator"),
    ({"factor": "reaction", "grid": [30.0]}, "grid must hold at least two"),
])
def test_a_declared_moderation_model_names_what_it_cannot_build(kwargs, message):
    long, design = other_design(n=12)
    with pytest.raises(ValueError, match=message):
        build_moderation_model(long, design=design, **kwargs)


def test_a_design_without_a_moderator_is_refused_in_one_line():
    design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    long = simulate_design_survey(design, {"reaction[excuse]": 0.5}, n_respondents=8,
                                  items={"trust": ["t1", "t2"]})
    with pytest.raises(ValueError, match="declares 0"):
        build_moderation_model(long, design=design)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_another_design_fits_through_the_gate_and_gives_a_floodlight_in_its_own_terms():
    long, design = other_design(n=240, apology=1.5)
    model = build_moderation_model(long, design=design, factor="reaction", by="channel",
                                   smooth=SmoothPriors(n_basis=5, lengthscale=15.0))
    idata = tm.fit(model, label="declared moderation test")
    contrasts = moderation_contrasts(idata)
    assert contrasts.dims == ("sample", "contrast", "channel", "age_grid")
    assert list(contrasts["contrast"].values) == ["excuse - silence", "apology - silence",
                                                  "apology - excuse"]
    assert contrasts.attrs["transform"] == "none"
    regions = floodlight_table(contrasts.sel(contrast=["apology - silence"]), rope=0.1)
    assert set(regions["channel"]) <= {"email", "phone"}
    assert "start_age" not in regions  # a raw-scale moderator has no back-transform
    # the simulated apology effect is 1.5 at age 40 (40 respondents per cell): credibly
    # positive there on both channels, its 95% interval holding the truth
    for channel in ("email", "phone"):
        draws = contrasts.sel(contrast="apology - silence", channel=channel)
        at_centre = draws.sel(age_grid=40.0, method="nearest").values
        assert np.mean(at_centre > 0) > 0.95
        low, high = np.quantile(at_centre, [0.025, 0.975])
        assert low < 1.5 < high
    with pytest.raises(ValueError, match="unknown levels \\['sorry'\\]"):
        moderation_contrasts(idata, contrasts=[("sorry", "silence")])
