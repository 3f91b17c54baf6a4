"""tools/import_graph.py: the package's modules import in layers, with no cycle and no private name shared."""

from __future__ import annotations

import shutil
import subprocess
import sys

from repo import ROOT

SCRIPT = ROOT / "tools" / "import_graph.py"


def graph_of(package) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(package)], capture_output=True, text=True, check=False)


def test_the_package_has_no_import_cycle_and_shares_no_private_name():
    done = graph_of(ROOT / "src" / "nnbook")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no cycle and no private name imported across modules" in done.stdout


def test_a_planted_cycle_and_a_private_import_are_found(tmp_path):
    package = tmp_path / "nnbook"
    shutil.copytree(ROOT / "src" / "nnbook", package, ignore=shutil.ignore_patterns("__pycache__"))
    # activations is near the bottom: the trainers reach it through network, so this import closes a circle.
    low = package / "activations.py"
    low.write_text(low.read_text() + "\n\ndef _late():\n    from .trainers.common import Run\n")
    device = package / "device.py"
    device.write_text(device.read_text() + "\n\ndef _later():\n    from .tensors import _private\n")
    done = graph_of(package)
    assert done.returncode == 1
    assert "cycle:" in done.stdout and "nnbook.activations" in done.stdout.split("cycle:")[1]
    assert "private name imported: nnbook.device imports _private from nnbook.tensors" in done.stdout
