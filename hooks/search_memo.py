"""Remember each page's search-index entries across builds (the search plugin's parse of every page).

mkdocs-material's search plugin reads every page's HTML with Python's
``html.parser`` to cut it into sections, about a third of a warm build's work
for pages that have not changed. Its ``SearchIndex.add_entry_from_context``
depends only on what it reads from the page (its HTML, address, title, table of
contents and the ``search``, ``tags`` and ``title`` entries of its metadata)
and on the plugin's settings, so this hook wraps it with
:func:`build_memo.memoise`: the entries a page produced are kept in
``.cache/nnbook-html`` under a key of all of those (and the plugin's version),
and a warm build adds the remembered entries instead of parsing the page again.
The first build of a page runs the plugin's own method, so the entries are the
plugin's; ``tests/test_search_memo.py`` checks that remembered entries equal them.
"""

from __future__ import annotations

import json

from build_memo import memoise

# The page and the index being served by the current call (the memoised function takes text only).
_current: dict = {}


def _toc(items) -> list:
    """The table of contents as plain data: what the plugin reads of it (id, address, title), nested."""
    return [
        {"id": item.id, "url": item.url, "title": str(item.title), "children": _toc(item.children)} for item in items
    ]


def page_key(index, page) -> str:
    """Everything but the HTML that the plugin's method reads from ``page`` and ``index``, as JSON."""
    meta = {name: page.meta.get(name) for name in ("search", "tags", "title")}
    return json.dumps(
        {
            "url": page.url,
            "title": str(page.title),
            "meta": meta,
            "toc": _toc(page.toc),
            "config": index.config,
        },
        sort_keys=True,
        default=repr,
    )


def install() -> None:
    """Wrap the search plugin's ``SearchIndex.add_entry_from_context`` (once)."""
    from material.plugins.search import plugin

    original = plugin.SearchIndex.add_entry_from_context
    if getattr(original, "nnbook_original", None) is not None:
        return

    def entries_of(content: str, key: str) -> str:
        """The entries the plugin's own method adds for the page being indexed, as JSON."""
        index, page = _current["index"], _current["page"]
        fresh = plugin.SearchIndex(**index.config)
        original(fresh, page)
        return json.dumps(fresh.entries)

    remembered = memoise(entries_of, packages=("mkdocs-material",))

    def add_entry_from_context(self, page):
        _current.update(index=self, page=page)
        try:
            self.entries.extend(json.loads(remembered(page.content, page_key(self, page))))
        finally:
            _current.clear()

    add_entry_from_context.nnbook_original = original
    plugin.SearchIndex.add_entry_from_context = add_entry_from_context


def on_config(config, **kwargs):
    if config.plugins.get("material/search") is not None or config.plugins.get("search") is not None:
        install()
    return config
