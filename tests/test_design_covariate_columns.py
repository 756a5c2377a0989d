"""Covariate columns (numeric columns such as age that the model adjusts for): declared,
checked, built, simulated, stated in a formula and fitted."""

import numpy as np
import pytest

import trustmodels as tm
from trustmodels.design import StudyDesign, prepare_design_data, simulate_design_survey
from trustmodels.models.declared import build_design_model
from trustmodels.survey.codebook import Codebook, CodebookError

ITEMS = {"trust": ["t1", "t2", "t3"]}


def age_design(vignettes=2, columns=("age",)):
    return StudyDesign({"reaction": ["silence", "excuse", "apology"]}, outcomes=["trust"],
                       vignette="vignette" if vignettes > 1 else None,
                       covariate_columns=columns)


def age_survey(n=30, vignettes=2, slope=0.6, seed=5):
    design = age_design(vignettes)
    long = simulate_design_survey(design, {"reaction[apology]": 0.8, "age": slope},
                                  n_respondents=n, vignettes=vignettes, items=ITEMS, seed=seed)
    return long, design


def age_codebook(columns, age_type="number"):
    likert = [1, 2, 3, 4, 5]
    return Codebook.from_dict({"name": "ages", "resources": [{
        "name": "ages", "path": "ages.csv",
        "schema": {"fields": [
            {"name": "id", "type": "string"},
            {"name": "age", "type": age_type},
            {"name": "fans", "type": "integer"},
            {"name": "reaction", "type": "string", "categories": ["silence", "excuse"]},
            {"name": "q1", "type": "integer", "categories": likert}],
            "missingValues": [""]},
        "trustmodels": {"id": "id", "design": ["reaction"], "covariate_columns": columns,
                        "constructs": {"trust": ["q1"]}}}]}, source="ages.json")


def test_the_codebook_declares_covariate_columns_and_the_design_reads_them():
    book = age_codebook(["age"])
    assert book.covariate_columns == ("age",) and "age" in book.used_fields
    assert StudyDesign.from_codebook(book).covariate_columns == ("age",)
    assert StudyDesign.from_codebook(age_codebook([])).covariate_columns == ()


@pytest.mark.parametrize("columns, age_type, message", [
    (["height"], "number", "covariate_columns names 'height', which is not in schema.fields"),
    (["reaction"], "number", "covariate_columns names 'reaction', which is already the id"),
    (["age"], "string", "covariate_columns names 'age' of type 'string'; expected \"integer\" "
                        "or \"number\" \\(code a two-level variable as 0/1"),
])
def test_the_codebook_names_a_bad_covariate_column(columns, age_type, message):
    with pytest.raises(CodebookError, match=message):
        age_codebook(columns, age_type)


def test_a_covariate_column_that_is_also_a_factor_is_refused():
    with pytest.raises(ValueError, match="covariate column 'reaction' is also a factor"):
        StudyDesign({"reaction": ["a", "b"]}, outcomes=["t"], covariate_columns=["reaction"])


def test_the_model_gets_one_slope_per_covariate_column():
    long, design = age_survey(n=12)
    model = build_design_model(long, design)
    assert list(model.coords["covariate_column"]) == ["age"]
    assert "beta_columns" in {rv.name for rv in model.free_RVs}
    assert model.named_vars_to_dims["beta_columns"] == ("covariate_column",)
    assert model.trustmodels_spec.covariate_columns == ("age",)
    # z-scored over the rating occasions
    w = model["covariate_columns"].get_value()
    assert abs(w.mean()) < 1e-12 and abs(w.std() - 1.0) < 1e-12
    # a design without covariate columns keeps its former specification (and fit key)
    plain = StudyDesign({"reaction": ["silence", "excuse", "apology"]}, outcomes=["trust"],
                        vignette="vignette")
    form = build_design_model(long, plain).trustmodels_spec.to_dict()
    assert "covariate_columns" not in form


def test_the_covariate_column_enters_the_likelihood():
    long, design = age_survey(n=30, slope=1.0)
    model = build_design_model(long, design)
    point = model.initial_point()
    logp = model.compile_logp(jacobian=False, vars=[model["y"]])
    up = logp({**point, "beta_columns": np.array([0.8])})
    down = logp({**point, "beta_columns": np.array([-0.8])})
    # simulated with a positive slope: the answers are more likely with +0.8 than with -0.8
    assert up > down + 10


def test_the_projected_form_gates_the_slopes_it_derives():
    long, design = age_survey(n=20, vignettes=1)
    model = build_design_model(long, design, parameterization="projected")
    free = {rv.name for rv in model.free_RVs}
    assert "beta_columns_in_sample" in free and "beta_columns" not in free
    assert "beta_columns" in model.trustmodels_spec.derived
    assert model.named_vars_to_dims["beta_columns"] == ("covariate_column",)


@pytest.mark.parametrize("change, message", [
    (lambda long: long.assign(age=long["age"].where(long.index != 7)),
     "covariate column 'age' row 7 \\(respondent 'R0002'\\) is empty; expected a number"),
    (lambda long: long.assign(age=long["age"].astype(object).where(long.index != 3, "old")),
     "covariate column 'age' row 3 \\(respondent 'R0001'\\) is 'old'"),
    (lambda long: long.assign(age=40.0), "covariate column 'age' does not vary \\(always 40\\)"),
    (lambda long: long.assign(age=np.where(long["item"] == "t1", 0.0, long["age"])),
     "column 'age' varies within \\{'respondent': 'R0001', 'vignette': 'V1'\\}"),
    (lambda long: long.drop(columns="age"), "lacks the columns \\['age'\\]"),
])
def test_data_that_cannot_support_the_covariate_column_get_one_line(change, message):
    long, design = age_survey(n=12)
    with pytest.raises(ValueError, match=message) as error:
        prepare_design_data(change(long), design)
    assert "\n" not in str(error.value)


def test_collinear_covariate_columns_are_named():
    long, _ = age_survey(n=12)
    design = age_design(columns=("age", "age_in_months"))
    with pytest.raises(ValueError, match="design columns \\['age_in_months'\\] are collinear"):
        prepare_design_data(long.assign(age_in_months=12 * long["age"] + 3), design)


def test_the_simulator_draws_one_value_per_respondent_and_names_unknown_effects():
    long, design = age_survey(n=10, vignettes=3)
    assert long.groupby("respondent")["age"].nunique().max() == 1
    assert long["age"].nunique() == 10
    with pytest.raises(ValueError, match="\\['height'\\] are not effects of the design; "
                                         "expected some of .*'age'"):
        simulate_design_survey(design, {"height": 1.0}, n_respondents=4, items=ITEMS,
                               vignettes=2)
    # a design without covariate columns draws what it drew before
    plain = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    first = simulate_design_survey(plain, {"reaction[excuse]": 0.5}, n_respondents=20,
                                   items=ITEMS, seed=9)
    with_age = simulate_design_survey(
        StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"],
                    covariate_columns=["age"]),
        {"reaction[excuse]": 0.5}, n_respondents=20, items=ITEMS, seed=9)
    assert (first["reaction"] == with_age["reaction"]).all()


def test_a_formula_adds_a_numeric_column_on_its_own_as_a_covariate_column():
    book = age_codebook([])
    design = tm.design_from_formula("trust ~ reaction + age", book)
    assert design.covariate_columns == ("age",) and list(design.factors) == ["reaction"]
    assert not design.moderators
    # in an interaction it is a moderator (which needs a centre)
    crossed = tm.design_from_formula("reaction * age", book, centres={"age": 40})
    assert crossed.moderators["age"].centre == 40 and crossed.covariate_columns == ()
    # a numeric column alone in the design is its moderator
    with pytest.raises(ValueError, match="the moderator 'fans' has no centre"):
        tm.design_from_formula("fans", book)
    declared = age_codebook(["age"])
    assert tm.design_from_formula("reaction + age", declared).covariate_columns == ("age",)
    with pytest.raises(ValueError, match="^ages.json: formula 'reaction \\* age': the "
                                         "codebook declares 'age' a covariate column, which"):
        tm.design_from_formula("reaction * age", declared, centres={"age": 40})


def test_the_fast_fitter_refuses_covariate_columns():
    long, design = age_survey(n=12, vignettes=1)
    with pytest.raises(ValueError, match="does not take grouping factors or covariate columns"):
        tm.LaplaceFitter(long, design)


def test_the_respondent_level_models_add_covariate_columns_to_their_design_matrix():
    from trustmodels.models.moderation import build_moderation_model

    design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"],
                         moderators={"fans": tm.Moderator("log10", centre=4.0)},
                         covariate_columns=["age"])
    long = simulate_design_survey(design, {"reaction[excuse]": 0.5, "age": 0.4},
                                  n_respondents=30, items=ITEMS, seed=2)
    metric = tm.build_metric_model(long, design=design)
    assert list(metric.coords["effect"])[-1] == "age"
    x = metric["X"].get_value()
    assert abs(x[:, -1].mean()) < 1e-12 and abs(x[:, -1].std() - 1.0) < 1e-12  # z-scored
    smooth = build_moderation_model(long, design=design)
    assert "age" in list(smooth.coords["effect"])  # an additive baseline effect
    # contrasts of a fit that carries the slope among its effects hold the column at its mean
    import xarray as xr

    names = list(metric.coords["effect"])
    values = np.array([0.5, 0.2, -0.1, 0.9])  # excuse, log10(fans), excuse:log10(fans), age
    assert names == ["reaction[excuse]", "log10(fans)", "reaction[excuse]:log10(fans)", "age"]
    fake = xr.DataTree.from_dict({"posterior": xr.Dataset(
        {"beta": (("chain", "draw", "effect"), np.broadcast_to(values, (1, 2, 4)))},
        coords={"effect": names})})
    table = tm.factor_contrasts(fake, design, "reaction", at={"fans": [100_000]})
    np.testing.assert_allclose(table["mean"], [0.5 - 0.1])
    grouped = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"],
                          groups=["profile"])
    long = simulate_design_survey(grouped, {}, n_respondents=20, items=ITEMS, seed=2)
    with pytest.raises(ValueError, match="does not take grouping factors \\(\\['profile'\\]\\)"):
        tm.build_metric_model(long, design=grouped)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_an_age_adjusted_design_fits_through_the_gate_and_recovers_the_slope():
    long, design = age_survey(n=150, vignettes=2, slope=0.6, seed=12)
    idata = tm.fit(build_design_model(long, design), label="covariate column test")
    slope = idata["posterior"]["beta_columns"].sel(covariate_column="age").to_numpy().ravel()
    low, high = np.quantile(slope, [0.025, 0.975])
    # the slope is per SD of the sample's ages; the simulated ages are standard normal
    assert low < 0.6 < high and low > 0.2
    table = tm.factor_contrasts(idata, design, "reaction")
    apology = table.set_index("contrast").loc["apology - silence"]
    assert apology["hdi_low"] < 0.8 < apology["hdi_high"]
