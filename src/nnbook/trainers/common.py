"""What every trainer shares: the level defaults, argument checks, the loss record, the result.

A trainer is a loop between two calls: ``run = Run(level, x, y, ...)`` checks
every argument, and ``run.finish(...)`` checks the trained parameters and
packages the `TrainResult`. In between, ``run.record(epoch, loss)`` keeps each
epoch's loss, logs it, calls the ``on_epoch`` callback and stops a run whose
loss is no longer finite.

Examples:
    >>> import nnbook
    >>> from nnbook.trainers.common import LEVEL_DEFAULTS
    >>> LEVEL_DEFAULTS["optim"]
    mappingproxy({'loss': 'mse', 'lr': 0.001})
    >>> x, y = nnbook.simulate_regression(n=50, seed=0)
    >>> seen = []
    >>> result = nnbook.train_scratch(x, y, epochs=3, log_every=0, on_epoch=lambda epoch, loss: seen.append(epoch))
    >>> seen
    [1, 2, 3]
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

import torch
from torch import nn

from .. import _checks
from ..backprop import LOSSES, PARAM_NAMES
from ..device import resolve_device, synchronize
from ..network import two_layer_params

__all__ = ["EpochCallback", "LEVEL_DEFAULTS", "Run", "TrainResult", "TrainingDivergedError", "seeded_module"]

EpochCallback = Callable[[int, float], None]
"""The type of ``on_epoch``: called as ``on_epoch(epoch, loss)`` after each epoch, epochs counted from 1."""

LEVEL_DEFAULTS: Mapping[str, Mapping[str, Any]] = MappingProxyType({
    "scratch": MappingProxyType({"loss": "sse", "lr": 1e-4}),
    "autograd": MappingProxyType({"loss": "mse", "lr": 1e-2}),
    "module": MappingProxyType({"loss": "sse", "lr": 1e-4}),
    "optim": MappingProxyType({"loss": "mse", "lr": 1e-3}),
})
"""Each level's default loss and learning rate, those of its chapter (3 to 6).

The trainers' signatures, the benchmark and the chapters all read them from
here: ``nnbook.TRAINERS[level](x, y, **LEVEL_DEFAULTS[level])``. A summed
loss (``"sse"``) grows with ``n``, so its learning rate is smaller.
"""


class TrainingDivergedError(FloatingPointError):
    """The loss or the parameters became NaN or infinite during training.

    The message says at which epoch, and what to change: usually a smaller
    learning rate; for Adam on float16 data, the dtype (Adam's ``eps`` rounds
    to zero in float16).

    Examples:
        >>> from nnbook import simulate_regression, train_scratch
        >>> x, y = simulate_regression(n=100, seed=0)
        >>> try:
        ...     train_scratch(x, y, lr=1.0, log_every=0)
        ... except TrainingDivergedError as err:
        ...     print("smaller learning rate" in str(err))
        True
    """


@dataclass
class TrainResult:
    """What every trainer returns, whatever its level.

    Attributes:
        level: ``"scratch"``, ``"autograd"``, ``"module"`` or ``"optim"``.
        losses: the training loss after each epoch's forward pass, one float per epoch.
        params: the trained parameters, detached copies, with the same names and
            layout at every level: ``w1 (d_in, d_hidden)``, ``b1 (d_hidden,)``,
            ``w2 (d_hidden, d_out)``, ``b2 (d_out,)``, the layout of
            `nnbook.backprop` (``x @ w1 + b1``). For the module and optim levels
            they are taken from ``model`` (``w1`` is ``model[0].weight.T``).
        model: the trained ``nn.Module``, or ``None`` for the levels without one.
        seconds: wall time of the training loop.
        device: where training ran.
        loss: ``"sse"`` or ``"mse"``, the loss in ``losses``.

    Examples:
        >>> from nnbook import simulate_regression, train_scratch
        >>> x, y = simulate_regression(n=100, seed=0)
        >>> result = train_scratch(x, y, epochs=20, log_every=0)
        >>> result.level, result.epochs, len(result.losses)
        ('scratch', 20, 20)
        >>> {name: tuple(p.shape) for name, p in result.params.items()}
        {'w1': (3, 32), 'b1': (32,), 'w2': (32, 1), 'b2': (1,)}
        >>> result.predict(x).shape
        torch.Size([100, 1])
    """

    level: str
    losses: list[float]
    params: dict[str, torch.Tensor]
    model: nn.Module | None
    seconds: float
    device: torch.device
    loss: str = "sse"
    _predict: Callable[[torch.Tensor], torch.Tensor] | None = field(default=None, repr=False)

    @property
    def final_loss(self) -> float:
        """The loss of the last epoch."""
        return self.losses[-1]

    @property
    def epochs(self) -> int:
        """Number of epochs trained."""
        return len(self.losses)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Predictions of the trained network for ``x`` of shape ``(n, d_in)``, without a graph.

        ``x`` must have the dtype the network was trained in; it is moved to
        the training device, and so is the result.

        Examples:
            >>> from nnbook import simulate_regression, train_optim
            >>> x, y = simulate_regression(n=20, seed=0)
            >>> train_optim(x, y, epochs=2, log_every=0).predict(x[:3]).shape
            torch.Size([3, 1])
        """
        x = _checks.ndim(_checks.floating(x, "x"), "x", (2,), "(n, d_in)")
        w1 = self.params["w1"]
        if x.shape[1] != w1.shape[0]:
            raise ValueError(f"x must have {w1.shape[0]} columns, as in training, got shape {tuple(x.shape)}")
        if x.dtype != w1.dtype:
            raise TypeError(
                f"x must have the dtype the network was trained in, {w1.dtype}, got {x.dtype}; "
                f"convert it with x.to({w1.dtype})"
            )
        with torch.no_grad():
            x = x.detach().to(self.device)
            if self.model is not None:
                return self.model(x)
            assert self._predict is not None
            return self._predict(x)

    def plot_losses(self, ax=None, *, log_y: bool = False):
        """Plot the loss per epoch; returns the matplotlib ``Axes``.

        Examples:
            >>> from nnbook import simulate_regression, train_scratch
            >>> result = train_scratch(*simulate_regression(n=20, seed=0), epochs=5, log_every=0)
            >>> len(result.plot_losses().get_lines())
            1
        """
        from ..plotting import plot_losses

        log_y = _checks.boolean(log_y, "log_y")
        return plot_losses({self.level: self.losses}, ax=ax, log_y=log_y, ylabel=f"training loss ({self.loss})")

    def __repr__(self) -> str:
        # Wall time is left out so that printing a result gives the same text on every run.
        return (
            f"TrainResult(level={self.level!r}, epochs={self.epochs}, final_loss={self.final_loss:.6g}, "
            f"loss={self.loss!r}, device={str(self.device)!r})"
        )


class Run:
    """Checks a trainer's arguments, records the loss each epoch, and builds the result.

    The tensors it keeps, ``run.x`` and ``run.y``, are detached from the
    caller's (so training never writes into their ``.grad``) and on the
    training device.

    Examples:
        >>> import nnbook
        >>> x, y = nnbook.simulate_regression(n=10, seed=0)
        >>> run = Run("scratch", x, y, d_hidden=4, epochs=1, lr=0.1, loss="sse", seed=0, log_every=0,
        ...           device=None, on_epoch=None)
        >>> run.d_in, run.d_hidden, run.d_out
        (3, 4, 1)
        >>> Run("scratch", x, y, d_hidden=4, epochs=1, lr=0.1, loss="sse", seed=1.5, log_every=0,
        ...     device=None, on_epoch=None)
        Traceback (most recent call last):
        ...
        TypeError: seed must be an integer from 0 to 2**63 - 1, or None, got float 1.5
    """

    def __init__(
        self,
        level: str,
        x: object,
        y: object,
        *,
        d_hidden: object,
        epochs: object,
        lr: object,
        loss: object,
        seed: object,
        log_every: object,
        device: object,
        on_epoch: EpochCallback | None,
        optimizer: str | None = None,
    ) -> None:
        self.level = _checks.choice(level, "level", tuple(LEVEL_DEFAULTS))
        x, y = _checks.regression_data(x, y)
        self.d_hidden = _checks.positive_int(d_hidden, "d_hidden", maximum=1_000_000)
        self.epochs = _checks.positive_int(epochs, "epochs", maximum=10_000_000)
        self.lr = _checks.positive_float(lr, "lr")
        self.loss = _checks.choice(loss, "loss", LOSSES)
        self.seed = _checks.seed(seed)
        self.log_every = 0 if log_every is None else _checks.non_negative_int(log_every, "log_every")
        if on_epoch is not None:
            _checks.function(on_epoch, "on_epoch", "(epoch, loss) -> None")
        self.on_epoch = on_epoch
        if optimizer is not None:
            from .optim import OPTIMIZERS  # here, not at the top: optim imports this module

            optimizer = _checks.choice(optimizer, "optimizer", tuple(OPTIMIZERS))
        self.optimizer = optimizer
        self.device = x.device if device is None else resolve_device(device)
        # detach: the caller's x and y may require grad; training must not write into their .grad
        self.x = x.detach().to(self.device)  # (n, d_in)
        self.y = y.detach().to(self.device)  # (n, d_out)
        self.d_in = x.shape[1]
        self.d_out = y.shape[1]
        self.losses: list[float] = []
        self._start = time.perf_counter()

    def _advice(self) -> str:
        if self.optimizer == "adam" and self.x.dtype in (torch.float16, torch.bfloat16):
            return (
                f"Adam's eps (1e-8) rounds to 0 in {self.x.dtype}, so its update divides 0 by 0 whatever the "
                "learning rate; train in float32 (x.float(), y.float())"
            )
        return f"the updates overshoot: try a smaller learning rate, such as lr={self.lr / 10:g}"

    def record(self, epoch: int, loss: torch.Tensor) -> None:
        """Keep this epoch's loss, log it every ``log_every`` epochs, and stop if it is not finite."""
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"the {self.level} trainer's loss became {value} at epoch {epoch} with lr={self.lr:g}; {self._advice()}"
            )
        self.losses.append(value)
        if self.log_every and epoch % self.log_every == 0:
            print(f"epoch {epoch:4d}   loss {value:.6g}")
        if self.on_epoch is not None:
            self.on_epoch(epoch, value)

    def finish(
        self,
        params: dict[str, torch.Tensor] | None = None,
        model: nn.Module | None = None,
        predict: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> TrainResult:
        """Check the parameters after the final update, stop the clock, and package the result.

        Give ``params`` (the ``w1``, ``b1``, ``w2``, ``b2`` dict) and ``predict``
        for a hand-written network, or ``model`` for a module, whose parameters
        are then read with `nnbook.network.two_layer_params`.
        """
        synchronize(self.device)
        seconds = time.perf_counter() - self._start
        params = two_layer_params(model) if params is None else {name: params[name].detach() for name in PARAM_NAMES}
        if not all(bool(torch.isfinite(p).all()) for p in params.values()):
            # The loss is recorded before each update, so only this check sees the last one.
            raise TrainingDivergedError(
                f"the {self.level} trainer's parameters became NaN or infinite in the update of epoch "
                f"{self.epochs} with lr={self.lr:g}; {self._advice()}"
            )
        return TrainResult(
            level=self.level,
            losses=self.losses,
            params=params,
            model=model,
            seconds=seconds,
            device=self.device,
            loss=self.loss,
            _predict=predict,
        )


def seeded_module(build: Callable[[], nn.Module], seed: int | None) -> nn.Module:
    """Build a module with torch's default initialisation drawn from ``seed``.

    The global random state is restored afterwards, so a trainer never changes
    what the reader's own code draws next; ``seed=None`` draws fresh weights,
    also without touching the global state.

    Examples:
        >>> from torch import nn
        >>> a = seeded_module(lambda: nn.Linear(3, 1), seed=0)
        >>> b = seeded_module(lambda: nn.Linear(3, 1), seed=0)
        >>> torch.equal(a.weight, b.weight)
        True
    """
    _checks.function(build, "build", "() -> nn.Module")
    seed = _checks.seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(torch.Generator().seed() if seed is None else seed)
        module = build()
    if not isinstance(module, nn.Module):
        raise TypeError(f"build must return an nn.Module, got {_checks.show(module)}")
    return module
