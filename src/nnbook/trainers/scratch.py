"""Level 1: hand-written forward pass, backward pass and update."""

from __future__ import annotations

import torch

from ..backprop import backward, forward, init_params, loss_value, predict
from .common import LEVEL_DEFAULTS, EpochCallback, Run, TrainResult

__all__ = ["train_scratch"]


def train_scratch(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    d_hidden: int = 32,
    epochs: int = 200,
    lr: float = LEVEL_DEFAULTS["scratch"]["lr"],
    loss: str = LEVEL_DEFAULTS["scratch"]["loss"],
    seed: int | None = 0,
    log_every: int | None = 10,
    device: str | torch.device | None = None,
    on_epoch: EpochCallback | None = None,
) -> TrainResult:
    """Train the two-layer ReLU network with gradients derived by hand.

    Args:
        x: inputs, shape ``(n, d_in)``.
        y: targets, shape ``(n, d_out)``.
        d_hidden: number of hidden units.
        epochs: passes over the data, one update each.
        lr: learning rate, the step size of each update.
        loss: ``"sse"`` (sum of squared errors) or ``"mse"`` (their mean).
        seed: seeds the starting weights; ``None`` draws fresh ones.
        log_every: print the loss every this many epochs; ``0`` or ``None`` is silent.
        device: where to train; ``None`` keeps ``x``'s device.
        on_epoch: called as ``on_epoch(epoch, loss)`` after each epoch.

    Examples:
        >>> from nnbook import simulate_regression
        >>> x, y = simulate_regression(n=100, seed=0)
        >>> result = train_scratch(x, y, epochs=50, log_every=0)
        >>> result.epochs, result.losses[-1] < result.losses[0]
        (50, True)
    """
    run = Run("scratch", x, y, d_hidden=d_hidden, epochs=epochs, lr=lr, loss=loss, seed=seed,
              log_every=log_every, device=device, on_epoch=on_epoch)
    x, y = run.x, run.y
    params = init_params(run.d_in, run.d_hidden, run.d_out, seed=run.seed, dtype=x.dtype, device=run.device)
    for epoch in range(1, run.epochs + 1):
        acts = forward(x, params)
        run.record(epoch, loss_value(acts.y_pred, y, run.loss))
        grads = backward(x, y, params, acts, run.loss)
        for name in params:
            params[name] -= run.lr * grads[name]
    return run.finish(params, predict=lambda new_x: predict(new_x, params))
