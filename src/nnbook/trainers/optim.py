"""Level 4: a torch loss function and a ``torch.optim`` optimizer do the rest."""

from __future__ import annotations

import torch
from torch import nn

from .common import LEVEL_DEFAULTS, OPTIMIZERS, EpochCallback, Run, Settings, TrainResult
from .module import seeded_mlp

__all__ = ["train_optim"]


def train_optim(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    d_hidden: int = 32,
    epochs: int = 200,
    lr: float = LEVEL_DEFAULTS["optim"]["lr"],
    loss: str = LEVEL_DEFAULTS["optim"]["loss"],
    seed: int | None = 0,
    log_every: int | None = 10,
    device: str | torch.device | None = None,
    on_epoch: EpochCallback | None = None,
    batch_size: int | None = None,
    x_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
    patience: int | None = None,
    optimizer: str = "adam",
) -> TrainResult:
    """Train `build_mlp`'s network with ``nn.MSELoss`` and ``torch.optim``.

    Takes the same arguments as `nnbook.train_scratch`, plus
    ``optimizer``: ``"adam"`` (the default, with ``lr=1e-3`` as in R's
    ``optim_adam``) or ``"sgd"``.

    Examples:
        >>> from nnbook import simulate_regression
        >>> x, y = simulate_regression(n=200, seed=0)
        >>> result = train_optim(x, y, epochs=50, log_every=0)
        >>> result.losses[-1] < result.losses[0]
        True
    """
    run = Run("optim", x, y, Settings.of(locals()))  # checks every argument, once
    loss_fn = nn.MSELoss(reduction="sum" if run.loss == "sse" else "mean")
    _check_loss_has_a_gradient(run, loss_fn)
    return optimize(run, loss_fn)


def _check_loss_has_a_gradient(run: Run, loss_fn: nn.Module) -> None:
    """Refuse, naming x, a half-precision dtype whose gradient ``loss_fn`` lacks on ``run.device``.

    torch 2.4 has no float16 gradient of ``mse_loss`` on the CPU: without this check the first
    ``backward()`` failed deep inside autograd. A one-number trial costs microseconds.
    """
    if run.x.dtype not in (torch.float16, torch.bfloat16):
        return
    trial = torch.zeros(1, run.d_out, dtype=run.x.dtype, device=run.device, requires_grad=True)
    try:
        loss_fn(trial, trial.detach()).backward()
    except (RuntimeError, NotImplementedError) as error:
        raise TypeError(
            f"x and y are {run.x.dtype}, whose mean squared error this torch ({torch.__version__}) cannot "
            f"differentiate on {run.device}: {error}; train in float32 (x.float(), y.float())"
        ) from None


def optimize(run: Run, loss_fn: nn.Module) -> TrainResult:
    """The loop of `train_optim`, for any loss: ``nn.Sequential``, a ``torch.optim`` optimizer, ``loss_fn``.

    ``run`` has checked the arguments and holds the data; `nnbook.classification.train_classifier`
    calls this with ``nn.CrossEntropyLoss()``.
    """
    model = seeded_mlp(run.d_in, run.d_hidden, run.d_out, run.seed).to(run.device, run.x.dtype)
    opt = OPTIMIZERS[run.optimizer](model.parameters(), lr=run.lr)  # type: ignore[index]  # set for these levels
    for epoch in range(1, run.epochs + 1):
        for x_batch, y_batch in run.batches():  # all rows at once, unless batch_size asks for mini-batches
            error = loss_fn(model(x_batch), y_batch)
            run.record(epoch, error)
            opt.zero_grad()
            error.backward()
            opt.step()
        if run.end_epoch(epoch, model):  # True when early stopping ends the run
            break
    return run.finish(model=model)
