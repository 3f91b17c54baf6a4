"""Workers for tests/package/test_distributed.py: importable, so that the processes `launch` spawns can load them."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist


def fail_on_rank(rank: int, world_size: int, bad_rank: int = 1) -> int:
    """Rank ``bad_rank`` raises; the others wait in an all-reduce that it never joins."""
    if rank == bad_rank:
        raise ValueError(f"rank {rank} fails on purpose")
    dist.all_reduce(torch.ones(1))
    return rank


def skip_collective(rank: int, world_size: int) -> int:
    """Rank 1 returns without the all-reduce that the others wait in."""
    if rank != 1:
        dist.all_reduce(torch.ones(1))
    return rank


def hang_on_rank(rank: int, world_size: int, folder: str, bad_rank: int = 1) -> int:
    """Write this process's id to ``folder``, then rank ``bad_rank`` sleeps while the others wait in an all-reduce."""
    (Path(folder) / f"{rank}.pid").write_text(str(os.getpid()))
    if rank == bad_rank:
        time.sleep(3600)
    dist.all_reduce(torch.ones(1))
    return rank


def report(rank: int, world_size: int) -> dict:
    """What a process sees: its rank, the group's size and backend, its thread count, parent and environment."""
    return {
        "rank": rank,
        "world_size": world_size,
        "group_rank": dist.get_rank(),
        "group_size": dist.get_world_size(),
        "backend": dist.get_backend(),
        "threads": torch.get_num_threads(),
        "parent": os.getppid(),  # the launching process under spawn; the forkserver's process under forkserver
        "env": {k: os.environ[k] for k in ("MASTER_ADDR", "MASTER_PORT", "RANK", "LOCAL_RANK", "WORLD_SIZE")},
    }


def exit_on_rank(rank: int, world_size: int) -> int:
    """Rank 1 ends its process without raising, as a crash would."""
    if rank == 1:
        os._exit(3)
    dist.all_reduce(torch.ones(1))
    return rank


def return_module(rank: int, world_size: int) -> torch.nn.Module:
    """Returns something launch refuses to unpickle: a whole module."""
    return torch.nn.Linear(2, 1)


def start_child_then(rank: int, world_size: int, folder: str, what: str = "hang", bad_rank: int = 1) -> int:
    """Each rank starts a process of its own (a grandchild of the launcher) and writes both ids to ``folder``.

    Then rank ``bad_rank`` hangs (``what="hang"``) or raises (``what="raise"``), while the others wait in an
    all-reduce that it never joins.
    """
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    (Path(folder) / f"{rank}.pid").write_text(str(os.getpid()))
    (Path(folder) / f"{rank}.child.pid").write_text(str(child.pid))
    if rank == bad_rank:
        if what == "raise":
            raise ValueError(f"rank {rank} fails on purpose")
        time.sleep(3600)
    dist.all_reduce(torch.ones(1))
    return rank


def train_recipe_in_own_folder(rank: int, world_size: int, folder: str, lrs: tuple[float, ...]) -> dict:
    """Chapter 12's training script (``train_ddp.train``) with a checkpoint path in a folder of this rank's own,
    as on machines that share no filesystem, and learning rate ``lrs[rank]``; returns what the rank printed,
    and the tensors it received (returned, so that they outlive the process group, as train's docstring asks)."""
    from nnbook.distributed import train_ddp

    own = Path(folder) / f"machine-{rank}"
    own.mkdir()
    options = argparse.Namespace(
        checkpoint=str(own / "model.pt"), rows=64, epochs=3, batch_size=None, lr=lrs[rank], seed=12, timeout=60.0
    )
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        received = train_ddp.train(options, rank, world_size, dist.get_backend(), torch.device("cpu"))
    return {"printed": printed.getvalue(), "received": received}
