"""Checkpoints: save a training run to a file and resume it exactly where it stopped.

A checkpoint is one file, written by ``torch.save`` and read back with
``torch.load(..., weights_only=True)``. It holds everything the next step of
training depends on:

| entry | what it is |
| --- | --- |
| ``"model"`` | ``model.state_dict()``: parameters and buffers, by name |
| ``"optimizer"`` | ``optimizer.state_dict()``: its state per parameter (Adam's moments, step count), its settings |
| ``"rng"`` | torch's global random state (`rng_state`): the CPU generator, and each CUDA device's where there is CUDA |
| ``"epoch"``, ``"extra"`` | the epoch reached; a dict of your own (losses so far, a ``DataLoader`` generator's state) |

Loading it into freshly built objects and training on gives, bit for bit, what
training on without the break would have given (chapter 11 shows it; the
tests check it for several optimizers). nnbook draws its random numbers from
torch only, so Python's ``random`` and NumPy's generators are not saved; a
``torch.Generator`` of your own is not global either: keep
``generator.get_state()`` in ``extra``.

Examples:
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nnbook
    >>> model = nnbook.build_mlp(3, 4, 1)
    >>> opt = torch.optim.Adam(model.parameters())
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_checkpoint(Path(folder) / "run.pt", model, opt, epoch=5)
    ...     fresh = nnbook.build_mlp(3, 4, 1)
    ...     info = load_checkpoint(path, fresh, torch.optim.Adam(fresh.parameters()))
    >>> info.epoch, torch.equal(fresh[0].weight, model[0].weight)
    (5, True)
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from . import _checks

__all__ = [
    "FORMAT",
    "CheckpointInfo",
    "check_load_args",
    "check_save_args",
    "load_checkpoint",
    "read_checkpoint",
    "rng_state",
    "save_checkpoint",
    "set_rng_state",
]

FORMAT = "nnbook-checkpoint-1"
"""The ``"format"`` entry of every checkpoint `save_checkpoint` writes; `read_checkpoint` looks for it."""

_MAX_DEPTH = 50  # how deeply `extra` may nest lists and dicts (a list that contains itself would never end)


class CheckpointInfo(NamedTuple):
    """What `load_checkpoint` returns besides the state it loads: the epoch and your own entries.

    Examples:
        >>> info = CheckpointInfo(epoch=100, extra={"losses": [3.0, 2.5]})
        >>> epoch, extra = info
        >>> epoch, extra["losses"][-1]
        (100, 2.5)
    """

    epoch: int
    extra: dict


def rng_state() -> dict[str, Any]:
    """torch's global random state: ``{"torch": ..., "cuda": [...]}``.

    ``"torch"`` is the CPU generator's state (a ``uint8`` tensor), the
    generator behind ``torch.randn``, ``torch.randperm``, ``nn.Dropout`` and a
    ``DataLoader`` without a ``generator``. ``"cuda"`` holds one state per CUDA
    device, and is empty where there is no CUDA. Drawing nothing, it changes nothing.

    Examples:
        >>> state = rng_state()
        >>> first = torch.rand(2)
        >>> set_rng_state(state)
        >>> torch.equal(torch.rand(2), first)  # the same numbers again
        True
    """
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(rng: Mapping[str, Any]) -> None:
    """Put back a random state taken by `rng_state`.

    The CUDA states are restored where there is CUDA, one per device that
    exists both now and when the state was taken; on a machine without CUDA
    they are ignored.

    Examples:
        >>> saved = rng_state()
        >>> a = torch.randn(3)
        >>> set_rng_state(saved)
        >>> torch.equal(torch.randn(3), a)
        True
    """
    _check_rng(rng, "rng")
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"][: torch.cuda.device_count()])


def check_save_args(
    path: object, model: object, optimizer: object, epoch: object, extra: object
) -> tuple[Path, int, dict]:
    """Check `save_checkpoint`'s arguments; return the path as a ``Path``, the epoch and ``extra`` (``{}`` for None).

    ``path`` must name a file in an existing folder, and not a file of another
    kind (an existing file is overwritten only if ``torch.save`` wrote it);
    ``optimizer`` must be ``None`` or update only ``model``'s parameters;
    ``extra`` must be a dict that ``torch.load(..., weights_only=True)`` can
    read back: numbers, strings, ``None``, tensors, and lists, tuples and
    dicts of them.

    Examples:
        >>> import nnbook
        >>> check_save_args("run.pt", nnbook.build_mlp(3, 4, 1), None, 0, {"note": object()})
        Traceback (most recent call last):
        ...
        TypeError: extra must hold only numbers, strings, None, tensors and lists, tuples or dicts of them \
(what torch.load(..., weights_only=True) reads back), got object at extra['note']
    """
    path = _path(path)
    if path.is_dir():
        raise ValueError(f"path must name a file, got the folder {str(path)!r}")
    if not path.parent.is_dir():
        raise ValueError(f"path must be in an existing folder, got {str(path)!r}, whose folder does not exist")
    if path.exists() and not zipfile.is_zipfile(path):
        raise ValueError(
            f"path {str(path)!r} exists and was not written by torch.save; "
            "refusing to overwrite it (choose another name)"
        )
    _check_model_and_optimizer(model, optimizer)
    epoch = _checks.non_negative_int(epoch, "epoch")
    if extra is None:
        extra = {}
    if not isinstance(extra, dict):
        raise TypeError(f"extra must be a dict or None, got {_checks.show(extra)}")
    _check_loadable(extra, "extra", 0)
    return path, epoch, extra


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    epoch: int = 0,
    extra: dict | None = None,
) -> Path:
    """Write ``model``'s and ``optimizer``'s state, torch's random state, ``epoch`` and ``extra`` to ``path``.

    Returns the path. Nothing passed in is changed, and no random number is
    drawn. The file is written next to ``path`` and then renamed, so a crash
    while saving leaves an earlier checkpoint at ``path`` whole.
    ``optimizer=None`` saves the model alone (enough for predictions, not for
    resuming). Load it with `load_checkpoint`.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> import nnbook
        >>> model = nnbook.build_mlp(3, 4, 1)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = save_checkpoint(Path(folder) / "run.pt", model, epoch=3, extra={"losses": [2.0, 1.5, 1.2]})
        ...     checkpoint = read_checkpoint(path)
        >>> sorted(checkpoint)
        ['epoch', 'extra', 'format', 'model', 'optimizer', 'optimizer_class', 'rng']
        >>> checkpoint["epoch"], list(checkpoint["model"])
        (3, ['0.weight', '0.bias', '2.weight', '2.bias'])
    """
    path, epoch, extra = check_save_args(path, model, optimizer, epoch, extra)
    checkpoint = {
        "format": FORMAT,
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "optimizer_class": None if optimizer is None else type(optimizer).__name__,
        "rng": rng_state(),
        "extra": extra,
    }
    # Write beside the target, then rename: a crash mid-write leaves the previous checkpoint whole.
    partial = path.with_name(path.name + ".partial")
    try:
        torch.save(checkpoint, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def read_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """The checkpoint at ``path`` as a dict, read with ``torch.load(..., weights_only=True)`` onto the CPU.

    ``weights_only=True`` unpickles tensors, numbers, strings and containers
    only, so a file from someone else cannot run code while it loads. A
    ``ValueError`` names the path if the file is missing, is not a
    ``torch.save`` file, holds other objects, or is not a checkpoint of
    `save_checkpoint`'s.

    Examples:
        >>> read_checkpoint("no-such-file.pt")
        Traceback (most recent call last):
        ...
        ValueError: path 'no-such-file.pt' does not exist
    """
    path = _path(path)
    if not path.exists():
        raise ValueError(f"path {str(path)!r} does not exist")
    if path.is_dir():
        raise ValueError(f"path must name a file, got the folder {str(path)!r}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except OSError:
        raise  # the file exists but cannot be read (permissions): not a problem with the argument
    except Exception as err:  # torch.load raises many kinds on a file that is not its own
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if "Weights only load failed" in first_line:
            raise ValueError(
                f"path {str(path)!r} holds objects other than tensors, numbers, strings and containers, which "
                "torch.load(..., weights_only=True) refuses to unpickle; it is not a checkpoint of save_checkpoint's"
            ) from err
        raise ValueError(f"path {str(path)!r} is not a file written by torch.save ({first_line})") from err
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        held = f"a dict with keys {sorted(map(str, checkpoint))[:6]}" if isinstance(checkpoint, dict) else "no dict"
        raise ValueError(
            f"path {str(path)!r} holds {held}, not a checkpoint written by save_checkpoint; "
            "a bare state_dict loads with model.load_state_dict(torch.load(path, weights_only=True))"
        )
    return checkpoint


def check_load_args(path: object, model: object, optimizer: object, restore_rng: object) -> dict[str, Any]:
    """Read the checkpoint at ``path`` and check that ``model`` and ``optimizer`` can take it; return it.

    A ``ValueError`` names what differs: the parameter names the model has and
    the checkpoint lacks (or the other way round), the shapes that differ, an
    optimizer of another class or with other parameter groups. Nothing is
    changed, so a failed check leaves ``model``, ``optimizer`` and the random
    state as they were.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> import nnbook
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = save_checkpoint(Path(folder) / "run.pt", nnbook.build_mlp(3, 4, 1))
        ...     check_load_args(path, nnbook.build_mlp(3, 5, 1), None, True)
        Traceback (most recent call last):
        ...
        ValueError: model does not match the checkpoint: different shapes: 0.weight (checkpoint (4, 3), ...
    """
    _check_model_and_optimizer(model, optimizer)
    _checks.boolean(restore_rng, "restore_rng")
    checkpoint = read_checkpoint(path)
    saved, own = checkpoint["model"], model.state_dict()
    problems = []
    if missing := [key for key in own if key not in saved]:
        problems.append(f"in the model but not the checkpoint: {', '.join(missing)}")
    if unexpected := [key for key in saved if key not in own]:
        problems.append(f"in the checkpoint but not the model: {', '.join(unexpected)}")
    if shapes := [
        f"{key} (checkpoint {tuple(saved[key].shape)}, model {tuple(own[key].shape)})"
        for key in own
        if key in saved and saved[key].shape != own[key].shape
    ]:
        problems.append(f"different shapes: {', '.join(shapes)}")
    if problems:
        raise ValueError(
            f"model does not match the checkpoint: {'; '.join(problems)}; build the model the checkpoint was saved from"
        )
    if optimizer is not None:
        _check_optimizer_state(checkpoint, optimizer)
    if restore_rng:
        _check_rng(checkpoint.get("rng"), "the checkpoint's random state")
    return checkpoint


def load_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    restore_rng: bool = True,
) -> CheckpointInfo:
    """Load the checkpoint at ``path`` into ``model`` and ``optimizer``, restore the random state, return the epoch.

    Build ``model`` and ``optimizer`` as they were built for the run that
    saved the checkpoint (the optimizer over ``model.parameters()``), then call
    this: they get the saved state in place, and torch's random state becomes
    the saved one (``restore_rng=False`` leaves it alone, for evaluation).
    ``optimizer=None`` loads the model alone. Everything is checked before
    anything is changed (`check_load_args`). Returns a `CheckpointInfo`:
    continue training at epoch ``info.epoch + 1``.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> import nnbook
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> model = nnbook.build_mlp(3, 4, 1)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = save_checkpoint(Path(folder) / "run.pt", model, epoch=7)
        ...     drawn_next = torch.rand(1)
        ...     other = nnbook.build_mlp(3, 4, 1)  # different starting weights
        ...     info = load_checkpoint(path, other)
        >>> info
        CheckpointInfo(epoch=7, extra={})
        >>> torch.equal(other(torch.ones(1, 3)), model(torch.ones(1, 3)))
        True
        >>> torch.equal(torch.rand(1), drawn_next)  # the random state of the moment of saving
        True
    """
    checkpoint = check_load_args(path, model, optimizer, restore_rng)  # raises before anything is changed
    model.load_state_dict(checkpoint["model"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer"])
    if restore_rng:
        set_rng_state(checkpoint["rng"])
    return CheckpointInfo(epoch=checkpoint["epoch"], extra=checkpoint["extra"])


# --- checks ---------------------------------------------------------------------------------


def _path(value: object, name: str = "path") -> Path:
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or a pathlib.Path, got {_checks.show(value)}")
    text = os.fspath(value)
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str or a pathlib.Path, got {_checks.show(value)}")
    if not text or "\x00" in text:
        raise ValueError(f"{name} must be a file name, got {text!r}")
    return Path(text)


def _check_model_and_optimizer(model: object, optimizer: object) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {_checks.show(model)}")
    if optimizer is None:
        return
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer (e.g. torch.optim.Adam(model.parameters())) or None, "
            f"got {_checks.show(optimizer)}"
        )
    own = {id(p) for p in model.parameters()}
    foreign = sum(id(p) not in own for group in optimizer.param_groups for p in group["params"])
    if foreign:
        raise ValueError(
            f"optimizer must update model's parameters, but {foreign} of the tensors it updates are not parameters "
            "of model; was it built for another model? Build it with the model: torch.optim.Adam(model.parameters())"
        )


def _check_optimizer_state(checkpoint: dict[str, Any], optimizer: torch.optim.Optimizer) -> None:
    saved = checkpoint.get("optimizer")
    if saved is None:
        raise ValueError(
            "optimizer was given, but the checkpoint holds no optimizer state (it was saved with optimizer=None)"
        )
    kind = type(optimizer).__name__
    if checkpoint.get("optimizer_class") != kind:
        saved_kind = checkpoint.get("optimizer_class")
        raise ValueError(f"optimizer is a {kind}, but the checkpoint holds the state of a {saved_kind}")
    saved_sizes = [len(group["params"]) for group in saved["param_groups"]]
    own_sizes = [len(group["params"]) for group in optimizer.param_groups]
    if saved_sizes != own_sizes:
        raise ValueError(
            f"optimizer has parameter groups of {own_sizes} tensors, the checkpoint's optimizer had {saved_sizes}"
        )
    # The optimizer's state is keyed by position, not name: a different order of parameters shows as shapes.
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for index, state in saved["state"].items():
        for name, value in state.items():
            if isinstance(value, torch.Tensor) and value.ndim > 0 and value.shape != params[index].shape:
                raise ValueError(
                    f"optimizer's parameter {index} has shape {tuple(params[index].shape)}, but its {name!r} in "
                    f"the checkpoint has shape {tuple(value.shape)}; build the optimizer over model.parameters()"
                )


def _check_rng(rng: object, name: str) -> None:
    if not isinstance(rng, Mapping) or set(rng) != {"torch", "cuda"}:
        raise TypeError(f"{name} must be a dict from rng_state(), keys 'torch' and 'cuda', got {_checks.show(rng)}")
    cpu, cuda = rng["torch"], rng["cuda"]
    expected = torch.get_rng_state()
    if not (isinstance(cpu, torch.Tensor) and cpu.dtype == torch.uint8 and cpu.shape == expected.shape):
        raise ValueError(
            f"{name}['torch'] must be a uint8 tensor of shape {tuple(expected.shape)} from torch.get_rng_state(), "
            f"got {_checks.show(cpu)}"
        )
    if not isinstance(cuda, (list, tuple)) or not all(
        isinstance(t, torch.Tensor) and t.dtype == torch.uint8 and t.ndim == 1 for t in cuda
    ):
        raise ValueError(
            f"{name}['cuda'] must be a list of uint8 tensors, one per CUDA device; got {_checks.show(cuda)}"
        )


# Exact types: a subclass (an IntEnum, a str subclass) is pickled by its class, which weights_only refuses.
_LOADABLE = (type(None), bool, int, float, complex, str, torch.Tensor, nn.Parameter)


def _check_loadable(value: object, where: str, depth: int) -> None:
    """Raise unless torch.load(..., weights_only=True) can read ``value`` back."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"extra must nest at most {_MAX_DEPTH} levels deep, got deeper at {where}")
    if type(value) in _LOADABLE:
        return
    if type(value) in (list, tuple):
        for i, item in enumerate(value):
            _check_loadable(item, f"{where}[{i}]", depth + 1)
        return
    if type(value) is dict:
        for key, item in value.items():
            if type(key) not in (str, int):
                raise TypeError(f"extra's dict keys must be strings or integers, got {_checks.show(key)} in {where}")
            _check_loadable(item, f"{where}[{key!r}]", depth + 1)
        return
    raise TypeError(
        "extra must hold only numbers, strings, None, tensors and lists, tuples or dicts of them "
        f"(what torch.load(..., weights_only=True) reads back), got {type(value).__name__} at {where}"
    )
