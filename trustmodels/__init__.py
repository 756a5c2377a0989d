"""trustmodels: Bayesian ordinal models of survey data on trust, checked before they are believed.

The front door, ``import trustmodels as tm``, gives the few names a user needs for a survey:

============================  ==============================================================
step                          names
============================  ==============================================================
draft its codebook            :func:`draft_codebook`
load and check a survey       :func:`load_survey`, :func:`validate_survey`,
                              :func:`apply_exclusions`, :func:`exclusions_by`,
                              :func:`load_simulated_survey`,
                              :func:`load_simulated_truth`, :func:`load_wine`
declare your design           :class:`StudyDesign` (``StudyDesign.from_codebook``),
                              :func:`design_from_formula` (``a * b * log10(m) + cov``),
                              :class:`Moderator`, :func:`design_table`,
                              :func:`simulate_design_survey`
build a model                 :func:`build_design_model`, :func:`build_moderation_model`
                              (smooth effects along a moderator) and
                              :func:`build_metric_model` (any declared design, or the
                              simulated survey's), :func:`build_ordinal_model` (that
                              survey's fixed design), :class:`OrdinalPriors`,
                              :func:`model_spec` (what a model or a fit was built from)
fit it (gated)                :func:`fit`, :func:`diagnostics_table`, :func:`describe_run`
check it                      :func:`predictive_draws`, :func:`category_counts`,
                              :func:`cumulative_logit_shifts`, :func:`item_correlation_check`,
                              :func:`loo_summary`, :func:`compare_models`,
                              :func:`prior_sensitivity`
report effects                :func:`factor_contrasts`, :func:`combine_effects` (any
                              weighted sum of effects), :func:`latent_contrasts`,
                              :func:`response_contrasts`, :func:`moderation_contrasts`
                              with :func:`floodlight_table` (where along a moderator),
                              :func:`summarize_draws`, :func:`rope_decision`,
                              :func:`reliability_table`
show them                     :func:`plot_likert_by_condition`, :func:`plot_category_counts`,
                              :func:`plot_counts_by_condition`, :func:`plot_factor_contrasts`,
                              :func:`plot_cumulative_logit_shifts`,
                              :func:`plot_contrasts_across`, :func:`plot_contrast_forest`,
                              :func:`plot_floodlight`, :func:`reader_table`
all of it, one command        :func:`run_report` with :class:`ReportSettings`
                              (``trustmodels report``)
plan the next study           :class:`PlanSpec` with :class:`Scenario`, :class:`Hypothesis`,
                              :class:`DesignVariant`, :class:`PlanBlock`; :func:`run_plan`,
                              :func:`assurance`, :func:`plot_assurance`, :class:`LaplaceFitter`
                              (``trustmodels plan``)
check recovery on a design    :func:`run_replications`, :func:`contrast_weights`,
                              :func:`recovery_performance`, :func:`plot_recovery_performance`
check calibration (SBC)       :func:`run_sbc` with :class:`SBCSettings`,
                              :func:`plot_sbc_ecdf`, :func:`detection_rate`
============================  ==============================================================

The names are imported on first use, so ``import trustmodels`` (and the command line's
``trustmodels validate``) does not load PyMC or JAX. The subpackages and modules hold
everything else.

Examples
--------
>>> import trustmodels as tm
>>> survey = tm.load_simulated_survey()
>>> survey.n_respondents > 0
True
"""

from __future__ import annotations

import importlib

from trustmodels._version import __version__

#: Public name -> module that defines it.
_FRONT_DOOR = {
    "load_survey": "trustmodels.survey.table",
    "load_simulated_survey": "trustmodels.datasets.simulated",
    "load_simulated_truth": "trustmodels.datasets.simulated",
    "validate_survey": "trustmodels.survey.validation",
    "apply_exclusions": "trustmodels.survey.exclusions",
    "exclusions_by": "trustmodels.survey.exclusions",
    "StudyDesign": "trustmodels.design",
    "design_table": "trustmodels.design",
    "draft_codebook": "trustmodels.survey.draft",
    "load_wine": "trustmodels.datasets.wine",
    "plot_counts_by_condition": "trustmodels.plots.design",
    "plot_cumulative_logit_shifts": "trustmodels.plots.design",
    "plot_factor_contrasts": "trustmodels.plots.design",
    "plot_contrasts_across": "trustmodels.plots.design",
    "run_report": "trustmodels.report.run",
    "ReportSettings": "trustmodels.report.run",
    "Moderator": "trustmodels.design",
    "simulate_design_survey": "trustmodels.design",
    "design_from_formula": "trustmodels.design_formula",
    "build_design_model": "trustmodels.models.declared",
    "factor_contrasts": "trustmodels.analysis.contrasts",
    "build_ordinal_model": "trustmodels.models.ordinal",
    "build_moderation_model": "trustmodels.models.moderation",
    "build_metric_model": "trustmodels.models.metric",
    "OrdinalPriors": "trustmodels.models.priors",
    "model_spec": "trustmodels.models.specification",
    "fit": "trustmodels.inference.sampling",
    "describe_run": "trustmodels.inference.sampling",
    "diagnostics_table": "trustmodels.inference.diagnostics",
    "predictive_draws": "trustmodels.analysis.checks",
    "category_counts": "trustmodels.analysis.checks",
    "cumulative_logit_shifts": "trustmodels.analysis.proportional_odds",
    "item_correlation_check": "trustmodels.analysis.item_correlations",
    "loo_summary": "trustmodels.analysis.checks",
    "compare_models": "trustmodels.analysis.checks",
    "prior_sensitivity": "trustmodels.analysis.checks",
    "latent_contrasts": "trustmodels.analysis.effects",
    "combine_effects": "trustmodels.analysis.combinations",
    "moderation_contrasts": "trustmodels.analysis.floodlight",
    "floodlight_table": "trustmodels.analysis.floodlight",
    "response_contrasts": "trustmodels.analysis.effects",
    "summarize_draws": "trustmodels.analysis.effects",
    "rope_decision": "trustmodels.analysis.decisions",
    "reliability_table": "trustmodels.analysis.reliability",
    "plot_likert_by_condition": "trustmodels.plots.likert",
    "plot_category_counts": "trustmodels.plots.predictive",
    "plot_contrast_forest": "trustmodels.plots.effects",
    "plot_floodlight": "trustmodels.plots.floodlight",
    "reader_table": "trustmodels.plots.tables",
    "PlanSpec": "trustmodels.planning.spec",
    "Scenario": "trustmodels.planning.spec",
    "Hypothesis": "trustmodels.planning.spec",
    "DesignVariant": "trustmodels.planning.spec",
    "PlanBlock": "trustmodels.planning.spec",
    "run_plan": "trustmodels.planning.runner",
    "assurance": "trustmodels.planning.assurance",
    "plot_assurance": "trustmodels.plots.planning",
    "LaplaceFitter": "trustmodels.planning.laplace",
    "run_replications": "trustmodels.simulation.replications",
    "contrast_weights": "trustmodels.simulation.replications",
    "recovery_performance": "trustmodels.simulation.replications",
    "plot_recovery_performance": "trustmodels.plots.recovery",
    "run_sbc": "trustmodels.simulation.sbc",
    "SBCSettings": "trustmodels.simulation.sbc",
    "detection_rate": "trustmodels.simulation.sbc",
    "plot_sbc_ecdf": "trustmodels.plots.sbc",
}

__all__ = ["__version__", *sorted(_FRONT_DOOR)]


def __getattr__(name: str):
    """Import a front-door name on first use (PEP 562)."""
    module = _FRONT_DOOR.get(name)
    if module is None:
        raise AttributeError(f"module 'trustmodels' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_FRONT_DOOR})
