"""The site as the README builds it: strict, executed, fresh, self-contained."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from site_helpers import ROOT, build, chapter, small_project

pytestmark = pytest.mark.slow
CHAPTERS = sorted((ROOT / "docs" / "chapters").glob("*.md"))


def chapter_html(site: Path, source: Path) -> str:
    return (site / "chapters" / source.stem / "index.html").read_text(encoding="utf-8")


def test_strict_build_has_no_warnings(site):
    assert (site / "index.html").exists()


@pytest.mark.parametrize("source", CHAPTERS, ids=lambda p: p.stem)
def test_every_code_cell_has_its_output(site, source):
    import jupytext

    html = chapter_html(site, source)
    cells = [c for c in jupytext.read(source).cells if c.cell_type == "code"]
    inputs = len(re.findall(r'jp-CodeCell jp-Notebook-cell" id="cell-id=', html))
    assert inputs == len(cells)
    # A cell shows output unless its last statement is an assignment, def, class, import or plt.show().
    outputs = html.count("jp-OutputArea-output")
    assert outputs >= len(cells) * 0.8, f"{source.name}: {outputs} outputs for {len(cells)} cells"
    assert "Traceback" not in html
    assert "jp-RenderedImage" in html or source.stem.startswith("02"), f"{source.name} shows no figure"


@pytest.mark.parametrize("source", CHAPTERS, ids=lambda p: p.stem)
def test_no_prompts_and_math_present(site, source):
    html = chapter_html(site, source)
    assert "In&nbsp;[" not in html and "In [" not in html
    assert "MathJax.js" in html


def test_no_page_loads_from_another_host(site):
    offenders = []
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|img|link|iframe|source)\b[^>]*>", html):
            for url in re.findall(r'(?:src|href)="([^"]+)"', tag):
                if re.match(r"(https?:)?//", url) and not tag.startswith("<link rel=\"canonical\""):
                    offenders.append(f"{page.relative_to(site)}: {url}")
    assert offenders == []


def test_math_assets_are_served_by_the_site(site):
    assert (site / "assets" / "mathjax" / "MathJax.js").is_file()
    assert (site / "assets" / "mathjax" / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()
    assert list((site / "assets" / "mathjax" / "fonts").rglob("*.woff"))


def test_a_failing_cell_fails_the_build(tmp_path):
    config = small_project(tmp_path, {"broken.md": chapter("x = 1\nraise RuntimeError('this cell is broken on purpose')")})
    done = build(config, tmp_path / "site")
    assert done.returncode != 0
    assert "this cell is broken on purpose" in done.stdout + done.stderr


def test_changing_the_package_changes_the_page(tmp_path):
    """The notebook cache must not serve output computed from an older src/nnbook."""
    config = small_project(tmp_path, {"probe.md": chapter("import nnbook\nprint('answer', nnbook.relu.__doc__.split()[0])")})
    src = tmp_path / "src"
    page = tmp_path / "site" / "chapters" / "probe" / "index.html"

    first = build(config, tmp_path / "site", extra_pythonpath=src)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "answer Rectified" in page.read_text()

    activations = src / "nnbook" / "activations.py"
    activations.write_text(activations.read_text().replace('r"""Rectified linear unit', 'r"""Changed linear unit'))
    second = build(config, tmp_path / "site", extra_pythonpath=src)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "answer Changed" in page.read_text()
