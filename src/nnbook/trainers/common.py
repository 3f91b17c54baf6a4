"""What every trainer shares: the level defaults, argument checks, the loss record, the result.

A trainer is a loop between two calls: ``run = Run(level, x, y, ...)`` checks
every argument, and ``run.finish(...)`` checks the trained parameters and
packages the `TrainResult`. In between, each epoch loops over
``run.batches()`` (the whole data set as one batch, or shuffled mini-batches
when ``batch_size`` is given), ``run.record(epoch, loss)`` keeps each batch's
loss and stops a run whose loss is no longer finite, and
``run.end_epoch(epoch, network)`` computes the epoch's loss and the
validation loss, logs them, calls the ``on_epoch`` callback, and says whether
early stopping has ended the run.

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

import copy
import inspect
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from .. import _checks
from ..backprop import LOSSES, PARAM_NAMES, loss_core, predict
from ..device import resolve_device, synchronize
from ..network import two_layer_params

__all__ = [
    "EpochCallback",
    "LEVEL_DEFAULTS",
    "TrainResult",
    "TrainingDivergedError",
    "seeded_module",
]

EpochCallback = Callable[[int, float], None]
"""The type of ``on_epoch``: called as ``on_epoch(epoch, loss)`` after each epoch, epochs counted from 1."""

LEVEL_DEFAULTS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "scratch": MappingProxyType({"loss": "sse", "lr": 1e-4}),
        "autograd": MappingProxyType({"loss": "mse", "lr": 1e-2}),
        "module": MappingProxyType({"loss": "sse", "lr": 1e-4}),
        "optim": MappingProxyType({"loss": "mse", "lr": 1e-3}),
    }
)
"""Each level's default loss and learning rate, those of its chapter (3 to 6).

The trainers' signatures, the benchmark and the chapters all read them from
here: ``nnbook.TRAINERS[level](x, y, **LEVEL_DEFAULTS[level])``. A summed
loss (``"sse"``) grows with ``n``, so its learning rate is smaller.
"""


OPTIMIZERS = MappingProxyType({"adam": torch.optim.Adam, "sgd": torch.optim.SGD})
"""The optimizers `nnbook.train_optim` and `nnbook.classification.train_classifier` offer, by name."""


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
        level: ``"scratch"``, ``"autograd"``, ``"module"`` or ``"optim"``; ``"classifier"``
            for `nnbook.classification.train_classifier`.
        losses: the training loss of each epoch, one float per epoch. With the
            full batch it is the loss of the epoch's forward pass (before its
            update); with mini-batches, the mean of the batch losses (each before
            its update) weighted by their rows, or their sum for ``"sse"``.
        params: the trained parameters, detached copies, with the same names and
            layout at every level: ``w1 (d_in, d_hidden)``, ``b1 (d_hidden,)``,
            ``w2 (d_hidden, d_out)``, ``b2 (d_out,)``, the layout of
            `nnbook.backprop` (``x @ w1 + b1``). For the module and optim levels
            they are taken from ``model`` (``w1`` is ``model[0].weight.T``).
        model: the trained ``nn.Module``, or ``None`` for the levels without one.
        seconds: wall time of the training loop.
        device: where training ran.
        loss: ``"sse"`` or ``"mse"``, the loss in ``losses``; ``"cross_entropy"`` for a classifier.
        val_losses: the loss on the validation data (``x_val``, ``y_val``) after
            each epoch's updates, one float per epoch; empty without validation data.
        best_epoch: the epoch (counted from 1) with the lowest validation loss, or
            ``None`` without validation data. With ``patience``, ``params`` and
            ``model`` hold the parameters of this epoch (early stopping).

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
    val_losses: list[float] = field(default_factory=list)
    best_epoch: int | None = None
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

    def __repr__(self) -> str:
        # Wall time is left out so that printing a result gives the same text on every run.
        validation = ""
        if self.val_losses:
            best = self.val_losses[self.best_epoch - 1]  # type: ignore[operator]  # set with val_losses
            validation = f"best_epoch={self.best_epoch}, best_val_loss={best:.6g}, "
        return (
            f"TrainResult(level={self.level!r}, epochs={self.epochs}, final_loss={self.final_loss:.6g}, "
            f"{validation}loss={self.loss!r}, device={str(self.device)!r})"
        )


@dataclass(frozen=True)
class Settings:
    """A trainer's arguments other than its level and data, as one object; `Run` checks them.

    Every trainer takes the same keyword arguments (`nnbook.train_scratch` documents
    them), and passes them on together: ``Run(level, x, y, Settings.of(locals()))``
    at the top of a trainer collects its arguments by name.

    Examples:
        >>> Settings(lr=0.1, loss="sse").epochs
        200
        >>> Settings.of({"x": None, "y": None, "lr": 0.1, "loss": "mse", "epochs": 5})
        Settings(d_hidden=32, epochs=5, lr=0.1, loss='mse', seed=0, log_every=10, device=None, on_epoch=None, \
batch_size=None, x_val=None, y_val=None, patience=None, optimizer=None)
    """

    d_hidden: object = 32
    epochs: object = 200
    lr: object = None
    loss: object = None
    seed: object = 0
    log_every: object = 10
    device: object = None
    on_epoch: object = None
    batch_size: object = None
    x_val: object = None
    y_val: object = None
    patience: object = None
    optimizer: object = None

    @classmethod
    def of(cls, arguments: Mapping[str, object]) -> Settings:
        """The settings among ``arguments`` (a trainer's ``locals()``), by name; other names are left out."""
        return cls(**{name: arguments[name] for name in cls.__dataclass_fields__ if name in arguments})


class Run:
    """Checks a trainer's arguments, records the loss each epoch, and builds the result.

    The tensors it keeps, ``run.x`` and ``run.y``, are detached from the
    caller's (so training never writes into their ``.grad``) and on the
    training device.

    Examples:
        >>> import nnbook
        >>> x, y = nnbook.simulate_regression(n=10, seed=0)
        >>> run = Run("scratch", x, y, Settings(d_hidden=4, epochs=1, lr=0.1, loss="sse", log_every=0))
        >>> run.d_in, run.d_hidden, run.d_out
        (3, 4, 1)
        >>> Run("scratch", x, y, Settings(d_hidden=4, epochs=1, lr=0.1, loss="sse", seed=1.5))
        Traceback (most recent call last):
        ...
        TypeError: seed must be an integer from 0 to 2**63 - 1, or None, got float 1.5
    """

    # What a subclass for another kind of target changes (`nnbook.classification` does):
    # the level and loss names it accepts, and the three methods below them.
    LEVELS: tuple[str, ...] = tuple(LEVEL_DEFAULTS)
    LOSSES: tuple[str, ...] = LOSSES

    def _check_data(self, x: object, y: object, x_name: str, y_name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Check one pair of inputs and targets; regression targets are ``(n, d_out)`` floats."""
        return _checks.regression_data(x, y, x_name, y_name)

    def _outputs(self, y: torch.Tensor) -> int:
        """The number of outputs the network needs for the targets ``y``."""
        return y.shape[1]

    def _loss_value(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The loss ``self.loss`` of predictions against targets, as the trainers compute it."""
        return loss_core(y_pred, y, self.loss)

    def __init__(self, level: str, x: object, y: object, settings: Settings) -> None:
        if not isinstance(settings, Settings):
            raise TypeError(f"settings must be a nnbook.trainers.common.Settings, got {_checks.show(settings)}")
        d_hidden, epochs, lr, loss, seed = settings.d_hidden, settings.epochs, settings.lr, settings.loss, settings.seed
        log_every, device, on_epoch, optimizer = (
            settings.log_every,
            settings.device,
            settings.on_epoch,
            settings.optimizer,
        )
        batch_size, x_val, y_val, patience = settings.batch_size, settings.x_val, settings.y_val, settings.patience
        self.level: str = _checks.choice(level, "level", self.LEVELS)
        x, y = self._check_data(x, y, "x", "y")
        self.d_hidden: int = _checks.positive_int(d_hidden, "d_hidden", maximum=_checks.MAX_UNITS)
        self.epochs: int = _checks.positive_int(epochs, "epochs", maximum=10_000_000)
        # A step of lr times a gradient must fit the dtype: torch's optimizers refuse (with an error
        # deep inside torch) a learning rate that overflows it. 1e-3 of the largest number leaves room.
        largest = torch.finfo(x.dtype).max / 1e3
        self.lr: float = _checks.positive_float(lr, "lr", maximum=largest)
        self.loss: str = _checks.choice(loss, "loss", self.LOSSES)
        self.seed: int | None = _checks.seed(seed)
        self.log_every: int = 0 if log_every is None else _checks.non_negative_int(log_every, "log_every")
        if on_epoch is not None:
            _checks.function(on_epoch, "on_epoch", "(epoch, loss) -> None")
        self.on_epoch: EpochCallback | None = on_epoch  # type: ignore[assignment]  # checked just above
        if optimizer is not None or self.level in ("optim", "classifier"):
            optimizer = _checks.choice(optimizer, "optimizer", tuple(OPTIMIZERS))
        self.optimizer: str | None = optimizer
        self.device: torch.device = x.device if device is None else resolve_device(device)  # type: ignore[arg-type]
        # detach: the caller's x and y may require grad; training must not write into their .grad
        self.x: torch.Tensor = x.detach().to(self.device)  # (n, d_in)
        self.y: torch.Tensor = y.detach().to(self.device)  # (n, d_out)
        self.d_in: int = x.shape[1]
        self.d_out: int = self._outputs(y)
        if self.d_in > _checks.MAX_UNITS or self.d_out > _checks.MAX_UNITS:
            raise ValueError(
                f"x and y must have at most {_checks.MAX_UNITS} columns each, "
                f"got x {tuple(x.shape)} and y {tuple(y.shape)}"
            )
        _checks.layer_sizes(self.d_in, self.d_hidden, self.d_out)
        self.n: int = x.shape[0]
        self.batch_size: int | None = None if batch_size is None else _checks.positive_int(batch_size, "batch_size")
        # One batch of all rows is the full batch, in the rows' own order: shuffling it would change
        # nothing but the rounding, and batch_size=n must give exactly the full-batch result.
        # Mini-batches: a DataLoader over the row numbers, so the order is exactly what a seeded
        # DataLoader(TensorDataset(x, y), shuffle=True) serves, without collating row by row.
        self._rows_loader: DataLoader | None = None
        if self.batch_size is not None and self.batch_size < self.n:
            shuffle = _checks.generator(self.seed)
            self._rows_loader = DataLoader(
                range(self.n),  # type: ignore[arg-type]  # a range is a map-style dataset
                batch_size=self.batch_size,
                shuffle=True,
                generator=shuffle,
            )
        self.x_val: torch.Tensor | None
        self.y_val: torch.Tensor | None
        self.x_val, self.y_val = self._validation_data(x_val, y_val)
        self.patience: int | None = None if patience is None else _checks.positive_int(patience, "patience")
        if self.patience is not None and self.x_val is None:
            raise ValueError(f"patience={self.patience} needs validation data to watch: pass x_val and y_val too")
        self.losses: list[float] = []
        self.val_losses: list[float] = []
        self.best_epoch: int | None = None
        self._best_state: Any = None
        self._batch_losses: list[tuple[float, int]] = []
        self._rows = self.n  # rows of the batch just served; always n for the full batch
        self._full_batch = ((self.x, self.y),)
        self._start = time.perf_counter()

    def _validation_data(self, x_val: object, y_val: object) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        if x_val is None and y_val is None:
            return None, None
        if x_val is None or y_val is None:
            given, missing = ("x_val", "y_val") if y_val is None else ("y_val", "x_val")
            raise ValueError(f"{given} was given without {missing}: pass both, or neither")
        x_val, y_val = self._check_data(x_val, y_val, "x_val", "y_val")
        if x_val.shape[1] != self.d_in or self._outputs(y_val) != self.d_out:
            raise ValueError(
                f"x_val and y_val must have the columns of x and y, ({self.d_in}) and ({self.d_out}), "
                f"got shapes {tuple(x_val.shape)} and {tuple(y_val.shape)}"
            )
        if x_val.dtype != self.x.dtype:
            raise TypeError(f"x_val and y_val must have the dtype of x, {self.x.dtype}, got {x_val.dtype}")
        return x_val.detach().to(self.device), y_val.detach().to(self.device)

    def batches(self) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
        """One epoch's batches ``(x_batch, y_batch)``.

        Without ``batch_size`` (or with one of at least ``n`` rows) the one batch
        is all of ``x`` and ``y``. Otherwise the rows are shuffled by a generator
        seeded from ``seed`` (a new order each epoch, the same orders on every
        run) and served in batches of ``batch_size`` rows; the last may be
        smaller. The batches are those of ``DataLoader(TensorDataset(x, y),
        batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))``.
        """
        # The full batch is a ready-made one-element tuple: no generator to start and resume every epoch.
        return self._full_batch if self._rows_loader is None else self._mini_batches(self._rows_loader)

    def _mini_batches(self, rows_loader: DataLoader) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for rows in rows_loader:  # a tensor of row numbers
            rows = rows.to(self.device)
            self._rows = len(rows)
            yield self.x[rows], self.y[rows]

    def _advice(self) -> str:
        # bfloat16 has float32's exponent range and holds 1e-8; float16's smallest number is about 6e-8.
        if self.optimizer == "adam" and self.x.dtype == torch.float16:
            return (
                f"Adam's eps (1e-8) rounds to 0 in {self.x.dtype} when added to a zero root of its running mean of "
                "squared gradients, and that mean rounds to 0 for a small gradient, so its update divides by 0 "
                "(giving nan or inf) whatever the learning rate; "
                "train in float32 (x.float(), y.float())"
            )
        # No particular rate is named: a tenth of a diverging lr can diverge too (chapter 3's data
        # diverge with lr=0.05 and with lr=0.005), and only trying tells which rate is small enough.
        return "the updates overshoot: try a smaller learning rate, dividing lr by 10 until the loss stays finite"

    def record(self, epoch: int, loss: torch.Tensor) -> None:
        """Keep the loss of the batch just served by `batches`, and stop if it is not finite."""
        # Called for every batch: the common case (a one-number tensor holding a finite float) costs
        # two type tests and a comparison; anything else gets the detailed checks of _checked_loss.
        if type(loss) is torch.Tensor and loss.numel() == 1:
            value = loss.item()
            if type(value) is float and math.isfinite(value):
                self._batch_losses.append((value, self._rows))
                return
        self._batch_losses.append((self._checked_loss(epoch, loss), self._rows))

    def _checked_loss(self, epoch: int, loss: object) -> float:
        """The number ``loss`` holds (a one-number tensor, or a float); raise if it holds none or it is not finite."""
        if isinstance(loss, torch.Tensor) and loss.numel() == 1:
            value = loss.item()
        elif isinstance(loss, torch.Tensor):
            raise ValueError(f"loss must hold one number, got a tensor of shape {tuple(loss.shape)}")
        elif isinstance(loss, (int, float)) and not isinstance(loss, bool):
            value = float(loss)
        else:
            raise TypeError(f"loss must be a one-number tensor or a float, got {_checks.show(loss)}")
        if isinstance(value, complex):
            raise TypeError(f"loss must be a real number, got {value}")
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"the {self.level} trainer's loss became {value} at epoch {epoch} with lr={self.lr:g}; {self._advice()}"
            )
        return value

    def end_epoch(self, epoch: int, network: nn.Module | dict[str, torch.Tensor]) -> bool:
        """Close the epoch: its loss, the validation loss of ``network``, the log line, ``on_epoch``.

        ``network`` is the model, or the ``w1``, ``b1``, ``w2``, ``b2`` dict of a
        hand-written network. Returns ``True`` when early stopping ends the run:
        ``patience`` epochs have passed without a lower validation loss.
        """
        parts, self._batch_losses = self._batch_losses, []
        if len(parts) == 1:
            value = parts[0][0]
        elif self.loss == "sse":
            value = math.fsum(part for part, _ in parts)
        else:
            value = math.fsum(part * rows for part, rows in parts) / math.fsum(rows for _, rows in parts)
        self.losses.append(value)
        if self.x_val is None and not self.log_every and self.on_epoch is None:
            return False  # the common case: no validation loss (so no early stopping), no log line, no callback
        val = None
        if self.x_val is not None:
            val = self._validation_loss(network)
            if not math.isfinite(val):
                raise TrainingDivergedError(
                    f"the {self.level} trainer's validation loss became {val} after epoch {epoch} with "
                    f"lr={self.lr:g}; {self._advice()}"
                )
            self.val_losses.append(val)
            if self.best_epoch is None or val < self.val_losses[self.best_epoch - 1]:
                self.best_epoch = epoch
                if self.patience is not None:
                    self._best_state = _snapshot(network)
        if self.log_every and epoch % self.log_every == 0:
            print(f"epoch {epoch:4d}   loss {value:.6g}" + ("" if val is None else f"   val_loss {val:.6g}"))
        if self.on_epoch is not None:
            try:
                self.on_epoch(epoch, value)
            except TypeError as error:  # most likely a callback that does not take (epoch, loss)
                raise TypeError(
                    f"on_epoch must be a function (epoch, loss) -> None; on_epoch({epoch}, {value:.6g}) raised "
                    f"TypeError: {error}"
                ) from error
        return self.patience is not None and epoch - self.best_epoch >= self.patience  # type: ignore[operator]

    def _validation_loss(self, network: nn.Module | dict[str, torch.Tensor]) -> float:
        with torch.no_grad():
            if isinstance(network, nn.Module):
                was_training = network.training
                network.eval()  # layers such as dropout behave as they will in use
                y_pred = network(self.x_val)
                network.train(was_training)
            else:
                y_pred = predict(self.x_val, network)  # type: ignore[arg-type]  # called with validation data only
            return self._loss_value(y_pred, self.y_val).item()  # type: ignore[arg-type]

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
        if model is not None and not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module or None, got {_checks.show(model)}")
        if predict is not None:
            _checks.function(predict, "predict", "x -> y_pred")
        if self._best_state is not None:  # early stopping: go back to the best validation epoch
            _restore(model if params is None else params, self._best_state)  # type: ignore[arg-type]  # one is given
        if params is None:
            if model is None:
                raise TypeError("finish needs params (with predict) or model; got neither")
            params = two_layer_params(model)
        else:
            if not isinstance(params, dict) or set(params) != set(PARAM_NAMES):
                raise ValueError(
                    f"params must be a dict with exactly the keys {PARAM_NAMES}, got {_checks.show(params)}"
                )
            if model is None and predict is None:
                raise TypeError("finish needs predict (a function x -> y_pred) with params, or model; got neither")
            params = {name: params[name].detach() for name in PARAM_NAMES}
        if not self.losses:
            raise ValueError("finish was called before any epoch was recorded (call record first)")
        # The loss is recorded before each update, so only this check sees the last one. Finite
        # weights can still be so large that the predictions overflow, so check those too.
        with torch.no_grad():
            y_pred = model(self.x) if model is not None else predict(self.x)  # type: ignore[misc]
        if not all(_checks.all_finite(t) for t in (*params.values(), y_pred)):
            raise TrainingDivergedError(
                f"the {self.level} trainer's parameters or predictions became NaN or infinite in the update "
                f"of epoch {len(self.losses)} with lr={self.lr:g}; {self._advice()}"
            )
        return TrainResult(
            level=self.level,
            losses=self.losses,
            params=params,
            model=model,
            seconds=seconds,
            device=self.device,
            loss=self.loss,
            val_losses=self.val_losses,
            best_epoch=self.best_epoch,
            _predict=predict,
        )


def _snapshot(network: nn.Module | dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A copy of the parameters that later updates cannot change (a state_dict shares their memory)."""
    if isinstance(network, nn.Module):
        return copy.deepcopy(network.state_dict())
    return {name: p.detach().clone() for name, p in network.items()}


def _restore(network: nn.Module | dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> None:
    if isinstance(network, nn.Module):
        network.load_state_dict(state)
        return
    with torch.no_grad():
        for name, p in network.items():
            p.copy_(state[name])


def seeded_module(build: Callable[[], nn.Module], seed: int | None) -> nn.Module:
    """Build a module with torch's default initialisation drawn from ``seed``.

    The module is built on the CPU, so only the CPU generator is seeded:
    ``torch.default_generator.manual_seed(seed)`` gives it the state
    ``torch.manual_seed(seed)`` gives it, without also reseeding the CUDA
    (MPS, XPU) generators as ``torch.manual_seed`` does. The CPU generator's
    state is restored afterwards, so a trainer never changes what the reader's
    own code draws next, on any device; ``seed=None`` draws fresh weights,
    also without touching the global state.

    Examples:
        >>> from torch import nn
        >>> a = seeded_module(lambda: nn.Linear(3, 1), seed=0)
        >>> b = seeded_module(lambda: nn.Linear(3, 1), seed=0)
        >>> torch.equal(a.weight, b.weight)
        True
    """
    _checks.function(build, "build", "() -> nn.Module")
    if isinstance(build, nn.Module):  # callable too, but calling it runs forward
        raise TypeError(
            f"build must be a function that builds the module, such as lambda: nn.Linear(3, 1), "
            f"got a module already built ({type(build).__name__})"
        )
    try:
        inspect.signature(build).bind()
    except TypeError:
        what = f"the class {build.__name__}" if isinstance(build, type) else _checks.show(build)
        raise TypeError(
            f"build must be a function of no arguments that returns an nn.Module, such as lambda: nn.Linear(3, 1), "
            f"got {what}, which needs arguments"
        ) from None
    except ValueError:
        pass  # no signature to read (some built-ins): calling it will tell
    seed = _checks.seed(seed)
    # devices=[]: fork_rng saves and restores the CPU generator only, the only one seeded here
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(torch.Generator().seed() if seed is None else _checks.torch_seed(seed))
        module = build()
    if not isinstance(module, nn.Module):
        raise TypeError(f"build must return an nn.Module, got {_checks.show(module)}")
    # Weights drawn on another device came from that device's generator, which was not seeded.
    elsewhere = {
        str(t.device) for t in (*module.parameters(), *module.buffers()) if t.device.type not in ("cpu", "meta")
    }
    if elsewhere:
        raise ValueError(
            f"build must build the module on the CPU (seed seeds the CPU generator only), got tensors on "
            f"{', '.join(sorted(elsewhere))}; build it on the CPU and move it afterwards with .to(device)"
        )
    return module
