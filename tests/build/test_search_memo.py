"""hooks/search_memo.py: remembered search entries are the plugin's own, and never stale."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hooks"))

import build_memo  # noqa: E402
import search_memo  # noqa: E402

plugin = pytest.importorskip("material.plugins.search.plugin")
from mkdocs.structure.toc import AnchorLink, TableOfContents  # noqa: E402

CONFIG = {"lang": ["en"], "separator": r"[\s\-]+", "pipeline": [], "fields": {}}
HTML = (
    '<h1 id="tensors">Tensors</h1><p>A tensor holds numbers.</p>'
    '<h2 id="broadcasting">Broadcasting</h2><p>Shapes line up from the right.</p>'
    "<div data-search-exclude><p>printed by a cell</p></div>"
)


def page(meta: dict | None = None, html: str = HTML):
    top = AnchorLink("Tensors", "tensors", 1)
    top.children = [AnchorLink("Broadcasting", "broadcasting", 2)]
    return SimpleNamespace(
        content=html, url="chapters/02-tensors/", title="Tensors", meta=meta or {}, toc=TableOfContents([top])
    )


def plugins_entries(p) -> list[dict]:
    index = plugin.SearchIndex(**CONFIG)
    original = getattr(
        plugin.SearchIndex.add_entry_from_context, "nnbook_original", plugin.SearchIndex.add_entry_from_context
    )
    original(index, p)
    return index.entries


def memo_entries(p) -> list[dict]:
    index = plugin.SearchIndex(**CONFIG)
    index.add_entry_from_context(p)
    return index.entries


@pytest.fixture
def installed(tmp_path, monkeypatch):
    monkeypatch.setattr(build_memo, "CACHE", tmp_path)
    before = plugin.SearchIndex.add_entry_from_context
    search_memo.install()
    yield tmp_path
    plugin.SearchIndex.add_entry_from_context = before


def test_remembered_entries_are_the_plugins_and_are_read_back_without_parsing(installed, monkeypatch):
    expected = plugins_entries(page())
    assert [e["title"] for e in expected] == ["Tensors", "Broadcasting"]
    assert "printed by a cell" not in str(expected)
    assert memo_entries(page()) == expected  # computed by the plugin, then stored
    assert len(list(installed.iterdir())) == 1

    def no_parsing(*args, **kwargs):
        raise AssertionError("the page was parsed again")

    monkeypatch.setattr(plugin, "Parser", no_parsing)
    assert memo_entries(page()) == expected  # read back


@pytest.mark.parametrize(
    "changed",
    [
        SimpleNamespace(**{**vars(page()), "url": "chapters/03-network-from-scratch/"}),
        page(html=HTML.replace("from the right", "from the left")),
        page(meta={"search": {"boost": 2}}),
        page(meta={"search": {"exclude": True}}),
    ],
    ids=["address", "html", "boost", "exclude"],
)
def test_a_change_to_what_the_plugin_reads_is_not_served_stale(installed, changed):
    memo_entries(page())
    assert memo_entries(changed) == plugins_entries(changed) != plugins_entries(page())


def test_the_hook_installs_once():
    search_memo.install()
    wrapped = plugin.SearchIndex.add_entry_from_context
    search_memo.install()
    assert plugin.SearchIndex.add_entry_from_context is wrapped
    assert wrapped.nnbook_original is not None


def test_entries_remembered_ahead_are_those_the_plugin_computes_at_the_page_and_read_back(installed, monkeypatch):
    final = page(html=HTML.replace("from the right", "from the right, as the final HTML says"))
    expected = plugins_entries(final)
    early = page()  # the page during on_page_content: its content is still the HTML before this event
    index = plugin.SearchIndex(**CONFIG)
    search_memo.remember_ahead(index, early, final.content)
    assert early.content == final.content  # as mkdocs sets it after the event
    assert len(list(installed.iterdir())) == 1

    def no_parsing(*args, **kwargs):
        raise AssertionError("the page was parsed again")

    monkeypatch.setattr(plugin, "Parser", no_parsing)
    assert memo_entries(final) == expected  # the plugin's own call, at the page, reads them back
    search_memo.remember_ahead(index, page(html=final.content), final.content)  # already remembered: no parse
