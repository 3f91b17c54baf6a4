"""The cache of executed chapters (hooks/notebook_cache.py): what its key depends on, and what it keeps."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hooks"))
import notebook_cache  # noqa: E402


@pytest.fixture
def project(tmp_path):
    (tmp_path / "src" / "nnbook").mkdir(parents=True)
    (tmp_path / "src" / "nnbook" / "core.py").write_text("ANSWER = 42\n")
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "kernel_env.py").write_text("# sets up the kernels\n")
    (tmp_path / "hooks" / "notebook_html.py").write_text("# tidies the HTML of executed pages\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ch.md").write_text("# A chapter\n")
    return tmp_path


def test_the_key_follows_the_chapter_the_package_and_the_hooks_and_comes_back_on_undo(project):
    chapter = project / "docs" / "ch.md"
    first = notebook_cache.cache_path(chapter, project)
    assert first == notebook_cache.cache_path(chapter, project)
    assert first.parent == project / ".cache" / "nnbook-notebooks" and first.name.startswith("ch-")
    seen = {first}
    for edited, text in (
        (chapter, "# A chapter, edited\n"),
        (project / "src" / "nnbook" / "core.py", "ANSWER = 43\n"),
        (project / "hooks" / "kernel_env.py", "# sets up the kernels differently\n"),
    ):
        before = edited.read_text()
        edited.write_text(text)
        changed = notebook_cache.cache_path(chapter, project)
        assert changed not in seen, f"editing {edited.name} must change the key"
        seen.add(changed)
        edited.write_text(before)  # undone: the earlier key, so the earlier execution is reused
        assert notebook_cache.cache_path(chapter, project) == first
    assert notebook_cache.cache_path(chapter, project, kernel_name="other") != first
    # A hook that only post-processes HTML has its own memo (build_memo); editing it re-executes nothing.
    (project / "hooks" / "notebook_html.py").write_text("# tidies differently\n")
    assert notebook_cache.cache_path(chapter, project) == first


def test_prune_keeps_the_most_recently_used_executions_of_each_chapter(project):
    folder = project / notebook_cache.CACHE
    folder.mkdir(parents=True)
    total = notebook_cache.KEEP + 3
    for chapter in ("01-one", "02-two"):
        for age in range(total):
            path = folder / f"{chapter}-{age:020x}.ipynb"
            path.write_text("{}")
            os.utime(path, (1_000_000 - age, 1_000_000 - age))  # age 0 is the most recent
    html = project / notebook_cache.HTML_CACHE
    for age in range(total):
        (html / f"{age:016x}").mkdir(parents=True)
        os.utime(html / f"{age:016x}", (1_000_000 - age, 1_000_000 - age))
    notebook_cache.prune(project)
    for chapter in ("01-one", "02-two"):
        kept = sorted(p.name for p in folder.glob(f"{chapter}-*.ipynb"))
        assert kept == [f"{chapter}-{age:020x}.ipynb" for age in range(notebook_cache.KEEP)]
    assert sorted(p.name for p in html.iterdir()) == [f"{age:016x}" for age in range(notebook_cache.KEEP)]


# --- hooks/build_memo.py: results of the HTML post-processing hooks, remembered across builds ---------------

import importlib.util  # noqa: E402

import build_memo  # noqa: E402

_HOOK = """
CALLS = []


def shout(text, suffix):
    CALLS.append((text, suffix))
    if text == "bad":
        raise ValueError("cannot shout that")
    return text.upper() + suffix
"""


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_memoised_hook_runs_again_only_when_its_input_or_its_code_changes(tmp_path):
    hook = tmp_path / "a_post_processing_hook.py"
    hook.write_text(_HOOK)
    module = _load(hook)
    cache = tmp_path / "cache"
    remembered = build_memo.memoise(module.shout, packages=("beautifulsoup4",), folder=cache)

    assert remembered("<p>page</p>", "!") == "<P>PAGE</P>!" and len(module.CALLS) == 1
    # A second build: the same answer, from the cache, without running the hook.
    again = build_memo.memoise(module.shout, packages=("beautifulsoup4",), folder=cache)
    assert again("<p>page</p>", "!") == "<P>PAGE</P>!" and len(module.CALLS) == 1
    # Another input, or another argument: run.
    assert again("<p>other</p>", "!") == "<P>OTHER</P>!" and len(module.CALLS) == 2
    assert again("<p>page</p>", "?") == "<P>PAGE</P>?" and len(module.CALLS) == 3
    # The hook's code edited: every earlier result is stale.
    hook.write_text(_HOOK + "\n# edited: the results may differ now\n")
    assert again("<p>page</p>", "!") == "<P>PAGE</P>!" and len(module.CALLS) == 4
    assert again("<p>page</p>", "!") == "<P>PAGE</P>!" and len(module.CALLS) == 4
    # Undone: the earlier results are found again.
    hook.write_text(_HOOK)
    assert again("<p>other</p>", "!") == "<P>OTHER</P>!" and len(module.CALLS) == 4
    # A failure is not remembered: the next build reports it again.
    for _ in range(2):
        with pytest.raises(ValueError, match="cannot shout"):
            again("bad", "!")
    assert len(module.CALLS) == 6


def test_a_memoised_result_depends_on_the_named_packages_versions(tmp_path, monkeypatch):
    hook = tmp_path / "a_post_processing_hook.py"
    hook.write_text(_HOOK)
    module = _load(hook)
    remembered = build_memo.memoise(module.shout, packages=("beautifulsoup4",), folder=tmp_path / "cache")
    remembered("<p>page</p>", "!")
    monkeypatch.setattr(build_memo, "_version", lambda name: "999.0")  # as if BeautifulSoup were upgraded
    remembered("<p>page</p>", "!")
    assert len(module.CALLS) == 2


def test_the_book_hooks_memoise_their_own_functions_keyed_on_their_own_files(tmp_path, monkeypatch):
    monkeypatch.setattr(build_memo, "CACHE", tmp_path / "cache")
    import math_assets
    import notebook_html

    for remembered, function in (
        (notebook_html._typeset_and_tidy, notebook_html.typeset_and_tidy),
        (math_assets._typeset_html, math_assets.typeset_html),
    ):
        assert remembered.nnbook_memoised is function
        assert build_memo.code_key(function) != build_memo.code_key(notebook_cache.fingerprint)
    html = '<div class="jupyter-wrapper"><style>x{}</style><p>$a$</p></div>'
    assert notebook_html._typeset_and_tidy(html) == notebook_html.tidy(math_assets.typeset_html(html))
    assert math_assets._typeset_html(html) == math_assets.typeset(html)[0]
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_prune_keeps_the_most_recently_used_results_and_drops_old_ones(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    now = 2_000_000_000
    for age in range(6):
        path = folder / f"result-{age}.txt"
        path.write_text("x")
        os.utime(path, (now - age * 86400, now - age * 86400))  # age in days
    import time as clock

    real = clock.time
    try:
        build_memo.time.time = lambda: now
        build_memo.prune(folder, keep=4, max_age_days=2.5)
    finally:
        build_memo.time.time = real
    assert sorted(p.name for p in folder.iterdir()) == ["result-0.txt", "result-1.txt", "result-2.txt"]
    build_memo.prune(folder, keep=1, max_age_days=10**6)
    assert [p.name for p in folder.iterdir()] == ["result-0.txt"]


def test_mkdocs_jupyter_is_asked_once_per_version_of_a_page_and_never_about_pages_without_a_kernelspec(tmp_path):
    asked = []

    class Plugin:
        def should_include(self, file):
            asked.append(file.abs_src_path)
            return "kernelspec" in Path(file.abs_src_path).read_text()

    class File:
        def __init__(self, path):
            self.abs_src_path = str(path)

    plain, notebook = tmp_path / "plain.md", tmp_path / "chapter.md"
    plain.write_text("# An ordinary page\n")
    notebook.write_text("---\njupyter:\n  kernelspec:\n    language: python\n---\n# A chapter\n")
    plugin = Plugin()
    notebook_cache._remember_should_include(plugin)
    notebook_cache._remember_should_include(plugin)  # a reloaded hook wraps the plugin's own method, once
    for _ in range(3):
        assert plugin.should_include(File(plain)) is False
        assert plugin.should_include(File(notebook)) is True
    assert asked == [str(notebook)]
    notebook.write_text("# The chapter, no longer a notebook (no front matter)\n")
    assert plugin.should_include(File(notebook)) is False
    plain.write_text("---\njupyter:\n  kernelspec:\n    language: python\n---\n# Now a notebook page\n")
    assert plugin.should_include(File(plain)) is True
    assert asked == [str(notebook), str(plain)]


# --- the build's executor: kernels forked from a template (hooks/kernel_fork.py), a cell error fails ----------


def test_the_executor_forks_its_kernels_and_a_cell_error_still_fails(tmp_path, monkeypatch):
    from nbformat.v4 import new_code_cell, new_notebook

    def notebook(*cells):
        return new_notebook(cells=[new_code_cell(code) for code in cells])

    show = "import os, sys\nprint(os.getcwd(), 'torch' in sys.modules, 'torch' in dir())"
    done = notebook_cache.execute_notebooks({"a": notebook(show), "b": notebook(show)}, tmp_path)
    assert len(done) == 2
    for executed in done.values():
        # Forked where supported: torch was imported by the template, yet not into the namespace.
        forked = notebook_cache.forking()
        assert executed.cells[0].outputs[0]["text"] == f"{tmp_path} {forked} False\n"
    # The usual kernels, one at a time (so "a" has finished when "b" raises). A forked kernel's cell
    # error is tests/build/test_kernel_fork.py's.
    monkeypatch.setenv("NNBOOK_FORK_KERNELS", "0")
    monkeypatch.setenv("NNBOOK_JOBS", "1")
    finished = {}
    with pytest.raises(notebook_cache.ExecutionError, match=r"^b: a cell raised(.|\n)*ZeroDivisionError"):
        notebook_cache.execute_notebooks(
            {"a": notebook(show), "b": notebook("1 / 0", "print('never')")}, tmp_path, on_done=finished.__setitem__
        )
    assert list(finished) == ["a"]
    assert finished["a"].cells[0].outputs[0]["text"] == f"{tmp_path} False False\n"


def test_a_chapter_is_done_at_its_last_cell_and_every_kernel_has_exited_when_the_run_returns(tmp_path, monkeypatch):
    import asyncio

    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    monkeypatch.setenv("NNBOOK_FORK_KERNELS", "0")  # the usual kernels: quicker here, and the same client
    reported, shutdowns = [], []
    real = NotebookClient._async_cleanup_kernel

    async def cleanup(self):
        # A kernel is shut down once its chapter has been reported: waited for here (at most 60 s, never a hang).
        for _ in range(6000):
            if any(notebook is self.nb for notebook in reported):
                break
            await asyncio.sleep(0.01)
        shutdown = {"reported first": any(notebook is self.nb for notebook in reported)}
        shutdowns.append(shutdown)
        await real(self)
        shutdown["exited"] = True

    monkeypatch.setattr(NotebookClient, "_async_cleanup_kernel", cleanup)
    notebooks = {name: new_notebook(cells=[new_code_cell(f"print({name!r})")]) for name in ("a", "b", "c")}
    done = notebook_cache.execute_notebooks(notebooks, tmp_path, on_done=lambda name, nb: reported.append(nb))
    assert [done[name].cells[0].outputs[0]["text"] for name in "abc"] == ["a\n", "b\n", "c\n"]
    assert shutdowns == [{"reported first": True, "exited": True}] * 3


def test_the_build_starts_the_longest_chapters_first_and_those_never_run_by_size(project, monkeypatch):
    import json

    docs = project / "docs"
    for name, lines in (("small", 1), ("known", 80), ("large", 50), ("medium", 20)):
        (docs / f"{name}.md").write_text("# A chapter\n\n" + "Some prose.\n" * lines)
    (project / notebook_cache.CACHE).mkdir(parents=True)  # "known" ran before (under another key), for 3 s
    earlier = {"cells": [], "metadata": {"nnbook": {"execution_seconds": 3.0}}}
    (project / notebook_cache.CACHE / "known-0123456789abcdef0123.ipynb").write_text(json.dumps(earlier))
    started = []

    async def execute(notebook, name, *args, **kwargs):
        started.append(Path(name).stem)
        return notebook

    monkeypatch.setattr(notebook_cache, "_execute", execute)
    monkeypatch.setattr(notebook_cache, "_root", project)
    monkeypatch.setattr(notebook_cache, "_use_cache", False)
    monkeypatch.setenv("NNBOOK_JOBS", "1")
    monkeypatch.setenv("NNBOOK_FORK_KERNELS", "0")
    background = notebook_cache._Background([docs / f"{name}.md" for name in ("small", "known", "large", "medium")])
    background.thread.join()
    assert all(future.done() for future in background.futures.values())
    # Never run: the largest file first; then those that ran, the longest first.
    assert started == ["large", "medium", "small", "known"]


def test_a_notebook_page_typeset_and_tidied_in_one_parse_is_the_same_as_in_two(tmp_path, monkeypatch):
    import math_assets
    import notebook_html

    html = (
        '<div class="jupyter-wrapper"><style>x{}</style><!-- note --><script src=""></script>'
        '<div class="jp-Cell" tabindex="0"><div class="jp-Collapser"></div>'
        '<div class="highlight-ipynb"><pre><span class="n">a</span><span class="w"> </span>$b$</pre></div>'
        '<p>Prose with $x^2$ and $$\\sum_i w_i$$, \\(y\\) <code>$not$</code> <a tabindex="0">link</a></p>'
        '<div class="jp-Cell-outputWrapper" tabindex="0"><div><pre>$out$</pre></div></div>'
        '<pre class="clipboard-copy-txt">$c$</pre></div></div>'
    )
    one = notebook_html.typeset_and_tidy(html, "p.md")
    assert one == notebook_html.tidy(math_assets.typeset_html(html, "p.md"))
    assert "<math" in one and "<style>" not in one and 'tabindex="0">link' in one
    # A math_assets page that is a notebook page is left to notebook_html, which typesets it.
    page = type("Page", (), {"file": type("File", (), {"src_uri": "p.md"})()})()
    assert math_assets.on_page_content(html, page, None, None) == html
    monkeypatch.setattr(build_memo, "CACHE", tmp_path / "cache")
    assert notebook_html.on_page_content(html, page, None, None) == one
    # The remembered result is keyed on math_assets.py as well as notebook_html.py.
    plain = build_memo.memoise(notebook_html.typeset_and_tidy, folder=tmp_path / "keys")
    keyed = build_memo.memoise(
        notebook_html.typeset_and_tidy, folder=tmp_path / "keys", also=(math_assets.typeset_soup,)
    )
    assert plain(html) == keyed(html) == notebook_html.typeset_and_tidy(html)
    assert len(list((tmp_path / "keys").iterdir())) == 2
    # A formula latex2mathml cannot convert still fails a notebook page.
    with pytest.raises(Exception, match="cannot convert"):
        notebook_html.typeset_and_tidy(html.replace("$x^2$", "$\\frac{$"), "p.md")


def test_nbconvert_compiles_its_templates_once_and_renders_the_same_html(tmp_path, monkeypatch):
    import types

    import jinja2
    from nbconvert.exporters.html import HTMLExporter
    from nbconvert.exporters.markdown import MarkdownExporter
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    import nbconvert_exporters

    notebook = new_notebook(cells=[new_markdown_cell("# A title\n\nProse, $x$."), new_code_cell("1 + 1")])
    plain_html = HTMLExporter().from_notebook_node(notebook)[0]
    plain_markdown = MarkdownExporter().from_notebook_node(notebook)[0]
    compiled = []
    compile_ = jinja2.Environment.compile

    def counted(environment, *args, **kwargs):
        compiled.append(args[1] if len(args) > 1 else kwargs.get("name"))
        return compile_(environment, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    module = types.SimpleNamespace(HTMLExporter=HTMLExporter, MarkdownExporter=MarkdownExporter)
    nbconvert_exporters.install(module, tmp_path / "jinja", parse_once=False)
    nbconvert_exporters.install(module, tmp_path / "jinja", parse_once=False)  # a reloaded hook: replaced
    assert module.HTMLExporter.__mro__[1] is HTMLExporter and module.HTMLExporter.__name__ == "HTMLExporter"
    assert module.MarkdownExporter.__mro__[1] is MarkdownExporter

    def export():
        exporters = module.HTMLExporter(), module.MarkdownExporter()
        return tuple(exporter.from_notebook_node(notebook)[0] for exporter in exporters)

    first = export()
    assert compiled, "the first exports compile the templates"
    assert list((tmp_path / "jinja").iterdir()), "and keep their code"
    compiled.clear()
    again = [export(), export()]
    assert compiled == [], "every later export, in a new environment, loads the compiled templates"
    assert first == again[0] == again[1] == (plain_html, plain_markdown)


def test_a_page_nbconvert_did_not_finish_is_finished_by_notebook_html_to_the_same_page(tmp_path, monkeypatch):
    import base64

    import nbformat
    from mkdocs_jupyter import nbconvert2
    from nbconvert.exporters import html
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    import nbconvert_exporters
    import notebook_html

    pixel = base64.b64encode(bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")).decode()
    drawn = new_output("display_data", {"image/png": pixel, "text/plain": "<Figure>"})
    figure = new_code_cell("plot()", outputs=[drawn])
    printed = new_code_cell("print(2)", outputs=[new_output("stream", name="stdout", text="2\n")])
    markdown = new_markdown_cell('# Title\n\n$x^2$ and <img src="a.png" alt="described"> and <img src="b.png">')
    path = tmp_path / "chapter.ipynb"
    nbformat.write(new_notebook(cells=[markdown, figure, printed]), path)
    finished = nbconvert2.nb2html(str(path), no_prompt=True)  # nbconvert's own pass: alt text, tab stops
    assert finished.count(notebook_html.NO_ALT) == 2 and 'tabindex="0"' in finished
    monkeypatch.setattr(nbconvert2, "HTMLExporter", nbconvert2.HTMLExporter)  # restored after the test
    monkeypatch.setattr(nbconvert2, "MarkdownExporter", nbconvert2.MarkdownExporter)
    nbconvert_exporters.install(nbconvert2, tmp_path / "jinja", parse_once=True)
    rendered = nbconvert2.nb2html(str(path), no_prompt=True)
    assert notebook_html.NO_ALT not in rendered and rendered != finished  # the pass was left out
    assert html.BeautifulSoup.__name__ == "BeautifulSoup"  # and nbconvert's module is as it was
    page = notebook_html.typeset_and_tidy(rendered, "p.md")
    assert page == notebook_html.typeset_and_tidy(finished, "p.md")  # finishing twice = once
    assert page.count(notebook_html.NO_ALT) == 2 and 'alt="described"' in page and "<math" in page
