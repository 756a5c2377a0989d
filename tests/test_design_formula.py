"""A design stated as a model formula gives the design the codebook declares, or one clear line."""

import pytest

import trustmodels as tm
from trustmodels.datasets.simulated import load_simulated_survey
from trustmodels.datasets.wine import WINE_CODEBOOK_PATH
from trustmodels.design import Moderator, StudyDesign
from trustmodels.design_formula import design_from_formula
from trustmodels.survey.codebook import Codebook

MAIN = "seller_response * violation * log10(fan_count) + disposition"


@pytest.fixture(scope="module")
def codebook():
    return load_simulated_survey().codebook


@pytest.mark.parametrize("formula", [
    MAIN,
    "1 + " + MAIN,
    "0 + " + MAIN,
    "disposition + C(seller_response) * violation * log10(fan_count)",
    "seller_response + violation + log10(fan_count) + seller_response:violation"
    " + seller_response:log10(fan_count) + violation:log10(fan_count)"
    " + seller_response:violation:log10(fan_count) + disposition",
])
def test_the_formula_of_the_simulated_survey_is_its_declared_design(codebook, formula):
    assert design_from_formula(formula, codebook) == StudyDesign.from_codebook(codebook)


def test_the_left_hand_side_names_the_outcome(codebook):
    design = design_from_formula("competence ~ " + MAIN, codebook)
    assert design.outcomes == ("competence",)
    assert design_from_formula(MAIN, codebook, outcomes=["integrity"]).outcomes == (
        "integrity",)


def test_another_codebook_and_a_moderator_centred_by_the_call(codebook):
    wine = Codebook.from_file(WINE_CODEBOOK_PATH)
    assert design_from_formula("temp * contact", wine) == StudyDesign.from_codebook(wine)
    # a centre given with the call replaces the codebook's (10^3 followers instead of 10^4)
    design = design_from_formula("seller_response * log10(fan_count)", codebook,
                                 centres={"fan_count": 3.0})
    assert design.moderators == {"fan_count": Moderator("log10", 3.0)}
    assert design.covariate is None and list(design.factors) == ["seller_response"]


def test_the_front_door_offers_it():
    assert tm.design_from_formula is design_from_formula


@pytest.mark.parametrize("formula, message", [
    ("seller_response + violation", "lacks seller_response:violation; write "
                                    "seller_response \\* violation"),
    ("seller_response * violation * log10(fan_count) - seller_response:violation:log10(fan_count)",
     "lacks seller_response:violation:fan_count"),
    ("seller_response * mood", "'mood' is neither a column nor a construct"),
    ("seller_response * disposition", "the covariate 'disposition' may only be added on its own"),
    ("seller_response + disposition + competence", "two covariates"),
    ("seller_response + (violation|respondent_id)", "only random intercepts of one grouping"),
    ("seller_response + (1|rater)", "the grouping column 'rater' is not a column"),
    ("seller_response +", "does not parse"),
    ("seller_response * fan_count", "declares 'fan_count' on the 'log10' scale, the formula on "
                                    "the 'none' scale"),
    ("seller_response * sqrt(fan_count)", "sqrt\\(fan_count\\) is not a design term"),
    ("C(fan_count)", "C\\(fan_count\\) needs categories"),
    ("trust ~ seller_response", "the outcome 'trust' is not a construct"),
])
def test_a_formula_the_models_cannot_follow_is_refused_in_one_line(codebook, formula, message):
    with pytest.raises(ValueError, match=message) as error:
        design_from_formula(formula, codebook)
    assert "\n" not in str(error.value)


def test_a_moderator_without_a_centre_is_named():
    wine = Codebook.from_file(WINE_CODEBOOK_PATH)
    with pytest.raises(ValueError, match="the moderator 'bottle' has no centre"):
        design_from_formula("temp * bottle", wine)
    design = design_from_formula("temp * bottle", wine, centres={"bottle": 4.5})
    assert design.moderators == {"bottle": Moderator("none", 4.5)}


def test_random_intercepts_of_a_grouping_column_are_the_design_s_groups(profile_codebook):
    book = profile_codebook(["profile"])
    design = design_from_formula("reaction + (1|profile) + (1|id)", book)
    assert design == StudyDesign.from_codebook(book)
    assert design_from_formula("reaction", book).groups == ()
