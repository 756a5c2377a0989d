"""Sphinx directives that fill the book's front and back matter at build time.

``_config.yml`` loads this module as a Sphinx extension. Each directive turns the output of a
small, tested function into docutils nodes, so that no page repeats a fact by hand:

``trustmodels-codebook``
    the codebook table of ``data/datapackage.json`` (:mod:`booktools.codebook_table`);
    the page is rebuilt when the JSON changes.
``trustmodels-truth``
    the calibration, true effects and assumptions of the simulated survey's truth file.
``trustmodels-citation``
    the version and recommended citation from ``CITATION.cff`` (:mod:`booktools.citation`).
``trustmodels-colophon``
    package versions, git commit, build date (:mod:`booktools.colophon`); the page is
    re-read on every build so that the commit and the date are current.

It also puts the package version in the footer of every page, each chapter's execution time
at its top, makes the search find every
page that contains a word (:class:`EnglishSearch`) and labels the bibliography by author and year
as the text cites it (:class:`AuthorYearStyle`).

Paths in directive arguments are relative to the project root (Sphinx's source folder).
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.search.en import SearchEnglish
from sphinx.util.docutils import SphinxDirective

from booktools import citation, codebook_table, colophon

__all__ = ["AuthorYearLabels", "AuthorYearStyle", "EnglishSearch", "setup"]


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], classes: list[str]) -> nodes.table:
    table = nodes.table(classes=classes)
    group = nodes.tgroup(cols=len(header))
    table += group
    group.extend(nodes.colspec(colwidth=1) for _ in header)
    head = nodes.thead()
    body = nodes.tbody()
    group += head
    group += body
    for target, values in ((head, [header]), (body, rows)):
        for values_row in values:
            row = nodes.row()
            for value in values_row:
                entry = nodes.entry()
                entry += nodes.paragraph(text=str(value))
                row += entry
            target += row
    return table


class CodebookDirective(SphinxDirective):
    """Insert the codebook table of a data package (argument: path from the project root)."""

    required_arguments = 1
    option_spec = {"resource": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        """Read the data package and return its table."""
        path = Path(self.env.srcdir) / self.arguments[0]
        self.env.note_dependency(str(path))
        try:
            rows = codebook_table.codebook_rows(path, self.options.get("resource"))
        except ValueError as error:
            raise self.error(str(error)) from None
        return [_table(codebook_table.CODEBOOK_COLUMNS, rows, ["trustmodels-codebook"])]


class TruthDirective(SphinxDirective):
    """Insert the truth tables of a simulated data set (argument: path from the project root)."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        """Read the truth file and return its three tables with captions."""
        path = Path(self.env.srcdir) / self.arguments[0]
        self.env.note_dependency(str(path))
        try:
            tables = codebook_table.truth_tables(path)
        except ValueError as error:
            raise self.error(str(error)) from None
        captions = {"calibration": "Calibrated", "effects": "True design effects",
                    "assumptions": "Assumptions and their basis"}
        result: list[nodes.Node] = []
        for key, caption in captions.items():
            result.append(nodes.rubric(text=caption))
            result.append(_table(codebook_table.TRUTH_COLUMNS[key], tables[key],
                                 [f"trustmodels-truth-{key}"]))
        return result


class CitationDirective(SphinxDirective):
    """Insert the version, an APA reference and a BibTeX entry from ``CITATION.cff``."""

    optional_arguments = 1

    def run(self) -> list[nodes.Node]:
        """Read ``CITATION.cff`` and return the citation block."""
        path = Path(self.env.srcdir) / (self.arguments[0] if self.arguments else "CITATION.cff")
        self.env.note_dependency(str(path))
        try:
            cff = citation.read_cff(path)
        except OSError as error:
            raise self.error(f"{path}: {error.strerror}") from None
        version = nodes.paragraph()
        version += nodes.strong(text="Version: ")
        version += nodes.literal(text=str(cff["version"]), classes=["trustmodels-version"])
        version += nodes.Text(f" (released {cff.get('date-released', 'not yet')}; licence "
                              f"{cff.get('license', 'see LICENSE')} for code)")
        apa = nodes.paragraph(text=citation.apa_citation(cff))
        bibtex = nodes.literal_block(text=citation.bibtex_citation(cff), language="bibtex")
        result = [version, nodes.rubric(text="APA"), apa, nodes.rubric(text="BibTeX"), bibtex]
        chapters = _chapters(Path(self.env.srcdir))
        if chapters:
            for path, _ in chapters:
                self.env.note_dependency(str(path))
            entries = "\n\n".join(
                citation.chapter_bibtex(cff, number, title,
                                        path.relative_to(self.env.srcdir).with_suffix(".html")
                                        .as_posix())
                for number, (path, title) in enumerate(chapters, start=1))
            result += [nodes.rubric(text="BibTeX, one entry per chapter"),
                       nodes.literal_block(text=entries, language="bibtex")]
        return result


def _chapters(root: Path) -> list[tuple[Path, str]]:
    """Return the book's chapters (the notebooks of the table of contents) with their titles."""
    import json

    from booktools.bookexec import toc_notebooks

    chapters = []
    for path in toc_notebooks(root):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        lines = [line for cell in cells if cell["cell_type"] == "markdown"
                 for line in "".join(cell["source"]).splitlines()]
        title = next((line[2:].strip() for line in lines if line.startswith("# ")), path.stem)
        chapters.append((path, title))
    return chapters


class ColophonDirective(SphinxDirective):
    """Insert the build facts and the versions of the key packages."""

    def run(self) -> list[nodes.Node]:
        """Collect the facts; ask Sphinx to re-read this page on the next build."""
        self.env.note_reread()
        root = Path(self.env.srcdir)
        facts = [("Built from commit", colophon.git_commit(root)),
                 ("Build date (UTC)", colophon.build_date()),
                 ("Python", colophon.python_version()),
                 ("requirements/lock.txt (sha256, first 12)",
                  colophon.file_digest(root / "requirements" / "lock.txt"))]
        versions = list(colophon.package_versions().items())
        result = [_table(("Build", "Value"), facts, ["trustmodels-build"]),
                  _table(("Package", "Version"), versions, ["trustmodels-versions"])]
        cache = Path(getattr(self.env.config, "nb_execution_cache_path", "") or "_build/none")
        times = colophon.execution_times(cache if cache.is_absolute() else root / cache, root)
        if times:
            result += [nodes.rubric(text="Execution time of each chapter (this build's machine; "
                                         "notebooks run side by side share its cores)"),
                       _table(("Notebook", "Executed in"), times, ["trustmodels-times"])]
        return result


def _version_in_footer(app, config) -> None:
    """Add the package version to the footer of every page (readers cite what they read)."""
    from trustmodels import __version__

    if config.html_theme != "sphinx_book_theme":  # the theme Jupyter Book uses
        return
    options = dict(config.html_theme_options or {})
    line = (f'<p class="trustmodels-version">trustmodels version {__version__}; see '
            '"Cite this" to cite it.</p>')
    options["extra_footer"] = options.get("extra_footer", "") + line
    config.html_theme_options = options


def _one_repository_url(app, config) -> None:
    """Give the live-code (thebe) config the repository of ``_config.yml`` (one setting).

    Jupyter Book passes ``repository.url`` to the theme only; sphinx-thebe would otherwise name
    its own example repository in every page.
    """
    url = (config.html_theme_options or {}).get("repository_url")
    if not url:
        return
    thebe = dict(getattr(config, "thebe_config", None) or {})
    thebe["repository_url"] = url
    thebe.setdefault("repository_branch",
                     (config.html_theme_options or {}).get("repository_branch") or "main")
    config.thebe_config = thebe


class AuthorYearLabels(BaseLabelStyle):
    """Bibliography labels as the text cites: "Kim et al. 2004", "Matzat & Snijders 2012".

    Entries that would share a label get "a", "b", ... after the year.
    """

    def format_labels(self, sorted_entries):
        """Yield one label per entry, in the order given."""
        labels = [self._label(entry) for entry in sorted_entries]
        repeated = {label for label in labels if labels.count(label) > 1}
        seen: dict[str, int] = {}
        for label in labels:
            if label in repeated:
                seen[label] = seen.get(label, 0) + 1
                label = f"{label}{'abcdefghijklmnopqrstuvwxyz'[seen[label] - 1]}"
            yield label

    @staticmethod
    def _label(entry) -> str:
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        # rich names decode LaTeX (B{\\"u}rkner -> Bürkner)
        names = [" ".join(str(name.render_as("text")) for name in person.rich_last_names)
                 for person in people] or [entry.fields.get("title", entry.key)[:20]]
        who = (names[0] if len(names) == 1 else f"{names[0]} & {names[1]}" if len(names) == 2
               else f"{names[0]} et al.")
        return f"{who} {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(PlainStyle):
    """pybtex's plain style with author-year labels (``bibtex_default_style: authoryear``)."""

    default_label_style = AuthorYearLabels


class EnglishSearch(SearchEnglish):
    """English search whose browser-side stemmer is the one the index was built with.

    Sphinx 7.4 stems the index with snowball's Porter stemmer but the queries with its own
    JavaScript Porter stemmer, and the two disagree on common words ("apology": ``apologi``
    against ``apolog``), so a search missed most pages that contain the word. Here both sides use
    snowball's Porter stemmer (the JavaScript one ships with Sphinx).
    """

    js_stemmer_rawcode = "porter-stemmer.js"
    language_name = "Porter"  # language_data.js then sets Stemmer = PorterStemmer


def _run_time_note(app, pagename, templatename, context, doctree) -> None:
    """Put each chapter's execution time, from the build's own record, above its text."""
    if doctree is None or "body" not in context:
        return
    root = Path(app.srcdir)
    source = root / f"{pagename}.ipynb"
    if not source.is_file():
        return
    cache = Path(getattr(app.config, "nb_execution_cache_path", "") or "_build/none")
    # matched by file name: the cache records absolute paths, which change when a checkout moves
    times = {Path(name).name: seconds for name, seconds in
             colophon.execution_times(cache if cache.is_absolute() else root / cache, root)}
    seconds = times.get(Path(pagename).name)
    if seconds is not None:
        context["body"] = (f'<p class="trustmodels-runtime">This chapter executed in {seconds} '
                           'when the book was built (see the Colophon for every chapter).</p>\n'
                           + context["body"])


def setup(app) -> dict[str, object]:
    """Register the directives (Sphinx extension entry point)."""
    app.connect("html-page-context", _run_time_note)
    app.connect("config-inited", _version_in_footer)
    app.connect("config-inited", _one_repository_url)
    app.add_search_language(EnglishSearch)
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    app.add_directive("trustmodels-codebook", CodebookDirective)
    app.add_directive("trustmodels-truth", TruthDirective)
    app.add_directive("trustmodels-citation", CitationDirective)
    app.add_directive("trustmodels-colophon", ColophonDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
