"""The practice that keeps prose true cannot quietly erode.

A sentence that states a property of an output (a number, an ordering, a
shape, "zero", "faster") is backed by an ``assert`` in the cell that produces
the output, so a changed output fails the build instead of contradicting the
text. This test counts those asserts per notebook page and fails when a page
falls below the count recorded here. Raise a page's record when you add
asserts; lowering it needs a reason in the commit message.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import pytest

from repo import notebook_pages

DOCS = Path(__file__).resolve().parents[2] / "docs"

RECORDED = {
    "appendix/coming-from-r.md": 65,
    "chapters/01-what-a-network-computes.md": 64,
    "chapters/02-tensors.md": 95,
    "chapters/03-network-from-scratch.md": 53,
    "chapters/04-autograd.md": 40,
    "chapters/05-modules.md": 47,
    "chapters/06-losses-and-optimizers.md": 55,
    "chapters/07-devices-and-speed.md": 46,  # timings are printed, never asserted
    "chapters/08-mini-batches.md": 50,
    "chapters/09-generalization.md": 63,
    "chapters/10-classification.md": 67,
    "chapters/11-saving-and-initialising.md": 105,
    "chapters/12-data-parallel.md": 63,
}
"""The number of asserts each page had when its prose was last checked against its outputs."""

UNRECORDED_MINIMUM = 1
"""A page not in RECORDED (a new chapter) still needs asserts; record its count here."""


def count_asserts(code_cells: list[str]) -> int:
    """``assert`` statements in the given cell sources, found by parsing, so comments and strings do not count."""
    total = 0
    for source in code_cells:
        # Notebook magics and shell escapes are not Python; none of the pages uses them today.
        python = "\n".join("" if re.match(r"\s*[%!]", line) else line for line in source.splitlines())
        total += sum(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(python)))
    return total


def page_asserts(text: str) -> int:
    notebook = jupytext.reads(text, fmt="md")
    return count_asserts([cell.source for cell in notebook.cells if cell.cell_type == "code"])


def shortfall(name: str, text: str) -> str | None:
    """Why the page falls short of its record, or None when it does not."""
    found = page_asserts(text)
    wanted = RECORDED.get(name, UNRECORDED_MINIMUM)
    if found < wanted:
        return (
            f"{name} has {found} asserts tying its prose to its outputs; {wanted} were recorded. "
            "Put back the assert behind each sentence that states a property of an output."
        )
    return None


PAGES = [p for p in notebook_pages() if p.parent.name in {"chapters", "appendix"}]


def test_every_recorded_page_exists():
    names = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert set(RECORDED) <= names, f"recorded pages that no longer exist: {set(RECORDED) - names}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_keeps_its_asserts(page):
    problem = shortfall(page.relative_to(DOCS).as_posix(), page.read_text(encoding="utf-8"))
    assert problem is None, problem


def test_removing_one_assert_is_detected():
    """The check fails when an assert goes, and ignores asserts that only appear in prose or comments."""
    name = "chapters/03-network-from-scratch.md"
    text = (DOCS / name).read_text(encoding="utf-8")
    assert shortfall(name, text) is None
    lines = text.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.lstrip().startswith("assert "))
    indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
    lines[first] = f"{indent}pass  # assert removed\n"
    weakened = "".join(lines)
    assert page_asserts(weakened) == page_asserts(text) - 1
    assert shortfall(name, weakened) is not None


def test_counts_statements_not_words():
    cells = [
        'x = 1\nassert x == 1\n# assert in a comment\ns = "assert in a string"\n',
        "for i in range(2):\n    assert i < 2\n",
    ]
    assert count_asserts(cells) == 2
