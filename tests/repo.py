"""Where things are in the repository, for every test folder (tests/ is on sys.path: its conftest.py is there)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def notebook_pages() -> list[Path]:
    """Every page under docs/ that is also a notebook: it starts with jupytext front matter."""
    return [
        p for p in sorted((ROOT / "docs").rglob("*.md")) if p.read_text(encoding="utf-8").startswith("---\njupyter:")
    ]
