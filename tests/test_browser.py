"""Every page as a reader's browser sees it, in headless Chromium.

Needs Debian's Chromium (``apt-get install chromium``; ``.ci/run`` installs it).
Where it is missing the tests skip and say so.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
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
WAIT_FOR_MATH = """() => new Promise(resolve => {
  if (!window.MathJax || !MathJax.Hub) { resolve(false); return; }
  MathJax.Hub.Queue(() => resolve(true));
})"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def pages(site: Path) -> list[str]:
    return sorted(
        "/" + str(path.parent.relative_to(site)).replace(".", "").strip("/") + ("/" if path.parent != site else "")
        for path in site.rglob("index.html")
        if "assets" not in path.parts
    )


def page_urls():
    from site_helpers import ROOT

    urls = ["/"]
    for md in sorted((ROOT / "docs").rglob("*.md")):
        rel = md.relative_to(ROOT / "docs").with_suffix("")
        if rel.name != "index":
            urls.append(f"/{rel.as_posix()}/")
        elif rel.parent != Path("."):
            urls.append(f"/{rel.parent.as_posix()}/")
    return sorted(set(urls))


class Visit:
    """A page loaded in a fresh context, with every request, failure and console error recorded."""

    def __init__(self, browser, url: str, *, width: int = 1280, color_scheme: str = "light"):
        self.context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=color_scheme)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.failures: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failures.append(f"{r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.failures.append(f"{r.url} ({r.status})"))
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.goto(url, wait_until="networkidle")
        self.math_done = self.page.evaluate(WAIT_FOR_MATH)
        self.page.wait_for_load_state("networkidle")

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser):
    opened = []

    def _visit(url, **kwargs):
        v = Visit(browser, url, **kwargs)
        opened.append(v)
        return v

    yield _visit
    for v in opened:
        v.close()


@pytest.mark.parametrize("path", page_urls())
def test_page_loads_cleanly_from_its_own_origin(server, visit, path):
    v = visit(server + path)
    assert v.console_errors == []
    assert v.failures == []
    origin = urlparse(server).netloc
    foreign = [u for u in v.requests if urlparse(u).scheme in ("http", "https") and urlparse(u).netloc != origin]
    assert foreign == []


@pytest.mark.parametrize("path", page_urls())
def test_images_load_and_have_alt_text(server, visit, path):
    v = visit(server + path)
    images = v.page.evaluate(
        "() => [...document.querySelectorAll('.md-content img')].map(i => ({src: i.src.slice(0, 60), ok: i.complete && i.naturalWidth > 0, alt: i.alt}))"
    )
    assert [i for i in images if not i["ok"]] == []
    assert [i for i in images if not i["alt"].strip()] == []


@pytest.mark.parametrize("path", page_urls())
def test_math_is_rendered(server, visit, path):
    v = visit(server + path)
    assert v.math_done, "MathJax did not load"
    leftovers = v.page.evaluate(
        r"""() => {
          const walker = document.createTreeWalker(document.querySelector('.md-content'), NodeFilter.SHOW_TEXT);
          const bad = [];
          while (walker.nextNode()) {
            const node = walker.currentNode;
            if (node.parentElement.closest('pre, code, script, style, .MathJax, .MathJax_Display, .MathJax_Preview')) continue;
            if (/\$[^$\s][^$]*\$|\\\(|\\\[/.test(node.textContent)) bad.push(node.textContent.trim().slice(0, 80));
          }
          return bad;
        }"""
    )
    assert leftovers == []


@pytest.mark.parametrize("path", page_urls())
def test_no_sideways_scroll_at_390_px(server, visit, path):
    v = visit(server + path, width=390)
    overflow = v.page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_chapter_one_renders_math_and_the_plot(server, visit, tmp_path):
    v = visit(server + "/chapters/01-what-a-network-computes/")
    assert v.page.locator(".MathJax_Display").count() >= 2
    assert v.page.locator(".jp-RenderedImage img").count() >= 1
    v.page.screenshot(path=str(tmp_path / "chapter1.png"), full_page=True)
