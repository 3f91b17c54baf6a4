"""Figures the book draws. matplotlib is imported only when a function here runs,
so ``import nnbook`` stays as fast as ``import torch``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

import torch

from . import _checks
from .trainers.common import TrainResult

if TYPE_CHECKING:  # matplotlib is imported only when a figure is drawn
    from matplotlib.axes import Axes

__all__ = ["plot_activations", "plot_decision_boundary", "plot_losses", "plot_observed_vs_predicted"]


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    return ax


def plot_activations(ax: Axes | None = None, *, lo: float = -5.0, hi: float = 5.0, steps: int = 200) -> Axes:
    """Draw sigmoid, tanh, ReLU and GELU over ``[lo, hi]``; returns the ``Axes``.

    Examples:
        >>> ax = plot_activations()
        >>> [line.get_label() for line in ax.get_lines()][:4]
        ['sigmoid', 'tanh', 'ReLU', 'GELU']
    """
    from .activations import ACTIVATIONS

    ax = cast("Axes | None", _checks.axes(ax))
    lo = _checks.number(lo, "lo")
    hi = _checks.number(hi, "hi")
    if not lo < hi:
        raise ValueError(f"lo must be smaller than hi, got lo={lo} and hi={hi}")
    steps = _checks.positive_int(steps, "steps", maximum=100_000)
    ax = _axes(ax)
    z = torch.linspace(lo, hi, steps, dtype=torch.float64)
    labels = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "gelu": "GELU"}
    styles = {"gelu": "--"}
    for name, fn in ACTIVATIONS.items():
        ax.plot(z.numpy(), fn(z).numpy(), styles.get(name, "-"), linewidth=2, label=labels[name])
    ax.axhline(0.0, color="grey", linewidth=0.6)
    ax.set_xlabel("z")
    ax.set_ylabel("activation f(z)")
    ax.set_ylim(-1.2, 2.2)
    ax.set_title("Four activation functions")
    ax.legend(loc="upper left")
    return ax


def plot_losses(
    losses: Mapping[str, Sequence[float]] | Sequence[float] | TrainResult,
    ax: Axes | None = None,
    *,
    log_y: bool = False,
    ylabel: str | None = None,
) -> Axes:
    """Draw one loss curve per entry of ``losses`` (name -> per-epoch losses); returns the ``Axes``.

    ``losses`` may also be a trainer's result: its curve is named after its level, and the axis
    after its loss. ``ylabel`` defaults to "training loss".

    Examples:
        >>> ax = plot_losses({"scratch": [3.0, 2.0, 1.5]})
        >>> ax.get_xlabel()
        'epoch'
        >>> import nnbook
        >>> result = nnbook.train_scratch(*nnbook.simulate_regression(n=20, seed=0), epochs=5, log_every=0)
        >>> plot_losses(result).get_ylabel()
        'training loss (sse)'
    """
    ax = cast("Axes | None", _checks.axes(ax))
    log_y = _checks.boolean(log_y, "log_y")
    if isinstance(losses, TrainResult):
        default_label = f"training loss ({losses.loss})"
        losses = {losses.level: losses.losses}
    else:
        default_label = "training loss"
    ylabel = default_label if ylabel is None else _checks.text(ylabel, "ylabel")
    curves = _curves(losses, log_y)
    ax = _axes(ax)
    for name, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, linewidth=2, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if log_y:
        ax.set_yscale("log")
    if len(curves) > 1:
        ax.legend()
    return ax


def _curves(losses: object, log_y: bool) -> dict[str, list[float]]:
    """``losses`` as a dict of name -> list of floats, checked."""
    wanted = "a sequence of per-epoch losses, or a dict of name -> such a sequence"
    if isinstance(losses, Mapping):
        curves = dict(losses)
    elif isinstance(losses, Sequence) and not isinstance(losses, (str, bytes)):
        curves = {"loss": losses}
    else:
        raise TypeError(f"losses must be {wanted}, got {_checks.show(losses)}")
    if not curves:
        raise ValueError(f"losses must be {wanted}, got an empty dict")
    checked = {}
    for name, values in curves.items():
        where = "losses" if list(curves) == ["loss"] and not isinstance(losses, Mapping) else f"losses[{name!r}]"
        if not isinstance(name, str):
            raise TypeError(f"losses must have string keys (the curves' names), got {_checks.show(name)}")
        if not isinstance(values, Sequence) or isinstance(values, (str, bytes)) or len(values) == 0:
            raise ValueError(f"{where} must be a non-empty sequence of per-epoch losses, got {_checks.show(values)}")
        numbers = [_checks.number(v, f"{where}[{i}]") for i, v in enumerate(values)]
        if log_y and min(numbers) <= 0:
            raise ValueError(f"{where} must be > 0 everywhere for log_y=True, got {min(numbers)}")
        checked[name] = numbers
    return checked


def plot_observed_vs_predicted(
    y_pred: torch.Tensor, y: torch.Tensor, ax: Axes | None = None, *, title: str | None = None
) -> Axes:
    """Scatter predictions (vertical) against observations (horizontal) with the line y = x; returns the ``Axes``.

    The arguments come in torch's order, ``(y_pred, y)``, and must have one shape.

    Points on the line are perfect predictions; the vertical distance to it is
    the error.

    Examples:
        >>> import torch
        >>> y = torch.tensor([[0.0], [1.0], [2.0]])
        >>> ax = plot_observed_vs_predicted(y + 0.1, y, title="demo")
        >>> ax.get_title()
        'demo'
    """
    y_pred, y = _checks.prediction_pair(y_pred, y)
    if y.numel() == 0:
        raise ValueError("y must hold at least one value, got an empty tensor")
    _checks.finite(y_pred, "y_pred")
    _checks.finite(y, "y")
    ax = cast("Axes | None", _checks.axes(ax))
    if title is not None:
        title = _checks.text(title, "title")
    observed = y.detach().cpu().double().flatten().numpy()
    predicted = y_pred.detach().cpu().double().flatten().numpy()
    ax = _axes(ax)
    ax.scatter(observed, predicted, s=14, alpha=0.7)
    lo = float(min(observed.min(), predicted.min()))
    hi = float(max(observed.max(), predicted.max()))
    ax.plot([lo, hi], [lo, hi], color="tab:red", linewidth=1.5, label="y = x")
    ax.set_xlabel("observed y")
    ax.set_ylabel("predicted y")
    ax.set_aspect("equal", adjustable="datalim")
    if title is not None:
        ax.set_title(title)
    ax.legend(loc="upper left")
    return ax


# Marker shapes and colours for up to six classes; shapes tell the classes apart without colour.
_CLASS_MARKERS = ("o", "^", "s", "D", "v", "P")
_CLASS_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink")


def plot_decision_boundary(
    predict: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    steps: int = 200,
    margin: float = 0.5,
) -> Axes:
    """Shade the plane by the class ``predict`` chooses, and draw the points ``x`` by their labels ``y``.

    Each class has its own light shade, marker shape and colour; the shapes
    keep the classes apart in grey scale and in the dark colour scheme.

    Args:
        predict: a function (a model, or ``TrainResult.predict``) from inputs
            ``(m, 2)`` to logits ``(m, k)``, or ``(m, 1)`` for a binary classifier.
        x: inputs of shape ``(n, 2)``: the plot covers them, plus ``margin``.
        y: labels of shape ``(n,)``, counted from 0; at most six classes.
        ax: a matplotlib ``Axes`` to draw into, or ``None`` for a new figure.
        title: the axes' title.
        steps: grid points along each side, from 2 to 2000.
        margin: extra room around the points, a number >= 0.

    Returns:
        The ``Axes``.

    Examples:
        >>> from nnbook.classification import simulate_rings
        >>> x, y = simulate_rings(n=50, seed=0)
        >>> ax = plot_decision_boundary(lambda x: x.pow(2).sum(1, keepdim=True) - 2.25, x, y, title="a circle")
        >>> ax.get_title(), len(ax.collections) > 2
        ('a circle', True)
    """
    from .classification import predict_classes

    _checks.function(predict, "predict", "x (m, 2) -> logits (m, k)")
    x = _checks.ndim(_checks.floating(x, "x"), "x", (2,), "(n, 2)")
    if x.shape[1] != 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (n, 2) with n >= 1, got shape {tuple(x.shape)}")
    _checks.finite(x, "x")
    y = _checks.class_labels(y)
    _checks.same_rows(x, "x", y, "y")
    if int(y.max()) >= len(_CLASS_MARKERS):
        raise ValueError(f"y must hold at most {len(_CLASS_MARKERS)} classes (0 to 5), found label {int(y.max())}")
    ax = cast("Axes | None", _checks.axes(ax))
    if title is not None:
        title = _checks.text(title, "title")
    steps = _checks.int_at_least(steps, "steps", 2, 2000)
    margin = _checks.number(margin, "margin")
    if margin < 0:
        raise ValueError(f"margin must be a number >= 0, got {margin}")
    import numpy as np
    from matplotlib.colors import ListedColormap

    points = x.detach().cpu().double()
    lo = points.min(dim=0).values - margin
    hi = points.max(dim=0).values + margin
    if not bool(torch.isfinite(torch.cat([lo, hi]).to(x.dtype)).all()):
        raise ValueError(
            f"margin must leave the plot's edges inside what x's dtype {x.dtype} holds "
            f"({torch.finfo(x.dtype).max:g}), got {margin:g}"
        )
    g0, g1 = torch.meshgrid(
        torch.linspace(lo[0].item(), hi[0].item(), steps, dtype=torch.float64),
        torch.linspace(lo[1].item(), hi[1].item(), steps, dtype=torch.float64),
        indexing="xy",
    )
    grid = torch.stack([g0.flatten(), g1.flatten()], dim=1).to(x.dtype).to(x.device)  # (steps * steps, 2)
    with torch.no_grad():
        y_pred = predict(grid)
    if not isinstance(y_pred, torch.Tensor):
        raise TypeError(f"predict must return a tensor of logits, got {_checks.show(y_pred)}")
    if y_pred.ndim != 2 or y_pred.shape[0] != grid.shape[0]:
        raise ValueError(
            f"predict must map inputs (m, 2) to logits (m, k); for m={grid.shape[0]} it returned shape "
            f"{tuple(y_pred.shape)}"
        )
    if not y_pred.is_floating_point():
        raise TypeError(f"predict must return floating-point logits, got dtype {y_pred.dtype}")
    _checks.dense(y_pred, "predict's result")
    if not bool(torch.isfinite(y_pred).all()):
        bad = int((~torch.isfinite(y_pred)).sum())
        raise ValueError(
            f"predict must return finite logits, but it returned {bad} NaN or infinite value(s) on the "
            f"{steps} x {steps} grid around x"
        )
    regions = predict_classes(y_pred).reshape(steps, steps).cpu().numpy()
    n_classes = max(int(y.max()) + 1, max(y_pred.shape[1], 2))
    if n_classes > len(_CLASS_COLORS):
        raise ValueError(f"predict must return at most {len(_CLASS_COLORS)} logits per row, got {y_pred.shape[1]}")
    ax = _axes(ax)
    shades = ListedColormap(_CLASS_COLORS[:n_classes])
    # Light shades (alpha) for the regions, so the points' darker colours and edges stand out on them.
    ax.contourf(g0.numpy(), g1.numpy(), regions, levels=np.arange(n_classes + 1) - 0.5, cmap=shades, alpha=0.25)
    ax.contour(g0.numpy(), g1.numpy(), regions, levels=np.arange(n_classes) + 0.5, colors="black", linewidths=1.2)
    labels = y.cpu().numpy()
    for k in range(n_classes):
        chosen = labels == k
        if chosen.any():
            ax.scatter(
                points[chosen, 0].numpy(),
                points[chosen, 1].numpy(),
                s=16,
                marker=_CLASS_MARKERS[k],
                color=_CLASS_COLORS[k],
                edgecolors="black",
                linewidths=0.4,
                label=f"class {k}",
            )
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_aspect("equal")
    if title is not None:
        ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small")
    return ax
