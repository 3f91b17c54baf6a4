"""tools/typecheck.py: mypy finds nothing in src/nnbook, and pyright sees at least 95 % of the public API typed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import typecheck  # noqa: E402


def test_the_package_type_checks():
    if shutil.which("node") is None and os.environ.get("CI", "").lower() != "true":
        pytest.skip("pyright needs Node.js (apt-get install nodejs), which this machine lacks")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "typecheck.py")], capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
    score = float(done.stdout.split("type completeness: ")[1].split("%")[0])
    assert score >= 100 * typecheck.MIN_COMPLETENESS


def test_mypy_fails_on_a_type_error(tmp_path):
    """The check can fail: the same mypy settings on a module with a wrong type report it."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f(x: int) -> str:\n    return x\n")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), str(bad)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 1
    assert 'Incompatible return value type (got "int", expected "str")' in done.stdout
