"""The site as the README builds it: strict, executed, fresh, self-contained."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from bs4.filter import ElementFilter

from site_helpers import ROOT, build, chapter, notebook_pages, small_project

pytestmark = pytest.mark.slow
NOTEBOOK_PAGES = notebook_pages()


def chapter_html(site: Path, source: Path) -> str:
    return (site / source.parent.name / source.stem / "index.html").read_text(encoding="utf-8")


def test_strict_build_has_no_warnings(site):
    assert (site / "index.html").exists()


def shows_something(code: str) -> bool:
    """Whether a cell must have output: it prints, plots, or ends with an expression.

    A cell that only defines functions (a listing of package code, say)
    runs none of their bodies, so a ``print(`` inside them shows nothing.
    """
    tree = ast.parse(code)
    if tree.body and all(isinstance(node, (ast.FunctionDef, ast.Import, ast.ImportFrom)) for node in tree.body):
        return False

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
    for code, has_output in zip(cells, with_output, strict=True):
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
    # Code blocks, then code spans of any number of backticks (``t$`repeat`(10)`` holds a `$` that is no formula).
    code_free = re.sub(r"```.*?```", "", source.read_text(encoding="utf-8"), flags=re.S)
    prose = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", code_free)
    if re.search(r"\$[^$\s][^$]*\$", prose):
        assert "<math " in html
    assert "MathJax" not in html


LOADING_TAGS = ["script", "img", "link", "iframe", "source", "video", "audio", "embed", "object", "track"]
_FOREIGN = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")


class _LoadingTags(ElementFilter):
    """Builds only the tags ``foreign_loads`` reads: a third of the time of the whole tree."""

    def allow_tag_creation(self, nsprefix, name, attrs) -> bool:
        return name in LOADING_TAGS or name == "style" or bool(attrs and "style" in attrs)

    def allow_string_creation(self, string) -> bool:
        return False  # asked only about text outside every tag kept, which is never read


def foreign_loads(html: str) -> list[str]:
    """Addresses on another host that a browser would fetch while showing ``html``.

    Parsed with BeautifulSoup, so quoting, ``srcset`` and CSS ``url()`` (in ``style``
    attributes and elements) are all seen; a canonical link is a name, not a load.
    Only the tags that can load something become part of the tree (``_LoadingTags``).
    """
    soup = BeautifulSoup(html, "html.parser", parse_only=_LoadingTags())
    urls = []
    for tag in soup.find_all(LOADING_TAGS):
        if tag.name == "link" and "canonical" in (tag.get("rel") or []):
            continue
        urls += [tag.get(attribute) for attribute in ("src", "href", "data", "poster")]
        urls += [part.split()[0] for part in (tag.get("srcset") or "").split(",") if part.strip()]
    for tag in soup.select("[style]"):
        urls += _CSS_URL.findall(tag["style"])
    for style in soup.find_all("style"):
        urls += _CSS_URL.findall(style.get_text())
    return [url for url in urls if url and _FOREIGN.match(url)]


def test_foreign_loads_finds_every_form_of_address():
    page = (
        '<link rel="canonical" href="https://example.org/page/">'
        "<img src='//cdn.example.org/a.png'>"
        '<img srcset="local.png 1x, https://cdn.example.org/b.png 2x">'
        '<div style="background: url(https://cdn.example.org/c.png)"></div>'
        "<style>@font-face { src: url('https://fonts.example.org/d.woff2') }</style>"
        '<script src="../local.js"></script><a href="https://example.org/">a link is not a load</a>'
    )
    assert foreign_loads(page) == [
        "//cdn.example.org/a.png",
        "https://cdn.example.org/b.png",
        "https://cdn.example.org/c.png",
        "https://fonts.example.org/d.woff2",
    ]


def test_no_page_loads_from_another_host(site):
    offenders = [
        f"{page.relative_to(site)}: {url}"
        for page in site.rglob("*.html")
        for url in foreign_loads(page.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_math_is_typeset_at_build_time(site):
    """No page ships a math renderer: the formulas arrive as MathML."""
    assert not (site / "assets" / "mathjax").exists()
    pages = [page.read_text(encoding="utf-8") for page in site.rglob("*.html")]
    assert sum("<math " in html for html in pages) > 0
    assert not any("MathJax.js" in html for html in pages)


def test_a_failing_cell_fails_the_build_with_its_chapter_named(tmp_path):
    """Chapters executed in parallel: the build fails, and names the chapter whose cell raised, the cell
    and the error, not the chapter that ran beside it."""
    config = small_project(
        tmp_path,
        {
            "fine.md": chapter("print('this chapter runs to its end')"),
            "broken.md": chapter("x = 1\nraise RuntimeError('this cell is broken on purpose')"),
        },
    )
    done = build(config, tmp_path / "site")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "broken.md: code cell 1 raised" in output and "this cell is broken on purpose" in output, output
    assert "fine.md: code cell" not in output


def test_changing_the_package_changes_the_page(tmp_path):
    """The notebook cache must not serve output computed from an older src/nnbook."""
    config = small_project(
        tmp_path, {"probe.md": chapter("import nnbook\nprint('answer', nnbook.relu.__doc__.split()[0])")}
    )
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


# Files made after the build, so not in the test build until a test makes them: the PDF is printed by
# tools/build_pdf.py (test_browser.py's PDF test prints it and fetches it from this address).
PRINTED_AFTER_BUILD = {"/nnbook.pdf"}


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
                if target not in PRINTED_AFTER_BUILD and not (site / target.lstrip("/")).exists():
                    broken.append(f"{url}: {href}")
                continue
            if anchor and anchor not in pages[target].ids:
                broken.append(f"{url}: {href} (no anchor #{anchor})")
    assert broken == [], "\n".join(broken)


def build_execution(source: Path):
    """The executed notebook the site's build rendered for ``source`` (from the build's store)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import check_reproducible

    return check_reproducible.build_execution(source)


def test_page_download_zip_and_print_page_come_from_one_execution(site):
    """Each chapter's page, its notebook download, the zip's copy and the print page carry one execution id."""
    import json
    import zipfile

    print_page = (site / "print_page" / "index.html").read_text(encoding="utf-8")
    with zipfile.ZipFile(site / "downloads" / "nnbook-notebooks.zip") as archive:
        zipped = {Path(name).stem: json.loads(archive.read(name)) for name in archive.namelist()}
    ids = set()
    for source in NOTEBOOK_PAGES:
        on_page = re.findall(r'data-nnbook-execution="(\w+)"', chapter_html(site, source))
        download = json.loads((site / source.parent.name / source.stem / f"{source.stem}.ipynb").read_text())
        execution = download["metadata"]["nnbook"]["execution_id"]
        assert on_page == [execution], source.name
        assert zipped[source.stem]["metadata"]["nnbook"]["execution_id"] == execution
        assert print_page.count(f'data-nnbook-execution="{execution}"') == 1, source.name
        ids.add(execution)
    assert len(ids) == len(NOTEBOOK_PAGES)  # one execution per chapter, none shared


# The downloads themselves are run by tests/site/test_reader.py, in a reader's environment.


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


def test_the_reproducibility_check_notices_a_changed_output(site):
    import copy

    sys.path.insert(0, str(ROOT / "tools"))
    import check_reproducible

    source = ROOT / "docs" / "chapters" / "02-tensors.md"
    executed = build_execution(source)
    changed = copy.deepcopy(executed)
    code_cells = [c for c in changed.cells if c.cell_type == "code"]
    index, first = next(
        (i, c) for i, c in enumerate(code_cells) if c.outputs and not check_reproducible.TIMING.search(c.source)
    )
    output = first.outputs[-1]
    if output.output_type == "stream":
        output.text += "changed"
    else:
        output.data["text/plain"] = output.data.get("text/plain", "") + "changed"
    assert check_reproducible.compare_notebooks("02", executed, copy.deepcopy(executed)) == []
    code = first.source.strip().splitlines()[0]
    (difference,) = check_reproducible.compare_notebooks("02", executed, changed)
    assert difference.startswith(f"02: code cell {index + 1} ({code[:60]!r}) differs: ")
    assert "changed" in difference  # the report shows the line that differs
    # A printed text that arrives in two pieces is the same output.
    split = copy.deepcopy(executed)
    stream = next(o for c in split.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream")
    half = len(stream.text) // 2
    rest = copy.deepcopy(stream)
    stream.text, rest.text = stream.text[:half], stream.text[half:]
    cell = next(c for c in split.cells if c.cell_type == "code" and stream in c.outputs)
    cell.outputs.insert(cell.outputs.index(stream) + 1, rest)
    assert check_reproducible.compare_notebooks("02", executed, split) == []


def test_api_reference_documents_every_public_name(site):
    import nnbook

    html = "".join(page.read_text() for page in (site / "reference").rglob("index.html"))
    anchors = set(re.findall(r'id="(nnbook\.[\w.]+)"', html))
    missing = [name for name in nnbook.__all__ if not any(a.endswith("." + name) for a in anchors)]
    assert missing == []
