"""Networks as ``torch.nn.Module`` subclasses."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from . import _checks

__all__ = ["TwoLayerNet", "count_parameters"]


class TwoLayerNet(nn.Module):
    """Two fully connected layers with a ReLU between them.

    ``layer1`` maps ``d_in`` inputs to ``d_hidden`` units, ``layer2`` maps those
    to ``d_out`` outputs. A 3-4-2 network has 3*4 + 4 = 16 parameters in its
    first layer and 4*2 + 2 = 10 in its second.

    Examples:
        >>> import torch
        >>> model = TwoLayerNet(d_in=3, d_hidden=4, d_out=2)
        >>> count_parameters(model)
        26
        >>> model(torch.randn(8, 3)).shape
        torch.Size([8, 2])
    """

    def __init__(self, d_in: int, d_hidden: int, d_out: int) -> None:
        super().__init__()
        self.d_in: int
        self.d_in, d_hidden, d_out = _checks.layer_sizes(d_in, d_hidden, d_out)
        self.layer1: nn.Linear = nn.Linear(self.d_in, d_hidden)
        self.layer2: nn.Linear = nn.Linear(d_hidden, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``x`` of shape ``(n, d_in)`` (or ``(d_in,)``) to ``(n, d_out)`` (or ``(d_out,)``)."""
        x = _checks.floating(x, "x")
        if x.ndim not in (1, 2) or x.shape[-1] != self.d_in:
            raise ValueError(f"x must have shape (n, {self.d_in}) or ({self.d_in},), got {tuple(x.shape)}")
        # A float64 x against float32 weights fails deep inside torch; say so here instead.
        _checks.same_kind(x, "x", self.layer1.weight, "the model's weights")
        h = F.relu(self.layer1(x))  # (n, d_hidden)
        return self.layer2(h)  # (n, d_out)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in ``model``.

    Examples:
        >>> from torch import nn
        >>> count_parameters(nn.Linear(3, 1))  # 3 weights + 1 bias
        4
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {_checks.show(model)}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
