"""Settings around mkdocs-print-site-plugin, which puts the whole book on one page (print_page/).

- The plugin checks that it is the last plugin, counting the ``hooks:`` only
  when they are given as a mapping; mkdocs takes them as a list, so the check
  warns (and ``--strict`` fails) although ``print-site`` is the last entry of
  ``plugins:``. That one message is dropped; every other warning stays.
- The plugin adds its two stylesheets and its script to every page. Only the
  print page uses them; elsewhere they would be three more requests that block
  the first paint on a phone, so they are removed from the other pages.
- **Every internal link lands.** Once the plugin has written the print page, a
  post-build step (``print_anchors.repair_print_page``: local edits of the written
  file, nothing of the plugin touched) gives the ids the plugin left unprefixed the
  prefix its links expect, unlinks the cross-references that the other pages leave
  unlinked (the plugin's URL mapper links them to ids that do not exist, or to any id
  that contains their name), makes the ids that several pages brought along unique,
  and makes the markup valid HTML. The PDF is printed from this page, so its links
  land too (``tests/site/test_print_anchors.py``, and the PDF test of
  ``tests/site/test_browser.py``).
- The plugin is used as released: nothing of it is replaced. Its search for the
  ids it rewrites backtracks over long lines (about 3 CPU s of each build of this
  book); the one-pass search offered upstream is
  ``patches/mkdocs-print-site-plugin-one-pass-anchor-ids.patch``.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path

from bs4 import BeautifulSoup
from mkdocs.plugins import event_priority

import print_anchors

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


# After every plugin's on_post_build: mkdocs-print-site-plugin writes the print page in its own.
@event_priority(-100)
def on_post_build(config, **kwargs):
    site = Path(config.site_dir)
    printed = site / PRINT_PAGE / "index.html"
    if config.plugins.get("print-site") is None or not printed.is_file():
        return
    others = [p.read_text(encoding="utf-8") for p in sorted(site.rglob("*.html")) if p != printed]
    repaired, counts = print_anchors.repair_print_page(
        printed.read_text(encoding="utf-8"), print_anchors.unresolved_references(others)
    )
    if counts.get("links left dead"):
        log.warning(f"print_site hook: {counts['links left dead']} links of the print page lead nowhere")
    log.info(f"print_site hook: print page repaired: {counts}")
    # Written to a temporary name and renamed: a crash leaves the plugin's page or the repaired one, never half.
    handle, temporary = tempfile.mkstemp(prefix=".print-page-", suffix=".html", dir=printed.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(repaired)
        os.chmod(temporary, 0o644)
        os.replace(temporary, printed)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
