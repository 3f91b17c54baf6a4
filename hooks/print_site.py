"""Settings around mkdocs-print-site-plugin, which puts the whole book on one page (print_page/).

- The plugin checks that it is the last plugin, counting the ``hooks:`` only
  when they are given as a mapping; mkdocs takes them as a list, so the check
  warns (and ``--strict`` fails) although ``print-site`` is the last entry of
  ``plugins:``. That one message is dropped; every other warning stays.
- The plugin adds its two stylesheets and its script to every page. Only the
  print page uses them; elsewhere they would be three more requests that block
  the first paint on a phone, so they are removed from the other pages.
- **Remembered work.** Finding those assets parses the page; the plugin, when it
  assembles the print page, rewrites each page's anchors with a search-and-replace
  over the whole page for every heading (quadratic in the page). Both depend on
  their input alone, so their results are remembered in ``.cache/``
  (``hooks/build_memo.py``) and a warm build does neither for an unchanged page.
"""

from __future__ import annotations

import json
import logging

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


def print_assets(output: str) -> str:
    """The plugin's stylesheets and scripts that the page ``output`` loads: JSON list of [tag name, URL]."""
    soup = BeautifulSoup(output, "html.parser")
    found = []
    for tag in soup.select("link[href], script[src]"):
        url = tag.get("href") or tag.get("src")
        if any(asset in url for asset in _ASSETS):
            found.append([tag.name, url])
    return json.dumps(found)


_print_assets = memoise(print_assets, packages=("beautifulsoup4", "soupsieve"))


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
    for name, url in json.loads(_print_assets(output)):
        written = f'<link rel="stylesheet" href="{url}">' if name == "link" else f'<script src="{url}"></script>'
        if written not in output:
            log.warning(f"print_site hook: cannot find {written} in {page.url}; has the theme changed?")
        output = output.replace(written, "")
    return output
