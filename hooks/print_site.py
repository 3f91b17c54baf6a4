"""Settings around mkdocs-print-site-plugin, which puts the whole book on one page (print_page/).

- The plugin checks that it is the last plugin, counting the ``hooks:`` only
  when they are given as a mapping; mkdocs takes them as a list, so the check
  warns (and ``--strict`` fails) although ``print-site`` is the last entry of
  ``plugins:``. That one message is dropped; every other warning stays.
- The plugin adds its two stylesheets and its script to every page. Only the
  print page uses them; elsewhere they would be three more requests that block
  the first paint on a phone, so they are removed from the other pages.
- **Every internal link lands.** Once the plugin has written the print page, a
  post-build step (``tools/print_anchors.py``'s ``repair_print_page``: local edits of the
  written file, nothing of the plugin touched; its result kept by ``tools/html_memo.py``)
  gives the ids the plugin left unprefixed the prefix its links expect, unlinks the
  cross-references that the other pages leave unlinked (the plugin's URL mapper links them
  to ids that do not exist, or to any id that contains their name), makes the ids that
  several pages brought along unique, and makes the markup valid HTML. The PDF is printed from this page, so its links
  land too (``tests/site/test_print_anchors.py``, and the PDF test of
  ``tests/site/test_browser.py``).
- The plugin is used as released: nothing of it is replaced. Its search for the
  ids it rewrites backtracks over long lines (about 3 CPU s of each build of this
  book); the one-pass search offered upstream is
  ``patches/mkdocs-print-site-plugin-one-pass-anchor-ids.patch``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority

TOOLS = str(Path(__file__).resolve().parents[1] / "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)
import html_memo  # noqa: E402
import print_anchors  # noqa: E402

log = logging.getLogger("mkdocs.hooks.print_site")

PRINT_PAGE = "print_page/"
_ASSETS = ("css/print-site", "js/print-site")
_MISPLACED = "[mkdocs-print-site] 'print-site' should be defined as the *last* plugin"


class _DropMisplacedWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(_MISPLACED)


logging.getLogger("mkdocs.plugins").addFilter(_DropMisplacedWarning())


# The plugin's stylesheets and script as the theme writes them, and any other tag that loads them.
_ASSET_TAG = re.compile(
    r'<link rel="stylesheet" href="[^"]*css/print-site[^"]*">|<script src="[^"]*js/print-site[^"]*"></script>'
)
_ANY_ASSET_TAG = re.compile(r"<(?:link|script)\b[^>]*(?:css|js)/print-site", re.IGNORECASE)


def on_post_page(output: str, page, config, **kwargs) -> str:
    if page.url == PRINT_PAGE or "print-site" not in output:
        return output
    # Removed as the theme wrote them, so the rest of the page stays byte for byte.
    output = _ASSET_TAG.sub("", output)
    if _ANY_ASSET_TAG.search(output):
        log.warning(f"print_site hook: {page.url} still loads a print-site asset; has the theme changed?")
    return output


def _repair(text: str) -> str:
    """The print page's repair (``print_anchors.repair_print_page``) of ``unresolved + "\\0" + page``, as one
    text for ``html_memo``: what was done (JSON) on the first line, then the repaired page."""
    unresolved, page = text.split("\0", 1)
    repaired, counts = print_anchors.repair_print_page(page, set(filter(None, unresolved.split("\n"))))
    return json.dumps(counts) + "\n" + repaired


# After every plugin's on_post_build: mkdocs-print-site-plugin writes the print page in its own.
@event_priority(-100)
def on_post_build(config, **kwargs):
    site = Path(config.site_dir)
    printed = site / PRINT_PAGE / "index.html"
    if config.plugins.get("print-site") is None or not printed.is_file():
        return
    others = [p.read_text(encoding="utf-8") for p in sorted(site.rglob("*.html")) if p != printed]
    unresolved = "\n".join(sorted(print_anchors.unresolved_references(others)))
    text = unresolved + "\0" + printed.read_text(encoding="utf-8")
    root = Path(config.config_file_path).parent
    done = html_memo.memo(root, "print_site", _repair, text, files=[__file__, print_anchors.__file__])
    counts_line, repaired = done.split("\n", 1)
    counts = json.loads(counts_line)
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
