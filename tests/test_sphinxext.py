"""The book's Sphinx directives, in a tiny Sphinx project built in a temporary folder."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from sphinx.application import Sphinx

from trustmodels import __version__

ROOT = Path(__file__).resolve().parents[1]


def _real_warnings(stream: io.StringIO) -> str:
    """Warnings of this build, without those that come from running Sphinx twice in a process."""
    return "\n".join(line for line in stream.getvalue().splitlines()
                     if line.strip() and "is already registered" not in line)


def _build(tmp_path: Path, body: str) -> tuple[str, str]:
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "conf.py").write_text('extensions = ["booktools.sphinxext"]\n')
    (source / "index.rst").write_text("Test\n====\n\n" + body)
    warnings = io.StringIO()
    app = Sphinx(str(source), str(source), str(tmp_path / "out"), str(tmp_path / "doctrees"),
                 "html", status=None, warning=warnings, freshenv=True)
    app.build()
    return (tmp_path / "out" / "index.html").read_text(encoding="utf-8"), _real_warnings(warnings)


def test_codebook_directive_renders_the_data_package(tmp_path):
    (tmp_path / "src").mkdir()
    shutil.copy(ROOT / "data" / "datapackage.json", tmp_path / "src" / "datapackage.json")
    html, warnings = _build(tmp_path, ".. trustmodels-codebook:: datapackage.json\n")
    assert warnings == ""
    fields = json.loads((ROOT / "data" / "datapackage.json").read_text())["resources"][0]["schema"]
    for field in fields["fields"]:
        assert f"<p>{field['name']}</p>" in html, field["name"]


def test_codebook_directive_reports_a_missing_file_in_one_line(tmp_path):
    _, warnings = _build(tmp_path, ".. trustmodels-codebook:: absent/datapackage.json\n")
    assert "absent/datapackage.json: not a readable data package" in warnings


def test_truth_directive_renders_the_three_tables(tmp_path):
    truth = ROOT / "data" / "raw" / "trust_repair_simulated.truth.json"
    html, warnings = _build(tmp_path, f".. trustmodels-truth:: {truth}\n")
    assert warnings == ""
    for caption in ("Calibrated", "True design effects", "Assumptions and their basis"):
        assert caption in html


def test_citation_directive_shows_the_package_version(tmp_path):
    html, warnings = _build(tmp_path, f".. trustmodels-citation:: {ROOT / 'CITATION.cff'}\n")
    assert warnings == ""
    version = re.escape(__version__)
    assert re.search(rf'class="trustmodels-version[^"]*"><span class="pre">{version}<', html)
    assert f"(Version {__version__})" in html


@pytest.mark.parametrize("package", ["pymc", "arviz"])
def test_colophon_directive_lists_package_versions(tmp_path, package):
    from importlib import metadata

    html, warnings = _build(tmp_path, ".. trustmodels-colophon::\n")
    assert warnings == ""
    assert f"<p>{package}</p>" in html
    assert f"<p>{metadata.version(package)}</p>" in html


def test_bibliography_labels_read_as_the_author_year_citations():
    from pybtex.database import parse_string

    from booktools.sphinxext import AuthorYearLabels

    bib = parse_string(r"""
        @article{a, author = {Kim, P. H. and Ferrin, D. L. and Cooper, C. D.}, year = {2004}}
        @article{b, author = {B{\"u}rkner, Paul-Christian and Vuorre, Matti}, year = {2019}}
        @article{c, author = {Yuan, D.}, year = {2017}}
        @article{d, author = {Yuan, D.}, year = {2017}}
    """, "bibtex")
    labels = list(AuthorYearLabels().format_labels(bib.entries.values()))
    assert labels == ["Kim et al. 2004", "Bürkner & Vuorre 2019", "Yuan 2017a", "Yuan 2017b"]
