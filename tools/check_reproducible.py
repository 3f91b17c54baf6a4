#!/usr/bin/env python3
"""Build the book twice from the same commit and compare every cell's output.

Both builds execute every notebook page afresh (the notebook cache is off).
Outputs must be identical, text and figures alike, except in cells that
measure time: a cell whose code calls ``time_call``, ``time_levels``,
``import_time_ratio`` or ``time.perf_counter``, or reads a measured duration
(``seconds_per_epoch``, ``.seconds``).

    .venv/bin/python tools/check_reproducible.py

Exit status 0 when the builds agree; otherwise it lists each difference.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMING = re.compile(r"time_call|time_levels|import_time_ratio|perf_counter|seconds_per_epoch|\.seconds\b|blocked_autorange")
_CELL = re.compile(r'<div class="jp-Cell jp-CodeCell[^"]*" id="cell-id=[^"]*">(.*?)(?=<div class="jp-Cell jp-|</main>|<footer)', re.S)
_CODE = re.compile(r'<div class="clipboard-copy-txt"[^>]*>(.*?)</div>', re.S)
_OUTPUT = re.compile(r'<div class="jp-OutputArea jp-Cell-outputArea">(.*)', re.S)


_TAG = re.compile(r"<[^>]+>")
_IMAGE = re.compile(r'<img [^>]*src="([^"]+)"')


def normalised(output_html: str) -> str:
    """The text and the images of a cell's output.

    The kernel may deliver one printed text as one stream message or as
    several, depending on timing; nbconvert shows each message in its own box.
    Comparing the text itself, joined, ignores that split.
    """
    text = "".join(_TAG.sub("", part) for part in re.findall(r"<pre>(.*?)</pre>", output_html, re.S))
    return text + "".join(f"\n[image {src}]" for src in _IMAGE.findall(output_html))


def cell_outputs(page: Path) -> list[tuple[str, str]]:
    """(code, output text and images) of each code cell of a built notebook page."""
    cells = []
    for body in _CELL.findall(page.read_text(encoding="utf-8")):
        code = _CODE.search(body)
        output = _OUTPUT.search(body)
        cells.append((code.group(1) if code else "", normalised(output.group(1)) if output else ""))
    return cells


def compare(site_a: Path, site_b: Path) -> list[str]:
    """Differences between the cell outputs of two builds, ignoring cells that measure time."""
    differences = []
    pages = sorted(p.relative_to(site_a) for p in site_a.rglob("index.html") if "jupyter-wrapper" in p.read_text())
    if not pages:
        return ["no notebook page found in the first build"]
    for rel in pages:
        a, b = cell_outputs(site_a / rel), cell_outputs(site_b / rel)
        if len(a) != len(b):
            differences.append(f"{rel}: {len(a)} cells in one build, {len(b)} in the other")
            continue
        for index, ((code, out_a), (_, out_b)) in enumerate(zip(a, b)):
            if out_a != out_b and not TIMING.search(code):
                first = code.strip().splitlines()[0] if code.strip() else ""
                differences.append(f"{rel}: cell {index + 1} ({first[:60]!r}) differs")
    return differences


def build(site_dir: Path) -> None:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", NNBOOK_NOTEBOOK_CACHE="false")
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site_dir)],
                   cwd=ROOT, env=env, check=True)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        first, second = Path(tmp) / "first", Path(tmp) / "second"
        for site in (first, second):
            print(f"building into {site} with every page executed afresh", flush=True)
            build(site)
        differences = compare(first, second)
    for line in differences:
        print(line)
    print(f"{len(differences)} difference(s) between two builds, outside cells that measure time")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
