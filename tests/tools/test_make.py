"""make.py: a tool the tests or the build need that is missing fails the run under CI=true; elsewhere a note."""

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


@pytest.mark.parametrize("ci", ["true", ""])
def test_build_prints_the_pdf_under_ci_even_without_chromium(make, monkeypatch, capsys, ci):
    """Every page's footer links nnbook.pdf, so a CI build (the one deployed) must print it or fail:
    without Chromium it still runs tools/build_pdf.py, which stops with an error; elsewhere it is a note."""
    monkeypatch.setenv("CI", ci)
    monkeypatch.delenv("NNBOOK_CHROMIUM", raising=False)
    monkeypatch.setattr(make, "ensure_environment", lambda: Path("python"))
    ran = []
    monkeypatch.setattr(make, "run", lambda *args, **kwargs: ran.append([str(a) for a in args]))
    make.build(make.argparse.Namespace(newest=False))
    printed_pdf = any(call[1].endswith("build_pdf.py") for call in ran)
    assert printed_pdf == (ci == "true"), ran
    if not ci:
        assert "note: Chromium not found, so site/nnbook.pdf was not printed" in capsys.readouterr().out


def test_build_pdf_stops_with_an_error_without_chromium(monkeypatch):
    spec = importlib.util.spec_from_file_location("nnbook_build_pdf", ROOT / "tools" / "build_pdf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "find_chromium", lambda: None)
    monkeypatch.setattr(module.sys, "argv", ["build_pdf.py", "site"])
    with pytest.raises(SystemExit) as stopped:
        module.main()
    assert str(stopped.value.code).startswith("Chromium not found, so the PDF cannot be printed")
