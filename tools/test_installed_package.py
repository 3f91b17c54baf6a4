#!/usr/bin/env python3
"""Run the package's tests against the nnbook installed in this Python, not the source tree.

    python tools/test_installed_package.py [pytest arguments]

The release workflow runs it after installing the built wheel into a fresh
environment, and the tests workflow's "oldest" job after installing the oldest
torch and Python that ``pyproject.toml`` declares. It copies the package tests
(the folder ``tests/package/`` and the settings in ``tests/conftest.py``) into a
temporary folder, checks that ``import
nnbook`` there finds the installed package, and runs pytest in that folder, so
that neither ``src/`` nor the repository is importable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST_INI = """[pytest]
addopts = -ra -p no:cacheprovider
markers =
    gpu: needs a CUDA device; skipped where none exists
    slow: builds the whole site or starts a browser
"""


def package_tests() -> list[Path]:
    """The package's tests and the modules they import: everything in tests/package/."""
    return sorted(p for p in (ROOT / "tests" / "package").glob("*.py"))


def main() -> int:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    with tempfile.TemporaryDirectory(prefix="nnbook-package-tests-") as folder:
        work = Path(folder)
        for path in [ROOT / "tests" / "conftest.py", *package_tests()]:
            shutil.copy2(path, work / path.name)
        (work / "pytest.ini").write_text(PYTEST_INI)
        where = subprocess.run(
            [
                sys.executable,
                "-c",
                "import nnbook; print(nnbook.__file__, nnbook.__version__)",
            ],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if where.returncode != 0:
            print(where.stderr, file=sys.stderr)
            return where.returncode
        location, version = where.stdout.split()
        print(f"testing nnbook {version} from {location}", flush=True)
        if Path(location).resolve().is_relative_to(ROOT):
            print(
                f"nnbook comes from the repository ({location}), not from an installed package",
                file=sys.stderr,
            )
            return 1
        return subprocess.run(
            [sys.executable, "-m", "pytest", *sys.argv[1:]],
            cwd=work,
            env=env,
            check=False,
        ).returncode


if __name__ == "__main__":
    sys.exit(main())
