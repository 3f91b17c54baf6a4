#!/usr/bin/env python3
"""Print the whole book to one PDF: SITE_DIR/nnbook.pdf.

    .venv/bin/python tools/build_pdf.py [SITE_DIR]

``mkdocs-print-site-plugin`` puts every page of the book on one page,
``print_page/``, during ``mkdocs build``. This script serves the built site on
localhost and has headless Chromium (the browser the tests drive) print that
page, in the light scheme, with the exercise solutions unfolded, once the page
and its fonts have loaded. Formulas are MathML in the HTML already, so nothing
is left to typeset. ``python3 make.py build`` runs it after the build.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from site_helpers import CHROMIUM_ARGS, INSTALL_CHROMIUM, ROOT, find_chromium, serve

PDF_NAME = "nnbook.pdf"
PRINT_PAGE = "print_page/"


def print_with(browser, site: Path) -> Path:
    """Print ``site``'s print page to ``site/nnbook.pdf`` with a running Playwright ``browser``."""
    if not (site / PRINT_PAGE / "index.html").is_file():
        raise SystemExit(f"{site / PRINT_PAGE} is missing: build the site with mkdocs-print-site-plugin first")
    target = site / PDF_NAME
    httpd, base = serve(site)
    context = browser.new_context(color_scheme="light")
    try:
        page = context.new_page()
        page.goto(f"{base}/{PRINT_PAGE}", wait_until="networkidle")
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        page.emulate_media(media="print")
        # Page numbers come from the plugin's print stylesheet (@page margin boxes).
        page.pdf(path=str(target), format="A4", print_background=True, prefer_css_page_size=True)
    finally:
        context.close()
        httpd.shutdown()
    return target


def print_book(site: Path, chromium: str) -> Path:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            return print_with(browser, site)
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", nargs="?", type=Path, default=ROOT / "site")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit(f"Chromium not found, so the PDF cannot be printed: {INSTALL_CHROMIUM}")
    target = print_book(args.site, chromium)
    print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
