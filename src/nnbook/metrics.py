"""How far predictions are from the truth.

Both functions take ``(y_pred, y)``, the order of torch's loss functions
(input, then target), and return a Python float computed in float64.
"""

from __future__ import annotations

import torch

from . import _checks

__all__ = ["sse", "mse"]


def _pair(y_pred: object, y: object) -> tuple[torch.Tensor, torch.Tensor]:
    y_pred, y = _checks.prediction_pair(y_pred, y)
    if y.numel() == 0:
        raise ValueError("y must hold at least one value, got an empty tensor")
    return y_pred.detach().double().cpu(), y.detach().double().cpu()


def sse(y_pred: torch.Tensor, y: torch.Tensor) -> float:
    r"""Sum of squared errors, $\sum_i (\hat y_i - y_i)^2$, computed in float64.

    ``y_pred`` and ``y`` must have the same shape: a ``(6, 1)`` column against
    a ``(6,)`` vector is an error, not a ``(6, 6)`` broadcast.

    Examples:
        >>> import torch
        >>> sse(torch.tensor([1.5, 1.0]), torch.tensor([1.0, 2.0]))
        1.25
    """
    y_pred, y = _pair(y_pred, y)
    return float(((y_pred - y) ** 2).sum())


def mse(y_pred: torch.Tensor, y: torch.Tensor) -> float:
    r"""Mean squared error, $\frac{1}{n}\sum_i (\hat y_i - y_i)^2$, computed in float64.

    Examples:
        >>> import torch
        >>> mse(torch.tensor([1.5, 1.0]), torch.tensor([1.0, 2.0]))
        0.625
    """
    y_pred, y = _pair(y_pred, y)
    return float(((y_pred - y) ** 2).mean())
