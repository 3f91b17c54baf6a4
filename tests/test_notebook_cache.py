"""The cache of executed chapters (hooks/notebook_cache.py): what its key depends on, and what it keeps."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hooks"))
import notebook_cache  # noqa: E402


@pytest.fixture
def project(tmp_path):
    (tmp_path / "src" / "nnbook").mkdir(parents=True)
    (tmp_path / "src" / "nnbook" / "core.py").write_text("ANSWER = 42\n")
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "a_hook.py").write_text("# sets up the kernels\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ch.md").write_text("# A chapter\n")
    return tmp_path


def test_the_key_follows_the_chapter_the_package_and_the_hooks_and_comes_back_on_undo(project):
    chapter = project / "docs" / "ch.md"
    first = notebook_cache.cache_path(chapter, project)
    assert first == notebook_cache.cache_path(chapter, project)
    assert first.parent == project / ".cache" / "nnbook-notebooks" and first.name.startswith("ch-")
    seen = {first}
    for edited, text in (
        (chapter, "# A chapter, edited\n"),
        (project / "src" / "nnbook" / "core.py", "ANSWER = 43\n"),
        (project / "hooks" / "a_hook.py", "# sets up the kernels differently\n"),
    ):
        before = edited.read_text()
        edited.write_text(text)
        changed = notebook_cache.cache_path(chapter, project)
        assert changed not in seen, f"editing {edited.name} must change the key"
        seen.add(changed)
        edited.write_text(before)  # undone: the earlier key, so the earlier execution is reused
        assert notebook_cache.cache_path(chapter, project) == first
    assert notebook_cache.cache_path(chapter, project, kernel_name="other") != first


def test_prune_keeps_the_most_recently_used_executions_of_each_chapter(project):
    folder = project / notebook_cache.CACHE
    folder.mkdir(parents=True)
    total = notebook_cache.KEEP + 3
    for chapter in ("01-one", "02-two"):
        for age in range(total):
            path = folder / f"{chapter}-{age:020x}.ipynb"
            path.write_text("{}")
            os.utime(path, (1_000_000 - age, 1_000_000 - age))  # age 0 is the most recent
    html = project / notebook_cache.HTML_CACHE
    for age in range(total):
        (html / f"{age:016x}").mkdir(parents=True)
        os.utime(html / f"{age:016x}", (1_000_000 - age, 1_000_000 - age))
    notebook_cache.prune(project)
    for chapter in ("01-one", "02-two"):
        kept = sorted(p.name for p in folder.glob(f"{chapter}-*.ipynb"))
        assert kept == [f"{chapter}-{age:020x}.ipynb" for age in range(notebook_cache.KEEP)]
    assert sorted(p.name for p in html.iterdir()) == [f"{age:016x}" for age in range(notebook_cache.KEEP)]
