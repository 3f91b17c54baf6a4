#!/usr/bin/env python3
"""Type check the package: mypy on src/nnbook, then pyright's measure of its typed public API.

    python tools/typecheck.py     (with the environment's python: .venv/bin/python tools/typecheck.py)

1. ``mypy`` in its default mode, configured in pyproject.toml (``[tool.mypy]``): 0 errors.
2. ``pyright --verifytypes nnbook --ignoreexternal``: the share of the symbols nnbook exports whose
   types are fully known, counting torch's and matplotlib's own types as known (nnbook cannot
   annotate those), must be at least ``MIN_COMPLETENESS``.

pyright runs on Node.js; its PyPI package fetches pyright itself from the npm registry on first use.
Exit status 0 only when both pass; each step prints what it found.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_COMPLETENESS = 0.95


def python_env() -> dict[str, str]:
    """The environment that makes pyright resolve imports in this Python's environment, as an activated venv."""
    env = dict(os.environ)
    env["VIRTUAL_ENV"] = sys.prefix
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_mypy() -> bool:
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False)
    print(done.stdout.strip() or done.stderr.strip(), flush=True)
    return done.returncode == 0


def completeness() -> tuple[float, int, list[str]]:
    """pyright's type completeness score of nnbook, the number of symbols it counted, and its errors."""
    done = subprocess.run(
        [sys.executable, "-m", "pyright", "--verifytypes", "nnbook", "--ignoreexternal", "--outputjson"],
        cwd=ROOT,
        env=python_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"pyright did not run:\n{done.stdout}\n{done.stderr}") from None
    completeness = report["typeCompleteness"]
    if not completeness.get("packageRootDirectory"):
        raise SystemExit("pyright --verifytypes did not find nnbook in this environment (pip install -e . first)")
    errors = [
        f"{d.get('file', '')}:{d.get('range', {}).get('start', {}).get('line', -1) + 1}: {d['message']}"
        for d in report.get("generalDiagnostics", [])
        if d.get("severity") == "error"
    ]
    return completeness["completenessScore"], completeness["exportedSymbolCounts"], errors


def main() -> int:
    print("+ mypy (src/nnbook, default mode)", flush=True)
    mypy_ok = run_mypy()
    print("+ pyright --verifytypes nnbook --ignoreexternal", flush=True)
    score, counts, errors = completeness()
    for error in errors:
        print(error)
    total = sum(counts.values())
    print(
        f"type completeness: {score:.1%} of {total} exported symbols fully typed "
        f"({counts['withKnownType']} known, {counts['withAmbiguousType']} ambiguous, {counts['withUnknownType']} "
        f"unknown); required: {MIN_COMPLETENESS:.0%}",
        flush=True,
    )
    return 0 if mypy_ok and score >= MIN_COMPLETENESS else 1


if __name__ == "__main__":
    sys.exit(main())
