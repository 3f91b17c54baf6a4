"""What every notebook page gets besides its cells.

- **Alt text for figures.** nbconvert gives every figure the alt text "No
  description has been provided for this image". A figure cell in this book
  carries a comment ``# alt: ...`` describing the figure; it becomes the
  image's alt text (continued on lines that start with ``#   ``).
- **Downloads.** Each notebook page is also written as an ``.ipynb`` next to
  the page, made from the very notebook the page was rendered from (the stored
  execution ``hooks/executed_pages.py`` points the page at), and all of them as one
  zip archive; the page links to both. Before the first code cell the download
  gets one more cell, which is not on the page: it installs nnbook, with
  ``%pip``, from the wheel this site serves (``hooks/package_wheel.py``), and
  does nothing where nnbook is already importable (the command is the one
  ``hooks/package_wheel.py`` puts in ``config.extra["install_command"]``).
- **The execution's id** (``data-nnbook-execution`` on the notebook's wrapper, on the
  page and on the print page; ``metadata.nnbook.execution_id`` in the download), so that
  anyone can check that a page and its download come from one execution.
- **An environment stamp**: the Python, torch and nnbook versions and the
  device the outputs were computed with, and the build date
  (``SOURCE_DATE_EPOCH`` when set, for reproducible builds).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import re
import zipfile
from pathlib import Path

import nbformat
from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url

ARCHIVE = "downloads/nnbook-notebooks.zip"
NO_ALT = 'alt="No description has been provided for this image"'
_CELL_START = re.compile(r'(?=<div class="jp-Cell jp-CodeCell)')
_CODE_TEXT = re.compile(r'<div class="clipboard-copy-txt"[^>]*>(.*?)</div>', re.DOTALL)
_ALT_COMMENT = re.compile(r"^# alt: (.+(?:\n#   .+)*)", re.MULTILINE)
_TITLE_END = re.compile(r"(<h1[^>]*>.*?</h1>)", re.DOTALL)

_notebooks: dict[str, bytes] = {}  # this build's downloads, by URL, for the zip


def install_cell_source(command: str) -> str:
    """The download's first code cell: install nnbook where it is missing, as notebook users do."""
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


def environment_stamp(notebook: nbformat.NotebookNode) -> str:
    """What the chapter's kernel reported it ran on (``tools/execute_chapters.py``'s probe), and the build date."""
    env = notebook.metadata["nnbook"]["environment"]
    return (
        f"Outputs on this page were computed with Python {env['python']}, torch {env['torch']} "
        f"and nnbook {env['nnbook']}, on the device {env['device']}; page built {build_date()}."
    )


def is_notebook_page(page) -> bool:
    return (page.file.abs_src_path or "").endswith(".ipynb")


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
    _notebooks.clear()


# Before the plugins, so that the print page's copy of the content carries the id too.
@event_priority(50)
def on_page_content(html_text: str, page, config, files, **kwargs) -> str:
    if not is_notebook_page(page):
        return html_text
    execution = nbformat.read(page.file.abs_src_path, as_version=4).metadata["nnbook"]["execution_id"]
    return html_text.replace(
        '<div class="jupyter-wrapper"', f'<div class="jupyter-wrapper" data-nnbook-execution="{execution}"', 1
    )


def on_post_page(output: str, page, config, **kwargs) -> str:
    if not is_notebook_page(page):
        return output
    notebook = nbformat.read(page.file.abs_src_path, as_version=4)  # the file the page was rendered from
    name = f"{Path(page.file.src_uri).stem}.ipynb"
    install = install_cell_source(config.extra.get("install_command", "pip install nnbook"))
    _notebooks[f"{page.url}{name}"] = notebook_bytes(notebook, install)
    archive = get_relative_url(ARCHIVE, page.url)
    header = (
        '<p class="nnbook-downloads">'
        f'<a class="md-button" href="{name}" download>Download this page as a notebook</a> '
        f'<a class="md-button" href="{archive}" download>All chapters (.zip)</a></p>'
        f'<p class="nnbook-stamp">{html.escape(environment_stamp(notebook))}</p>'
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
