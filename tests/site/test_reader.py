"""What a reader does: install nnbook from the built site and run every downloaded notebook.

The reader's environment is a fresh virtual environment outside the repository
that holds torch (the pinned build) and a Jupyter kernel, and nothing of the
book: no editable install, no ``src/`` on the path, no NumPy, no matplotlib.
Copying torch (about 1 GB) into every test run would take a minute, so its
files, and the kernel's, are linked from this environment into a folder of
their own that a ``.pth`` file puts on the new environment's path. Only the
distributions that torch, ipykernel and pip require are linked, which the test
checks; NumPy, matplotlib and nnbook itself come from pip resolving the wheel
that the site serves.

The site is served on 127.0.0.1. The notebooks come from the site's pages
(each the same file as in the site's archive) and their install cell, whose
address names the deployed site, is pointed at that local server: the first
notebook installs nnbook with it, as a reader's would, and the rest find nnbook
importable and skip it. The install command of the home page is checked to be
the same command.

The environment and the first notebook (the install) are made once per run
(``reader`` below); each of the other notebooks is a test of its own. Under
pytest-xdist these tests all run in one test process (their ``xdist_group``):
the install takes a while, and a second process that needed the environment
would only wait for it, where now it runs other tests meanwhile. Each notebook's
execution must reproduce the build's, cell by cell: that one execution stands
in for a second build.

"""

from __future__ import annotations

import copy
import functools
import html
import http.server
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import venv
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.request import urlopen

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from site_helpers import ROOT, SITE_URL, notebook_pages

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reader")]

# What the reader's Jupyter needs to run a notebook, besides the kernel: pip, for %pip.
KERNEL = ("ipykernel", "pip")
BOOK_ONLY = {"nnbook", "numpy", "matplotlib"}
VERSION = metadata.version("nnbook")


def requirement_closure(names: tuple[str, ...]) -> set[str]:
    """The installed distributions that ``names`` need, themselves included, following their markers."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.distribution(name).requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def link_distributions(names: set[str], folder: Path) -> None:
    """Symlink the top-level files and folders of each distribution into ``folder``."""
    folder.mkdir()
    for name in names:
        dist = metadata.distribution(name)
        for top in {Path(f).parts[0] for f in dist.files or []}:
            if top in ("..", "__pycache__") or (folder / top).exists():
                continue
            (folder / top).symlink_to(dist.locate_file(top))


def reader_environment(tmp: Path) -> Path:
    """A new virtual environment with torch and a kernel on its path; returns its python."""
    base = tmp / "torch-and-kernel"
    linked = requirement_closure(("torch", *KERNEL))
    assert not linked & BOOK_ONLY, f"torch or the kernel would bring {linked & BOOK_ONLY} along"
    link_distributions(linked, base)
    env_dir = tmp / "reader-venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "reader-base.pth").write_text(f"{base}\n")
    return python


@pytest.fixture(scope="session")
def served(site, tmp_path_factory):
    """The built site on http://127.0.0.1:<port>/<path of site_url>, as the deployed site would be."""
    root = tmp_path_factory.mktemp("served")
    path = re.sub(r"^https?://[^/]+", "", SITE_URL).strip("/")
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).symlink_to(site, target_is_directory=True)
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{path}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def home_page_command(site: Path) -> str:
    """The install command on the built home page, as a reader would copy it."""
    blocks = [
        html.unescape(re.sub(r"<[^>]+>", "", b))
        for b in re.findall(r"<code>(.*?)</code>", (site / "index.html").read_text(), re.DOTALL)
    ]
    commands = [
        line.removeprefix("$ ").strip()
        for b in blocks
        for line in b.splitlines()
        if "pip install" in line and ".whl" in line
    ]
    assert len(commands) == 1, commands
    return commands[0]


READER_PAGES = notebook_pages()
# Removed from the reader's environment: the suite's own settings, which a reader does not have.
NOT_THE_READERS = ("PYTHONPATH", "MPLBACKEND", "VIRTUAL_ENV")


@dataclass
class Reader:
    """The reader's environment, made once per run and shared by every test process."""

    python: Path  # the reader's virtual environment's python
    work: Path  # the reader's download folder, outside the repository
    folder: Path  # where the environment lives
    first: str  # the notebook that installed nnbook
    first_executed: Path  # that notebook, as the reader's kernel left it


def reader_settings(mp: pytest.MonkeyPatch, folder: Path) -> None:
    """The environment variables the reader's kernels and their %pip see."""
    for variable in NOT_THE_READERS:
        mp.delenv(variable, raising=False)
    # The build's kernels get their environment from tools/execute_chapters.py: figures on a
    # transparent background (they suit both colour schemes) and one computing thread. The
    # reader's kernel gets the same variables, so that its outputs can be compared with the
    # build's digit for digit and its figures pixel for pixel.
    sys.path.insert(0, str(ROOT / "tools"))
    import execute_chapters

    for variable, value in execute_chapters.kernel_variables(folder / "matplotlib").items():
        mp.setenv(variable, value)
    # The book's pins, so pip resolves the same NumPy and matplotlib as the book (from its cache).
    mp.setenv("PIP_CONSTRAINT", str(ROOT / "requirements" / "constraints.txt"))
    mp.setenv("PIP_NO_COMPILE", "1")


def download(served: str, source: Path):
    """The page of ``source`` and its downloaded notebook, fetched from the served site."""
    import nbformat

    page = f"{source.parent.name}/{source.stem}/"
    html_text = urlopen(served + page).read().decode()
    data = urlopen(f"{served}{page}{source.stem}.ipynb").read()
    return html_text, data, nbformat.reads(data.decode(), as_version=4)


def reader_kernel_environment() -> dict[str, str]:
    """The environment of the reader's kernels: this process's (see :func:`reader_settings`), less pytest's
    per-test variable, which a reader does not have."""
    return {name: value for name, value in os.environ.items() if name != "PYTEST_CURRENT_TEST"}


def execute(notebook, python: Path, work: Path) -> None:
    """Run ``notebook`` top to bottom in a kernel started by the reader's python, in ``work``."""
    import nbclient
    from jupyter_client.manager import KernelManager

    env = reader_kernel_environment()
    # The kernel's sockets are files; a Unix socket's path may not pass 107 bytes, which a
    # folder under pytest's temporary root can, so they live in a short folder of their own.
    with tempfile.TemporaryDirectory(prefix="nnbook-kernel-") as sockets:
        kernel = KernelManager(transport="ipc", ip=os.path.join(sockets, "k"))
        kernel.kernel_spec.argv[0] = str(python)  # the reader's python runs the kernel
        try:
            nbclient.NotebookClient(
                notebook, km=kernel, timeout=600, resources={"metadata": {"path": str(work)}}
            ).execute(env=env)
        finally:
            if kernel.has_kernel:
                kernel.shutdown_kernel()


def install_printed(notebook) -> str:
    """What the download's install cell (its first code cell) printed."""
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    return "".join(output.get("text", "") for output in first.outputs)


def point_at(notebook, served: str) -> None:
    """Point the install cell at the local server instead of the deployed site."""
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    first.source = first.source.replace(SITE_URL, served)


@pytest.fixture(scope="session")
def reader(site, served, tmp_path_factory) -> Reader:
    """The reader's environment, with nnbook installed by the first notebook as a reader would install it.

    Under pytest-xdist the first process to ask makes it, under a lock, in a folder
    the processes share; the others wait and reuse it.
    """
    import nbformat
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, record = shared / "reader", shared / "reader.json"
    with FileLock(str(shared / "reader.lock")):
        if not record.is_file():
            folder.mkdir()
            python = reader_environment(folder)
            work = folder / "downloads"  # outside the repository, like a reader's download folder
            work.mkdir()
            first = READER_PAGES[0]
            _, _, notebook = download(served, first)
            point_at(notebook, served)
            with pytest.MonkeyPatch.context() as mp:
                reader_settings(mp, folder)
                probe = "import importlib.util as u; print(u.find_spec('nnbook'), u.find_spec('numpy'))"
                before = subprocess.run([python, "-c", probe], capture_output=True, text=True, cwd=work).stdout
                assert before.split() == ["None", "None"], f"the new environment already has nnbook or NumPy: {before}"
                execute(notebook, python, work)
            nbformat.write(notebook, folder / f"{first.stem}.executed.ipynb")
            record.write_text(json.dumps({"python": str(python), "work": str(work), "first": first.stem}))
        made = json.loads(record.read_text())
    return Reader(
        Path(made["python"]),
        Path(made["work"]),
        folder,
        made["first"],
        folder / f"{made['first']}.executed.ipynb",
    )


def build_execution(source: Path):
    """The execution of ``source`` that the build rendered (from the execution step's store)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import check_reproducible

    return check_reproducible, check_reproducible.build_execution(source)


@pytest.mark.parametrize("source", READER_PAGES, ids=lambda p: p.stem)
def test_downloaded_notebook_runs_for_a_reader(site, served, reader, source, tmp_path, monkeypatch):
    import nbformat

    page, data, notebook = download(served, source)
    assert f'href="{source.stem}.ipynb" download' in page
    # The archive, fetched from the served site, holds the same file as the page's link.
    archive = zipfile.ZipFile(io.BytesIO(urlopen(served + "downloads/nnbook-notebooks.zip").read()))
    assert archive.read(f"nnbook/{source.stem}.ipynb") == data

    # The download's first code cell is the guarded install, with the home page's
    # command; the page does not show it. The other code cells are the page's, and
    # they carry outputs exactly where the page shows outputs.
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert 'if importlib.util.find_spec("nnbook") is None:' in code[0].source
    assert f"    %{home_page_command(site)}\n" in code[0].source, code[0].source
    assert "find_spec" not in page
    wrappers = re.findall(r'<div class="jp-Cell jp-CodeCell([^"]*)">', page)
    on_page = ["jp-mod-noOutputs" not in classes for classes in wrappers]
    assert [bool(cell.outputs) for cell in code[1:]] == on_page
    assert any(on_page)

    if source.stem == reader.first:
        # Executed by the fixture: it found nnbook missing and installed it from the served wheel.
        notebook = nbformat.read(reader.first_executed, as_version=4)
        assert "Successfully installed" in install_printed(notebook), install_printed(notebook)
        assert f"nnbook-{VERSION}" in install_printed(notebook), install_printed(notebook)
    else:
        point_at(notebook, served)
        reader_settings(monkeypatch, reader.folder)
        execute(notebook, reader.python, reader.work)
        assert install_printed(notebook) == "", "the install cell ran although nnbook was installed"

    # The reader's execution reproduces the build's, cell by cell (cells that measure time
    # excepted): the seeds and the pinned versions make the book reproducible, so this one
    # execution stands in for a second build.
    check_reproducible, built = build_execution(source)
    fresh = copy.deepcopy(notebook)
    fresh.cells.remove(next(cell for cell in fresh.cells if cell.cell_type == "code"))  # only the download has it
    differences = check_reproducible.compare_notebooks(source.stem, built, fresh)
    assert differences == [], "\n".join(differences)


def test_the_reader_runs_nnbook_and_numpy_from_their_own_environment(reader, monkeypatch):
    """After the install, nnbook and NumPy come from the reader's environment, not from this repository."""
    reader_settings(monkeypatch, reader.folder)
    where = subprocess.run(
        [reader.python, "-c", "import nnbook, numpy; print(nnbook.__file__, numpy.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=reader.work,
    ).stdout
    assert where.count(str(reader.folder / "reader-venv")) == 2 and str(ROOT) not in where, where
