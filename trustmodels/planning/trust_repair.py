"""The design analysis of this compendium's question: apology, denial and fan count.

The study the review calls for crosses a seller's response to a complaint (none, apology,
denial) with the kind of violation (competence, integrity) and the seller's fan count (log10,
centred at 10,000 followers; simulated from 100 to 1,000,000), and measures competence trust
with four 7-point items (McKnight et al., 2002). :func:`trust_repair_plan` returns it as a
:class:`~trustmodels.planning.spec.PlanSpec` with the scenarios, hypotheses and design variants of
the book's planning chapter; :data:`SCENARIO_SOURCES` says where each value comes from and which
are assumptions.

Effects are in SDs of the respondents' latent trust, as in the book's simulated survey
(:func:`trustmodels.simulation.params.default_effects`), read after a competence violation at
10,000 followers.
"""

from __future__ import annotations

from collections.abc import Sequence

from trustmodels.design import Moderator, StudyDesign
from trustmodels.planning.spec import DesignVariant, Hypothesis, PlanBlock, PlanSpec, Scenario

__all__ = ["SCENARIO_SOURCES", "TRUST_REPAIR_DESIGN", "book_effects", "trust_repair_plan"]

#: The design of the missing study.
TRUST_REPAIR_DESIGN = StudyDesign(
    {"seller_response": ["none", "apology", "denial"],
     "violation": ["competence", "integrity"]},
    outcomes=["competence"],
    moderators={"fan_count": Moderator("log10", centre=4.0, simulate_range=(-2.0, 2.0))},
    vignette="profile")

_PARTS = {"apology": "seller_response[apology]", "denial": "seller_response[denial]",
          "integrity": "violation[integrity]", "log_fans_c": "log10(fan_count)"}

APOLOGY = "seller_response[apology]"
DENIAL = "seller_response[denial]"
INTEGRITY = "violation[integrity]"
FANS = "log10(fan_count)"

#: Assumed between-study SD of the apology's effect in the meta-analytic scenario.
APOLOGY_HETEROGENEITY_SD = 0.2
#: Assumed size of Kim et al.'s crossover: apology minus denial after an integrity violation.
CROSSOVER_SIZE = -0.2

SCENARIO_SOURCES = {
    "review": "The book's simulated truth: the apology effect calibrated to Yuan, Dong & Li's "
              "(2017) d = 0.44 against their pooled controls (no response and denial); the "
              "denial at 0.4 of the apology's effect, pooled; the "
              "integrity attenuation (Kim et al., 2004), the fan-count weakening (the review) "
              "and the fan-count main effect: directions from the sources, sizes assumed.",
    "null": "As 'review', but the seller's response does nothing: every effect involving the "
            "apology or the denial is 0 (no apology effect, no fan-count moderation).",
    "crossover": "As 'review', but after an integrity violation a denial beats an apology by "
                 f"{-CROSSOVER_SIZE} latent SD, the crossover Kim et al. (2004) reported; the "
                 "size is assumed.",
    "online": "As 'review', but a denial does nothing after either violation (Matzat & "
              "Snijders, 2012, found denials did not rebuild trust online).",
    "meta": "As 'review', but each study's apology effect is drawn from a normal "
            "distribution around the calibrated value with a between-study SD of "
            f"{APOLOGY_HETEROGENEITY_SD} latent SD (assumed: the book has no published "
            "heterogeneity estimate for this contrast).",
}


def book_effects() -> dict[str, float]:
    """Return the book's simulated truth as effects of :data:`TRUST_REPAIR_DESIGN`.

    Returns
    -------
    dict of str to float
        Effect name (``seller_response[apology]:log10(fan_count)``) to value.

    Examples
    --------
    >>> round(book_effects()["seller_response[apology]"], 3)
    0.867
    """
    from trustmodels.simulation.params import default_effects

    return {":".join(_PARTS[part] for part in name.split(":")): value
            for name, value in default_effects().items()}


def _scenarios() -> list[Scenario]:
    review = book_effects()
    null = {k: (0.0 if ("seller_response" in k) else v) for k, v in review.items()}
    online = {k: (0.0 if DENIAL in k else v) for k, v in review.items()}
    crossover = dict(review)
    apology_integrity = review[APOLOGY] + review[f"{APOLOGY}:{INTEGRITY}"]
    # denial after an integrity violation = apology there minus the (negative) crossover size
    crossover[f"{DENIAL}:{INTEGRITY}"] = round(apology_integrity - CROSSOVER_SIZE
                                               - review[DENIAL], 6)
    return [
        Scenario("review", "the review's claims, sizes of the book's simulation", review,
                 sources=SCENARIO_SOURCES["review"]),
        Scenario("meta", "as the review, apology effect varying between studies",
                 {k: v for k, v in review.items() if k != APOLOGY},
                 uncertain={APOLOGY: (review[APOLOGY], APOLOGY_HETEROGENEITY_SD)},
                 sources=SCENARIO_SOURCES["meta"]),
        Scenario("null", "no effect of the seller's response", null,
                 sources=SCENARIO_SOURCES["null"]),
        Scenario("crossover", "a denial beats an apology after an integrity violation",
                 crossover, sources=SCENARIO_SOURCES["crossover"]),
        Scenario("online", "a denial does nothing", online, sources=SCENARIO_SOURCES["online"]),
    ]


HYPOTHESES = (
    Hypothesis("H1", "an apology beats a denial (competence violation)",
               {APOLOGY: 1.0, DENIAL: -1.0}, "positive"),
    Hypothesis("H1-integrity", "an apology beats a denial (integrity violation)",
               {APOLOGY: 1.0, DENIAL: -1.0, f"{APOLOGY}:{INTEGRITY}": 1.0,
                f"{DENIAL}:{INTEGRITY}": -1.0}, "positive"),
    Hypothesis("H2", "a denial does no better than no response (practically nil)",
               {DENIAL: 1.0}, "nil"),
    Hypothesis("H3", "more fans, a weaker apology (per tenfold followers)",
               {f"{APOLOGY}:{FANS}": 1.0}, "negative"),
    Hypothesis("H4", "popular sellers are trusted more (per tenfold followers)",
               {FANS: 1.0}, "positive"),
)

VARIANTS = (
    DesignVariant("between", "one seller profile per respondent", 1),
    DesignVariant("within", "four seller profiles per respondent (response, violation and fan "
                            "count vary within respondents)", 4),
)

#: Respondents per cell of the book's simulated survey (also run, to say what it could decide).
BOOK_SURVEY_SIZE = 150
#: Respondents per cell of the book's grid.
BOOK_SIZES = (50, 100, 200, 400, 800, 1600)


def trust_repair_plan(*, n_per_cell: Sequence[int] | None = None, replicates: int | None = None,
                      scenarios: Sequence[str] | None = None,
                      variants: Sequence[str] | None = None, seed: int = 2026) -> PlanSpec:
    """Return the design analysis of the book's planning chapter.

    Parameters
    ----------
    n_per_cell, replicates, scenarios, variants : optional
        A one-block grid instead of the book's grid: 200 replicates of the 'review' scenario
        between respondents at :data:`BOOK_SIZES`, 3,200 and :data:`BOOK_SURVEY_SIZE` per cell
        and within respondents up to 800 per cell; 200 of the 'null' scenario between
        respondents at :data:`BOOK_SIZES` and :data:`BOOK_SURVEY_SIZE`, within up to 400; 100
        replicates of the other scenarios between respondents at :data:`BOOK_SIZES`.
    seed : int
        Seed of the plan.

    Returns
    -------
    PlanSpec

    Examples
    --------
    >>> plan = trust_repair_plan(n_per_cell=(50,), replicates=2, scenarios=["null"])
    >>> len(plan.tasks()), plan.n_respondents("between", 50)
    (4, 300)
    """
    all_scenarios = _scenarios()
    if any(x is not None for x in (n_per_cell, replicates, scenarios, variants)):
        blocks = [PlanBlock(scenarios or [s.name for s in all_scenarios],
                            variants or [v.name for v in VARIANTS],
                            n_per_cell or BOOK_SIZES, replicates or 200)]
    else:
        blocks = [PlanBlock(["review"], ["between"], (*BOOK_SIZES, 3200), 200),
                  PlanBlock(["null"], ["between"], BOOK_SIZES, 200),
                  PlanBlock(["review", "null"], ["between"], (BOOK_SURVEY_SIZE,), 200),
                  PlanBlock(["review"], ["within"], BOOK_SIZES[:-1], 200),
                  PlanBlock(["null"], ["within"], BOOK_SIZES[:-2], 200),
                  PlanBlock(["meta", "crossover", "online"], ["between"], BOOK_SIZES, 100)]
    return PlanSpec(design=TRUST_REPAIR_DESIGN,
                    items={"competence": ["comp1", "comp2", "comp3", "comp4"]},
                    scenarios=all_scenarios, hypotheses=HYPOTHESES, variants=VARIANTS,
                    blocks=blocks, n_categories=7, discrimination=1.5, rope=0.1,
                    hdi_prob=0.95, seed=seed)
