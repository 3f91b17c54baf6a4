"""`launch`: run a worker function in several processes that form a ``torch.distributed`` process group.

Processes are started by ``torch.multiprocessing``: with the *forkserver*
start method on Linux (a fresh interpreter, started once, imports torch and
then forks a copy for each worker; it has never run a computation, so its
copies inherit no thread pool) and with *spawn* (a fresh interpreter per
worker) elsewhere. `launch` is a thin layer over them that does what every
script repeats: it gives the processes a meeting point on a port the
operating system picks, sets one CPU thread per process, passes an explicit
time-out, hands each rank's result back to the caller, and turns a failing
or hanging process into an error in the caller instead of a hang.

Examples:
    >>> from nnbook.distributed import all_reduce_example
    >>> [r["rank"] for r in launch(all_reduce_example, world_size=2)]
    [0, 1]
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import inspect
import io
import math
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from .. import _checks

__all__ = [
    "WorkerError",
    "default_backend",
    "launch",
    "rank_device",
]

BACKENDS = ("gloo", "nccl")
"""The backends `launch` starts: gloo (CPUs) and NCCL (one CUDA GPU per process)."""

START_METHODS = ("spawn", "forkserver")
"""The ways `launch` can start processes; both need a worker that a new process can import."""

DEFAULT_TIMEOUT = 60.0
"""Seconds `launch` waits for a run, start-up included, unless told otherwise."""

MAX_WORLD_SIZE = 64
"""The most processes `launch` starts at once."""

MIN_TIMEOUT, MAX_TIMEOUT = 1.0, 1e7
# Seconds: less than a second cannot even start a process; 1e7 s (116 days) is "never" for this book.

_HOST = "127.0.0.1"
# After a time-out or a failure, how long a process gets to end after SIGTERM before SIGKILL.
_GRACE_SECONDS = 5.0
# How often a rank checks that the launching process still runs.
_WATCH_SECONDS = 0.2


class WorkerError(RuntimeError):
    """A process started by `launch` failed; ``rank`` says which one, the message says why.

    The message holds the exception the worker raised (type and text) and its
    traceback from the child process.

    Examples:
        >>> import nnbook
        >>> from nnbook.distributed import hand_data_parallel
        >>> x, y = nnbook.simulate_regression(n=3, seed=0)  # 3 rows cannot be split in two
        >>> try:
        ...     launch(hand_data_parallel, 2, args=(x, y))
        ... except WorkerError as error:
        ...     print(error.rank in (0, 1), str(error).splitlines()[0].split(" raised ")[1])
        True ValueError: x must have a number of rows divisible by world_size=2, ...
    """

    def __init__(self, message: str, rank: int) -> None:
        super().__init__(message)
        self.rank = rank

    def __reduce__(self):
        return type(self), (self.args[0], self.rank)


# ---------------------------------------------------------------------------
# The launcher


def default_backend(world_size: int = 2) -> str:
    """``"nccl"`` when NCCL is built in and there is a CUDA GPU for each of ``world_size`` processes, else ``"gloo"``.

    Examples:
        >>> import torch
        >>> import torch.distributed as dist
        >>> default_backend(2) == ("nccl" if dist.is_nccl_available() and torch.cuda.device_count() >= 2 else "gloo")
        True
    """
    world_size = _checks.positive_int(world_size, "world_size", maximum=MAX_WORLD_SIZE)
    if dist.is_nccl_available() and torch.cuda.is_available() and torch.cuda.device_count() >= world_size:
        return "nccl"
    return "gloo"


def launch(
    worker: Callable[..., Any],
    world_size: int = 2,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    backend: str | None = None,
    timeout: float | datetime.timedelta = DEFAULT_TIMEOUT,
    start_method: str | None = None,
) -> list[Any]:
    """Run ``worker(rank, world_size, *args, **kwargs)`` in ``world_size`` new processes; return their results.

    Each process is started by ``torch.multiprocessing`` with ``start_method``, sets
    one CPU thread (``torch.set_num_threads(1)``), joins a process group
    (``torch.distributed.init_process_group``) with ``backend`` and
    ``timeout``, calls the worker, and leaves the group. The processes meet
    through a ``torch.distributed.TCPStore`` that this process opens on
    127.0.0.1, on a port the operating system picks, so two launches at the
    same time never collide. Inside a worker, ``MASTER_ADDR``, ``MASTER_PORT``,
    ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` are set as ``torchrun`` sets them.

    Args:
        worker: a function defined at the top level of a module (the new
            processes import it; one defined in a notebook or in the
            interactive interpreter cannot be imported, and is refused with a
            ``ValueError`` before anything starts).
        world_size: number of processes, from 1 to 64; with NCCL at most the
            number of CUDA GPUs.
        args: more positional arguments for the worker (each process gets a copy).
        kwargs: keyword arguments for the worker, or ``None``.
        backend: ``"gloo"`` (CPUs), ``"nccl"`` (one CUDA GPU per process, the
            worker's `rank_device`), or ``None`` for `default_backend`.
        timeout: seconds (a number from 1 to 1e7, or a ``datetime.timedelta``)
            that the whole run may take, start-up included; every collective
            operation gets the same time-out. Choose it well above the run's
            expected time.

        start_method: ``"spawn"`` (a fresh interpreter per process: each
            imports torch, a second or more), ``"forkserver"`` (one fresh
            interpreter imports torch and this module once, then forks a copy
            per process: much cheaper from the second launch on; Linux and
            macOS), or ``None``: forkserver on Linux, spawn elsewhere. Never
            ``"fork"``: a copy of a process that has run multi-threaded math can
            hang.

    Returns:
        The workers' return values, as a list ordered by rank. They travel
        through ``torch.save`` and ``torch.load(..., weights_only=True)``, so
        they must be tensors, numbers, strings, ``None``, or lists, tuples and
        dicts of them; tensors come back on the CPU.

    Each rank runs in a process group (and session) of its own, which the
    processes it starts join; whenever `launch` stops a run it signals these
    whole groups, so nothing the run started is left behind. Each rank also
    checks five times a second that this process still runs, and ends its
    group when it does not (this process was killed, even with SIGKILL).

    Raises:
        WorkerError: a worker raised (or its process died); the message names
            the rank, and holds the exception and the worker's traceback, or,
            for a rank that failed while starting, its own reason where it
            left one (a script that launches without
            ``if __name__ == "__main__":``). The other processes are stopped.
        TimeoutError: the run took longer than ``timeout``, for instance
            because one rank waits in a collective that another never calls.
            Every process is stopped before this is raised.

    Examples:
        >>> from nnbook.distributed import all_reduce_example
        >>> [r["rank"] for r in launch(all_reduce_example, world_size=2, timeout=60)]
        [0, 1]
        >>> launch(all_reduce_example, world_size=0)
        Traceback (most recent call last):
        ...
        ValueError: world_size must be an integer from 1 to 64, got 0
    """
    _check_worker(worker)
    world_size = _checks.positive_int(world_size, "world_size", maximum=MAX_WORLD_SIZE)
    if isinstance(args, (str, bytes)) or not isinstance(args, Sequence):
        raise TypeError(f"args must be a tuple or list of the worker's extra arguments, got {_checks.show(args)}")
    args = tuple(args)
    if kwargs is None:
        kwargs = {}
    if not isinstance(kwargs, Mapping) or not all(isinstance(k, str) for k in kwargs):
        raise TypeError(
            f"kwargs must be a dict of keyword arguments for the worker, or None, got {_checks.show(kwargs)}"
        )
    kwargs = dict(kwargs)
    _check_call(worker, world_size, args, kwargs)
    seconds = _timeout_seconds(timeout)
    backend = _backend(backend, world_size)
    start_method = _start_method(start_method)

    _refuse_a_launch_while_a_rank_starts()
    started = time.monotonic()
    store = dist.TCPStore(
        _HOST, 0, world_size, is_master=True, timeout=datetime.timedelta(seconds=seconds), wait_for_workers=False
    )
    with tempfile.TemporaryDirectory(prefix="nnbook-launch-") as folder:
        context = mp.start_processes(
            _run_rank,
            args=(worker, world_size, args, kwargs, backend, seconds, store.port, folder, _identity(os.getpid())),
            nprocs=world_size,
            join=False,
            daemon=False,  # a worker may start processes of its own (a DataLoader's workers)
            start_method=start_method,
        )
        try:
            _wait(context, Path(folder), started + seconds, timeout)
        except BaseException:  # a failure, the time-out, or Ctrl-C here: nothing of the run may outlive it
            _stop(context.processes)
            raise
        finally:
            for process in context.processes:
                process.join()
            for path in context.error_files:  # torch's own record of a failure, which it does not delete
                if path and os.path.exists(path):
                    os.unlink(path)
            del store
        return [_result(Path(folder), rank) for rank in range(world_size)]


def rank_device(rank: int | None = None) -> torch.device:
    """The device a worker of this process group computes on.

    ``cuda:<local rank>`` under NCCL (the local rank is ``LOCAL_RANK``, set by
    `launch` and by ``torchrun``, else ``rank``), the CPU under gloo or outside
    a process group.

    Examples:
        >>> rank_device(0)  # outside a process group
        device(type='cpu')
    """
    if rank is not None:
        rank = _checks.int_at_least(rank, "rank", 0, MAX_WORLD_SIZE - 1)
    if dist.is_available() and dist.is_initialized() and dist.get_backend() == "nccl":
        if rank is None:
            rank = dist.get_rank()
        local = int(os.environ.get("LOCAL_RANK", rank))
        return torch.device("cuda", local)
    return torch.device("cpu")


def _check_worker(worker: object) -> None:
    """Refuse a worker that the spawned processes could not import, with the fix, before anything starts."""
    if not inspect.isfunction(worker):
        raise TypeError(
            f"worker must be a function worker(rank, world_size, ...) defined with def at the top level "
            f"of a module, got {_checks.show(worker)}"
        )
    name = getattr(worker, "__qualname__", None)
    module_name = getattr(worker, "__module__", None)
    fix = (
        "put the function in a .py file (a module) and import it from there, e.g. "
        "`from my_workers import train` in the notebook, then launch(train, ...)"
    )
    if not isinstance(name, str):
        raise ValueError(
            f"worker must be a function defined at the top level of a module, got {_checks.show(worker)} "
            "(the new processes find a worker by its module and name; pass extra values with args=)"
        )
    if "<locals>" in name or "<lambda>" in name:
        raise ValueError(
            f"worker {name} is a lambda or is defined inside another function, so the new processes "
            f"cannot import it; {fix}"
        )
    main = sys.modules.get("__main__")
    if module_name is None or (module_name == "__main__" and getattr(main, "__file__", None) is None):
        raise ValueError(
            f"worker {name} is defined in a notebook or an interactive session, which the new processes "
            f"cannot import (they receive a worker as the name of its module and its own name); {fix}"
        )
    try:
        found: object = importlib.import_module(module_name) if module_name != "__main__" else main
        for part in name.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        found = None
    if found is not worker:
        raise ValueError(
            f"worker {name} cannot be found as {module_name}.{name}, so the new processes could not import it; {fix}"
        )


def _check_call(worker: Callable[..., Any], world_size: int, args: tuple, kwargs: dict) -> None:
    """Refuse arguments the worker cannot take, here rather than in every child process."""
    try:
        signature = inspect.signature(worker)
    except (TypeError, ValueError):  # no signature to check against: let the call decide
        return
    try:
        signature.bind(0, world_size, *args, **kwargs)
    except TypeError as err:
        raise TypeError(
            f"args and kwargs do not fit worker {worker.__qualname__}{signature}, which is called as "
            f"worker(rank, world_size, *args, **kwargs): {err}"
        ) from None


def _timeout_seconds(timeout: object) -> float:
    wanted = f"from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g} seconds (starting the processes alone takes a moment)"
    if isinstance(timeout, datetime.timedelta):
        seconds = timeout.total_seconds()
        if not MIN_TIMEOUT <= seconds <= MAX_TIMEOUT:
            raise ValueError(f"timeout must be {wanted}, got {timeout!r}")
        return seconds
    if isinstance(timeout, bool) or not isinstance(timeout, Real):
        raise TypeError(f"timeout must be a number of seconds or a datetime.timedelta, got {_checks.show(timeout)}")
    if not (math.isfinite(timeout) and MIN_TIMEOUT <= timeout <= MAX_TIMEOUT):  # type: ignore[operator]  # a Real
        raise ValueError(f"timeout must be {wanted}, got {timeout}")
    return float(timeout)


def _start_method(start_method: object) -> str:
    available = multiprocessing.get_all_start_methods()
    if start_method is None:
        start_method = "forkserver" if sys.platform.startswith("linux") and "forkserver" in available else "spawn"
    else:
        start_method = _checks.choice(start_method, "start_method", START_METHODS)
        if start_method not in available:
            raise ValueError(f"start_method={start_method!r} is not available here; use 'spawn'")
    if start_method == "forkserver":
        # The server imports torch and this module once; every process it forks starts with them
        # imported. ('__main__' is Python's own default, so that a script is imported once too.)
        # torch._dynamo is what DistributedDataParallel and the first optimizer of a process
        # import: seconds of start-up that every worker would otherwise pay again.
        multiprocessing.get_context("forkserver").set_forkserver_preload(["__main__", __package__, "torch._dynamo"])
    return start_method


def _backend(backend: object, world_size: int) -> str:
    if not dist.is_available():
        raise RuntimeError("this build of torch has no torch.distributed; install a build that has it")
    if backend is None:
        return default_backend(world_size)
    backend = _checks.choice(backend, "backend", BACKENDS)
    if backend == "nccl":
        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if not dist.is_nccl_available() or gpus < world_size:
            raise ValueError(
                f"backend='nccl' needs one CUDA GPU per process: world_size={world_size}, "
                f"but this machine has {gpus} CUDA GPU(s)"
                f"{'' if dist.is_nccl_available() else ' and this torch has no NCCL'}; use backend='gloo' on CPUs"
            )
    elif not dist.is_gloo_available():
        raise ValueError("backend='gloo' is not built into this torch; try backend='nccl' on CUDA GPUs")
    return backend


def _run_rank(
    rank: int,
    worker: Callable[..., Any],
    world_size: int,
    args: tuple,
    kwargs: dict,
    backend: str,
    seconds: float,
    port: int,
    folder: str,
    launcher: tuple[int, str | None],
) -> None:
    """What each spawned process runs: join the group, call the worker, save its result, leave."""
    if hasattr(os, "setsid"):
        # Its own session and process group, which whatever the worker starts joins: stopping the
        # group stops them all, and Ctrl-C in a terminal reaches the launcher alone, which stops it.
        os.setsid()
    threading.Thread(target=_end_with, args=(launcher,), name="nnbook-watchdog", daemon=True).start()
    # One CPU thread per process: two processes on two cores, each with a thread per core,
    # would oversubscribe the machine and make every process wait for the others' threads.
    torch.set_num_threads(1)
    os.environ.update(
        MASTER_ADDR=_HOST, MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size)
    )
    try:
        timeout = datetime.timedelta(seconds=seconds)
        if backend == "nccl":
            torch.cuda.set_device(rank)
        store = dist.TCPStore(_HOST, port, world_size, is_master=False, timeout=timeout)
        dist.init_process_group(backend, store=store, rank=rank, world_size=world_size, timeout=timeout)
        # Gloo connects the ranks pairwise; a rank whose side is connected may go on, finish and
        # close its connections while another is still connecting, which then fails ("connection
        # closed by peer"). Nobody starts the worker until every rank has joined.
        dist.barrier()
        (Path(folder) / f"{rank}.started").touch()  # past start-up: a failure from here on is the worker's
        try:
            result = worker(rank, world_size, *args, **kwargs)
            _check_portable(result, "the worker's result")
            buffer = io.BytesIO()
            torch.save(_to_cpu(result), buffer)
            (Path(folder) / f"{rank}.pt").write_bytes(buffer.getvalue())
        except BaseException as error:
            # Recorded before leaving the group: leaving makes the other ranks fail too, and
            # the launcher reports the rank whose failure came first.
            _record_failure(folder, rank, error)
            raise
        finally:
            left = _leave_group()
        if not left:  # the result is saved; end without the teardown that could hang as well
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
    except BaseException as error:
        if not (Path(folder) / f"{rank}.error").exists():
            _record_failure(folder, rank, error)
        raise
    finally:
        # A rank can end before its watchdog sees the launcher gone (its peer, ended by its own
        # watchdog, made a collective fail): whatever it started must not outlive it then either.
        if not _alive(launcher):
            _end_group()


def _leave_group() -> bool:
    """``destroy_process_group()``, waited for at most a few seconds; True if it returned.

    With torch 2.4.1 and gloo it now and then never returns in one rank of a
    finished run (seen here in about one launch in four on a busy 2-core
    machine), which would hold the launcher until its time-out.
    """
    leaving = threading.Thread(target=dist.destroy_process_group, name="nnbook-leave", daemon=True)
    leaving.start()
    leaving.join(_GRACE_SECONDS)
    return not leaving.is_alive()


def _identity(pid: int) -> tuple[int, str | None]:
    """A process id with the time the process started (Linux), so that a reused id is not mistaken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return pid, None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return pid, fields[19] if fields[0] != "Z" else "ended"  # field 22 of stat: the start time


def _alive(launcher: tuple[int, str | None]) -> bool:
    pid, start = launcher
    if start is not None:
        return _identity(pid) == launcher  # also False once it is a zombie, killed but not yet reaped
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _end_with(launcher: tuple[int, str | None]) -> None:
    """Watch the launching process; when it is gone, end this rank and every process it started.

    A thread rather than ``prctl(PR_SET_PDEATHSIG)``: under forkserver a rank's
    parent is the fork server, not the launcher, and a signal that ends only
    the rank would leave the processes it started running.
    """
    while _alive(launcher):
        time.sleep(_WATCH_SECONDS)
    _end_group()


def _end_group() -> None:
    """End this rank and every process in its group (its own, from os.setsid in _run_rank)."""
    if hasattr(os, "killpg"):
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(1)


def _refuse_a_launch_while_a_rank_starts() -> None:
    """Say why, in the launcher, when a script without ``if __name__ == "__main__":`` launches again in a rank.

    spawn and forkserver start each rank by running the main script again,
    under the name ``__mp_main__``. Code at its top level that calls `launch`
    runs again there, where it cannot start processes; the rank writes the
    reason where the launcher looks for it (a file named after its process id).
    """
    main, running_again = sys.modules.get("__main__"), sys.modules.get("__mp_main__")
    if running_again is None or running_again is main:
        return
    script = getattr(running_again, "__file__", None) or "the main script"
    message = (
        f"{script} calls launch() when it is imported: every new process runs the main script again, "
        'so the code that launches must sit under `if __name__ == "__main__":` (see chapter 12)'
    )
    with contextlib.suppress(OSError):
        _startup_file(os.getpid()).write_text(message)
    raise RuntimeError(message)


def _startup_file(pid: int) -> Path:
    return Path(tempfile.gettempdir()) / f"nnbook-launch-startup-{pid}.txt"


def _record_failure(folder: str, rank: int, error: BaseException) -> None:
    record = {
        "time": time.monotonic(),
        "error": f"{type(error).__name__}: {error}",
        "traceback": traceback.format_exc(),
    }
    # Written under another name and renamed: a rank stopped mid-write (the launcher ends the other
    # ranks once one fails) leaves no half-written record for _first_failure to read.
    partial = Path(folder) / f"{rank}.error.partial"
    partial.write_bytes(pickle.dumps(record))
    os.replace(partial, Path(folder) / f"{rank}.error")


def _check_portable(value: object, where: str) -> None:
    """Raise unless ``torch.load(..., weights_only=True)`` can read ``value`` back: nnbook's one answer to that
    question, `nnbook._checks.weights_only_error`, which `nnbook.checkpoint` asks too."""
    error = _checks.weights_only_error(value, where)
    if error is not None:
        raise type(error)(
            f"{error}; launch hands back what torch.load(..., weights_only=True) reads (return "
            "model.state_dict(), not the model)"
        )


def _to_cpu(result: object) -> object:
    if isinstance(result, torch.Tensor):
        return result.detach().cpu()
    if isinstance(result, Mapping):
        return {k: _to_cpu(v) for k, v in result.items()}
    if isinstance(result, (list, tuple)) and type(result) in (list, tuple):
        return type(result)(_to_cpu(v) for v in result)
    return result


def _wait(context: Any, folder: Path, deadline: float, timeout: object) -> None:
    """Wait with ``torch.multiprocessing``'s own join; raise WorkerError or TimeoutError unless every rank ends well.

    The caller stops every process (`_stop`) when this raises.
    """
    processes = context.processes
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            running = [rank for rank, p in enumerate(processes) if p.is_alive()]
            shown = timeout if isinstance(timeout, datetime.timedelta) else f"{float(timeout):g} s"  # type: ignore[arg-type]
            raise TimeoutError(
                f"rank(s) {', '.join(map(str, running))} of {len(processes)} still running when the time-out "
                f"({shown}) ran out, so every process was stopped, with the processes they started. A rank "
                "that waits in a collective (all_reduce, barrier, ...) that another rank does not call in time "
                "waits until then: every rank must call the same collectives in the same order. If the work "
                "just needs longer, pass a larger timeout="
            )
        try:
            if context.join(timeout=left):
                return
        except (
            mp.ProcessRaisedException,
            mp.ProcessExitedException,
        ) as failure:  # torch has stopped the other ranks (not what they started)
            raise _first_failure(folder, processes, failure.error_index) from None


def _first_failure(folder: Path, processes: Sequence[Any], failed: int) -> WorkerError:
    """The failure that came first, with its traceback or the rank's own start-up error.

    ``failed`` is the rank torch's join found ended badly. A rank that
    raised left a record with the time; one that ended without raising (a
    crash, ``os._exit``, a failed start-up) left none, and is taken to be
    the cause, since the errors its peers raise when it vanishes come later.
    The join may name a peer instead: when the peer has raised and ended by
    the time the join looks, both processes are ready at once and it reports
    whichever it reads first.
    """
    world_size = len(processes)
    records = {}
    for rank in range(world_size):
        path = folder / f"{rank}.error"
        if path.is_file():
            records[rank] = pickle.loads(path.read_bytes())
    # SIGTERM is how torch's join ends the ranks still running once one has failed: not a cause.
    silent = [
        rank
        for rank, process in enumerate(processes)
        if rank not in records and process.exitcode not in (None, 0, -signal.SIGTERM)
    ]
    if failed in records and silent:
        failed = silent[0]
    startup = _startup_file(processes[failed].pid)
    if failed not in records:
        code = processes[failed].exitcode
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        message = f"rank {failed} of {world_size} ended with {how}, without raising an exception"
        if startup.is_file():
            message = f"rank {failed} of {world_size} failed while starting: {startup.read_text()}"
            startup.unlink()
        elif not (folder / f"{failed}.started").is_file():
            message += (
                " while starting, before the worker was called (its own error, if it printed one, is on "
                "standard error: the terminal, or the log of the notebook's kernel)"
            )
        if records:
            message += "; then " + "; ".join(f"rank {r} raised {records[r]['error']}" for r in sorted(records))
        return WorkerError(message, failed)
    first = min(records, key=lambda r: records[r]["time"])
    later = [r for r in sorted(records) if r != first]
    finished = [r for r in range(world_size) if (folder / f"{r}.pt").is_file()]
    notes = ""
    if later:
        notes += f" (then rank(s) {', '.join(map(str, later))} failed too)"
    if finished:
        notes += (
            f". Rank(s) {', '.join(map(str, finished))} had returned: a rank that returns while another "
            "still waits in a collective makes that collective fail, so check that every rank calls the "
            "same collectives"
        )
    return WorkerError(
        f"rank {first} of {world_size} raised {records[first]['error']}{notes}\n\n"
        f"Traceback of rank {first}:\n{records[first]['traceback']}",
        first,
    )


def _stop(processes: Sequence[Any]) -> None:
    """End every rank and every process it started: SIGTERM to each rank's group, SIGKILL after a grace; reap."""
    _signal(processes, signal.SIGTERM)
    end = time.monotonic() + _GRACE_SECONDS
    for process in processes:
        process.join(max(0.0, end - time.monotonic()))
    _signal(processes, signal.SIGKILL)
    for process in processes:
        process.join()


def _signal(processes: Sequence[Any], number: int) -> None:
    for process in processes:
        if process.pid is None:
            continue
        if hasattr(os, "killpg"):
            # The rank's group (its id is the rank's process id, from os.setsid in _run_rank) lives on in
            # the processes the rank started, after the rank itself has ended.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, number)
        if process.is_alive():  # a rank that is still starting has no group of its own yet
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, number)


def _result(folder: Path, rank: int) -> Any:
    # weights_only: the result is data, and loading it runs no code from the child.
    return torch.load(io.BytesIO((folder / f"{rank}.pt").read_bytes()), weights_only=True)
