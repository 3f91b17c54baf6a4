"""The forward pass written out by hand: a neuron, a layer, a two-layer network.

Inputs are rows and weights sit on the right, ``x @ w + b``, the layout of
`nnbook.backprop` and of every trainer's result:

| name | shape |
| --- | --- |
| ``w`` (a layer) | ``(d_in, d_out)`` |
| ``b`` (a layer) | ``(d_out,)`` |
| ``w1``, ``b1`` | ``(d_in, d_hidden)``, ``(d_hidden,)`` |
| ``w2``, ``b2`` | ``(d_hidden, d_out)``, ``(d_out,)`` |

``torch.nn.Linear`` stores the transpose, ``weight`` of shape
``(d_out, d_in)``; `two_layer_params` turns a module's parameters into this
layout.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from . import _checks
from .activations import relu

__all__ = ["neuron", "dense", "two_layer_forward", "two_layer_params"]

Activation = Callable[[torch.Tensor], torch.Tensor]


def _activation(activation: object) -> Activation | None:
    if activation is not None:
        _checks.function(activation, "activation", "such as nnbook.relu or torch.sigmoid, or None")
    return activation  # type: ignore[return-value]


def _layer(x: torch.Tensor, w: object, b: object, w_name: str, b_name: str, x_name: str) -> torch.Tensor:
    """``x @ w + b`` after checking that the three fit together, naming the caller's arguments."""
    w = _checks.ndim(_checks.floating(w, w_name), w_name, (2,), "(d_in, d_out)")
    b = _checks.ndim(_checks.floating(b, b_name), b_name, (1,), "(d_out,)")
    _checks.same_kind(w, w_name, x, x_name)
    _checks.same_kind(b, b_name, x, x_name)
    d_in, d_out = w.shape
    if x.shape[-1] != d_in:
        raise ValueError(
            f"{x_name} must have {d_in} values in its last dimension to match {w_name} of shape "
            f"{tuple(w.shape)}, got {x_name} of shape {tuple(x.shape)}"
        )
    _checks.shape(b, b_name, (d_out,), f", one bias per column of {w_name}")
    return x @ w + b  # (d_out,) or (n, d_out)


def _input(x: object) -> torch.Tensor:
    x = _checks.ndim(_checks.floating(x, "x"), "x", (1, 2), "(d_in,) or (n, d_in)")
    if x.shape[-1] == 0:
        raise ValueError(f"x must have at least one input value, got shape {tuple(x.shape)}")
    return x


def neuron(
    x: torch.Tensor, w: torch.Tensor, b: float | torch.Tensor, activation: Activation | None = None
) -> torch.Tensor:
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
    _checks.same_kind(w, "w", x, "x")
    if w.shape != x.shape:
        raise ValueError(f"w must have shape {tuple(x.shape)} to match x, got {tuple(w.shape)}")
    if isinstance(b, torch.Tensor):
        b = _checks.same_kind(_checks.floating(b, "b"), "b", x, "x")
        if b.numel() != 1:
            raise ValueError(f"b must hold one number, got a tensor of shape {tuple(b.shape)}")
        b = b.reshape(())
    else:
        b = _checks.number(b, "b")
    activation = _activation(activation)
    z = torch.dot(w, x) + b
    return z if activation is None else activation(z)


def dense(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, activation: Activation | None = None) -> torch.Tensor:
    r"""A fully connected layer, $h = f(x w + b)$, for one input or a batch.

    The weights of unit ``j`` are column ``j`` of ``w``, so one input ``x`` of
    shape ``(d_in,)`` and a batch of shape ``(n, d_in)`` (inputs as rows) both
    go through as ``x @ w + b``.

    Args:
        x: shape ``(d_in,)`` or ``(n, d_in)``.
        w: shape ``(d_in, d_out)``.
        b: shape ``(d_out,)``.
        activation: applied element-wise; ``None`` keeps the layer linear.

    Examples:
        >>> import torch
        >>> w = torch.tensor([[1.0, 0.0, 1.0], [0.0, -1.0, 1.0]])  # (2, 3): 2 inputs, 3 units
        >>> dense(torch.tensor([2.0, 3.0]), w, torch.zeros(3))
        tensor([ 2., -3.,  5.])
        >>> dense(torch.ones(4, 2), w, torch.zeros(3)).shape
        torch.Size([4, 3])
    """
    x = _input(x)
    activation = _activation(activation)
    z = _layer(x, w, b, "w", "b", "x")
    return z if activation is None else activation(z)


def two_layer_forward(
    x: torch.Tensor,
    w1: torch.Tensor,
    b1: torch.Tensor,
    w2: torch.Tensor,
    b2: torch.Tensor,
) -> torch.Tensor:
    r"""Forward pass of a two-layer network: $\hat y = \mathrm{relu}(x W_1 + b_1) W_2 + b_2$.

    Shapes: ``x`` is ``(d_in,)`` or ``(n, d_in)``; ``w1`` is ``(d_in, d_hidden)``,
    ``b1`` is ``(d_hidden,)``, ``w2`` is ``(d_hidden, d_out)``, ``b2`` is
    ``(d_out,)``. The result is ``(d_out,)`` or ``(n, d_out)``.

    Examples:
        >>> import torch
        >>> from nnbook import TwoLayerNet
        >>> _ = torch.manual_seed(0)
        >>> model = TwoLayerNet(3, 4, 2)
        >>> x = torch.randn(5, 3)
        >>> params = two_layer_params(model)  # w1 (3, 4), b1 (4,), w2 (4, 2), b2 (2,)
        >>> torch.allclose(two_layer_forward(x, **params), model(x))
        True
    """
    x = _input(x)
    h = relu(_layer(x, w1, b1, "w1", "b1", "x"))  # (n, d_hidden) or (d_hidden,)
    w2 = _checks.ndim(_checks.floating(w2, "w2"), "w2", (2,), "(d_hidden, d_out)")
    if w2.shape[0] != h.shape[-1]:
        raise ValueError(
            f"w2 must have {h.shape[-1]} rows, one per column of w1 (shape {tuple(w1.shape)}), "
            f"got shape {tuple(w2.shape)}"
        )
    return _layer(h, w2, b2, "w2", "b2", "x")  # (n, d_out) or (d_out,)


def two_layer_params(model: nn.Module) -> dict[str, torch.Tensor]:
    """The parameters of a two-layer network module as ``w1``, ``b1``, ``w2``, ``b2`` in nnbook's layout.

    ``model`` is a `nnbook.TwoLayerNet` or the ``nn.Sequential`` of
    `nnbook.build_mlp`. ``nn.Linear`` keeps its weight as ``(d_out, d_in)``,
    so ``w1`` is ``layer1.weight.T``. The tensors are detached copies: training
    the model further does not change them.

    Examples:
        >>> from nnbook import build_mlp
        >>> params = two_layer_params(build_mlp(3, 32, 1))
        >>> {name: tuple(p.shape) for name, p in params.items()}
        {'w1': (3, 32), 'b1': (32,), 'w2': (32, 1), 'b2': (1,)}
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {_checks.show(model)}")
    linears = [m for m in model.children() if isinstance(m, nn.Linear)]
    if len(linears) != 2 or any(layer.bias is None for layer in linears):
        raise ValueError(
            "model must be a two-layer network with two nn.Linear layers with biases, such as "
            f"nnbook.TwoLayerNet or nnbook.build_mlp; got {type(model).__name__} with {len(linears)} nn.Linear layer(s)"
        )
    first, second = linears
    return {
        "w1": first.weight.detach().t().clone(memory_format=torch.contiguous_format),  # (d_in, d_hidden)
        "b1": first.bias.detach().clone(),  # (d_hidden,)
        "w2": second.weight.detach().t().clone(memory_format=torch.contiguous_format),  # (d_hidden, d_out)
        "b2": second.bias.detach().clone(),  # (d_out,)
    }
