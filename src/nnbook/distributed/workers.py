"""The worker functions chapter 12 launches, and the single-process computation they must agree with.

Each public worker checks its arguments, and that it runs as rank ``rank``
of a process group of ``world_size`` processes, then calls a plain core
(the function of the same name with a leading underscore), which is what
chapter 12 shows.

Examples:
    >>> import nnbook
    >>> from nnbook.distributed import launch
    >>> x, y = nnbook.simulate_regression(n=8, seed=0)
    >>> ranks = launch(hand_data_parallel, 2, args=(x, y))
    >>> torch.equal(ranks[0]["0.weight"], ranks[1]["0.weight"])
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.distributed as dist
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from .. import _checks
from ..trainers.module import seeded_mlp
from .launcher import MAX_WORLD_SIZE, rank_device

__all__ = [
    "all_reduce_example",
    "ddp_data_parallel",
    "dropout_masks",
    "full_batch_reference",
    "hand_data_parallel",
    "time_data_parallel",
]


def all_reduce_example(rank: int, world_size: int) -> dict[str, Any]:
    """Each rank holds ``rank + 1`` three times; after an all-reduce (sum) every rank holds the total.

    Examples:
        >>> from nnbook.distributed import launch
        >>> results = launch(all_reduce_example, world_size=2)
        >>> [r["before"].tolist() for r in results]
        [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    """
    rank, world_size = _check_rank(rank, world_size)
    _check_group(rank, world_size)
    return all_reduce_example_core(rank, world_size)


def all_reduce_example_core(rank: int, world_size: int) -> dict:
    """`all_reduce_example` after its checks: the teaching core chapter 12 shows."""
    device = rank_device(rank)
    t = torch.full((3,), float(rank + 1), device=device)  # (3,), different on every rank
    before = t.clone()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)  # in place: every rank now holds the sum
    return {"rank": rank, "world_size": world_size, "threads": torch.get_num_threads(), "before": before, "after": t}


def _check_rank(rank: object, world_size: object) -> tuple[int, int]:
    world_size = _checks.positive_int(world_size, "world_size", maximum=MAX_WORLD_SIZE)
    rank = _checks.int_at_least(rank, "rank", 0, world_size - 1)
    return rank, world_size


def _check_group(rank: int, world_size: int) -> None:
    """Raise unless this process is rank ``rank`` of a process group of ``world_size`` processes."""
    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError(
            "a worker runs inside a process group: start it with nnbook.distributed.launch(worker, world_size) "
            "or under torchrun, after init_process_group()"
        )
    if dist.get_world_size() != world_size:
        raise ValueError(f"world_size must be the size of the process group, {dist.get_world_size()}, got {world_size}")
    if dist.get_rank() != rank:
        raise ValueError(f"rank must be this process's rank in the process group, {dist.get_rank()}, got {rank}")


def _check_shardable(x: object, y: object, world_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = _checks.regression_data(x, y)
    if x.shape[0] % world_size != 0:
        raise ValueError(
            f"x must have a number of rows divisible by world_size={world_size}, so that every rank gets "
            f"a shard of the same size, got {x.shape[0]} rows"
        )
    return x, y


def _check_training(steps: object, lr: object, d_hidden: object, seed: object) -> tuple[int, float, int, int]:
    steps = _checks.positive_int(steps, "steps", maximum=1_000_000)
    lr = _checks.positive_float(lr, "lr", maximum=10.0)
    d_hidden = _checks.positive_int(d_hidden, "d_hidden", maximum=_checks.MAX_UNITS)
    seed = _checks.seed(seed)
    if seed is None:
        raise TypeError("seed must be an integer: every rank must build the same starting weights")
    return steps, lr, d_hidden, seed


def _check_data_parallel(
    rank: object, world_size: object, x: object, y: object, steps: object, lr: object, d_hidden: object, seed: object
) -> tuple[int, int, torch.Tensor, torch.Tensor, dict[str, Any]]:
    """The checks `hand_data_parallel` and `ddp_data_parallel` share; returns what their cores take."""
    rank, world_size = _check_rank(rank, world_size)
    x, y = _check_shardable(x, y, world_size)
    steps, lr, d_hidden, seed = _check_training(steps, lr, d_hidden, seed)
    _check_group(rank, world_size)
    return rank, world_size, x, y, {"steps": steps, "lr": lr, "d_hidden": d_hidden, "seed": seed}


def full_batch_reference(
    x: torch.Tensor, y: torch.Tensor, *, steps: int = 1, lr: float = 0.1, d_hidden: int = 32, seed: int = 12
) -> dict[str, torch.Tensor]:
    """``steps`` full-batch SGD steps on the mean squared error, in this process; the parameters after them.

    The network is ``build_mlp(d_in, d_hidden, d_out)`` with weights drawn
    from ``seed``: the computation the data-parallel workers split up.

    Examples:
        >>> import nnbook
        >>> x, y = nnbook.simulate_regression(n=8, seed=0)
        >>> params = full_batch_reference(x, y, steps=2)
        >>> sorted(params), params["0.weight"].shape
        (['0.bias', '0.weight', '2.bias', '2.weight'], torch.Size([32, 3]))
    """
    x, y = _checks.regression_data(x, y)
    steps, lr, d_hidden, seed = _check_training(steps, lr, d_hidden, seed)
    return full_batch_reference_core(x, y, steps=steps, lr=lr, d_hidden=d_hidden, seed=seed)


def full_batch_reference_core(x, y, *, steps, lr, d_hidden, seed):
    """`full_batch_reference` after its checks: the teaching core chapter 12 shows."""
    model = seeded_mlp(x.shape[1], d_hidden, y.shape[1], seed).to(x.device, x.dtype)
    for _ in range(steps):
        model.zero_grad()
        F.mse_loss(model(x), y).backward()  # the mean over all n rows
        with torch.no_grad():
            for p in model.parameters():
                p.add_(p.grad, alpha=-lr)  # the update torch.optim.SGD(lr=lr) makes, written as SGD writes it
    return {name: p.detach().cpu().clone() for name, p in model.state_dict().items()}


def hand_data_parallel(
    rank: int,
    world_size: int,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    steps: int = 1,
    lr: float = 0.1,
    d_hidden: int = 32,
    seed: int = 12,
) -> dict[str, torch.Tensor]:
    """Data parallelism by hand: gradient of this rank's shard, all-reduce (sum), divide by ``world_size``, step.

    Every rank builds the same network from ``seed`` and takes the rows
    ``rank, rank + world_size, rank + 2 * world_size, ...`` of ``x`` and ``y``
    (the shard ``DistributedSampler(..., shuffle=False)`` would give it). The
    number of rows must divide by ``world_size``, so that the mean of the
    shards' mean losses is the mean loss over all rows. Returns this rank's
    parameters after ``steps`` steps, which `full_batch_reference` computes in
    one process.

    Examples:
        >>> import nnbook
        >>> from nnbook.distributed import launch
        >>> x, y = nnbook.simulate_regression(n=8, seed=0)
        >>> ranks = launch(hand_data_parallel, 2, args=(x, y))
        >>> torch.equal(ranks[0]["0.weight"], ranks[1]["0.weight"])
        True
    """
    rank, world_size, x, y, settings = _check_data_parallel(rank, world_size, x, y, steps, lr, d_hidden, seed)
    return hand_data_parallel_core(rank, world_size, x, y, **settings)


def hand_data_parallel_core(rank, world_size, x, y, *, steps, lr, d_hidden, seed):
    """`hand_data_parallel` after its checks: the teaching core chapter 12 shows."""
    device = rank_device(rank)
    x_shard, y_shard = x[rank::world_size].to(device), y[rank::world_size].to(device)  # (n / world_size, d_in)
    model = seeded_mlp(x.shape[1], d_hidden, y.shape[1], seed).to(device, x.dtype)
    for _ in range(steps):
        model.zero_grad()
        F.mse_loss(model(x_shard), y_shard).backward()  # this shard's gradient
        for p in model.parameters():
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)  # every rank gets the sum over the shards
            p.grad /= world_size  # the mean of the shard gradients: the full batch's gradient
        with torch.no_grad():
            for p in model.parameters():
                p.add_(p.grad, alpha=-lr)  # the same step on every rank, so the copies stay identical
    return {name: p.detach().cpu().clone() for name, p in model.state_dict().items()}


def dropout_masks(rank: int, world_size: int, *, seed: int = 12) -> dict[str, torch.Tensor]:
    """Three dropout masks this rank draws over 64 units, from three random states; ``True`` marks a kept unit.

    First the rank builds the workers' network with `seeded_mlp` from
    ``seed``, as the other workers do. ``"as started"`` is then drawn from the
    random state the process started with (`seeded_mlp` draws the weights
    inside ``torch.random.fork_rng`` and restores that state);
    ``"same seed"`` after ``torch.manual_seed(seed)``, the same call on every
    rank; ``"seed + rank"`` after ``torch.manual_seed(seed + rank)``, a seed
    of its own on every rank.

    Examples:
        >>> from nnbook.distributed import launch
        >>> ranks = launch(dropout_masks, 2, kwargs={"seed": 12})
        >>> [torch.equal(ranks[0][key], ranks[1][key]) for key in ("same seed", "seed + rank")]
        [True, False]
    """
    rank, world_size = _check_rank(rank, world_size)
    checked = _checks.seed(seed)
    if checked is None:
        raise TypeError("seed must be an integer from 0 to 2**63 - 1: every rank seeds with it")
    _check_group(rank, world_size)
    return dropout_masks_core(rank, world_size, seed=checked)


def dropout_masks_core(rank, world_size, *, seed):
    """`dropout_masks` after its checks: the teaching core chapter 12 shows."""
    ones = torch.ones(64)  # (64,): the units of one hidden layer
    seeded_mlp(3, 32, 1, seed)  # the network every worker above builds from the shared seed
    masks = {"as started": F.dropout(ones, p=0.5) != 0}  # whatever state this process started with
    torch.manual_seed(seed)
    masks["same seed"] = F.dropout(ones, p=0.5) != 0  # every rank seeded alike
    torch.manual_seed(seed + rank)
    masks["seed + rank"] = F.dropout(ones, p=0.5) != 0  # every rank seeded differently
    return masks


def ddp_data_parallel(
    rank: int,
    world_size: int,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    steps: int = 1,
    lr: float = 0.1,
    d_hidden: int = 32,
    seed: int = 12,
) -> dict[str, torch.Tensor]:
    """`hand_data_parallel` with PyTorch's tools: ``DistributedDataParallel`` and ``DistributedSampler``.

    The sampler hands every rank its own, equally large part of a shuffled
    order of the rows, a new order each epoch (``set_epoch``); with a batch
    of ``n / world_size`` rows, one epoch is one step over all ``n`` rows.
    ``DistributedDataParallel`` copies rank 0's parameters to every rank when
    it wraps the model, and averages the gradients across ranks during
    ``backward()``. Returns this rank's parameters after ``steps`` steps.

    Examples:
        >>> import nnbook
        >>> from nnbook.distributed import launch
        >>> x, y = nnbook.simulate_regression(n=8, seed=0)
        >>> ranks = launch(ddp_data_parallel, 2, args=(x, y))
        >>> torch.equal(ranks[0]["0.weight"], ranks[1]["0.weight"])
        True
    """
    rank, world_size, x, y, settings = _check_data_parallel(rank, world_size, x, y, steps, lr, d_hidden, seed)
    return ddp_data_parallel_core(rank, world_size, x, y, **settings)


def ddp_data_parallel_core(rank, world_size, x, y, *, steps, lr, d_hidden, seed):
    """`ddp_data_parallel` after its checks: the teaching core chapter 12 shows."""
    device = rank_device(rank)
    model = seeded_mlp(x.shape[1], d_hidden, y.shape[1], seed).to(device, x.dtype)
    ddp_model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    opt = torch.optim.SGD(ddp_model.parameters(), lr=lr)
    sampler = DistributedSampler(TensorDataset(x, y), num_replicas=world_size, rank=rank, shuffle=True, seed=seed)
    loader = DataLoader(TensorDataset(x, y), batch_size=x.shape[0] // world_size, sampler=sampler)
    for epoch in range(steps):
        sampler.set_epoch(epoch)  # a new shuffled order each epoch, the same on every rank
        for x_batch, y_batch in loader:  # one batch: this rank's n / world_size rows
            opt.zero_grad()
            F.mse_loss(ddp_model(x_batch.to(device)), y_batch.to(device)).backward()  # all-reduces as it goes
            opt.step()
    return {name: p.detach().cpu().clone() for name, p in model.state_dict().items()}


def time_data_parallel(
    rank: int,
    world_size: int,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    rows: Sequence[int] | None = None,
    number: int = 20,
    d_hidden: int = 32,
    seed: int = 12,
) -> list[dict[str, float]]:
    """Seconds per step this rank spends on its shard's gradient, and on all-reducing the gradients.

    For each count in ``rows`` (default: all rows of ``x``), the first that
    many rows are shared out as in `hand_data_parallel`, and each part of a
    step is timed with ``torch.utils.benchmark.Timer.timeit(number)``: a fixed
    number of runs, the same on every rank, because an all-reduce waits until
    every rank has called it (so its time includes any wait for the slowest
    rank). Returns one dict per count: the rows and the bytes of gradient this
    rank handles per step, and the two medians in seconds.

    Examples:
        >>> import nnbook
        >>> from nnbook.distributed import launch
        >>> x, y = nnbook.simulate_regression(n=8, seed=0)
        >>> times = launch(time_data_parallel, 2, args=(x, y), kwargs={"rows": [4, 8], "number": 5})
        >>> [(t["rows"], t["gradient_bytes"]) for t in times[0]]
        [(2, 644), (4, 644)]
    """
    rank, world_size = _check_rank(rank, world_size)
    x, y = _check_shardable(x, y, world_size)
    counts = [x.shape[0]] if rows is None else rows
    if isinstance(counts, (str, bytes)) or not isinstance(counts, Sequence) or not counts:
        raise TypeError(f"rows must be a non-empty list of row counts, or None, got {_checks.show(rows)}")
    counts = [_checks.positive_int(r, f"rows[{i}]", maximum=x.shape[0]) for i, r in enumerate(counts)]
    number = _checks.positive_int(number, "number", maximum=1_000_000)
    _, _, d_hidden, seed = _check_training(1, 0.1, d_hidden, seed)
    _check_group(rank, world_size)
    for count in counts:
        _check_shardable(x[:count], y[:count], world_size)
    return time_data_parallel_core(rank, world_size, x, y, rows=counts, number=number, d_hidden=d_hidden, seed=seed)


def time_data_parallel_core(rank, world_size, x, y, *, rows, number, d_hidden, seed):
    """`time_data_parallel` after its checks: the teaching core chapter 12 shows."""
    from torch.utils.benchmark import Timer  # imported here: only this worker needs it

    device = rank_device(rank)
    model = seeded_mlp(x.shape[1], d_hidden, y.shape[1], seed).to(device, x.dtype)
    grads = [torch.zeros_like(p) for p in model.parameters()]

    def communicate() -> None:
        for g in grads:
            dist.all_reduce(g, op=dist.ReduceOp.SUM)

    timings = []
    for count in rows:
        x_shard, y_shard = x[:count][rank::world_size].to(device), y[:count][rank::world_size].to(device)

        def compute(x_shard: torch.Tensor = x_shard, y_shard: torch.Tensor = y_shard) -> None:
            model.zero_grad()
            F.mse_loss(model(x_shard), y_shard).backward()

        dist.barrier()  # every rank starts each measurement together
        computing = Timer("compute()", globals={"compute": compute}).timeit(number).median
        dist.barrier()
        communicating = Timer("communicate()", globals={"communicate": communicate}).timeit(number).median
        timings.append(
            {
                "rows": x_shard.shape[0],
                "gradient_bytes": sum(g.numel() * g.element_size() for g in grads),
                "compute": computing,
                "communicate": communicating,
            }
        )
    return timings
