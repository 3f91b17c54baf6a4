"""Every page as a reader's browser sees it, in headless Chromium.

Needs Debian's Chromium (``apt-get install chromium``; ``.ci/run`` installs
it). Where it is missing the tests skip and say so. Each page is loaded once
per viewport and every check reads from that visit; ``test_the_checks_catch_a_broken_page``
shows that the checks fail on a page that breaks each rule.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("NNBOOK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("Chromium not found: install Debian's chromium package to run the browser tests", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is part of the test requirements")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage"]
MAX_PAGE_BYTES = 1_500_000
NBCONVERT_DEFAULT_ALT = "No description has been provided for this image"
ROOT = Path(__file__).resolve().parent.parent

WAIT_FOR_MATH = """() => new Promise(resolve => {
  if (!window.MathJax || !MathJax.Hub) { resolve(false); return; }
  MathJax.Hub.Queue(() => resolve(true));
})"""

INSPECT = r"""() => {
  const content = document.querySelector('.md-content') || document.body;
  const images = [...content.querySelectorAll('img')].map(i => ({
    src: i.getAttribute('src').slice(0, 60), loaded: i.complete && i.naturalWidth > 0, alt: i.getAttribute('alt') || ''}));
  const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
  const rawMath = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('pre, code, script, style, .MathJax, .MathJax_Display, .MathJax_Preview')) continue;
    if (/\$[^$\s][^$]*\$|\\\(|\\\[/.test(node.textContent)) rawMath.push(node.textContent.trim().slice(0, 80));
  }
  const headings = [...content.querySelectorAll('h1, h2, h3, h4, h5, h6')]
    .filter(h => !h.closest('.doc-contents, .doc-signature')).map(h => Number(h.tagName[1]));
  const overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  return {images, rawMath, headings, overflow, math: document.querySelectorAll('.MathJax, .MathJax_Display').length};
}"""


@dataclass
class PageReport:
    """Everything one visit to a page recorded."""

    url: str
    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    bytes_loaded: int = 0
    math_loaded: bool = False
    images: list[dict] = field(default_factory=list)
    raw_math: list[str] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)
    overflow: int = 0


def visit(browser, url: str, *, width: int = 1280, color_scheme: str = "light") -> PageReport:
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=color_scheme)
    page = context.new_page()
    report = PageReport(url)
    sizes: dict[str, int] = {}

    def on_response(response):
        if response.status >= 400:
            report.failures.append(f"{response.url} ({response.status})")
        try:
            sizes[response.url] = len(response.body())
        except Exception:  # redirects and aborted requests have no body
            pass

    page.on("request", lambda r: report.requests.append(r.url))
    page.on("requestfailed", lambda r: report.failures.append(f"{r.url} ({r.failure})"))
    page.on("response", on_response)
    page.on("console", lambda m: m.type == "error" and report.console_errors.append(m.text))
    page.on("pageerror", lambda e: report.console_errors.append(str(e)))
    try:
        page.goto(url, wait_until="networkidle")
        report.math_loaded = page.evaluate(WAIT_FOR_MATH)
        page.wait_for_load_state("networkidle")
        found = page.evaluate(INSPECT)
    finally:
        context.close()
    report.bytes_loaded = sum(sizes.values())
    report.images, report.raw_math = found["images"], found["rawMath"]
    report.headings, report.overflow = found["headings"], found["overflow"]
    return report


def problems(report: PageReport, origin: str, *, narrow: bool = False) -> list[str]:
    """Every rule the page breaks, as readable lines; an empty list means the page is fine."""
    found = []
    if narrow:
        if report.overflow > 0:
            found.append(f"scrolls sideways by {report.overflow} px at 390 px wide")
        return found
    found += [f"console error: {e}" for e in report.console_errors]
    found += [f"failed request: {f}" for f in report.failures]
    found += [f"request to another host: {u}" for u in report.requests
              if urlparse(u).scheme in ("http", "https") and urlparse(u).netloc != origin]
    found += [f"image did not load: {i['src']}" for i in report.images if not i["loaded"]]
    found += [f"image without alt text: {i['src']}" for i in report.images
              if not i["alt"].strip() or i["alt"] == NBCONVERT_DEFAULT_ALT]
    found += [f"math left raw: {m!r}" for m in report.raw_math]
    if not report.math_loaded:
        found.append("MathJax did not load")
    if report.bytes_loaded > MAX_PAGE_BYTES:
        found.append(f"page weighs {report.bytes_loaded:,} bytes with what it loads, over {MAX_PAGE_BYTES:,}")
    if report.headings[:1] != [1]:
        found.append(f"the first heading is not an h1: {report.headings[:3]}")
    for before, after in zip(report.headings, report.headings[1:]):
        if after > before + 1:
            found.append(f"heading level jumps from h{before} to h{after}")
            break
    return found


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory: Path):
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture(scope="session")
def server(site):
    httpd, url = serve(site)
    yield url
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def page_paths() -> list[str]:
    """The URL path of every page built from docs/."""
    paths = []
    for md in sorted((ROOT / "docs").rglob("*.md")):
        rel = md.relative_to(ROOT / "docs").with_suffix("")
        if rel.name == "index":
            paths.append("/" if rel.parent == Path(".") else f"/{rel.parent.as_posix()}/")
        else:
            paths.append(f"/{rel.as_posix()}/")
    return sorted(set(paths))


@pytest.fixture(scope="session")
def weights():
    """Collects each page's weight, and writes them to tests/.reports/page-weights.json at the end."""
    found: dict[str, int] = {}
    yield found
    out = ROOT / "tests" / ".reports"
    out.mkdir(exist_ok=True)
    (out / "page-weights.json").write_text(json.dumps(dict(sorted(found.items())), indent=1))


@pytest.mark.parametrize("path", page_paths())
def test_page_as_a_reader_sees_it(browser, server, weights, path):
    report = visit(browser, server + path)
    weights[path] = report.bytes_loaded
    assert problems(report, urlparse(server).netloc) == []


@pytest.mark.parametrize("path", page_paths())
def test_no_sideways_scroll_on_a_phone(browser, server, path):
    report = visit(browser, server + path, width=390)
    assert problems(report, urlparse(server).netloc, narrow=True) == []


def test_the_checks_catch_a_broken_page(browser, tmp_path):
    """A page that breaks every rule at once: each check must notice its own rule."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><script src='https://cdn.invalid/lib.js'></script></head>"
        "<body><div class='md-content'><h1>Broken</h1><h3>skipped a level</h3>"
        "<p>Math left as $x^2$ text.</p><img src='missing.png'>"
        f"<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw=' alt='{NBCONVERT_DEFAULT_ALT}'>"
        "<div style='width:2000px'>wide</div><script>undefinedFunction()</script></div></body></html>"
    )
    httpd, url = serve(tmp_path)
    try:
        report = visit(browser, url + "/")
        narrow = visit(browser, url + "/", width=390)
    finally:
        httpd.shutdown()
    found = "\n".join(problems(report, urlparse(url).netloc) + problems(narrow, urlparse(url).netloc, narrow=True))
    for expected in ["console error", "failed request", "request to another host: https://cdn.invalid/lib.js",
                     "image did not load: missing.png", "image without alt text", "math left raw", "MathJax did not load",
                     "heading level jumps from h1 to h3", "scrolls sideways"]:
        assert expected in found, f"the checks missed: {expected}\n{found}"


def test_search_finds_the_tensors_chapter_for_broadcasting(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/", wait_until="networkidle")
    page.locator(".md-search__input").click()
    page.keyboard.type("broadcasting", delay=20)  # the search listens to key presses
    page.wait_for_selector(".md-search-result__item a")
    links = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.href)")
    context.close()
    assert any("/chapters/02-tensors/" in link for link in links), links


@pytest.mark.parametrize("path", ["/chapters/02-tensors/", "/"])
def test_copy_button_copies_the_code(browser, server, path):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(server + path, wait_until="networkidle")
    if path == "/":  # an ordinary page: mkdocs-material's copy button
        block = page.locator("div.highlight").first
        expected = block.locator("code").inner_text()
        block.hover()
        block.locator("button[data-md-type=copy]").click()
    else:  # a notebook page: the button nbconvert's template adds to each cell
        expected = page.eval_on_selector(".clipboard-copy-txt", "el => el.textContent")
        page.locator("clipboard-copy").first.click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    context.close()
    assert copied.strip() == expected.strip() and copied.strip()


def test_scheme_toggle_switches_to_dark_and_back(browser, server):
    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    page.goto(server + "/chapters/01-what-a-network-computes/", wait_until="networkidle")
    scheme = "() => document.body.getAttribute('data-md-color-scheme')"
    assert page.evaluate(scheme) == "default"
    page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.evaluate(scheme) == "slate"
    page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.evaluate(scheme) == "default"
    context.close()


CONTRAST = """() => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const luminance = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const ratio = el => {
    const a = luminance(rgb(getComputedStyle(el).color)), b = luminance(background(el));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };
  const pick = sel => document.querySelector(sel);
  const targets = {prose: '.md-content p', code: '.jp-InputArea pre', output: '.jp-OutputArea-output pre',
                   table: '.md-content td', note: '.md-content blockquote p'};
  const out = {};
  for (const [name, sel] of Object.entries(targets)) { const el = pick(sel); if (el) out[name] = ratio(el); }
  return out;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/chapters/06-losses-and-optimizers/", "/appendix/coming-from-r/"])
def test_text_is_readable_in_both_schemes(browser, server, scheme, path):
    """WCAG AA contrast (4.5:1) for prose, code, outputs, tables and notes, in light and dark mode."""
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(server + path, wait_until="networkidle")
    expected = "slate" if scheme == "dark" else "default"
    assert page.evaluate("() => document.body.getAttribute('data-md-color-scheme')") == expected
    ratios = page.evaluate(CONTRAST)
    context.close()
    assert ratios, "no text found to measure"
    assert {name: round(r, 2) for name, r in ratios.items() if r < 4.5} == {}


def test_figures_have_a_light_background_in_dark_mode(browser, server):
    """Matplotlib draws dark text; the figure must carry its own light background to stay legible."""
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(server + "/chapters/03-network-from-scratch/", wait_until="networkidle")
    corner = page.evaluate("""() => new Promise(resolve => {
      const img = document.querySelector('.jp-RenderedImage img');
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d'); ctx.drawImage(img, 0, 0);
      resolve([...ctx.getImageData(2, 2, 1, 1).data]);
    })""")
    context.close()
    assert corner[3] == 255 and min(corner[:3]) > 200, corner


def test_solutions_start_folded_and_open_on_click(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/chapters/04-autograd/", wait_until="networkidle")
    solutions = page.locator("details.solution")
    assert solutions.count() == 2
    assert not solutions.first.evaluate("el => el.open")
    solutions.first.locator("summary").click()
    assert solutions.first.evaluate("el => el.open")
    assert "Solution to exercise 4.1" in solutions.first.inner_text()
    assert "Answer." in solutions.first.inner_text()  # the answer in words folds with its code
    context.close()


def test_pruned_notebook_css_renders_like_the_full_one(browser, server, tmp_path):
    """hooks/notebook_css.py drops unused rules; the page must look exactly as with the full stylesheet."""
    import mkdocs_jupyter

    # The stylesheet the plugin's template inlines in every notebook page, before pruning.
    full = (Path(mkdocs_jupyter.__file__).parent / "templates/mkdocs_html/assets/index.css").read_text()
    shots = {}
    for label in ("pruned", "full"):
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
            page = context.new_page()
            if label == "full":
                page.route("**/notebook.css", lambda route: route.fulfill(body=full, content_type="text/css"))
            page.goto(server + "/chapters/02-tensors/", wait_until="networkidle")
            page.evaluate(WAIT_FOR_MATH)
            # The article only: the header's icons animate and would differ for reasons unrelated to the CSS.
            shots[label, scheme] = page.locator("article.md-content__inner").screenshot(animations="disabled")
            context.close()
    for scheme in ("light", "dark"):
        if shots["pruned", scheme] != shots["full", scheme]:
            (tmp_path / f"pruned-{scheme}.png").write_bytes(shots["pruned", scheme])
            (tmp_path / f"full-{scheme}.png").write_bytes(shots["full", scheme])
            pytest.fail(f"the pruned stylesheet changes the page in {scheme} mode; screenshots in {tmp_path}")
