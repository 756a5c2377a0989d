"""The front door: ``import trustmodels as tm`` gives the names a user needs, lazily."""

from __future__ import annotations

import re
import subprocess
import sys

import trustmodels as tm

#: The public names. Adding or removing one is a decision about the package's interface: change
#: this list, the table in trustmodels/__init__.py and the CHANGELOG together.
PUBLIC = [
    "Moderator", "OrdinalPriors", "StudyDesign", "build_design_model", "factor_contrasts",
    "simulate_design_survey", "__version__", "apply_exclusions", "build_metric_model",
    "build_moderation_model", "build_ordinal_model", "category_counts", "compare_models",
    "describe_run", "diagnostics_table", "fit", "latent_contrasts", "load_simulated_survey",
    "load_simulated_truth", "design_table", "draft_codebook", "load_wine",
    "plot_counts_by_condition", "plot_factor_contrasts", "plot_contrasts_across", "run_report",
    "ReportSettings", "PlanSpec", "Scenario", "Hypothesis", "DesignVariant", "PlanBlock",
    "run_plan", "assurance", "plot_assurance", "LaplaceFitter",
    "run_replications", "contrast_weights", "recovery_performance", "plot_recovery_performance",
    "run_sbc", "SBCSettings", "detection_rate", "plot_sbc_ecdf",
    "load_survey", "loo_summary", "plot_category_counts", "plot_contrast_forest",
    "plot_floodlight", "plot_likert_by_condition", "predictive_draws", "prior_sensitivity",
    "reader_table", "reliability_table", "response_contrasts", "summarize_draws",
    "validate_survey", "exclusions_by", "cumulative_logit_shifts", "plot_cumulative_logit_shifts",
    "item_correlation_check", "rope_decision", "model_spec",
    "combine_effects", "moderation_contrasts", "floodlight_table", "design_from_formula",
]


def test_the_public_names_are_pinned():
    assert sorted(tm.__all__) == sorted(PUBLIC)


def test_every_public_name_resolves_and_is_documented():
    for name in PUBLIC:
        value = getattr(tm, name)
        if name != "__version__":
            assert value.__doc__, name
            assert name in tm.__doc__, f"{name} is missing from the front door's table"


def test_an_unknown_name_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'build_everything'"):
        tm.build_everything  # noqa: B018


def test_importing_the_package_loads_neither_pymc_nor_jax():
    code = ("import sys, trustmodels as tm; tm.load_survey; "
            "print(sorted(m for m in ('pymc', 'jax', 'pytensor') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]", result.stdout


def test_the_api_reference_page_documents_every_public_name():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "book" / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. auto(?:function|class):: trustmodels\.(\w+)$", page, re.M))
    assert documented == set(PUBLIC) - {"__version__"}


#: The package's top level: the front door, the settings, the command line and the declared
#: design (its classes, and the same design stated as a formula); everything else lives in one
#: folder per concern.
TOP_LEVEL_MODULES = {"__init__", "__main__", "_version", "cli", "config", "design",
                     "design_formula"}
SUBPACKAGES = {"analysis", "datasets", "inference", "models", "planning", "plots", "report",
               "simulation",
               "survey"}


def test_the_package_has_one_folder_per_concern():
    from pathlib import Path

    package = Path(tm.__file__).parent
    modules = {path.stem for path in package.glob("*.py")}
    folders = {path.name for path in package.iterdir()
               if path.is_dir() and (path / "__init__.py").is_file()}
    assert modules == TOP_LEVEL_MODULES, f"new top-level module(s): {modules - TOP_LEVEL_MODULES}"
    assert folders == SUBPACKAGES


def test_the_survey_layer_imports_nothing_else_of_the_package():
    """``trustmodels.survey`` is generic: any codebook, any study (it may import the settings)."""
    from pathlib import Path

    folder = Path(tm.__file__).parent / "survey"
    for path in folder.glob("*.py"):
        imported = set(re.findall(r"^\s*(?:from|import) (trustmodels(?:\.\w+)?)", path.read_text(),
                                  re.M))
        foreign = {name for name in imported
                   if name not in {"trustmodels.survey", "trustmodels.config"}}
        assert not foreign, f"{path.name} imports {foreign}"
