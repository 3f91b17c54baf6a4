"""tools/test_installed_package.py: the package tests against an installed nnbook, failing loudly on a hollow run.

Each test copies the tool into a small stand-in repository under tmp_path, whose tests/package/ holds
the modules the case needs; nnbook is imported from outside that stand-in, as from an installed wheel.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSING = "def test_one():\n    assert 1 + 1 == 2\n"


def run_tool(repo: Path, modules: dict[str, str], *pytest_args: str) -> subprocess.CompletedProcess:
    (repo / "tools").mkdir()
    shutil.copy2(ROOT / "tools" / "test_installed_package.py", repo / "tools")
    (repo / "tests" / "package").mkdir(parents=True)
    (repo / "tests" / "conftest.py").write_text("import pytest\n")
    for name, text in modules.items():
        (repo / "tests" / "package" / name).write_text(text)
    return subprocess.run(
        [sys.executable, str(repo / "tools" / "test_installed_package.py"), *pytest_args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_sound_suite_passes_and_is_counted(tmp_path):
    helper = "VALUE = 2\n"
    uses_helper = "from helper_module import VALUE\n\n\ndef test_two():\n    assert VALUE == 2\n"
    done = run_tool(tmp_path, {"test_a.py": PASSING, "helper_module.py": helper, "test_b.py": uses_helper})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "with 2 test modules" in done.stdout
    assert "2 collected, 2 passed, 0 failed, 0 skipped, 0 errors, 0 collection errors" in done.stdout


def test_a_module_that_cannot_be_collected_fails_the_run(tmp_path):
    broken = "import a_module_that_was_not_copied\n\n\ndef test_x():\n    pass\n"
    # --continue-on-collection-errors would otherwise let pytest go on and report the rest
    done = run_tool(tmp_path, {"test_a.py": PASSING, "test_broken.py": broken}, "--continue-on-collection-errors")
    assert done.returncode != 0
    assert "FAILED: could not collect tests/package/test_broken.py" in done.stderr
    assert "1 collection errors" in done.stdout


def test_collecting_nothing_fails_the_run(tmp_path):
    done = run_tool(tmp_path, {"test_a.py": PASSING}, "-k", "no_such_test")
    assert done.returncode != 0
    assert "FAILED: pytest collected no test at all" in done.stderr


def test_a_module_with_no_test_fails_the_run(tmp_path):
    done = run_tool(tmp_path, {"test_a.py": PASSING, "test_empty.py": "VALUE = 1\n"})
    assert done.returncode != 0
    assert "FAILED: tests/package/test_empty.py gave no test" in done.stderr


def test_nnbook_from_the_repository_is_refused():
    """The real tool, run by a Python whose nnbook is this working copy (an editable install), refuses."""
    import nnbook

    if not Path(nnbook.__file__).resolve().is_relative_to(ROOT):
        pytest.skip("nnbook is installed here, not the working copy: the tool would run the whole suite")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "test_installed_package.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 1
    assert "not from an installed package" in done.stderr
