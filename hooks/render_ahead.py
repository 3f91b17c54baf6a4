"""Render each notebook page as soon as its chapter has run, while mkdocs renders the other pages.

mkdocs renders the pages one after another, in the order of its files, in one thread. A
notebook page costs mkdocs-jupyter's ``nb2html`` (nbconvert) and ``nb2md`` (for the table of
contents) and ``hooks/notebook_html.py``'s typesetting and tidying, about 0.6 CPU s a chapter,
and it cannot start before its chapter has run (``hooks/notebook_cache.py`` runs the chapters
in a background thread). In mkdocs' order the home page and a few others come first, then the
chapters, then the API reference, so mkdocs would wait for each chapter in turn and render the
reference pages, and every page of the last chapter to finish, after the kernels are done.

This hook changes when that work is done, not what it computes:

- **The other pages first.** Before mkdocs reads the pages (``on_nav``), the pages of the
  chapters that run in this build are moved to the end of the file list, so the pages that
  need no execution are rendered while the kernels start and run. The original order is put
  back before anything else reads the list (``on_env``, first): pages are written, the
  search index is filled and the print page is assembled in mkdocs' usual order.
- **Each chapter's page rendered as soon as it has run**, in one background thread, in the
  order the chapters finish: ``nb2html`` and ``nb2md`` called with the arguments mkdocs-jupyter
  passes (rebuilt from the plugin's options as the plugin builds them), and
  ``notebook_html``'s typesetting of the result (remembered in ``.cache/`` by
  ``hooks/build_memo.py``, where mkdocs' own call finds it). When mkdocs reaches the page,
  the plugin's calls get the results computed ahead for the same arguments; for other
  arguments, or if rendering ahead failed, they run as usual (so an error is raised where
  it always was). One lock serialises every call into mkdocs-jupyter's converter, which
  keeps state in module globals. A chapter whose cell raised is not rendered: its page
  fails the build as before.

A warm build runs no chapter, and this hook then does nothing.
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import sys
import threading
from pathlib import Path

from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.render_ahead")

# Held during every call into mkdocs-jupyter's converter (nb2html, nb2md), from any thread.
_converter = threading.Lock()


class Ahead:
    """``function``, whose results for calls expected later can be computed ahead, in another thread.

    :meth:`expect` announces a call by its ``key`` (the value ``key_of(args)`` will give), and
    :meth:`provide` hands over a result computed for it (with :meth:`run`, in any thread). The
    expected call (:meth:`__call__`) waits for that result and returns it if its arguments are
    equal to those it was computed with; otherwise, or after :meth:`give_up`, it calls
    ``function`` itself. Every call of ``function`` is made holding ``lock``, when one is given.

    >>> double = Ahead(lambda x, factor=2: x * factor, key_of=lambda args: args[0])
    >>> double.expect(3)
    >>> double.provide(3, (3,), {}, double.run(3))
    >>> double(3), double(3, factor=3)  # the first was computed ahead; the second runs now
    (6, 9)
    """

    def __init__(self, function, key_of, lock: threading.Lock | None = None):
        self.function = function
        self.key_of = key_of
        self.lock = lock
        self.expected: dict[object, concurrent.futures.Future] = {}
        self.served = 0  # expected calls answered with a result computed ahead
        # notebook_cache.on_config unwraps to the plugin's own function (a reloaded hook, mkdocs serve).
        self.nnbook_original = getattr(function, "nnbook_original", function)

    def run(self, *args, **kwargs):
        """``function(*args, **kwargs)``, holding the lock."""
        if self.lock is None:
            return self.function(*args, **kwargs)
        with self.lock:
            return self.function(*args, **kwargs)

    def expect(self, key) -> None:
        self.expected[key] = concurrent.futures.Future()

    def provide(self, key, args: tuple, kwargs: dict, result) -> None:
        future = self.expected.get(key)
        if future is not None and not future.done():
            future.set_result((args, kwargs, result))

    def give_up(self, key) -> None:
        """No result will come for ``key``: the expected call runs ``function`` itself."""
        future = self.expected.get(key)
        if future is not None and not future.done():
            future.set_result(None)

    def __call__(self, *args, **kwargs):
        key = self.key_of(args)
        future = self.expected.get(key)
        if future is not None:
            done = future.result()  # waits for the chapter and its rendering
            self.expected.pop(key, None)  # used once
            if done is not None and done[0] == args and done[1] == kwargs:
                self.served += 1
                return done[2]
        return self.run(*args, **kwargs)

    def clear(self) -> None:
        for key in list(self.expected):
            self.give_up(key)
        self.expected.clear()
        self.served = 0


def _unwrapped(function):
    """``function`` without this hook's wrapper from an earlier build of this process (mkdocs serve)."""
    return function.function if type(function).__name__ == "Ahead" and hasattr(function, "function") else function


def _path_key(args):
    return str(args[0])


_nb2html: Ahead | None = None
_nb2md: Ahead | None = None
_moved: list | None = None  # the file list's order before on_nav moved the chapters' pages
_jobs: queue.SimpleQueue | None = None
_planned = 0  # pages to be rendered ahead in this build


def _plugin_arguments(plugin) -> dict:
    """The keyword arguments mkdocs-jupyter passes to ``nb2html`` for a page it executes."""
    names = (
        "kernel_name",
        "theme",
        "allow_errors",
        "show_input",
        "no_input",
        "no_prompt",
        "remove_tag_config",
        "highlight_extra_classes",
        "include_requirejs",
        "custom_mathjax_url",
    )
    return {"execute": True, **{name: plugin.config[name] for name in names}}


def _render(path: str, where: str, arguments: dict) -> None:
    """Compute, for the page of chapter ``path``, what mkdocs will ask of the converter and of notebook_html.

    The results are handed over together, once the typesetting is done too: mkdocs' call of
    notebook_html then finds it remembered instead of typesetting the page a second time.
    """
    try:
        html = _nb2html.run(path, **arguments)
        markdown = _nb2md.run(path)
        tidy = sys.modules.get("notebook_html")
        if tidy is not None:
            tidy._typeset_and_tidy(html, where)  # remembered on disk (build_memo), where mkdocs' call finds it
        _nb2html.provide(path, (path,), arguments, html)
        _nb2md.provide(path, (path,), {}, markdown)
    except Exception as error:  # mkdocs' own call raises it again, at the page
        log.debug("rendering %s ahead failed: %s", where, error)
    finally:  # whatever was not provided, the page computes itself
        _nb2html.give_up(path)
        _nb2md.give_up(path)


def _work(jobs: queue.SimpleQueue, planned: list[str]) -> None:
    try:
        while (job := jobs.get()) is not None:
            _render(*job)
    finally:  # however this thread ends, no page waits for it
        for path in planned:
            _nb2html.give_up(path)
            _nb2md.give_up(path)


def on_config(config, **kwargs):
    global _nb2html, _nb2md
    if config.plugins.get("mkdocs-jupyter") is None:
        return config
    from mkdocs_jupyter import convert

    # After notebook_cache.on_config (listed before this hook), which wraps nb2html to render the
    # executed notebook; a reloaded hook (mkdocs serve) unwraps its earlier self first.
    _nb2html = Ahead(_unwrapped(convert.nb2html), _path_key, _converter)
    _nb2md = Ahead(_unwrapped(convert.nb2md), _path_key, _converter)
    convert.nb2html = _nb2html
    convert.nb2md = _nb2md
    return config


# Last, after every other plugin has built the navigation.
@event_priority(-100)
def on_nav(nav, config, files, **kwargs):
    """Move the pages of the chapters that run in this build to the end, and render each as soon as it has run."""
    global _moved, _jobs, _planned
    _moved, _planned = None, 0
    notebook_cache = sys.modules.get("notebook_cache")  # the hook that runs the chapters
    background = getattr(notebook_cache, "_background", None)
    plugin = config.plugins.get("mkdocs-jupyter")
    if background is None or plugin is None or _nb2html is None:
        return nav
    _nb2html.clear()
    _nb2md.clear()
    running = {}
    for file in files.documentation_pages():
        if file.abs_src_path and Path(file.abs_src_path).resolve() in background.futures:
            running[Path(file.abs_src_path).resolve()] = file
    if not running:
        return nav
    _planned = len(running)
    _moved = list(files)
    for file in running.values():
        files.remove(file)
        files.append(file)
    arguments = _plugin_arguments(plugin)
    for file in running.values():
        _nb2html.expect(file.abs_src_path)
        _nb2md.expect(file.abs_src_path)
    _jobs = queue.SimpleQueue()
    planned = [file.abs_src_path for file in running.values()]
    threading.Thread(target=_work, args=(_jobs, planned), name="nnbook-render-ahead", daemon=True).start()
    for source, file in running.items():

        def ran(future, job=(file.abs_src_path, file.src_uri, arguments), jobs=_jobs):
            if future.exception() is None:
                jobs.put(job)  # called in the kernels' thread: the rendering is left to the worker
            else:  # the page raises the chapter's error itself
                _nb2html.give_up(job[0])
                _nb2md.give_up(job[0])

        background.futures[source].add_done_callback(ran)
    return nav


# First, before any other plugin looks at the files again.
@event_priority(100)
def on_env(env, config, files, **kwargs):
    """Put the files back in mkdocs' order."""
    global _moved
    if _moved is not None:
        position = {file.src_uri: index for index, file in enumerate(_moved)}
        # A stable sort: files added since on_nav keep their order, after the others.
        for file in sorted(files, key=lambda f: position.get(f.src_uri, len(position))):
            files.remove(file)
            files.append(file)
        _moved = None
    return env


def on_post_build(config, **kwargs):
    if _planned:
        log.info(
            f"{_nb2html.served} of {_planned} notebook page(s) rendered ahead "
            f"({_nb2md.served} tables of contents), as their chapters finished"
        )
    _stop()


def on_build_error(error, **kwargs):
    _stop()


def _stop() -> None:
    global _jobs
    if _jobs is not None:
        _jobs.put(None)
        _jobs = None
    for ahead in (_nb2html, _nb2md):
        if ahead is not None:
            ahead.clear()


sys.modules["render_ahead"] = sys.modules[__name__]
