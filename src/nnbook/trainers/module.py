"""Level 3: the network as ``nn.Sequential``; the update is still written by hand."""

from __future__ import annotations

import torch
from torch import nn

from .. import _checks
from ..backprop import loss_core
from .common import LEVEL_DEFAULTS, EpochCallback, Run, Settings, TrainResult, seeded_module

__all__ = ["build_mlp", "seeded_mlp", "train_module"]


def build_mlp(d_in: int, d_hidden: int, d_out: int) -> nn.Sequential:
    """``Linear(d_in, d_hidden)``, ``ReLU()``, ``Linear(d_hidden, d_out)``.

    Examples:
        >>> build_mlp(3, 32, 1)
        Sequential(
          (0): Linear(in_features=3, out_features=32, bias=True)
          (1): ReLU()
          (2): Linear(in_features=32, out_features=1, bias=True)
        )
    """
    d_in, d_hidden, d_out = _checks.layer_sizes(d_in, d_hidden, d_out)
    return nn.Sequential(
        nn.Linear(d_in, d_hidden),  # rows of d_in inputs -> d_hidden units
        nn.ReLU(),
        nn.Linear(d_hidden, d_out),  # d_hidden units -> d_out outputs
    )


def seeded_mlp(d_in: int, d_hidden: int, d_out: int, seed: int | None) -> nn.Sequential:
    """`build_mlp`'s network with torch's default initialisation drawn from ``seed`` (see `seeded_module`).

    Examples:
        >>> a, b = seeded_mlp(3, 4, 1, seed=0), seeded_mlp(3, 4, 1, seed=0)
        >>> torch.equal(a[0].weight, b[0].weight)
        True
    """
    return seeded_module(lambda: build_mlp(d_in, d_hidden, d_out), seed)  # type: ignore[return-value]


def train_module(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    d_hidden: int = 32,
    epochs: int = 200,
    lr: float = LEVEL_DEFAULTS["module"]["lr"],
    loss: str = LEVEL_DEFAULTS["module"]["loss"],
    seed: int | None = 0,
    log_every: int | None = 10,
    device: str | torch.device | None = None,
    on_epoch: EpochCallback | None = None,
    batch_size: int | None = None,
    x_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
    patience: int | None = None,
) -> TrainResult:
    """Train `build_mlp`'s network, updating each parameter under ``torch.no_grad()``.

    Takes the same arguments as `nnbook.train_scratch`. The layers start
    from torch's default initialisation, drawn from ``seed``.

    Examples:
        >>> from nnbook import simulate_regression
        >>> x, y = simulate_regression(n=100, seed=0)
        >>> result = train_module(x, y, epochs=50, log_every=0)
        >>> type(result.model).__name__
        'Sequential'
    """
    run = Run("module", x, y, Settings.of(locals()))  # checks every argument, once
    model = seeded_mlp(run.d_in, run.d_hidden, run.d_out, run.seed).to(run.device, run.x.dtype)
    lr, loss = run.lr, run.loss
    for epoch in range(1, run.epochs + 1):
        for x_batch, y_batch in run.batches():  # all rows at once, unless batch_size asks for mini-batches
            error = loss_core(model(x_batch), y_batch, loss)  # checked once, by Run
            run.record(epoch, error)
            model.zero_grad()
            error.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad  # type: ignore[operator, misc]  # backward() filled every .grad
        if run.end_epoch(epoch, model):  # True when early stopping ends the run
            break
    return run.finish(model=model)
