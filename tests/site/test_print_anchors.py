"""The print page (and so the PDF printed from it) has no dead internal link: hooks/print_site.py repairs the page
mkdocs-print-site-plugin wrote with tools/print_anchors.py's ``repair_print_page``."""

from __future__ import annotations

import re
import sys
from collections import Counter
from html.parser import HTMLParser

import pytest

from site_helpers import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import print_anchors


class Anchors(HTMLParser):
    """Every id of a page (with how often it occurs) and every ``href="#..."`` link's target."""

    def __init__(self, page_html: str):
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.links: list[str] = []
        self.feed(page_html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids[attrs["id"]] += 1
        if tag == "a" and (attrs.get("href") or "").startswith("#"):
            self.links.append(attrs["href"][1:])

    def dead(self) -> Counter[str]:
        return Counter(link for link in self.links if link not in self.ids)


# A print page as the plugin writes it, in small: each page in a <section> whose id is the page's key, its
# headings' ids prefixed with the key and its links rewritten to "#key-anchor"; some ids left as they were.
PLUGIN_PAGE = (
    "<html><head><title>p</title></head><body>"
    '<section class="print-page" id="ref-a" heading-number="1">'
    '<h1 id="ref-a-intro">A</h1><div class="x"><h2 id="shared">Shared</h2></div>'
    '<a class="autorefs autorefs-internal" title="torch.Tensor" href="#torch.Tensor">Tensor</a>'
    '<a class="autorefs autorefs-internal" href="#ref-b-nnbook.f">int</a>'
    '<a href="#ref-a-shared">to the shared heading</a>'
    '<clipboard-copy for="cell-1"></clipboard-copy><div id="cell-1">x = 1</div></section>'
    '<section class="print-page" id="ref-b" heading-number="2">'
    '<h2 id="ref-b-nnbook.f">f</h2>'
    '<a class="autorefs autorefs-internal" title="f (nnbook.f)" href="#ref-b-nnbook.f">f</a>'
    '<clipboard-copy for="cell-1"></clipboard-copy><div id="cell-1">y = 2</div>'
    '<a href="#ref-b-nowhere">a link to nothing</a></section>'
    "<style>.print-site-enumerate-headings #ref-a > h1:before { content: '1 ' }</style></body></html>"
)


def test_the_repair_lands_every_link_it_can_and_changes_nothing_else():
    before = Anchors(PLUGIN_PAGE)
    assert before.dead() == Counter({"torch.Tensor": 1, "ref-a-shared": 1, "ref-b-nowhere": 1})
    assert before.ids["cell-1"] == 2
    # The other pages leave these cross-references unlinked (as <span title="...">).
    repaired, counts = print_anchors.repair_print_page(PLUGIN_PAGE, {"torch.Tensor", "int"})
    after = Anchors(repaired)
    # The one link the repair cannot place is left as it was, and counted (the hook warns).
    assert after.dead() == Counter({"ref-b-nowhere": 1}) and counts["links left dead"] == 1
    assert max(after.ids.values()) == 1
    assert '<h2 id="ref-a-shared">Shared</h2>' in repaired
    assert '<span title="torch.Tensor">Tensor</span>' in repaired
    # "int" resolves nowhere on the other pages; the plugin linked it to an id that contains its name.
    assert '<span title="int">int</span>' in repaired
    assert '<a class="autorefs autorefs-internal" title="f (nnbook.f)" href="#ref-b-nnbook.f">f</a>' in repaired
    assert '<clipboard-copy for="ref-a-cell-1"></clipboard-copy><div id="ref-a-cell-1">x = 1</div>' in repaired
    assert '<clipboard-copy for="ref-b-cell-1"></clipboard-copy><div id="ref-b-cell-1">y = 2</div>' in repaired
    assert 'data-heading-number="1"' in repaired and " heading-number=" not in repaired
    assert repaired.index("<style>") < repaired.index("</head>")
    # Nothing but those edits: undoing them gives the plugin's page back.
    undone = repaired
    for old, new in [
        ('<span title="torch.Tensor">Tensor</span>', '<a class="autorefs autorefs-internal" title="torch.Tensor" '),
        ('<span title="int">int</span>', '<a class="autorefs autorefs-internal" href="#ref-b-nnbook.f">int</a>'),
    ]:
        undone = undone.replace(old, new)
    undone = undone.replace('title="torch.Tensor" ', 'title="torch.Tensor" href="#torch.Tensor">Tensor</a>')
    undone = re.sub(r"ref-[ab]-cell-1", "cell-1", undone).replace('id="ref-a-shared"', 'id="shared"')
    undone = undone.replace("data-heading-number", "heading-number")
    style = re.search(r"<style>.*?</style>", undone).group()
    undone = undone.replace(style, "").replace("</body>", style + "</body>")
    assert undone == PLUGIN_PAGE


def test_unresolved_references_are_the_spans_autorefs_writes():
    pages = ['<span title="torch.Tensor">Tensor</span><span class="n">x</span>', '<span title="a &amp; b">ab</span>']
    assert print_anchors.unresolved_references(pages) == {"torch.Tensor", "a & b"}


@pytest.fixture(scope="module")
def print_page(site) -> str:
    return (site / "print_page" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_every_internal_link_of_the_print_page_lands(print_page):
    anchors = Anchors(print_page)
    assert len(anchors.links) > 300
    assert anchors.dead() == Counter()
    assert [name for name, n in anchors.ids.items() if n > 1] == []


@pytest.mark.slow
def test_the_print_page_unlinks_exactly_what_the_other_pages_leave_unlinked(site, print_page):
    """Oracle: the pages themselves. Each cross-reference autorefs leaves unlinked on a page (``<span title>``)
    is unlinked on the print page as often, and no other."""
    others = Counter()
    for path in site.rglob("*.html"):
        if path.parent.name != "print_page" and path.name != "404.html":
            others.update(print_anchors.UNRESOLVED.findall(path.read_text(encoding="utf-8")))
    assert sum(others.values()) > 100
    assert Counter(print_anchors.UNRESOLVED.findall(print_page)) == others
