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
import html
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


# ---------------------------------------------------------------------------------------------------------------
# Repairs of the finished print page, made after the plugin wrote it (hooks/print_site.py, on_post_build).
#
# The plugin prefixes the ids of headings, footnotes and list items with their page's key and every internal link
# with the same key, so a link lands only where the target's id was prefixed too. What it leaves behind:
# - links to ids it did not prefix (an id on another tag, or on a heading its search skipped): ``#key-x`` where
#   the page's section holds ``id="x"``;
# - mkdocs-autorefs cross-references that resolve nowhere (``torch.Tensor``, ``typing.Any``...). The other pages
#   show them as ``<span title="torch.Tensor">``; the plugin's URL mapper turns each into a link to ``#torch.Tensor``,
#   which no page has;
# - the same id on several pages (the copy buttons' ``cell-1``... of every notebook page), now on one page;
# - a ``heading-number`` attribute on each section (not HTML; nothing reads it, so it becomes ``data-heading-number``)
#   and its ``<style>`` of heading numbers inside ``<body>``, which belongs in ``<head>``.
# Each repair is a local edit of the page's text, so the rest of the page stays byte for byte.

_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+)"
_START_TAG = re.compile(rf"<(?P<name>[a-zA-Z][\w:-]*)(?P<attrs>(?:\s+[^\s\"'>/=]+(?:\s*=\s*{_VALUE})?)*)\s*/?>")
_ATTR = re.compile(r"(?P<name>[^\s\"'>/=]+)(?:\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s\"'>]+)))?")
_PAGE_SECTION = re.compile(r"<section class=\"print-page\" id=\"(?P<key>[^\"]+)\"")
_HEADING_STYLE = re.compile(r"<style>\.print-site-enumerate-headings[^<]*</style>")


class _Tag:
    """A start tag of the page: its name, where it is, and where each attribute's value is."""

    __slots__ = ("attrs", "end", "name", "start")

    def __init__(self, match: re.Match) -> None:
        self.name, self.start, self.end = match.group("name").lower(), match.start(), match.end()
        self.attrs: dict[str, tuple[str, int, int]] = {}
        base = match.start("attrs")
        for attr in _ATTR.finditer(match.group("attrs")):
            group = next((g for g in ("dq", "sq", "bare") if attr.group(g) is not None), None)
            if group is None:
                continue
            value = attr.group(group)
            self.attrs.setdefault(attr.group("name").lower(), (value, base + attr.start(group), base + attr.end(group)))

    def get(self, name: str) -> str | None:
        found = self.attrs.get(name)
        return found[0] if found else None


def _tags(page_html: str) -> list[_Tag]:
    return [_Tag(m) for m in _START_TAG.finditer(page_html)]


def _edit(page_html: str, edits: list[tuple[int, int, str]]) -> str:
    """``page_html`` with each (start, end) range replaced; the ranges do not overlap."""
    pieces, last = [], 0
    for start, end, text in sorted(edits):
        pieces += [page_html[last:start], text]
        last = end
    return "".join([*pieces, page_html[last:]])


def _section_keys(page_html: str, tags: list[_Tag]) -> list[str]:
    """The key of the page section each tag is in ('' before the first): sections follow one another."""
    starts = [(m.start(), m.group("key")) for m in _PAGE_SECTION.finditer(page_html)]
    positions = [s for s, _ in starts]
    keys = []
    for tag in tags:
        i = bisect.bisect_right(positions, tag.start) - 1
        keys.append(starts[i][1] if i >= 0 else "")
    return keys


def _unique_ids(page_html: str, counts: dict[str, int]) -> str:
    """Each id that several pages brought along gets its page's key, and so do the ``for`` that name it there."""
    tags = _tags(page_html)
    keys = _section_keys(page_html, tags)
    ids: dict[str, int] = {}
    for tag in tags:
        if tag.get("id") is not None:
            ids[tag.get("id")] = ids.get(tag.get("id"), 0) + 1
    edits = []
    for tag, key in zip(tags, keys, strict=True):
        for attr in ("id", "for"):
            found = tag.attrs.get(attr)
            if found and key and ids.get(found[0], 0) > 1 and f"{key}-{found[0]}" not in ids:
                edits.append((found[1], found[2], f"{key}-{found[0]}"))
                counts["duplicate ids made unique" if attr == "id" else "labels that follow them"] += 1
    return _edit(page_html, edits)


def _unlinked(page_html: str, tag: _Tag, edits: list, unresolved: set[str]) -> bool:
    """Replace the autorefs link ``tag`` by the ``<span title>`` the other pages show, if it names one of
    ``unresolved``; returns whether it did."""
    if "autorefs" not in (tag.get("class") or "").split():
        return False
    close = page_html.find("</a>", tag.end)
    text = page_html[tag.end : close]
    # autorefs leaves the title out where it would repeat the text.
    identifier = tag.get("title") or html.unescape(text)
    if close < 0 or "<" in text or identifier not in unresolved:
        return False
    edits.append((tag.start, close + 4, f'<span title="{html.escape(identifier)}">{text}</span>'))
    return True


def _landing_links(page_html: str, counts: dict[str, int], unresolved: set[str]) -> str:
    """Every ``href="#x"`` lands: on the id the plugin meant to prefix, or, for a cross-reference that resolves
    nowhere, becomes the ``<span title>`` the other pages show. The plugin's URL mapper also sends some of
    those (``int``, ``str``) to whatever id contains their name; they become spans too."""
    tags = _tags(page_html)
    keys = _section_keys(page_html, tags)
    section_keys = sorted({k for k in keys if k}, key=len, reverse=True)
    where: dict[str, list[int]] = {}
    for i, tag in enumerate(tags):
        if tag.get("id") is not None:
            where.setdefault(tag.get("id"), []).append(i)
    edits: list[tuple[int, int, str]] = []
    renamed: dict[str, str] = {}
    for tag in tags:
        href = tag.get("href") if tag.name == "a" else None
        if not href or not href.startswith("#") or href[1:] in where or href[1:] in renamed.values():
            continue
        target = href[1:]
        # "#key-x" where the section of key holds the one element with id "x": that element gets the id.
        key = next((k for k in section_keys if target.startswith(k + "-")), None)
        old = target[len(key) + 1 :] if key else None
        inside = [i for i in where.get(old, []) if keys[i] == key] if old else []
        if len(inside) == 1 and old not in renamed:
            _, start, end = tags[inside[0]].attrs["id"]
            edits.append((start, end, target))
            renamed[old] = target
            counts["ids given their page's key"] += 1
            continue
        if _unlinked(page_html, tag, edits, unresolved | {target}):
            counts["cross-references to nothing unlinked"] += 1
            continue
        counts["links left dead"] += 1
    for tag in tags:
        href = tag.get("href") if tag.name == "a" else None
        if href and href.startswith("#") and href[1:] in where and _unlinked(page_html, tag, edits, unresolved):
            counts["cross-references to the wrong place unlinked"] += 1
    # A link elsewhere to a renamed id, as it was before, follows it (when no other element keeps that id).
    for tag in tags:
        href = tag.get("href") if tag.name == "a" else None
        if href and href[1:] in renamed and len(where.get(href[1:], [])) == 1:
            _, start, end = tag.attrs["href"]
            edits.append((start, end, "#" + renamed[href[1:]]))
    return _edit(page_html, edits)


def _valid_markup(page_html: str, counts: dict[str, int]) -> str:
    """``heading-number`` becomes ``data-heading-number``; the heading-number ``<style>`` moves into ``<head>``."""
    page_html, n = re.subn(r"(<section [^>]*?\s)heading-number=", r"\1data-heading-number=", page_html)
    counts["heading-number attributes renamed"] += n
    style = _HEADING_STYLE.search(page_html)
    head_end = page_html.find("</head>")
    if style and 0 <= head_end < style.start():
        page_html = page_html[: style.start()] + page_html[style.end() :]
        page_html = page_html[:head_end] + style.group() + page_html[head_end:]
        counts["style moved into head"] += 1
    return page_html


UNRESOLVED = re.compile(r'<span title="([^"<>]*)">')


def unresolved_references(pages: list[str]) -> set[str]:
    """The cross-references that mkdocs-autorefs left unlinked on ``pages`` (it writes them ``<span title="x">``)."""
    return {html.unescape(found) for page in pages for found in UNRESOLVED.findall(page)}


def repair_print_page(page_html: str, unresolved: set[str] = frozenset()) -> tuple[str, dict[str, int]]:
    """The print page with every internal link landing, each id once, and valid markup; and what was done.

    ``unresolved``: the cross-references the other pages leave unlinked (:func:`unresolved_references`).
    """
    from collections import Counter

    counts: Counter[str] = Counter()
    page_html = _unique_ids(page_html, counts)
    page_html = _landing_links(page_html, counts, set(unresolved))
    page_html = _valid_markup(page_html, counts)
    return page_html, dict(counts)
