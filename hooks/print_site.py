"""Settings around mkdocs-print-site-plugin, which puts the whole book on one page (print_page/).

- The plugin checks that it is the last plugin, counting the ``hooks:`` only
  when they are given as a mapping; mkdocs takes them as a list, so the check
  warns (and ``--strict`` fails) although ``print-site`` is the last entry of
  ``plugins:``. That one message is dropped; every other warning stays.
- The plugin adds its two stylesheets and its script to every page. Only the
  print page uses them; elsewhere they would be three more requests that block
  the first paint on a phone, so they are removed from the other pages.
"""

from __future__ import annotations

import logging

from bs4 import BeautifulSoup

log = logging.getLogger("mkdocs.hooks.print_site")

PRINT_PAGE = "print_page/"
_ASSETS = ("css/print-site", "js/print-site")
_MISPLACED = "[mkdocs-print-site] 'print-site' should be defined as the *last* plugin"


class _DropMisplacedWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(_MISPLACED)


logging.getLogger("mkdocs.plugins").addFilter(_DropMisplacedWarning())


def on_post_page(output: str, page, config, **kwargs) -> str:
    if page.url == PRINT_PAGE or "print-site" not in output:
        return output
    # Found with BeautifulSoup; removed as the theme wrote them, so the rest of the page stays byte for byte.
    soup = BeautifulSoup(output, "html.parser")
    for tag in soup.select("link[href], script[src]"):
        url = tag.get("href") or tag.get("src")
        if not any(asset in url for asset in _ASSETS):
            continue
        written = f'<link rel="stylesheet" href="{url}">' if tag.name == "link" else f'<script src="{url}"></script>'
        if written not in output:
            log.warning(f"print_site hook: cannot find {written} in {page.url}; has the theme changed?")
        output = output.replace(written, "")
    return output
