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

The site is served on 127.0.0.1. The notebooks come from the site's archive
and their install cell, whose address names the deployed site, is pointed at
that local server: the first notebook installs nnbook with it, as a reader's
would, and the rest find nnbook importable and skip it. The install command
of the home page is checked to be the same command.
"""

from __future__ import annotations

import copy
import functools
import html
import http.server
import io
import re
import subprocess
import sys
import threading
import time
import venv
import zipfile
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from urllib.request import urlopen

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from site_helpers import ROOT, notebook_pages

pytestmark = pytest.mark.slow

SITE_URL = re.search(r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE).group(1)
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


@pytest.fixture(scope="module")
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


def test_every_downloaded_notebook_runs_for_a_reader(site, served, tmp_path, monkeypatch):
    import nbclient
    import nbformat
    from jupyter_client.manager import KernelManager

    started = time.perf_counter()
    # The archive, fetched from the served site, holds the same notebooks as each page's link.
    archive = zipfile.ZipFile(io.BytesIO(urlopen(served + "downloads/nnbook-notebooks.zip").read()))
    notebooks, pages = {}, {}
    for source in notebook_pages():
        page = f"{source.parent.name}/{source.stem}/"
        pages[source.stem] = urlopen(served + page).read().decode()
        assert f'href="{source.stem}.ipynb" download' in pages[source.stem]
        data = urlopen(f"{served}{page}{source.stem}.ipynb").read()
        assert archive.read(f"nnbook/{source.stem}.ipynb") == data
        notebooks[source.stem] = nbformat.reads(data.decode(), as_version=4)
    assert len(archive.namelist()) == len(notebooks)

    # Each download's first code cell is the guarded install, with the home page's
    # command; the page does not show it. The other code cells are the page's, and
    # they carry outputs exactly where the page shows outputs.
    command = home_page_command(site)
    install_cells = {}
    for name, notebook in notebooks.items():
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        install_cells[name] = code[0]
        assert 'if importlib.util.find_spec("nnbook") is None:' in code[0].source
        assert f"    %{command}\n" in code[0].source, code[0].source
        assert "find_spec" not in pages[name]
        wrappers = re.findall(r'<div class="jp-Cell jp-CodeCell([^"]*)">', pages[name])
        on_page = ["jp-mod-noOutputs" not in classes for classes in wrappers]
        assert [bool(cell.outputs) for cell in code[1:]] == on_page, name
        assert any(on_page), name
        code[0].source = code[0].source.replace(SITE_URL, served)

    python = reader_environment(tmp_path)
    # Outside the repository, like a reader's download folder.
    work = tmp_path / "reader"
    work.mkdir()
    for variable in ("PYTHONPATH", "MPLBACKEND", "VIRTUAL_ENV"):
        monkeypatch.delenv(variable, raising=False)
    # The build's kernels get their environment from hooks/kernel_env.py: figures on a
    # transparent background (they suit both colour schemes) and one computing thread. The
    # reader's kernel gets the same variables, so that its outputs can be compared with the
    # build's digit for digit and its figures pixel for pixel.
    sys.path.insert(0, str(ROOT / "hooks"))
    import kernel_env

    for variable, value in kernel_env.kernel_variables(tmp_path / "matplotlib").items():
        monkeypatch.setenv(variable, value)
    # The book's pins, so pip resolves the same NumPy and matplotlib as the book (from its cache).
    monkeypatch.setenv("PIP_CONSTRAINT", str(ROOT / "requirements" / "constraints.txt"))
    monkeypatch.setenv("PIP_NO_COMPILE", "1")
    probe = [
        python,
        "-c",
        "import importlib.util as u; print(u.find_spec('nnbook'), u.find_spec('numpy'))",
    ]
    assert subprocess.run(probe, capture_output=True, text=True, cwd=work, check=False).stdout.split() == [
        "None",
        "None",
    ]

    def run(name: str) -> None:
        kernel = KernelManager(transport="ipc", ip=str(tmp_path / f"kernel-{name}"))
        kernel.kernel_spec.argv[0] = str(python)  # the reader's python runs the kernel
        try:
            nbclient.NotebookClient(
                notebooks[name],
                km=kernel,
                timeout=600,
                resources={"metadata": {"path": str(work)}},
            ).execute()
        finally:
            if kernel.has_kernel:
                kernel.shutdown_kernel()

    def printed(name: str) -> str:
        return "".join(output.get("text", "") for output in install_cells[name].outputs)

    # The first notebook finds nnbook missing and installs it; the others, run two at a
    # time (the machine has two cores), find it installed.
    first, *others = notebooks
    run(first)
    assert "Successfully installed" in printed(first), printed(first)
    assert f"nnbook-{VERSION}" in printed(first), printed(first)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run, others))
    for name in others:
        assert printed(name) == "", f"{name}'s install cell ran although nnbook was installed"

    # The reader's executions reproduce the build's, cell by cell (cells that measure time
    # excepted): the seeds and the pinned versions make the book reproducible, so this one
    # execution stands in for a second build.
    sys.path.insert(0, str(ROOT / "tools"))
    import check_reproducible

    cache = check_reproducible.notebook_cache()
    differences = []
    for source in notebook_pages():
        fresh = copy.deepcopy(notebooks[source.stem])
        code = [cell for cell in fresh.cells if cell.cell_type == "code"]
        fresh.cells.remove(code[0])  # the install cell, which only the download has
        differences += check_reproducible.compare_notebooks(source.stem, cache.executed_notebook(source), fresh)
    assert differences == [], "\n".join(differences)

    where = subprocess.run(
        [python, "-c", "import nnbook, numpy; print(nnbook.__file__, numpy.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=work,
    ).stdout
    assert where.count(str(tmp_path / "reader-venv")) == 2 and str(ROOT) not in where, where
    print(f"reader test: {len(notebooks)} notebooks in {time.perf_counter() - started:.1f} s")
