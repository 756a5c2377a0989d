"""The report's notebook: the cells that analyse a survey of any declared design.

Every cell calls the package (the same functions as the book's chapters); the notebook only
orders them, explains them and writes their tables. :func:`report_notebook` returns it with the
settings of one run in its first code cell, so that the executed ``report.ipynb`` can be opened,
changed and rerun by the user.
"""

from __future__ import annotations

import json
from typing import Any

import nbformat

__all__ = ["report_notebook"]

_SETUP = '''\
import json
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

import trustmodels as tm
from trustmodels.analysis.checks import category_counts, predictive_draws
from trustmodels.analysis.item_correlations import item_correlation_check
from trustmodels.analysis.proportional_odds import cumulative_logit_shifts
from trustmodels.analysis.contrasts import factor_contrasts
from trustmodels.analysis.effects import DEFAULT_ROPES, summarize_draws
from trustmodels.analysis.reliability import reliability_table
from trustmodels.config import installed_versions
from trustmodels.design import StudyDesign, condition_labels, design_table, prepare_design_data
from trustmodels.inference.diagnostics import FitDiagnosticsError, diagnostics_table
from trustmodels.inference.sampling import fit
from trustmodels.models.declared import build_design_model
from trustmodels.plots.design import (
    plot_contrasts_across,
    plot_counts_by_condition,
    plot_cumulative_logit_shifts,
    plot_factor_contrasts,
)
from trustmodels.plots.likert import plot_likert_by_condition
from trustmodels.plots.tables import agree, reader_table
from trustmodels.report.run import figure_with_alt, gate_thresholds
from trustmodels.survey.codebook import Codebook
from trustmodels.survey.exclusions import apply_exclusions, exclusions_by
from trustmodels.survey.table import load_survey

import logging

warnings.filterwarnings("ignore")  # library chatter; the report states what matters
logging.getLogger("pymc").setLevel(logging.ERROR)
OUT = Path(".")
ROPES = {"latent": SETTINGS["rope"], "agree": DEFAULT_ROPES["agree"],
         "expected": DEFAULT_ROPES["expected"]}


def save(table, name):
    """Write one of the report's tables as CSV beside the report."""
    table.to_csv(OUT / f"{name}.csv", index=False)
    return table
'''

_LOAD = '''\
codebook = Codebook.from_file(SETTINGS["codebook"])
survey = load_survey(SETTINGS["data"], codebook)
kept, exclusions = apply_exclusions(survey)
design = StudyDesign.from_codebook(codebook, outcomes=SETTINGS["outcomes"])
long = design_table(kept)
prepared = prepare_design_data(long, design)  # one clear line if the data cannot support it
size = (f"{survey.n_rows} rows (respondent x vignette), {survey.n_respondents} respondents"
        if design.vignette else f"{survey.n_respondents} respondents")
display(Markdown(
    f"**{survey.source}** is valid against its codebook: {size}, {len(codebook.items)} "
    f"{agree(len(codebook.items), 'item', 'items')} in {len(codebook.constructs)} "
    f"{agree(len(codebook.constructs), 'construct', 'constructs')}. After the screening rules "
    f"{exclusions.n_after} of {exclusions.n_before} respondents remain."))
save(exclusions.table.reset_index(), "exclusions")
display(reader_table(exclusions.table))
if design.factors and exclusions.n_after < exclusions.n_before:
    by_condition = exclusions_by(survey, exclusions, list(design.factors))
    cells_only = by_condition.iloc[:-1]
    display(Markdown(
        f"Excluded per condition: {cells_only['excluded_pct'].min():.1f}% to "
        f"{cells_only['excluded_pct'].max():.1f}% (Pearson's chi-squared test of equal shares: "
        f"p = {by_condition.attrs['chi2_p']:.2f}). Screening that removes more respondents in "
        "one condition than in another changes the comparison between them."))
    display(reader_table(save(by_condition, "exclusions_by_condition")))
'''

_CELLS = '''\
occasions = prepared.occasions
factors = list(design.factors)
if factors:
    cells = (occasions.groupby([occasions[name].astype(str) for name in factors])
             .agg(ratings=("respondent", "size"), respondents=("respondent", "nunique"))
             .reset_index())
else:
    cells = pd.DataFrame({"ratings": [len(occasions)],
                          "respondents": [occasions["respondent"].nunique()]})
display(Markdown(
    "Design: factors " + (", ".join(f"**{n}** ({', '.join(levels)}; reference "
                                     f"{levels[0]})" for n, levels in design.factors.items())
                          or "none")
    + "; moderators " + (", ".join(f"**{n}** ({m.transform}, centred at {m.centre:g})"
                                    for n, m in design.moderators.items()) or "none")
    + f"; covariate {design.covariate or 'none'}"
    + (f"; adjusted for the numeric columns {', '.join(design.covariate_columns)} (z-scored)"
       if design.covariate_columns else "")
    + f"; outcomes {', '.join(design.outcomes)}"
    + (f"; each respondent rates several vignettes (**{design.vignette}**)"
       if design.vignette else "; one rating per respondent")
    + (f"; grouping factors crossed with respondents: "
       f"{', '.join(f'**{g}**' for g in design.groups)}" if design.groups else "") + "."))
reader_table(save(cells, "cells"))
'''

_LIKERT = '''\
if len(design.factors) >= 1:
    figure = plot_likert_by_condition(kept, constructs=list(design.outcomes))
    display(figure_with_alt(
        figure, "Stacked bars of the answer categories of each outcome item, by condition"))
else:
    display(Markdown("The design has no factor: no answers by condition to show."))
'''

_RELIABILITY = '''\
multi_item = {name: items for name, items in codebook.constructs.items() if len(items) >= 2}
if multi_item:
    reliability = reliability_table(kept.wide[[i for items in multi_item.values()
                                               for i in items]].astype("float64"), multi_item)
    display(reader_table(save(reliability, "reliability")))
else:
    display(Markdown("Every construct has a single item: no internal consistency to report."))
'''

_MODEL = '''\
# latent scale: 1 = the SD of respondents' intercepts
model = build_design_model(long, design, random_slopes=SETTINGS.get("random_slopes", False))
priors = model.trustmodels_spec.priors
display(Markdown(
    f"The multilevel cumulative-link (logit) model of the declared design has "
    f"{len(model.coords['effect'])} {agree(len(model.coords['effect']), 'effect', 'effects')} "
    f"({', '.join(model.coords['effect'])}), a latent intercept for each of "
    f"{len(model.coords['respondent'])} respondents, and thresholds and a discrimination for "
    f"each of {len(model.coords['item'])} {agree(len(model.coords['item']), 'item', 'items')}. "
    + (f"Each respondent also has their own deviation from the average effect of "
       f"{', '.join(model.coords['slope'])} (random slopes, SD prior HalfNormal("
       f"{model.trustmodels_spec.slope_sd})). " if "slope" in model.coords else "")
    + "".join(f"Each of the {len(model.coords[g])} levels of {g} has a latent intercept too "
              f"(SD prior HalfNormal({model.trustmodels_spec.group_sd})). "
              for g in design.groups)
    + (f"It adjusts for {', '.join(design.covariate_columns)}, each z-scored with a slope of "
       f"its own (prior Normal(0, {priors.disposition_sd})) and no interactions. "
       if design.covariate_columns else "")
    + f"Priors: effects "
    f"Normal(0, {priors.effect_sd}), discriminations LogNormal(0, "
    f"{priors.discrimination_log_sd}), thresholds {priors.cutpoint_prior}."))
labels = condition_labels(long, design)
prior = predictive_draws(model, kind="prior", draws=200, random_seed=SETTINGS["seed"])
prior_counts = category_counts(prior, group="prior_predictive", by=labels)
figure = plot_counts_by_condition(prior_counts, title="Prior predictive check by condition")
display(figure_with_alt(
    figure, "Prior predictive check: answer category counts by condition, observed "
            "against the range the priors predict"))
'''

_FIT = '''\
failure = SETTINGS.get("gate_failure")
idata = None
if failure is None:
    try:
        idata = fit(model, draws=SETTINGS["draws"], tune=SETTINGS["tune"],
                    chains=SETTINGS["chains"], cores=SETTINGS["cores"],
                    random_seed=SETTINGS["seed"], label="report fit",
                    thresholds=gate_thresholds(SETTINGS["quick"]), cache=True)
    except FitDiagnosticsError as error:
        failure = str(error)
if failure is None:
    gate = diagnostics_table(idata)
    save(gate.rename_axis("parameter").reset_index(), "diagnostics")
    worst = (gate.groupby(gate.index.str.split("[").str[0], sort=False)
             .agg(parameters=("r_hat", "size"), r_hat=("r_hat", "max"),
                  ess_bulk=("ess_bulk", "min"), ess_tail=("ess_tail", "min"))
             .rename_axis("variable"))
    limits = gate_thresholds(SETTINGS["quick"])
    display(Markdown(
        f"**The fit passes the convergence gate** (R-hat below {limits.rhat_max}, bulk and "
        f"tail ESS of at least {limits.ess_min:.0f}, {limits.max_divergences} divergences, "
        f"E-BFMI above {limits.bfmi_min})"
        + (": the looser gate of a quick preview" if SETTINGS["quick"] else "")
        + "; the estimates below can be read. Per variable, its largest R-hat and smallest "
        "effective sample sizes (every parameter: `diagnostics.csv`):"))
    display(reader_table(worst))
else:
    display(Markdown(
        f"**The fit FAILS the convergence gate**: {failure}. No estimate of this fit is a "
        "result, so none is shown. What to do: rerun with more tuning and draws "
        "(`--tune 2000 --draws 2000`), check the design's cells above for empty or tiny "
        "cells, and look for items that nobody answered in some categories."))
'''

_PPC = '''\
if idata is not None:
    idata = predictive_draws(model, idata, kind="posterior", random_seed=SETTINGS["seed"])
    posterior_counts = save(category_counts(idata, by=labels), "predictive_by_condition")
    inside = posterior_counts["inside"].mean()
    display(Markdown(f"{inside:.0%} of the observed category counts lie inside the 90% "
                     "predictive intervals of their condition."))
    figure = plot_counts_by_condition(posterior_counts,
                                      title="Posterior predictive check by condition")
    display(figure_with_alt(
        figure, "Posterior predictive check: answer category counts by condition, "
                "observed against the 90% predictive intervals of the fitted model"))
    if len(set(labels)) > 1:  # proportional odds: does each condition shift every threshold?
        shifts = save(cumulative_logit_shifts(idata, by=labels), "proportional_odds")
        figure = plot_cumulative_logit_shifts(shifts)
        display(figure_with_alt(
            figure, "Proportional-odds check: departures from a parallel shift of the "
                    "cumulative logits, per condition and threshold, with predictive intervals"))
        display(Markdown(
            f"Proportional odds: {int(shifts['inside'].sum())} of {len(shifts)} departures "
            "from a parallel shift (each condition against the first, threshold by threshold) "
            "lie inside their 90% predictive intervals; about one in ten outside is chance. "
            "Many more outside would mean that a condition moves some answer categories more "
            "than others, which the model's single shift per condition cannot follow."))
    construct_of = long.drop_duplicates("item").set_index("item")["construct"].astype(str)
    item_construct = [construct_of[item] for item in prepared.items]
    if len(set(item_construct)) > 1:  # one latent variable: do items of a construct agree more?
        correlations = save(item_correlation_check(
            idata, item_construct=item_construct, respondent=prepared.occasion_index,
            item=prepared.item_index), "item_correlations")
        summary = correlations.iloc[-1]
        verdict = ("inside" if summary["inside"] else
                   "above" if summary["observed"] > summary["predicted_high"] else "below")
        display(Markdown(
            f"Measurement structure: the mean correlation of two items of the same construct "
            f"minus that of two items of different constructs is {summary['observed']:.2f}; "
            f"the model predicts {summary['predicted_mean']:.2f} "
            f"({summary['predicted_low']:.2f} to {summary['predicted_high']:.2f}, 90%), so "
            f"the observed difference lies **{verdict}** its predictive interval. "
            + ("The one latent variable of the model reproduces how the constructs go together."
               if verdict == "inside" else
               "The model has one latent variable for all outcome items; the answers keep the "
               "constructs apart (or together) more than that allows, so read the contrasts as "
               "effects on what the constructs share, or analyse each construct on its own "
               "(`--outcomes`).")))
        display(reader_table(correlations))
'''

_CONTRASTS = '''\
at = {name: values for name, values in (SETTINGS["at"] or {}).items()}
contrast_tables = []
if idata is not None:
    for factor in design.factors:
        for scale in ("latent", "agree", "expected"):
            contrast_tables.append(factor_contrasts(idata, design, factor, scale=scale, at=at,
                                                    rope=ROPES[scale]))
        figure = plot_factor_contrasts(contrast_tables[-3], rope=ROPES["latent"])
        display(figure_with_alt(
            figure, f"Contrasts between the levels of {factor} on the latent scale, "
                    "with HDIs and the region of practical equivalence"))
    if contrast_tables:
        contrasts = save(pd.concat(contrast_tables, ignore_index=True), "contrasts")
        display(reader_table(contrasts.drop(columns=["hdi_prob", "rope_low", "rope_high",
                                                     "p_in_rope"])))
    if design.covariate_columns:  # adjustments: their slopes, not experimental effects
        draws = idata["posterior"]["beta_columns"]
        slopes = save(pd.DataFrame([
            {"covariate_column": name, **summarize_draws(
                draws.sel(covariate_column=name).to_numpy(),
                rope=(-ROPES["latent"], ROPES["latent"]))}
            for name in design.covariate_columns]), "covariate_columns")
        display(Markdown(
            "Slopes of the covariate columns the model adjusts for (latent SD per SD of the "
            "column). They are associations, not effects of the manipulation:"))
        display(reader_table(slopes.drop(columns=["hdi_prob", "rope_low", "rope_high",
                                                  "p_in_rope"])))
else:
    display(Markdown("No contrasts: the fit failed the convergence gate."))
'''

_FLOODLIGHT = '''\
floodlight = []
if idata is not None:
    for name, moderator in design.moderators.items():
        observed = pd.to_numeric(occasions[name]).to_numpy(float)
        grid = (np.geomspace(observed.min(), observed.max(), 25) if moderator.transform == "log10"
                else np.linspace(observed.min(), observed.max(), 25))
        for factor in design.factors:
            table = factor_contrasts(idata, design, factor, at={name: grid}, rope=ROPES["latent"])
            floodlight.append(table.assign(moderator=name))
            figure = plot_contrasts_across(table, name, rope=ROPES["latent"],
                                           log_axis=moderator.transform == "log10")
            display(figure_with_alt(
                figure, f"Contrasts of {factor} across the values of {name}, with "
                        "pointwise HDI bands and the region of practical equivalence"))
    if floodlight:
        save(pd.concat(floodlight, ignore_index=True), "floodlight")
if not design.moderators:
    display(Markdown("The design has no numeric moderator."))
'''

_REPRODUCE = '''\
versions = installed_versions(["trustmodels", "pymc", "pytensor", "arviz", "numpy", "pandas"])
display(Markdown(
    f"Made with trustmodels {versions['trustmodels']} (PyMC {versions['pymc']}, PyTensor "
    f"{versions['pytensor']}, ArviZ {versions['arviz']}), seed {SETTINGS['seed']}, "
    f"{SETTINGS['chains']} chains of {SETTINGS['draws']} draws after {SETTINGS['tune']} tuning "
    f"steps. To reproduce it:\\n\\n```\\n{SETTINGS['command']}\\n```"))
'''


def _markdown(text: str, stage: str | None = None):
    cell = nbformat.v4.new_markdown_cell(text)
    if stage:
        cell.metadata["trustmodels_stage"] = stage
    return cell


def _code(source: str, stage: str, tags: tuple[str, ...] = ()):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["trustmodels_stage"] = stage
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def report_notebook(settings: dict[str, Any]):
    """Return the report notebook for one run (not executed).

    Parameters
    ----------
    settings : dict
        JSON-serialisable settings: ``data``, ``codebook`` (paths), ``title``, ``simulated``,
        ``quick``, ``outcomes`` (list or None), ``at`` (moderator -> values or None),
        ``draws``, ``tune``, ``chains``, ``cores``, ``seed``, ``rope``, ``command`` and
        ``gate_failure`` (None, or the message of a fit that failed the gate before the
        notebook ran).

    Returns
    -------
    nbformat.NotebookNode
        Cells tagged with the stage they belong to (metadata ``trustmodels_stage``).

    Examples
    --------
    >>> notebook = report_notebook({"title": "My survey", "quick": True, "simulated": False})
    >>> notebook.cells[0].source.splitlines()[0]
    '# Report: My survey'
    >>> sorted({cell.metadata.get("trustmodels_stage") for cell in notebook.cells} - {None})[:3]
    ['checks', 'contrasts', 'data']
    """
    labels = []
    if settings.get("simulated"):
        labels.append("**SIMULATED DATA**: the codebook says these data are simulated.")
    if settings.get("quick"):
        labels.append("**QUICK PREVIEW**: few draws and chains; for a first look, not for "
                      "conclusions. Run the report without `--quick` for results.")
    header = "\n\n".join([f"# Report: {settings.get('title') or 'survey'}", *labels,
                          "A report of `trustmodels report`: the survey is validated against "
                          "its codebook, described, and analysed with the multilevel ordinal "
                          "model of its declared design, which is checked before any estimate "
                          "is shown."])
    parameters = "SETTINGS = " + json.dumps(settings, indent=1, default=str)
    parameters = parameters.replace(": null", ": None").replace(": true", ": True")
    parameters = parameters.replace(": false", ": False")
    cells = [
        _markdown(header),
        _code(parameters, "setup", tags=("parameters",)),
        _code(_SETUP, "setup"),
        _markdown("## Data, validation and exclusions", "data"),
        _code(_LOAD, "data"),
        _markdown("## Design and cell sizes", "data"),
        _code(_CELLS, "data"),
        _markdown("## Answers by condition", "describe"),
        _code(_LIKERT, "describe"),
        _markdown("## Reliability of each construct", "describe"),
        _code(_RELIABILITY, "describe"),
        _markdown("## The model and its prior predictive check", "model"),
        _code(_MODEL, "model"),
        _markdown("## The fit and the convergence gate", "fit"),
        _code(_FIT, "fit"),
        _markdown("## Posterior predictive check by condition", "checks"),
        _code(_PPC, "checks"),
        _markdown("## Contrasts of every factor\n\nEvery pair of levels, on the latent scale "
                  "(in latent SD: one standard deviation of the respondents' latent intercepts), "
                  "as the probability of agreeing (an answer above the scale's midpoint) and "
                  "as the expected rating, "
                  "averaged over the other factors, at the moderators' centres (or the values "
                  "asked for). Each row has the posterior mean, the 95% highest-density interval "
                  "(HDI), the probability of direction and the decision against the region of "
                  "practical equivalence (ROPE): *different from zero* when the HDI lies "
                  "outside it, *practically equivalent* when inside, else *undecided*.",
                  "contrasts"),
        _code(_CONTRASTS, "contrasts"),
        _markdown("## Contrasts across each numeric moderator (floodlight)\n\nThe bands are "
                  "pointwise 95% HDIs.", "contrasts"),
        _code(_FLOODLIGHT, "contrasts"),
        _markdown("## Versions and how to reproduce this report", "reproduce"),
        _code(_REPRODUCE, "reproduce"),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook
