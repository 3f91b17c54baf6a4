"""What every notebook page gets besides its cells.

- **Alt text for figures.** nbconvert gives every figure the alt text "No
  description has been provided for this image". A figure cell in this book
  carries a comment ``# alt: ...`` describing the figure; it becomes the
  image's alt text (continued on lines that start with ``#   ``).
- **Downloads.** Each notebook page is also written as an ``.ipynb`` next to
  the page, with the outputs of this build's execution, and all of them as one
  zip archive; the page links to both. Before the first code cell the download
  gets one more cell, which is not on the page: it installs nnbook, with
  ``%pip``, from the wheel this site serves (``hooks/package_wheel.py``), and
  does nothing where nnbook is already importable.
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
from importlib import metadata
from pathlib import Path

import nbformat
from mkdocs.utils import get_relative_url

import package_wheel

ARCHIVE = "downloads/nnbook-notebooks.zip"
NO_ALT = 'alt="No description has been provided for this image"'
_CELL_START = re.compile(r'(?=<div class="jp-Cell jp-CodeCell)')
_CODE_TEXT = re.compile(r'<div class="clipboard-copy-txt"[^>]*>(.*?)</div>', re.DOTALL)
_ALT_COMMENT = re.compile(r"^# alt: (.+(?:\n#   .+)*)", re.MULTILINE)
_TITLE_END = re.compile(r"(<h1[^>]*>.*?</h1>)", re.DOTALL)

_notebooks: dict[str, bytes] = {}
_stamp = ""
_install_cell = ""


def install_cell_source(site_url: str, version: str) -> str:
    """The download's first code cell: install nnbook where it is missing, as notebook users do."""
    command = package_wheel.install_command(site_url, version)
    requirement = command.removeprefix("pip install ")
    return (
        "# Installs nnbook (and matplotlib) where it is missing: the wheel of the version this\n"
        "# notebook was built with. Install the torch build that suits your machine first;\n"
        "# see https://pytorch.org. Where nnbook is already installed, this does nothing.\n"
        "import importlib\n"
        "import importlib.util\n"
        "\n"
        'if importlib.util.find_spec("nnbook") is None:\n'
        f"    %pip install {requirement}\n"
        "    importlib.invalidate_caches()"
    )


def _executed(source: Path) -> nbformat.NotebookNode:
    """The chapter as this build executed it (``hooks/notebook_cache.py`` ran every chapter first)."""
    from notebook_cache import executed_notebook

    return executed_notebook(source)


def notebook_bytes(notebook: nbformat.NotebookNode, install_cell: str) -> bytes:
    """The download: the executed notebook, with the install cell before its first code cell.

    Cell ids are stable and the execution timestamps dropped, so rebuilds give the same file.
    """
    # A deep copy: the caller's notebook stays as it was.
    notebook = nbformat.from_dict(notebook)
    first_code = next(
        (i for i, c in enumerate(notebook.cells) if c.cell_type == "code"),
        len(notebook.cells),
    )
    notebook.cells.insert(first_code, nbformat.v4.new_code_cell(install_cell))
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"
        cell.metadata.pop("execution", None)
    notebook.metadata.pop("jupytext", None)
    return nbformat.writes(notebook).encode()


def build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    return moment.date().isoformat()


def environment_stamp() -> str:
    # What the kernels reported (hooks/notebook_cache.py): the build itself need not import torch.
    from notebook_cache import execution_environment

    env = execution_environment() or {
        "python": platform.python_version(),
        "torch": metadata.version("torch"),
        "nnbook": metadata.version("nnbook"),
        "device": "unknown",
    }
    return (
        f"Outputs on this page were computed with Python {env['python']}, torch {env['torch']} "
        f"and nnbook {env['nnbook']}, on the device {env['device']}; page built {build_date()}."
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
    global _stamp, _install_cell
    _notebooks.clear()
    _stamp = ""  # computed at the first notebook page, once its chapter has run (hooks/notebook_cache.py)
    root = Path(config.config_file_path).parent
    version = package_wheel.project_version(root) if (root / "pyproject.toml").exists() else "0"
    _install_cell = install_cell_source(config.site_url or "", version)


def on_post_page(output: str, page, config, **kwargs) -> str:
    if "jupyter-wrapper" not in output:
        return output
    global _stamp
    if not _stamp:
        _stamp = html.escape(environment_stamp())  # the same for every page of one build
    source = Path(page.file.abs_src_path)
    name = f"{source.stem}.ipynb"
    _notebooks[f"{page.url}{name}"] = notebook_bytes(_executed(source), _install_cell)
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
