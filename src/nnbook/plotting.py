"""Figures the book draws. matplotlib is imported only when a function here runs,
so ``import nnbook`` stays as fast as ``import torch``."""

from __future__ import annotations

from typing import Mapping, Sequence

import torch

from . import _checks

__all__ = ["plot_activations", "plot_losses", "plot_observed_vs_predicted"]


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    return ax


def plot_activations(ax=None, *, lo: float = -5.0, hi: float = 5.0, steps: int = 200):
    """Draw sigmoid, tanh, ReLU and GELU over ``[lo, hi]``; returns the ``Axes``.

    Examples:
        >>> ax = plot_activations()
        >>> [line.get_label() for line in ax.get_lines()][:4]
        ['sigmoid', 'tanh', 'ReLU', 'GELU']
    """
    from .activations import ACTIVATIONS

    if not lo < hi:
        raise ValueError(f"lo must be smaller than hi, got lo={lo} and hi={hi}")
    steps = _checks.positive_int(steps, "steps")
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
    losses: Mapping[str, Sequence[float]] | Sequence[float],
    ax=None,
    *,
    log_y: bool = False,
    ylabel: str = "training loss",
):
    """Draw one loss curve per entry of ``losses`` (name -> per-epoch losses); returns the ``Axes``.

    Examples:
        >>> ax = plot_losses({"scratch": [3.0, 2.0, 1.5]})
        >>> ax.get_xlabel()
        'epoch'
    """
    curves = losses if isinstance(losses, Mapping) else {"loss": losses}
    if not curves or any(len(values) == 0 for values in curves.values()):
        raise ValueError("losses must hold at least one non-empty sequence of per-epoch losses")
    ax = _axes(ax)
    for name, values in curves.items():
        ax.plot(range(1, len(values) + 1), list(values), linewidth=2, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if log_y:
        ax.set_yscale("log")
    if len(curves) > 1:
        ax.legend()
    return ax


def plot_observed_vs_predicted(y: torch.Tensor, y_pred: torch.Tensor, ax=None, *, title: str | None = None):
    """Scatter predictions against observations with the line y = x; returns the ``Axes``.

    Points on the line are perfect predictions; the vertical distance to it is
    the error.

    Examples:
        >>> import torch
        >>> y = torch.tensor([[0.0], [1.0], [2.0]])
        >>> ax = plot_observed_vs_predicted(y, y + 0.1, title="demo")
        >>> ax.get_title()
        'demo'
    """
    y = _checks.floating(y, "y")
    y_pred = _checks.floating(y_pred, "y_pred")
    if y.numel() != y_pred.numel():
        raise ValueError(f"y_pred must hold as many values as y ({y.numel()}), got {y_pred.numel()}")
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
