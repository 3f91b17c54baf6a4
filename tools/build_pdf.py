#!/usr/bin/env python3
"""Print the whole book to one PDF: SITE_DIR/nnbook.pdf.

    .venv/bin/python tools/build_pdf.py [SITE_DIR] [--no-cache]

``mkdocs-print-site-plugin`` puts every page of the book on one page,
``print_page/``, during ``mkdocs build``. This script serves the built site on
localhost and has headless Chromium (the browser the tests drive) print that
page, in the light scheme, with the exercise solutions unfolded, once the page
and its fonts have loaded. Formulas are MathML in the HTML already, so nothing
is left to typeset. ``python3 make.py build`` runs it after the build.

Printing takes a while, so the PDF is kept in ``.cache/nnbook-pdf/`` and reused
when nothing it is printed from has changed: the key is a hash of every file of
the site the print loaded (the print page's HTML, each stylesheet, script, image
and font it requested, by content; one it asked for and did not find, as absent),
the fonts installed on the machine (their paths, as fontconfig lists them, not
their contents), Chromium's version and command-line flags, Playwright's version
and this script's source (the print options). A print that requested anything
from outside the site is not cached. ``--no-cache`` prints afresh.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

# The site tests' helpers (tests/site/site_helpers.py), which read tests/repo.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "site"))
from site_helpers import CHROMIUM_ARGS, INSTALL_CHROMIUM, ROOT, find_chromium, serve

PDF_NAME = "nnbook.pdf"
PRINT_PAGE = "print_page/"
CACHE = ROOT / ".cache" / "nnbook-pdf"
# docs/javascripts/solutions.js folds each solution into a <details> element, then says so.
SOLUTIONS_FOLDED = """() => !document.querySelector('script[src*="solutions"]')
  || document.documentElement.dataset.nnbookSolutions === 'folded'"""
KEPT = 3  # PDFs kept in the cache (a few MB each): enough for switching between branches


def _site_file(site: Path, url: str, base: str) -> Path | None:
    """The file under ``site`` that the local ``url`` served (None for a URL off the site)."""
    if url.startswith("data:"):
        return None  # inline: part of the file that holds it
    if not url.startswith(base + "/"):
        raise ValueError(url)
    path = unquote(urlparse(url).path).lstrip("/")
    target = site / path
    return target / "index.html" if target.is_dir() or path.endswith("/") or not path else target


def _key(site: Path, files: list[str], chromium_version: str) -> str:
    """The hash of everything the print of ``site`` reads (a file it asked for and did not find counts as absent)."""
    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    digest.update(chromium_version.encode())
    digest.update(" ".join(CHROMIUM_ARGS).encode())
    digest.update(importlib.metadata.version("playwright").encode())
    fonts = shutil.which("fc-list")
    if fonts:
        listed = subprocess.run([fonts, "--format", "%{file}\n"], capture_output=True, text=True).stdout
        digest.update("\n".join(sorted(listed.splitlines())).encode())
    for name in sorted(files):
        file = site / name
        content = hashlib.sha256(file.read_bytes()).digest() if file.is_file() else b"absent"
        digest.update(name.encode() + b"\0" + content)
    return digest.hexdigest()


def _cached(site: Path, chromium_version: str, cache: Path) -> Path | None:
    """A PDF printed earlier from exactly the files ``site`` holds now, if the cache has one."""
    for entry in sorted(cache.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            recorded = json.loads(entry.read_text())
        except (OSError, ValueError):  # truncated by a crash, or removed by another build meanwhile
            print(f"warning: unreadable cache entry {entry}: deleted", file=sys.stderr)
            entry.unlink(missing_ok=True)
            continue
        pdf = entry.with_suffix(".pdf")
        if pdf.is_file() and _key(site, recorded["files"], chromium_version) == recorded["key"]:
            entry.touch()  # most recently used
            return pdf
    return None


def _store(site: Path, files: list[str], chromium_version: str, printed: Path, cache: Path) -> None:
    key = _key(site, files, chromium_version)
    cache.mkdir(parents=True, exist_ok=True)
    # Unique temporary names, renamed into place: another build at the same time sees whole files only.
    pdf_tmp = cache / f"{key}.{os.getpid()}.pdf.tmp"
    shutil.copyfile(printed, pdf_tmp)
    pdf_tmp.replace(cache / f"{key}.pdf")
    json_tmp = cache / f"{key}.{os.getpid()}.json.tmp"
    json_tmp.write_text(json.dumps({"key": key, "files": files}, indent=1))
    json_tmp.replace(cache / f"{key}.json")
    for old in sorted(cache.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[KEPT:]:
        old.with_suffix(".pdf").unlink(missing_ok=True)
        old.unlink(missing_ok=True)


def print_with(browser, site: Path, cache: Path | None = CACHE) -> Path:
    """Print ``site``'s print page to ``site/nnbook.pdf`` with a running Playwright ``browser``.

    With a ``cache`` folder, a PDF printed there earlier from the same inputs is copied instead.
    """
    if not (site / PRINT_PAGE / "index.html").is_file():
        raise SystemExit(f"{site / PRINT_PAGE} is missing: build the site with mkdocs-print-site-plugin first")
    target = site / PDF_NAME
    if cache is not None and (earlier := _cached(site, browser.version, cache)) is not None:
        shutil.copyfile(earlier, target)
        return target
    httpd, base = serve(site)
    context = browser.new_context(color_scheme="light")
    requested: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: requested.append(r.url))
        # "load": the whole page parsed and its scripts run (Playwright's "networkidle" alone can come
        # while a page this long is still parsing, and the solutions then print folded).
        page.goto(f"{base}/{PRINT_PAGE}", wait_until="load")
        page.wait_for_load_state("networkidle")
        page.wait_for_function(SOLUTIONS_FOLDED)
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        page.emulate_media(media="print")
        # Page numbers come from the plugin's print stylesheet (@page margin boxes).
        page.pdf(path=str(target), format="A4", print_background=True, prefer_css_page_size=True)
    finally:
        context.close()
        httpd.shutdown()
    if cache is not None:
        try:
            files = {_site_file(site, url, base) for url in requested}
        except ValueError:  # a request off the site: its content is not part of the key, so no cache
            return target
        names = sorted(f.relative_to(site).as_posix() for f in files if f is not None)
        _store(site, names, browser.version, target, cache)
    return target


def print_book(site: Path, chromium: str, cache: Path | None = CACHE) -> Path:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            return print_with(browser, site, cache)
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", nargs="?", type=Path, default=ROOT / "site")
    parser.add_argument("--no-cache", action="store_true", help=f"print afresh; neither read nor write {CACHE}")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit(f"Chromium not found, so the PDF cannot be printed: {INSTALL_CHROMIUM}")
    target = print_book(args.site, chromium, None if args.no_cache else CACHE)
    print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
