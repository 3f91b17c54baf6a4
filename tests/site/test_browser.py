"""Every page as a reader's browser sees it, in headless Chromium.

Needs Chromium (Debian's ``chromium`` package, or Playwright's own download on
GitHub's runners) and axe-core from the npm registry (``npm ci``, which
``python3 make.py test`` runs). Where one is missing the tests skip and say how
to install it; under ``CI=true`` they fail instead, so coverage never vanishes
silently. The site is served gzip-compressed, as GitHub Pages serves it, so the
weights measured are what a reader downloads.

No check here reads pixels, durations or animation frames: each reads what
carries the property (computed styles, element boxes, the DOM, axe-core's
rules). ``test_the_checks_catch_a_broken_page`` shows that each check fails on
a page that breaks its rule.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from bs4 import BeautifulSoup

from site_helpers import (
    AXE_JS,
    AXE_RUN,
    AXE_SHOW_ALL,
    AXE_TAGS,
    CHROMIUM_ARGS,
    INSTALL_AXE,
    INSTALL_CHROMIUM,
    ROOT,
    SITE_URL,
    add_axe,
    find_chromium,
    page_paths,
    serve,
)

pytestmark = pytest.mark.slow

# What a reader downloads for one page (compressed transfer, every request).
MAX_TRANSFER_BYTES = 700_000
NBCONVERT_DEFAULT_ALT = "No description has been provided for this image"


def missing(reason: str):
    """Fail under CI (a tool the suite needs is missing), skip elsewhere; ``reason`` says how to install it."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run in CI)", pytrace=False)
    pytest.skip(reason)


INSPECT = r"""() => {
  const content = document.querySelector('.md-content') || document.body;
  const images = [...content.querySelectorAll('img')].map(i => ({
    src: i.getAttribute('src').slice(0, 60),
    loaded: i.complete && i.naturalWidth > 0,
    alt: i.getAttribute('alt') || ''}));
  const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
  const rawMath = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('pre, code, script, style, math, .clipboard-copy-txt')) continue;
    if (/\$[^$\s][^$]*\$|\\\(|\\\[/.test(node.textContent)) rawMath.push(node.textContent.trim().slice(0, 80));
  }
  const headings = [...content.querySelectorAll('h1, h2, h3, h4, h5, h6')]
    .filter(h => !h.closest('.doc-contents, .doc-signature')).map(h => Number(h.tagName[1]));
  const overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  return {images, rawMath, headings, overflow};
}"""

# Output lines that the browser wrapped: a line of an output block must stay one line
# (it scrolls sideways instead). Each line of text is measured with a Range.
WRAPPED_OUTPUT_LINES = r"""() => {
  const wrapped = [];
  for (const pre of document.querySelectorAll('.jp-OutputArea-output pre')) {
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      let start = 0;
      for (const line of node.textContent.split('\n')) {
        if (line.trim()) {
          const range = document.createRange();
          range.setStart(node, start); range.setEnd(node, start + line.length);
          const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
          if (tops.size > 1) wrapped.push(line.trim().slice(0, 60));
        }
        start += line.length + 1;
      }
    }
  }
  return wrapped;
}"""

# Tab stops on things nobody can act on: focusable elements that are neither
# controls nor boxes that scroll (a keyboard user needs those to scroll them).
IDLE_TAB_STOPS = r"""() => {
  const interactive = 'a[href], button, input, select, textarea, summary, label, clipboard-copy, '
    + '[role=button], [contenteditable]';
  return [...document.querySelectorAll('[tabindex]')]
    .filter(el => el.tabIndex >= 0 && !el.matches(interactive) && el.getClientRects().length)
    .filter(el => !(el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
    .map(el => el.tagName.toLowerCase() + '.' + [...el.classList].join('.'));
}"""


# The two links under every page's content (overrides/main.html): the whole book as a PDF, and a
# prefilled problem report with the page's build stamp. Links as a reader's browser resolves them.
FOOTER_LINKS = r"""() => {
  const named = name => [...document.querySelectorAll('a[href]')]
    .filter(a => a.textContent.trim() === name).map(a => a.href);
  const stamp = document.querySelector('.nnbook-report__stamp');
  return {pdf: named('The whole book as one PDF'), report: named('Report a problem with this page'),
          stamp: stamp ? stamp.textContent.trim() : ''};
}"""
REPORT_URL = "https://github.com/nnbook/nnbook/issues/new?"
DEPLOYED = SITE_URL.split("://", 1)[1].rstrip("/")  # nnbook.github.io/nnbook


# docs/javascripts/scroll-focus.js makes the boxes that scroll focusable once the page is idle, then says so.
SCROLL_BOXES_MEASURED = """() => !document.querySelector('script[src*="scroll-focus"]')
  || document.documentElement.dataset.nnbookScrollBoxes === 'measured'"""


# The palette toggle in the header (Material's), as a reader clicks it.
SCHEME_TOGGLE = "form[data-md-component=palette] label:visible"
SCHEME = "() => document.body.getAttribute('data-md-color-scheme')"
# In the dark scheme axe runs every WCAG 2.1 AA rule on the whole page again. The scheme
# changes colours (the colour rules) and the header's palette toggle (its other label);
# one run over the document checks both, and costs less than a run of the colour rules
# plus a run over the header (axe's cost is mostly its per-run walk of the page and the
# colour-contrast rule, which both had to do anyway).
PHONE_WIDTH = 390


@dataclass
class PageReport:
    """Everything one visit to a page recorded: light scheme at 1280 px, then dark, then phone width."""

    url: str
    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    transferred: int = 0
    images: list[dict] = field(default_factory=list)
    raw_math: list[str] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)
    idle_tab_stops: list[str] = field(default_factory=list)
    axe: list[dict] = field(default_factory=list)
    dark_scheme: str | None = None  # the scheme the page says it shows after the switch; None: not switched
    dark_axe: list[dict] = field(default_factory=list)
    # Per axe run: code and math elements the colour rule skipped as duplicates, and rechecked.
    axe_runs: list[dict] = field(default_factory=list)
    overflow: int = 0  # at phone width
    wrapped_output: list[str] = field(default_factory=list)  # at phone width
    footer_links: dict = field(default_factory=dict)  # FOOTER_LINKS


def visit(browser, url: str, *, axe: Path | None = None, dark: bool = True, dedupe: bool = True) -> PageReport:
    """Load ``url`` once and look at it as readers do.

    Light scheme at 1280 px: requests, images, math, headings, tab stops, axe (every
    WCAG 2.1 AA rule). Then, when ``dark``, the reader's switch to the dark scheme
    (the system preference and the header's toggle) and axe again (every rule). Then
    the window narrowed to a phone's 390 px: sideways scrolling and wrapped output
    lines, which depend on layout alone, not on how the page got that width.
    axe's colour rule checks each contrast situation of code and math once
    (tests/site/axe_run.js); ``dedupe=False`` has it check every element.
    Console errors and requests are collected over the whole visit, which ends once
    the network is idle and every request it started has finished: requests made late
    (the search index, anything the dark scheme or the narrow window loads) are
    caught and their bytes counted.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    page = context.new_page()
    report = PageReport(url)
    sizes: list[int] = []  # one per finished request: a URL fetched twice counts twice
    pending: set = set()  # requests started and not yet finished (or failed)

    def on_request(request):
        report.requests.append(request.url)
        pending.add(request)

    def on_finished(request):
        pending.discard(request)
        try:  # the encoded (compressed) body plus headers: what crossed the network
            s = request.sizes()
            sizes.append(s["responseBodySize"] + s["responseHeadersSize"])
        except Exception:  # a request without a response has no sizes
            pass

    def on_failed(request):
        pending.discard(request)
        report.failures.append(f"{request.url} ({request.failure})")

    page.on("request", on_request)
    page.on("requestfailed", on_failed)
    page.on("requestfinished", on_finished)
    page.on("response", lambda r: r.status >= 400 and report.failures.append(f"{r.url} ({r.status})"))
    page.on("console", lambda m: m.type == "error" and report.console_errors.append(m.text))
    page.on("pageerror", lambda e: report.console_errors.append(str(e)))
    try:
        # "load": the page, its scripts, styles and images; what comes later is awaited at the end.
        page.goto(url, wait_until="load")
        page.wait_for_function(SCROLL_BOXES_MEASURED)
        found = page.evaluate(INSPECT)
        report.idle_tab_stops = page.evaluate(IDLE_TAB_STOPS)
        report.footer_links = page.evaluate(FOOTER_LINKS)
        # Every cell laid out from here on (axe needs it; the phone-width checks then
        # measure every cell too, not only those near the screen).
        page.add_style_tag(content=AXE_SHOW_ALL)
        if axe is not None:
            add_axe(page, axe)
            report.axe = run_axe(page, report, dedupe)
        if dark:
            page.emulate_media(color_scheme="dark")
            page.locator(SCHEME_TOGGLE).first.click()
            page.wait_for_function(f"() => ({SCHEME})() === 'slate'")
            report.dark_scheme = page.evaluate(SCHEME)
            if axe is not None:
                report.dark_axe = run_axe(page, report, dedupe)
        page.set_viewport_size({"width": PHONE_WIDTH, "height": 900})
        report.overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        report.wrapped_output = page.evaluate(WRAPPED_OUTPUT_LINES)
        # By now the network has usually been idle for a while (this returns at once); a request
        # started after that (none is expected) is still awaited, so its bytes are counted.
        page.wait_for_load_state("networkidle")
        waited = 0
        while pending:
            if waited > 30_000:
                raise AssertionError(f"requests never finished: {[r.url for r in pending]}")
            page.wait_for_timeout(20)  # lets Playwright deliver the requests' events
            waited += 20
        report.transferred = sum(sizes)
    finally:
        context.close()
    report.images, report.raw_math, report.headings = found["images"], found["rawMath"], found["headings"]
    return report


def run_axe(page, report: PageReport, dedupe: bool) -> list[dict]:
    found = page.evaluate(AXE_RUN, [AXE_TAGS, dedupe])
    report.axe_runs.append({"skipped": found["skipped"], "rechecked": found["rechecked"]})
    return found["violations"]


def problems(report: PageReport, origin: str) -> list[str]:
    """Every rule the page breaks, as readable lines; an empty list means the page is fine."""
    found = [f"console error: {e}" for e in report.console_errors]
    found += [f"failed request: {f}" for f in report.failures]
    found += [
        f"request to another host: {u}"
        for u in report.requests
        if urlparse(u).scheme in ("http", "https") and urlparse(u).netloc != origin
    ]
    found += [f"image did not load: {i['src']}" for i in report.images if not i["loaded"]]
    found += [
        f"image without alt text: {i['src']}"
        for i in report.images
        if not i["alt"].strip() or i["alt"] == NBCONVERT_DEFAULT_ALT
    ]
    found += [f"math left raw: {m!r}" for m in report.raw_math]
    found += [f"tab stop on a non-interactive element: {t}" for t in report.idle_tab_stops]
    found += [f"axe {v['id']} ({v['impact']}): {v['help']}: {n['target']}" for v in report.axe for n in v["nodes"][:5]]
    found += [
        f"dark scheme: axe {v['id']} ({v['impact']}): {v['help']}: {n['target']}"
        for v in report.dark_axe
        for n in v["nodes"][:5]
    ]
    if report.transferred > MAX_TRANSFER_BYTES:
        found.append(f"page transfers {report.transferred:,} bytes with what it loads, over {MAX_TRANSFER_BYTES:,}")
    if report.headings[:1] != [1]:
        found.append(f"the first heading is not an h1: {report.headings[:3]}")
    for before, after in itertools.pairwise(report.headings):
        if after > before + 1:
            found.append(f"heading level jumps from h{before} to h{after}")
            break
    if report.overflow > 0:
        found.append(f"scrolls sideways by {report.overflow} px at {PHONE_WIDTH} px wide")
    found += [f"output line wrapped at {PHONE_WIDTH} px: {line!r}" for line in report.wrapped_output]
    found += footer_link_problems(report)
    return found


def footer_link_problems(report: PageReport) -> list[str]:
    """The page links to the book's PDF (served from the site's root) and, with a plain link that needs
    no script, to a new issue whose text names the page's deployed address and its build stamp."""
    url = urlparse(report.url)
    links = report.footer_links
    found = []
    if links.get("pdf") != [f"{url.scheme}://{url.netloc}/nnbook.pdf"]:
        found.append(f"the link to the whole book as a PDF is not one link to /nnbook.pdf: {links.get('pdf')}")
    reports = links.get("report") or []
    if len(reports) != 1 or not reports[0].startswith(REPORT_URL):
        found.append(f"the link to report a problem is not one link to a new issue: {reports}")
    else:
        body = (parse_qs(urlparse(reports[0]).query).get("body") or [""])[0]
        stamp = links.get("stamp", "")
        if f"{DEPLOYED}{url.path}" not in body:
            found.append(f"the problem report does not name the page's address {DEPLOYED}{url.path}: {body!r}")
        if "commit" not in stamp or stamp.strip("()") not in body:
            found.append(f"the problem report does not carry the page's build stamp {stamp!r}: {body!r}")
    return found


@pytest.fixture(scope="session")
def server(site):
    httpd, url = serve(site, gzip=True)
    yield url
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is missing: install the test requirements (python3 make.py test does)")
    executable = find_chromium()
    if executable is None:
        missing(f"Chromium not found: {INSTALL_CHROMIUM}")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_js() -> Path:
    if not AXE_JS.is_file():
        missing(f"axe-core not found at {AXE_JS}: {INSTALL_AXE}")
    return AXE_JS


@pytest.fixture(scope="session")
def weights():
    """Collects each page's transfer size into tests/.reports/page-weights.json at the end.

    The browser tests share both cores (pytest-xdist), so each worker adds its pages to the
    file under a lock; the file is a report for readers of the suite, not something a test reads.
    """
    from filelock import FileLock

    found: dict[str, int] = {}
    yield found
    out = ROOT / "tests" / ".reports"
    out.mkdir(exist_ok=True)
    report = out / "page-weights.json"
    with FileLock(str(report) + ".lock"):
        earlier = json.loads(report.read_text()) if report.is_file() else {}
        report.write_text(json.dumps(dict(sorted({**earlier, **found}.items())), indent=1))


@pytest.mark.parametrize("path", page_paths())
def test_page_as_a_reader_sees_it(browser, server, axe_js, weights, path):
    """Loads, requests nothing elsewhere, has alt text and typeset math; axe-core finds no WCAG 2.1 AA
    violation in the light scheme nor in the dark one; at 390 px it never scrolls sideways and no
    output line is wrapped (wide outputs scroll in their box); it links to the book's PDF and to a
    prefilled problem report that names it."""
    report = visit(browser, server + path, axe=axe_js)
    weights[path] = report.transferred
    assert report.dark_scheme == "slate"
    assert problems(report, urlparse(server).netloc) == []


def test_the_checks_catch_a_broken_page(browser, axe_js, tmp_path):
    """A page that breaks every rule at once: each check must notice its own rule.

    Its header has a stand-in for Material's palette toggle; after the switch to the dark
    scheme a paragraph that was legible loses its contrast, another fades slowly (a CSS
    transition) to an illegible colour, and an image without alt text appears in the header,
    which only the dark scheme's axe run can see.
    """
    dark_only = (
        "<style>.dark-only { display: none } [data-md-color-scheme=slate] .dark-only { display: inline }"
        " [data-md-color-scheme=slate] .dim { color: #222; background: #000 }"
        " .fading { color: #333; background: #fff; transition: color 1000s }"
        " [data-md-color-scheme=slate] .fading { color: #eee }</style>"
    )
    toggle = (
        "<header><form data-md-component='palette'><label onclick=\"document.body.setAttribute("
        "'data-md-color-scheme', 'slate')\">Switch to dark mode</label></form>"
        "<img class='dark-only' src='data:image/gif;base64,R0lGODlhAQABAAAAACw='></header>"
    )
    (tmp_path / "index.html").write_text(
        f"<!doctype html><html><head><script src='https://cdn.invalid/lib.js'></script>{dark_only}</head>"
        f"<body>{toggle}<div class='md-content'><h1>Broken</h1><h3>skipped a level</h3>"
        "<p class='dim'>legible in the light scheme only</p>"
        "<p class='fading'>fades to an illegible colour after the switch</p>"
        "<p>Math left as $x^2$ text.</p><img src='missing.png'>"
        f"<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw=' alt='{NBCONVERT_DEFAULT_ALT}'>"
        "<p style='color:#aaa'>pale text</p><div tabindex='0'>a box nobody acts on</div>"
        "<div class='jp-OutputArea-output'><pre style='white-space:pre-wrap;word-break:break-all'>"
        + "272.0 µs per epoch "
        * 30
        + "</pre></div>"
        "<div style='width:2000px'>wide</div><script>undefinedFunction()</script></div>"
        "<p><a href='book.pdf'>The whole book as one PDF</a> <a href='https://example.invalid/new'>"
        "Report a problem with this page</a></p></body></html>"
    )
    httpd, url = serve(tmp_path, gzip=True)
    try:
        report = visit(browser, url + "/", axe=axe_js)
    finally:
        httpd.shutdown()
    assert report.dark_scheme == "slate"
    lines = problems(report, urlparse(url).netloc)
    found = "\n".join(lines)
    # The paragraph fails contrast in the dark scheme only: the switch happened before that axe run.
    assert any(line.startswith("dark scheme: axe color-contrast") and ".dim" in line for line in lines), found
    assert not any(line.startswith("axe color-contrast") and ".dim" in line for line in lines), found
    # The switch starts a 1000 s fade to an illegible colour: axe measures the colour it arrives at.
    assert any(line.startswith("dark scheme: axe color-contrast") and ".fading" in line for line in lines), found
    assert not any(line.startswith("axe color-contrast") and ".fading" in line for line in lines), found
    for expected in [
        "console error",
        "failed request",
        "request to another host: https://cdn.invalid/lib.js",
        "image did not load: missing.png",
        "image without alt text",
        "math left raw",
        "heading level jumps from h1 to h3",
        "scrolls sideways",
        "output line wrapped",
        "tab stop on a non-interactive element: div",
        "axe color-contrast",
        "axe html-has-lang",
        "dark scheme: axe image-alt",
        "the link to the whole book as a PDF is not one link to /nnbook.pdf",
        "the link to report a problem is not one link to a new issue",
    ]:
        assert expected in found, f"the checks missed: {expected}\n{found}"


def test_the_footer_link_checks_read_the_address_and_the_stamp():
    """What a visit reads of the footer's links, checked without a browser: each kind of mistake is named."""
    stamp = "(built 2026-11-25 from commit abc1234)"

    def report(path, *, body, pdf="/nnbook.pdf", shown=stamp):
        links = {"pdf": [f"http://127.0.0.1:8000{pdf}"], "stamp": shown}
        links["report"] = [REPORT_URL + urlencode({"title": "A problem", "body": body})]
        return PageReport(f"http://127.0.0.1:8000{path}", footer_links=links)

    right = f"Page: https://{DEPLOYED}/chapters/02-tensors/\nBuilt {stamp}"
    assert footer_link_problems(report("/chapters/02-tensors/", body=right)) == []
    assert footer_link_problems(report("/chapters/03-network-from-scratch/", body=right)) == [
        f"the problem report does not name the page's address {DEPLOYED}/chapters/03-network-from-scratch/: {right!r}"
    ]
    older = right.replace("abc1234", "0000000")
    assert footer_link_problems(report("/chapters/02-tensors/", body=older)) == [
        f"the problem report does not carry the page's build stamp {stamp!r}: {older!r}"
    ]
    assert footer_link_problems(report("/chapters/02-tensors/", body=right, pdf="/chapters/nnbook.pdf"))[0].startswith(
        "the link to the whole book as a PDF is not one link to /nnbook.pdf"
    )
    assert footer_link_problems(PageReport("http://127.0.0.1:8000/")) == [
        "the link to the whole book as a PDF is not one link to /nnbook.pdf: None",
        "the link to report a problem is not one link to a new issue: []",
    ]


def test_contrast_checked_once_per_situation_never_hides_a_violation(browser, axe_js, tmp_path):
    """axe's colour rule skips code and math elements whose contrast situation it has already met on the
    page (tests/site/axe_run.js), yet an element of the same class that differs in what makes its contrast
    is reported, in the scheme where it is illegible.

    Twenty tokens of one class in a code block, then more of that class in other blocks, each
    illegible in its own way: on a darker background (an ancestor's), with an inline colour, over a
    dark box that is not its ancestor (same styles all the way up: only geometry shows the box), in
    the dark scheme only (a style rule gives it its colour there), pale after a pale one-letter
    token, and pale after a pale token clipped out of its block (a representative axe does not
    check); a pale MathML element too.
    """
    style = (
        "<style>.block { position: relative; margin: 1em } .tok { color: #333 } .pale { color: #999 }"
        " .shade { background: #555 }"
        " .under { position: absolute; inset: 0; z-index: -1; background: #444 }"
        " .narrow pre { width: 12em; overflow: hidden; white-space: pre }"
        " body[data-md-color-scheme=slate] { background: #111; color: #ddd }"
        " [data-md-color-scheme=slate] .tok { color: #ddd }"
        " [data-md-color-scheme=slate] .later .tok { color: #333 }"
        " .paper { background: #fff } .fading { color: #333; transition: color 1000s }"
        " [data-md-color-scheme=slate] .fading { color: #eee }</style>"
    )
    toggle = (
        "<header><form data-md-component='palette'><label onclick=\"document.body.setAttribute("
        "'data-md-color-scheme', 'slate')\">Switch to dark mode</label></form></header>"
    )
    tokens = " ".join(f"<span class='tok'>name_{i}</span>" for i in range(20))
    far = " " * 300
    blocks = [
        ("block", tokens),
        ("block shade", "<span class='tok' id='on-shade'>on_a_darker_background</span>"),
        ("block", "<span class='tok' id='inline-colour' style='color: #777'>with_an_inline_colour</span>"),
        ("block", "<span class='tok' id='over-a-box'>over_a_box_beneath</span>"),
        ("block later", "<span class='tok' id='dark-only'>dark_scheme_colour</span>"),
        # axe calls a one-letter text "incomplete" where it fails (too short to tell): it vouches for nobody.
        ("block", "<span class='tok pale'>x</span> <span class='tok pale' id='after-a-short-one'>longer_name</span>"),
        # The first pale token of this block is scrolled out of sight: axe does not check it.
        (
            "block narrow",
            f"{far}<span class='tok pale'>out_of_sight</span>\n"
            "<span class='tok pale' id='after-a-hidden-one'>in_sight</span>",
        ),
    ]
    code = "".join(
        f"<div class='{cls}'>{under}<pre><code>{body}</code></pre></div>"
        for cls, body in blocks
        for under in ["<div class='under'></div>" if "over-a-box" in body else ""]
    )
    math = "<p>A formula: <math><mi>x</mi><mo>+</mo><mi style='color: #bbb' id='pale-math'>yz</mi></math></p>"
    (tmp_path / "index.html").write_text(
        f"<!doctype html><html lang='en'><head><title>Tokens</title>{style}</head>"
        f"<body>{toggle}<main><h1>Tokens</h1>{code}{math}"
        "<div class='paper'><p class='fading' id='fading'>illegible once its colour has arrived</p></div>"
        "</main></body></html>"
    )
    httpd, url = serve(tmp_path)
    try:
        report = visit(browser, url + "/", axe=axe_js)
    finally:
        httpd.shutdown()

    def failing(violations):
        return sorted(n["target"] for v in violations if v["id"] == "color-contrast" for n in v["nodes"])

    light = ["#after-a-hidden-one", "#after-a-short-one", "#inline-colour", "#on-shade", "#over-a-box", "#pale-math"]
    assert failing(report.axe) == light, failing(report.axe)
    # The paragraph fades to its dark-scheme colour over 1000 s: axe measures the colour it fades to.
    assert failing(report.dark_axe) == ["#dark-only", "#fading", "#inline-colour"], failing(report.dark_axe)
    # The rule did skip duplicates (19 of the 20 tokens at least), and checked the duplicates of the
    # token scrolled out of sight in a second run.
    assert all(run["skipped"] >= 19 and run["rechecked"] >= 1 for run in report.axe_runs), report.axe_runs


def _search(browser, server, query: str) -> list[str]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/", wait_until="load")
    page.locator(".md-search__input").click()
    page.keyboard.type(query, delay=20)  # the search listens to key presses
    # The result list's meta line says how many documents match, once the search has run.
    page.wait_for_function(
        "q => document.querySelector('.md-search__input').value === q && "
        "/\\d|No matching/.test(document.querySelector('.md-search-result__meta').textContent)",
        arg=query,
    )
    links = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.href)")
    context.close()
    return links


def test_search_finds_a_prose_word_in_its_section(browser, server):
    links = [urlparse(link) for link in _search(browser, server, "broadcasting")]
    # The section's own entry: the chapter's address with the heading's anchor.
    assert any(u.path == "/chapters/02-tensors/" and u.fragment == "broadcasting" for u in links), links


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{5,}", text)}


def test_search_ignores_words_found_only_in_outputs(browser, server, site):
    """Outputs and hidden code copies are not indexed: a word printed by a cell, and nowhere else, finds nothing."""
    only_in_outputs = None
    elsewhere: set[str] = set()
    in_outputs: set[str] = set()
    for page in sorted(site.rglob("index.html")):
        # The print page (the whole book on one page, for the PDF) is not in the search index and
        # repeats the other pages' text and outputs; it is two thirds of the HTML to parse.
        if page.parent.name == "print_page":
            continue
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for output in soup.select(".jp-OutputArea-output"):
            in_outputs |= _words(output.get_text(" "))
            output.decompose()
        for hidden in soup.select(".clipboard-copy-txt, script, style"):
            hidden.decompose()
        elsewhere |= _words(soup.get_text(" "))
    candidates = sorted(in_outputs - elsewhere)
    assert candidates, "no word occurs only in an output; the test needs one"
    only_in_outputs = candidates[0]
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    indexed = " ".join(d["title"] + " " + d["text"] for d in index["docs"]).lower()
    assert only_in_outputs not in indexed
    assert "copied!" not in indexed  # the copy button's hidden notice
    assert _search(browser, server, only_in_outputs) == []


@pytest.mark.parametrize("path", ["/chapters/02-tensors/", "/"])
def test_copy_button_copies_the_code(browser, server, path):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(server + path, wait_until="load")
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
    page.goto(server + "/chapters/01-what-a-network-computes/", wait_until="load")
    scheme = "() => document.body.getAttribute('data-md-color-scheme')"
    assert page.evaluate(scheme) == "default"
    page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.evaluate(scheme) == "slate"
    page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.evaluate(scheme) == "default"
    context.close()


FOCUS_INDICATOR = """() => {
  const el = document.activeElement, s = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), cls: el.className && String(el.className),
          visible: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'};
}"""


def test_every_tab_stop_shows_where_the_focus_is(browser, server):
    """Tabbing through a chapter, each element that takes the focus draws an outline (or a focus shadow)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/chapters/02-tensors/", wait_until="load")
    page.wait_for_function(SCROLL_BOXES_MEASURED)
    unmarked, seen = [], set()
    # Through the header, the navigation and the table of contents to the chapter's code, and a few stops
    # past it; the number of stops before the code grows with the site's pages and the chapter's sections.
    after_code = 0
    for _ in range(400):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_INDICATOR)
        if state["tag"] != "body" and not state["visible"]:
            unmarked.append(f"{state['tag']}.{state['cls']}")
        seen.add(state["tag"])
        after_code += "clipboard-copy" in seen or "pre" in seen
        if after_code > 10:
            break
    context.close()
    assert "clipboard-copy" in seen or "pre" in seen, f"the tab order never reached the chapter's code: {seen}"
    assert unmarked == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_figures_follow_the_colour_scheme(browser, server, scheme):
    """Figures have a transparent background (no white box); in dark mode their ink is inverted to stay legible."""
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(server + "/chapters/03-network-from-scratch/", wait_until="load")
    found = page.evaluate("""() => new Promise(resolve => {
      const img = document.querySelector('.jp-RenderedImage img');
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d'); ctx.drawImage(img, 0, 0);
      resolve({corner: [...ctx.getImageData(2, 2, 1, 1).data], filter: getComputedStyle(img).filter,
               alt: img.alt});
    })""")
    context.close()
    assert found["corner"][3] == 0, f"the figure's background is opaque: {found['corner']}"
    assert ("invert(1)" in found["filter"]) == (scheme == "dark"), found["filter"]
    assert found["alt"] and found["alt"] != NBCONVERT_DEFAULT_ALT


def test_solutions_start_folded_and_open_on_click(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/chapters/04-autograd/", wait_until="load")
    solutions = page.locator("details.solution")
    assert solutions.count() == 2
    assert not solutions.first.evaluate("el => el.open")
    solutions.first.locator("summary").click()
    assert solutions.first.evaluate("el => el.open")
    # The DOM's text: a cell that has just come into view may not be laid out yet (content-visibility).
    assert "Solution to exercise 4.1" in solutions.first.text_content()
    assert "Answer." in solutions.first.text_content()  # the answer in words folds with its code
    context.close()


@pytest.fixture(scope="session")
def book_pdf(site, browser) -> Path:
    """The whole book printed to PDF from the test build, as ``python3 make.py build`` prints it.

    tools/build_pdf.py reuses a PDF from ``.cache/nnbook-pdf/`` that was printed from exactly
    the same files (every file the print loads, by content, and Chromium's version); only
    the test below asks for it, so the book is printed at most once per run.
    """
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_pdf", ROOT / "tools" / "build_pdf.py")
    build_pdf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_pdf)
    return build_pdf.print_with(browser, site)


def pdf_link_targets(path: Path) -> tuple[list[int], int]:
    """The page index each internal link of the PDF at ``path`` lands on (-1: nowhere), and how many web links."""
    import ctypes

    import pypdfium2
    import pypdfium2.raw as pdfium

    document = pypdfium2.PdfDocument(path)
    targets, web = [], 0
    try:
        for page in document:
            start, link = ctypes.c_int(0), pdfium.FPDF_LINK()
            while pdfium.FPDFLink_Enumerate(page.raw, ctypes.byref(start), ctypes.byref(link)):
                action = pdfium.FPDFLink_GetAction(link)
                if action and pdfium.FPDFAction_GetType(action) == pdfium.PDFACTION_URI:
                    web += 1
                    continue
                dest = pdfium.FPDFLink_GetDest(document.raw, link) or (
                    pdfium.FPDFAction_GetDest(document.raw, action) if action else None
                )
                targets.append(pdfium.FPDFDest_GetDestPageIndex(document.raw, dest) if dest else -1)
    finally:
        document.close()
    return targets, web


def test_the_book_as_one_pdf_has_every_chapter_and_typeset_math(book_pdf, site, server, browser):
    """Each chapter's title is in the PDF twice (the contents, then the chapter itself); formulas are typeset."""
    import pypdfium2

    document = pypdfium2.PdfDocument(book_pdf)
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    flat = re.sub(r"\s+", " ", text)
    titles = []
    for page in sorted((site / "chapters").glob("*/index.html")):
        h1 = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select_one("article h1")
        titles.append(re.sub(r"\s+", " ", h1.get_text(" ")).replace("¶", "").strip())
    assert len(titles) >= 7
    assert [t for t in titles if flat.count(t) < 2] == []
    # Every exercise's solution is printed unfolded: its code's first line is in the text.
    print_page = (site / "print_page" / "index.html").read_text(encoding="utf-8")
    solutions = set(re.findall(r"# Solution to exercise \d+(?:\.\d+)*", print_page))
    assert len(solutions) >= 10
    assert sorted(s for s in solutions if s not in flat) == []
    # A formula from chapter 3 typeset (MathML), not left as TeX: the partial-derivative sign, no backslashes.
    assert "∂" in text
    assert "\\partial" not in text and "\\frac" not in text
    # Every internal link Chromium wrote lands on a page of the PDF. (A link to an id the print page lacks gets
    # no link at all in the PDF: tests/site/test_print_anchors.py checks that the print page has none.)
    targets, _ = pdf_link_targets(book_pdf)
    assert len(targets) > 300 and [t for t in targets if t < 0] == []
    # The address every page links to (footer_link_problems, in every page's visit) serves this PDF.
    context = browser.new_context()
    try:
        served = context.request.get(server + "/nnbook.pdf")
        assert served.ok and served.body() == book_pdf.read_bytes()
    finally:
        context.close()
