"""tools/html_memo.py: a page transform's result is computed once per input, code and library versions, and
nothing a crash leaves in its store poisons a build."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import html_memo  # noqa: E402


class Counting:
    """A transform that records each call."""

    def __init__(self):
        self.calls = []

    def __call__(self, text: str) -> str:
        self.calls.append(text)
        return text.upper() + " é"


@pytest.fixture
def code(tmp_path):
    path = tmp_path / "hook.py"
    path.write_text("# version 1\n")
    return path


def entries(root: Path, name: str = "t") -> list[Path]:
    return sorted((root / html_memo.FOLDER / name).glob("*.html"))


def test_a_second_call_with_the_same_text_and_code_is_served_from_the_store(tmp_path, code):
    transform = Counting()
    first = html_memo.memo(tmp_path, "t", transform, "<p>a</p>", files=[code], packages=["mkdocs"])
    second = html_memo.memo(tmp_path, "t", transform, "<p>a</p>", files=[code], packages=["mkdocs"])
    assert first == second == "<P>A</P> é"
    assert transform.calls == ["<p>a</p>"]
    assert len(entries(tmp_path)) == 1


def test_the_key_follows_the_text_the_code_and_the_library_versions(tmp_path, code):
    base = html_memo.key("<p>a</p>", [code], ["mkdocs"])
    assert html_memo.key("<p>a</p>", [code], ["mkdocs"]) == base
    assert html_memo.key("<p>b</p>", [code], ["mkdocs"]) != base
    assert html_memo.key("<p>a</p>", [code], ["mkdocs", "beautifulsoup4"]) != base
    code.write_text("# version 2\n")
    assert html_memo.key("<p>a</p>", [code], ["mkdocs"]) != base
    transform = Counting()
    html_memo.memo(tmp_path, "t", transform, "<p>a</p>", files=[code])
    code.write_text("# version 3\n")
    html_memo.memo(tmp_path, "t", transform, "<p>a</p>", files=[code])
    assert len(transform.calls) == 2  # changed code: computed again


@pytest.mark.parametrize("damage", ["truncate", "alter", "empty"])
def test_a_damaged_entry_is_a_miss_deleted_with_one_warning_line(tmp_path, code, caplog, damage):
    transform = Counting()
    html_memo.memo(tmp_path, "t", transform, "<p>a</p>", files=[code])
    (entry,) = entries(tmp_path)
    data = entry.read_bytes()
    broken = {"truncate": data[: len(data) - 3], "alter": data.replace(b"A", b"B"), "empty": b""}[damage]
    entry.write_bytes(broken)  # what a crash or a full disk can leave
    with caplog.at_level(logging.WARNING, logger="mkdocs.nnbook.html_memo"):
        assert html_memo.memo(tmp_path, "t", transform, "<p>a</p>", files=[code]) == "<P>A</P> é"
    assert len(transform.calls) == 2
    (line,) = [r.getMessage() for r in caplog.records]
    assert str(entry) in line and "recomputing" in line and "\n" not in line
    assert entry.read_bytes() == data  # recomputed and stored whole again


def test_an_unwritable_store_fails_with_one_line_naming_the_folder(tmp_path, code):
    # A file where the folder should be: no folder can be made there, whoever runs the test (root included).
    (tmp_path / ".cache").write_text("")
    with pytest.raises(PluginError) as raised:
        html_memo.memo(tmp_path, "t", Counting(), "<p>a</p>", files=[code])
    assert str(tmp_path / ".cache") in str(raised.value) and "\n" not in str(raised.value)


def test_a_write_that_fails_leaves_no_file_and_names_the_path(tmp_path, code, monkeypatch):
    def full_disk(path, data):
        raise html_memo.CacheError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr(html_memo, "write_atomic", full_disk)
    with pytest.raises(PluginError, match="No space left on device") as raised:
        html_memo.memo(tmp_path, "t", Counting(), "<p>a</p>", files=[code])
    assert str(tmp_path / html_memo.FOLDER / "t") in str(raised.value)
    assert entries(tmp_path) == []


def test_entries_unused_for_the_maximum_age_are_pruned_when_one_is_written(tmp_path, code):
    html_memo.memo(tmp_path, "t", Counting(), "<p>old</p>", files=[code])
    (old,) = entries(tmp_path)
    long_ago = time.time() - (html_memo.MAX_AGE_DAYS + 1) * 86400
    os.utime(old, (long_ago, long_ago))
    html_memo.memo(tmp_path, "t", Counting(), "<p>new</p>", files=[code])
    assert old not in entries(tmp_path) and len(entries(tmp_path)) == 1
    # A hit marks its entry used, so it is kept.
    (kept,) = entries(tmp_path)
    os.utime(kept, (long_ago, long_ago))
    html_memo.memo(tmp_path, "t", Counting(), "<p>new</p>", files=[code])
    html_memo.memo(tmp_path, "t", Counting(), "<p>newer</p>", files=[code])
    assert kept in entries(tmp_path) and len(entries(tmp_path)) == 2


def test_the_page_hooks_give_the_same_html_from_the_store_as_computed(tmp_path):
    """math_assets and notebook_html through the store: the second build's page is the first's, byte for byte."""
    import importlib.util

    class Page:
        class file:
            src_uri = "chapters/x.md"

    class Config:
        config_file_path = str(tmp_path / "mkdocs.yml")

    page = (
        '<div class="jupyter-wrapper"><style>.x{}</style><div class="jp-Cell" tabindex="0">'
        "<p>The loss $w^2$ and $$\\frac{1}{n}$$.</p><!-- note --></div></div>"
    )
    for name in ("math_assets", "notebook_html"):
        spec = importlib.util.spec_from_file_location(f"memo_test_{name}", ROOT / "hooks" / f"{name}.py")
        hook = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(hook)
        first = hook.on_page_content(page, page=Page, config=Config, files=None)
        assert first != page and len(entries(tmp_path, name)) == 1
        assert hook.on_page_content(page, page=Page, config=Config, files=None) == first
        direct = hook.typeset(page, "x")[0] if name == "math_assets" else hook.tidy(page)
        assert first == direct
