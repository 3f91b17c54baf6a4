"""Pages whose code cells survive being pasted into the classic Python prompt.

A reader who pastes a cell into ``python`` (the classic prompt; Python 3.13's new one with
``PYTHON_BASIC_REPL=1``) feeds it in line by line. There an indented block ends only at a blank
line, so a ``for`` block followed at once by an unindented line is a SyntaxError, and a blank
line inside a function body ends the function early, although both run in a notebook. The check
compiles each cell the way ``code.InteractiveConsole`` does, without running it.

Pages join PASTEABLE once their cells pass; a page in it must keep passing.
"""

from __future__ import annotations

import codeop
from pathlib import Path

import jupytext
import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"

# docs/index.md tells readers that chapters 1 to 11 paste into the plain prompt (chapter 12 does not yet).
PASTEABLE = [
    "appendix/coming-from-r.md",
    "chapters/01-what-a-network-computes.md",
    "chapters/02-tensors.md",
    "chapters/03-network-from-scratch.md",
    "chapters/04-autograd.md",
    "chapters/05-modules.md",
    "chapters/06-losses-and-optimizers.md",
    "chapters/07-devices-and-speed.md",
    "chapters/08-mini-batches.md",
    "chapters/09-generalization.md",
    "chapters/10-classification.md",
    "chapters/11-saving-and-initialising.md",
]


def paste_errors(source: str) -> list[str]:
    """The errors the classic prompt reports when ``source`` is typed in line by line, then a blank line."""
    compile_line = codeop.CommandCompiler()  # what code.InteractiveConsole compiles each line with
    pending: list[str] = []
    errors = []
    for number, line in enumerate([*source.splitlines(), ""], start=1):
        pending.append(line)
        try:
            complete = compile_line("\n".join(pending), "<stdin>", "single")
        except (SyntaxError, OverflowError, ValueError) as err:
            errors.append(f"line {number} {line.strip()!r}: {type(err).__name__}: {err}")
            pending = []
            continue
        if complete is not None:  # None: the prompt waits for more lines
            pending = []
    return errors


def page_paste_errors(name: str) -> list[str]:
    notebook = jupytext.reads((DOCS / name).read_text(encoding="utf-8"), fmt="md")
    found = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            first = cell.source.splitlines()[0] if cell.source else ""
            found += [f"cell {first[:50]!r}, {error}" for error in paste_errors(cell.source)]
    return found


@pytest.mark.parametrize("name", PASTEABLE)
def test_page_pastes_into_the_prompt(name):
    errors = page_paste_errors(name)
    assert not errors, f"{name}: cells fail when pasted into the classic prompt (add a blank line):\n" + "\n".join(
        errors
    )


def test_a_block_needs_a_blank_line_before_the_next_statement():
    assert paste_errors("for i in range(2):\n    print(i)\nprint('done')\n")
    assert paste_errors("for i in range(2):\n    print(i)\n\nprint('done')\n") == []


def test_a_blank_line_inside_a_function_ends_it():
    assert paste_errors("def f():\n    a = 1\n\n    return a\n")
    assert paste_errors("def f():\n    a = 1\n    return a\n\n\nf()\n") == []


def test_a_statement_split_over_lines_is_one_statement():
    assert paste_errors("total = sum(\n    [1, 2],\n)\nprint(total)\n") == []
