#!/usr/bin/env python3
"""Print Lighthouse's four mobile scores for the home page and every chapter.

    .venv/bin/python tools/lighthouse_report.py [SITE_DIR] [--pages PATH ...]

Serves SITE_DIR (default ``site/``, from ``python3 make.py build``) on localhost,
gzip-compressed as GitHub Pages serves it, and runs Lighthouse (pinned in
``tools/lighthouse/package-lock.json``; installed there with ``npm ci`` on first
use) against Chromium (``CHROME_PATH``, default ``/usr/bin/chromium``) with its
default mobile profile: a mid-range phone on a throttled 4G connection. Targets:
performance >= 90, accessibility >= 95. A report, not a test: the scores move with
the machine's load, so figures taken on a busy machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# The site tests' helpers (tests/site/site_helpers.py), which read tests/repo.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "site"))
from site_helpers import ROOT, find_chromium, page_paths, serve

HERE = ROOT / "tools" / "lighthouse"
CLI = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]


def ensure_lighthouse() -> None:
    if CLI.exists():
        return
    npm = shutil.which("npm") or sys.exit("npm not found: install Node.js and npm to run Lighthouse")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)


def scores(url: str, chrome: str) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        flags = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
        subprocess.run(
            [
                "node",
                str(CLI),
                url,
                f"--only-categories={','.join(CATEGORIES)}",
                "--output=json",
                f"--output-path={out}",
                "--quiet",
                f"--chrome-flags={flags}",
            ],
            env=dict(os.environ, CHROME_PATH=chrome),
            check=True,
            timeout=300,
        )
        report = json.loads(out.read_text())
    found = {name: round(100 * report["categories"][name]["score"]) for name in CATEGORIES}
    audits = report["audits"]
    found["lcp_s"] = round(audits["largest-contentful-paint"]["numericValue"] / 1000, 1)
    found["kib"] = round(audits["total-byte-weight"]["numericValue"] / 1024)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", nargs="?", type=Path, default=ROOT / "site")
    parser.add_argument("--pages", nargs="*", help="URL paths (default: the home page and every chapter)")
    args = parser.parse_args()
    ensure_lighthouse()
    chrome = os.environ.get("CHROME_PATH") or find_chromium(headless_shell=False) or sys.exit("Chromium not found")
    pages = args.pages or [p for p in page_paths() if p == "/" or p.startswith("/chapters/")]
    httpd, base = serve(args.site, gzip=True)
    try:
        print(f"{'page':42} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5} {'LCP s':>6} {'KiB':>6}")
        for path in pages:
            s = scores(base + path, chrome)
            print(
                f"{path:42} {s['performance']:5} {s['accessibility']:5} {s['best-practices']:5} {s['seo']:5} "
                f"{s['lcp_s']:6} {s['kib']:6}",
                flush=True,
            )
    finally:
        httpd.shutdown()


if __name__ == "__main__":
    main()
