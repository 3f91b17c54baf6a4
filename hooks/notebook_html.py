"""Tidy the HTML that mkdocs-jupyter writes for a chapter.

- **Stylesheets.** nbconvert's template inlines JupyterLab's stylesheet (about
  570 kB, for toolbars, menus and widgets a static page never shows), a
  Pygments palette whose colours fail WCAG contrast, and a mermaid stylesheet.
  All ``<style>`` blocks inside the notebook are removed; the book's own
  ``docs/stylesheets/notebook.css`` (a few kB, shared with every page) styles
  cells, outputs and code with the theme's accessible palette.
- **Scripts.** nbconvert's template loads MathJax from an empty URL
  (``<script src="">``), configures MathJax, and carries a loader that would
  import mermaid from a CDN. The book typesets its mathematics at build time
  (``hooks/math_assets.py``) and has no diagrams, so all three are removed,
  with the template's HTML comments.
- **mkdocs-jupyter's MathJax loader.** From 0.27 the plugin appends to every page a
  script that fetches MathJax from a CDN when it finds TeX on the page. The book's
  formulas are MathML by then, and no page loads anything from another host, so the
  script is removed from every page (nothing else of the page changes).
- **Keyboard.** The template puts ``tabindex="0"`` on every input and output
  wrapper, so a keyboard user tabs through hundreds of boxes nobody can act on.
  Those are removed; a box that actually scrolls sideways is made focusable by
  ``docs/javascripts/scroll-focus.js``, where that can be measured.
- **Fewer elements.** Empty collapser boxes are dropped and Pygments'
  whitespace tokens become plain text: a chapter has a few hundred fewer
  elements for a phone to lay out.
- **Search.** Cell outputs, the hidden plain-text copy of each cell's code
  (the copy button's source) and the button's "Copied!" notice are marked
  ``data-search-exclude`` for the search plugin: the index holds prose,
  headings and each cell's code once.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bs4 import BeautifulSoup, Comment
from mkdocs.plugins import event_priority

TOOLS = str(Path(__file__).resolve().parents[1] / "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)
import html_memo  # noqa: E402

# Classes whose elements the search skips. Found with find_all, not CSS selectors: soupsieve's select
# costs about ten times as much over a chapter's ~10,000 elements, and these are class lookups only.
_SEARCH_EXCLUDE = ("jp-Cell-outputWrapper", "clipboard-copy-txt", "zeroclipboard-container")
# The loader as mkdocs-jupyter 0.27 writes it: <script data-mkdocs-jupyter-mathjax="{config}">runtime</script>.
_MATHJAX_LOADER = re.compile(r'\n?<script data-mkdocs-jupyter-mathjax="[^"]*">.*?</script>', re.DOTALL)
_FOCUSABLE = ("a", "button", "input", "select", "textarea", "summary", "clipboard-copy")


def exclude_from_search(element) -> None:
    """Mark ``element`` so that the search plugin skips it and everything inside it.

    The plugin's parser tracks skipped elements by tag name alone: a marked
    ``div`` stops being skipped at the first ``</div>`` inside it. So the mark
    goes on the outermost elements whose tag does not occur again inside them.
    """
    if element.find(element.name) is None:
        element["data-search-exclude"] = ""
        return
    for child in element.find_all(True, recursive=False):
        exclude_from_search(child)


def _is_mathjax_or_mermaid(script) -> bool:
    if script.get("src") == "":
        return True
    kind = script.get("type", "")
    text = script.string or ""
    return kind == "text/x-mathjax-config" or (kind == "module" and "mermaid" in text)


def tidy(html: str) -> str:
    """The notebook HTML ``html`` without its stylesheets, MathJax and mermaid scripts and needless tab stops."""
    soup = BeautifulSoup(html, "html.parser")
    for style in soup.find_all("style"):
        style.decompose()
    for script in soup.find_all("script"):
        if _is_mathjax_or_mermaid(script):
            script.decompose()
    for element in soup.find_all(tabindex=True):  # as `.jupyter-wrapper [tabindex]`
        if element.name not in _FOCUSABLE and element.find_parent(class_="jupyter-wrapper") is not None:
            del element["tabindex"]
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()  # nbconvert's notes about MathJax and mermaid, and pytest-codeblocks markers
    for collapser in soup.find_all(class_="jp-Collapser"):
        collapser.decompose()
    for space in soup.find_all("span", class_="w"):  # as `.highlight-ipynb span.w`
        if space.find_parent(class_="highlight-ipynb") is not None:
            space.unwrap()
    for name in _SEARCH_EXCLUDE:
        for element in soup.find_all(class_=name):
            exclude_from_search(element)
    return str(soup)


# Before the plugins (mkdocs-print-site-plugin keeps a copy of each page's content).
@event_priority(50)
def on_page_content(html: str, page, config, files, **kwargs) -> str:
    if "jupyter-wrapper" not in html:
        return html
    # A pure transform of the page: a warm build takes it from html_memo's store.
    root = Path(config.config_file_path).parent
    return html_memo.memo(root, "notebook_html", tidy, html, files=[__file__], packages=("beautifulsoup4",))


def on_post_page(output: str, page, config, **kwargs) -> str:
    return _MATHJAX_LOADER.sub("", output)
