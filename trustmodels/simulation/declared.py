"""A simulated survey of any declared design, written as a user's survey would be: CSV + codebook.

:func:`trustmodels.design.simulate_design_survey` draws the answers; :func:`write_design_survey`
writes them as a survey file (one row per respondent, or per respondent and vignette) with its
Data Package codebook, marked ``"simulated": true``, so that the command line
(``trustmodels validate``, ``trustmodels report``) can be tried, tested and timed on a design
before any data exist.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from trustmodels.design import StudyDesign

__all__ = ["write_design_survey"]


def write_design_survey(long: pd.DataFrame, design: StudyDesign, folder, *,
                        name: str = "survey", title: str = "A SIMULATED survey") -> tuple[Path,
                                                                                            Path]:
    """Write a simulated long table as ``<name>.csv`` and ``<name>.datapackage.json``.

    Parameters
    ----------
    long : pandas.DataFrame
        Output of :func:`trustmodels.design.simulate_design_survey` for ``design``.
    design : StudyDesign
        The design it was drawn from (factors, moderators, vignette, groups and covariate
        columns).
    folder : str or pathlib.Path
        Output folder (created if needed).
    name : str
        File stem.
    title : str
        Title of the data package.

    Returns
    -------
    tuple of pathlib.Path
        The CSV file and its codebook.

    Examples
    --------
    >>> import tempfile
    >>> from trustmodels.design import simulate_design_survey
    >>> design = StudyDesign({"reaction": ["silence", "excuse"]}, outcomes=["trust"])
    >>> long = simulate_design_survey(design, {"reaction[excuse]": 0.5}, n_respondents=8,
    ...                               items={"trust": ["t1", "t2"]}, seed=1)
    >>> data, codebook = write_design_survey(long, design, tempfile.mkdtemp())
    >>> data.read_text().splitlines()[0]
    'respondent,reaction,t1,t2'
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    keys = ["respondent", *([design.vignette] if design.vignette else []), *design.columns,
            *design.groups, *design.covariate_columns]
    items = list(dict.fromkeys(long["item"].astype(str)))
    categories = long.groupby(long["item"].astype(str))["n_categories"].first()
    wide = long.pivot_table(index=keys, columns="item", values="response",
                            observed=True).reset_index()
    wide.columns.name = None
    wide[items] = wide[items].round().astype("Int64")
    fields = [{"name": "respondent", "type": "string"}]
    if design.vignette:
        fields.append({"name": design.vignette, "type": "string"})
    fields += [{"name": factor, "type": "string", "categories": list(levels)}
               for factor, levels in design.factors.items()]
    for moderator, spec in design.moderators.items():
        if spec.transform == "log10":  # counts, such as followers
            wide[moderator] = wide[moderator].round().astype("int64")
            fields.append({"name": moderator, "type": "integer"})
        else:
            wide[moderator] = wide[moderator].round(4)
            fields.append({"name": moderator, "type": "number"})
    fields += [{"name": group, "type": "string"} for group in design.groups]
    for column in design.covariate_columns:
        wide[column] = wide[column].round(4)
        fields.append({"name": column, "type": "number"})
    fields += [{"name": item, "type": "integer",
                "categories": list(range(1, int(categories[item]) + 1)),
                "categoriesOrdered": True} for item in items]
    constructs = {str(construct): list(dict.fromkeys(rows["item"].astype(str)))
                  for construct, rows in long.groupby(long["construct"].astype(str), sort=False)}
    extension = {"id": "respondent", "constructs": constructs, "design": list(design.factors),
                 "moderators": {moderator: {"transform": spec.transform, "centre": spec.centre}
                                for moderator, spec in design.moderators.items()},
                 "outcomes": list(design.outcomes), "simulated": True}
    if design.covariate:
        extension["covariate"] = design.covariate
    if design.vignette:
        extension["vignette"] = design.vignette
    if design.groups:
        extension["groups"] = list(design.groups)
    if design.covariate_columns:
        extension["covariate_columns"] = list(design.covariate_columns)
    data = folder / f"{name}.csv"
    wide[[field["name"] for field in fields]].to_csv(data, index=False)
    package = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
               "title": title, "resources": [{
                   "name": name, "path": data.name, "format": "csv", "encoding": "utf-8",
                   "schema": {"fields": fields, "missingValues": [""]},
                   "trustmodels": extension}]}
    codebook = folder / f"{name}.datapackage.json"
    codebook.write_text(json.dumps(package, indent=1) + "\n", encoding="utf-8")
    return data, codebook
