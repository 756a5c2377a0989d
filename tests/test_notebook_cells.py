"""What a chapter's page shows of its code: the calls that matter, not the glue.

Cells that only glue numbers into the prose are folded on the page (tag ``hide-input``, "show
code cell source"), so a reader sees the calls that load, build, fit, check and summarize. A
shown cell may glue only a figure it draws and closes (a figure left open at the end of a cell
would be drawn a second time).
"""

import ast
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
GLUE_FUNCTIONS = {"glue", "glue_rows"}


def _is_call_of(node, names) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in names)


def shown_glue(source: str) -> list[str]:
    """Return the statements of a cell that glue something other than a figure it closes."""
    statements = ast.parse(source).body
    closed = {ast.unparse(s.value.args[0]) for s in statements
              if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
              and ast.unparse(s.value.func) == "plt.close" and s.value.args}
    found = []
    for statement in statements:
        if isinstance(statement, ast.Expr) and _is_call_of(statement.value, {"glue"}) and len(
                statement.value.args) >= 2 and ast.unparse(statement.value.args[1]) in closed:
            continue  # a figure glued and closed in the same cell
        if any(_is_call_of(node, GLUE_FUNCTIONS) for node in ast.walk(statement)):
            found.append(ast.unparse(statement).splitlines()[0])
    return found


def test_the_check_finds_glue_in_a_shown_cell_and_allows_a_closed_figure():
    assert shown_glue('x = 1\nglue("x", x, display=False)\n') == ["glue('x', x, display=False)"]
    assert shown_glue("for r in rows:\n    glue_rows(r, key, F, g)\n")
    assert not shown_glue('fig = plot()\nglue("f", fig, display=False)\nplt.close(fig)\n')
    assert shown_glue('fig = plot()\nglue("f", fig, display=False)\n')  # left open: not allowed


def test_every_chapter_is_checked():
    assert len(NOTEBOOKS) >= 9


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_cells_shown_on_the_page_glue_nothing_but_their_figures(path):
    notebook = nbformat.read(path, as_version=4)
    offending = []
    for number, cell in enumerate(notebook.cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or "hide-input" in tags or "remove-input" in tags:
            continue
        offending += [f"cell {number}: {line}" for line in shown_glue(cell.source)]
    assert not offending, (f"{path.name}: shown cells that glue (move the glue to a cell tagged "
                           f"hide-input): {offending[:5]}")
