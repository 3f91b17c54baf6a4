"""Forward and backward pass of the two-layer regression network, by hand.

Here the weights use the layout of the book's from-scratch chapter: inputs are
rows, so ``w1`` is ``(d_in, d_hidden)`` and a layer is ``x.mm(w1) + b1``.
Biases are row vectors, ``b1`` of shape ``(1, d_hidden)``, that broadcast over
the ``n`` rows.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from . import _checks

__all__ = ["Activations", "init_params", "forward", "predict", "loss_value", "backward", "LOSSES"]

LOSSES = ("sse", "mse")
"""``"sse"`` sums the squared errors, ``"mse"`` averages them."""


class Activations(NamedTuple):
    """What the forward pass computes, kept for the backward pass.

    Examples:
        >>> acts = forward(torch.ones(4, 3), init_params(3, 5, 1, seed=0))
        >>> [tuple(t.shape) for t in acts]
        [(4, 5), (4, 5), (4, 1)]
    """

    h: torch.Tensor  # (n, d_hidden) pre-activation of the hidden layer
    h_relu: torch.Tensor  # (n, d_hidden) hidden activation
    y_pred: torch.Tensor  # (n, d_out) output


def init_params(
    d_in: int,
    d_hidden: int,
    d_out: int,
    *,
    seed: int | None = 0,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> dict[str, torch.Tensor]:
    """Standard-normal weights and zero biases, as in the book.

    Weights differ per connection, so ``w1`` has one entry per (input, hidden
    unit) pair; biases belong to units, so ``b1`` has one entry per hidden unit.

    Examples:
        >>> params = init_params(3, 32, 1, seed=0)
        >>> {name: tuple(p.shape) for name, p in params.items()}
        {'w1': (3, 32), 'b1': (1, 32), 'w2': (32, 1), 'b2': (1, 1)}
    """
    d_in = _checks.positive_int(d_in, "d_in")
    d_hidden = _checks.positive_int(d_hidden, "d_hidden")
    d_out = _checks.positive_int(d_out, "d_out")
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(int(seed))
    # Drawn on the CPU with a private generator, then moved: the same seed gives
    # the same starting weights on every device.
    params = {
        "w1": torch.randn(d_in, d_hidden, generator=generator, dtype=dtype),
        "b1": torch.zeros(1, d_hidden, dtype=dtype),
        "w2": torch.randn(d_hidden, d_out, generator=generator, dtype=dtype),
        "b2": torch.zeros(1, d_out, dtype=dtype),
    }
    return {name: p.to(device) for name, p in params.items()} if device is not None else params


def forward(x: torch.Tensor, params: dict[str, torch.Tensor]) -> Activations:
    """Run the network on ``x`` of shape ``(n, d_in)``, keeping what backward needs.

    Examples:
        >>> params = init_params(3, 32, 1, seed=0)
        >>> acts = forward(torch.randn(100, 3), params)
        >>> acts.h.shape, acts.y_pred.shape
        (torch.Size([100, 32]), torch.Size([100, 1]))
        >>> bool((acts.h_relu >= 0).all())
        True
    """
    h = x.mm(params["w1"]) + params["b1"]  # (n, d_hidden)
    h_relu = h.clamp(min=0)  # (n, d_hidden): ReLU
    y_pred = h_relu.mm(params["w2"]) + params["b2"]  # (n, d_out)
    return Activations(h, h_relu, y_pred)


def predict(x: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
    """Only the output of `forward`, shape ``(n, d_out)``.

    Examples:
        >>> predict(torch.zeros(2, 3), init_params(3, 4, 1, seed=0))  # zero input, zero biases
        tensor([[0.],
                [0.]])
    """
    return forward(x, params).y_pred


def loss_value(y_pred: torch.Tensor, y: torch.Tensor, loss: str = "sse") -> torch.Tensor:
    """Sum (``"sse"``) or mean (``"mse"``) of the squared errors, a 0-d tensor.

    Examples:
        >>> y, y_pred = torch.tensor([[1.0], [2.0]]), torch.tensor([[0.0], [4.0]])
        >>> loss_value(y_pred, y), loss_value(y_pred, y, "mse")
        (tensor(5.), tensor(2.5000))
    """
    squared = (y_pred - y).pow(2)
    return squared.sum() if loss == "sse" else squared.mean()


def backward(
    x: torch.Tensor,
    y: torch.Tensor,
    params: dict[str, torch.Tensor],
    acts: Activations,
    loss: str = "sse",
) -> dict[str, torch.Tensor]:
    """Gradients of the loss with respect to every parameter, by the chain rule.

    Each gradient has the shape of the tensor it belongs to. The tests check
    every one against autograd in float64.

    Examples:
        >>> x, y = torch.randn(10, 3, dtype=torch.float64), torch.randn(10, 1, dtype=torch.float64)
        >>> params = init_params(3, 8, 1, seed=0, dtype=torch.float64)
        >>> grads = backward(x, y, params, forward(x, params))
        >>> {name: tuple(g.shape) for name, g in grads.items()}
        {'w1': (3, 8), 'b1': (1, 8), 'w2': (8, 1), 'b2': (1, 1)}
        >>> leaves = {k: p.clone().requires_grad_(True) for k, p in params.items()}
        >>> loss_value(predict(x, leaves), y).backward()
        >>> torch.allclose(grads["w1"], leaves["w1"].grad)
        True
    """
    # d loss / d y_pred: the derivative of the squared error (n, d_out)
    grad_y_pred = 2.0 * (acts.y_pred - y)
    if loss == "mse":
        grad_y_pred = grad_y_pred / y.numel()
    # Output layer y_pred = h_relu @ w2 + b2
    grad_w2 = acts.h_relu.t().mm(grad_y_pred)  # (d_hidden, d_out)
    grad_b2 = grad_y_pred.sum(dim=0, keepdim=True)  # (1, d_out): b2 was added to every row
    grad_h_relu = grad_y_pred.mm(params["w2"].t())  # (n, d_hidden)
    # ReLU passes the gradient where it passed the input (h >= 0), and blocks it elsewhere
    grad_h = grad_h_relu * (acts.h >= 0)  # (n, d_hidden)
    # Hidden layer h = x @ w1 + b1
    grad_w1 = x.t().mm(grad_h)  # (d_in, d_hidden)
    grad_b1 = grad_h.sum(dim=0, keepdim=True)  # (1, d_hidden)
    return {"w1": grad_w1, "b1": grad_b1, "w2": grad_w2, "b2": grad_b2}
