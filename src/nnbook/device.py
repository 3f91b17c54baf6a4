"""Choosing a device and moving data to it.

To time code on a device, use ``torch.utils.benchmark.Timer``, which ships
with torch: it warms up, repeats, and synchronises the GPU before reading
its clock (chapter 7 shows how).
"""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from . import _checks

__all__ = [
    "DEVICE_ENV_VAR",
    "available_devices",
    "best_device",
    "to_device",
    "synchronize",
]

DEVICE_ENV_VAR = "NNBOOK_DEVICE"
"""Environment variable that overrides `best_device`, e.g. ``NNBOOK_DEVICE=cpu``."""


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[torch.device]:
    """Every device torch can use here: each CUDA GPU, Apple's MPS, and the CPU.

    Examples:
        >>> torch.device("cpu") in available_devices()
        True
    """
    found = [torch.device("cuda", i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if _mps_available():
        found.append(torch.device("mps"))
    found.append(torch.device("cpu"))
    return found


def resolve_device(device: str | torch.device) -> torch.device:
    """Turn ``"cuda"``, ``"cuda:1"``, ``"mps"``, ``"cpu"`` or a ``torch.device`` into one that exists.

    Raises ``ValueError`` naming the devices that do exist when the requested
    one does not, instead of failing later inside torch.

    Examples:
        >>> resolve_device("cpu")
        device(type='cpu')
        >>> resolve_device("cuda:7")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: device 'cuda:7' was requested, but this machine has ... CUDA device(s); available: ...
    """
    return _resolve(device, "device")


def _resolve(device: object, name: str) -> torch.device:
    """`resolve_device`, with errors that call the value ``name`` (an argument or an environment variable)."""
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            f"{name} must be a string such as 'cpu' or 'cuda:0', or a torch.device, got {_checks.show(device)}"
        )
    names = ", ".join(str(d) for d in available_devices())
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(f"{name} {device!r} is not a device name torch understands; available: {names}") from None
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = 0 if dev.index is None else dev.index
        if index >= count:
            raise ValueError(
                f"{name} {str(device)!r} was requested, but this machine has {count} CUDA device(s); available: {names}"
            )
        return torch.device("cuda", index)
    if dev.type == "mps" and not _mps_available():
        raise ValueError(
            f"{name} {str(device)!r} was requested, but Apple's MPS is not available here; available: {names}"
        )
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"{name} {str(device)!r} is not supported by nnbook; available: {names}")
    # The CPU (and MPS) is one device: torch accepts 'cpu:5' but puts tensors on 'cpu', which then
    # compares unequal to it. Index 0 means the device itself; any other index does not exist.
    if dev.index not in (None, 0):
        raise ValueError(
            f"{name} {str(device)!r} was requested, but there is one {dev.type} device, {dev.type!r}; "
            f"available: {names}"
        )
    return torch.device(dev.type)


def best_device(device: str | torch.device | None = None) -> torch.device:
    """The device to use: ``device`` if given, else ``$NNBOOK_DEVICE``, else CUDA, MPS, CPU in that order.

    An unusable ``$NNBOOK_DEVICE`` raises a ``ValueError`` that names the
    environment variable, not an argument you did not pass.

    Examples:
        >>> best_device("cpu")
        device(type='cpu')
    """
    if device is not None:
        return _resolve(device, "device")
    from_env = os.environ.get(DEVICE_ENV_VAR) or None
    if from_env is not None:
        return _resolve(from_env, f"the environment variable {DEVICE_ENV_VAR}")
    return available_devices()[0]


def to_device(obj: Any, device: str | torch.device) -> Any:
    """Move tensors and modules to ``device``, looking inside tuples, lists and dicts.

    Modules are moved in place (as ``module.to`` does) and returned; tensors are
    returned as new tensors; named tuples keep their type; anything else is
    returned unchanged.

    Examples:
        >>> import torch
        >>> batch = {"x": torch.ones(2, 3), "sizes": (torch.zeros(1), 7)}
        >>> moved = to_device(batch, "cpu")
        >>> moved["x"].device, moved["sizes"][1]
        (device(type='cpu'), 7)
    """
    dev = resolve_device(device)
    if meta := _first_meta(obj, "obj", 0):
        raise ValueError(f"{meta} is a meta tensor (a shape without values), which cannot be copied to {dev}")
    return _move(obj, dev)


def _first_meta(obj: Any, where: str, depth: int) -> str | None:
    """Where ``obj`` holds a meta tensor (as ``obj['x']``, ``obj.weight``), or ``None``."""
    if depth > 50:
        return None
    if isinstance(obj, torch.Tensor):
        return where if obj.is_meta else None
    if isinstance(obj, nn.Module):
        found = (f"{where}.{name}" for name, t in (*obj.named_parameters(), *obj.named_buffers()) if t.is_meta)
        return next(found, None)
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)  # type: ignore[assignment]  # both give (key, value) pairs
    else:
        return None
    return next((w for key, value in items if (w := _first_meta(value, f"{where}[{key!r}]", depth + 1))), None)


def _move(obj: Any, dev: torch.device) -> Any:
    if isinstance(obj, (torch.Tensor, nn.Module)):
        return obj.to(dev)
    if isinstance(obj, dict):
        return type(obj)((key, _move(value, dev)) for key, value in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a named tuple
        return type(obj)(*(_move(value, dev) for value in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(value, dev) for value in obj)
    return obj


def synchronize(device: str | torch.device | None = None) -> None:
    """Wait until ``device`` has finished its queued work (a no-op on the CPU).

    GPU calls return before the GPU is done; reading the clock without waiting
    times only the launch.

    Examples:
        >>> synchronize("cpu")  # nothing to wait for on the CPU
    """
    dev = resolve_device(device) if device is not None else None
    if dev is None or dev.type == "cuda":
        if torch.cuda.is_available():
            torch.cuda.synchronize(dev)
    elif dev.type == "mps" and _mps_available():
        torch.mps.synchronize()
