"""Remember what a pure transform of a page made of it, so that a warm build does not compute it again.

    html = html_memo.memo(root, "notebook_html", tidy, html, files=[__file__], packages=["beautifulsoup4"])

The hooks that rewrite a page's HTML (``hooks/math_assets.py``, ``hooks/notebook_html.py``) and the print
page's repair (``hooks/print_site.py``) are pure functions of their input text: the same text, the same
code and the same libraries give the same output. Each result is kept in
``.cache/html-memo/<name>/<key>.html``, where the key hashes the input text, the bytes of every file of the
transform's code (``files``) and the versions of the libraries it calls (``packages``) and of Python.

- **Whole or nothing.** An entry's first line is the SHA-256 of the rest; it is written to a temporary
  name and renamed (``execute_chapters.write_atomic``). An entry that cannot be read, or whose hash does
  not match (truncated by a crash or a full disk), is a miss: deleted with a one-line warning, recomputed.
- **An unwritable cache** fails the build with one line naming the path.
- **Pruned.** Whenever an entry is written, the entries of that transform not used for
  ``execute_chapters.MAX_AGE_DAYS`` days are removed (a hit marks its entry used).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path

from mkdocs.exceptions import PluginError

from execute_chapters import MAX_AGE_DAYS, CacheError, write_atomic

log = logging.getLogger("mkdocs.nnbook.html_memo")

FOLDER = Path(".cache") / "html-memo"


def key(text: str, files: Iterable[str | os.PathLike], packages: Iterable[str]) -> str:
    """The entry's name: a hash of ``text``, the bytes of ``files``, the versions of ``packages`` and of Python
    (whose ``html.parser`` BeautifulSoup uses)."""
    digest = hashlib.sha256(sys.version.encode())
    for path in files:
        digest.update(b"\0file\0" + Path(path).read_bytes())
    for name in packages:
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"\0{name}={metadata.version(name)}".encode())
    digest.update(b"\0text\0" + text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:40]


def read_entry(path: Path) -> str | None:
    """The text stored at ``path``, or None when there is none or it is damaged (then it is deleted)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        log.warning(f"unreadable cache entry {path} ({error.strerror or error}): recomputing")
        return None
    check, _, body = data.partition(b"\n")
    if check.decode("ascii", "replace") != hashlib.sha256(body).hexdigest():
        log.warning(f"unreadable cache entry {path} (truncated or altered): deleted, recomputing")
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used: kept by the pruning below
    return body.decode("utf-8", "surrogatepass")


def prune(folder: Path, max_age_days: float = MAX_AGE_DAYS) -> None:
    """Remove the entries of ``folder`` not used for ``max_age_days`` days."""
    cutoff = time.time() - max_age_days * 86400
    for path in folder.glob("*.html"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def memo(
    root: str | os.PathLike,
    name: str,
    transform: Callable[[str], str],
    text: str,
    *,
    files: Iterable[str | os.PathLike],
    packages: Iterable[str] = (),
) -> str:
    """``transform(text)``, from ``root/.cache/html-memo/name/`` when this text, code and libraries were seen before."""
    folder = Path(root) / FOLDER / name
    path = folder / f"{key(text, files, packages)}.html"
    found = read_entry(path)
    if found is not None:
        return found
    result = transform(text)
    body = result.encode("utf-8", "surrogatepass")
    try:
        write_atomic(path, hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    except CacheError as error:
        raise PluginError(str(error)) from None
    prune(folder)
    return result
