"""Settings around mkdocs-print-site-plugin, which puts the whole book on one page (print_page/).

- The plugin checks that it is the last plugin, counting the ``hooks:`` only
  when they are given as a mapping; mkdocs takes them as a list, so the check
  warns (and ``--strict`` fails) although ``print-site`` is the last entry of
  ``plugins:``. That one message is dropped; every other warning stays.
- The plugin adds its two stylesheets and its script to every page. Only the
  print page uses them; elsewhere they would be three more requests that block
  the first paint on a phone, so they are removed from the other pages.
- **Remembered work.** The plugin, when it assembles the print page, rewrites
  each page's anchors with a search-and-replace over the whole page for every
  heading (quadratic in the page). That depends on its input alone, so its
  result is remembered in ``.cache/`` (``hooks/build_memo.py``) and a warm build
  does not redo it for an unchanged page.
"""

from __future__ import annotations

import logging
import re

from bs4 import BeautifulSoup

from build_memo import memoise

log = logging.getLogger("mkdocs.hooks.print_site")

PRINT_PAGE = "print_page/"
_ASSETS = ("css/print-site", "js/print-site")
_MISPLACED = "[mkdocs-print-site] 'print-site' should be defined as the *last* plugin"


class _DropMisplacedWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(_MISPLACED)


logging.getLogger("mkdocs.plugins").addFilter(_DropMisplacedWarning())


# The opening tags of stylesheets and scripts; each candidate is then parsed on its own with BeautifulSoup.
_LINK_OR_SCRIPT = re.compile(r"<(?:link|script)\b[^>]*>", re.IGNORECASE)


def print_assets(output: str) -> list[tuple[str, str]]:
    """(tag name, URL) of each of the plugin's stylesheets and scripts that the page ``output`` loads.

    Parsing the whole page to find three tags took longer than anything else this hook does;
    only the ``<link>`` and ``<script>`` tags that name the plugin are parsed.

    >>> print_assets('<link rel="stylesheet" href="../css/print-site.css"><p>text</p><script src="x.js"></script>')
    [('link', '../css/print-site.css')]
    """
    found = []
    for candidate in _LINK_OR_SCRIPT.finditer(output):
        if not any(asset in candidate.group() for asset in _ASSETS):
            continue
        tag = BeautifulSoup(candidate.group(), "html.parser").find(["link", "script"])
        url = tag.get("href") or tag.get("src") if tag is not None else None
        if url and any(asset in url for asset in _ASSETS):
            found.append((tag.name, url))
    return found


def _memoised_fix_internal_links():
    """mkdocs-print-site-plugin's ``fix_internal_links``, remembered on its input (see the docstring)."""
    from mkdocs_print_site_plugin import renderer, urls

    remembered = memoise(urls.fix_internal_links, packages=("mkdocs-print-site-plugin",))

    def fix_internal_links(page_html, page_url, directory_urls, heading_number):
        return remembered(page_html, page_url, directory_urls, heading_number)

    renderer.fix_internal_links = fix_internal_links


def on_config(config, **kwargs):
    if config.plugins.get("print-site") is not None:
        _memoised_fix_internal_links()
    return config


def on_post_page(output: str, page, config, **kwargs) -> str:
    if page.url == PRINT_PAGE or "print-site" not in output:
        return output
    # Found with BeautifulSoup; removed as the theme wrote them, so the rest of the page stays byte for byte.
    for name, url in print_assets(output):
        written = f'<link rel="stylesheet" href="{url}">' if name == "link" else f'<script src="{url}"></script>'
        if written not in output:
            log.warning(f"print_site hook: cannot find {written} in {page.url}; has the theme changed?")
        output = output.replace(written, "")
    return output
