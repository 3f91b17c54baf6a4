#!/usr/bin/env python3
"""Execute every chapter afresh and compare each cell's output with the execution the build used.

    .venv/bin/python tools/check_reproducible.py [--jobs N]

The build keeps each chapter's executed notebook in ``.cache/executed``,
keyed on everything its output depends on (``tools/execute_chapters.py``); a
chapter with no execution for its current key is executed for the store first.
This script then executes every notebook page again in new kernels, ``--jobs``
at a time (default: one per core; ``--jobs 1`` runs them one after another, so
a cache filled by a parallel build is compared with a sequential execution).

Outputs must be identical, text and figures alike, except in cells that
measure time: a cell whose code calls ``Timer(``, ``time_call``, ``time_levels``, ``time_data_parallel``,
``import_time_ratio`` or ``time.perf_counter``, or reads a measured duration
(``seconds_per_epoch``, ``.seconds``).

Exit status 0 when the executions agree; otherwise it lists each difference.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMING = re.compile(
    r"Timer\(|blocked_autorange|time_call|time_levels|import_time_ratio|perf_counter|seconds_per_epoch|\.seconds\b"
    r"|time_data_parallel\("
)

# What a reader sees of an output; metadata (such as execution timestamps) is left out.
_SHOWN = ("text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/svg+xml", "image/jpeg")


def normalised(outputs: list) -> str:
    """The text and the images of a cell's outputs.

    The kernel may deliver one printed text as one stream message or as
    several, depending on timing. Comparing each stream's text joined ignores
    that split.
    """
    streams: dict[str, str] = {}
    shown = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            streams[output["name"]] = streams.get(output["name"], "") + output["text"]
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            shown.extend(f"[{mime}]\n{''.join(data[mime])}" for mime in _SHOWN if mime in data)
        elif kind == "error":
            shown.append(f"[error] {output.get('ename')}: {output.get('evalue')}")
    return "".join(f"[{name}]\n{text}" for name, text in sorted(streams.items())) + "\n".join(shown)


def cell_outputs(notebook) -> list[tuple[str, str]]:
    """(code, outputs as text and images) of each code cell of an executed notebook."""
    return [(cell.source, normalised(cell.get("outputs", []))) for cell in notebook.cells if cell.cell_type == "code"]


def first_difference(a: str, b: str) -> str:
    """The first line in which two outputs differ, shortened, for the report."""
    for line_a, line_b in itertools.zip_longest(a.splitlines(), b.splitlines(), fillvalue="<nothing>"):
        if line_a != line_b:
            at = next(
                (i for i, (p, q) in enumerate(zip(line_a, line_b, strict=False)) if p != q),
                min(len(line_a), len(line_b)),
            )
            start = max(0, at - 30)
            return f": {line_a[start : at + 50]!r} against {line_b[start : at + 50]!r}"
    return ""


def compare_notebooks(name: str, a, b) -> list[str]:
    """Differences between the cell outputs of two executions of one notebook, ignoring cells that measure time."""
    cells_a, cells_b = cell_outputs(a), cell_outputs(b)
    if len(cells_a) != len(cells_b):
        return [f"{name}: {len(cells_a)} code cells in one execution, {len(cells_b)} in the other"]
    differences = []
    for index, ((code, out_a), (_, out_b)) in enumerate(zip(cells_a, cells_b, strict=True)):
        if out_a != out_b and not TIMING.search(code):
            first = code.strip().splitlines()[0] if code.strip() else ""
            differences.append(
                f"{name}: code cell {index + 1} ({first[:60]!r}) differs{first_difference(out_a, out_b)}"
            )
    return differences


def execute_chapters():
    """The build's execution step, which executes and stores the chapters."""
    if str(ROOT / "tools") not in sys.path:
        sys.path.insert(0, str(ROOT / "tools"))
    import execute_chapters as module

    return module


def build_execution(source: Path):
    """The executed notebook the build renders for chapter ``source`` (executed now if not stored)."""
    import nbformat

    pages = execute_chapters().prepare(ROOT / "mkdocs.yml", [source])
    return nbformat.read(pages[Path(source).resolve()], as_version=4)


def fresh_executions(sources: list[Path]) -> dict:
    """Each chapter of ``sources`` executed afresh, in new kernels: {source: notebook}."""
    import tempfile

    import nbformat

    step = execute_chapters()
    with tempfile.TemporaryDirectory(prefix="nnbook-fresh-") as folder:
        targets = {source: Path(folder) / f"{source.stem}.ipynb" for source in sources}
        step.execute(targets, ROOT)
        return {source: nbformat.read(target, as_version=4) for source, target in targets.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, help="kernels at once for the fresh executions (default: one per core)")
    args = parser.parse_args()
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    import nbformat

    step = execute_chapters()
    sources = step.chapters(ROOT / "mkdocs.yml")
    print(f"{len(sources)} notebook pages; reading (or making) the build's executions", flush=True)
    used = {s: nbformat.read(p, as_version=4) for s, p in step.prepare(ROOT / "mkdocs.yml", sources).items()}
    if args.jobs:
        os.environ["NNBOOK_JOBS"] = str(args.jobs)
    print(f"executing them afresh, {step.jobs()} at a time", flush=True)
    fresh = fresh_executions(sources)
    differences = []
    for source in sources:
        differences += compare_notebooks(source.relative_to(ROOT).as_posix(), used[source], fresh[source])
    for line in differences:
        print(line)
    print(
        f"{len(differences)} difference(s) between two executions of {len(sources)} notebooks, "
        "outside cells that measure time"
    )
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
