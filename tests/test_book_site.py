"""Browser tests of the built website (run `make book` first; `make test` runs these).

Headless Chromium (Debian's package, driven by Playwright) reads ``_build/html`` from a local
HTTP server bound to 127.0.0.1. Every page of the table of contents must load with its title,
show all its images, show no error output, request nothing from other hosts, and link only to
pages that exist; math must render from the site's own MathJax copy, and the search must work.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
import yaml

from booktools.colophon import package_versions
from trustmodels import __version__

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("TRUSTMODELS_SITE_DIR", ROOT / "_build" / "html"))
CHROMIUM = os.environ.get("TRUSTMODELS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: Elements that show a failed cell: error outputs, tracebacks, text written to stderr.
ERROR_SELECTORS = ".output.traceback, .output.error, .output.stderr, div.stderr"
#: The word the search test looks for, and the page that must be among the hits.
SEARCH_WORD, SEARCH_HIT = "vignette", "book/data.html"
#: Text that only appears on a page when an output was rendered as a Python object's repr
#: (a figure glued without an image, a NumPy scalar or an xarray object in prose or a table).
REPRS = ("<Figure size", "<Axes", "np.float64(", "<xarray")
#: Output tables that did not go through trustmodels.plots.tables.reader_table (pandas' raw HTML).
RAW_TABLES_JS = """() => Array.from(document.querySelectorAll('.cell_output table'))
  .filter(t => !t.classList.contains('trustmodels-table'))
  .map(t => t.innerText.slice(0, 80))"""
#: The page's prose and output tables, without code blocks (whose examples may show a "-0.00" or
#: a traceback on purpose, as doctests do).
PROSE_TEXT_JS = """() => { const main = document.querySelector('main').cloneNode(true);
  main.querySelectorAll('pre, div.highlight').forEach(e => e.remove());
  return main.textContent; }"""
#: The text of the notebooks' outputs (where a failed cell would show its traceback).
OUTPUTS_TEXT_JS = """() => Array.from(document.querySelectorAll('.cell_output'))
  .map(e => e.innerText).join('\\n')"""
#: Widths at which the screenshot test renders every page: a laptop and a phone.
SCREEN_WIDTHS = {"desktop": 1366, "phone": 390}
#: Set to a folder to keep a screenshot of every page at every width (never committed).
SCREENSHOTS_ENV = "TRUSTMODELS_SCREENSHOTS"
#: The images of a page's figures: what a reader sees of each ``glue:figure`` directive.
FIGURE_IMAGES_JS = """() => Array.from(document.querySelectorAll('main figure img'))
  .map(i => ({src: i.currentSrc || i.src, natural: i.naturalWidth, shown: i.clientWidth,
              link: i.closest('a') ? i.closest('a').href : null}))"""


def _toc_entries() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                entries.append(node["file"])
            for key, value in node.items():
                if key != "file":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(toc.get("parts", toc.get("chapters", [])))
    return entries


def _source_title(entry: str) -> str:
    """Return the first level-1 heading of a page's source (Markdown file or notebook)."""
    markdown = ROOT / f"{entry}.md"
    if markdown.exists():
        lines = markdown.read_text(encoding="utf-8").splitlines()
    else:
        cells = json.loads((ROOT / f"{entry}.ipynb").read_text(encoding="utf-8"))["cells"]
        lines = [line for cell in cells if cell["cell_type"] == "markdown"
                 for line in "".join(cell["source"]).splitlines()]
    return next(line[2:].strip() for line in lines if line.startswith("# "))


def _glued_figures(entry: str) -> int:
    """Return the number of ``glue:figure`` directives in a page's source."""
    markdown = ROOT / f"{entry}.md"
    if markdown.exists():
        text = markdown.read_text(encoding="utf-8")
    else:
        cells = json.loads((ROOT / f"{entry}.ipynb").read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(cell["source"]) for cell in cells
                         if cell["cell_type"] == "markdown")
    return len(re.findall(r"\{glue:figure\}", text))


def figure_problems(images: list[dict], text: str, expected: int) -> list[str]:
    """Return what a reader would see wrong with a page's figures (empty when nothing).

    ``images`` are the page's figure images as :data:`FIGURE_IMAGES_JS` reports them, ``text``
    the page's visible text, ``expected`` the number of figures its source glues.
    """
    problems = []
    drawn = [image for image in images if image["natural"] > 0]
    if len(drawn) < expected:
        problems.append(f"{len(drawn)} figure image(s) drawn, the source glues {expected}")
    problems += [f"an empty image: {image['src'][:80]}" for image in images
                 if image["natural"] == 0]
    # sharp on high-density screens: at least 1.5 image pixels per CSS pixel shown
    problems += [f"a blurry image ({image['natural']} px shown at {image['shown']} px): "
                 f"{image['src'][:80]}" for image in drawn
                 if image["shown"] > 0 and image["natural"] < 1.5 * image["shown"]]
    problems += [f"a Python repr on the page: {repr_!r}" for repr_ in REPRS if repr_ in text]
    # readable on a phone: a tap opens the figure at full size
    problems += [f"a figure that does not open at full size: {image['src'][:80]}"
                 for image in drawn if image.get("link", image["src"]) != image["src"]]
    return problems


def _plain(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


TOC_ENTRIES = _toc_entries()


@pytest.fixture(scope="module")
def site_url():
    """Serve the built site on a free local port."""
    if not (SITE / "index.html").is_file():
        pytest.fail("build the book first: make book", pytrace=False)

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Debian's package; Playwright downloads nothing)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: run make browser", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class _Visit:
    """What happened while one page loaded."""

    def __init__(self, page, site_url: str):
        self.foreign: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        host = urlparse(site_url).netloc
        page.on("request", lambda r: self.foreign.append(r.url)
                if urlparse(r.url).scheme in ("http", "https") and urlparse(r.url).netloc != host
                else None)
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on("response", lambda r: self.failed.append(f"{r.url} (HTTP {r.status})")
                if r.status >= 400 else None)
        page.on("console", lambda m: self.console_errors.append(m.text)
                if m.type == "error" else None)


@pytest.fixture(scope="module")
def visited(site_url, browser):
    """Load every page of the table of contents once; keep what the tests inspect."""
    context = browser.new_context()
    results = {}
    for entry in TOC_ENTRIES:
        page = context.new_page()
        visit = _Visit(page, site_url)
        response = page.goto(urljoin(site_url, f"{entry}.html"), wait_until="load")
        page.evaluate("document.querySelectorAll('img[loading=lazy]')"
                      ".forEach(img => { img.loading = 'eager'; })")
        page.wait_for_function("Array.from(document.images).every(i => i.complete)",
                               timeout=30_000)
        has_math = page.locator(".math").count() > 0
        if has_math:
            page.wait_for_selector("mjx-container", timeout=30_000)
        results[entry] = {
            "status": response.status if response else None,
            "title": page.title(),
            "h1": page.locator("h1").first.inner_text(),
            "broken_images": page.evaluate(
                "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
                ".map(i => i.currentSrc || i.src)"),
            "n_images": page.evaluate("document.images.length"),
            "error_outputs": page.locator(ERROR_SELECTORS).count(),
            "red_errors": page.evaluate(
                "Array.from(document.querySelectorAll('.cell_output .ansi-red-fg, "
                ".cell_output .ansi-red-intense-fg')).map(e => e.textContent)"
                ".filter(t => /Error|Exception/.test(t))"),
            "text": page.locator("main").inner_text(),
            "figure_images": page.evaluate(FIGURE_IMAGES_JS),
            "raw_tables": page.evaluate(RAW_TABLES_JS),
            "prose_text": page.evaluate(PROSE_TEXT_JS),
            "outputs_text": page.evaluate(OUTPUTS_TEXT_JS),
            "shown_code": page.evaluate(
                "Array.from(document.querySelectorAll('.cell_input'))"
                ".filter(e => !e.closest('details')).map(e => e.innerText)"),
            "footer": "\n".join(page.locator("footer").all_inner_texts()),
            "links": page.evaluate("Array.from(document.querySelectorAll('a[href]'))"
                                   ".map(a => a.href)"),
            "has_math": has_math,
            "math_rendered": page.locator("mjx-container").count(),
            "visit": visit,
        }
        page.close()
    context.close()
    return results


@pytest.mark.parametrize("entry", TOC_ENTRIES)
def test_page_loads_with_its_title(visited, entry):
    result = visited[entry]
    assert result["status"] == 200, f"{entry}.html: HTTP {result['status']}"
    expected = _plain(_source_title(entry))
    assert expected and expected in _plain(result["h1"]), (entry, result["h1"])
    assert expected in _plain(result["title"]), (entry, result["title"])


@pytest.mark.parametrize("entry", TOC_ENTRIES)
def test_every_image_loads(visited, entry):
    assert visited[entry]["broken_images"] == [], f"{entry}: images that did not load"


@pytest.mark.parametrize("entry", TOC_ENTRIES)
def test_every_glued_figure_is_a_sharp_image_and_no_repr_shows(visited, entry):
    result = visited[entry]
    problems = figure_problems(result["figure_images"], result["text"], _glued_figures(entry))
    assert problems == [], f"{entry}: " + "; ".join(problems)


#: A one-pixel-high PNG 400 px wide, standing in for a figure image in the pages below.
_PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAZAAAAABCAAAAADVmadCAAAADklEQVR4nGNo"
        "GAWDCgAArrXIAXA9OzgAAAAASUVORK5CYII=")
_BROKEN_PAGES = {
    "a figure glued as text": (
        "<main><figure><div>&lt;Figure size 935x994.62 with 2 Axes&gt;</div>"
        "<figcaption>Trust by condition</figcaption></figure></main>", 1),
    "a NumPy repr in the prose": (
        f"<main><figure><img src='{_PNG}' style='width:200px'></figure>"
        "<p>The effect is np.float64(0.31).</p></main>", 1),
    "a figure that is missing": (f"<main><figure><img src='{_PNG}' style='width:200px'>"
                                 "</figure></main>", 2),
    "a blurry figure": (f"<main><figure><img src='{_PNG}' style='width:400px'></figure></main>",
                        1),
    "a figure a tap does not enlarge": (
        f"<main><figure><img src='{_PNG}' style='width:200px'></figure></main>", 1),
}
_GOOD_PAGE = (f"<main><figure><a href='{_PNG}'><img src='{_PNG}' style='width:200px'></a>"
              "</figure></main>")


@pytest.mark.parametrize("case", [*_BROKEN_PAGES, "a good page"])
def test_the_figure_check_fails_on_broken_pages_and_passes_a_good_one(browser, case):
    html, expected = _BROKEN_PAGES.get(case, (_GOOD_PAGE, 1))
    page = browser.new_page()
    page.set_content(html, wait_until="load")
    problems = figure_problems(page.evaluate(FIGURE_IMAGES_JS), page.locator("main").inner_text(),
                               expected)
    page.close()
    assert bool(problems) == (case != "a good page"), problems


@pytest.mark.parametrize("entry", TOC_ENTRIES)
def test_every_output_table_is_formatted_for_readers(visited, entry):
    raw = visited[entry]["raw_tables"]
    assert raw == [], f"{entry}: tables shown without trustmodels.plots.tables.reader_table: {raw}"
    zero = re.search(r"(?<![\w.])[-−]0\.0+(?![\d])", visited[entry]["prose_text"])
    assert not zero, f"{entry}: a signed zero in prose or tables: {zero}"


@pytest.mark.parametrize("entry", TOC_ENTRIES)
def test_code_shown_unfolded_glues_nothing_but_figures(visited, entry):
    # the glue of numbers into the prose is folded under "show code cell source"
    lines = [line.strip() for block in visited[entry]["shown_code"] for line in
             block.splitlines() if re.search(r"\bglue(_rows)?\(", line)
             and not re.search(r"\bglue\(\s*[\"']fig_", line)]
    assert not lines, f"{entry}: code shown unfolded glues numbers: {lines[:3]}"


#: Plural nouns and verbs that the prose pastes after a glued count.
_PLURALS = ("parameters", "fits", "respondents", "contrasts", "items", "draws", "chains",
            "simulations", "answers", "leave", "lie", "pass", "were")


@pytest.mark.parametrize("entry", TOC_ENTRIES)
def test_counts_agree_with_their_words(visited, entry):
    # "1 leave their band", "1 parameters": a glued count needs a glued word
    prose = " ".join(visited[entry]["prose_text"].split())
    wrong = re.findall(rf"(?<![\d.,−-])1 (?:{'|'.join(_PLURALS)})\b", prose)
    assert wrong == [], f"{entry}: {wrong}"


@pytest.mark.parametrize("width", SCREEN_WIDTHS)
def test_no_page_is_wider_than_the_screen(site_url, browser, width):
    """No table or figure makes a page scroll sideways, on a laptop or a phone.

    With ``$TRUSTMODELS_SCREENSHOTS`` set to a folder, a full-page screenshot of every page at
    this width is saved there (look at them before a release; they are not committed).
    """
    folder = os.environ.get(SCREENSHOTS_ENV)
    context = browser.new_context(viewport={"width": SCREEN_WIDTHS[width], "height": 900},
                                  device_scale_factor=2 if width == "phone" else 1)
    wide = {}
    for entry in TOC_ENTRIES:
        page = context.new_page()
        page.goto(urljoin(site_url, f"{entry}.html"), wait_until="load")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 1:
            wide[entry] = overflow
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{entry.replace('/', '_')}-{width}.png"),
                            full_page=True)
        page.close()
    context.close()
    assert wide == {}, f"pages wider than a {SCREEN_WIDTHS[width]} px screen (px too wide): {wide}"


@pytest.mark.parametrize("entry", TOC_ENTRIES)
def test_page_shows_no_error_output(visited, entry):
    result = visited[entry]
    assert result["error_outputs"] == 0, f"{entry}: {result['error_outputs']} error/stderr outputs"
    for text in (result["outputs_text"], result["prose_text"]):
        assert "Traceback (most recent call last)" not in text, f"{entry}: a traceback"
    assert result["red_errors"] == [], f"{entry}: error text in outputs: {result['red_errors']}"


@pytest.mark.parametrize("entry", TOC_ENTRIES)
def test_page_loads_everything_from_the_site_itself(visited, entry):
    visit = visited[entry]["visit"]
    assert visit.foreign == [], f"{entry}: requests to other hosts (CDN?): {visit.foreign}"
    assert visit.failed == [], f"{entry}: failed requests: {visit.failed}"
    assert visit.console_errors == [], f"{entry}: console errors: {visit.console_errors}"


def test_glued_values_are_bold_only_where_the_prose_makes_them_bold(site_url, browser):
    # every pasted value used to be bold (MyST-NB's style), so bold no longer marked conclusions
    page = browser.new_page()
    page.goto(urljoin(site_url, "notebooks/05_model_checks.html"), wait_until="load")
    weights = page.evaluate(
        "Array.from(document.querySelectorAll('main p span.pasted-text'))"
        ".map(e => [!!e.closest('strong, b'), parseInt(getComputedStyle(e).fontWeight)])")
    page.close()
    plain = [weight for marked, weight in weights if not marked]
    marked = [weight for marked, weight in weights if marked]
    assert plain and marked, "the chapter should paste values both plain and in bold"
    assert max(plain) <= 400, f"glued values in plain prose are bold ({max(plain)})"
    assert min(marked) >= 600, f"glued values the prose marks bold are not ({min(marked)})"


def test_math_is_rendered_by_the_local_mathjax(visited):
    with_math = [entry for entry, result in visited.items() if result["has_math"]]
    assert with_math, "no page with math found; the data page has equations"
    for entry in with_math:
        assert visited[entry]["math_rendered"] > 0, f"{entry}: math not rendered"


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


def test_internal_links_resolve(visited, site_url):
    targets: dict[str, set[str]] = {}
    for result in visited.values():
        for link in result["links"]:
            if not link.startswith(site_url):
                continue
            url, fragment = urldefrag(link)
            targets.setdefault(url, set()).add(fragment)
    assert targets, "no internal links found"
    broken = []
    for url, fragments in sorted(targets.items()):
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            broken.append(f"{url}: HTTP {error.code}")
            continue
        if url.endswith(".html") or url.endswith("/"):
            anchors = _Anchors()
            anchors.feed(body.decode("utf-8", errors="replace"))
            broken.extend(f"{url}#{f}: no such anchor" for f in fragments
                          if f and f not in anchors.ids)
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_no_built_page_loads_scripts_or_styles_from_a_cdn():
    if not (SITE / "index.html").is_file():
        pytest.fail("build the book first: make book", pytrace=False)
    external = re.compile(r"""<(?:script[^>]*\ssrc|link[^>]*\shref)=["'](?:https?:)?//""")
    offenders = [str(p.relative_to(SITE)) for p in SITE.rglob("*.html")
                 if external.search(p.read_text(encoding="utf-8", errors="replace"))]
    assert not offenders, f"pages that load scripts or styles from other hosts: {offenders}"


def test_live_code_config_of_every_page_names_the_project_repository():
    if not (SITE / "index.html").is_file():
        pytest.fail("build the book first: make book", pytrace=False)
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    ours = 'repo: "' + "/".join(url.rstrip("/").split("/")[-2:]) + '"'
    repos = re.compile(r'binderOptions:\s*\{\s*repo: "[^"]*"')
    wrong, configured = {}, 0
    for page in SITE.rglob("*.html"):
        for found in repos.findall(page.read_text(encoding="utf-8", errors="replace")):
            configured += 1
            if ours not in found:
                wrong[str(page.relative_to(SITE))] = found.split("repo: ")[-1]
    assert configured > 0, "no built page carries a live-code (thebe) config"
    assert not wrong, f"pages whose live-code (thebe) config names another repository: {wrong}"


def test_search_finds_a_word_from_a_chapter(site_url, browser):
    page = browser.new_page()
    page.goto(urljoin(site_url, f"search.html?q={SEARCH_WORD}"), wait_until="load")
    page.wait_for_selector("#search-results ul.search li", timeout=30_000)
    hits = page.evaluate("Array.from(document.querySelectorAll('#search-results ul.search li a'))"
                         ".map(a => a.href)")
    page.close()
    assert any(SEARCH_HIT in hit for hit in hits), hits


@pytest.mark.parametrize("word", ["apology", "denial"])
def test_search_finds_every_page_that_contains_a_word(visited, site_url, browser, word):
    # Sphinx 7.4 stemmed the index and the query differently: "apology" found 5 of 11 pages
    page = browser.new_page()
    page.goto(urljoin(site_url, f"search.html?q={word}"), wait_until="load")
    # results are added one by one; Sphinx says "Search finished" after the last
    page.wait_for_function("(document.querySelector('#search-results')?.innerText || '')"
                           ".includes('Search finished')", timeout=60_000)
    hits = {urldefrag(href)[0].removeprefix(site_url).removesuffix(".html") for href in
            page.evaluate("Array.from(document.querySelectorAll('#search-results ul.search "
                          "li a')).map(a => a.href)")}
    page.close()
    containing = {entry for entry, result in visited.items()
                  if re.search(rf"\b{word}\b", result["text"], re.I)}
    assert len(containing) >= 3, containing
    assert containing - hits == set(), f"pages with {word!r} that the search misses"


def test_cite_page_shows_the_package_version(visited):
    assert "book/cite" in visited, "the Cite this page is missing from _toc.yml"
    assert f"Version: {__version__}" in visited["book/cite"]["text"]


def test_every_page_shows_the_version_it_was_built_from(visited):
    missing = [entry for entry, result in visited.items()
               if f"trustmodels version {__version__}" not in result["footer"]]
    assert not missing, f"pages without the version in their footer: {missing}"


def test_a_chapters_download_is_the_executed_notebook(site_url):
    with urllib.request.urlopen(urljoin(site_url, "_sources/notebooks/03_apology_denial.ipynb"),
                                timeout=30) as response:
        notebook = json.loads(response.read())
    outputs = [output for cell in notebook["cells"] if cell["cell_type"] == "code"
               for output in cell.get("outputs", [])]
    assert outputs, "the downloadable notebook has no outputs (the empty source was offered)"


def test_cite_page_gives_a_bibtex_entry_for_the_book_and_each_chapter(visited):
    text = visited["book/cite"]["text"]
    chapters = [entry for entry in TOC_ENTRIES if (ROOT / f"{entry}.ipynb").is_file()]
    assert text.count("@misc{trustmodels,") == 1
    for number, entry in enumerate(chapters, start=1):
        assert f"@incollection{{trustmodels-ch{number}," in text, entry
        assert f"{entry}.html" in text, entry


def test_bibliography_labels_match_the_author_year_citations(visited):
    text = visited["book/bibliography"]["text"]
    assert "[Kim et al. 2004]" in text and "[Matzat & Snijders 2012]" in text
    assert not re.search(r"^\[\d+\]", text, re.M), "numeric labels in the bibliography"


def test_each_chapter_states_its_run_time(visited):
    chapters = [entry for entry in TOC_ENTRIES if (ROOT / f"{entry}.ipynb").is_file()]
    missing = [entry for entry in chapters
               if not re.search(r"This chapter executed in [\d,]+ s", visited[entry]["text"])]
    assert not missing, f"chapters without their run time: {missing}"


def test_colophon_shows_how_long_each_chapter_took(visited):
    text = visited["book/colophon"]["text"]
    chapters = [entry for entry in TOC_ENTRIES if (ROOT / f"{entry}.ipynb").is_file()]
    missing = [entry for entry in chapters if not re.search(rf"^{entry}\s+[\d,]+ s$", text, re.M)]
    assert not missing, f"chapters without an execution time in the colophon: {missing}"


def test_colophon_shows_the_installed_versions(visited):
    assert "book/colophon" in visited, "the colophon is missing from _toc.yml"
    text = visited["book/colophon"]["text"]
    for name in ("pymc", "arviz", "jupyter-book"):
        version = re.escape(package_versions((name,))[name])
        assert re.search(rf"^{name}\s+{version}$", text, re.M), name


def test_bibliography_lists_every_reference(visited):
    text = visited["book/bibliography"]["text"]
    keys = re.findall(r"^@\w+\{([^,]+),", (ROOT / "book" / "references.bib").read_text(), re.M)
    assert len(keys) >= 40
    for author in ("Putnam", "Matzat", "Kim", "Yuan", "Liddell", "Rosseel", "Merkle"):
        assert author in text, author
