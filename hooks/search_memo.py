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
plugin's; ``tests/build/test_search_memo.py`` checks that remembered entries equal them.

**As soon as a page's HTML is final.** The plugin indexes the pages when mkdocs writes
them, after the last chapter of a cold build has run, when nothing else is left to
overlap with (about a second of the build's end, parsing the notebook pages). This hook's
``on_page_content``, the last of all, computes and remembers a page's entries as soon as
its HTML is final instead, while the chapters are still running; the plugin's own call
then reads them back. It is the same call with the same page: if anything the entries
depend on changed in between, the key differs and the plugin computes them afresh.
"""

from __future__ import annotations

import json

from mkdocs.plugins import event_priority

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
    add_entry_from_context.nnbook_remembered = remembered
    plugin.SearchIndex.add_entry_from_context = add_entry_from_context


def remember_ahead(index, page, html: str) -> None:
    """Compute and remember the entries ``index``'s plugin will add for ``page`` once its content is ``html``."""
    from material.plugins.search import plugin

    remembered = getattr(plugin.SearchIndex.add_entry_from_context, "nnbook_remembered", None)
    if remembered is None or not isinstance(index, plugin.SearchIndex):  # mkdocs' own search: not wrapped
        return
    page.content = html  # what mkdocs sets it to after this event, read by the plugin's method
    _current.update(index=index, page=page)
    try:
        remembered(html, page_key(index, page))
    finally:
        _current.clear()


def on_config(config, **kwargs):
    if config.plugins.get("material/search") is not None or config.plugins.get("search") is not None:
        install()
    return config


# The last handler of the event: the page's HTML is final.
@event_priority(-1000)
def on_page_content(html: str, page, config, files, **kwargs) -> str:
    search = config.plugins.get("material/search") or config.plugins.get("search")
    index = getattr(search, "search_index", None)
    if index is not None and search.config.get("enabled", True):
        remember_ahead(index, page, html)
    return html
