"""The execution step (tools/execute_chapters.py): what a chapter's key depends on, and how outputs meet prose."""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import execute_chapters  # noqa: E402

FRONT = (
    "---\njupyter:\n  jupytext:\n    text_representation:\n      extension: .md\n      format_name: markdown\n"
    "  kernelspec:\n    display_name: Python 3\n    language: python\n    name: python3\n---\n\n"
)


def chapter_text(prose: str = "Some prose.", code: str = "print(1 + 1)") -> str:
    return f"{FRONT}# A chapter\n\n{prose}\n\n```python\n{code}\n```\n\nMore prose.\n\n```python\nx = 2\n```\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "src" / "nnbook").mkdir(parents=True)
    (tmp_path / "src" / "nnbook" / "core.py").write_text("ANSWER = 42\n")
    (tmp_path / "docs" / "chapters").mkdir(parents=True)
    (tmp_path / "docs" / "chapters" / "ch.md").write_text(chapter_text())
    (tmp_path / "docs" / "index.md").write_text("# Home\n\nNo kernelspec here.\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: test\n")
    return tmp_path


def key(project: Path, text: str | None = None) -> str:
    chapter = project / "docs" / "chapters" / "ch.md"
    notebook = jupytext.reads(text, fmt="md") if text is not None else jupytext.read(chapter)
    return execute_chapters.chapter_key(notebook, execute_chapters.fingerprint(project))


def test_only_notebook_pages_are_chapters(project):
    assert execute_chapters.chapters(project / "mkdocs.yml") == [(project / "docs" / "chapters" / "ch.md").resolve()]


@pytest.mark.parametrize(
    "front",
    [
        FRONT,
        FRONT.replace("language: python", "language: R"),
        "---\ntitle: x\nkernelspec:\n  language: python\n  name: python3\n---\n\n",  # outside `jupyter:`
        "---\njupyter:\n  kernelspec: [unclosed\n---\n\n",
        "---\njupyter:\n  jupytext:\n    formats: md\n---\n\n",
    ],
)
def test_a_chapter_is_what_jupytext_reads_as_a_python_notebook(tmp_path, front):
    """mkdocs-jupyter's rule (jupytext's notebook metadata), read from the front matter alone."""
    page = tmp_path / "page.md"
    page.write_text(f"{front}# A page\n\n```python\nx = 1\n```\n")
    try:
        expected = (jupytext.read(page).metadata.get("kernelspec") or {}).get("language") == "python"
    except Exception:  # a header jupytext cannot read is no notebook page
        expected = False
    assert execute_chapters.is_chapter(page) == expected
    assert expected == (front == FRONT)


def test_the_key_follows_the_code_the_kernel_and_the_package_but_not_the_prose(project):
    first = key(project)
    assert key(project, chapter_text(prose="Other prose, and a second sentence.")) == first
    assert key(project, chapter_text(code="print(1 + 2)")) != first
    assert key(project, chapter_text().replace("name: python3", "name: other")) != first
    core = project / "src" / "nnbook" / "core.py"
    core.write_text("ANSWER = 43\n")
    assert key(project) != first
    core.write_text("ANSWER = 42\n")  # undone: the earlier key, so the earlier execution is reused
    assert key(project) == first


def executed_copy(text: str):
    """A stand-in for a stored execution of ``text``: each code cell gets a distinct output."""
    notebook = jupytext.reads(text, fmt="md")
    for index, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"output {index}\n")]
        cell.execution_count = index + 1
    notebook.metadata["nnbook"] = {"execution_id": "abc", "environment": {}}
    return notebook


def test_stored_outputs_are_attached_to_the_current_prose_cell_by_cell():
    executed = executed_copy(chapter_text())
    current = jupytext.reads(chapter_text(prose="New prose."), fmt="md")
    page = execute_chapters.attach_outputs(current, executed)
    assert [c.source for c in page.cells] == [c.source for c in current.cells]
    code = [c for c in page.cells if c.cell_type == "code"]
    assert [c.outputs[0]["text"] for c in code] == ["output 0\n", "output 1\n"]
    assert page.metadata["nnbook"]["execution_id"] == "abc"
    # Read again, the same chapter gives the same page, byte for byte (mkdocs-jupyter's cache is keyed on them).
    again = execute_chapters.attach_outputs(jupytext.reads(chapter_text(prose="New prose."), fmt="md"), executed)
    assert nbformat.writes(again) == nbformat.writes(page)
    assert all(not c.get("outputs") for c in current.cells if c.cell_type == "code")  # the input is unchanged
    with pytest.raises(ValueError, match="code cells differ"):
        execute_chapters.attach_outputs(jupytext.reads(chapter_text(code="print(3)"), fmt="md"), executed)
