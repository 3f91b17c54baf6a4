"""Execute the chapters before mkdocs renders them, in parallel, and keep what they printed.

mkdocs-jupyter executes notebook pages one after another in the build process,
and keys its cache on the page file and its own options only. This hook takes
execution over:

- **In parallel, alongside the rendering.** When the build starts, every
  notebook page whose executed copy is not cached starts running in its own
  kernel, as many kernels at once as the machine has cores (``NNBOOK_JOBS``
  overrides), in a background thread, the longest first (by the chapter's last
  execution; the largest files first when it never ran). mkdocs meanwhile renders
  the other pages, and a notebook page waits for its own chapter only
  (``hooks/render_ahead.py`` renders it as soon as it has run). A chapter is done
  when its last cell has run: its kernel shuts down while the next one starts.
  A cell that raises fails the build with the chapter's name and the error (at
  that page, or at the end of the build at the latest).
  Each kernel gets the environment a sequential build gives it (see
  :func:`kernel_environment`), so the outputs are those of a sequential build.
  On Linux and macOS the kernels are forked from one template process that has
  imported torch (``hooks/kernel_fork.py``; ``NNBOOK_FORK_KERNELS=0`` turns it off).
- **Keyed on everything an output depends on**: the chapter's text, the
  package's source under ``src/nnbook``, the hooks that set up and run the
  kernels (``kernel_env.py`` and this one), the Python version
  and the versions of the libraries that shape outputs (:func:`fingerprint`).
  A change under ``src/nnbook`` therefore reaches every page.
- **A few keys kept.** Executed notebooks live in ``.cache/nnbook-notebooks`` as
  ``<chapter>-<key>.ipynb``; the :data:`KEEP` most recently used per chapter
  stay, so undoing an edit or switching back to a branch costs no execution.
  mkdocs-jupyter's cache of rendered HTML gets one folder per fingerprint, and
  the :data:`KEEP` most recently used folders stay.
- **Rendering without executing.** mkdocs-jupyter's converter is handed the
  executed notebook instead of the page's text, with execution off, so the
  page is rendered exactly as if the plugin had executed it itself.

With the plugin's cache off (``NNBOOK_NOTEBOOK_CACHE=false``) every page runs
afresh and the results are neither read from nor written to the cache.

:func:`executed_notebook` gives the executed notebook of a chapter to other
hooks (the downloads with outputs) and to the tests.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

import kernel_fork
from kernel_env import kernel_variables

CACHE = Path(".cache") / "nnbook-notebooks"
HTML_CACHE = Path(".cache") / "mkdocs-jupyter"
KEEP = 5
# The build hooks whose code decides how a chapter is executed (environment, kernel, probe).
_EXECUTION_HOOKS = ("kernel_env.py", "kernel_fork.py", "notebook_cache.py")
# Packages whose version can change what a chapter prints or draws, or how it is rendered.
_VERSIONED = ("torch", "numpy", "matplotlib", "nbconvert", "nbclient", "ipykernel", "mkdocs-jupyter", "jupytext")
# Run in each kernel after the chapter's own cells, and removed from the notebook: the
# environment the outputs were computed in, for the page's stamp (the build need not import torch).
# It also reports the CPU time the kernel (and any process it started and waited for) has used, which,
# unlike the wall time, does not grow when other programs share the cores.
_PROBE = (
    "import json as _j, platform as _p, torch as _t, nnbook as _n, nnbook.device as _d\n"
    "try:\n"
    "    import resource as _r\n"
    "    _u = [_r.getrusage(w) for w in (_r.RUSAGE_SELF, _r.RUSAGE_CHILDREN)]\n"
    "    _c = round(sum(u.ru_utime + u.ru_stime for u in _u), 3)\n"
    "except ImportError:\n"
    "    _c = None\n"
    "print(_j.dumps({'python': _p.python_version(), 'torch': _t.__version__,"
    " 'nnbook': _n.__version__, 'device': str(_d.best_device()), 'cpu_seconds': _c}))"
)

_root: Path | None = None
_fingerprint: str | None = None  # of this build, computed once
_kernel_name = "python3"
_use_cache = True
_executed: dict[Path, object] = {}  # this build's executed notebooks, by resolved source path
_cached: dict[Path, Path] = {}  # this build's chapters found in the cache, read when asked for


class ExecutionError(RuntimeError):
    """A cell of a chapter raised while the chapter was executed."""


def fingerprint(root: Path) -> str:
    """Hash of the package source, the build hooks, the Python version and the key library versions."""
    digest = hashlib.sha256()
    # The hooks that set the kernels' environment and run them shape outputs too; the hooks
    # that only post-process HTML do not (their results are keyed on their code in build_memo).
    hooks = [root / "hooks" / name for name in _EXECUTION_HOOKS if (root / "hooks" / name).is_file()]
    sources = [*(root / "src" / "nnbook").rglob("*.py"), *hooks]
    for path in sorted(sources):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    for name in _VERSIONED:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=absent".encode())
    return digest.hexdigest()[:16]


def notebook_key(source: Path, root: Path, kernel_name: str = "python3", fingerprinted: str | None = None) -> str:
    """The cache key of one chapter: its text, the :func:`fingerprint` and the kernel it runs in."""
    digest = hashlib.sha256(Path(source).read_bytes())
    digest.update(f"{fingerprinted or fingerprint(root)} kernel={kernel_name}".encode())
    return digest.hexdigest()[:20]


def cache_path(source: Path, root: Path, kernel_name: str = "python3", fingerprinted: str | None = None) -> Path:
    """Where the executed notebook of ``source`` is kept: ``.cache/nnbook-notebooks/<chapter>-<key>.ipynb``."""
    key = notebook_key(source, root, kernel_name, fingerprinted)
    return root / CACHE / f"{Path(source).stem}-{key}.ipynb"


def kernel_environment() -> dict[str, str]:
    """The environment of every kernel: the build's, with ``hooks/kernel_env.py``'s variables.

    Those give matplotlib's inline backend (the test suite sets ``MPLBACKEND=Agg``
    for itself; a kernel that inherited it would draw no figure), the book's
    matplotlib settings and one computing thread, whoever asks for the execution
    (the build, ``tools/check_reproducible.py``, the tests).
    """
    return dict(os.environ, **kernel_variables())


def jobs() -> int:
    """How many kernels run at once: ``$NNBOOK_JOBS``, else one per core this process may use."""
    wanted = os.environ.get("NNBOOK_JOBS")
    if wanted:
        return max(1, int(wanted))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def forking() -> bool:
    """Whether kernels are forked from a template that has imported torch (``hooks/kernel_fork.py``):
    on Linux and macOS, unless ``NNBOOK_FORK_KERNELS=0``."""
    return kernel_fork.supported() and os.environ.get("NNBOOK_FORK_KERNELS", "1") != "0"


def _read_source(source: Path):
    import jupytext

    return jupytext.read(source)


def _client_class():
    """nbclient's ``NotebookClient``, except that it leaves its kernel's shutdown to the caller.

    nbclient shuts the kernel down before ``async_execute`` returns: about half a second per
    chapter spent waiting for the kernel to exit, and 2.5 s for a kernel that does not exit
    when asked (nbclient then waits for ``shutdown_wait_time / 2`` before terminating it).
    Every output has arrived by then, so the shutdown is started as a task, kept in
    ``nnbook_shutdown``, and awaited by :func:`execute_notebooks` after the chapter is
    reported done and its slot given to the next chapter.
    """
    from nbclient import NotebookClient

    class Client(NotebookClient):
        nnbook_shutdown = None

        async def _async_cleanup_kernel(self) -> None:
            self.nnbook_shutdown = asyncio.ensure_future(NotebookClient._async_cleanup_kernel(self))

    return Client


async def _execute(
    notebook, name: str, cwd: Path, kernel_name: str, sockets: str, forks: str | None = None, shutdowns=None
):
    """Execute ``notebook`` in a new kernel; the kernel's shutdown is appended to ``shutdowns`` (a list)
    to be awaited by the caller, or awaited here when ``shutdowns`` is None."""
    from nbclient.exceptions import CellExecutionError
    from nbformat.v4 import new_code_cell
    from traitlets.config import Config

    notebook.cells.append(new_code_cell(_PROBE))
    config = Config()
    if os.name == "posix":
        # Local Unix sockets instead of TCP ports, as hooks/kernel_env.py sets for the plugin.
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = sockets
    client = _client_class()(
        notebook,
        kernel_name=kernel_name,
        kernel_manager_class=kernel_fork.manager_class(socket_path=forks),
        allow_errors=False,
        timeout=None,
        resources={"metadata": {"path": str(cwd)}},
        config=config,
    )
    start = time.perf_counter()
    try:
        await client.async_execute(env=kernel_environment())
    except CellExecutionError as error:
        raise ExecutionError(f"{name}: a cell raised while the chapter was executed:\n{error}") from None
    finally:
        if client.nnbook_shutdown is not None:
            if shutdowns is None:
                await client.nnbook_shutdown
            else:
                shutdowns.append(client.nnbook_shutdown)
    seconds = time.perf_counter() - start
    probe = notebook.cells.pop()
    printed = "".join(o.get("text", "") for o in probe.outputs if o.get("output_type") == "stream")
    environment = json.loads(printed)
    notebook.metadata["nnbook"] = {
        "source": Path(name).name,
        "execution_seconds": round(seconds, 3),
        "cpu_seconds": environment.pop("cpu_seconds"),
        "environment": environment,
    }
    return notebook


def execute_notebooks(
    notebooks: dict, cwd: Path, kernel_name: str = "python3", order: dict | None = None, on_done=None
) -> dict:
    """Execute ``notebooks`` ({name: notebook}), :func:`jobs` at a time, each in a new kernel started in ``cwd``.

    Returns {name: executed notebook}; each notebook's metadata gets an ``nnbook``
    entry with its execution time and the environment its kernel reported. The
    first cell that raises stops the other kernels and raises :class:`ExecutionError`.
    ``order`` maps a name to an expected duration: the longest start first; without
    it, they start in the order given. ``on_done(name, notebook)`` is called as each finishes, as soon
    as its last cell has run: its kernel shuts down meanwhile, and has exited when this returns.
    """
    if not notebooks:
        return {}
    queue = sorted(notebooks, key=lambda name: -(order or {}).get(name, float("inf")))

    async def run_all():
        limit = asyncio.Semaphore(jobs())
        shutdowns = []  # kernels that have delivered their outputs and are being shut down
        with tempfile.TemporaryDirectory(prefix="nnbook-kernels-") as sockets:
            server = kernel_fork.ForkServer(os.path.join(sockets, "fork"), env=kernel_environment(), cwd=str(cwd))
            wanted = forking() and len(notebooks) > 1  # one kernel: a template would cost as much as it saves
            forks = server.socket_path if wanted and await asyncio.to_thread(server.start) else None

            async def one(index, name):
                async with limit:
                    socket = os.path.join(sockets, f"k{index}")
                    executed = await _execute(notebooks[name], str(name), cwd, kernel_name, socket, forks, shutdowns)
                # Reported, and the next chapter started, while this one's kernel shuts down.
                if on_done is not None:
                    on_done(name, executed)
                return name, executed

            tasks = [asyncio.ensure_future(one(i, name)) for i, name in enumerate(queue)]
            try:
                return dict(await asyncio.gather(*tasks))
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await asyncio.gather(*shutdowns, return_exceptions=True)  # every kernel has exited
                server.stop()

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no event loop in this thread
        return asyncio.run(run_all())
    # Called from code that runs an event loop in this thread (Playwright's sync API does): use another.
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(run_all())).result()


def execute_all(
    sources: list[Path], cwd: Path, kernel_name: str = "python3", order: dict | None = None, on_done=None
) -> dict:
    """Execute the chapter files ``sources`` afresh, in parallel (see :func:`execute_notebooks`): {source: notebook}."""
    return execute_notebooks({Path(s): _read_source(s) for s in sources}, cwd, kernel_name, order, on_done)


def cached_or_executed(sources: list[Path], root: Path, kernel_name: str = "python3") -> dict:
    """{source: executed notebook} for the current key of each chapter: from the cache, else executed now
    (the missing ones in parallel, longest first) and cached."""
    fingerprinted = fingerprint(root)
    found, missing, durations = {}, [], {}
    for source in map(Path, sources):
        path = cache_path(source, root, kernel_name, fingerprinted)
        if path.is_file():
            found[source] = _read(path)
        else:
            missing.append(source)
            durations[source] = _last_duration(source, root)
    for source, notebook in execute_all(missing, root, kernel_name, durations).items():
        _write(notebook, cache_path(source, root, kernel_name, fingerprinted))
        found[source] = notebook
    return found


def _last_duration(source: Path, root: Path) -> float:
    """How long the chapter took the last time it ran (any key), for the longest-first order; infinite if never."""
    earlier = sorted((root / CACHE).glob(f"{source.stem}-*.ipynb"), key=lambda p: p.stat().st_mtime)
    if not earlier:
        return float("inf")  # unknown: start it early
    return (
        json.loads(earlier[-1].read_text(encoding="utf-8"))
        .get("metadata", {})
        .get("nnbook", {})
        .get("execution_seconds", 0.0)
    )


def _write(notebook, path: Path) -> None:
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        nbformat.write(notebook, out)
    os.replace(temporary, path)  # another build running at the same time sees the whole file or none


def _read(path: Path):
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    os.utime(path)  # recently used: kept by prune()
    return notebook


def prune(root: Path, keep: int = KEEP) -> None:
    """Keep the ``keep`` most recently used executions of each chapter, and HTML cache folders."""
    folder = root / CACHE
    if folder.is_dir():
        by_chapter: dict[str, list[Path]] = {}
        for path in folder.glob("*.ipynb"):
            by_chapter.setdefault(path.stem.rsplit("-", 1)[0], []).append(path)
        for paths in by_chapter.values():
            for old in sorted(paths, key=lambda p: p.stat().st_mtime, reverse=True)[keep:]:
                old.unlink(missing_ok=True)
        for stale in folder.glob("*.tmp"):
            if time.time() - stale.stat().st_mtime > 3600:
                stale.unlink(missing_ok=True)
    html = root / HTML_CACHE
    if html.is_dir():
        entries = sorted(html.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[keep:]:
            import shutil

            shutil.rmtree(old) if old.is_dir() else old.unlink()


def _project_root(source: Path) -> Path:
    for folder in source.resolve().parents:
        if (folder / "mkdocs.yml").is_file():
            return folder
    raise FileNotFoundError(f"no mkdocs.yml above {source}")


def executed_notebook(source: Path):
    """The executed notebook (an ``nbformat.NotebookNode`` with outputs) of the chapter file ``source``.

    It is this build's execution when the build ran it, else the cached one for
    the chapter's current key; failing both, the chapter is executed now (and
    cached). The caller gets its own copy.
    """
    source = Path(source).resolve()
    if source not in _executed and _background is not None and source in _background.futures:
        _executed[source] = _background.result(source)  # waits for this chapter only
    if source in _executed:
        return copy.deepcopy(_executed[source])
    root = _root or _project_root(source)
    path = _cached.get(source) or cache_path(source, root, _kernel_name, _fingerprint if _root == root else None)
    if _use_cache and path.is_file():
        notebook = _read(path)
    else:
        notebook = execute_all([source], root, _kernel_name)[source]
        if _use_cache:
            _write(notebook, path)
    _executed[source] = notebook
    return copy.deepcopy(notebook)


def execution_environment() -> dict[str, str] | None:
    """What the kernels of this build reported: Python, torch and nnbook versions, and the device."""
    for notebook in _executed.values():
        return dict(notebook.metadata["nnbook"]["environment"])
    for path in _cached.values():
        return dict(json.loads(path.read_text(encoding="utf-8"))["metadata"]["nnbook"]["environment"])
    if _background is not None:  # nothing cached and nothing finished yet: wait for the first chapter
        first = next(iter(_background.futures))
        return dict(_background.result(first).metadata["nnbook"]["environment"])
    return None


# --- mkdocs events ---------------------------------------------------------------------------


def _render_executed(original):
    """Wrap mkdocs-jupyter's ``nb2html`` so that it renders the executed notebook and executes nothing."""
    import jupytext
    from mkdocs_jupyter import nbconvert2

    class _Executed:
        """Stands in for the ``jupytext`` module inside the converter for one call."""

        def __init__(self, notebook):
            self.notebook = notebook
            self.writes = jupytext.writes

        def read(self, path, *args, **kwargs):
            return self.notebook

    def nb2html(nb_path, *args, execute=False, **kwargs):
        if not execute or Path(nb_path).suffix != ".md":
            return original(nb_path, *args, execute=execute, **kwargs)
        nbconvert2.jupytext = _Executed(executed_notebook(Path(nb_path)))
        try:
            return original(nb_path, *args, execute=False, **kwargs)
        finally:
            nbconvert2.jupytext = jupytext

    nb2html.nnbook_original = original
    return nb2html


def _remember_should_include(plugin) -> None:
    """Answer mkdocs-jupyter's ``should_include`` once per file version.

    The plugin asks it of every page two or three times per build, and for a ``.md``
    page each answer parses the whole file with jupytext. A page without the word
    ``kernelspec`` cannot have the jupytext front matter the plugin looks for
    (``kernelspec.language``), so it is answered without parsing.
    """
    original = getattr(plugin.should_include, "nnbook_original", plugin.should_include)
    answers: dict[tuple, bool] = {}

    def should_include(file):
        path = file.abs_src_path
        if path is None or not path.endswith(".md"):
            return original(file)
        try:
            status = os.stat(path)
        except OSError:
            return original(file)
        key = (path, status.st_mtime_ns, status.st_size)
        if key not in answers:
            with open(path, "rb") as handle:
                has_kernelspec = b"kernelspec" in handle.read()
            answers[key] = original(file) if has_kernelspec else False
        return answers[key]

    should_include.nnbook_original = original
    plugin.should_include = should_include


def on_config(config, **kwargs):
    global _root, _fingerprint, _kernel_name, _use_cache
    plugin = config.plugins.get("mkdocs-jupyter")
    if plugin is None:
        return config
    from mkdocs_jupyter import convert

    # Wrapped afresh on every load of this hook (mkdocs serve reloads it for each rebuild), so the
    # converter always asks the module whose on_pre_build ran for this build.
    convert.nb2html = _render_executed(getattr(convert.nb2html, "nnbook_original", convert.nb2html))
    _remember_should_include(plugin)
    _root = Path(config.config_file_path).resolve().parent
    _kernel_name = plugin.config.get("kernel_name") or "python3"
    _use_cache = bool(plugin.config.get("cache"))
    _fingerprint = fingerprint(_root)
    if _use_cache:
        folder = _root / HTML_CACHE / _fingerprint
        folder.mkdir(parents=True, exist_ok=True)
        os.utime(folder)  # recently used: kept by prune()
        plugin.config["cache_dir"] = str(folder)
    return config


def notebook_sources(config) -> list[Path]:
    """The pages mkdocs-jupyter will execute."""
    import pathlib

    from mkdocs.structure.files import get_files

    plugin = config.plugins["mkdocs-jupyter"]
    if not plugin.config.get("execute"):
        return []
    sources = []
    for file in get_files(config):
        if file.abs_src_path and file.abs_src_path.endswith(".md") and plugin.should_include(file):
            path = pathlib.PurePath(file.abs_src_path)
            if not any(path.match(p) for p in plugin.config.get("execute_ignore") or []):
                sources.append(Path(file.abs_src_path).resolve())
    return sources


class _Background:
    """This build's executions, running in a thread while mkdocs renders the pages that need none.

    The chapters run longest first (by their last execution; the largest files first when none
    is known). A page asks for its own chapter only (:func:`executed_notebook`, through
    :attr:`futures`), and ``hooks/render_ahead.py`` renders each page as soon as its chapter
    is done, so the rendering overlaps the kernels instead of following them.
    """

    def __init__(self, sources: list[Path]):
        self.futures = {source: concurrent.futures.Future() for source in sources}
        self.started = time.perf_counter()
        self.thread_cpu = None  # CPU seconds this process spent driving the kernels (this thread)
        self.thread = threading.Thread(target=self._run, name="nnbook-kernels", daemon=True)
        self.thread.start()

    def _finished(self, source, notebook):
        if _use_cache:
            _write(notebook, cache_path(source, _root, _kernel_name, _fingerprint))
        self.futures[source].set_result(notebook)

    def _run(self):
        try:
            # The longest first, so that no long chapter is left running alone at the end: by their last
            # execution under any key; chapters never run start first, the largest files first (a cold build).
            durations = {source: _last_duration(source, _root) for source in self.futures}
            by_size = sorted(self.futures, key=lambda source: -source.stat().st_size)
            execute_all(by_size, _root, _kernel_name, durations, on_done=self._finished)
            self.thread_cpu = time.thread_time()
        except BaseException as error:  # the first failure: every chapter not done reports it
            for future in self.futures.values():
                if not future.done():
                    future.set_exception(error)

    def result(self, source: Path):
        from mkdocs.exceptions import PluginError

        try:
            return self.futures[source].result()
        except ExecutionError as error:
            raise PluginError(str(error)) from None

    def finish(self):
        """Wait for every execution; report them, or raise the first failure."""
        self.thread.join()
        done = {source: self.result(source) for source in self.futures}
        import logging

        log = logging.getLogger("mkdocs.hooks.notebook_cache")
        times = ", ".join(
            f"{s.stem} {n.metadata['nnbook']['execution_seconds']:.1f} s ({n.metadata['nnbook']['cpu_seconds']} CPU s)"
            for s, n in done.items()
        )
        log.info(
            f"executed {len(done)} notebook(s) with {jobs()} kernel(s) in {time.perf_counter() - self.started:.1f} s"
            f" (alongside the rendering; {self.thread_cpu or 0:.1f} CPU s in this process's thread): {times}"
        )


_background: _Background | None = None


def on_pre_build(config, **kwargs):
    """Start executing, in parallel and in the background, every notebook page whose execution is not cached."""
    global _background
    if _background is not None:  # an earlier build of this process (mkdocs serve) stopped half-way
        _background.thread.join()
        _background = None
    if config.plugins.get("mkdocs-jupyter") is None:
        return
    _executed.clear()
    _cached.clear()
    missing = []
    for source in notebook_sources(config):  # in the order mkdocs renders them
        path = cache_path(source, _root, _kernel_name, _fingerprint)
        if _use_cache and path.is_file():
            _cached[source] = path
            os.utime(path)  # recently used: kept by prune()
        else:
            missing.append(source)
    if missing:
        _background = _Background(missing)
    elif _use_cache:
        prune(_root)


def on_post_build(config, **kwargs):
    """Every execution has finished (a failure fails the build), and old cache entries are pruned."""
    global _background
    if _background is not None:
        background, _background = _background, None
        background.finish()
        if _use_cache:
            prune(_root)


# mkdocs loads a hook under the name of its path; other hooks import this one as ``notebook_cache``.
sys.modules["notebook_cache"] = sys.modules[__name__]
