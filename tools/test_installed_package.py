#!/usr/bin/env python3
"""Run the package's tests against the nnbook installed in this Python, not the source tree.

    python tools/test_installed_package.py [pytest arguments]

The release workflow runs it after installing the built wheel into a fresh
environment, and the tests workflow's "oldest" and "newest" jobs after installing
the oldest and the newest torch with the package. It copies the whole package
test suite (the folder ``tests/package/`` with its helper modules, and the
settings in ``tests/conftest.py``, in the same layout) into a temporary folder,
checks that ``import nnbook`` there finds an installed package, not the
repository, and runs pytest in that folder, so that neither ``src/`` nor the
repository is importable.

It fails loudly, whatever pytest's own exit status, when pytest collected no
test, when any module could not be collected, or when a test module of
``tests/package/`` gave no test at all; its last line counts the outcomes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_TESTS = ROOT / "tests" / "package"
PYTEST_INI = """[pytest]
addopts = -ra -p no:cacheprovider
markers =
    gpu: needs a CUDA device; skipped where none exists
    slow: builds the whole site or starts a browser
"""
# A pytest plugin, loaded with -p, that writes what was collected and how each test ended.
# pytest's exit status alone does not tell "nothing collected" from "all deselected", and
# --continue-on-collection-errors would turn a broken module into an ordinary failure.
COUNTER = """
import json, os

import pytest

_found = {"collected": [], "found": [], "collection_errors": [], "outcomes": {}}


def pytest_collectreport(report):
    if report.failed:
        _found["collection_errors"].append(report.nodeid or "<session>")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    _found["found"] = [item.nodeid for item in items]  # before -k or -m deselects any


def pytest_collection_finish(session):
    _found["collected"] = [item.nodeid for item in session.items]


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        outcome = "error" if report.failed and report.when != "call" else report.outcome
        _found["outcomes"][f"{report.nodeid}::{report.when}"] = outcome


def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["NNBOOK_INSTALLED_REPORT"], "w") as out:
        json.dump(_found, out)
"""


def copy_tests(work: Path) -> list[str]:
    """Copy tests/conftest.py and the whole of tests/package/ into ``work``; return the test modules' names."""
    (work / "tests").mkdir()
    shutil.copy2(ROOT / "tests" / "conftest.py", work / "tests" / "conftest.py")
    shutil.copytree(PACKAGE_TESTS, work / "tests" / "package", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (work / "pytest.ini").write_text(PYTEST_INI)
    (work / "nnbook_installed_counter.py").write_text(COUNTER)
    return sorted(p.name for p in PACKAGE_TESTS.glob("test_*.py"))


def installed_nnbook(work: Path, env: dict[str, str]) -> tuple[Path, str] | None:
    """Where ``import nnbook`` in ``work`` finds the package, and its version; None (after saying why) if not."""
    where = subprocess.run(
        [sys.executable, "-c", "import nnbook; print(nnbook.__file__); print(nnbook.__version__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if where.returncode != 0:
        print(where.stderr, file=sys.stderr)
        print("nnbook is not installed in this Python: install the wheel first", file=sys.stderr)
        return None
    location, version = where.stdout.split()
    if Path(location).resolve().is_relative_to(ROOT):
        print(f"nnbook comes from the repository ({location}), not from an installed package", file=sys.stderr)
        return None
    return Path(location), version


def verdict(found: dict, modules: list[str]) -> list[str]:
    """What is wrong with a run, loudly: nothing collected, collection errors, a test module with no test."""
    problems = [f"could not collect {nodeid}" for nodeid in found["collection_errors"]]
    if not found["collected"]:
        problems.append("pytest collected no test at all")
    seen = {nodeid.split("::")[0].rsplit("/", 1)[-1] for nodeid in found["found"]}
    problems += [f"tests/package/{name} gave no test" for name in modules if name not in seen]
    return problems


def main() -> int:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    with tempfile.TemporaryDirectory(prefix="nnbook-package-tests-") as folder:
        work = Path(folder)
        modules = copy_tests(work)
        found_nnbook = installed_nnbook(work, env)
        if found_nnbook is None:
            return 1
        location, version = found_nnbook
        print(f"testing nnbook {version} from {location} with {len(modules)} test modules", flush=True)
        report = work / "installed-report.json"
        env["NNBOOK_INSTALLED_REPORT"] = str(report)
        env["PYTHONPATH"] = str(work)  # only for the counter plugin; tests/ and src/ stay out of reach
        status = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "nnbook_installed_counter", "tests/package", *sys.argv[1:]],
            cwd=work,
            env=env,
            check=False,
        ).returncode
        if not report.is_file():
            print(f"FAILED: pytest ended (exit status {status}) without reporting what it ran", file=sys.stderr)
            return status or 1
        found = json.loads(report.read_text())
    outcomes = list(found["outcomes"].values())
    counts = {kind: outcomes.count(kind) for kind in ("passed", "failed", "skipped", "error")}
    print(
        f"nnbook {version}: {len(found['collected'])} collected, {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped, {counts['error']} errors, {len(found['collection_errors'])} collection errors"
    )
    problems = verdict(found, modules)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    if problems:
        return status or 1
    return status


if __name__ == "__main__":
    sys.exit(main())
