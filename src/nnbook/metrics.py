"""How far predictions are from the truth."""

from __future__ import annotations

import torch

from . import _checks

__all__ = ["sse", "mse"]


def _pair(y: torch.Tensor, y_pred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    y = _checks.floating(y, "y")
    y_pred = _checks.floating(y_pred, "y_pred")
    if y.shape != y_pred.shape:
        raise ValueError(f"y_pred must have the shape of y, {tuple(y.shape)}, got {tuple(y_pred.shape)}")
    return y.detach().double().cpu(), y_pred.detach().double().cpu()


def sse(y: torch.Tensor, y_pred: torch.Tensor) -> float:
    r"""Sum of squared errors, $\sum_i (y_i - \hat y_i)^2$, computed in float64.

    Examples:
        >>> import torch
        >>> sse(torch.tensor([1.0, 2.0]), torch.tensor([1.5, 1.0]))
        1.25
    """
    y, y_pred = _pair(y, y_pred)
    return float(((y - y_pred) ** 2).sum())


def mse(y: torch.Tensor, y_pred: torch.Tensor) -> float:
    r"""Mean squared error, $\frac{1}{n}\sum_i (y_i - \hat y_i)^2$, computed in float64.

    Examples:
        >>> import torch
        >>> mse(torch.tensor([1.0, 2.0]), torch.tensor([1.5, 1.0]))
        0.625
    """
    y, y_pred = _pair(y, y_pred)
    return float(((y - y_pred) ** 2).mean())
