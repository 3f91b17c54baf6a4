"""Every chapter is a page, a notebook and a test at once; check the format keeps it so."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

from site_helpers import notebook_pages

DOCS = Path(__file__).resolve().parent.parent / "docs"
CONT = "<!--pytest-codeblocks:cont-->"
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,}|~{3,})(?P<info>.*)$")


def markdown_files():
    return sorted(DOCS.rglob("*.md"))


def chapters():
    """Every notebook page: the chapters and any other page with jupytext front matter."""
    return notebook_pages()


def fences(path: Path):
    """(line number, info string, line before) of every opening fence."""
    lines = path.read_text(encoding="utf-8").splitlines()
    inside = None
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if not m:
            continue
        if inside is None:
            inside = m.group("ticks")
            yield i + 1, m.group("info"), lines[i - 1] if i else ""
        elif (
            m.group("ticks").startswith(inside[0])
            and len(m.group("ticks")) >= len(inside)
            and not m.group("info").strip()
        ):
            inside = None


def test_there_are_chapters():
    assert len([p for p in chapters() if p.parent.name == "chapters"]) == 10


def test_every_chapter_is_a_notebook_page():
    for path in sorted((DOCS / "chapters").glob("*.md")):
        assert path in chapters(), f"{path.name} lacks the jupytext front matter"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(DOCS)))
def test_python_fences_are_collected(path):
    """pytest-codeblocks runs only fences whose info string is exactly `python`."""
    for line, info, _ in fences(path):
        word = info.strip().split(" ")[0].split("{")[0].lower() if info.strip() else ""
        if word in {"py", "python", "python3", "pycon", "ipython"} or info.lstrip().startswith(("py", "python")):
            assert info == "python", (
                f"{path.name}:{line}: fence info {info!r} would be skipped by pytest-codeblocks; "
                "write exactly ```python"
            )


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(DOCS)))
def test_no_shell_fences_that_tests_would_execute(path):
    for line, info, _ in fences(path):
        assert info.strip() not in {"sh", "bash"}, (
            f"{path.name}:{line}: pytest-codeblocks would run this {info!r} block; use ```console for commands to type"
        )


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.name)
def test_chapter_runs_as_one_session(path):
    """Every python block after the first continues the previous one, as in the notebook kernel."""
    python_fences = [(line, before) for line, info, before in fences(path) if info == "python"]
    assert python_fences, f"{path.name} has no python code"
    for line, before in python_fences[1:]:
        assert before.strip() == CONT, f"{path.name}:{line}: put {CONT} on the line before this block"


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.name)
def test_chapter_is_a_python_notebook(path):
    notebook = jupytext.read(path)
    assert notebook.metadata["kernelspec"]["language"] == "python"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    python_fences = [info for _, info, _ in fences(path) if info == "python"]
    assert len(code) == len(python_fences), "each python fence must become exactly one notebook cell"


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.name)
def test_chapter_seeds_its_randomness(path):
    first_cell = next(c for c in jupytext.read(path).cells if c.cell_type == "code")
    assert "torch.manual_seed(" in first_cell.source, f"{path.name}: seed torch in the first code cell"


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.name)
def test_chapter_has_one_title(path):
    text = path.read_text(encoding="utf-8")
    body = re.sub(r"```.*?```", "", text, flags=re.S)
    titles = re.findall(r"^# .+$", body, flags=re.M)
    assert len(titles) == 1, f"{path.name}: one '# ' title expected, found {titles}"


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.name)
def test_notebook_headings_have_no_code(path):
    """mkdocs-jupyter's table of contents drops code from a heading's anchor; nbconvert keeps it, so links break."""
    body = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    bad = [h for h in re.findall(r"^#{1,6} .+$", body, flags=re.M) if "`" in h]
    assert bad == [], f"{path.name}: write these headings without backticks: {bad}"


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.name)
def test_every_figure_has_alt_text(path):
    """A cell that shows a figure describes it in a `# alt:` comment, which becomes the image's alt text."""
    for cell in jupytext.read(path).cells:
        if cell.cell_type == "code" and "plt.show()" in cell.source:
            assert re.search(r"^# alt: \S.{10,}", cell.source, flags=re.M), (
                f"{path.name}: describe the figure in a '# alt: ...' comment in the cell that shows it"
            )
