"""What a crash, a full disk, a read-only cache, a hanging cell, an interrupt or a second build does to the build.

Each test is a row of the fault table in docs/maintainers/building.md: the fault, what the user
sees, and that the next build is correct. The tests that run kernels use a one-cell chapter.
"""

from __future__ import annotations

import errno
import importlib.util
import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import execute_chapters  # noqa: E402

STEP = ROOT / "tools" / "execute_chapters.py"
FRONT = (
    "---\njupyter:\n  jupytext:\n    text_representation:\n      extension: .md\n      format_name: markdown\n"
    "  kernelspec:\n    display_name: Python 3\n    language: python\n    name: python3\n---\n\n"
)
# Sleeps for $NAP seconds: the environment does not change the chapter's key, so a run that was
# stopped mid-cell and the run after it that completes share one store entry.
NAPPING = "import os, time\ntime.sleep(float(os.environ.get('NAP', '0')))\nprint('awake')"


def hook(name: str):
    spec = importlib.util.spec_from_file_location(f"hook_{name}", ROOT / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def project(tmp_path):
    """A checkout with one chapter; ``src/nnbook`` is the book's, so the probe cell can import it."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ch.md").write_text(f"{FRONT}# A chapter\n\nProse.\n\n```python\n{NAPPING}\n```\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: test\n")
    (tmp_path / "src").symlink_to(ROOT / "src")
    return tmp_path


def step(project: Path, *args: str, marker: str = "", **env: str) -> subprocess.Popen:
    """Start the execution step on ``project`` in a session of its own (as a terminal would run it)."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT / "src"), NNBOOK_TEST_MARK=marker, **env)
    return subprocess.Popen(
        [sys.executable, str(STEP), "-f", str(project / "mkdocs.yml"), *args],
        cwd=project,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def marked_processes(marker: str) -> list[int]:
    """The processes whose environment carries ``NNBOOK_TEST_MARK=marker`` (the step, its workers, kernels)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"NNBOOK_TEST_MARK={marker}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def stored(project: Path) -> list[Path]:
    return sorted((project / execute_chapters.STORE).glob("*.ipynb"))


def test_a_truncated_store_entry_is_a_miss_deleted_with_a_warning(tmp_path, caplog):
    entry = tmp_path / "entry.ipynb"
    whole = nbformat.v4.new_notebook(metadata={"nnbook": {"execution_id": "x"}})
    entry.write_text(nbformat.writes(whole)[:40])  # what a crash or a full disk leaves
    with caplog.at_level(logging.WARNING, logger="mkdocs.nnbook.execute"):
        assert execute_chapters.read_notebook(entry) is None
    assert not entry.exists()
    (line,) = [r.getMessage() for r in caplog.records]
    assert str(entry) in line and "deleted, recomputing" in line and "\n" not in line
    entry.write_text(nbformat.writes(whole))
    assert execute_chapters.read_notebook(entry).metadata["nnbook"]["execution_id"] == "x"


def test_a_truncated_mkdocs_jupyter_cache_entry_is_deleted_before_the_plugin_reads_it(tmp_path, caplog):
    folder = tmp_path / "mkdocs-jupyter"
    folder.mkdir()
    good, bad = folder / "good.json", folder / "bad.json"
    good.write_text(json.dumps({"content": "<p>page</p>", "toc_tokens": [], "title": "t"}))
    bad.write_text(good.read_text()[:20])  # the plugin writes without a rename: "Unterminated string"
    with caplog.at_level(logging.WARNING, logger="mkdocs.hooks.executed_pages"):
        hook("executed_pages").check_cache(folder)
    assert good.exists() and not bad.exists()
    (line,) = [r.getMessage() for r in caplog.records]
    assert str(bad) in line and "\n" not in line


def test_a_full_disk_leaves_no_partial_file_and_names_the_path(tmp_path, monkeypatch):
    target = tmp_path / "store" / "entry.ipynb"
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, handle, *args, **kwargs):
            self.file = real_fdopen(handle, *args, **kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, data):
            self.file.write(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(execute_chapters.os, "fdopen", FullDisk)
    with pytest.raises(execute_chapters.CacheError, match="No space left on device") as raised:
        execute_chapters.write_atomic(target, b"x" * 1000)
    assert str(target) in str(raised.value)
    assert list(target.parent.iterdir()) == []  # neither the entry nor the temporary file
    monkeypatch.undo()
    execute_chapters.write_atomic(target, b"whole")
    assert target.read_bytes() == b"whole"


def test_an_unwritable_cache_gives_one_line_naming_the_path(project):
    cache = project / ".cache"
    cache.write_text("a file where the cache folder should be")  # unwritable even for root, unlike chmod
    done = step(project)
    _, err = done.communicate(timeout=120)
    assert done.returncode == 1
    (line,) = err.strip().splitlines()
    assert line.startswith(f"error: cannot write to {cache}: "), err
    cache.unlink()
    done = step(project)
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    assert len(stored(project)) == 1


def test_a_hanging_cell_fails_the_step_naming_the_chapter_and_the_cell(project):
    done = step(project, "--timeout", "3", NAP="600")
    _, err = done.communicate(timeout=300)
    assert done.returncode == 1
    assert "docs/ch.md: code cell 1 ran longer than the time-out of 3 s" in err, err
    assert "time.sleep" in err  # the cell's code
    assert stored(project) == []


def test_an_error_of_the_executor_itself_fails_the_step_with_its_traceback(project):
    # Not a cell that raised: here the kernel the chapter names does not exist, so jupyter_client raises
    # before any cell runs. The message names the chapter and carries the traceback a maintainer needs.
    chapter = project / "docs" / "ch.md"
    chapter.write_text(chapter.read_text().replace("name: python3", "name: no-such-kernel"))
    done = step(project)
    _, err = done.communicate(timeout=300)
    assert done.returncode == 1
    assert "ch.md: NoSuchKernel" in err, err
    assert "Traceback (most recent call last)" in err, err
    assert stored(project) == []


@pytest.mark.parametrize("how", ["ctrl-c", "sigkill"])
def test_an_interrupted_build_leaves_no_process_and_the_next_build_is_correct(project, how):
    marker = uuid.uuid4().hex
    running = step(project, marker=marker, NAP="600")
    kernels = project / execute_chapters.KERNELS
    # Wait until the kernel runs: a worker's folder holds its connection file.
    assert wait_for(lambda: any(kernels.glob("*/kernel-*.json")), 120), running.stderr.read() if running.poll() else ""
    if how == "ctrl-c":
        os.killpg(running.pid, signal.SIGINT)  # what the terminal sends to the foreground group
    else:
        os.kill(running.pid, signal.SIGKILL)  # the step only: its workers and kernels must notice
    running.communicate(timeout=60)
    assert wait_for(lambda: marked_processes(marker) == [], 30), marked_processes(marker)
    assert stored(project) == []
    # A worker's kernel folder (its connection file) can outlive a Ctrl-C as it outlives SIGKILL:
    # the next run removes it, which the last assertion checks.
    done = step(project)
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    assert not any(kernels.iterdir())  # a killed build's folders are removed by the next
    assert len(stored(project)) == 1


def test_two_builds_at_once_in_one_checkout_both_succeed_and_execute_once(project):
    first, second = step(project), step(project)
    results = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == second.returncode == 0, results
    assert "waiting for another build" in results[0][1] + results[1][1]
    (entry,) = stored(project)
    pages = sorted((project / execute_chapters.PAGES).rglob("*.ipynb"))
    assert len(pages) == 1
    page = nbformat.read(pages[0], as_version=4)
    execution = nbformat.read(entry, as_version=4).metadata["nnbook"]["execution_id"]
    assert page.metadata["nnbook"]["execution_id"] == execution
    assert page.cells[-1].outputs[0]["text"] == "awake\n"
