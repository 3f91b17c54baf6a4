#!/usr/bin/env python3
"""How long the book takes to build: cold, warm, and after the two usual edits.

    .venv/bin/python benchmarks/build_time.py [--chapter 02-tensors]

The script copies the working tree (tracked and untracked, not ignored files)
into a temporary folder, so the real tree and its cache stay untouched, and
runs ``mkdocs build --strict`` there four times:

1. cold: no cache at all;
2. warm: nothing changed since the cold build;
3. one chapter touched: a blank line appended to one chapter;
4. ``src/nnbook`` touched: a comment appended to the package's ``__init__.py``
   (every chapter's output may depend on it, so every chapter runs again).

It prints a table of wall-clock times and, when the build records them, each
chapter's execution time (from the executed notebooks in the copy's cache).
These are measurements of this machine at this moment, not guarantees: the
load average is printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_tree(target: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def build(tree: Path) -> float:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONHASHSEED="0")
    # The kernels must import the copy's package, not the editable install's.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree / "src"), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=tree, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"build failed in {tree}:\n{done.stdout}{done.stderr}")
    return seconds


def chapter_times(tree: Path) -> dict[str, float]:
    """Execution time of each chapter, as recorded by hooks/notebook_cache.py in the newest cache entries."""
    times: dict[str, tuple[float, float]] = {}
    for path in (tree / ".cache" / "nnbook-notebooks").glob("*.ipynb"):
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("nnbook", {})
        if "source" in meta and "execution_seconds" in meta:
            mtime = path.stat().st_mtime
            if meta["source"] not in times or times[meta["source"]][0] < mtime:
                times[meta["source"]] = (mtime, meta["execution_seconds"])
    return {name: seconds for name, (_, seconds) in sorted(times.items())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapter", default="02-tensors", help="stem of the chapter to touch (default: %(default)s)")
    args = parser.parse_args()
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="nnbook-bench-") as tmp:
        tree = Path(tmp)
        copy_tree(tree)
        chapter = next((tree / "docs").rglob(f"{args.chapter}.md"))
        print(f"building a copy of the tree in {tree}; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} CPUs", flush=True)

        rows.append(("cold (no cache)", build(tree)))
        cold_chapters = chapter_times(tree)
        rows.append(("warm (nothing changed)", build(tree)))
        with chapter.open("a") as handle:
            handle.write("\n")
        rows.append((f"one chapter touched ({args.chapter})", build(tree)))
        with (tree / "src" / "nnbook" / "__init__.py").open("a") as handle:
            handle.write("\n# touched by benchmarks/build_time.py\n")
        rows.append(("src/nnbook touched", build(tree)))

    width = max(len(name) for name, _ in rows)
    print(f"\n{'build':<{width}}  seconds")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:7.1f}")
    if cold_chapters:
        width = max(len(name) for name in cold_chapters)
        print(f"\n{'chapter (cold build)':<{width}}  execution seconds")
        for name, seconds in cold_chapters.items():
            print(f"{name:<{width}}  {seconds:7.1f}")
        print(f"{'total':<{width}}  {sum(cold_chapters.values()):7.1f}")
    else:
        print("\n(this build records no per-chapter execution times)")
    print(f"\nload average after the runs: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
