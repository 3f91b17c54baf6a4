"""Kernels forked from a template process (hooks/kernel_fork.py): same outputs, same failures, nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hooks"))
sys.path.insert(0, str(ROOT / "tools"))
import kernel_env  # noqa: E402
import kernel_fork  # noqa: E402

pytestmark = pytest.mark.skipif(not kernel_fork.supported(), reason="kernels are forked on Linux and macOS only")

# Seeded computation, a figure, and what a new process draws from the OS (unseeded generators, pids).
NOTEBOOK = [
    "import os, random\nimport torch\nimport matplotlib.pyplot as plt\n"
    "print('unseeded', torch.rand(1).item(), random.random(), os.getpid(), os.getppid())",
    "torch.manual_seed(0)\nx = torch.randn(4, 3)\nlayer = torch.nn.Linear(3, 2)\n"
    "print(x.sum().item(), layer(x).detach().numpy().round(4))\n"
    "torch.optim.SGD(layer.parameters(), lr=0.1).step()  # imports torch._dynamo, which sets a variable",
    "plt.plot(x[:, 0], x[:, 1]); plt.show()",
    "print(os.getcwd(), os.environ['OMP_NUM_THREADS'], torch.get_num_threads(), 'torch' in dir(),"
    " os.environ.get('JPY_PARENT_PID'), 'TORCHINDUCTOR_CACHE_DIR' in os.environ)",
]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    variables = dict(os.environ, **kernel_env.kernel_variables(tmp_path_factory.mktemp("mpl")))
    variables.pop("PYTEST_CURRENT_TEST", None)  # pytest changes it for every test; a kernel does not read it
    return variables


@pytest.fixture(scope="module")
def sockets():
    with tempfile.TemporaryDirectory(prefix="nnbook-fork-test-") as folder:  # short: a socket path has ~100 bytes
        yield folder


@pytest.fixture(scope="module")
def server(env, sockets):
    with kernel_fork.ForkServer(os.path.join(sockets, "fork"), env=env, cwd=str(ROOT)) as running:
        assert running.running, running.error
        yield running
    assert not os.path.exists(running.socket_path)


def run(cells, env, sockets, socket_path=None, work=ROOT, name="k"):
    """Execute ``cells`` in a kernel from ``socket_path``'s server (the usual kernel without one).

    Returns (notebook, the kernel process jupyter_client started)."""
    import nbclient
    from jupyter_client.manager import KernelManager
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = new_notebook(cells=[new_code_cell(code) for code in cells])
    manager = kernel_fork.manager_class(KernelManager, socket_path)(
        transport="ipc", ip=os.path.join(sockets, name), kernel_name="python3"
    )
    try:
        nbclient.NotebookClient(notebook, km=manager, timeout=300, resources={"metadata": {"path": str(work)}}).execute(
            env=env
        )
        return notebook, manager.provisioner.process.pid
    finally:
        if manager.has_kernel:
            manager.shutdown_kernel()


def printed(cell) -> str:
    return "".join(output.get("text", "") for output in cell.outputs if output.get("output_type") == "stream")


def gone(pid: int, wait: float = 30.0) -> bool:
    """Whether process ``pid`` has exited (or is a zombie nobody waits for), waiting up to ``wait`` s for it."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        except OSError:
            os.kill(pid, 0)  # no /proc (macOS): raises once the process is gone
        time.sleep(0.1)
    return False


def test_a_forked_kernel_gives_the_outputs_of_a_usual_kernel(server, env, sockets, tmp_path):
    import check_reproducible

    forked, forked_client = run(NOTEBOOK, env, sockets, server.socket_path, work=tmp_path, name="a")
    usual, usual_kernel = run(NOTEBOOK, env, sockets, None, work=tmp_path, name="b")
    # Forked: the kernel is a child of the template, not the process jupyter_client started.
    *_, pid, ppid = printed(forked.cells[0]).split()
    assert int(ppid) == server.process.pid and int(pid) != forked_client
    *_, pid, ppid = printed(usual.cells[0]).split()
    assert int(pid) == usual_kernel and int(ppid) == os.getpid()
    # Same outputs, the figure included, in the folder asked for, with the kernels' thread count.
    assert check_reproducible.cell_outputs(forked)[1:] == check_reproducible.cell_outputs(usual)[1:]
    assert "image/png" in forked.cells[2].outputs[0]["data"]
    # The environment is the one asked for, jupyter_client's variables included, with what the template's
    # imports set in it (the usual kernel's optimizer imported the same and set the same).
    assert printed(forked.cells[3]) == f"{tmp_path} 1 1 True {os.getpid()} True\n"
    # What a new process draws from the OS (torch's and Python's unseeded generators) is not shared
    # between kernels forked from one template.
    again, _ = run(NOTEBOOK, env, sockets, server.socket_path, work=tmp_path, name="c")
    first, second = printed(forked.cells[0]).split()[1:3], printed(again.cells[0]).split()[1:3]
    assert first[0] != second[0] and first[1] != second[1], (first, second)


def test_a_cell_that_raises_still_fails_the_execution(server, env, sockets):
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        run(["print('before')", "1 / 0", "print('never')"], env, sockets, server.socket_path)


def test_a_forked_kernel_starts_with_an_empty_namespace(server, env, sockets):
    """The template imported torch (and froze what it imported, out of the garbage collector's reach),
    but a notebook that forgets ``import torch`` still fails."""
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError, match="name 'torch' is not defined"):
        run(
            [
                "import gc, sys\nassert 'torch' in sys.modules, 'not forked'\n"
                "assert gc.get_freeze_count(), 'not frozen'",
                "torch.zeros(1)",
            ],
            env,
            sockets,
            server.socket_path,
        )


def test_the_usual_kernel_starts_when_the_server_is_missing_or_refuses(server, env, sockets, tmp_path):
    code = ["import os, sys\nprint(os.getpid(), os.getppid(), 'torch' in sys.modules)"]
    # No server at that path: the client becomes the usual kernel (same process, a child of this one).
    notebook, client = run(code, env, sockets, str(tmp_path / "no-server"), name="d")
    assert printed(notebook.cells[0]).split() == [str(client), str(os.getpid()), "False"]
    # A variable read at import time differs from the template's: the server refuses, the usual kernel runs.
    notebook, client = run(code, dict(env, OMP_NUM_THREADS="2"), sockets, server.socket_path, name="e")
    assert printed(notebook.cells[0]).split() == [str(client), str(os.getpid()), "False"]
    # The same request with the template's environment is forked.
    notebook, client = run(code, env, sockets, server.socket_path, name="f")
    assert printed(notebook.cells[0]).split()[1:] == [str(server.process.pid), "True"]


def test_no_fork_server_where_a_figure_backend_was_loaded_before_the_kernel(env, sockets, tmp_path):
    """A kernel picks its figures' backend (the inline one) when it starts; a template in which one was
    already loaded (here by a sitecustomize module) serves nothing, and every kernel starts the usual way."""
    (tmp_path / "sitecustomize.py").write_text("import matplotlib.backends.backend_agg\n")
    started = subprocess.run(
        [sys.executable, kernel_fork.__file__, "serve", os.path.join(sockets, "backend")],
        env=dict(env, PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))),
        input=b"",
        capture_output=True,
        timeout=120,
    )
    assert started.returncode == 1 and started.stdout == b"", started
    assert b"a backend was loaded before the kernel chose one: ['matplotlib.backends.backend_agg']" in started.stderr


def test_a_forked_kernel_lets_its_control_thread_finish_before_the_exit_closes_iopub():
    """The control thread finishes what its loop is running (ipykernel's shutdown request ends by
    publishing through IOPub), and has stopped, before the app's exit closes IOPub."""
    import threading

    from ipykernel.control import ControlThread

    control = ControlThread(daemon=True)
    control.start()
    finished = []
    running = threading.Event()

    def last_step():  # what the shutdown request still does when the kernel's main loop has stopped
        running.set()
        time.sleep(0.2)
        finished.append(True)

    control.io_loop.add_callback(last_step)
    assert running.wait(30)

    class App:
        @staticmethod
        def initialized():
            return True

        @staticmethod
        def instance():
            return type("Kernel", (), {"control_thread": control})()

    kernel_fork._stop_control_thread(App)
    assert finished == [True] and not control.is_alive()


def test_no_fork_server_where_the_platform_cannot_fork(monkeypatch, sockets, env):
    from jupyter_client.manager import KernelManager

    monkeypatch.setattr(kernel_fork, "supported", lambda: False)
    server = kernel_fork.ForkServer(os.path.join(sockets, "never"), env=env)
    assert not server.start() and not server.running and server.error
    assert kernel_fork.manager_class(KernelManager, server.socket_path) is KernelManager


# What a template that only forks kernels needs: the tests of processes started and stopped use it
# (the template of every other test imports what chapters import, kernel_fork.PRELOAD, seconds more).
KERNEL_ONLY = ("ipykernel.kernelapp", "ipykernel.ipkernel", "IPython")


def test_no_process_is_left_behind(env, sockets, tmp_path):
    """After a shutdown, after the client is killed, and after the server is stopped."""
    from jupyter_client.manager import KernelManager

    with kernel_fork.ForkServer(os.path.join(sockets, "own"), env=env, preload=KERNEL_ONLY) as server:
        assert server.running, server.error

        def start(name: str):
            """A new kernel that has started a child process of its own: (manager, client, kernel, child pids)."""
            manager = kernel_fork.manager_class(KernelManager, server.socket_path)(
                transport="ipc", ip=os.path.join(sockets, name), kernel_name="python3"
            )
            # On a shutdown request ipykernel terminates the kernel's children and waits until none is
            # left; the terminated `sleep` stays a zombie (the kernel never reaps it), so the kernel waits
            # on until jupyter_client sends it SIGTERM, after half of shutdown_wait_time: 2.5 s idle by
            # default, 0.25 s here. The same path either way.
            manager.shutdown_wait_time = 0.5
            manager.start_kernel(env=env)
            client = manager.client()
            client.start_channels()
            seen: list[str] = []
            try:
                client.wait_for_ready(timeout=120)
                reply = client.execute_interactive(
                    "import os, subprocess\nchild = subprocess.Popen(['sleep', '600'])\nprint(os.getpid(), child.pid)",
                    timeout=60,
                    output_hook=lambda message: seen.append(message["content"].get("text", "")),
                )
            finally:
                client.stop_channels()
            assert reply["content"]["status"] == "ok"
            kernel, child = map(int, "".join(seen).split())
            assert kernel != manager.provisioner.process.pid  # forked, not the usual kernel
            return manager, manager.provisioner.process.pid, kernel, child

        manager, client, kernel, child = start("g")
        manager.shutdown_kernel()
        assert gone(client) and gone(kernel) and gone(child)

        manager, client, kernel, child = start("h")
        os.kill(client, signal.SIGKILL)  # as jupyter_client does when a kernel will not stop
        assert gone(kernel) and gone(child)
        manager.cleanup_resources()

        manager, client, kernel, child = start("i")
        template = server.process.pid
    # Stopping the server stops its kernels and whatever they started; the client then exits.
    assert gone(template) and gone(kernel) and gone(child)
    assert gone(client)
    manager.shutdown_kernel(now=True)
    manager.cleanup_resources()


def test_the_server_stops_when_the_process_that_started_it_dies(env, sockets):
    code = (
        "import os, sys, time\n"
        f"sys.path.insert(0, {str(ROOT / 'hooks')!r})\n"
        "import kernel_fork\n"
        f"server = kernel_fork.ForkServer({os.path.join(sockets, 'orphan')!r}, preload={KERNEL_ONLY!r})\n"
        "assert server.start(), server.error\n"
        "print(server.process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    template = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    parent.stdout.close()
    assert gone(template)
