"""hooks/render_ahead.py: notebook pages rendered as their chapters finish, the other pages first; same site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hooks"))

import render_ahead  # noqa: E402

pytest.importorskip("mkdocs_jupyter")


def test_an_expected_call_gets_the_result_computed_ahead_only_for_the_same_arguments():
    calls = []

    def convert(path, **options):
        calls.append(threading.current_thread().name)
        return f"{path} {options}"

    ahead = render_ahead.Ahead(convert, render_ahead._path_key, threading.Lock())
    for path in ("a", "b", "c"):
        ahead.expect(path)

    def work():
        ahead.provide("a", ("a",), {"x": 1}, ahead.run("a", x=1))
        ahead.provide("b", ("b",), {"x": 1}, ahead.run("b", x=1))
        ahead.give_up("c")

    worker = threading.Thread(target=work, name="worker")
    worker.start()  # the calls below wait for it
    assert ahead("a", x=1) == "a {'x': 1}"  # computed ahead, by the worker
    assert ahead("b", x=2) == "b {'x': 2}"  # computed ahead with other arguments: computed again, here
    assert ahead("c", x=1) == "c {'x': 1}"  # given up: computed here
    worker.join()
    assert calls == ["worker", "worker", threading.current_thread().name, threading.current_thread().name]
    assert ahead("a", x=1) == "a {'x': 1}" and len(calls) == 5  # a result computed ahead serves one call
    assert ahead.served == 1


CHAPTER = """---
jupyter:
  kernelspec:
    display_name: Python 3
    language: python
    name: python3
---

# Chapter {n}

Prose with a formula, $x^{n}$.

```python
print("chapter {n}:", sum(range({n} * 10)))
```

## A section

```python
print('done', {n})
```
"""

RECORD = """
import os

def on_page_markdown(markdown, page, config, files, **kwargs):
    with open(os.environ["NNBOOK_TEST_ORDER"], "a") as out:
        out.write(page.file.src_uri + "\\n")
    return markdown
"""


def make_site(folder: Path, hooks: list[str]) -> Path:
    """A small book: two ordinary pages and three chapters, built with the book's notebook hooks."""
    (folder / "docs" / "chapters").mkdir(parents=True)
    shutil.copytree(ROOT / "hooks", folder / "hooks", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "hooks" / "record.py").write_text(RECORD)
    (folder / "docs" / "index.md").write_text("# Home\n\nThe home page, $a + b$.\n")
    (folder / "docs" / "reference").mkdir()
    (folder / "docs" / "reference" / "api.md").write_text("# API\n\nAn ordinary page after the chapters.\n")
    for n in (1, 2, 3):
        (folder / "docs" / "chapters" / f"0{n}-chapter.md").write_text(CHAPTER.replace("{n}", str(n)))
    listed = "\n".join(f"  - hooks/{name}.py" for name in [*hooks, "record"])
    (folder / "mkdocs.yml").write_text(
        "site_name: test\n"
        "theme: mkdocs\n"
        "plugins:\n"
        "  - search\n"
        "  - mkdocs-jupyter:\n"
        '      include: ["chapters/*.md"]\n'
        "      execute: true\n"
        "      allow_errors: false\n"
        "      no_prompt: true\n"
        "      kernel_name: python3\n"
        f"hooks:\n{listed}\n"
    )
    return folder


def build(folder: Path) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        NO_MKDOCS_2_WARNING="1",
        PYTHONHASHSEED="0",
        SOURCE_DATE_EPOCH="1767225600",
        NNBOOK_FORK_KERNELS="0",  # the usual kernels: these chapters need no torch
        NNBOOK_TEST_ORDER=str(folder / "order.txt"),
    )
    command = [sys.executable, str(ROOT / "tools" / "run_mkdocs.py"), "build", "--strict", "-v"]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False)


def site_files(folder: Path) -> dict[str, bytes]:
    site = folder / "site"
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


HOOKS = ["build_memo", "kernel_env", "notebook_cache", "math_assets", "notebook_html"]


def test_pages_rendered_ahead_are_the_pages_rendered_in_order_and_the_other_pages_come_first(tmp_path):
    ahead = make_site(tmp_path / "ahead", [*HOOKS, "render_ahead"])
    in_order = make_site(tmp_path / "in-order", HOOKS)
    done = build(ahead)
    assert done.returncode == 0, done.stderr
    # Every chapter's page was served by the background rendering (nb2html and nb2md, 3 pages each).
    assert "3 of 3 notebook page(s) rendered ahead" in done.stderr, done.stderr
    order = (ahead / "order.txt").read_text().split()
    assert order[:2] == ["index.md", "reference/api.md"] and sorted(order[2:]) == [
        f"chapters/0{n}-chapter.md" for n in (1, 2, 3)
    ]
    # The same executions (jupytext gives each cell a random id), rendered one page after another in mkdocs' order.
    shutil.copytree(ahead / ".cache" / "nnbook-notebooks", in_order / ".cache" / "nnbook-notebooks")
    done = build(in_order)
    assert done.returncode == 0, done.stderr
    assert "executed" not in done.stderr and "rendered ahead" not in done.stderr
    assert (in_order / "order.txt").read_text().split() == [
        "index.md",
        *[f"chapters/0{n}-chapter.md" for n in (1, 2, 3)],
        "reference/api.md",
    ]
    built, expected = site_files(ahead), site_files(in_order)
    assert "chapters/02-chapter/index.html" in built and "search/search_index.json" in built
    assert "<math" in built["chapters/02-chapter/index.html"].decode()
    assert built.keys() == expected.keys()
    different = [name for name in built if built[name] != expected[name]]
    assert different == [], "the same site, byte for byte, search index included"
