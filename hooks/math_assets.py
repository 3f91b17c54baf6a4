"""Typeset the book's mathematics at build time, as MathML.

Chromium, Firefox and Safari render MathML Core themselves, and screen readers
read it directly, so a page with formulas needs no script and no web font: the
formulas are in the HTML when it arrives. ``latex2mathml`` (PyPI, installed
with the book's requirements) converts the TeX.

Two sources of TeX reach the pages:

- ordinary Markdown pages, where ``pymdownx.arithmatex`` (generic mode) wraps
  each formula in an element of class ``arithmatex`` holding ``\\(...\\)`` or
  ``\\[...\\]``;
- notebook pages, whose Markdown cells nbconvert renders with the ``$...$`` and
  ``$$...$$`` left as text.

Text inside ``pre``, ``code``, ``script`` and ``style`` is never touched. A
formula that latex2mathml cannot convert fails the build, naming the page and
the formula, rather than reaching a reader as raw TeX.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString
from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

TOOLS = str(Path(__file__).resolve().parents[1] / "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)
import html_memo  # noqa: E402

# Display math first, so that "$$a$$" is not read as two inline formulas.
_TEX = re.compile(
    r"\$\$(?P<d1>.+?)\$\$"
    r"|\\\[(?P<d2>.+?)\\\]"
    r"|\\\((?P<i1>.+?)\\\)"
    r"|(?<![\\$\w])\$(?P<i2>[^\s$](?:[^$]*?[^\s$\\])?)\$(?![\w$])",
    re.S,
)
_SKIP = ("pre", "code", "script", "style", "textarea", "math")
# nbconvert's hidden plain-text copy of each cell's code, for the copy button.
_SKIP_CLASS = "clipboard-copy-txt"


def mathml(tex: str, *, display: bool, where: str) -> BeautifulSoup:
    """The MathML element for ``tex``; block formulas come wrapped in a box that can scroll on a phone.

    The box is a ``<span>`` (shown as a block by ``docs/stylesheets/extra.css``), not a ``<div>``:
    nbconvert leaves a notebook's ``$$...$$`` inside a ``<p>``, which may hold phrasing content only,
    and a browser meeting a ``<div>`` there closes the paragraph early.
    """
    try:
        markup = convert(tex.strip(), display="block" if display else "inline")
    except Exception as err:  # latex2mathml raises several exception types
        raise PluginError(f"{where}: latex2mathml cannot convert the formula {tex!r}: {err}") from err
    # The TeX stays available to assistive technology and to copy-paste.
    markup = markup.replace("<math ", f'<math alttext="{_attr(tex.strip())}" ', 1)
    if display:
        markup = f'<span class="nnbook-math">{markup}</span>'
    return BeautifulSoup(markup, "html.parser")


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _replace_text(node: NavigableString, where: str) -> int:
    text = str(node)
    pieces, last, found = [], 0, 0
    for match in _TEX.finditer(text):
        pieces.append(NavigableString(text[last : match.start()]))
        display = match.group("d1") is not None or match.group("d2") is not None
        tex = next(g for g in match.group("d1", "d2", "i1", "i2") if g is not None)
        pieces.append(mathml(tex, display=display, where=where))
        last, found = match.end(), found + 1
    if not found:
        return 0
    pieces.append(NavigableString(text[last:]))
    for piece in pieces:
        node.insert_before(piece)
    node.extract()
    return found


def typeset(html: str, where: str = "page") -> tuple[str, int]:
    """Replace every TeX formula in ``html`` with MathML; returns the new HTML and how many were replaced."""
    if not _has_tex(html):
        return html, 0
    soup = BeautifulSoup(html, "html.parser")
    count = 0
    for node in list(soup.find_all(string=_TEX)):
        # Comments, CDATA and doctype are NavigableString subclasses: only plain text is prose.
        if type(node) is NavigableString and not node.find_parent(_SKIP) and not node.find_parent(class_=_SKIP_CLASS):
            count += _replace_text(node, where)
    return str(soup), count


def _has_tex(html: str) -> bool:
    return "$" in html or "\\(" in html or "\\[" in html


# Before the plugins (mkdocs-print-site-plugin keeps a copy of each page's content).
@event_priority(50)
def on_page_content(html: str, page, config, files, **kwargs) -> str:
    if not _has_tex(html):
        return html  # nothing to typeset
    # A pure transform of the page: a warm build takes it from html_memo's store.
    return html_memo.memo(
        Path(config.config_file_path).parent,
        "math_assets",
        lambda text: typeset(text, page.file.src_uri)[0],
        html,
        files=[__file__],
        packages=("latex2mathml", "beautifulsoup4"),
    )
