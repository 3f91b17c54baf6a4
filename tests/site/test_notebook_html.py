"""hooks/notebook_html.py removes the MathJax loader that mkdocs-jupyter 0.27 and newer append to every page."""

from __future__ import annotations

import importlib.util

import pytest

from site_helpers import ROOT


def notebook_html():
    spec = importlib.util.spec_from_file_location("notebook_html_under_test", ROOT / "hooks" / "notebook_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PAGE = '<html><body><div class="md-content"><p>A $x$ page.</p></div>\n<script src="x.js"></script>\n</body></html>'
# As mkdocs_jupyter.mathjax.mathjax_script (0.27.0) writes it: escaped JSON configuration, then its runtime.
LOADER = (
    '<script data-mkdocs-jupyter-mathjax="{&quot;url&quot;: &quot;https://cdn.jsdelivr.net/npm/mathjax@4.1.3/'
    'tex-mml-chtml.js&quot;, &quot;version&quot;: 4}">\n(() => {\n  const a = document.querySelector'
    "('.jupyter-wrapper');\n})();\n</script>"
)


def test_the_loader_is_removed_and_nothing_else():
    hook = notebook_html()
    with_loader = PAGE.replace("</body>", LOADER + "\n</body>")
    assert hook.on_post_page(with_loader, page=None, config=None) == PAGE
    assert hook.on_post_page(PAGE, page=None, config=None) == PAGE


def test_the_loader_the_installed_plugin_writes_is_removed():
    """Against the plugin itself where it is new enough to have the loader (the newest tier)."""
    mathjax = pytest.importorskip("mkdocs_jupyter.mathjax", reason="mkdocs-jupyter older than 0.27 adds no loader")
    with_loader = PAGE.replace("</body>", mathjax.mathjax_script(4, "") + "\n</body>")
    assert with_loader != PAGE
    assert notebook_html().on_post_page(with_loader, page=None, config=None) == PAGE
