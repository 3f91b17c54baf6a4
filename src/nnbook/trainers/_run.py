"""What every trainer shares: argument checks, the loss record, the result."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from .. import _checks
from ..backprop import LOSSES
from ..device import resolve_device, synchronize

EpochCallback = Callable[[int, float], None]


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite during training.

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
        params: the trained parameters by name, detached from any graph.
        model: the trained ``nn.Module``, or ``None`` for the levels without one.
        seconds: wall time of the training loop.
        device: where training ran.

    Examples:
        >>> from nnbook import simulate_regression, train_scratch
        >>> x, y = simulate_regression(n=100, seed=0)
        >>> result = train_scratch(x, y, epochs=20, log_every=0)
        >>> result.level, result.epochs, len(result.losses), sorted(result.params)
        ('scratch', 20, 20, ['b1', 'b2', 'w1', 'w2'])
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
        """Predictions of the trained network for ``x`` of shape ``(n, d_in)``, without a graph."""
        x = _checks.ndim(_checks.floating(x, "x"), "x", (2,), "(n, d_in)")
        with torch.no_grad():
            if self.model is not None:
                return self.model(x.to(self.device))
            assert self._predict is not None
            return self._predict(x.to(self.device))

    def plot_losses(self, ax=None, *, log_y: bool = False):
        """Plot the loss per epoch; returns the matplotlib ``Axes``."""
        from ..plotting import plot_losses

        return plot_losses({self.level: self.losses}, ax=ax, log_y=log_y, ylabel=f"training loss ({self.loss})")

    def __repr__(self) -> str:
        # Wall time is left out so that printing a result gives the same text on every run.
        return (
            f"TrainResult(level={self.level!r}, epochs={self.epochs}, final_loss={self.final_loss:.6g}, "
            f"loss={self.loss!r}, device={str(self.device)!r})"
        )


class Run:
    """Checks a trainer's arguments, records the loss each epoch, and builds the result."""

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
    ) -> None:
        x, y = _checks.regression_data(x, y)
        self.level = level
        self.d_hidden = _checks.positive_int(d_hidden, "d_hidden")
        self.epochs = _checks.positive_int(epochs, "epochs")
        self.lr = _checks.positive_float(lr, "lr")
        self.loss = _checks.choice(loss, "loss", LOSSES)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"seed must be an integer or None, got {type(seed).__name__} {seed!r}")
        self.seed = seed
        self.log_every = 0 if log_every is None else _checks.non_negative_int(log_every, "log_every")
        if on_epoch is not None and not callable(on_epoch):
            raise TypeError(f"on_epoch must be a function (epoch, loss) -> None, got {type(on_epoch).__name__}")
        self.on_epoch = on_epoch
        self.device = x.device if device is None else resolve_device(device)
        self.x = x.to(self.device)  # (n, d_in)
        self.y = y.to(self.device)  # (n, d_out)
        self.d_in = x.shape[1]
        self.d_out = y.shape[1]
        self.losses: list[float] = []
        self._start = time.perf_counter()

    def record(self, epoch: int, loss: torch.Tensor) -> None:
        """Keep this epoch's loss, log it every ``log_every`` epochs, and stop if it is not finite."""
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"the {self.level} trainer's loss became {value} at epoch {epoch} with lr={self.lr:g}; "
                f"the updates overshoot: try a smaller learning rate, such as lr={self.lr / 10:g}"
            )
        self.losses.append(value)
        if self.log_every and epoch % self.log_every == 0:
            print(f"epoch {epoch:4d}   loss {value:.6g}")
        if self.on_epoch is not None:
            self.on_epoch(epoch, value)

    def finish(
        self,
        params: dict[str, torch.Tensor],
        model: nn.Module | None = None,
        predict: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> TrainResult:
        """Stop the clock (after the device is done) and package the result."""
        synchronize(self.device)
        seconds = time.perf_counter() - self._start
        return TrainResult(
            level=self.level,
            losses=self.losses,
            params={name: p.detach() for name, p in params.items()},
            model=model,
            seconds=seconds,
            device=self.device,
            loss=self.loss,
            _predict=predict,
        )


def seeded_module(build: Callable[[], nn.Module], seed: int | None) -> nn.Module:
    """Build a module with torch's default initialisation drawn from ``seed``.

    The global random state is restored afterwards, so a trainer never changes
    what the reader's own code draws next.
    """
    if seed is None:
        return build()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()
