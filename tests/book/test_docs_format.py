"""Every chapter is a page, a notebook and a test at once; check the format keeps it so."""

from __future__ import annotations

import io
import re
from pathlib import Path

import jupytext
import pytest
from markdown_it import MarkdownIt
from pytest_codeblocks import extract_from_buffer

from repo import notebook_pages

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
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
    """Every chapter file is in the navigation, and every chapter in the navigation exists."""
    on_disk = {p.relative_to(DOCS).as_posix() for p in chapters() if p.parent.name == "chapters"}
    in_nav = set(re.findall(r"\bchapters/[\w-]+\.md\b", (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")))
    assert len(on_disk) >= 9
    assert on_disk == in_nav


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


def collected_pages(config) -> list[Path]:
    """The Markdown files that `pytest --codeblocks` collects: every `.md` under the configured testpaths."""
    found = set()
    for entry in config.getini("testpaths"):
        path = config.rootpath / entry
        found.update([path] if path.suffix == ".md" else path.rglob("*.md"))
    return sorted(found)


def pytest_generate_tests(metafunc):
    if "page" in metafunc.fixturenames:
        pages = collected_pages(metafunc.config)
        metafunc.parametrize("page", pages, ids=[str(p.relative_to(metafunc.config.rootpath)) for p in pages])


def python_fences(path: Path) -> list[tuple[int, int, str]]:
    """(first line, line after the closing fence, code) of every python fence, as a CommonMark parser sees the page."""
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    return [(t.map[0] + 1, t.map[1], t.content) for t in tokens if t.type == "fence" and t.info.strip() == "python"]


def test_collected_pages_include_every_chapter(pytestconfig):
    """The pages checked below are the ones pytest collects, and they include every chapter and the README."""
    pages = collected_pages(pytestconfig)
    assert set(chapters()) | {ROOT / "README.md"} <= set(pages)


def test_pytest_runs_every_python_fence(page):
    """pytest-codeblocks runs each python fence, alone or continuing a python block.

    `<!--pytest-codeblocks:cont-->` appends a block to the fence before it, whatever that
    fence's language: after a ```` ```text ```` fence, the code joins a text block that is
    never run, and so does every later block of the chapter. pytest-codeblocks sees only
    backtick fences, so non-python code between python blocks goes in a `~~~` fence.
    This asks pytest-codeblocks itself, by extracting the page up to the end of each fence.
    """
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    for first, end, code in python_fences(page):
        blocks = extract_from_buffer(io.StringIO("".join(lines[:end])))
        assert blocks, f"{page.name}:{first}: pytest-codeblocks finds no block here"
        receiver = blocks[-1]
        assert receiver.syntax == "python" and receiver.code.endswith(code), (
            f"{page.name}:{first}: pytest-codeblocks does not run this python block: it joins the "
            f"{receiver.syntax!r} block of line {receiver.lineno}. Write non-python fences before a "
            "<!--pytest-codeblocks:cont--> block with ~~~ (e.g. ~~~text), which pytest-codeblocks ignores."
        )


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.name)
def test_pytest_runs_the_chapter_as_one_block(path):
    """pytest-codeblocks runs a notebook page as one python block: its python fences, in order, and nothing else."""
    with path.open(encoding="utf-8") as handle:
        blocks = [b for b in extract_from_buffer(handle) if b.syntax == "python"]
    assert [b.code for b in blocks] == ["".join(code for _, _, code in python_fences(path))], (
        f"{path.name}: pytest-codeblocks would run {len(blocks)} python block(s) that differ from the page's "
        "python fences joined in order"
    )


@pytest.mark.parametrize("doc", ["README.md", "docs/index.md"])
def test_torch_release_named_for_readers_is_the_pinned_one(doc):
    """The home page and the README name the torch release the book is built with; it is the lock's."""
    (pinned,) = re.findall(r"^torch==(\S+)$", (ROOT / "requirements" / "constraints.txt").read_text(), flags=re.M)
    text = (ROOT / doc).read_text(encoding="utf-8")
    # Every pin a reader is told to type, and the release the CUDA warning names.
    named = set(re.findall(r"==(\d+\.\d+\.\d+)", text) + re.findall(r"PyPI's torch (\d+\.\d+\.\d+)", text))
    assert named == {pinned}, f"{doc} names torch {sorted(named)}; requirements/constraints.txt pins {pinned}"
