#!/usr/bin/env python3
"""Execute the book's chapters into one store of executed notebooks, before mkdocs renders them.

    .venv/bin/python tools/execute_chapters.py [-f mkdocs.yml] [--jobs N] [--timeout SECONDS]

``python3 make.py build`` and ``make.py serve`` run this step first; ``hooks/executed_pages.py``
calls :func:`prepare` again inside mkdocs, which finds everything stored (or, in ``mkdocs
serve`` after an edit to a code cell, executes that chapter). See docs/maintainers/building.md.

- **Which pages.** Every Markdown page under ``docs/`` whose jupytext front matter names a
  Python kernel (mkdocs-jupyter's own rule for a notebook page).
- **One store, keyed on what shapes outputs.** ``.cache/executed/<key>.ipynb``, where the key
  (:func:`chapter_key`) hashes the chapter's code cells (not its prose), its kernel, the
  package's source under ``src/nnbook``, this file (it sets the kernels' environment), the
  Python version and the versions of the libraries that shape outputs. A chapter whose key
  is stored is not executed.
- **Executed in parallel**, ``--jobs`` at a time (default: one per core), each chapter in a
  new kernel driven by nbclient's public ``NotebookClient`` in a pool of worker processes
  (each worker executes one chapter after another).
  A cell that raises, or runs longer than ``--timeout`` seconds (``NNBOOK_CELL_TIMEOUT``,
  default 300), fails the step with the chapter and the cell.
- **Prose re-attached.** The page mkdocs-jupyter renders (``.cache/pages/<hash>/<stem>.ipynb``)
  is the chapter's current text with each code cell's outputs taken from the stored execution,
  cell by cell in order (the key guarantees the same code cells). A prose edit executes nothing.
- **Safe to interrupt.** Every file is written to a temporary name and renamed; an entry that
  cannot be read is deleted and recomputed with a one-line warning. Kernels run in their own
  process group and exit when their worker does (ipykernel watches ``JPY_PARENT_PID``); a worker
  exits when the build process is gone. The kernels' connection files and sockets live in
  ``.cache/kernels/<pid>``, removed on exit, or by the next run when a build was killed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
from importlib import metadata
from pathlib import Path

log = logging.getLogger("mkdocs.nnbook.execute")

STORE = Path(".cache") / "executed"
PAGES = Path(".cache") / "pages"
KERNELS = Path(".cache") / "kernels"
LOCK = Path(".cache") / "build.lock"
# Store entries and pages not used for this many days are removed.
MAX_AGE_DAYS = 14
DEFAULT_TIMEOUT = 300
# Packages whose version can change what a chapter prints or draws.
VERSIONED = ("torch", "numpy", "matplotlib", "matplotlib-inline", "ipykernel", "jupyter_client", "nbclient", "jupytext")
# Transparent figure and axes (they suit both colour schemes); the legend keeps a translucent
# white box so that it stays readable over lines in either scheme.
MATPLOTLIBRC = """\
figure.facecolor: none
axes.facecolor: none
savefig.facecolor: none
savefig.transparent: True
legend.facecolor: white
legend.framealpha: 0.85
"""
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
# One computing thread per kernel: kernels run side by side, and a sum split between threads
# can round differently, so a chapter prints the same digits however many run at once.
THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Run after a chapter's cells, then removed: the environment the outputs were computed in, for the
# page's stamp, and the kernel's CPU time (which, unlike wall time, other programs do not inflate).
PROBE = (
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


class ExecutionError(RuntimeError):
    """A chapter could not be executed: a cell raised or ran past the time-out."""


class CacheError(RuntimeError):
    """A cache folder cannot be written (read-only, full): the message names the path."""


# --- the kernels' environment ------------------------------------------------------------------------


def kernel_variables(folder: str | os.PathLike) -> dict[str, str]:
    """The environment variables every kernel that executes a chapter gets; writes ``folder/matplotlibrc``.

    Figures use matplotlib's inline backend even where the caller sets another (the test suite
    sets ``MPLBACKEND=Agg``, which would draw nothing), with :data:`MATPLOTLIBRC`'s settings.
    """
    write_atomic(Path(folder) / "matplotlibrc", MATPLOTLIBRC.encode())
    return {"MPLBACKEND": INLINE_BACKEND, "MATPLOTLIBRC": os.fspath(folder), **THREADS}


# --- files -------------------------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary name in the same folder, then rename.

    A reader (another build) sees the whole file or none; a crash or a full disk leaves at most
    a ``.tmp`` file, which is removed here on failure. Raises :class:`CacheError` naming the path.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise CacheError(f"cannot write to {path.parent}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise CacheError(f"cannot write {path}: {error.strerror or error}") from None


def read_notebook(path: Path):
    """The notebook stored at ``path``, or None when there is none or it cannot be read.

    An unreadable entry (truncated, not JSON, not a notebook) is deleted with a one-line warning,
    so that it is recomputed.
    """
    import nbformat

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        notebook = nbformat.reads(text, as_version=4)
        if "execution_id" not in notebook.metadata["nnbook"]:  # every store entry has one
            raise KeyError("execution_id")
    except Exception as error:  # nbformat raises several types for a damaged file
        log.warning(f"unreadable cache entry {path} ({type(error).__name__}): deleted, recomputing")
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept by prune()
    return notebook


def prune(root: Path, max_age_days: float = MAX_AGE_DAYS) -> None:
    """Remove store entries and pages unused for ``max_age_days``, and temporary files older than an hour."""
    now = time.time()
    for folder in (root / STORE, root / PAGES):
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            with contextlib.suppress(OSError):
                age = now - path.stat().st_mtime
                if path.is_file() and (age > max_age_days * 86400 or (path.suffix == ".tmp" and age > 3600)):
                    path.unlink()
        for sub in folder.iterdir():
            with contextlib.suppress(OSError):
                sub.rmdir()  # empty page folders only


# --- chapters and keys ---------------------------------------------------------------------------------


def docs_dir(config_file: Path) -> Path:
    """The ``docs_dir`` of ``config_file`` (mkdocs' default ``docs``)."""
    found = re.search(r"^docs_dir:\s*['\"]?([^'\"\s#]+)", config_file.read_text(encoding="utf-8"), re.MULTILINE)
    return (config_file.parent / (found.group(1) if found else "docs")).resolve()


def is_chapter(path: Path) -> bool:
    """Whether the Markdown page ``path`` is a notebook page: jupytext front matter with a Python kernel.

    mkdocs-jupyter's rule, ``jupytext.reads(text).metadata["kernelspec"]["language"] == "python"``, read from
    the front matter alone: jupytext takes a page's notebook metadata from the ``jupyter:`` section of its
    YAML header, and reading only that is a small part of reading (and validating) the whole notebook.
    """
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---") or "kernelspec" not in text[3:].split("\n---", 1)[0]:
        return False
    import yaml

    try:
        header = yaml.safe_load(text[3:].split("\n---", 1)[0])
    except yaml.YAMLError:
        return False
    jupyter = header.get("jupyter") if isinstance(header, dict) else None
    kernelspec = jupyter.get("kernelspec") if isinstance(jupyter, dict) else None
    return isinstance(kernelspec, dict) and kernelspec.get("language") == "python"


def chapters(config_file: Path) -> list[Path]:
    """The notebook pages of the site ``config_file`` describes, sorted."""
    return sorted(p.resolve() for p in docs_dir(config_file).rglob("*.md") if is_chapter(p))


def fingerprint(root: Path) -> str:
    """Hash of what every chapter's outputs depend on besides its code: package source, this file, versions."""
    digest = hashlib.sha256()
    package = root / "src" / "nnbook"
    files = [p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    digest.update(sys.version.encode())
    for name in VERSIONED:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=absent".encode())
    return digest.hexdigest()


def kernel_name(notebook) -> str:
    return (notebook.metadata.get("kernelspec") or {}).get("name") or "python3"


def chapter_key(notebook, fingerprinted: str) -> str:
    """The store key of a chapter (a jupytext notebook): its code cells, its kernel and ``fingerprinted``."""
    digest = hashlib.sha256(f"{fingerprinted} kernel={kernel_name(notebook)}".encode())
    for cell in notebook.cells:
        if cell.cell_type == "code":
            digest.update(b"\0cell\0" + cell.source.encode())
            digest.update(json.dumps(cell.metadata, sort_keys=True).encode())
    return digest.hexdigest()[:32]


# --- executing -----------------------------------------------------------------------------------------


def jobs() -> int:
    """Kernels at once: ``$NNBOOK_JOBS``, else one per core this process may use."""
    if os.environ.get("NNBOOK_JOBS"):
        return max(1, int(os.environ["NNBOOK_JOBS"]))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cell_timeout() -> int:
    return int(os.environ.get("NNBOOK_CELL_TIMEOUT") or DEFAULT_TIMEOUT)


def _watch_parent(parent: int) -> None:
    """In a worker: exit as soon as the process that started it is gone (killed), so its kernel exits too."""

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def execute_one(source: str, target: str, root: str, timeout: int) -> str:
    """In a worker process: execute chapter ``source`` in a new kernel and store it at ``target``.

    Returns "" when done, else a one-paragraph message naming the chapter and the cell.
    """
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    from nbformat import writes
    from nbformat.v4 import new_code_cell
    from traitlets.config import Config

    name = Path(source).relative_to(root).as_posix()
    notebook = jupytext.read(source)
    notebook.cells.append(new_code_cell(PROBE))
    sockets = Path(root) / KERNELS / str(os.getpid())
    config = Config()
    # The connection file beside the sockets (by default it goes to the system's temporary folder,
    # where a killed build would leave it).
    config.KernelManager.connection_file = str(sockets / f"kernel-{uuid.uuid4().hex[:8]}.json")
    if os.name == "posix" and len(str(sockets)) < 80:
        # Unix sockets instead of TCP ports: no port opened, and no warning from the kernel about it.
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(sockets / "k")
    env = dict(os.environ, **kernel_variables(sockets), JUPYTER_RUNTIME_DIR=str(sockets))
    running = []  # the cell being executed, recorded by nbclient's documented on_cell_execute hook
    client = NotebookClient(
        notebook,
        kernel_name=kernel_name(notebook),
        timeout=timeout,
        allow_errors=False,
        resources={"metadata": {"path": str(Path(source).parent)}},
        config=config,
        # The kernel is killed once the last cell is done, not asked to exit: its graceful exit (IPython's
        # history, atexit handlers of torch and matplotlib) costs about 0.7 CPU s per chapter and stores nothing.
        shutdown_kernel="immediate",
        on_cell_execute=lambda cell, cell_index: running.append(cell),
    )
    started, cpu = time.perf_counter(), time.process_time()
    try:
        client.execute(env=env)
    except CellTimeoutError:
        index, cell = _running_cell(notebook, running[-1])
        return f"{name}: code cell {index} ran longer than the time-out of {timeout} s:\n{cell}"
    except CellExecutionError as error:
        index, _ = _running_cell(notebook, running[-1])
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # IPython colours its tracebacks
        return f"{name}: code cell {index} raised:\n{plain}"
    probe = notebook.cells.pop()
    printed = "".join(o.get("text", "") for o in probe.outputs if o.get("output_type") == "stream")
    environment = json.loads(printed)
    notebook.metadata["nnbook"] = {
        "execution_id": uuid.uuid4().hex,
        "source": Path(source).name,
        "execution_seconds": round(time.perf_counter() - started, 3),
        "cpu_seconds": environment.pop("cpu_seconds"),
        "driver_cpu_seconds": round(time.process_time() - cpu, 3),
        "environment": environment,
    }
    write_atomic(Path(target), writes(notebook).encode())
    return ""


def _running_cell(notebook, cell) -> tuple[int, str]:
    """The 1-based number of ``cell`` among the code cells of ``notebook``, and its source."""
    code = [c for c in notebook.cells if c.cell_type == "code"]
    return next(i for i, c in enumerate(code, 1) if c is cell), cell.source


def _worker(root: str, timeout: int, parent: int, connection) -> None:
    """A worker process: execute the chapters it is sent, one at a time (:func:`execute_one`), and send back
    each one's message ("" when done); ``None`` ends it. One worker serves several chapters, so that the
    imports of nbclient and jupytext are paid once per worker, not once per chapter."""
    _watch_parent(parent)
    sockets = Path(root) / KERNELS / str(os.getpid())
    try:
        while (task := connection.recv()) is not None:
            source, target = task
            try:
                sockets.mkdir(parents=True, exist_ok=True)
                message = execute_one(source, target, root, timeout)
            except Exception as error:  # reported by the build, which names the chapter
                # Not a cell's error (those are caught in execute_one) but the executor's own: its
                # traceback is what a maintainer needs, so it goes with the message.
                message = f"{Path(source).name}: {type(error).__name__}: {error}\n{traceback.format_exc()}"
            connection.send(message)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)


def _sweep_kernel_folders(root: Path) -> None:
    """Remove the kernel folders of workers that are gone (a build that was killed)."""
    folder = root / KERNELS
    if not folder.is_dir():
        return
    for sub in folder.iterdir():
        alive = sub.name.isdigit() and _alive(int(sub.name))
        if not alive:
            shutil.rmtree(sub, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def execute(missing: dict[Path, Path], root: Path, timeout: int | None = None) -> None:
    """Execute each chapter of ``missing`` ({source: store path}) in parallel; raise on the first failure."""
    if not missing:
        return
    timeout = timeout or cell_timeout()
    _sweep_kernel_folders(root)
    # Larger chapters first, so that no long one is left running alone at the end.
    order = sorted(missing, key=lambda s: -s.stat().st_size)
    context = multiprocessing.get_context("spawn")  # a clean process: nothing of mkdocs' threads is copied
    started, width = time.perf_counter(), min(jobs(), len(order))
    log.info(f"executing {len(order)} chapter(s), {width} at a time")
    pending, workers = list(order), {}  # workers: {process: (its end of the pipe, the chapter it runs or None)}
    try:
        for _ in range(width):
            connection, theirs = context.Pipe()
            worker = context.Process(target=_worker, args=(str(root), timeout, os.getpid(), theirs), name="nnbook")
            worker.start()
            theirs.close()
            workers[worker] = (connection, None)
        while pending or any(source for _, source in workers.values()):
            for worker, (connection, source) in workers.items():
                if source is None and pending:
                    source = pending.pop(0)
                    connection.send((str(source), str(missing[source])))
                    workers[worker] = (connection, source)
            busy = [connection for connection, source in workers.values() if source is not None]
            multiprocessing.connection.wait(busy)
            for worker, (connection, source) in workers.items():
                if source is None or not connection.poll():
                    continue
                try:
                    message = connection.recv()
                except EOFError:  # the worker died without a word (killed, out of memory)
                    worker.join()
                    message = f"{source.name}: the worker executing it exited with status {worker.exitcode}"
                if message:
                    raise ExecutionError(message)
                workers[worker] = (connection, None)
        for connection, _ in workers.values():
            connection.send(None)
        for worker in workers:
            worker.join()
    except BaseException:
        # A failure or Ctrl-C: the workers are killed, and their kernels exit with them
        # (ipykernel watches the process that started it).
        for worker in workers:
            worker.kill()
        for worker in workers:
            worker.join()
        raise
    finally:
        _sweep_kernel_folders(root)
    log.info(f"executed {len(order)} chapter(s) in {time.perf_counter() - started:.1f} s")


# --- the pages mkdocs renders --------------------------------------------------------------------------


def attach_outputs(notebook, executed):
    """``notebook`` (the chapter's current text) with the outputs of ``executed``, code cell by code cell."""
    import nbformat

    page = nbformat.from_dict(notebook)  # a copy: the caller's stays as it was
    ran = [c for c in executed.cells if c.cell_type == "code"]
    code = [c for c in page.cells if c.cell_type == "code"]
    if [c.source for c in ran] != [c.source for c in code]:
        raise ValueError("the stored execution's code cells differ from the chapter's")
    for cell, done in zip(code, ran, strict=True):
        cell.outputs = done.outputs
        cell.execution_count = done.execution_count
    for index, cell in enumerate(page.cells):
        cell["id"] = f"cell-{index}"  # jupytext gives new random ids at every read: the same page, the same bytes
    page.metadata["nnbook"] = executed.metadata["nnbook"]
    page.metadata.pop("jupytext", None)
    return page


def prepare(config_file: Path, sources: list[Path] | None = None, timeout: int | None = None) -> dict[Path, Path]:
    """Execute what is not stored, then write each chapter's page: {chapter source: page .ipynb}.

    ``sources``: the chapters (default: :func:`chapters`). Raises :class:`ExecutionError` or
    :class:`CacheError` with a message for the user.
    """
    import jupytext
    import nbformat

    root = Path(config_file).resolve().parent
    sources = chapters(Path(config_file)) if sources is None else [Path(s).resolve() for s in sources]
    fingerprinted = fingerprint(root)
    texts = {source: jupytext.read(source) for source in sources}
    stored = {source: root / STORE / f"{chapter_key(texts[source], fingerprinted)}.ipynb" for source in sources}
    executed = {}
    missing = {}
    for source in sources:
        notebook = read_notebook(stored[source])
        if notebook is None:
            missing[source] = stored[source]
        else:
            executed[source] = notebook
    execute(missing, root, timeout)
    for source in missing:
        executed[source] = read_notebook(stored[source])
        if executed[source] is None:
            raise CacheError(f"the execution of {source.name} was not stored at {stored[source]}")
    pages = {}
    for source in sources:
        data = nbformat.writes(attach_outputs(texts[source], executed[source])).encode()
        page = root / PAGES / hashlib.sha256(data).hexdigest()[:20] / f"{source.stem}.ipynb"
        if not page.is_file() or page.read_bytes() != data:
            write_atomic(page, data)
        else:
            os.utime(page)
        pages[source] = page
    prune(root)
    return pages


@contextlib.contextmanager
def build_lock(root: Path):
    """Hold the checkout's build lock (``.cache/build.lock``): one build of a checkout at a time."""
    path = root / LOCK
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115  (closed by the with block below)
    except OSError as error:
        raise CacheError(f"cannot write to {path.parent}: {error.strerror or error}") from None
    with handle:
        try:
            import fcntl
        except ImportError:  # Windows: no lock; writes are still atomic
            yield
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another build of this checkout ({path})", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    parser.add_argument("--jobs", type=int, help="kernels at once (default: one per core)")
    parser.add_argument("--timeout", type=int, help=f"seconds a cell may run (default {DEFAULT_TIMEOUT})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="INFO    -  %(message)s")
    if args.jobs:
        os.environ["NNBOOK_JOBS"] = str(args.jobs)
    config_file = args.config_file.resolve()
    try:
        with build_lock(config_file.parent):
            prepare(config_file, timeout=args.timeout)
    except (ExecutionError, CacheError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
