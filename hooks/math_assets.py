"""Serve MathJax from the site itself.

The files come from the ``jupyter-server-mathjax`` package, installed from PyPI
with the book's requirements; nothing third-party is committed, and no page
asks a CDN for anything. Only what the configuration in
``docs/javascripts/mathjax-config.js`` can load is copied.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

DEST = "assets/mathjax"
# MathJax.js, the combined TeX + HTML-CSS configuration, the extensions it may
# load on demand, and the STIX web fonts it renders with.
_WANTED = ("MathJax.js", "config/", "extensions/", "jax/element/", "jax/input/", "jax/output/HTML-CSS/", "fonts/HTML-CSS/STIX-Web/woff/")


# The accessibility extension would fetch a helper script from a CDN.
_UNWANTED = ("extensions/a11y/",)


def mathjax_root() -> Path:
    try:
        import jupyter_server_mathjax
    except ImportError as err:
        raise PluginError(
            "MathJax comes from the jupyter-server-mathjax package: install the book's "
            "requirements (python3 make.py serve does)"
        ) from err
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def on_files(files, config, **kwargs):
    root = mathjax_root()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel.startswith(_WANTED) and not rel.startswith(_UNWANTED):
            files.append(File.generated(config, f"{DEST}/{rel}", abs_src_path=str(path)))
    return files
