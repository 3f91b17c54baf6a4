"""Build the site (or a small variant of it) the way the README's commands do."""

from __future__ import annotations

import functools
import gzip as gz
import http.server
import io
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import yaml

from repo import ROOT, notebook_pages  # noqa: F401  (re-exported to the site tests)


def mkdocs_env(extra_pythonpath: Path | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env["NO_MKDOCS_2_WARNING"] = "1"
    # As make.py builds the book: the same build gives the same files (mkdocs-autorefs picks among
    # same-named anchors in an order that hash randomisation changes), so the PDF printed from a
    # test build is reused from .cache/nnbook-pdf/ by the next run instead of printed again.
    env.setdefault("PYTHONHASHSEED", "0")
    if extra_pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(extra_pythonpath), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def build(
    config_file: Path, site_dir: Path, extra_pythonpath: Path | None = None, **extra_env: str
) -> subprocess.CompletedProcess:
    """Run ``mkdocs build --strict``; returns the finished process with its output."""
    return subprocess.run(
        # tools/run_mkdocs.py: mkdocs' own command line, without an import-time cost it never uses.
        [
            sys.executable,
            str(ROOT / "tools" / "run_mkdocs.py"),
            "build",
            "--strict",
            "-f",
            str(config_file),
            "-d",
            str(site_dir),
        ],
        cwd=config_file.parent,
        env=mkdocs_env(extra_pythonpath, **extra_env),
        capture_output=True,
        text=True,
        timeout=900,
    )


def warnings_in(output: str) -> list[str]:
    return [line for line in output.splitlines() if "WARNING" in line or line.startswith("ERROR")]


def small_project(tmp: Path, chapters: dict[str, str]) -> Path:
    """A copy of the book's configuration and hooks whose only pages are ``chapters`` (name -> text)."""
    for folder in ("hooks", "overrides", "docs/javascripts", "docs/stylesheets"):
        shutil.copytree(ROOT / folder, tmp / folder, ignore=shutil.ignore_patterns("__pycache__"))
    # The execution step, which hooks/executed_pages.py calls, and the modules other hooks import.
    (tmp / "tools").mkdir()
    for name in ("execute_chapters.py", "html_memo.py", "print_anchors.py"):
        shutil.copy2(ROOT / "tools" / name, tmp / "tools" / name)
    shutil.copytree(ROOT / "src", tmp / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    (tmp / "docs" / "chapters").mkdir(parents=True)
    (tmp / "docs" / "index.md").write_text("# Test book\n")
    for name, text in chapters.items():
        (tmp / "docs" / "chapters" / name).write_text(text)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)
    config["nav"] = [{"Home": "index.md"}] + [{name: f"chapters/{name}"} for name in chapters]
    config.pop("exclude_docs", None)
    config["plugins"] = [
        p
        for p in config["plugins"]
        if not (isinstance(p, str) and p == "mkdocstrings") and not (isinstance(p, dict) and "mkdocstrings" in p)
    ]
    config_file = tmp / "mkdocs.yml"
    config_file.write_text(yaml.dump(config, Dumper=_Dumper, sort_keys=False))
    return config_file


def chapter(code: str, title: str = "A chapter") -> str:
    """A minimal jupytext chapter with one code cell."""
    return (
        "---\njupyter:\n  jupytext:\n    text_representation:\n      extension: .md\n      format_name: markdown\n"
        "  kernelspec:\n    display_name: Python 3\n    language: python\n    name: python3\n---\n\n"
        f"# {title}\n\n```python\n{code}\n```\n"
    )


class _Loader(yaml.SafeLoader):
    """Reads mkdocs.yml, keeping ``!!python/name:`` tags as plain strings."""


def _construct_python_name(loader, suffix, node):
    return _PythonName(suffix)


class _PythonName(str):
    pass


def _construct_env(loader, node):
    """``!ENV [NAME, default]``: the variable's value now, or the default."""
    name, *default = loader.construct_sequence(node)
    value = os.environ.get(name)
    return yaml.safe_load(value) if value is not None else (default[0] if default else None)


_Loader.add_multi_constructor("tag:yaml.org,2002:python/name:", _construct_python_name)
_Loader.add_constructor("!ENV", _construct_env)


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _PythonName, lambda dumper, value: dumper.represent_scalar(f"tag:yaml.org,2002:python/name:{value}", "")
)


# --- Shared by the browser tests and the audit scripts in tools/ -------------------------------------------------

# The deployed site's address (mkdocs.yml's site_url), which pages and downloads name.
SITE_URL = re.search(r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE).group(1)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
INSTALL_CHROMIUM = (
    "install Debian's headless Chromium (`apt-get install chromium-headless-shell`, or `chromium`); "
    "on GitHub's Ubuntu runners `python -m playwright install --with-deps --only-shell chromium`"
)
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
COMPRESSED_TYPES = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt")
INSTALL_AXE = "install axe-core from the npm registry with `npm ci` in the repository root (python3 make.py test does)"
# The rule sets the book promises to meet: WCAG 2.0 and 2.1, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Cells far from the screen skip layout (content-visibility: auto, for speed on phones); axe
# must see every cell laid out, so they are shown in full before it runs.
AXE_SHOW_ALL = ".jp-CodeCell { content-visibility: visible !important; }"
# Loaded after axe: runs the rules of the given tags over the whole page, with each contrast situation
# of code and math checked once (tests/site/axe_run.js says what makes two the same, and why none is missed).
AXE_RUN_JS = Path(__file__).resolve().parent / "axe_run.js"
# Returns {violations: [{id, impact, help, nodes: [{target, summary}]}], skipped, rechecked};
# with dedupe false, the colour rule checks every element.
AXE_RUN = "([tags, dedupe]) => nnbookAxe.run(tags, {dedupe})"


def add_axe(page, axe_js: Path = AXE_JS) -> None:
    """Load axe-core and tests/site/axe_run.js into ``page`` (a Playwright page), for ``AXE_RUN``."""
    page.add_script_tag(path=str(axe_js))
    page.add_script_tag(path=str(AXE_RUN_JS))


def find_chromium(*, headless_shell: bool = True) -> str | None:
    """Chromium's executable for headless work, or None.

    In order: ``$NNBOOK_CHROMIUM``; Debian's ``chromium-headless-shell``; Debian's ``chromium``
    (or ``chromium-browser``); Playwright's own downloads, headless shell first. The headless
    shell is the browser without the rest of Chrome around it (it is what Playwright itself
    launches for headless work): the same Blink and V8, so pages lay out, run and print alike,
    and the browser tests take about a third less CPU time than with the whole browser in
    headless mode (``docs/changelog.md``). ``headless_shell=False`` skips it, for tools that need the whole
    browser (Lighthouse).
    """
    if os.environ.get("NNBOOK_CHROMIUM"):
        return os.environ["NNBOOK_CHROMIUM"]
    names = ("chromium-headless-shell",) * headless_shell + ("chromium", "chromium-browser")
    for name in names:
        if found := shutil.which(name):
            return found
    # python -m playwright install chromium puts both in Playwright's cache.
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    shells = sorted(cache.glob("chromium_headless_shell-*/*/*headless*shell")) if headless_shell else []
    if shells:
        return str(shells[-1])
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = p.chromium.executable_path
        return path if Path(path).exists() else None
    except Exception:
        return None


def page_paths() -> list[str]:
    """The URL path of every page built from docs/."""
    paths = []
    for md in sorted((ROOT / "docs").rglob("*.md")):
        rel = md.relative_to(ROOT / "docs").with_suffix("")
        if rel.name == "index":
            paths.append("/" if rel.parent == Path(".") else f"/{rel.parent.as_posix()}/")
        else:
            paths.append(f"/{rel.as_posix()}/")
    return sorted(set(paths))


@functools.lru_cache(maxsize=256)
def _compressed(path: str, mtime_ns: int, size: int) -> bytes:
    """``path`` gzip-compressed; kept while the file is unchanged (every page loads the same bundles)."""
    return gz.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)


def serve(directory: Path, *, gzip: bool = False):
    """Serve ``directory`` on a free localhost port in a thread; returns (server, base URL).

    With ``gzip`` the server compresses text responses the way GitHub Pages does
    (``Content-Encoding: gzip`` for HTML, CSS, JS, JSON, SVG), so transfer sizes
    and load times are those a reader meets.
    """

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_head(self):
            path = self.translate_path(self.path)
            if os.path.isdir(path) and self.path.split("?")[0].endswith("/"):
                path = os.path.join(path, "index.html")
            wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
            if not (gzip and wants_gzip and os.path.isfile(path) and path.endswith(COMPRESSED_TYPES)):
                return super().send_head()
            stat = os.stat(path)
            body = _compressed(path, stat.st_mtime_ns, stat.st_size)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Vary", "Accept-Encoding")
            self.end_headers()
            return io.BytesIO(body)

    handler = functools.partial(Handler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
