"""Tidy the HTML that mkdocs-jupyter writes for a chapter.

- nbconvert's template loads MathJax from an empty URL (``<script src="">``)
  and adds its own MathJax configuration; the site loads and configures its
  own copy on every page (``hooks/math_assets.py``), so both are removed.
- The template carries a loader for mermaid diagrams that would import them
  from a CDN; the book has no such diagrams, and no page may name a CDN.
- Each chapter inlines the same half-megabyte JupyterLab stylesheet. It is
  written once to ``assets/stylesheets/notebook.css``, shrunk to the rules the
  chapters use (``hooks/notebook_css.py``), and linked instead, so a reader's
  browser downloads it once for the whole book.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.utils import get_relative_url

from notebook_css import shrink

NOTEBOOK_CSS = "assets/stylesheets/notebook.css"
_EMPTY_SCRIPT = re.compile(r'<script src="">\s*</script>\s*')
_MATHJAX_CONFIG = re.compile(r'<script type="text/x-mathjax-config">.*?</script>\s*', re.S)
_MERMAID_LOADER = re.compile(r'<script type="module">(?:(?!</script>).)*?mermaid.*?</script>\s*', re.S)
_STYLE = re.compile(r'<style type="text/css">(.*?)</style>', re.S)
_BIG = 100_000  # only the JupyterLab stylesheet is this large


_stylesheet: str | None = None
_pages: list[str] = []


def on_pre_build(config, **kwargs):
    global _stylesheet
    _stylesheet = None
    _pages.clear()


def on_post_page(output: str, page, config, **kwargs) -> str:
    if "jupyter-wrapper" not in output:
        return output
    output = _EMPTY_SCRIPT.sub("", output)
    output = _MATHJAX_CONFIG.sub("", output)
    output = _MERMAID_LOADER.sub("", output)

    def link_shared_css(match: re.Match) -> str:
        global _stylesheet
        if len(match.group(1)) < _BIG:
            return match.group(0)
        _stylesheet = match.group(1)
        href = get_relative_url(NOTEBOOK_CSS, page.url or ".")
        return f'<link rel="stylesheet" href="{href}">'

    output = _STYLE.sub(link_shared_css, output)
    _pages.append(output)
    return output


def on_post_build(config, **kwargs):
    if _stylesheet is None:
        return
    target = Path(config.site_dir) / NOTEBOOK_CSS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(shrink(_stylesheet, _pages), encoding="utf-8")
