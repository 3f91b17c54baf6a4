"""Where a chapter shows package code, it shows the package's own text."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import listings  # noqa: E402

DOCS = sorted((ROOT / "docs").rglob("*.md"))
FOUND = [(path, name, start, end) for path in DOCS for name, start, end in listings.listings(path.read_text())]


def test_some_chapters_show_package_code():
    # Chapter 3 shows forward, predict and backward; the trainers are not listed, since
    # their bookkeeping is package internals, not what the chapters teach.
    assert len(FOUND) >= 3


@pytest.mark.parametrize(("path", "name", "start", "end"), FOUND, ids=[f"{p.stem}:{n}" for p, n, _, _ in FOUND])
def test_listing_matches_package_source(path, name, start, end):
    shown = "\n".join(path.read_text().splitlines()[start:end]).rstrip() + "\n"
    assert shown == listings.source_without_docstring(name), (
        f"{path.name} shows an outdated copy of {name}: run `python3 make.py listings`"
    )


def test_a_drifted_listing_is_detected(tmp_path):
    page = tmp_path / "page.md"
    body = listings.source_without_docstring("nnbook.backprop.forward_core")
    drifted = body.replace("\n", "\n    # a line the package does not have\n", 1)
    page.write_text(f"<!-- listing: nnbook.backprop.forward_core -->\n```python\n{drifted}```\n")
    ((name, start, end),) = listings.listings(page.read_text())
    shown = "\n".join(page.read_text().splitlines()[start:end]).rstrip() + "\n"
    assert shown != listings.source_without_docstring(name)
    assert listings.rewrite(page)
    ((name, start, end),) = listings.listings(page.read_text())
    assert "\n".join(page.read_text().splitlines()[start:end]).rstrip() + "\n" == body
