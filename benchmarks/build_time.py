#!/usr/bin/env python3
"""How long the book takes to build: cold, warm, and after the two usual edits.

    .venv/bin/python benchmarks/build_time.py [--chapter 02-tensors] [--commit REV] [--only cold|warm]

The script copies the working tree (tracked and untracked, not ignored files)
into a temporary folder, so the real tree and its cache stay untouched, and
builds it there as ``python3 make.py build`` does (the execution step
``tools/execute_chapters.py`` where the tree has one, then ``mkdocs build --strict``)
five times:

1. cold: no cache at all;
2. warm: nothing changed since the cold build;
3. one prose sentence changed in one chapter (no chapter needs executing);
4. one code cell changed in that chapter (that chapter alone is executed);
5. ``src/nnbook`` touched: a comment appended to the package's ``__init__.py``
   (every chapter's output may depend on it, so every chapter runs again).

Beside them it prints a calibration of the machine's speed at that moment: the
fastest of five runs of a fixed pure-Python loop.

It prints a table of wall-clock and CPU times and, when the build records them, each
chapter's execution time, wall and CPU (from the executed notebooks in the copy's
cache), with the floor those set for a cold build: total chapter CPU time over the cores.
These are measurements of this machine at this moment, not guarantees: the
load average is printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_tree(target: Path, commit: str | None = None) -> None:
    """Copy the working tree (tracked and untracked files git does not ignore), or ``commit``'s tree, to ``target``."""
    if commit:
        archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
        return
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def build(tree: Path) -> tuple[float, float]:
    """Build the copy as ``python3 make.py build`` does.

    Returns (wall seconds, CPU seconds of the build and its kernels).
    """
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONHASHSEED="0")
    # The kernels must import the copy's package, not the editable install's.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree / "src"), env.get("PYTHONPATH")]))
    launcher = tree / "tools" / "run_mkdocs.py"
    command = [str(launcher)] if launcher.is_file() else ["-m", "mkdocs"]
    steps = [[sys.executable, *command, "build", "--strict", "-q"]]
    if (tree / "tools" / "execute_chapters.py").is_file():
        steps.insert(0, [sys.executable, str(tree / "tools" / "execute_chapters.py")])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for step in steps:
        done = subprocess.run(step, cwd=tree, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"build failed in {tree}:\n{done.stdout}{done.stderr}")
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def chapter_times(tree: Path) -> dict[str, tuple[float, float | None]]:
    """(wall, CPU) seconds of each chapter's execution, as recorded in the newest entries of the store of
    executed chapters (or of the older builds' cache); CPU is None where the build did not record it."""
    times: dict[str, tuple[float, float, float | None]] = {}
    stored = [*(tree / ".cache" / "executed").glob("*.ipynb"), *(tree / ".cache" / "nnbook-notebooks").glob("*.ipynb")]
    for path in stored:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("nnbook", {})
        if "source" in meta and "execution_seconds" in meta:
            mtime = path.stat().st_mtime
            if meta["source"] not in times or times[meta["source"]][0] < mtime:
                times[meta["source"]] = (mtime, meta["execution_seconds"], meta.get("cpu_seconds"))
    return {name: (wall, cpu) for name, (_, wall, cpu) in sorted(times.items())}


def calibration() -> float:
    """Seconds for a fixed pure-Python loop, the fastest of five: how fast this machine is right now."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        sum(i * i for i in range(10**7))
        best = min(best, time.perf_counter() - start)
    return best


def change_prose(chapter: Path) -> None:
    """Add a sentence to the first prose paragraph of ``chapter`` (after its front matter and title)."""
    text = chapter.read_text(encoding="utf-8")
    lines = text.split("\n")
    start = lines.index("---", 1) + 1
    fence = False
    for index in range(start, len(lines)):
        fence ^= lines[index].startswith("```")
        line = lines[index]
        if not fence and line and line[0].isalpha() and line.rstrip().endswith("."):
            lines[index] = line.rstrip() + " This sentence was added by the build benchmark."
            chapter.write_text("\n".join(lines), encoding="utf-8")
            return
    raise ValueError(f"no prose line found in {chapter}")


def change_code(chapter: Path) -> None:
    """Add a statement to the first code cell of ``chapter``."""
    text = chapter.read_text(encoding="utf-8")
    marker = "```python\n"
    at = text.index(marker) + len(marker)
    chapter.write_text(text[:at] + "_benchmark = 1  # added by the build benchmark\n" + text[at:], encoding="utf-8")


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapter", default="02-tensors", help="stem of the chapter to touch (default: %(default)s)")
    parser.add_argument(
        "--commit",
        help="measure this commit's tree instead of the working tree (e.g. to compare before and after a change)",
    )
    parser.add_argument(
        "--only",
        choices=["cold", "warm"],
        help="stop after the cold build (cold) or after the cold and the warm builds (warm): pairs of before and "
        "after runs, alternated, are then quick enough to repeat",
    )
    args = parser.parse_args()
    rows: list[tuple[str, tuple[float, float]]] = []
    with tempfile.TemporaryDirectory(prefix="nnbook-bench-") as tmp:
        tree = Path(tmp)
        copy_tree(tree, args.commit)
        chapter = next((tree / "docs").rglob(f"{args.chapter}.md"))
        print(
            f"building a copy of {args.commit or 'the working tree'} in {tree}; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} CPUs",
            flush=True,
        )

        calibrated = [calibration()]
        rows.append(("cold (no cache)", build(tree)))
        cold_chapters = chapter_times(tree)
        if args.only != "cold":
            rows.append(("warm (nothing changed)", build(tree)))
        if args.only is None:
            change_prose(chapter)
            rows.append((f"one prose sentence changed ({args.chapter})", build(tree)))
            change_code(chapter)
            rows.append((f"one code cell changed ({args.chapter})", build(tree)))
            with (tree / "src" / "nnbook" / "__init__.py").open("a") as handle:
                handle.write("\n# touched by benchmarks/build_time.py\n")
            rows.append(("src/nnbook touched", build(tree)))
        calibrated.append(calibration())

    width = max(len(name) for name, _ in rows)
    print(f"\n{'build':<{width}}  wall s   CPU s")
    for name, (seconds, cpu) in rows:
        print(f"{name:<{width}}  {seconds:6.1f}  {cpu:6.1f}")
    print(
        "(CPU s: user + system time of the build and its kernels; on a shared machine the wall time\n"
        " also counts waiting for the cores, the CPU time does not)"
    )
    if cold_chapters:
        width = max(len(name) for name in cold_chapters)
        print(f"\n{'chapter (cold build)':<{width}}  wall s   CPU s")
        for name, (wall, cpu) in cold_chapters.items():
            print(f"{name:<{width}}  {wall:6.1f}  {'-' if cpu is None else f'{cpu:6.1f}':>6}")
        total_wall = sum(wall for wall, _ in cold_chapters.values())
        cpus = [cpu for _, cpu in cold_chapters.values() if cpu is not None]
        print(f"{'total':<{width}}  {total_wall:6.1f}  {sum(cpus) if cpus else float('nan'):6.1f}")
        print(
            "(a chapter's CPU s: its kernel's user + system time, from start-up to the last cell, processes it\n"
            " waited for included; the wall s of chapters executed side by side overlap)"
        )
        if len(cpus) == len(cold_chapters):
            cold_cpu = rows[0][1][1]
            floor = sum(cpus) / cores()
            print(
                f"\nexecution floor of a cold build: {sum(cpus):.1f} CPU s over {cores()} cores = {floor:.1f} s;"
                f" the rest of the cold build's {cold_cpu:.1f} CPU s ({cold_cpu - sum(cpus):.1f} s) is mkdocs,"
                " its plugins and hooks, and the wheel"
            )
    else:
        print("\n(this build records no per-chapter execution times)")
    print(
        f"\ncalibration (sum of squares below 10**7, fastest of five): {calibrated[0]:.3f} s before the builds,"
        f" {calibrated[1]:.3f} s after"
    )
    print(f"load average after the runs: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
