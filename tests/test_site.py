"""The site as the README builds it: strict, executed, fresh, self-contained."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from site_helpers import ROOT, build, chapter, notebook_pages, small_project

pytestmark = pytest.mark.slow
NOTEBOOK_PAGES = notebook_pages()


def chapter_html(site: Path, source: Path) -> str:
    return (site / source.parent.name / source.stem / "index.html").read_text(encoding="utf-8")


def test_strict_build_has_no_warnings(site):
    assert (site / "index.html").exists()


def shows_something(code: str) -> bool:
    """Whether a cell must have output: it prints, plots, or ends with an expression."""
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body else None
    ends_with_value = isinstance(last, ast.Expr) and not (
        isinstance(last.value, ast.Call) and ast.unparse(last.value.func) in {"plt.show", "print"}
    )
    return ends_with_value or "print(" in code or "plt.show()" in code


@pytest.mark.parametrize("source", NOTEBOOK_PAGES, ids=lambda p: p.stem)
def test_every_code_cell_has_its_output(site, source):
    import jupytext

    html = chapter_html(site, source)
    cells = [c.source for c in jupytext.read(source).cells if c.cell_type == "code"]
    # nbconvert's lab template opens each code cell's wrapper twice, once without an id.
    wrappers = re.findall(r'<div class="jp-Cell jp-CodeCell([^"]*)">', html)
    assert len(wrappers) == len(cells)
    with_output = ["jp-mod-noOutputs" not in classes for classes in wrappers]
    for code, has_output in zip(cells, with_output):
        if shows_something(code):
            assert has_output, f"{source.name}: no output for cell starting {code.splitlines()[0]!r}"
    assert "Traceback" not in html
    if any("plt.show()" in code for code in cells):
        assert "jp-RenderedImage" in html, f"{source.name} shows no figure"


@pytest.mark.parametrize("source", NOTEBOOK_PAGES, ids=lambda p: p.stem)
def test_no_prompts_and_math_present(site, source):
    html = chapter_html(site, source)
    assert "In&nbsp;[" not in html and "In [" not in html
    # Formulas are typeset as MathML at build time (hooks/math_assets.py); no math script is loaded.
    prose = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", source.read_text(encoding="utf-8"), flags=re.S))
    if re.search(r"\$[^$\s][^$]*\$", prose):
        assert "<math " in html
    assert "MathJax" not in html


def test_no_page_loads_from_another_host(site):
    offenders = []
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|img|link|iframe|source)\b[^>]*>", html):
            for url in re.findall(r'(?:src|href)="([^"]+)"', tag):
                if re.match(r"(https?:)?//", url) and not tag.startswith("<link rel=\"canonical\""):
                    offenders.append(f"{page.relative_to(site)}: {url}")
    assert offenders == []


def test_math_is_typeset_at_build_time(site):
    """No page ships a math renderer: the formulas arrive as MathML."""
    assert not (site / "assets" / "mathjax").exists()
    pages = [page.read_text(encoding="utf-8") for page in site.rglob("*.html")]
    assert sum("<math " in html for html in pages) > 0
    assert not any("MathJax.js" in html for html in pages)


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


def test_internal_links_and_anchors_resolve(site):
    """Every relative link on every page points at a page that exists, and at an anchor on it that exists."""
    from html.parser import HTMLParser
    from urllib.parse import unquote, urldefrag, urljoin, urlparse

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.links, self.ids = [], set()

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if "id" in attrs:
                self.ids.add(attrs["id"])
            if tag == "a" and attrs.get("href"):
                self.links.append(attrs["href"])

    pages = {}
    for page in site.rglob("*.html"):
        parser = Collect()
        parser.feed(page.read_text(encoding="utf-8"))
        pages["/" + page.relative_to(site).as_posix()] = parser
    broken = []
    for url, parser in pages.items():
        if url == "/404.html":  # served for any missing path, so its links are absolute to the deployed site
            continue
        if url == "/print_page/index.html":  # the whole book on one page, for the PDF; the plugin rewrites its links
            continue
        for href in parser.links:
            if urlparse(href).scheme or href.startswith(("mailto:", "//")):
                continue
            target, anchor = urldefrag(urljoin(url, href))
            target = unquote(target)
            if target.endswith("/"):
                target += "index.html"
            if target not in pages:
                if not (site / target.lstrip("/")).exists():
                    broken.append(f"{url}: {href}")
                continue
            if anchor and anchor not in pages[target].ids:
                broken.append(f"{url}: {href} (no anchor #{anchor})")
    assert broken == [], "\n".join(broken)


def test_two_builds_give_the_same_outputs(site, tmp_path):
    """Every cell's output, figures included, is the same in a second build executed afresh
    (cells that measure time excepted): the seeds and the pinned environment make the book reproducible."""
    sys.path.insert(0, str(ROOT / "tools"))
    import check_reproducible

    fresh = tmp_path / "fresh"
    done = build(ROOT / "mkdocs.yml", fresh, NNBOOK_NOTEBOOK_CACHE="false")
    assert done.returncode == 0, done.stdout + done.stderr
    assert check_reproducible.compare(site, fresh) == []


@pytest.mark.parametrize("source", NOTEBOOK_PAGES, ids=lambda p: p.stem)
def test_downloaded_notebook_runs_in_a_fresh_kernel(site, source, tmp_path):
    import nbclient
    import nbformat

    page = site / source.parent.name / source.stem
    assert f'href="{source.stem}.ipynb" download' in (page / "index.html").read_text()
    notebook = nbformat.read(page / f"{source.stem}.ipynb", as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert any(cell.outputs for cell in notebook.cells if cell.cell_type == "code")


def test_archive_holds_every_notebook(site):
    import zipfile

    with zipfile.ZipFile(site / "downloads" / "nnbook-notebooks.zip") as archive:
        names = sorted(archive.namelist())
    assert names == sorted(f"nnbook/{p.stem}.ipynb" for p in NOTEBOOK_PAGES)


def test_every_notebook_page_has_an_environment_stamp(site):
    import torch

    import nnbook

    for source in NOTEBOOK_PAGES:
        html = chapter_html(site, source)
        stamp = re.search(r'<p class="nnbook-stamp">([^<]*)</p>', html)
        assert stamp, f"{source.name} has no environment stamp"
        assert f"torch {torch.__version__}" in stamp.group(1) and f"nnbook {nnbook.__version__}" in stamp.group(1)
        assert re.search(r"on the device \w+.*built \d{4}-\d{2}-\d{2}", stamp.group(1))


def test_the_reproducibility_check_notices_a_changed_output(site, tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    import check_reproducible

    rel = Path("chapters/02-tensors/index.html")
    html = (site / rel).read_text()
    for name, text in (("a", html), ("b", html.replace("tensor([1., 2.])", "tensor([1., 3.])", 1))):
        (tmp_path / name / rel).parent.mkdir(parents=True)
        (tmp_path / name / rel).write_text(text)
    assert check_reproducible.compare(tmp_path / "a", tmp_path / "a") == []
    assert check_reproducible.compare(tmp_path / "a", tmp_path / "b") == [f"{rel}: cell 1 ('import numpy as np') differs"]


def test_api_reference_documents_every_public_name(site):
    import nnbook

    html = "".join(page.read_text() for page in (site / "reference").rglob("index.html"))
    anchors = set(re.findall(r'id="(nnbook\.[\w.]+)"', html))
    missing = [name for name in nnbook.__all__ if not any(a.endswith("." + name) for a in anchors)]
    assert missing == []
