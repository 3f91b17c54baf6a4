"""Point each chapter page at its stored execution, for mkdocs-jupyter to render with ``execute: false``.

``tools/execute_chapters.py`` runs before mkdocs and stores every chapter's executed notebook;
this hook asks it again for each chapter's page (``prepare``: nothing runs when all is stored,
and in ``mkdocs serve`` a chapter whose code changed runs here) and sets the page file's
``abs_src_path`` to that ``.ipynb``. It runs after mkdocs-jupyter's ``on_files`` (hooks come after
the plugins), which has taken the chapter as a notebook page by its jupytext front matter; the
plugin then renders whatever file ``abs_src_path`` names (its ``include`` lists ``*.ipynb``). The
page, its download and the print page are all made from that one file. Two further jobs make
the build safe to run and to interrupt:

- **One build of a checkout at a time**: the build holds ``.cache/build.lock`` from its
  configuration to its end (the operating system releases it if the build is killed).
- **mkdocs-jupyter's cache made safe**: the plugin writes its cache of rendered pages without a
  temporary name, so a crash can leave a truncated entry that fails every later build. Before
  the plugin reads it, each entry that is not whole JSON is deleted with a one-line warning.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.hooks.executed_pages")
_lock = None  # this build's hold on .cache/build.lock (a context manager)


def _step(root: Path):
    """The execution step, ``tools/execute_chapters.py``, imported by name (its worker processes import it so)."""
    tools = str(root / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    import execute_chapters

    return execute_chapters


def check_cache(folder: Path) -> None:
    """Delete each file of mkdocs-jupyter's cache ``folder`` that is not whole JSON, with a warning."""
    if not folder.is_dir():
        return
    for path in folder.glob("*.json"):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            log.warning(f"unreadable cache entry {path} ({type(error).__name__}): deleted, recomputing")
            with contextlib.suppress(OSError):
                path.unlink()


def on_config(config, **kwargs):
    global _lock
    root = Path(config.config_file_path).resolve().parent
    step = _step(root)
    _release()
    _lock = step.build_lock(root)
    try:
        _lock.__enter__()
    except step.CacheError as error:
        _lock = None
        raise PluginError(str(error)) from None
    plugin = config.plugins.get("mkdocs-jupyter")
    if plugin is not None and plugin.config.get("cache"):
        folder = root / plugin.config["cache_dir"]
        check_cache(folder)
        try:
            step.write_atomic(folder / ".writable", b"")
        except step.CacheError as error:
            raise PluginError(str(error)) from None
    return config


def on_files(files, config, **kwargs):
    root = Path(config.config_file_path).resolve().parent
    step = _step(root)
    pages = [f for f in files.documentation_pages() if f.src_uri.endswith(".md")]
    chapters = [f for f in pages if step.is_chapter(Path(f.abs_src_path))]
    try:
        pages = step.prepare(Path(config.config_file_path), [Path(f.abs_src_path) for f in chapters])
    except (step.ExecutionError, step.CacheError) as error:
        raise PluginError(str(error)) from None
    for file in chapters:
        file.abs_src_path = str(pages[Path(file.abs_src_path).resolve()])
    return files


def _release(*args, **kwargs):
    global _lock
    if _lock is not None:
        lock, _lock = _lock, None
        lock.__exit__(None, None, None)


on_post_build = on_build_error = on_shutdown = _release
