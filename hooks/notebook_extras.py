"""What every notebook page gets besides its cells.

- **Alt text for figures.** nbconvert gives every figure the alt text "No
  description has been provided for this image". A figure cell in this book
  carries a comment ``# alt: ...`` describing the figure; it becomes the
  image's alt text (continued on lines that start with ``#   ``).
- **Downloads.** Each notebook page is also written as an ``.ipynb`` next to
  the page (cells without outputs, ready to run), and all of them as one zip
  archive; the page links to both.
- **An environment stamp**: the Python, torch and nnbook versions and the
  device the outputs were computed with, and the build date
  (``SOURCE_DATE_EPOCH`` when set, for reproducible builds).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import platform
import re
import zipfile
from pathlib import Path

import jupytext
import nbformat
from mkdocs.utils import get_relative_url

ARCHIVE = "downloads/nnbook-notebooks.zip"
NO_ALT = 'alt="No description has been provided for this image"'
_CELL_START = re.compile(r'(?=<div class="jp-Cell jp-CodeCell)')
_CODE_TEXT = re.compile(r'<div class="clipboard-copy-txt"[^>]*>(.*?)</div>', re.S)
_ALT_COMMENT = re.compile(r"^# alt: (.+(?:\n#   .+)*)", re.M)
_TITLE_END = re.compile(r"(<h1[^>]*>.*?</h1>)", re.S)

_notebooks: dict[str, bytes] = {}
_stamp = ""


def notebook_bytes(source: Path) -> bytes:
    """The page as a notebook without outputs, with stable cell ids so rebuilds give the same file."""
    notebook = jupytext.read(source)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"
    notebook.metadata.pop("jupytext", None)
    return nbformat.writes(notebook).encode()


def build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    return moment.date().isoformat()


def environment_stamp() -> str:
    import torch

    import nnbook

    return (
        f"Outputs on this page were computed with Python {platform.python_version()}, torch {torch.__version__} "
        f"and nnbook {nnbook.__version__}, on the device {nnbook.device.best_device()}; page built {build_date()}."
    )


def add_alt_text(output: str) -> str:
    pieces = _CELL_START.split(output)
    for i, piece in enumerate(pieces):
        code = _CODE_TEXT.search(piece)
        found = _ALT_COMMENT.search(html.unescape(code.group(1))) if code else None
        if NO_ALT in piece and found:
            text = " ".join(line.lstrip("# ").strip() for line in found.group(1).splitlines())
            pieces[i] = piece.replace(NO_ALT, f'alt="{html.escape(text, quote=True)}"')
    return "".join(pieces)


def on_pre_build(config, **kwargs):
    global _stamp
    _notebooks.clear()
    _stamp = html.escape(environment_stamp())  # the same for every page of one build


def on_post_page(output: str, page, config, **kwargs) -> str:
    if "jupyter-wrapper" not in output:
        return output
    source = Path(page.file.abs_src_path)
    name = f"{source.stem}.ipynb"
    _notebooks[f"{page.url}{name}"] = notebook_bytes(source)
    archive = get_relative_url(ARCHIVE, page.url)
    header = (
        '<p class="nnbook-downloads">'
        f'<a class="md-button" href="{name}" download>Download this page as a notebook</a> '
        f'<a class="md-button" href="{archive}" download>All chapters (.zip)</a></p>'
        f'<p class="nnbook-stamp">{_stamp}</p>'
    )
    output = _TITLE_END.sub(lambda m: m.group(1) + header, output, count=1)
    return add_alt_text(output)


def on_post_build(config, **kwargs):
    site = Path(config.site_dir)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for url, data in sorted(_notebooks.items()):
            (site / url).parent.mkdir(parents=True, exist_ok=True)
            (site / url).write_bytes(data)
            info = zipfile.ZipInfo(f"nnbook/{Path(url).name}", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    (site / ARCHIVE).parent.mkdir(parents=True, exist_ok=True)
    (site / ARCHIVE).write_bytes(buffer.getvalue())
