"""One trainer per level of help from torch, all with the same arguments and result.

| level | trainer | what is written by hand |
| --- | --- | --- |
| `scratch` | `train_scratch` | forward pass, backward pass, update |
| `autograd` | `train_autograd` | forward pass, update (autograd computes the gradients) |
| `module` | `train_module` | update (an `nn.Sequential` model does the forward pass) |
| `optim` | `train_optim` | nothing (`nn.MSELoss` and a `torch.optim` optimizer) |

Every trainer also takes ``batch_size`` (mini-batches, chapter 8), and ``x_val``,
``y_val`` and ``patience`` (validation losses and early stopping, chapter 9).
"""

from collections.abc import Callable

from .autograd import train_autograd
from .common import LEVEL_DEFAULTS, EpochCallback, TrainingDivergedError, TrainResult
from .module import build_mlp, train_module
from .optim import train_optim
from .scratch import train_scratch

TRAINERS: dict[str, Callable[..., TrainResult]] = {
    "scratch": train_scratch,
    "autograd": train_autograd,
    "module": train_module,
    "optim": train_optim,
}
"""The trainers by level name, from the most hand-written to the most automatic.

Each level's default loss and learning rate are in `LEVEL_DEFAULTS`, with the same keys."""

__all__ = [
    "EpochCallback",
    "LEVEL_DEFAULTS",
    "TRAINERS",
    "TrainResult",
    "TrainingDivergedError",
    "build_mlp",
    "train_autograd",
    "train_module",
    "train_optim",
    "train_scratch",
]
