"""Notebook hygiene: stored without outputs, and every file the table of contents names exists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def toc_files(toc: dict) -> list[str]:
    """Return every ``file`` entry of a Jupyter Book table of contents, root first."""
    found = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({key: value for key, value in toc.items() if key != "root"})
    return found


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.name for n in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    dirty = [index for index, cell in enumerate(cells) if cell["cell_type"] == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, f"{notebook.name}: cells {dirty} have outputs or execution counts; " \
        "clear them (jupyter nbconvert --clear-output --inplace)"


def test_every_toc_entry_exists():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    missing = [entry for entry in toc_files(toc)
               if not any((ROOT / f"{entry}{suffix}").is_file()
                          for suffix in ("", ".md", ".ipynb"))]
    assert not missing, f"_toc.yml names files that do not exist: {missing}"


def test_toc_walker_finds_nested_entries():
    toc = {"root": "intro", "parts": [{"caption": "A", "chapters": [
        {"file": "a", "sections": [{"file": "a1"}]}, {"file": "b"}]}]}
    assert toc_files(toc) == ["intro", "a", "a1", "b"]


def test_every_notebook_is_in_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = set(toc_files(toc))
    absent = [n.name for n in NOTEBOOKS if f"notebooks/{n.stem}" not in listed]
    assert not absent, f"notebooks missing from _toc.yml (the book would not show them): {absent}"


def _markdown_sources():
    root = Path(__file__).resolve().parents[1]
    for notebook in sorted((root / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        yield notebook.name, "\n".join("".join(c["source"]) for c in cells
                                       if c["cell_type"] == "markdown")
    for page in sorted((root / "book").glob("*.md")):
        yield page.name, page.read_text(encoding="utf-8")


def test_no_glued_number_sits_inside_math():
    # a glue role inside $...$ is not pasted: the page showed "Normal(0, glue:text\prior...)"
    # typeset as math
    inside = []
    for name, text in _markdown_sources():
        for paragraph in text.replace("$$", "\x00").split("\n\n"):
            spans = paragraph.split("$")[1::2]  # the inline math spans, in order
            inside += [(name, span) for span in spans if "{glue" in span]
    assert inside == []
