"""Measure what each level of convenience costs, against loops written by hand.

Used by chapter 7 (small sizes, at build time) and by
``benchmarks/trainer_cost.py`` (the full grid). Timings are medians of
repeated runs, taken side by side in one process, so ratios between them are
meaningful even on a busy machine where absolute times are not.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.benchmark import Timer

from . import _checks
from .backprop import init_params
from .data import simulate_regression
from .device import resolve_device
from .trainers import TRAINERS
from .trainers.common import LEVEL_DEFAULTS
from .trainers.module import seeded_mlp

__all__ = ["LevelTiming", "time_levels", "hand_written_loops", "import_time_ratio"]


def _settings_for(level: str, n: int, d_hidden: int) -> dict:
    """The level's default loss and learning rate (`LEVEL_DEFAULTS`), with the rate scaled down for bigger problems.

    A summed loss grows with ``n`` and the gradients with ``d_hidden``; the
    book's rates would make large runs diverge. Speed does not depend on the rate.
    """
    settings = dict(LEVEL_DEFAULTS[level])
    if level != "optim":
        settings["lr"] *= min(1.0, 100 / n if settings["loss"] == "sse" else 1.0) * min(1.0, 32 / d_hidden)
    return settings


def _hand_scratch(x, y, d_hidden, epochs, lr, seed):
    p = init_params(x.shape[1], d_hidden, y.shape[1], seed=seed, dtype=x.dtype, device=x.device)
    w1, b1, w2, b2 = p["w1"], p["b1"], p["w2"], p["b2"]
    losses = []
    for _ in range(epochs):
        h = x.mm(w1) + b1
        h_relu = torch.relu(h)
        y_pred = h_relu.mm(w2) + b2
        losses.append((y_pred - y).pow(2).sum().item())
        grad_y_pred = 2.0 * (y_pred - y)
        grad_b2 = grad_y_pred.sum(dim=0)
        grad_w2 = torch.mm(h_relu.t(), grad_y_pred)
        grad_h = grad_y_pred.mm(w2.t()) * (h > 0)
        grad_b1 = grad_h.sum(dim=0)
        grad_w1 = x.t().mm(grad_h)
        w1 -= lr * grad_w1
        b1 -= lr * grad_b1
        w2 -= lr * grad_w2
        b2 -= lr * grad_b2
    return losses


def _hand_autograd(x, y, d_hidden, epochs, lr, seed):
    params = [
        p.requires_grad_(True)
        for p in init_params(x.shape[1], d_hidden, y.shape[1], seed=seed, dtype=x.dtype, device=x.device).values()
    ]
    w1, b1, w2, b2 = params
    losses = []
    for _ in range(epochs):
        loss = (torch.relu(x.mm(w1) + b1).mm(w2) + b2 - y).pow(2).mean()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()
    return losses


def _seeded_mlp(x, y, d_hidden, seed):
    return seeded_mlp(x.shape[1], d_hidden, y.shape[1], seed).to(x.device, x.dtype)


def _hand_module(x, y, d_hidden, epochs, lr, seed):
    model = _seeded_mlp(x, y, d_hidden, seed)
    losses = []
    for _ in range(epochs):
        loss = (model(x) - y).pow(2).sum()
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    return losses


def _hand_optim(x, y, d_hidden, epochs, lr, seed):
    model = _seeded_mlp(x, y, d_hidden, seed)
    loss_fn = nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses


hand_written_loops: dict[str, Callable[..., list[float]]] = {
    "scratch": _hand_scratch,
    "autograd": _hand_autograd,
    "module": _hand_module,
    "optim": _hand_optim,
}
"""The same four algorithms as ``nnbook.TRAINERS``, written as bare loops the way
chapters 3 to 6 write them: no argument checks, no logging, no result object.
The yardstick for the trainers' overhead."""


@dataclass(frozen=True)
class LevelTiming:
    """Seconds per epoch of one trainer level and of its hand-written loop, at one problem size.

    Examples:
        >>> timing = LevelTiming("scratch", n=100, d_hidden=32, device="cpu",
        ...                      trainer_seconds_per_epoch=2e-5, hand_seconds_per_epoch=1e-5)
        >>> timing.ratio
        2.0
    """

    level: str
    n: int
    d_hidden: int
    device: str
    trainer_seconds_per_epoch: float
    hand_seconds_per_epoch: float

    @property
    def ratio(self) -> float:
        """Trainer time over hand-written time: 1.0 means the trainer adds nothing."""
        return self.trainer_seconds_per_epoch / self.hand_seconds_per_epoch


def time_levels(
    sizes: list[tuple[int, int]] | None = None,
    *,
    levels: list[str] | None = None,
    epochs: int = 50,
    repeat: int = 5,
    device: str | torch.device = "cpu",
    threads: int | None = None,
) -> list[LevelTiming]:
    """Time every trainer level and its hand-written loop at each ``(n, d_hidden)`` size.

    Each measurement is the fastest of ``repeat`` runs of ``epochs`` epochs,
    each timed by ``torch.utils.benchmark.Timer`` (which warms up first); the
    trainer and the hand-written loop alternate so
    that both see the same machine load. The fastest run is the one least
    disturbed by other work on the machine, which makes it the steadiest
    estimate of the code's own cost. ``threads`` sets torch's CPU threads for
    the measurement (and restores them after); one thread gives the steadiest
    ratios on a shared machine.

    Examples:
        >>> timings = time_levels([(100, 32)], levels=["scratch"], epochs=5, repeat=2)
        >>> timings[0].level, timings[0].n, timings[0].d_hidden
        ('scratch', 100, 32)
    """
    sizes = [(100, 32)] if sizes is None else _sizes(sizes)
    if levels is None:
        levels = list(TRAINERS)
    elif isinstance(levels, (list, tuple)) and levels:
        levels = [_checks.choice(lv, f"levels[{i}]", tuple(TRAINERS)) for i, lv in enumerate(levels)]
    else:
        raise TypeError(
            "levels must be a non-empty list of level names such as ['scratch', 'optim'], or None, "
            f"got {_checks.show(levels)}"
        )
    epochs = _checks.positive_int(epochs, "epochs", maximum=1_000_000)
    repeat = _checks.positive_int(repeat, "repeat", maximum=1_000)
    if threads is not None:
        threads = _checks.positive_int(threads, "threads", maximum=1_024)
    dev = resolve_device(device)
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _time_levels(sizes, levels, epochs, repeat, dev)
    finally:
        torch.set_num_threads(previous_threads)


def _sizes(sizes: object) -> list[tuple[int, int]]:
    wanted = "a non-empty list of (n, d_hidden) pairs such as [(100, 32)], or None"
    if not isinstance(sizes, (list, tuple)) or not sizes:
        raise TypeError(f"sizes must be {wanted}, got {_checks.show(sizes)}")
    checked = []
    for i, pair in enumerate(sizes):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"sizes[{i}] must be an (n, d_hidden) pair, got {_checks.show(pair)}")
        n = _checks.positive_int(pair[0], f"sizes[{i}][0] (n)", maximum=10_000_000)
        d_hidden = _checks.positive_int(pair[1], f"sizes[{i}][1] (d_hidden)", maximum=_checks.MAX_UNITS)
        checked.append((n, d_hidden))
    return checked


def _time_levels(sizes, levels, epochs, repeat, dev) -> list[LevelTiming]:
    results = []
    for n, d_hidden in sizes:
        x, y = simulate_regression(n=n, seed=0)
        x, y = x.to(dev), y.to(dev)
        for level in levels:
            kw = _settings_for(level, n, d_hidden)
            # partial binds this iteration's values (a closure would read the loop variables when called)
            run_trainer = functools.partial(
                TRAINERS[level], x, y, d_hidden=d_hidden, epochs=epochs, seed=0, log_every=0, **kw
            )
            run_hand = functools.partial(hand_written_loops[level], x, y, d_hidden, epochs, kw["lr"], 0)
            # torch's Timer warms each up, synchronises the device around its clock, and keeps
            # the thread count fixed; one run per measurement, alternating, so both see the same load.
            timers = [
                Timer("run()", globals={"run": run}, num_threads=torch.get_num_threads())
                for run in (run_trainer, run_hand)
            ]
            trainer_times, hand_times = [], []
            for _ in range(repeat):
                trainer_times.append(timers[0].timeit(1).median)
                hand_times.append(timers[1].timeit(1).median)
            results.append(
                LevelTiming(level, n, d_hidden, str(dev), min(trainer_times) / epochs, min(hand_times) / epochs)
            )
    return results


def import_time_ratio(repeat: int = 7) -> tuple[float, float, float]:
    """Median wall time of ``import nnbook`` and of ``import torch`` in fresh interpreters, and their ratio.

    Returns ``(nnbook_seconds, torch_seconds, ratio)``. Each of ``repeat``
    fresh interpreters imports torch, then nnbook: ``torch_seconds`` is the
    first import, ``nnbook_seconds`` the two together, which load what
    ``import nnbook`` alone loads (torch included). Both are read in the same
    process, so they see the same disk cache and machine load, and one
    interpreter serves both measurements. A first interpreter, not counted,
    warms the disk cache.

    Examples:
        >>> nnbook_seconds, torch_seconds, ratio = import_time_ratio(repeat=1)
        >>> nnbook_seconds > 0 and torch_seconds > 0
        True
        >>> nnbook_seconds >= torch_seconds and ratio >= 1.0  # nnbook's import includes torch's
        True
    """
    repeat = _checks.positive_int(repeat, "repeat", maximum=100)
    code = (
        "import time; t0 = time.perf_counter(); import torch; t1 = time.perf_counter(); "
        "import nnbook; t2 = time.perf_counter(); print(t2 - t0, t1 - t0)"
    )

    def measure() -> tuple[float, float]:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        nnbook_seconds, torch_seconds = (float(word) for word in out.stdout.split())
        return nnbook_seconds, torch_seconds

    measure()  # warm the disk cache
    ours, theirs = zip(*(measure() for _ in range(repeat)), strict=True)
    a, b = sorted(ours)[len(ours) // 2], sorted(theirs)[len(theirs) // 2]
    return a, b, a / b
