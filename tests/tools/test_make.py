"""make.py's set-up: a tool the tests need that cannot be installed fails the run under CI=true, with advice."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make(monkeypatch, tmp_path):
    """make.py as a module, its repository root a fresh folder with a lock file and no node_modules."""
    spec = importlib.util.spec_from_file_location("nnbook_make", ROOT / "make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "package-lock.json").write_text('{"lockfileVersion": 3}\n')
    monkeypatch.setattr(module, "ROOT", tmp_path)
    # No npm anywhere, and nothing may be run: a call to npm would be a failure of its own.
    monkeypatch.setattr(module.shutil, "which", lambda name, *args, **kwargs: None)
    monkeypatch.setattr(module, "run", lambda *args, **kwargs: pytest.fail(f"ran {args}"))
    return module


def test_a_missing_npm_fails_under_ci_with_install_advice(make, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(SystemExit) as stopped:
        make.ensure_node_tools()
    message = str(stopped.value.code)
    assert message.startswith("error: npm not found and CI=true"), message
    assert "apt-get install npm" in message and "axe-core" in message, message


@pytest.mark.parametrize("ci", ["", "false"])
def test_a_missing_npm_is_a_note_elsewhere(make, monkeypatch, capsys, ci):
    monkeypatch.setenv("CI", ci)
    assert make.ensure_node_tools() is None
    printed = capsys.readouterr().out
    assert printed.startswith("note: npm not found;") and "skip" in printed and "apt-get install npm" in printed


def test_installed_tools_need_no_npm_even_under_ci(make, monkeypatch):
    """node_modules installed from this very lock (its stamp matches): nothing to install, nothing to fail."""
    monkeypatch.setenv("CI", "true")
    stamp = make.ROOT / "node_modules" / ".nnbook-lock.stamp"
    stamp.parent.mkdir()
    stamp.write_text(hashlib.sha256((make.ROOT / "package-lock.json").read_bytes()).hexdigest())
    assert make.ensure_node_tools() is None
