"""A grouping factor crossed with respondents (a seller profile, a rater): declared, checked,
built, simulated and fitted."""

import numpy as np
import pandas as pd
import pytest

import trustmodels as tm
from trustmodels.design import StudyDesign, prepare_design_data, simulate_design_survey
from trustmodels.models.declared import build_design_model
from trustmodels.survey.codebook import CodebookError


def profile_design(vignettes=3):
    return StudyDesign({"reaction": ["silence", "excuse", "apology"]}, outcomes=["trust"],
                       vignette="vignette" if vignettes > 1 else None, groups=["profile"])


def profile_survey(n=40, vignettes=3, sd=0.8, levels=6, seed=4, effects=None):
    design = profile_design(vignettes)
    long = simulate_design_survey(design, effects or {"reaction[apology]": 0.8},
                                  n_respondents=n, vignettes=vignettes, seed=seed,
                                  items={"trust": ["t1", "t2", "t3"]},
                                  group_levels={"profile": levels}, group_sd={"profile": sd})
    return long, design


def test_the_codebook_declares_the_groups_and_the_design_reads_them(profile_codebook):
    book = profile_codebook(["profile"])
    assert book.groups == ("profile",) and "profile" in book.used_fields
    design = StudyDesign.from_codebook(book)
    assert design.groups == ("profile",)
    assert StudyDesign({"a": ["x", "y"]}, outcomes=["t"]) == StudyDesign(
        {"a": ["x", "y"]}, outcomes=["t"], groups=())


@pytest.mark.parametrize("groups, message", [
    (["rater"], "groups names 'rater', which is not in schema.fields"),
    (["reaction"], "groups names 'reaction', which is already the id, the vignette, a design"),
])
def test_the_codebook_names_a_bad_group(profile_codebook, groups, message):
    with pytest.raises(CodebookError, match=message):
        profile_codebook(groups)


def test_a_group_that_is_also_a_factor_is_refused():
    with pytest.raises(ValueError, match="group 'reaction' is also a factor"):
        StudyDesign({"reaction": ["a", "b"]}, outcomes=["t"], groups=["reaction"])


def test_the_model_gets_one_random_intercept_per_group():
    long, design = profile_survey(n=12)
    model = build_design_model(long, design)
    occasions = long.drop_duplicates(["respondent", "vignette"])
    assert list(model.coords["profile"]) == list(dict.fromkeys(occasions["profile"]))
    assert {"sd_profile", "z_profile"} <= {rv.name for rv in model.free_RVs}
    assert model.named_vars_to_dims["z_profile"] == ("profile",)
    spec = model.trustmodels_spec
    assert spec.groups == ("profile",) and spec.group_sd == 0.5
    assert "profile" in tm.model_spec(model).to_json()
    # a design without groups keeps its former specification (and fit key)
    plain = StudyDesign({"reaction": ["silence", "excuse", "apology"]}, outcomes=["trust"],
                        vignette="vignette")
    form = build_design_model(long, plain).trustmodels_spec.to_dict()
    assert "groups" not in form and "group_sd" not in form


def test_the_group_intercept_enters_the_likelihood():
    # moving one profile's intercept changes the log density only through that profile's
    # ratings: same point, z of profile 1 shifted, the log-likelihood of its answers differs
    long, design = profile_survey(n=12)
    model = build_design_model(long, design)
    point = model.initial_point()
    shifted = {**point, "z_profile": point["z_profile"] + np.eye(len(point["z_profile"]))[0]}
    logp = model.compile_logp(jacobian=False, vars=[model["y"]])
    assert logp(point) != logp(shifted)
    no_group = build_design_model(long, StudyDesign(
        {"reaction": ["silence", "excuse", "apology"]}, outcomes=["trust"], vignette="vignette"))
    assert "z_profile" not in no_group.named_vars


@pytest.mark.parametrize("change, message", [
    (lambda long: long.assign(profile=np.where(long["item"] == "t1", "profile1",
                                               long["profile"])), "column 'profile' varies"),
    (lambda long: long.assign(profile="profile1"), "group 'profile' has only the level"),
    (lambda long: long.assign(profile=long["profile"].where(long["respondent"] != "R0001")),
     "group 'profile' is missing for respondent 'R0001'"),
    (lambda long: long.drop(columns="profile"), "lacks the columns \\['profile'\\]"),
])
def test_data_that_cannot_support_the_group_get_one_line(change, message):
    long, design = profile_survey(n=12)
    with pytest.raises(ValueError, match=message):
        prepare_design_data(change(long), design)


def test_the_simulator_keeps_other_designs_draws_and_names_unknown_groups():
    design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    items = {"trust": ["t1", "t2"]}
    first = simulate_design_survey(design, {"reaction[excuse]": 0.5}, n_respondents=20,
                                   items=items, seed=9)
    again = simulate_design_survey(design, {"reaction[excuse]": 0.5}, n_respondents=20,
                                   items=items, seed=9, group_levels={}, group_sd={})
    pd.testing.assert_frame_equal(first, again)
    with pytest.raises(ValueError, match="name \\['rater'\\], which are not groups"):
        simulate_design_survey(design, {}, n_respondents=4, items=items,
                               group_sd={"rater": 1.0})
    long, _ = profile_survey(n=30, levels=5)
    assert long["profile"].nunique() == 5
    occasions = long.drop_duplicates(["respondent", "vignette"])
    assert occasions.groupby("profile").size().max() - occasions.groupby(
        "profile").size().min() <= 1  # balanced


def test_the_fast_fitter_refuses_groups():
    long, design = profile_survey(n=12)
    with pytest.raises(ValueError, match="does not take grouping factors"):
        tm.LaplaceFitter(long, design)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_profile_design_fits_through_the_gate_and_recovers_the_profile_sd():
    long, design = profile_survey(n=150, vignettes=3, sd=0.8, levels=8, seed=11)
    model = build_design_model(long, design)
    idata = tm.fit(model, label="profile design test")
    sd = idata["posterior"]["sd_profile"].to_numpy().ravel()
    low, high = np.quantile(sd, [0.025, 0.975])
    assert low < 0.8 < high
    table = tm.factor_contrasts(idata, design, "reaction")
    assert list(table["contrast"]) == ["excuse - silence", "apology - silence",
                                       "apology - excuse"]
    apology = table.set_index("contrast").loc["apology - silence"]
    assert apology["hdi_low"] < 0.8 < apology["hdi_high"]
