"""Start Jupyter kernels by forking a process that has already imported torch.

A kernel that executes a chapter starts a new Python, which spends about 2 CPU
seconds importing torch, ipykernel and their dependencies before it runs the
first cell; the build starts 13 of them, the reader test as many again. On
Linux and macOS a **kernel forkserver** pays that once:

- :class:`ForkServer` starts one *template* process (``python kernel_fork.py
  serve SOCKET``), run by the python the kernels would run, with exactly the
  environment the kernels get. It imports torch (and ``torch._dynamo``, which
  the first optimizer imports), NumPy, matplotlib and ``matplotlib.pyplot``
  (which loads no backend until the first figure: the kernel's own inline
  backend, as in a usual kernel) and ipykernel's modules, computes
  nothing, starts no thread, moves what it imported out of the garbage
  collector's reach (``gc.freeze``: the kernels' collections then leave the
  memory they share with it alone), and waits on a Unix socket. Each kernel gets the
  environment it asked for, plus what those imports set in it (as its own
  imports would have).
- :func:`manager_class` gives jupyter_client a kernel manager whose kernel
  command is ``python kernel_fork.py client SOCKET -- <the usual command>``. That
  small client sends the server the connection file (in the usual command), its
  working folder, environment and standard streams; the server forks, and the
  child starts ipykernel on that connection file in a fresh namespace, as
  ``python -m ipykernel_launcher`` would. The client forwards the signals it
  gets (interrupt, terminate) to the kernel's process group and exits with the
  kernel's exit status; if the client dies (jupyter_client kills it), the server
  kills the kernel and everything it started.
- **Fallbacks.** If the server cannot start, is gone, or is asked for a kernel whose
  command or environment differs from the template's (a variable read at import
  time could differ), the client turns into the usual kernel (``exec`` of the usual
  command); on Windows no server is started at all. Either way the notebook runs.

Fork-safety: the template computes nothing with torch (no thread pool exists
yet), touches no GPU and runs no thread; each child reseeds what a new process
would seed afresh (Python's ``random`` reseeds itself at fork; NumPy's global
generator is reseeded here). Hash randomisation (``PYTHONHASHSEED``) is the
template's, which is a fresh process's for the same environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys

# Variables jupyter_client sets for each kernel: they may differ from the template's (nothing reads them at import).
PER_KERNEL = ("JPY_PARENT_PID", "JPY_SESSION_NAME")
# Imported by the template (those that are installed). torch._dynamo is what a process's first torch.optim
# optimizer imports (824 modules, 0.7 to 0.8 CPU s here): most chapters make one. matplotlib.pyplot loads no
# backend when imported (its first figure does; the template checks), and most chapters import it.
PRELOAD = (
    "matplotlib",
    "matplotlib.pyplot",
    "numpy",
    "torch",
    "torch._dynamo",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "IPython",
)
_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")


def supported() -> bool:
    """Whether this platform can fork kernels (POSIX, with Unix sockets and descriptor passing)."""
    return os.name == "posix" and hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds")


# --- the build's or the test's side ------------------------------------------------------------------------


class ForkServer:
    """A template process that forks kernels, started with ``python`` and ``env``; a context manager.

    ``socket_path`` must be short (a Unix socket's path has at most about 100 bytes).
    :attr:`running` tells whether it started; when it did not (any failure, or on
    Windows), :func:`manager_class` still works and its kernels start the usual way.
    ``preload``: the modules the template imports (:data:`PRELOAD`, what chapters import).
    """

    def __init__(
        self,
        socket_path: str,
        python: str | None = None,
        env: dict | None = None,
        cwd: str | None = None,
        preload: tuple[str, ...] = PRELOAD,
    ):
        if any("," in name for name in preload):
            raise ValueError(f"preload must name modules, got {preload!r}")
        self.preload = tuple(preload)
        self.socket_path = os.fspath(socket_path)
        self.python = os.fspath(python or sys.executable)
        self.env = dict(os.environ if env is None else env)
        self.cwd = cwd
        self.process: subprocess.Popen | None = None
        self.error: str | None = None
        self._forked = 0

    @property
    def forked(self) -> int:
        """How many kernels the server has forked so far."""
        if self.process is not None and self.process.stdout is not None:
            os.set_blocking(self.process.stdout.fileno(), False)
            while line := self.process.stdout.readline():
                self._forked += line.startswith(b"forked ")
        return self._forked

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 120.0) -> bool:
        if not supported():
            self.error = "this platform cannot fork kernels"
            return False
        try:
            self.process = subprocess.Popen(
                [self.python, __file__, "serve", self.socket_path, ",".join(self.preload)],
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.PIPE,  # the server stops when this pipe closes (this process ended)
                stdout=subprocess.PIPE,
                start_new_session=True,
            )
            ready = self.process.stdout.readline()  # "ready" once the imports are done, or EOF if it failed
            if ready.strip() != b"ready":
                raise RuntimeError(f"the fork server did not start: {ready!r}")
            return True
        except Exception as error:
            self.error = str(error)
            self.stop()
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            process.terminate()  # the server kills its kernels first
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdin, process.stdout):
            if stream:
                stream.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


def client_command(command: list[str], socket_path: str) -> list[str]:
    """The kernel command that asks the server at ``socket_path`` for a kernel, else runs ``command``."""
    return [command[0], os.path.abspath(__file__), "client", os.fspath(socket_path), "--", *command]


def manager_class(base=None, socket_path: str | None = None):
    """A subclass of the kernel manager ``base`` (jupyter_client's ``AsyncKernelManager`` by default)
    whose kernels come from the fork server at ``socket_path``; ``base`` itself if ``socket_path`` is None."""
    if base is None:
        from jupyter_client.manager import AsyncKernelManager as base
    if socket_path is None or not supported():
        return base

    class ForkedKernelManager(base):
        def format_kernel_cmd(self, extra_arguments=None):
            return client_command(super().format_kernel_cmd(extra_arguments), socket_path)

    return ForkedKernelManager


# --- the client: the kernel process jupyter_client sees ----------------------------------------------------


def _usual_kernel(command: list[str]):
    """Become the usual kernel."""
    os.execv(command[0], command)


def _read_line(connection: socket.socket) -> bytes:
    """One line from ``connection``, read a byte at a time (nothing after it is consumed); b"" at EOF."""
    line = b""
    while not line.endswith(b"\n"):
        byte = connection.recv(1)
        if not byte:
            return b""
        line += byte
    return line


def client(socket_path: str, command: list[str]) -> int:
    try:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.connect(socket_path)
        request = {"command": command, "cwd": os.getcwd(), "env": dict(os.environ)}
        socket.send_fds(server, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
        reply = _read_line(server)
        answer = json.loads(reply) if reply else {"refused": "the fork server closed the connection"}
    except Exception as error:
        answer = {"refused": str(error)}
    if "pid" not in answer:
        if os.environ.get("NNBOOK_FORK_DEBUG"):
            print(f"kernel_fork: usual kernel ({answer['refused']})", file=sys.stderr, flush=True)
        _usual_kernel(command)
    kernel = answer["pid"]

    def forward(signum, frame):
        with contextlib.suppress(OSError):
            os.killpg(kernel, signum)

    for name in _SIGNALS:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), forward)
    status = _read_line(server)
    if not status:
        return 1  # the server went away
    code = json.loads(status)["exit"]
    if code < 0:  # killed by a signal: die the same way
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


# --- the server: the template process ----------------------------------------------------------------------


def _refusal(request: dict, usual_python: str, started: dict) -> str | None:
    """Why this request cannot be served by a fork of this template, or None.

    ``started`` is the environment the template was started with (before its imports)."""
    command = request["command"]
    if command[:3] != [usual_python, "-m", "ipykernel_launcher"] or "-f" not in command:
        return f"another kernel command: {command}"
    ours = {k: v for k, v in started.items() if k not in PER_KERNEL}
    theirs = {k: v for k, v in request["env"].items() if k not in PER_KERNEL}
    if ours != theirs:
        names = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
        return f"environment differs from the template's in {names}"
    return None


def _become_kernel(request: dict, fds: list[int], closing: list, imported: dict) -> None:
    """In the forked child: start ipykernel as ``python -m ipykernel_launcher <args>`` would. Never returns.

    ``imported``: the variables the template's imports set, which the kernel's own imports would have set."""
    code = 1
    try:
        for item in closing:
            item.close()
        os.setsid()  # its own process group, as jupyter_client starts a kernel: signals reach its children too
        for name in (*_SIGNALS, "SIGCHLD"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ.update(imported)
        os.chdir(request["cwd"])
        import importlib

        importlib.invalidate_caches()
        # What a new process seeds from the OS (Python's random module reseeds itself at fork).
        if "numpy.random" in sys.modules:
            sys.modules["numpy.random"].seed()
        if "torch" in sys.modules:
            sys.modules["torch"].seed()
        import ipykernel_launcher
        from ipykernel import kernelapp

        sys.argv = [ipykernel_launcher.__file__, *request["command"][3:]]
        # ipykernel read its parent's pid from the environment when the template imported it; say it again.
        sys.argv.append(f"--IPKernelApp.parent_handle={int(os.environ.get('JPY_PARENT_PID') or 0)}")

        try:
            kernelapp.launch_new_instance()
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
        _stop_control_thread(kernelapp.IPKernelApp)
        import atexit

        atexit._run_exitfuncs()  # what the interpreter does at exit (IPython's history, for instance)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _stop_control_thread(app_class) -> None:
    """Stop the kernel's control thread, and wait for it, before the exit closes the IOPub thread.

    At exit ipykernel's app (``IPKernelApp.close``) stops the IOPub thread, then waits for the
    control thread. That thread may still be finishing the shutdown request, whose last step
    publishes the kernel's "idle" status through IOPub and waits until it is sent: with IOPub
    stopped it waits until jupyter_client terminates the kernel, 2.5 s later by default (2 of
    30 kernels in one run of benchmarks/kernel_start.py; docs/benchmarks.md). Stopped
    here, first, it finishes that step while IOPub still runs; what the app does at exit is
    then unchanged.
    """
    if not app_class.initialized():
        return
    control = getattr(app_class.instance(), "control_thread", None)
    if control is not None and control.is_alive():
        control.stop()  # after what its loop is running, as close() would ask
        control.join(timeout=30)


def serve(socket_path: str, preload: tuple[str, ...] = PRELOAD) -> int:
    """The template: import ``preload``, then fork a kernel per request until told to stop."""
    import selectors

    del sys.path[0]  # this script's folder; ipykernel_launcher's path is the interpreter's own
    import importlib.util

    started = dict(os.environ)
    for name in preload:
        if name.startswith("matplotlib") and not os.environ.get("MPLBACKEND"):
            continue  # it would choose a backend before ipykernel sets MPLBACKEND for the inline one
        if importlib.util.find_spec(name.split(".")[0]) is not None:
            importlib.import_module(name)
        backends = [module for module in sys.modules if module.startswith("matplotlib.backends.backend_")]
        if backends:  # a kernel's figures would not go through the backend it asks for: serve nothing
            print(f"a backend was loaded before the kernel chose one: {backends}", file=sys.stderr, flush=True)
            return 1
    # Variables an import set (torch._dynamo sets TORCHINDUCTOR_CACHE_DIR to its default), as it would in a kernel.
    imported = {k: v for k, v in os.environ.items() if started.get(k) != v}
    # What the imports made is moved out of the garbage collector's reach: a kernel's collections would
    # otherwise visit every one of those objects, and the memory pages it shares with this process would
    # be copied for it (copy-on-write), about 0.1 to 0.3 CPU s per kernel (docs/benchmarks.md).
    import gc

    gc.collect()
    gc.freeze()
    import threading

    if threading.active_count() != 1:  # forking a process with threads is not safe: serve nothing
        print(f"threads after the imports: {threading.enumerate()}", file=sys.stderr, flush=True)
        return 1
    usual_python = sys.executable
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    listener.bind(socket_path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin, selectors.EVENT_READ, "parent")
    kernels: dict[int, socket.socket] = {}  # kernel pid: its client's connection
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt of the build reaches the kernels through their clients
    sys.stdout.write("ready\n")
    sys.stdout.flush()

    def kill(pid: int) -> None:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)

    try:
        while not stopping:
            # A short timeout: a kernel's exit is noticed (by the waitpid below) and reported to its client
            # within 50 ms, and so is a SIGTERM; the loop costs next to nothing.
            for key, _ in selector.select(timeout=0.05):
                if key.data == "accept":
                    connection, _ = listener.accept()
                    try:
                        message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
                        while not message.endswith(b"\n"):
                            more = connection.recv(1 << 20)
                            if not more:
                                raise ConnectionError("the client closed the connection")
                            message += more
                        request = json.loads(message)
                    except (OSError, ValueError) as error:
                        print(f"kernel_fork: bad request: {error}", file=sys.stderr, flush=True)
                        connection.close()
                        continue
                    refusal = _refusal(request, usual_python, started) if len(fds) == 3 else "no standard streams"
                    if refusal:
                        connection.sendall(json.dumps({"refused": refusal}).encode() + b"\n")
                        connection.close()
                        for fd in fds:
                            os.close(fd)
                        continue
                    pid = os.fork()
                    if pid == 0:
                        _become_kernel(request, fds, [listener, *kernels.values(), selector], imported)
                    for fd in fds:
                        os.close(fd)
                    sys.stdout.write(f"forked {pid}\n")  # counted by ForkServer.forked
                    sys.stdout.flush()
                    kernels[pid] = connection
                    selector.register(connection, selectors.EVENT_READ, pid)
                    connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
                elif key.data == "parent":
                    if not os.read(sys.stdin.fileno(), 4096):
                        stopping.append(True)  # the process that started the server is gone
                else:  # a client's connection: it only closes, when the client died
                    pid = key.data
                    if not key.fileobj.recv(4096):
                        kill(pid)
                        selector.unregister(key.fileobj)
            # Report each kernel that exited to its client, which exits the same way.
            for pid in list(kernels):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    kill(pid)  # whatever the kernel started and left behind
                    connection = kernels.pop(pid)
                    with contextlib.suppress(OSError):
                        connection.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
                    if connection.fileno() != -1:
                        with contextlib.suppress(KeyError, ValueError):
                            selector.unregister(connection)
                        connection.close()
    finally:
        for pid, connection in kernels.items():
            kill(pid)
            os.waitpid(pid, 0)
            connection.close()
        listener.close()
        if os.path.exists(socket_path):
            os.unlink(socket_path)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        code = serve(sys.argv[2], tuple(filter(None, sys.argv[3].split(","))) if len(sys.argv) > 3 else PRELOAD)
        # Without the interpreter's teardown of torch, NumPy, matplotlib and IPython (about half a
        # second, at the end of every build that ran chapters): the template has nothing to save.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    elif sys.argv[1] == "client":
        sys.exit(client(sys.argv[2], sys.argv[4:]))
    sys.exit(f"usage: {sys.argv[0]} serve SOCKET | client SOCKET -- COMMAND...")
