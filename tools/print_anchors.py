"""Repairs of the print page that mkdocs-print-site-plugin writes (``print_page/index.html``).

``hooks/print_site.py`` calls :func:`repair_print_page` (through ``html_memo``) once the plugin has written
the page: a pure transform of the written file, made of local edits of its text, that uses nothing of the
plugin. It is a library of that hook, kept out of ``hooks/`` (which holds hooks only). The plugin's own search
for the ids it rewrites is slow on long lines; the fix offered upstream is in
``patches/mkdocs-print-site-plugin-one-pass-anchor-ids.patch`` (the build uses the plugin as released).
"""

from __future__ import annotations

import bisect
import html
import re

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
