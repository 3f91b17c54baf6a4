#!/usr/bin/env python3
"""Print axe-core's WCAG 2.0/2.1 A and AA violations for every page of a built site.

    .venv/bin/python tools/axe_report.py [SITE_DIR] [--details]

Serves SITE_DIR (default ``site/``, from ``python3 make.py build``) on localhost,
opens every page in headless Chromium in the light and the dark scheme, runs
axe-core (``npm ci`` installs it) and prints the number of failing elements
per rule. A report, not a test: ``tests/site/test_browser.py`` enforces zero.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

# The site tests' helpers (tests/site/site_helpers.py), which read tests/repo.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "site"))
from site_helpers import (
    AXE_JS,
    AXE_RUN,
    AXE_SHOW_ALL,
    AXE_TAGS,
    CHROMIUM_ARGS,
    INSTALL_AXE,
    ROOT,
    add_axe,
    find_chromium,
    page_paths,
    serve,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", nargs="?", type=Path, default=ROOT / "site")
    parser.add_argument("--details", action="store_true", help="list the failing elements")
    args = parser.parse_args()
    if not AXE_JS.exists():
        sys.exit(INSTALL_AXE)
    from playwright.sync_api import sync_playwright

    httpd, base = serve(args.site)
    totals = Counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        for scheme in ("light", "dark"):
            for path in page_paths():
                context = browser.new_context(color_scheme=scheme)
                page = context.new_page()
                page.goto(base + path, wait_until="networkidle")
                page.wait_for_function(
                    "() => !document.querySelector('script[src*=\"scroll-focus\"]') "
                    "|| document.documentElement.dataset.nnbookScrollBoxes === 'measured'"
                )
                page.add_style_tag(content=AXE_SHOW_ALL)
                add_axe(page)
                # Every element checked, so that each failing one is counted.
                violations = page.evaluate(AXE_RUN, [AXE_TAGS, False])["violations"]
                context.close()
                count = sum(len(v["nodes"]) for v in violations)
                totals[scheme] += count
                rules = ", ".join(f"{v['id']} {len(v['nodes'])}" for v in violations)
                print(f"{scheme:5} {path:45} {count:4}  {rules}")
                if args.details:
                    for v in violations:
                        for n in v["nodes"][:8]:
                            print(f"        {v['id']}: {n['target']}  {n['summary'].splitlines()[-1][:150]}")
        browser.close()
    httpd.shutdown()
    print(f"failing elements: light {totals['light']}, dark {totals['dark']}")


if __name__ == "__main__":
    main()
