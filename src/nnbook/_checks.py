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


def _array_like(value: object) -> bool:
    return isinstance(value, (list, tuple)) or type(value).__module__.startswith("numpy")
