"""Forward and backward pass of the two-layer regression network, by hand.

The parameters are a dict with the layout every part of nnbook uses (and
every trainer returns in `nnbook.TrainResult.params`):

| name | shape | role |
| --- | --- | --- |
| ``w1`` | ``(d_in, d_hidden)`` | input -> hidden weights |
| ``b1`` | ``(d_hidden,)`` | one bias per hidden unit |
| ``w2`` | ``(d_hidden, d_out)`` | hidden -> output weights |
| ``b2`` | ``(d_out,)`` | one bias per output |

Inputs are rows, so a layer is ``x.mm(w1) + b1``; the bias broadcasts over
the ``n`` rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, cast

import torch

from . import _checks
from .device import resolve_device

__all__ = [
    "ForwardPass",
    "init_params",
    "forward",
    "predict",
    "loss_value",
    "backward",
]

LOSSES = ("sse", "mse")
"""``"sse"`` sums the squared errors, ``"mse"`` averages them."""

PARAM_NAMES = ("w1", "b1", "w2", "b2")
"""The parameter names, in the order of the forward pass."""


class ForwardPass(NamedTuple):
    """What the forward pass computes, kept for the backward pass.

    (Named for the pass, not "activations": in nnbook an activation is a
    function such as `nnbook.relu`.)

    Examples:
        >>> fwd = forward(torch.ones(4, 3), init_params(3, 5, 1, seed=0))
        >>> [tuple(t.shape) for t in fwd]
        [(4, 5), (4, 5), (4, 1)]
    """

    h: torch.Tensor  # (n, d_hidden) pre-activation of the hidden layer
    h_relu: torch.Tensor  # (n, d_hidden) hidden activation
    y_pred: torch.Tensor  # (n, d_out) output


def _check_inputs(x: torch.Tensor, params: Mapping[str, torch.Tensor]) -> None:
    """Raise ``TypeError`` or ``ValueError`` unless ``x`` and ``params`` fit one network.

    ``x`` must be a float tensor ``(n, d_in)``; ``params`` a dict with exactly
    ``w1``, ``b1``, ``w2``, ``b2`` in the layout of this module, of ``x``'s
    dtype and on its device.

    Examples:
        >>> _check_inputs(torch.ones(4, 3), init_params(3, 5, 1, seed=0))  # fine: returns None
        >>> _check_inputs(torch.ones(4, 2), init_params(3, 5, 1, seed=0))
        Traceback (most recent call last):
        ...
        ValueError: x must have 3 columns to match params["w1"] of shape (3, 5), got shape (4, 2)
    """
    if _fits(x, params):
        return  # the common case, checked in a few attribute reads (this runs every epoch)
    x = _checks.ndim(_checks.floating(x, "x"), "x", (2,), "(n, d_in)")
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict with keys 'w1', 'b1', 'w2', 'b2', got {_checks.show(params)}")
    if set(params) != set(PARAM_NAMES):
        raise ValueError(f"params must have exactly the keys 'w1', 'b1', 'w2', 'b2', got {sorted(map(str, params))}")
    for name in PARAM_NAMES:
        _checks.same_kind(_checks.floating(params[name], f'params["{name}"]'), f'params["{name}"]', x, "x")
    w1 = _checks.ndim(params["w1"], 'params["w1"]', (2,), "(d_in, d_hidden)")
    d_in, d_hidden = w1.shape
    w2 = _checks.ndim(params["w2"], 'params["w2"]', (2,), "(d_hidden, d_out)")
    _checks.shape(params["b1"], 'params["b1"]', (d_hidden,), ' (d_hidden,), one bias per column of params["w1"]')
    if w2.shape[0] != d_hidden:
        raise ValueError(
            f'params["w2"] must have {d_hidden} rows to match params["w1"] of shape {tuple(w1.shape)}, '
            f"got shape {tuple(w2.shape)}"
        )
    _checks.shape(params["b2"], 'params["b2"]', (w2.shape[1],), ' (d_out,), one bias per column of params["w2"]')
    if x.shape[1] != d_in:
        raise ValueError(
            f'x must have {d_in} columns to match params["w1"] of shape {tuple(w1.shape)}, got shape {tuple(x.shape)}'
        )


def _fits(x: object, params: object) -> bool:
    """True if ``x`` and ``params`` pass every check of `_check_inputs`; False sends them to the detailed checks."""
    if type(x) is not torch.Tensor or type(params) is not dict or len(params) != 4:
        return False
    w1, b1, w2, b2 = (cast(Any, params.get(name)) for name in PARAM_NAMES)  # their types are checked next
    if not all(type(t) is torch.Tensor for t in (w1, b1, w2, b2)):
        return False
    dtype, device = x.dtype, x.device
    return (
        dtype.is_floating_point
        and w1.dtype == b1.dtype == w2.dtype == b2.dtype == dtype
        and w1.device == b1.device == w2.device == b2.device == device
        and x.ndim == 2
        and w1.ndim == 2
        and w2.ndim == 2
        and b1.ndim == 1
        and b2.ndim == 1
        and x.shape[1] == w1.shape[0]
        and w1.shape[1] == b1.shape[0] == w2.shape[0]
        and w2.shape[1] == b2.shape[0]
    )


def _check_backward_inputs(
    x: torch.Tensor,
    y: torch.Tensor,
    params: Mapping[str, torch.Tensor],
    fwd: ForwardPass,
    loss: str,
) -> None:
    """`_check_inputs`, plus: ``y`` is ``(n, d_out)``, ``fwd`` is what `forward` returned, ``loss`` is in `LOSSES`.

    Examples:
        >>> x, params = torch.ones(4, 3), init_params(3, 5, 1, seed=0)
        >>> _check_backward_inputs(x, torch.ones(4, 1), params, forward(x, params), "mae")
        Traceback (most recent call last):
        ...
        ValueError: loss must be one of 'sse', 'mse', got 'mae'
    """
    _check_inputs(x, params)
    n, d_hidden, d_out = x.shape[0], params["w1"].shape[1], params["w2"].shape[1]
    if (
        type(y) is torch.Tensor
        and type(fwd) is ForwardPass
        and all(type(t) is torch.Tensor for t in fwd)
        and y.dtype == x.dtype
        and y.device == x.device
        and y.shape == (n, d_out)
        and fwd.y_pred.shape == (n, d_out)
        and fwd.h.shape == (n, d_hidden)
        and fwd.h_relu.shape == (n, d_hidden)
        and fwd.h.dtype == fwd.h_relu.dtype == fwd.y_pred.dtype == x.dtype
        and fwd.h.device == fwd.h_relu.device == fwd.y_pred.device == x.device
        and type(loss) is str
        and loss in LOSSES
    ):
        return  # the common case (this runs every epoch)
    y = _checks.same_kind(_checks.floating(y, "y"), "y", x, "x")
    if not isinstance(fwd, ForwardPass):
        raise TypeError(f"fwd must be the ForwardPass that forward(x, params) returns, got {_checks.show(fwd)}")
    rows = {
        "y": y.shape[0] if y.ndim else None,
        "fwd": fwd.y_pred.shape[0] if isinstance(fwd.y_pred, torch.Tensor) and fwd.y_pred.ndim else None,
    }
    if rows["y"] == rows["fwd"] and rows["y"] is not None and rows["y"] != n:
        # y and the forward pass agree with each other, not with x: x is the odd one out (another batch).
        raise ValueError(
            f"x must be the batch that forward(x, params) was run on: x has {n} rows, but y and fwd have "
            f"{rows['y']}; pass backward the same x as forward"
        )
    _checks.shape(y, "y", (n, d_out), " (n, d_out)")
    for field, expected in (("h", (n, d_hidden)), ("h_relu", (n, d_hidden)), ("y_pred", (n, d_out))):
        value = _checks.same_kind(_checks.floating(getattr(fwd, field), f"fwd.{field}"), f"fwd.{field}", x, "x")
        _checks.shape(value, f"fwd.{field}", expected, " (what forward(x, params) returns)")
    _checks.choice(loss, "loss", LOSSES)


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
    The weights are drawn with a private generator, so the global random state
    is left alone; ``seed=None`` draws fresh ones.

    Examples:
        >>> params = init_params(3, 32, 1, seed=0)
        >>> {name: tuple(p.shape) for name, p in params.items()}
        {'w1': (3, 32), 'b1': (32,), 'w2': (32, 1), 'b2': (1,)}
    """
    d_in, d_hidden, d_out = _checks.layer_sizes(d_in, d_hidden, d_out)
    seed = _checks.seed(seed)
    dtype = _checks.float_dtype(dtype)
    dev = None if device is None else resolve_device(device)
    generator = _checks.generator(seed)
    # Drawn on the CPU with a private generator, then moved: the same seed gives
    # the same starting weights on every device.
    params = {
        "w1": torch.randn(d_in, d_hidden, generator=generator, dtype=dtype),
        "b1": torch.zeros(d_hidden, dtype=dtype),
        "w2": torch.randn(d_hidden, d_out, generator=generator, dtype=dtype),
        "b2": torch.zeros(d_out, dtype=dtype),
    }
    return {name: p.to(dev) for name, p in params.items()} if dev is not None else params


def forward(x: torch.Tensor, params: dict[str, torch.Tensor]) -> ForwardPass:
    """Run the network on ``x`` of shape ``(n, d_in)``, keeping what backward needs.

    Examples:
        >>> params = init_params(3, 32, 1, seed=0)
        >>> fwd = forward(torch.randn(100, 3), params)
        >>> fwd.h.shape, fwd.y_pred.shape
        (torch.Size([100, 32]), torch.Size([100, 1]))
        >>> bool((fwd.h_relu >= 0).all())
        True
    """
    _check_inputs(x, params)
    return forward_core(x, params)


def forward_core(x: torch.Tensor, params: dict[str, torch.Tensor]) -> ForwardPass:
    """`forward` without the argument checks: the arithmetic alone, for callers that checked once."""
    h = x.mm(params["w1"]) + params["b1"]  # (n, d_hidden)
    h_relu = torch.relu(h)  # (n, d_hidden): ReLU, max(0, h)
    y_pred = h_relu.mm(params["w2"]) + params["b2"]  # (n, d_out)
    return ForwardPass(h, h_relu, y_pred)


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

    ``y_pred`` and ``y`` must have the same shape (no broadcasting), and
    ``loss`` must be one of `LOSSES`.

    Examples:
        >>> y_pred, y = torch.tensor([[0.0], [4.0]]), torch.tensor([[1.0], [2.0]])
        >>> loss_value(y_pred, y), loss_value(y_pred, y, "mse")
        (tensor(5.), tensor(2.5000))
    """
    y_pred, y = _checks.prediction_pair(y_pred, y)
    loss = _checks.choice(loss, "loss", LOSSES)
    if y.numel() == 0:  # "mse" would be nan and "sse" 0, where nnbook.metrics refuses: refuse here too
        raise ValueError("y must hold at least one value, got an empty tensor")
    return loss_core(y_pred, y, loss)


def loss_core(y_pred: torch.Tensor, y: torch.Tensor, loss: str = "sse") -> torch.Tensor:
    """`loss_value` without the argument checks."""
    squared = (y_pred - y).pow(2)
    return squared.sum() if loss == "sse" else squared.mean()


def backward(
    x: torch.Tensor,
    y: torch.Tensor,
    params: dict[str, torch.Tensor],
    fwd: ForwardPass,
    loss: str = "sse",
) -> dict[str, torch.Tensor]:
    """Gradients of the loss with respect to every parameter, by the chain rule.

    Each gradient has the shape of the tensor it belongs to. ``loss`` must be
    the one `loss_value` used: ``"sse"`` or ``"mse"``. The tests check every
    gradient against autograd in float64.

    Examples:
        >>> x, y = torch.randn(10, 3, dtype=torch.float64), torch.randn(10, 1, dtype=torch.float64)
        >>> params = init_params(3, 8, 1, seed=0, dtype=torch.float64)
        >>> grads = backward(x, y, params, forward(x, params))
        >>> {name: tuple(g.shape) for name, g in grads.items()}
        {'w1': (3, 8), 'b1': (8,), 'w2': (8, 1), 'b2': (1,)}
        >>> leaves = {k: p.clone().requires_grad_(True) for k, p in params.items()}
        >>> loss_value(predict(x, leaves), y).backward()
        >>> torch.allclose(grads["w1"], leaves["w1"].grad)
        True
    """
    _check_backward_inputs(x, y, params, fwd, loss)
    return backward_core(x, y, params, fwd, loss)


def backward_core(
    x: torch.Tensor,
    y: torch.Tensor,
    params: dict[str, torch.Tensor],
    fwd: ForwardPass,
    loss: str = "sse",
) -> dict[str, torch.Tensor]:
    """`backward` without the argument checks: the chain rule alone, for callers that checked once."""
    # d loss / d y_pred: the derivative of the squared error (n, d_out)
    grad_y_pred = 2.0 * (fwd.y_pred - y)
    if loss == "mse":
        grad_y_pred = grad_y_pred / y.numel()
    # Output layer y_pred = h_relu @ w2 + b2
    grad_w2 = fwd.h_relu.t().mm(grad_y_pred)  # (d_hidden, d_out)
    grad_b2 = grad_y_pred.sum(dim=0)  # (d_out,): b2 was added to every row
    grad_h_relu = grad_y_pred.mm(params["w2"].t())  # (n, d_hidden)
    # ReLU passes the gradient where its input was positive and blocks it elsewhere,
    # at h = 0 too (slope 0 there, as autograd gives for torch.relu on the torch releases the tests run)
    grad_h = grad_h_relu * (fwd.h > 0)  # (n, d_hidden)
    # Hidden layer h = x @ w1 + b1
    grad_w1 = x.t().mm(grad_h)  # (d_in, d_hidden)
    grad_b1 = grad_h.sum(dim=0)  # (d_hidden,)
    return {"w1": grad_w1, "b1": grad_b1, "w2": grad_w2, "b2": grad_b2}
