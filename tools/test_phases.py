#!/usr/bin/env python3
"""Where the test suite's time goes, phase by phase, from pytest's JUnit XML report.

    .venv/bin/python tools/test_phases.py .cache/test-report.xml [--wall SECONDS]

It prints the seconds each phase's tests took (summed over the workers), the
wall-clock time of the run when given, and the slowest tests.

``python3 make.py test`` writes the report and runs this script after the tests.
Each test's time includes its fixtures' setup, so the site build is counted in
the phase of the first test that asked for the site (the script names it).
With several workers the phases add up to more than the wall-clock time: the
sum is the work, the wall time is what a person waits.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict

TOP = 10  # how many of the slowest tests to list


def phase(classname: str, name: str) -> str:
    """The phase a test belongs to, from its JUnit class name (dotted path) and name.

    The phases follow the folders of tests/ (see tests/README.md); the site's folder is split in three,
    because the browser and the reader's notebooks are most of its time.
    """
    if classname.startswith(("docs.", "README")):
        return "chapters and README run by pytest-codeblocks"
    folder = classname.split(".")[1] if classname.startswith("tests.") and classname.count(".") >= 2 else ""
    if folder == "site":
        if classname.endswith(".test_browser"):
            return "site: pages in a browser (Chromium)"
        if classname.endswith(".test_reader"):
            return "site: downloaded notebooks run in a fresh environment"
        return "site: build, built pages, packaging"
    return {
        "package": "package tests",
        "book": "book: chapters' format, listings, prose asserts",
        "build": "build: executing and caching chapters",
        "tools": "tools",
    }.get(folder, "other")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report")
    parser.add_argument("--wall", type=float, help="the wall-clock time of the whole run, to print beside the sums")
    parser.add_argument(
        "--cpu", type=float, help="the CPU time (user + system) of the run and the processes it waited for"
    )
    parser.add_argument("--cores", type=int, help="how many cores the run could use")
    args = parser.parse_args()
    seconds: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    slowest: list[tuple[float, str]] = []
    for case in ET.parse(args.report).getroot().iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        time = float(case.get("time") or 0)
        seconds[phase(classname, name)] += time
        counts[phase(classname, name)] += 1
        slowest.append((time, f"{classname}::{name}"))
    width = max(map(len, seconds), default=10)
    print(f"\n{'phase':<{width}}  tests  seconds")
    for key in sorted(seconds, key=seconds.get, reverse=True):
        print(f"{key:<{width}}  {counts[key]:5d}  {seconds[key]:7.1f}")
    print(f"{'sum over all workers':<{width}}  {sum(counts.values()):5d}  {sum(seconds.values()):7.1f}")
    if args.wall is not None:
        print(f"{'wall-clock time of the run':<{width}}         {args.wall:7.1f}")
    if args.cpu is not None:
        print(f"{'CPU time the machine was busy (all programs)':<{width}}         {args.cpu:7.1f}")
        if args.wall and args.cores:
            busy = args.cpu / (args.wall * args.cores)
            print(f"{f'cores kept busy ({args.cores} cores)':<{width}}         {busy:7.0%}")
    print("\nslowest tests (setup included, so the first test to use the site includes its build):")
    for time, test in sorted(slowest, reverse=True)[:TOP]:
        print(f"  {time:6.1f} s  {test}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
