#!/usr/bin/env python3
"""Set up, build, serve and test the book with nothing but Python and pip.

    python3 make.py serve    install everything, build the book, serve it on localhost (/nnbook/)
    python3 make.py test     install everything, run every test (package, chapters, site, browser)
                             on every core, then print where the time went
    python3 make.py build    install everything, build the site into site/ (strict), print site/nnbook.pdf
    python3 make.py test --newest, python3 make.py build --newest
                             the same in .venv-newest, with nothing pinned: the newest torch, NumPy and
                             build tools that pyproject.toml admits (on a CPU-only machine, set
                             PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu first)
    python3 make.py listings rewrite chapter listings of package code from src/nnbook
    python3 make.py lock     rewrite requirements/constraints.txt from the current environment

Everything is installed into ./.venv from requirements/constraints.txt, which
pins the whole environment (torch 2.13.0 included) so that every build prints
the same numbers. A second run reuses the environment unless pyproject.toml or
the constraints changed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
STAMP = VENV / "nnbook-install.stamp"
# The "newest" tier: a second environment with nothing pinned, upgraded on every run, so that
# a release of torch, NumPy or a build tool that changes behaviour is found (CI runs it weekly).
NEWEST_VENV = ROOT / ".venv-newest"
# mkdocs' command line, less an import-time cost it never uses (see the script's docstring).
MKDOCS = ROOT / "tools" / "run_mkdocs.py"
# Executes the chapters whose code changed into .cache/executed before mkdocs renders them.
EXECUTE = ROOT / "tools" / "execute_chapters.py"
TEST_REPORT = ROOT / ".cache" / "test-report.xml"
# The lock was resolved on CPython 3.11 and suits 3.11 and newer; on 3.10 only
# torch is pinned and pip picks versions of the rest that support it.
LOCKED_FROM = (3, 11)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def constraints_file() -> Path:
    if sys.version_info[:2] >= LOCKED_FROM:
        return CONSTRAINTS
    torch_pin = next(line for line in CONSTRAINTS.read_text().splitlines() if line.startswith("torch=="))
    print(
        f"note: Python {sys.version_info.major}.{sys.version_info.minor} is older than the lock's "
        f"{LOCKED_FROM[0]}.{LOCKED_FROM[1]}; pinning only {torch_pin}, so some outputs may differ slightly."
    )
    loose = VENV / "constraints-loose.txt"
    loose.write_text(torch_pin + "\n")
    return loose


def ensure_newest_environment() -> Path:
    """Create .venv-newest and install the book's requirements at their newest releases, nothing pinned."""
    if sys.version_info < (3, 10):
        sys.exit(f"nnbook needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    python = NEWEST_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        print(f"creating a virtual environment in {NEWEST_VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(NEWEST_VENV)
    # Upgraded on every run, eagerly: "newest" means newest today, not when the environment was made.
    # Only pyproject.toml's own bounds apply; PIP_EXTRA_INDEX_URL (PyTorch's CPU index) is honoured.
    run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--upgrade",
        "--upgrade-strategy",
        "eager",
        "-e",
        ".[book,test]",
    )
    frozen = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    shown = {"torch", "numpy", "matplotlib", "pytest", "mkdocs", "mkdocs-material", "mkdocs-jupyter", "nbconvert"}
    print("newest:", ", ".join(p for p in frozen if p.split("==")[0].lower().replace("_", "-") in shown), flush=True)
    return python


def ensure_environment() -> Path:
    """Create .venv and install the book's pinned requirements, unless already done."""
    if sys.version_info < (3, 10):
        sys.exit(f"nnbook needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + CONSTRAINTS.read_bytes() + sys.version.encode()
    ).hexdigest()
    python = venv_python()
    if python.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return python
    if not python.exists():
        print(f"creating a virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    constraints = constraints_file()
    run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-c",
        constraints,
        "-e",
        ".[book,test]",
    )
    STAMP.write_text(wanted)
    return python


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def ensure_node_tools() -> None:
    """Install the site tests' npm packages (axe-core, vnu-jar; pinned in package-lock.json) unless already done.

    Without npm the tests that use them skip, saying so; under CI=true nothing may skip quietly,
    so a missing npm stops the run here, with install advice, before any test has run.
    """
    lock = ROOT / "package-lock.json"
    stamp = ROOT / "node_modules" / ".nnbook-lock.stamp"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    npm = shutil.which("npm")
    if npm is None:
        advice = (
            "the accessibility and HTML-checker tests need axe-core and vnu-jar from the npm registry and skip "
            "without them; install Node.js and npm (Debian: apt-get install npm), then run this command again "
            "(it runs `npm ci`)"
        )
        if in_ci():
            sys.exit(f"error: npm not found and CI=true; {advice}")
        print(f"note: npm not found; {advice}", flush=True)
        return
    run(npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund")
    stamp.write_text(wanted)


def book_env() -> dict[str, str]:
    env = dict(os.environ)
    env["NO_MKDOCS_2_WARNING"] = "1"  # mkdocs-material's notice about mkdocs 2, on every build
    env["PYTHONHASHSEED"] = "0"
    return env


def serve(args: argparse.Namespace) -> None:
    python = ensure_environment()
    address = f"127.0.0.1:{args.port}"
    # mkdocs serves the book under the path of site_url (the path it has on GitHub Pages).
    site_url = re.search(r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(), re.M)
    path = urlparse(site_url.group(1)).path if site_url else "/"
    print(f"building the book, then serving it at http://{address}{path}  (Ctrl+C stops)", flush=True)
    # Executed here once; after an edit, mkdocs' rebuild executes the chapters whose code changed.
    run(python, EXECUTE, env=book_env())
    run(
        python,
        MKDOCS,
        "serve",
        "--dev-addr",
        address,
        "--no-livereload" if args.no_reload else "--livereload",
        env=book_env(),
    )


def build(args: argparse.Namespace) -> None:
    python = ensure_newest_environment() if args.newest else ensure_environment()
    run(python, EXECUTE, env=book_env())
    run(python, MKDOCS, "build", "--strict", env=book_env())
    print(f"site written to {ROOT / 'site'}")
    # The whole book as one PDF, printed by Chromium from the site's print page.
    if shutil.which("chromium") or shutil.which("chromium-browser") or os.environ.get("NNBOOK_CHROMIUM") or in_ci():
        run(python, ROOT / "tools" / "build_pdf.py", ROOT / "site", env=book_env())
    else:
        print("note: Chromium not found, so site/nnbook.pdf was not printed (apt-get install chromium)")


def busy_seconds() -> float:
    """CPU seconds the machine has spent busy since it started (all its programs), from /proc/stat;
    elsewhere the user + system time of this process's finished children (what it waited for)."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal ...: everything but idle and iowait.
        return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        times = os.times()
        return times.children_user + times.children_system


def test(args: argparse.Namespace) -> None:
    """Run pytest on every core (pytest-xdist), then print the time each phase took."""
    python = ensure_newest_environment() if args.newest else ensure_environment()
    ensure_node_tools()
    # -n: one worker per core; tests marked with xdist_group stay together on one worker.
    chosen = any(a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist" for a in args.pytest_args)
    parallel = [] if chosen else ["-n", "auto", "--dist", "loadgroup"]
    TEST_REPORT.parent.mkdir(parents=True, exist_ok=True)
    TEST_REPORT.unlink(missing_ok=True)
    (ROOT / "tests" / ".reports" / "page-weights.json").unlink(missing_ok=True)  # rewritten by this run
    env = book_env()
    # A run starts dozens of Python processes (pytest's, mkdocs builds, kernels, process groups)
    # that import the same files of this repository. With PYTHONDONTWRITEBYTECODE set (some
    # containers set it) each one compiled them again, and pytest rewrote the asserts of every test
    # module in every worker: about 6 CPU s a run (docs/changelog.md). The bytecode goes where
    # Python puts it by default, __pycache__ folders that git ignores.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    before = busy_seconds()
    print("+", python, "-m pytest", *parallel, *args.pytest_args, flush=True)
    completed = subprocess.run(
        [str(python), "-m", "pytest", *parallel, f"--junitxml={TEST_REPORT}", *args.pytest_args],
        cwd=ROOT,
        env=env,
    )
    wall = time.perf_counter() - started
    cpu = busy_seconds() - before
    if TEST_REPORT.is_file():
        subprocess.run(
            [
                str(python),
                str(ROOT / "tools" / "test_phases.py"),
                str(TEST_REPORT),
                f"--wall={wall:.1f}",
                f"--cpu={cpu:.1f}",
                f"--cores={len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}",
            ],
            cwd=ROOT,
        )
    sys.exit(completed.returncode)


def listings(args: argparse.Namespace) -> None:
    run(ensure_environment(), ROOT / "tools" / "listings.py")


def lock(args: argparse.Namespace) -> None:
    python = ensure_environment()
    frozen = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    # The local "+cpu" tag would stop pip from choosing the right build on other machines.
    pins = [line.split("+")[0] if line.startswith("torch==") else line for line in frozen]
    header = CONSTRAINTS.read_text().splitlines()[:2]
    CONSTRAINTS.write_text("\n".join(header + pins) + "\n")
    print(f"wrote {len(pins)} pins to {CONSTRAINTS.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p_serve = commands.add_parser("serve", help="build the book and serve it on localhost")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument("--no-reload", action="store_true", help="do not rebuild when files change")
    p_serve.set_defaults(func=serve)
    newest = "in .venv-newest, with nothing pinned: the newest release of every dependency"
    p_build = commands.add_parser("build", help="build the site into site/ with --strict")
    p_build.add_argument("--newest", action="store_true", help=newest)
    p_build.set_defaults(func=build)
    p_test = commands.add_parser("test", help="run every test; further arguments go to pytest")
    p_test.add_argument("--newest", action="store_true", help=newest)
    p_test.set_defaults(func=test)
    commands.add_parser("listings", help="rewrite chapter listings from src/nnbook").set_defaults(func=listings)
    commands.add_parser("lock", help="re-pin requirements/constraints.txt").set_defaults(func=lock)
    args, extra = parser.parse_known_args()
    if extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.pytest_args = extra
    args.func(args)


if __name__ == "__main__":
    main()
