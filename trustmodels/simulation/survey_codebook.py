"""The codebook (Frictionless Data Package) of the simulated vignette survey.

Everything the CSV contains is described here once: column order, item wordings, answer labels
and the vignette texts. :func:`simulated_datapackage` turns these definitions into the
``data/datapackage.json`` that :mod:`trustmodels.simulation.simulate` writes next to the data, so
the data
and their description cannot disagree.

The item wordings were written for this simulated vignette study. They are *adapted* from the
cited scales (McKnight, Choudhury & Kacmar 2002; Gefen 2000), not the original items.
"""

from __future__ import annotations

from trustmodels.datasets.simulated_design import RESPONSE_LEVELS, VIOLATION_LEVELS
from trustmodels.models.data import DEFAULT_OUTCOMES, DISPOSITION_CONSTRUCT
from trustmodels.simulation.params import (
    CALIBRATED_RESPONSE_SCALE,
    CALIBRATION_TARGET,
    CONSTRUCT_ITEMS,
)

__all__ = [
    "AGE_GROUPS",
    "ATTENTION_CHECK_CORRECT",
    "COLUMNS",
    "CSV_PATH",
    "GENDERS",
    "ITEM_WORDINGS",
    "LIKERT_LABELS",
    "PURCHASE_FREQ_LABELS",
    "RESOURCE_NAME",
    "SOCIAL_MEDIA_USE_LABELS",
    "VIGNETTE_TEXTS",
    "simulated_datapackage",
    "simulated_study_design",
]

#: Resource name and path (relative to the folder of datapackage.json).
RESOURCE_NAME = "trust_repair_simulated"
CSV_PATH = "raw/trust_repair_simulated.csv"

LIKERT_LABELS = (
    "Strongly disagree",
    "Disagree",
    "Somewhat disagree",
    "Neither agree nor disagree",
    "Somewhat agree",
    "Agree",
    "Strongly agree",
)
PURCHASE_FREQ_LABELS = (
    "Never",
    "Less than once a month",
    "About once a month",
    "Several times a month",
    "Weekly or more often",
)
SOCIAL_MEDIA_USE_LABELS = (
    "Never",
    "Less than once a week",
    "A few times a week",
    "About once a day",
    "Several times a day",
)
AGE_GROUPS = ("18-24", "25-34", "35-44", "45-54", "55+")
GENDERS = ("female", "male", "non-binary", "prefer not to say")
ATTENTION_CHECK_CORRECT = 2

_SOURCE = {
    "competence": "McKnight, Choudhury & Kacmar (2002), trusting beliefs: competence",
    "benevolence": "McKnight, Choudhury & Kacmar (2002), trusting beliefs: benevolence",
    "integrity": "McKnight, Choudhury & Kacmar (2002), trusting beliefs: integrity",
    "intention": "purchase intention (trusting intention), after McKnight, Choudhury & Kacmar "
    "(2002)",
    "disposition": "Gefen (2000), disposition to trust",
}

#: Item wordings (adapted for this vignette; not the original scale items).
ITEM_WORDINGS: dict[str, str] = {
    "comp1": "This seller is competent at selling the kind of products it offers.",
    "comp2": "This seller does its job as a seller very well.",
    "comp3": "This seller is capable and skilled at running its shop.",
    "comp4": "This seller knows a lot about the products it sells.",
    "benev1": "I believe this seller would act in my best interest.",
    "benev2": "If I needed help with an order, this seller would do its best to help me.",
    "benev3": "This seller cares about its customers, not only about its own profit.",
    "integ1": "This seller is truthful in its dealings with customers.",
    "integ2": "I would describe this seller as honest.",
    "integ3": "This seller would keep the promises it makes to customers.",
    "integ4": "This seller is sincere and genuine.",
    "intent1": "If I needed a product like this, I would consider buying it from this seller.",
    "intent2": "I would be willing to buy from this seller in the near future.",
    "intent3": "I would choose this seller over a similar one with comparable prices.",
    "dtt1": "I generally trust other people.",
    "dtt2": "I tend to count on other people.",
    "dtt3": "I generally have faith in people.",
    "dtt4": "I feel that people are generally reliable.",
}

#: What respondents read in each condition (the seller profile showed the fan count).
VIGNETTE_TEXTS: dict[str, str] = {
    "profile": "A seller's page on a social media marketplace, showing its number of followers "
    "(fan_count).",
    "competence": "A customer's public complaint: the product arrived defective and did not work.",
    "integrity": "A customer's public complaint: the product description was misleading and the "
    "product was not what was promised.",
    "none": "The seller did not respond publicly.",
    "apology": "The seller replied publicly, took responsibility and apologized.",
    "denial": "The seller replied publicly and denied that it was at fault.",
}

#: CSV column order.
COLUMNS: tuple[str, ...] = (
    "respondent_id",
    "seller_response",
    "violation",
    "fan_count",
    *CONSTRUCT_ITEMS["competence"],
    *CONSTRUCT_ITEMS["benevolence"],
    *CONSTRUCT_ITEMS["integrity"],
    *CONSTRUCT_ITEMS["intention"],
    *CONSTRUCT_ITEMS["disposition"],
    "attention_check",
    "purchase_freq",
    "social_media_use",
    "age_group",
    "gender",
    "duration_s",
)


def _ordinal_categories(labels) -> list[dict[str, object]]:
    return [{"value": value, "label": label} for value, label in enumerate(labels, start=1)]


def _likert_field(item: str, construct: str, position: int, count: int) -> dict[str, object]:
    return {
        "name": item,
        "type": "integer",
        "title": ITEM_WORDINGS[item],
        "description": (
            f"{construct.capitalize()}, item {position} of {count} (7-point agreement). Wording "
            f"adapted for this simulated vignette from {_SOURCE[construct]}; not the original "
            "item. Empty = no answer."
        ),
        "categories": _ordinal_categories(LIKERT_LABELS),
        "categoriesOrdered": True,
    }


def _fields() -> list[dict[str, object]]:
    fields: list[dict[str, object]] = [
        {
            "name": "respondent_id",
            "type": "string",
            "title": "Respondent identifier",
            "description": "R0001, R0002, ... in the (random) order of participation.",
            "constraints": {"required": True, "unique": True},
        },
        {
            "name": "seller_response",
            "type": "string",
            "title": "Seller's public response to the complaint (experimental factor)",
            "description": "; ".join(f"{level}: {VIGNETTE_TEXTS[level]}"
                                     for level in RESPONSE_LEVELS),
            "categories": list(RESPONSE_LEVELS),
            "constraints": {"required": True},
        },
        {
            "name": "violation",
            "type": "string",
            "title": "Type of trust violation in the complaint (experimental factor)",
            "description": "; ".join(f"{level}: {VIGNETTE_TEXTS[level]}"
                                     for level in VIOLATION_LEVELS),
            "categories": list(VIOLATION_LEVELS),
            "constraints": {"required": True},
        },
        {
            "name": "fan_count",
            "type": "integer",
            "title": "Followers shown on the seller's profile (experimental factor)",
            "description": "Drawn log-uniformly between 10^2 and 10^6 and rounded to an integer. "
            "Models that take log10 need at least 1.",
            "constraints": {"required": True, "minimum": 0},
        },
    ]
    for construct, items in CONSTRUCT_ITEMS.items():
        for position, item in enumerate(items, start=1):
            fields.append(_likert_field(item, construct, position, len(items)))
    fields += [
        {
            "name": "attention_check",
            "type": "integer",
            "title": "To show that you are reading carefully, please select 'Disagree' for "
            "this statement.",
            "description": f"Instructed-response item; the correct answer is "
            f"{ATTENTION_CHECK_CORRECT} (Disagree).",
            "categories": _ordinal_categories(LIKERT_LABELS),
            "categoriesOrdered": True,
        },
        {
            "name": "purchase_freq",
            "type": "integer",
            "title": "How often do you buy products online?",
            "categories": _ordinal_categories(PURCHASE_FREQ_LABELS),
            "categoriesOrdered": True,
        },
        {
            "name": "social_media_use",
            "type": "integer",
            "title": "How often do you use social media?",
            "categories": _ordinal_categories(SOCIAL_MEDIA_USE_LABELS),
            "categoriesOrdered": True,
        },
        {
            "name": "age_group",
            "type": "string",
            "title": "Age group (years)",
            "categories": list(AGE_GROUPS),
            "categoriesOrdered": True,
        },
        {
            "name": "gender",
            "type": "string",
            "title": "Gender",
            "categories": list(GENDERS),
        },
        {
            "name": "duration_s",
            "type": "integer",
            "title": "Time taken to complete the survey (seconds)",
            "constraints": {"minimum": 0},
        },
    ]
    return fields


def simulated_datapackage() -> dict[str, object]:
    """Return the Data Package (codebook) of the simulated survey as a JSON-ready dict.

    Returns
    -------
    dict
        A Frictionless Data Package v2 with one resource, ``trust_repair_simulated``, whose
        fields follow :data:`COLUMNS` and which carries the project extension ``trustmodels``
        (constructs, design, attention check, duration, covariates, ``simulated: true``).

    Examples
    --------
    >>> package = simulated_datapackage()
    >>> "SIMULATED" in package["title"]
    True
    >>> resource = package["resources"][0]
    >>> [f["name"] for f in resource["schema"]["fields"]][:5]
    ['respondent_id', 'seller_response', 'violation', 'fan_count', 'comp1']
    >>> resource["trustmodels"]["constructs"]["benevolence"]
    ['benev1', 'benev2', 'benev3']
    """
    target = CALIBRATION_TARGET
    description = (
        "SIMULATED data, not real respondents. A between-subjects vignette experiment generated "
        "by `python -m trustmodels.simulation.simulate` from a documented generative model with "
        "known true parameters (see raw/trust_repair_simulated.truth.json and data/README.md). "
        "Each simulated respondent saw a seller profile with a fan count (log-uniform 10^2 to "
        "10^6), a customer complaint about a competence violation (defective product) or an "
        "integrity violation (misleading product description), and the seller's public "
        "response (none, apology or denial); 150 respondents per response x violation cell. "
        "Measures: trusting beliefs (competence, benevolence, integrity; after McKnight, "
        "Choudhury & Kacmar 2002), purchase intention, disposition to trust (after Gefen 2000), "
        "an attention check and covariates; item wordings are adapted, not the original items. "
        "The size of the response effects is calibrated to the meta-analysis of Yuan, Dong & "
        f"Li (2017): d = {target['value']} for apology vs the meta-analysis's pooled control "
        "groups (no response and denial in equal shares) on the mean trusting belief (latent "
        f"apology-vs-none effect {CALIBRATED_RESPONSE_SCALE} SD). Directions of the violation-type "
        "pattern follow Kim, Ferrin, Cooper & Dirks (2004) and of the fan-count moderation "
        "Matzat & Snijders (2012); the SIZES of the fan-count effects, of the interactions, "
        "of the disposition and purchase-frequency relations are ASSUMPTIONS. About 3% of "
        "answers are missing (completely at random, more on later items) and about 5% of "
        "respondents are careless (straight-liners, random answerers, speeders); the truth "
        "file lists them."
    )
    schema = {
        "fields": _fields(),
        "missingValues": [""],
        "primaryKey": ["respondent_id"],
    }
    resource = {
        "name": RESOURCE_NAME,
        "title": "Trust repair vignette survey (SIMULATED)",
        "description": "SIMULATED: one row per simulated respondent; see the package description.",
        "path": CSV_PATH,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
        "trustmodels": {
            "id": "respondent_id",
            "design": ["seller_response", "violation"],
            "fan_count": "fan_count",
            "constructs": {name: list(items) for name, items in CONSTRUCT_ITEMS.items()},
            "outcomes": list(DEFAULT_OUTCOMES),
            "covariate": DISPOSITION_CONSTRUCT,
            "attention_check": {"field": "attention_check", "correct": ATTENTION_CHECK_CORRECT},
            "duration": "duration_s",
            "covariates": ["purchase_freq", "social_media_use", "age_group", "gender"],
            "simulated": True,
        },
    }
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "trust-repair-simulated",
        "title": "Trust repair after customer complaints: SIMULATED vignette survey",
        "description": description,
        "version": "1.0.0",
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0",
            }
        ],
        "keywords": ["simulated data", "trust repair", "vignette", "Likert", "apology"],
        "resources": [resource],
    }


def simulated_study_design():
    """Return the declared design of the simulated survey, as its codebook states it.

    Returns
    -------
    trustmodels.design.StudyDesign
        Factors ``seller_response`` (none, apology, denial) and ``violation`` (competence,
        integrity), the moderator ``fan_count`` (log10, centred at 10^4 followers), the
        covariate ``disposition`` and the three trusting beliefs as outcomes: with
        :func:`trustmodels.models.declared.build_design_model` the main model.

    Examples
    --------
    >>> design = simulated_study_design()
    >>> design.covariate, design.outcomes
    ('disposition', ('competence', 'benevolence', 'integrity'))
    """
    from trustmodels.design import StudyDesign
    from trustmodels.survey.codebook import Codebook

    return StudyDesign.from_codebook(Codebook.from_dict(simulated_datapackage()))
