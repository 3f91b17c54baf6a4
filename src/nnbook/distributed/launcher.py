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
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from multiprocessing import connection as mp_connection
from numbers import Real
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from .. import _checks

__all__ = [
    "BACKENDS",
    "DEFAULT_TIMEOUT",
    "MAX_WORLD_SIZE",
    "START_METHODS",
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
        >>> default_backend(2) == ("nccl" if torch.cuda.device_count() >= 2 else "gloo")
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

    Raises:
        WorkerError: a worker raised (or its process died); the message names
            the rank, and holds the exception and the worker's traceback. The
            other processes are stopped.
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

    started = time.monotonic()
    store = dist.TCPStore(
        _HOST, 0, world_size, is_master=True, timeout=datetime.timedelta(seconds=seconds), wait_for_workers=False
    )
    with tempfile.TemporaryDirectory(prefix="nnbook-launch-") as folder:
        context = mp.start_processes(
            _run_rank,
            args=(worker, world_size, args, kwargs, backend, seconds, store.port, folder),
            nprocs=world_size,
            join=False,
            daemon=False,  # a worker may start processes of its own (a DataLoader's workers)
            start_method=start_method,
        )
        try:
            _wait(context.processes, Path(folder), started + seconds, timeout)
        finally:
            _stop(context.processes)
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
    if not (math.isfinite(timeout) and MIN_TIMEOUT <= timeout <= MAX_TIMEOUT):
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
) -> None:
    """What each spawned process runs: join the group, call the worker, save its result, leave."""
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
        try:
            result = worker(rank, world_size, *args, **kwargs)
        except BaseException as error:
            # Recorded before leaving the group: leaving makes the other ranks fail too, and
            # the launcher reports the rank whose failure came first.
            _record_failure(folder, rank, error)
            raise
        finally:
            dist.destroy_process_group()
        _check_portable(result, "the worker's result")
        buffer = io.BytesIO()
        torch.save(_to_cpu(result), buffer)
        (Path(folder) / f"{rank}.pt").write_bytes(buffer.getvalue())
    except BaseException as error:
        if not (Path(folder) / f"{rank}.error").exists():
            _record_failure(folder, rank, error)
        raise


def _record_failure(folder: str, rank: int, error: BaseException) -> None:
    record = {
        "time": time.monotonic(),
        "error": f"{type(error).__name__}: {error}",
        "traceback": traceback.format_exc(),
    }
    (Path(folder) / f"{rank}.error").write_bytes(pickle.dumps(record))


_PLAIN = (int, float, bool, complex, str, bytes, type(None), torch.dtype, torch.device)


def _check_portable(value: object, where: str) -> None:
    """Raise ``TypeError`` unless ``value`` is made of what ``torch.load(..., weights_only=True)`` accepts."""
    if isinstance(value, (torch.Tensor, *_PLAIN)):
        return
    if type(value) in (list, tuple):
        for i, item in enumerate(value):
            _check_portable(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                raise TypeError(f"{where} has a key {key!r}; launch hands back dicts keyed by strings or integers")
            _check_portable(item, f"{where}[{key!r}]")
        return
    raise TypeError(
        f"{where} is {_checks.show(value)}; launch hands back tensors, numbers, strings, None, and lists, "
        "tuples and dicts of them (return model.state_dict(), not the model)"
    )


def _to_cpu(result: object) -> object:
    if isinstance(result, torch.Tensor):
        return result.detach().cpu()
    if isinstance(result, Mapping):
        return {k: _to_cpu(v) for k, v in result.items()}
    if isinstance(result, (list, tuple)) and type(result) in (list, tuple):
        return type(result)(_to_cpu(v) for v in result)
    return result


def _wait(processes: Sequence[Any], folder: Path, deadline: float, timeout: object) -> None:
    """Wait for every process to end; raise WorkerError or TimeoutError when they do not all end well."""
    world_size = len(processes)
    waiting = {p.sentinel: rank for rank, p in enumerate(processes)}
    while waiting:
        left = deadline - time.monotonic()
        if left <= 0:
            running = [rank for rank, p in enumerate(processes) if p.is_alive()]
            _stop(processes)
            shown = timeout if isinstance(timeout, datetime.timedelta) else f"{float(timeout):g} s"
            raise TimeoutError(
                f"rank(s) {', '.join(map(str, running))} of {world_size} still running when the time-out "
                f"({shown}) ran out, so every process was stopped. A rank that waits in a collective "
                "(all_reduce, barrier, ...) that another rank does not call in time waits until then: every "
                "rank must call the same collectives in the same order. If the work just needs longer, "
                "pass a larger timeout="
            )
        for sentinel in mp_connection.wait(list(waiting), timeout=left):
            rank = waiting.pop(sentinel)
            processes[rank].join()
            if processes[rank].exitcode != 0:
                # The others usually end within moments (their peer is gone); let them say why.
                end = time.monotonic() + 1.0
                for process in processes:
                    process.join(max(0.0, end - time.monotonic()))
                ended = {r: p.exitcode for r, p in enumerate(processes) if p.exitcode is not None}
                _stop(processes)
                raise _first_failure(folder, world_size, ended)


def _first_failure(folder: Path, world_size: int, ended: dict[int, int]) -> WorkerError:
    """The failure that came first, with its traceback, naming the ranks that failed after it.

    ``ended`` holds the exit codes of the processes that ended by themselves.
    A process that ended badly without raising (a crash, ``os._exit``) leaves
    no record of its time; it is taken to be the cause, since the errors the
    others raise when a peer vanishes come after it.
    """
    records = {}
    for rank in range(world_size):
        path = folder / f"{rank}.error"
        if path.is_file():
            records[rank] = pickle.loads(path.read_bytes())
    crashed = [r for r, code in sorted(ended.items()) if code != 0 and r not in records]
    notes = ""
    if crashed:
        first = crashed[0]
        code = ended[first]
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        message = f"rank {first} of {world_size} ended with {how}, without raising an exception"
        if records:
            notes += "; then " + "; ".join(f"rank {r} raised {records[r]['error']}" for r in sorted(records))
        return WorkerError(message + notes, first)
    first = min(records, key=lambda r: records[r]["time"])
    later = [r for r in sorted(records) if r != first]
    finished = [r for r in range(world_size) if (folder / f"{r}.pt").is_file()]
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


def _stop(processes: Sequence[Any], grace: float = 0.0) -> None:
    """End every process that is still running (after ``grace`` seconds, SIGTERM, then SIGKILL); reap them all."""
    end = time.monotonic() + grace
    for process in processes:
        process.join(max(0.0, end - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.terminate()
    end = time.monotonic() + _GRACE_SECONDS
    for process in processes:
        process.join(max(0.0, end - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
        process.join()


def _result(folder: Path, rank: int) -> Any:
    # weights_only: the result is data, and loading it runs no code from the child.
    return torch.load(io.BytesIO((folder / f"{rank}.pt").read_bytes()), weights_only=True)
