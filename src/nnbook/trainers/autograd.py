"""Level 2: hand-written forward pass; autograd computes the gradients."""

from __future__ import annotations

import torch

from ..backprop import forward_core, init_params, loss_core
from .common import LEVEL_DEFAULTS, EpochCallback, Run, Settings, TrainResult

__all__ = ["train_autograd"]


def train_autograd(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    d_hidden: int = 32,
    epochs: int = 200,
    lr: float = LEVEL_DEFAULTS["autograd"]["lr"],
    loss: str = LEVEL_DEFAULTS["autograd"]["loss"],
    seed: int | None = 0,
    log_every: int | None = 10,
    device: str | torch.device | None = None,
    on_epoch: EpochCallback | None = None,
    batch_size: int | None = None,
    x_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
    patience: int | None = None,
) -> TrainResult:
    """Train the two-layer ReLU network, with ``loss.backward()`` computing the gradients.

    Takes the same arguments as `nnbook.train_scratch`; the defaults
    (mean squared error, ``lr=1e-2``) are those of the book's autograd chapter.
    With the same ``seed``, ``loss`` and ``lr`` it starts from the same weights
    as ``train_scratch`` and follows the same path.

    Examples:
        >>> from nnbook import simulate_regression
        >>> x, y = simulate_regression(n=100, seed=0)
        >>> result = train_autograd(x, y, epochs=50, log_every=0)
        >>> result.losses[-1] < result.losses[0]
        True
    """
    run = Run("autograd", x, y, Settings.of(locals()))  # checks every argument, once
    params = init_params(run.d_in, run.d_hidden, run.d_out, seed=run.seed, dtype=run.x.dtype, device=run.device)
    for p in params.values():
        p.requires_grad_(True)
    lr, loss = run.lr, run.loss
    for epoch in range(1, run.epochs + 1):
        for x_batch, y_batch in run.batches():  # all rows at once, unless batch_size asks for mini-batches
            error = loss_core(forward_core(x_batch, params).y_pred, y_batch, loss)  # checked once, by Run
            run.record(epoch, error)
            error.backward()
            with torch.no_grad():  # the update itself must not become part of the graph
                for p in params.values():
                    p -= lr * p.grad  # type: ignore[operator]  # backward() filled every .grad
                    p.grad.zero_()  # type: ignore[union-attr]  # gradients add up across backward() calls otherwise
        if run.end_epoch(epoch, params):  # True when early stopping ends the run
            break
    # TrainResult.predict checks the new x against these parameters, so the core suffices here.
    return run.finish(params, predict=lambda new_x: forward_core(new_x, params).y_pred)
