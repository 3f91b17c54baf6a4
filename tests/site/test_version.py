"""One version number: pyproject.toml sets it, the package reads it, and the pages that quote it agree."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import nnbook

ROOT = Path(__file__).resolve().parents[2]


def _released_versions() -> list[tuple[str, str]]:
    """(version, date) of each released entry of the changelog, newest first."""
    text = (ROOT / "docs" / "changelog.md").read_text()
    return re.findall(r"^## (\d+\.\d+\.\d+) \((\d{4}-\d{2}-\d{2})\)$", text, flags=re.M)


def test_the_package_reads_its_version_from_its_metadata():
    assert nnbook.__version__ == version("nnbook")
    assert re.fullmatch(r"\d+\.\d+\.\d+", nnbook.__version__)


def test_the_changelog_s_latest_release_is_this_version():
    released = _released_versions()
    assert released, "docs/changelog.md has no '## X.Y.Z (YYYY-MM-DD)' heading"
    assert released[0][0] == nnbook.__version__


def test_citation_cff_quotes_this_version_and_its_release_date():
    text = (ROOT / "CITATION.cff").read_text()
    assert re.search(r"^version: (\S+)$", text, flags=re.M).group(1) == nnbook.__version__
    released = dict(_released_versions())
    assert re.search(r"^date-released: (\S+)$", text, flags=re.M).group(1) == released[nnbook.__version__]


def test_the_home_page_quotes_this_version():
    text = (ROOT / "docs" / "index.md").read_text()
    quoted = set(re.findall(r"Version (\d+\.\d+\.\d+)", text))
    assert quoted == {nnbook.__version__}
