"""A complete data-parallel training script for ``torchrun``: chapter 12's recipe for a script of your own.

Run it with one process per GPU, or with two CPU processes on a machine without one::

    torchrun --standalone --nproc-per-node=2 train_ddp.py --checkpoint model.pt

``torchrun`` starts the processes and sets ``RANK``, ``LOCAL_RANK``,
``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` in
each. Every process trains the same network on its own shard of the rows
(``DistributedSampler``) with ``DistributedDataParallel``. Rank 0 saves the
trained weights and reads the file back; every rank then checks, through the
process group rather than the file, that it holds rank 0's weights, so the
script needs no filesystem shared between machines. Replace the data and the
network with your own; keep the rest.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

import nnbook

__all__ = ["choose_backend"]


def choose_backend(local_world_size: int) -> str:
    """NCCL when torch has NCCL built in and a CUDA GPU for each of the ``local_world_size`` processes, else gloo.

    Every process of a machine sees the same GPUs and the same
    ``LOCAL_WORLD_SIZE``, so all of them choose alike: the choice is made
    for the group, never per process (a group whose rank 0 joins with NCCL
    and rank 1 with gloo waits forever). Machines of a multi-machine job
    must be alike too.

    Examples:
        >>> nccl = dist.is_nccl_available() and torch.cuda.is_available() and torch.cuda.device_count() >= 2
        >>> choose_backend(2) == ("nccl" if nccl else "gloo")
        True
    """
    if isinstance(local_world_size, bool) or not isinstance(local_world_size, int):
        raise TypeError(f"local_world_size must be an integer, got {type(local_world_size).__name__}")
    if local_world_size < 1:
        raise ValueError(f"local_world_size must be at least 1, got {local_world_size}")
    if dist.is_nccl_available() and torch.cuda.is_available() and torch.cuda.device_count() >= local_world_size:
        return "nccl"
    return "gloo"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Data-parallel training under torchrun (nnbook, chapter 12).")
    parser.add_argument("--checkpoint", default="model.pt", help="file rank 0 saves the weights to, on its machine")
    parser.add_argument("--rows", type=int, default=1024, help="rows of data")
    parser.add_argument("--epochs", type=int, default=5, help="passes over the data")
    parser.add_argument("--batch-size", type=int, default=None, help="rows per step on each rank (default: a shard)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate")
    parser.add_argument("--seed", type=int, default=12, help="seed of the data, the weights and the shuffling")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a collective may wait for a rank")
    options = parser.parse_args(argv)
    if "LOCAL_RANK" not in os.environ:
        parser.error("run me under torchrun, e.g. torchrun --standalone --nproc-per-node=2 train_ddp.py")

    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank, local_world_size = int(os.environ["LOCAL_RANK"]), int(os.environ["LOCAL_WORLD_SIZE"])
    backend = choose_backend(local_world_size)  # the same on every rank
    if backend == "nccl":
        torch.cuda.set_device(local_rank)  # before anything touches CUDA: this process's own GPU
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    # The defaults are 30 minutes for gloo and 10 for NCCL: say how long a rank may wait instead.
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=options.timeout))
    try:
        received = train(options, rank, world_size, backend, device)
    finally:
        dist.destroy_process_group()
    del received  # only now, after the group is gone: see train's docstring
    return 0


def train(
    options: argparse.Namespace, rank: int, world_size: int, backend: str, device: torch.device
) -> list[torch.Tensor]:
    """Train, let rank 0 save the weights, and check on every rank that it holds rank 0's weights.

    Returns the tensors this rank received from rank 0 for that check. Keep
    them until the process group is destroyed: with torch 2.4.1's gloo, a
    group destroyed after they were freed hung in 3 of 10 runs on a busy
    2-core machine (a gloo thread, releasing a finished broadcast, waited for
    the interpreter lock that the destroying thread held).
    """
    x, y = nnbook.simulate_regression(n=options.rows, seed=options.seed)  # your data: x (n, 3), y (n, 1)
    dataset = TensorDataset(x, y)
    # The sampler takes this rank and the number of ranks from the process group.
    sampler: DistributedSampler = DistributedSampler(dataset, shuffle=True, seed=options.seed)
    batch_size = options.batch_size or len(sampler)  # len(sampler): the rows of this rank's shard
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)

    torch.manual_seed(options.seed)  # DDP copies rank 0's weights to every rank; the seed makes them repeatable
    model = nnbook.build_mlp(x.shape[1], 32, y.shape[1]).to(device)  # your network
    torch.manual_seed(options.seed + rank)  # what a rank draws from here on (dropout, say) is its own
    ddp_model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    opt = torch.optim.SGD(ddp_model.parameters(), lr=options.lr)

    for epoch in range(options.epochs):
        sampler.set_epoch(epoch)  # a new shuffled order each epoch, the same on every rank
        for x_batch, y_batch in loader:
            opt.zero_grad()
            F.mse_loss(ddp_model(x_batch.to(device)), y_batch.to(device)).backward()  # averages the gradients
            opt.step()

    # Every rank compares its weights with rank 0's through the process group, which reaches every
    # machine; rank 0's file may not be on this one.
    mine = list(model.state_dict().values())
    from_rank_0 = [value.clone() for value in mine]
    for tensor in from_rank_0:
        dist.broadcast(tensor, src=0)  # every rank receives rank 0's tensor
    same = all(torch.equal(a, b) for a, b in zip(mine, from_rank_0, strict=True))

    if rank == 0:  # one writer: every rank holds the same weights
        print(f"{world_size} processes, backend {backend}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
        print(f"keys of ddp_model.state_dict() start with {next(iter(ddp_model.state_dict()))!r}")
        partial = f"{options.checkpoint}.{os.getpid()}.partial"
        torch.save(ddp_model.module.state_dict(), partial)  # the unwrapped model: keys without "module."
        os.replace(partial, options.checkpoint)  # readers never see a half-written file
        # Only rank 0 reads the file back: on another machine it may not exist, or be an older copy.
        saved = torch.load(options.checkpoint, map_location=device, weights_only=True)
        written = all(torch.equal(saved[name], value) for name, value in model.state_dict().items())
        print(f"rank 0: the checkpoint, read back, holds rank 0's weights: {written}")
    print(f"rank {rank}: this rank's weights are rank 0's, bit for bit: {same}")
    return from_rank_0


if __name__ == "__main__":
    status = main()
    # With gloo under torchrun, torch 2.13 now and then aborts while the interpreter tears a rank
    # down after main() has returned ("terminate called without an active exception": 1 run in 25
    # to 40 on a busy 2-core machine), and torchrun then reports the run as failed. Everything is
    # done and printed by then, so the process leaves without that teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
