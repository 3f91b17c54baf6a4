"""The one-pass search for mkdocs-print-site-plugin offered upstream
(patches/mkdocs-print-site-plugin-one-pass-anchor-ids.patch) applies to the installed plugin and gives its
output exactly: the patched ``update_anchor_ids`` against the released one, whose expression is the oracle."""

from __future__ import annotations

import importlib.util
import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import mkdocs_print_site_plugin
import pytest
from mkdocs_print_site_plugin import urls

from site_helpers import ROOT

PATCH = ROOT / "patches" / "mkdocs-print-site-plugin-one-pass-anchor-ids.patch"
# The released plugin's expression, as its update_anchor_ids compiles it.
TAG_WITH_ID = re.compile(r"<([^\s]+).*?id=\"([^\"]*?)\".*?>", flags=re.IGNORECASE)


@pytest.fixture(scope="module")
def patched(tmp_path_factory):
    """The installed plugin's urls.py with the patch applied, loaded as a module of its own."""
    if shutil.which("patch") is None:
        advice = "GNU patch is not installed (Debian: apt-get install patch)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(advice)  # under CI a missing tool fails with install advice instead of skipping
        pytest.skip(advice)
    folder = tmp_path_factory.mktemp("print-site") / "mkdocs_print_site_plugin"
    folder.mkdir()
    shutil.copy(Path(mkdocs_print_site_plugin.__file__).parent / "urls.py", folder / "urls.py")
    done = subprocess.run(
        ["patch", "-d", str(folder.parent), "-p1", "--forward", "--batch", "-i", str(PATCH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"the patch no longer applies to the installed plugin:\n{done.stdout}{done.stderr}"
    spec = importlib.util.spec_from_file_location("patched_urls", folder / "urls.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.update_anchor_ids is not urls.update_anchor_ids
    return module


def plugin_matches(page_html: str) -> list[tuple[str, ...]]:
    return [(m.group(), *m.groups()) for m in TAG_WITH_ID.finditer(page_html)]


def assert_same(patched, page_html: str, page_key: str = "page") -> None:
    assert list(patched._tags_with_id(page_html)) == plugin_matches(page_html)
    assert patched.update_anchor_ids(page_html, page_key) == urls.update_anchor_ids(page_html, page_key)


def test_the_oracle_is_the_released_plugins_expression():
    import inspect

    assert TAG_WITH_ID.pattern in inspect.getsource(urls.update_anchor_ids)


AWKWARD = {
    "ids that are prefixes of each other": '<h2 id="a">A</h2>\n<h2 id="ab">AB</h2><h3 id="a-b">x</h3><a href="#a">',
    "the same id twice": '<h2 id="x">one</h2>\n<p>text</p><h2 id="x">one</h2><li id="x">',
    "an id that is also in the tag name": '<h2 id="h">H</h2><li id="l">',
    "an empty id": '<h2 id="">empty</h2>',
    "anchors in code": '<pre><code>&lt;h2 id="x"&gt; <span id="y">id="z"</span></code></pre><h2 id="z">',
    "no space after the name": '<p>a<h2 id="q">b</h2>\n<sup id="fn:1">1</sup>',
    "id= inside the name": '<xid="a">b">\n<h2id="c"x>',
    "value over two lines": '<h2 id="a\nb">x\n<li id="c">',
    "no > on the closing line": '<h2 id="a"\n>x</h2> <h2 id="b" >',
    "upper-case ID": '<H2 ID="Up">x</H2><h2 Id="mixed">',
    "no closing quote": '<h2 id="open>never closed',
    "a long line with no id": "<p>" + "<span>x</span> " * 500 + '<h2 id="late">late</h2>',
    "unicode space and dotted I": '<h2\u00a0id="nbsp">x</h2><li İD="dot"><li id="\u2003">',
}


@pytest.mark.parametrize("page_html", AWKWARD.values(), ids=AWKWARD.keys())
def test_one_pass_matches_the_plugin_on_awkward_input(patched, page_html):
    assert_same(patched, page_html)


def test_one_pass_matches_the_plugin_on_random_input(patched):
    pieces = ["<", ">", '"', 'id="', 'ID="', "id=", "\n", " ", "\t", "h2", "li", "sup", "a", "<h2 ", '<li id="']
    rng = random.Random(14)
    for _ in range(3000):
        assert_same(patched, "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))))


def test_the_patch_changes_only_update_anchor_ids(patched):
    page_html = '<h2 id="a">A</h2><a href="#a">A</a><img src="x.png"><input id="t" name="t"><label for="t">'
    assert patched.fix_internal_links(page_html, "chapters/one/", True, "1") == urls.fix_internal_links(
        page_html, "chapters/one/", True, "1"
    )


def test_one_pass_matches_the_plugin_on_every_page_of_the_book(patched, site):
    # The plugin's search is what costs here (seconds): the matches are compared, not the rewritten pages.
    pages = sorted(path for path in site.rglob("*.html") if path.parent.name != "print_page")
    assert len(pages) > 10
    for path in pages:
        page_html = path.read_text(encoding="utf-8")
        assert list(patched._tags_with_id(page_html)) == plugin_matches(page_html), path
