"""nnbook: the tested helpers behind the book *Neural networks from first principles with PyTorch*.

The top level holds what the chapters use most: the data, the activations,
the networks, the four trainers, the baseline, the metrics and the figures.
The rest lives in public submodules, each with its own ``__all__``: what a
reader calls. Names the package's modules share among themselves (a plain
core such as ``backprop.forward_core``, ``trainers.common.Run``) have no
underscore but stay out of ``__all__``; names one module keeps to itself
start with one.

| module | what it holds |
| --- | --- |
| `nnbook.backprop` | ``init_params``, ``forward``, ``backward``, ``predict``, ``loss_value`` by hand |
| `nnbook.network` | a neuron, a layer, a two-layer forward pass; ``two_layer_params`` |
| `nnbook.tensors` | strides, storage and broadcasting made visible |
| `nnbook.device` | choosing devices and moving data |
| `nnbook.trainers.common` | what the trainers share: ``TrainResult``, ``LEVEL_DEFAULTS``, ``EpochCallback`` |
| `nnbook.benchmark` | what each trainer level costs |
| `nnbook.classification` | simulated classes, accuracy, a confusion matrix, ``train_classifier`` |
| `nnbook.checkpoint` | ``save_checkpoint``, ``load_checkpoint``: resume training bit for bit |
| `nnbook.distributed` | data-parallel training: ``launch`` and the workers of chapter 12 |

The modules form layers, each importing only from the layers below it
(``tools/import_graph.py`` checks that there is no cycle): ``_checks`` and
``data`` at the bottom (with ``device``, ``activations``, ``metrics``,
``tensors``, ``baseline``); then the forward pass and backprop (``network``,
``models``, ``backprop``); the trainers' shared machinery
(``trainers.common``); the trainers; then ``classification``,
``checkpoint``, ``plotting``, ``benchmark``, ``distributed`` and ``cli``.

Every function checks its arguments and raises ``TypeError`` or ``ValueError``
naming the one that is wrong, then calls a plain core that does the
arithmetic (``backprop.forward_core``, for one): the trainers check once,
before their loop, and call the cores inside it. Arguments come in torch's order, prediction
first: ``sse(y_pred, y)``. Plotting needs matplotlib (``pip install
"nnbook[plot]"``) and is imported only when used.

Examples:
    >>> import nnbook
    >>> x, y = nnbook.simulate_regression(n=100, seed=0)
    >>> result = nnbook.train_optim(x, y, epochs=20, log_every=0)
    >>> result.level, result.epochs
    ('optim', 20)
    >>> nnbook.sse(result.predict(x), y) > 0
    True
"""

from __future__ import annotations

import typing
from importlib import import_module
from importlib import metadata as _metadata
from typing import Any

from . import (
    activations,
    backprop,
    baseline,
    checkpoint,
    classification,
    data,
    device,
    metrics,
    models,
    network,
    tensors,
    trainers,
)
from .activations import ACTIVATIONS, gelu, relu, sigmoid, tanh
from .baseline import LinearFit, fit_least_squares
from .data import TRUE_COEFS, RegressionData, simulate_regression
from .metrics import mse, sse
from .models import TwoLayerNet, count_parameters
from .network import dense, neuron, two_layer_forward
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

if typing.TYPE_CHECKING:  # what __getattr__ below loads on first use, so that type checkers know these names too
    from . import benchmark, cli, distributed, plotting
    from .plotting import plot_activations, plot_losses, plot_observed_vs_predicted

try:
    # One version number: the one in pyproject.toml, read from the installed package's metadata.
    __version__ = _metadata.version("nnbook")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

# Plotting pulls in matplotlib (about half a second), so it loads on first use;
# so do the submodules that only chapter 7 and the command line need, and nnbook.distributed
# (torch.distributed and DistributedDataParallel), which only chapter 12 needs.
_LAZY = {
    "plot_activations": "plotting",
    "plot_losses": "plotting",
    "plot_observed_vs_predicted": "plotting",
}
_LAZY_MODULES = ("benchmark", "cli", "distributed", "plotting")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    if name in _LAZY_MODULES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'nnbook' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The lazy names are attributes too, so tab completion should offer them.
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_MODULES))


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
    # the forward pass by hand, and as a module
    "TwoLayerNet",
    "count_parameters",
    "dense",
    "neuron",
    "two_layer_forward",
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
    # plotting (lazy)
    "plot_activations",
    "plot_losses",
    "plot_observed_vs_predicted",
]
