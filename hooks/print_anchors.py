"""The tags whose ``id`` mkdocs-print-site-plugin rewrites, found in one pass.

When the plugin assembles the print page it makes each page's heading ids
unique (``urls.update_anchor_ids``). It finds them with the regular expression
:data:`TAG_WITH_ID`, ``<([^\\s]+).*?id="([^"]*?)".*?>``. On a line with no
``id="`` after a ``<``, that expression tries every length of the tag name
against the rest of the line, so a page whose notebook outputs sit on long
lines costs time in the square of the line's length: most of a cold build's
print page (3.4 CPU s of the 3.5 s the plugin's rewriting takes on this book).

:func:`tags_with_id` gives the same matches, in the same order, with the same
groups, without trying the expression at every length: it works out which
match the expression's backtracking would reach first (see the comments), and
:func:`update_anchor_ids` is the plugin's function with the search replaced
and nothing else changed. ``tests/site/test_print_site.py`` checks both against the
plugin's own on every page of the built book and on made-up awkward input.

Example (the plugin's quirks included: a "tag name" runs to the next space,
so here neither match is named ``h2`` or ``li``, and neither id is rewritten):

    >>> [m.groups() for m in tags_with_id('<p>a <h2 class="x" id="intro">Intro</h2> <li id="fn:1">')]
    [('p>a', 'intro'), ('/h2>', 'fn:1')]
    >>> [m.groups() for m in TAG_WITH_ID.finditer('<p>a <h2 class="x" id="intro">Intro</h2> <li id="fn:1">')]
    [('p>a', 'intro'), ('/h2>', 'fn:1')]
    >>> update_anchor_ids('<h2 id="a">A</h2><a href="#a">', "page")
    '<h2 id="page-a">A</h2><a href="#a">'
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

# The plugin's expression (mkdocs_print_site_plugin/urls.py, update_anchor_ids): the tests' oracle, and the
# hook checks that the plugin still uses it before it replaces the plugin's function.
TAG_WITH_ID = re.compile(r"<([^\s]+).*?id=\"([^\"]*?)\".*?>", flags=re.IGNORECASE)
# Its pieces. Compiled with the same flags, so "id=" matches what the whole does ("ID=", ...), and \s is the same set.
_ID_OPEN = re.compile(r"id=\"", flags=re.IGNORECASE)
_SPACE = re.compile(r"\s", flags=re.IGNORECASE)
_CHANGE_TAGS = ["h1", "h2", "h3", "h4", "h5", "h6", "sup", "li"]


class _Match:
    """The parts of :class:`re.Match` that ``update_anchor_ids`` uses: ``group()`` and ``groups()``."""

    __slots__ = ("_id", "_tag", "_text")

    def __init__(self, text: str, tag: str, id_text: str) -> None:
        self._text, self._tag, self._id = text, tag, id_text

    def group(self, index: int = 0) -> str:
        return (self._text, self._tag, self._id)[index]

    def groups(self) -> tuple[str, str]:
        return self._tag, self._id


def tags_with_id(page_html: str) -> Iterator[_Match]:
    """What ``TAG_WITH_ID.finditer(page_html)`` yields (text and both groups), found without its backtracking."""
    # A match is decided by its `id="` (at q) alone: the value runs to the next `"` (at c, maybe on a later
    # line) and the match to the first `>` after c, which `.*?` reaches only if no newline comes first.
    ends: dict[int, int] = {}
    for found in _ID_OPEN.finditer(page_html):
        q = found.start()
        c = page_html.find('"', q + 4)
        if c < 0:
            continue
        gt = page_html.find(">", c + 1)
        newline = page_html.find("\n", c + 1)
        if gt >= 0 and (newline < 0 or gt < newline):
            ends[q] = gt + 1
    usable = sorted(ends)  # the positions of the `id="` that can end a match

    pos = page_html.find("<")
    while pos >= 0:
        # `[^\s]+` first takes everything up to the next whitespace (at w), then gives back one character at a
        # time. With the name at its longest, `.*?` tries each `id="` at or after w, nearest first, while it is
        # on the same line; the first usable one is the match. Failing that, each shorter name lets `.*?` try an
        # `id="` that starts where the name now ends: so the usable `id="` inside the name, furthest first.
        space = _SPACE.search(page_html, pos + 1)
        w = space.start() if space else len(page_html)
        q = None
        if w >= pos + 2:  # the name has at least one character
            line_end = page_html.find("\n", w)
            line_end = len(page_html) if line_end < 0 else line_end
            after = bisect.bisect_left(usable, w)
            if after < len(usable) and usable[after] < line_end:
                q, name_end = usable[after], w
            elif after > 0 and usable[after - 1] >= pos + 2:
                q = name_end = usable[after - 1]
        if q is None:
            pos = page_html.find("<", pos + 1)
            continue
        end = ends[q]
        yield _Match(page_html[pos:end], page_html[pos + 1 : name_end], page_html[q + 4 : page_html.find('"', q + 4)])
        pos = page_html.find("<", end)


def update_anchor_ids(page_html: str, page_key: str) -> str:
    """mkdocs-print-site-plugin's ``urls.update_anchor_ids``, line for line, with :func:`tags_with_id` as its search."""
    for m in list(tags_with_id(page_html)):
        tag_text = m.group(1)
        if tag_text not in _CHANGE_TAGS:
            continue
        id_text = m.group(2)
        match_text = m.group()
        new_text = match_text.replace(id_text, page_key + "-" + id_text)

        page_html = page_html.replace(match_text, new_text)

    return page_html
