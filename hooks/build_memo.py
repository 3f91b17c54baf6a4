"""Remember, across builds, the results of work that depends only on its input.

A warm build renders the same pages as the build before it. The hooks that
post-process a page's HTML (``notebook_html.tidy``, ``math_assets.typeset``,
the print-site clean-up) parse it with BeautifulSoup, several seconds per
build for output that has not changed. :func:`memoise` keeps what such a
function returned in ``.cache/nnbook-html``, keyed on

- its input text and any further arguments,
- the source file of the module that defines the function (editing a hook
  makes every result of that hook stale), and
- the versions of the packages named with it (BeautifulSoup, latex2mathml, ...).

Only a function that returns normally is remembered; one that raises (a
formula latex2mathml cannot convert) raises again on the next build. Results
not used for :data:`MAX_AGE_DAYS` days, and beyond the newest :data:`KEEP_FILES`,
are removed at the end of a build.

As a hook, it also gives Jinja (which renders every page through the theme's
templates) a bytecode cache in ``.cache/nnbook-jinja``, so the theme's templates
are compiled once, not on every build; Jinja keys that cache on each template's
source.

Example:

    >>> import pathlib, tempfile, textwrap
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     dedent = memoise(textwrap.dedent, folder=pathlib.Path(folder))
    ...     first = dedent("  a\\n  b")
    ...     again = dedent("  a\\n  b")  # read back from the folder
    ...     first == again == "a\\nb", len(list(pathlib.Path(folder).iterdir()))
    (True, 1)
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

CACHE = Path(".cache") / "nnbook-html"
JINJA_CACHE = Path(".cache") / "nnbook-jinja"
KEEP_FILES = 2000
MAX_AGE_DAYS = 14
# Bumped when the way results are stored changes.
_FORMAT = "1"


@functools.cache
def _digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _source_digest(path: Path) -> str:
    status = path.stat()
    return _digest(str(path), status.st_mtime_ns, status.st_size)


@functools.cache
def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def code_key(function, packages: tuple[str, ...] = ()) -> str:
    """What a result of ``function`` depends on besides its arguments: its module's source and package versions."""
    digest = hashlib.sha256(f"{_FORMAT} {function.__module__}.{function.__qualname__}".encode())
    digest.update(_source_digest(Path(inspect.getsourcefile(function))).encode())
    for name in packages:
        digest.update(f" {name}={_version(name)}".encode())
    return digest.hexdigest()


def memoise(function, *, packages: tuple[str, ...] = (), folder: Path | None = None, also=()):
    """``function(text, *args) -> str``, remembered on disk (see the module's docstring).

    ``also`` names further functions whose modules' sources the result depends on
    (``function`` calls them from another hook's file).

    ``args`` must be strings (or have a stable ``repr``). The code key is computed
    on the first call, so editing the hook's file during ``mkdocs serve`` (which
    reloads hooks) is seen.
    """

    @functools.wraps(function)
    def remembered(text: str, *args) -> str:
        base = folder if folder is not None else CACHE
        digest = hashlib.sha256(code_key(function, packages).encode())
        for other in also:
            digest.update(code_key(other).encode())
        digest.update(repr(args).encode())
        digest.update(b"\0")
        digest.update(text.encode("utf-8", "surrogatepass"))
        path = base / f"{function.__name__}-{digest.hexdigest()[:32]}.txt"
        try:
            result = path.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            pass
        else:
            os.utime(path)  # recently used: kept by prune()
            return result
        result = function(text, *args)
        base.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=base, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(result)
        os.replace(temporary, path)  # a build running at the same time reads the whole file or none
        return result

    remembered.nnbook_memoised = function
    return remembered


def prune(folder: Path | None = None, keep: int = KEEP_FILES, max_age_days: float = MAX_AGE_DAYS) -> None:
    """Remove results unused for ``max_age_days`` days, and all but the ``keep`` most recently used."""
    folder = folder if folder is not None else CACHE
    if not folder.is_dir():
        return
    now = time.time()
    entries = sorted(
        ((p.stat().st_mtime, p) for p in folder.iterdir() if p.is_file()), key=lambda e: e[0], reverse=True
    )
    for index, (mtime, path) in enumerate(entries):
        if index >= keep or now - mtime > max_age_days * 86400:
            path.unlink(missing_ok=True)


# --- mkdocs events ---------------------------------------------------------------------------


def on_env(env, config, files, **kwargs):
    from jinja2 import FileSystemBytecodeCache

    folder = Path(config.config_file_path).resolve().parent / JINJA_CACHE
    folder.mkdir(parents=True, exist_ok=True)
    env.bytecode_cache = FileSystemBytecodeCache(str(folder))
    return env


def on_post_build(config, **kwargs):
    prune()


sys.modules.setdefault("build_memo", sys.modules[__name__])
