"""The forward pass written out by hand: a neuron, a layer, a two-layer network.

Weights follow the layout of ``torch.nn.Linear``: a layer from ``d_in`` to
``d_out`` units holds ``weight`` of shape ``(d_out, d_in)`` and ``bias`` of
shape ``(d_out,)``. So the parameters of `nnbook.TwoLayerNet` can be
passed straight to `two_layer_forward`.
"""

from __future__ import annotations

from typing import Callable

import torch

from . import _checks
from .activations import relu

__all__ = ["neuron", "dense", "two_layer_forward"]

Activation = Callable[[torch.Tensor], torch.Tensor]


def neuron(x: torch.Tensor, w: torch.Tensor, b: float | torch.Tensor, activation: Activation | None = None) -> torch.Tensor:
    r"""One artificial neuron: the pre-activation $z = w \cdot x + b$, then ``activation(z)``.

    Args:
        x: inputs, shape ``(d_in,)``.
        w: one weight per input, shape ``(d_in,)``.
        b: the bias, a number or a tensor holding one number.
        activation: applied to ``z``; ``None`` returns ``z`` itself.

    Examples:
        >>> import torch
        >>> x = torch.tensor([1.5, 2.0, -1.0])
        >>> w = torch.tensor([0.3, -0.4, 0.2])
        >>> neuron(x, w, 0.1)
        tensor(-0.4500)
    """
    x = _checks.ndim(_checks.floating(x, "x"), "x", (1,), "(d_in,)")
    w = _checks.ndim(_checks.floating(w, "w"), "w", (1,), "(d_in,)")
    if w.shape != x.shape:
        raise ValueError(f"w must have shape {tuple(x.shape)} to match x, got {tuple(w.shape)}")
    z = torch.dot(w, x) + b
    return z if activation is None else activation(z)


def dense(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, activation: Activation | None = None) -> torch.Tensor:
    r"""A fully connected layer, $h = f(W x + b)$, for one input or a batch.

    For one input ``x`` of shape ``(d_in,)`` this is ``weight.mv(x) + bias``. For a
    batch of shape ``(n, d_in)`` the rows are inputs, so the weight goes on the
    right, transposed: ``x.mm(weight.t()) + bias`` has shape ``(n, d_out)``.

    Args:
        x: shape ``(d_in,)`` or ``(n, d_in)``.
        weight: shape ``(d_out, d_in)``.
        bias: shape ``(d_out,)``.
        activation: applied element-wise; ``None`` keeps the layer linear.

    Examples:
        >>> import torch
        >>> weight = torch.tensor([[1.0, 0.0], [0.0, -1.0], [1.0, 1.0]])  # (3, 2)
        >>> dense(torch.tensor([2.0, 3.0]), weight, torch.zeros(3))
        tensor([ 2., -3.,  5.])
        >>> dense(torch.ones(4, 2), weight, torch.zeros(3)).shape
        torch.Size([4, 3])
    """
    x = _checks.ndim(_checks.floating(x, "x"), "x", (1, 2), "(d_in,) or (n, d_in)")
    weight = _checks.ndim(_checks.floating(weight, "weight"), "weight", (2,), "(d_out, d_in)")
    bias = _checks.ndim(_checks.floating(bias, "bias"), "bias", (1,), "(d_out,)")
    d_out, d_in = weight.shape
    if x.shape[-1] != d_in:
        raise ValueError(
            f"x must have {d_in} features in its last dimension to match weight of shape "
            f"{tuple(weight.shape)}, got x of shape {tuple(x.shape)}"
        )
    if bias.shape[0] != d_out:
        raise ValueError(f"bias must have shape ({d_out},) to match weight, got {tuple(bias.shape)}")
    z = weight.mv(x) + bias if x.ndim == 1 else x.mm(weight.t()) + bias
    return z if activation is None else activation(z)


def two_layer_forward(
    x: torch.Tensor,
    w1: torch.Tensor,
    b1: torch.Tensor,
    w2: torch.Tensor,
    b2: torch.Tensor,
) -> torch.Tensor:
    r"""Forward pass of a two-layer network: $y = W_2\,\mathrm{relu}(W_1 x + b_1) + b_2$.

    Shapes: ``x`` is ``(d_in,)`` or ``(n, d_in)``; ``w1`` is ``(d_hidden, d_in)``,
    ``b1`` is ``(d_hidden,)``, ``w2`` is ``(d_out, d_hidden)``, ``b2`` is
    ``(d_out,)``. The result is ``(d_out,)`` or ``(n, d_out)``.

    Examples:
        >>> import torch
        >>> from nnbook import TwoLayerNet
        >>> _ = torch.manual_seed(0)
        >>> model = TwoLayerNet(3, 4, 2)
        >>> x = torch.randn(5, 3)
        >>> params = [p.detach() for p in model.parameters()]  # w1, b1, w2, b2
        >>> torch.allclose(two_layer_forward(x, *params), model(x))
        True
    """
    h = dense(x, w1, b1, activation=relu)  # (n, d_hidden) or (d_hidden,)
    return dense(h, w2, b2)  # (n, d_out) or (d_out,)
