"""Data-parallel training with ``torch.distributed``: a launcher and the workers chapter 12 runs.

The engine is PyTorch's own: ``torch.distributed`` with the gloo backend on
CPUs (NCCL when there is a CUDA GPU for every process), and processes started
by ``torch.multiprocessing``. The package has three parts:

| module | what it holds |
| --- | --- |
| `nnbook.distributed.launcher` | `launch`: start a group's processes, hand back each rank's result |
| `nnbook.distributed.workers` | chapter 12's workers, and `full_batch_reference`, which they must match |
| `nnbook.distributed.train_ddp` | a complete training script for ``torchrun``, to copy |

A worker is a function ``worker(rank, world_size, *args, **kwargs)`` defined
at the top level of a module, so that the new processes can import it (a
function defined in a notebook cannot be; `launch` says so before starting
anything). It runs inside an initialised process group and returns what its
rank should hand back: tensors, numbers, strings, and lists, tuples or dicts
of them (a ``state_dict`` is fine).

| worker | what it does |
| --- | --- |
| `all_reduce_example` | an all-reduce on a plain tensor |
| `hand_data_parallel` | gradient of this rank's shard, all-reduce, divide, step |
| `ddp_data_parallel` | the same with ``DistributedDataParallel`` and ``DistributedSampler`` |
| `dropout_masks` | what each rank draws: unseeded, with the same seed, with a seed per rank |
| `time_data_parallel` | seconds per step spent computing and communicating |

``torchrun --standalone --nproc-per-node=2 -m nnbook.distributed`` runs the
script of `nnbook.distributed.train_ddp`.

Examples:
    >>> from nnbook.distributed import launch, all_reduce_example
    >>> results = launch(all_reduce_example, world_size=2)
    >>> [r["after"].tolist() for r in results]
    [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]
"""

from .launcher import WorkerError, default_backend, launch, rank_device
from .workers import (
    all_reduce_example,
    ddp_data_parallel,
    dropout_masks,
    full_batch_reference,
    hand_data_parallel,
    time_data_parallel,
)

__all__ = [
    "WorkerError",
    "all_reduce_example",
    "ddp_data_parallel",
    "default_backend",
    "dropout_masks",
    "full_batch_reference",
    "hand_data_parallel",
    "launch",
    "rank_device",
    "time_data_parallel",
]
