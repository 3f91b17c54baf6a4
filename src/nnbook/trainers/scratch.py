"""Level 1: hand-written forward pass, backward pass and update."""

from __future__ import annotations

import torch

from ..backprop import backward_core, forward_core, init_params, loss_core
from .common import LEVEL_DEFAULTS, EpochCallback, Run, Settings, TrainResult

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
    batch_size: int | None = None,
    x_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
    patience: int | None = None,
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
        batch_size: rows per update. ``None`` (the default) takes one step per
            epoch on all rows; a number takes one step per batch of rows, shuffled
            each epoch by a generator seeded from ``seed``. ``batch_size >= n``
            is the full batch, exactly.
        x_val: validation inputs ``(n_val, d_in)``; with ``y_val``, the loss on
            them is computed after every epoch (``result.val_losses``).
        y_val: validation targets ``(n_val, d_out)``.
        patience: early stopping: end training once this many epochs have passed
            without a lower validation loss, and return the parameters of the
            best epoch (``result.best_epoch``). Needs ``x_val`` and ``y_val``.

    Examples:
        >>> from nnbook import simulate_regression
        >>> x, y = simulate_regression(n=100, seed=0)
        >>> result = train_scratch(x, y, epochs=50, log_every=0)
        >>> result.epochs, result.losses[-1] < result.losses[0]
        (50, True)
        >>> x_val, y_val = simulate_regression(n=50, seed=1)
        >>> result = train_scratch(x, y, batch_size=25, x_val=x_val, y_val=y_val, patience=5, log_every=0)
        >>> len(result.val_losses) == result.epochs, result.best_epoch <= result.epochs
        (True, True)
    """
    run = Run("scratch", x, y, Settings.of(locals()))  # checks every argument, once
    params = init_params(run.d_in, run.d_hidden, run.d_out, seed=run.seed, dtype=run.x.dtype, device=run.device)
    lr, loss = run.lr, run.loss
    for epoch in range(1, run.epochs + 1):
        for x_batch, y_batch in run.batches():  # all rows at once, unless batch_size asks for mini-batches
            # Run checked the data and the settings once; the loop calls the unchecked cores.
            fwd = forward_core(x_batch, params)
            run.record(epoch, loss_core(fwd.y_pred, y_batch, loss))
            grads = backward_core(x_batch, y_batch, params, fwd, loss)
            for name, grad in grads.items():
                params[name] -= lr * grad
        if run.end_epoch(epoch, params):  # True when early stopping ends the run
            break
    # TrainResult.predict checks the new x against these parameters, so the core suffices here.
    return run.finish(params, predict=lambda new_x: forward_core(new_x, params).y_pred)
