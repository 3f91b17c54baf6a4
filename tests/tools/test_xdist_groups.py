"""The suite's ``xdist_group`` marks hold: tests of one group run in one test process.

``python3 make.py test`` runs pytest-xdist with ``--dist loadgroup``. The reader's tests
share one environment (made by an install a second process would only wait for) and the
tests that start process groups share one worker; if the grouping silently stopped (as it
does with pytest 9.2 and pytest-xdist 3.8, pytest-dev/pytest-xdist#1386) nothing would fail,
the suite would just wait more. This runs a small session the way make.py runs the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("xdist")

SESSION = textwrap.dedent(
    """
    import os
    import pytest

    @pytest.mark.xdist_group("together")
    @pytest.mark.parametrize("i", range(6))
    def test_grouped(i):
        with open(os.path.join(os.environ["RAN_IN"], f"{i}-{os.environ['PYTEST_XDIST_WORKER']}"), "w"):
            pass

    @pytest.mark.parametrize("i", range(6))
    def test_free(i):
        pass
    """
)


def test_tests_of_one_group_run_in_one_process(tmp_path):
    (tmp_path / "test_groups.py").write_text(SESSION)
    ran_in = tmp_path / "ran"
    ran_in.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env={**os.environ, "RAN_IN": str(ran_in)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ran = [path.name.split("-") for path in ran_in.iterdir()]
    assert sorted(int(i) for i, _ in ran) == list(range(6))
    workers = {worker for _, worker in ran}
    assert len(workers) == 1, f"the group was split over {sorted(workers)}: is pytest 9.2 installed?"
