"""nnbook: the tested helpers behind the book *Neural networks from first principles with PyTorch*.

Everything listed in ``__all__`` is public and documented in the book's API
reference. Plotting needs matplotlib (``pip install "nnbook[plot]"``) and is
imported only when used.

Examples:
    >>> import nnbook
    >>> x, y = nnbook.simulate_regression(n=100, seed=0)
    >>> result = nnbook.train_optim(x, y, epochs=20, log_every=0)
    >>> result.level, result.epochs
    ('optim', 20)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .activations import ACTIVATIONS, gelu, relu, sigmoid, tanh
from .backprop import backward, forward, init_params, loss_value, predict
from .baseline import LinearFit, fit_least_squares
from .data import TRUE_COEFS, RegressionData, simulate_regression
from .device import (
    DEVICE_ENV_VAR,
    Timing,
    available_devices,
    best_device,
    resolve_device,
    synchronize,
    time_call,
    to_device,
)
from .metrics import mse, sse
from .models import TwoLayerNet, count_parameters
from .network import dense, neuron, two_layer_forward
from .tensors import broadcast_shape, describe, explain_broadcast, shares_storage
from .trainers import (
    TRAINERS,
    TrainingDivergedError,
    TrainResult,
    build_mlp,
    train_autograd,
    train_module,
    train_optim,
    train_scratch,
)

__version__ = "0.1.0"

# Plotting pulls in matplotlib (about half a second), so it loads on first use.
_LAZY = {
    "plot_activations": "plotting",
    "plot_losses": "plotting",
    "plot_observed_vs_predicted": "plotting",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'nnbook' has no attribute {name!r}")


__all__ = [
    # data
    "RegressionData",
    "TRUE_COEFS",
    "simulate_regression",
    # activations
    "ACTIVATIONS",
    "gelu",
    "relu",
    "sigmoid",
    "tanh",
    # forward pass by hand, and as a module
    "TwoLayerNet",
    "count_parameters",
    "dense",
    "neuron",
    "two_layer_forward",
    # backprop by hand
    "backward",
    "forward",
    "init_params",
    "loss_value",
    "predict",
    # trainers
    "TRAINERS",
    "TrainResult",
    "TrainingDivergedError",
    "build_mlp",
    "train_autograd",
    "train_module",
    "train_optim",
    "train_scratch",
    # evaluation
    "LinearFit",
    "fit_least_squares",
    "mse",
    "sse",
    # tensors
    "broadcast_shape",
    "describe",
    "explain_broadcast",
    "shares_storage",
    # devices and timing
    "DEVICE_ENV_VAR",
    "Timing",
    "available_devices",
    "best_device",
    "resolve_device",
    "synchronize",
    "time_call",
    "to_device",
    # plotting (lazy)
    "plot_activations",
    "plot_losses",
    "plot_observed_vs_predicted",
]
