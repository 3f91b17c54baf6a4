"""Valid pages: the Nu HTML checker (vnu-jar, from npm) finds no error on any page of the built site but the
upstream ones listed in :data:`UPSTREAM`, and none in the project's own stylesheets."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from site_helpers import ROOT

VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# Errors that come from upstream templates, not from this project's templates, hooks or CSS: (the message, as a
# regular expression the whole message must match; the pages it is allowed on; the upstream file that writes it).
# Keep this short; an entry whose upstream file is fixed should go. Anything else fails the test.
ALL_PAGES = r".*\.html"
UPSTREAM: list[tuple[str, str, str]] = [
    # The drawer and search toggles: <input type="checkbox" ... autocomplete="off">.
    (
        r"Attribute “autocomplete” is only allowed when the input type is .*",
        ALL_PAGES,
        "mkdocs-material: material/templates/base.html (the __drawer and __search inputs)",
    ),
    # A navigation section's label gets tabindex="" (its tabindex is "0" only for a page that is not a section).
    (
        r"Bad value “” for attribute “tabindex” on element “label”: .*",
        ALL_PAGES,
        "mkdocs-material: material/templates/partials/nav-item.html (the section labels)",
    ),
    # Each notebook cell's copy button: <clipboard-copy for="cell-N", aria-label="Copy to Clipboard"> (a custom
    # element with no role may not have a label; the stray comma becomes an attribute named ",").
    (
        r"The “aria-label” attribute must not be specified on any “clipboard-copy” element .*",
        ALL_PAGES,
        "mkdocs-jupyter: mkdocs_jupyter/templates/mkdocs_html/notebook.html.j2",
    ),
    # The table of contents' title names the __toc checkbox, which nav-item.html writes only for a page in the
    # navigation; the print page is not in it (add_to_navigation: false).
    (
        r"The value of the “for” attribute of the “label” element must be the ID of a non-hidden form control\.",
        r"print_page/index\.html",
        "mkdocs-material: material/templates/partials/toc.html",
    ),
]


def vnu_command() -> list[str]:
    """``java -jar vnu.jar``; skips the test where Java or vnu-jar is missing, and fails under CI=true."""
    java = shutil.which("java")
    missing = [what for what, there in (("java", java), (str(VNU_JAR), VNU_JAR.is_file())) if not there]
    if missing:
        advice = (
            f"the Nu HTML checker needs {' and '.join(missing)}: install Java (Debian: apt-get install "
            "default-jre-headless) and run `npm ci` in the repository (package.json's vnu-jar)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(advice)
        pytest.skip(advice)
    return [java, "-Xss8m", "-jar", str(VNU_JAR)]


def nu_messages(*paths: Path, css: bool = False) -> list[dict]:
    """The checker's errors for ``paths`` (files or folders of HTML, or CSS files with ``css``)."""
    mode = ["--css"] if css else ["--skip-non-html"]
    done = subprocess.run(
        [*vnu_command(), *mode, "--errors-only", "--format", "json", "--exit-zero-always", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The report goes to standard error; a line of Java's own warnings may come before it.
    report = json.loads(done.stderr[done.stderr.index('{"') :])
    return [m for m in report["messages"] if m.get("type") in ("error", "non-document-error")]


def page_of(message: dict, site: Path) -> str:
    path = message.get("url", "").removeprefix("file:")
    try:
        return Path(path).relative_to(site).as_posix()
    except ValueError:
        return path


def upstream_file(message: dict, page: str) -> str | None:
    """The upstream file an allowed error comes from, or None if the error is not an allowed one."""
    for pattern, pages, source in UPSTREAM:
        if re.fullmatch(pattern, message.get("message", "")) and re.fullmatch(pages, page):
            return source
    return None


def summary(messages: list[dict], site: Path) -> str:
    """One line per distinct error: how often, on how many pages, one page and an extract."""
    by_message: dict[str, list[dict]] = {}
    for message in messages:
        by_message.setdefault(message.get("message", ""), []).append(message)
    lines = []
    for text, found in sorted(by_message.items(), key=lambda item: -len(item[1])):
        pages = Counter(page_of(m, site) for m in found)
        first = found[0]
        lines.append(
            f"{len(found)}x on {len(pages)} page(s), e.g. {page_of(first, site)}:{first.get('lastLine')}: "
            f"{text}  [{first.get('extract', '')!r}]"
        )
    return "\n".join(lines)


def test_the_checker_finds_a_block_in_a_paragraph(tmp_path):
    """The test below can fail: the checker reports the mistake hooks/math_assets.py used to make."""
    page = tmp_path / "page.html"
    page.write_text(document('<p>a <div class="nnbook-math">x</div> b</p>'), encoding="utf-8")
    assert [m["message"] for m in nu_messages(page)] == ["No “p” element in scope but a “p” end tag seen."]


def document(body: str) -> str:
    head = '<head><meta charset="utf-8"><title>t</title></head>'
    return f'<!DOCTYPE html><html lang="en">{head}<body>{body}</body></html>'


def test_a_display_formula_inside_a_paragraph_is_valid_html(tmp_path):
    """nbconvert leaves a notebook's ``$$...$$`` in a ``<p>``: the typeset formula must be allowed there."""
    sys.path.insert(0, str(ROOT / "hooks"))
    import math_assets

    html, count = math_assets.typeset(r"<p>The loss is $$\frac{1}{n}\sum_i (y_i - \hat y_i)^2$$ and $w$ moves.</p>")
    assert count == 2
    page = tmp_path / "page.html"
    page.write_text(document(html), encoding="utf-8")
    assert nu_messages(page) == []


def test_the_projects_stylesheets_are_valid_css():
    stylesheets = sorted((ROOT / "docs" / "stylesheets").glob("*.css"))
    assert stylesheets
    messages = nu_messages(*stylesheets, css=True)
    assert messages == [], "\n".join(f"{m.get('url')}:{m.get('lastLine')}: {m.get('message')}" for m in messages)


@pytest.mark.slow
def test_every_page_of_the_site_is_valid_html(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 30
    messages = nu_messages(site)
    checked = {page_of(m, site) for m in messages}
    assert checked <= {p.relative_to(site).as_posix() for p in pages}
    ours = [m for m in messages if upstream_file(m, page_of(m, site)) is None]
    assert ours == [], f"{len(ours)} errors not in UPSTREAM:\n{summary(ours, site)}"


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_checker_fails_under_ci_and_skips_elsewhere(monkeypatch, tmp_path, ci, outcome):
    monkeypatch.setattr(sys.modules[__name__], "VNU_JAR", tmp_path / "vnu.jar")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="npm ci"):
        vnu_command()
