"""Argument checks shared by every public function.

Each check raises a ``TypeError`` or ``ValueError`` whose message names the
argument and says what was expected, so a reader never has to decode a stack
trace from deep inside torch.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import torch


def tensor(value: object, name: str) -> torch.Tensor:
    """Return ``value`` if it is a tensor, else raise ``TypeError``."""
    if not isinstance(value, torch.Tensor):
        hint = " (convert it with torch.as_tensor)" if _array_like(value) else ""
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}{hint}")
    return value


def floating(value: object, name: str) -> torch.Tensor:
    """Return ``value`` if it is a floating-point tensor, else raise."""
    t = tensor(value, name)
    if not t.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor, got dtype {t.dtype}; "
            f"convert it with {name}.float()"
        )
    return t


def ndim(t: torch.Tensor, name: str, allowed: tuple[int, ...], layout: str) -> torch.Tensor:
    """Raise ``ValueError`` unless ``t.ndim`` is one of ``allowed``."""
    if t.ndim not in allowed:
        raise ValueError(f"{name} must have shape {layout}, got shape {tuple(t.shape)}")
    return t


def finite(t: torch.Tensor, name: str) -> torch.Tensor:
    """Raise ``ValueError`` if ``t`` holds NaN or infinity."""
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        bad = int((~torch.isfinite(t)).sum())
        raise ValueError(f"{name} must hold only finite numbers, found {bad} NaN or infinite value(s)")
    return t


def int_at_least(value: object, name: str, minimum: int) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def positive_int(value: object, name: str) -> int:
    """Return ``value`` as an int if it is an integer >= 1, else raise."""
    return int_at_least(value, name, 1)


def non_negative_int(value: object, name: str) -> int:
    """Return ``value`` as an int if it is an integer >= 0, else raise."""
    return int_at_least(value, name, 0)


def positive_float(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number > 0, got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return float(value)


def choice(value: object, name: str, options: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``options``, else raise ``ValueError``."""
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value  # type: ignore[return-value]


def regression_data(x: object, y: object) -> tuple[torch.Tensor, torch.Tensor]:
    """Check that ``x`` is ``(n, d_in)`` and ``y`` is ``(n, d_out)``, finite floats with matching rows."""
    x = ndim(floating(x, "x"), "x", (2,), "(n, d_in)")
    y = floating(y, "y")
    if y.ndim == 1:
        raise ValueError(
            f"y must have shape (n, d_out), got shape {tuple(y.shape)}; "
            "make it a column with y.unsqueeze(1) (R users: this is drop = FALSE)"
        )
    ndim(y, "y", (2,), "(n, d_out)")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of rows, got x with {x.shape[0]} and y with {y.shape[0]}")
    if x.shape[0] == 0:
        raise ValueError("x and y must have at least one row, got 0")
    if x.device != y.device:
        raise ValueError(f"x and y must be on the same device, got x on {x.device} and y on {y.device}")
    if x.dtype != y.dtype:
        raise TypeError(f"x and y must have the same dtype, got x {x.dtype} and y {y.dtype}")
    finite(x, "x")
    finite(y, "y")
    return x, y


def _array_like(value: object) -> bool:
    return isinstance(value, (list, tuple)) or type(value).__module__.startswith("numpy")
