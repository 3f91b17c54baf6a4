"""The print page's anchor rewriting found in one pass (hooks/print_anchors.py) gives the plugin's output exactly."""

from __future__ import annotations

import logging
import random
import sys

import pytest
from mkdocs_print_site_plugin import urls

from site_helpers import ROOT

sys.path.insert(0, str(ROOT / "hooks"))
import print_anchors
import print_site

PLUGIN_UPDATE_ANCHOR_IDS = urls.update_anchor_ids


def plugin_matches(page_html: str) -> list[tuple[str, ...]]:
    return [(m.group(), *m.groups()) for m in print_anchors.TAG_WITH_ID.finditer(page_html)]


def one_pass_matches(page_html: str) -> list[tuple[str, ...]]:
    return [(m.group(), *m.groups()) for m in print_anchors.tags_with_id(page_html)]


def assert_same(page_html: str, page_key: str = "page") -> None:
    assert one_pass_matches(page_html) == plugin_matches(page_html)
    assert print_anchors.update_anchor_ids(page_html, page_key) == PLUGIN_UPDATE_ANCHOR_IDS(page_html, page_key)


AWKWARD = {
    "ids that are prefixes of each other": '<h2 id="a">A</h2>\n<h2 id="ab">AB</h2><h3 id="a-b">x</h3><a href="#a">',
    "the same id twice": '<h2 id="x">one</h2>\n<p>text</p><h2 id="x">one</h2><li id="x">',
    "an id that is also in the tag name": '<h2 id="h">H</h2><li id="l">',
    "an empty id": '<h2 id="">empty</h2>',
    "anchors in code": '<pre><code>&lt;h2 id="x"&gt; <span id="y">id="z"</span></code></pre><h2 id="z">',
    "no space after the name": '<p>a<h2 id="q">b</h2>\n<sup id="fn:1">1</sup>',
    "id= inside the name": '<xid="a">b">\n<h2id="c"x>',
    "value over two lines": '<h2 id="a\nb">x\n<li id="c">',
    "no > on the closing line": '<h2 id="a"\n>x</h2> <h2 id="b" >',
    "upper-case ID": '<H2 ID="Up">x</H2><h2 Id="mixed">',
    "no closing quote": '<h2 id="open>never closed',
    "a long line with no id": "<p>" + "<span>x</span> " * 500 + '<h2 id="late">late</h2>',
    "unicode space and dotted I": '<h2\u00a0id="nbsp">x</h2><li İD="dot"><li id="\u2003">',
}


@pytest.mark.parametrize("page_html", AWKWARD.values(), ids=AWKWARD.keys())
def test_one_pass_matches_the_plugin_on_awkward_input(page_html):
    assert_same(page_html)


def test_one_pass_matches_the_plugin_on_random_input():
    pieces = ["<", ">", '"', 'id="', 'ID="', "id=", "\n", " ", "\t", "h2", "li", "sup", "a", "<h2 ", '<li id="']
    rng = random.Random(14)
    for _ in range(3000):
        assert_same("".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))))


def test_one_pass_matches_the_plugin_on_every_page_of_the_book(site):
    # The plugin's search is what costs here (seconds); with the same matches, print_anchors.update_anchor_ids
    # runs the plugin's own lines, so the matches are compared and the rewritten pages are not.
    pages = sorted(path for path in site.rglob("*.html") if path.parent.name != "print_page")
    assert len(pages) > 10
    for path in pages:
        page_html = path.read_text(encoding="utf-8")
        assert one_pass_matches(page_html) == plugin_matches(page_html), path


def test_the_hook_replaces_the_plugins_search_and_only_that(monkeypatch):
    monkeypatch.setattr(urls, "update_anchor_ids", PLUGIN_UPDATE_ANCHOR_IDS)
    print_site._one_pass_anchor_ids()
    assert urls.update_anchor_ids is print_anchors.update_anchor_ids
    page_html = '<h2 id="a">A</h2><a href="#a">A</a><img src="x.png"><input id="t" name="t"><label for="t">'
    mine = urls.fix_internal_links(page_html, "chapters/one/", True, "1")
    monkeypatch.setattr(urls, "update_anchor_ids", PLUGIN_UPDATE_ANCHOR_IDS)
    assert mine == urls.fix_internal_links(page_html, "chapters/one/", True, "1")


def test_a_plugin_that_searches_differently_keeps_its_own_function_and_warns(monkeypatch, caplog):
    def update_anchor_ids(page_html, page_key):
        return page_html

    monkeypatch.setattr(urls, "update_anchor_ids", update_anchor_ids)
    with caplog.at_level(logging.WARNING, logger="mkdocs.hooks.print_site"):
        print_site._one_pass_anchor_ids()
    assert urls.update_anchor_ids is update_anchor_ids
    assert "update_anchor_ids has changed" in caplog.text
