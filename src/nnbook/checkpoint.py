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
| ``"format"``, ``"checksum"`` | `FORMAT`; the SHA-256 of everything else (`checksum`), so a damaged file is refused |

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

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from . import _checks

__all__ = [
    "FORMAT",
    "CheckpointInfo",
    "checksum",
    "load_checkpoint",
    "read_checkpoint",
    "rng_state",
    "save_checkpoint",
    "set_rng_state",
    "write_checkpoint",
]

FORMAT = "nnbook-checkpoint-2"
"""The ``"format"`` entry of every checkpoint `save_checkpoint` writes; `read_checkpoint` looks for it.

Format 2 added the ``"checksum"`` entry; format 1 (without it) is refused.
"""

_ENTRIES = {"format", "epoch", "model", "optimizer", "optimizer_class", "rng", "extra", "checksum"}


class CheckpointInfo(NamedTuple):
    """What `load_checkpoint` returns besides the state it loads: the epoch and your own entries.

    Examples:
        >>> info = CheckpointInfo(epoch=100, extra={"losses": [3.0, 2.5]})
        >>> epoch, extra = info
        >>> epoch, extra["losses"][-1]
        (100, 2.5)
    """

    epoch: int
    extra: dict[str, Any]


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
    they are ignored. Each state is first tried on a scratch generator, so a
    damaged one raises a ``ValueError`` before any generator is changed.

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


def _check_save_args(
    path: object, model: object, optimizer: object, epoch: object, extra: object
) -> tuple[Path, int, dict]:
    """Check `save_checkpoint`'s arguments; return the path as a ``Path``, the epoch and ``extra`` (``{}`` for None).

    ``path`` must name a file in an existing folder. An existing file there is
    replaced only if it is a ``torch.save`` file, one cut short (a damaged
    checkpoint), or empty; any other file is refused, so a typo cannot
    destroy it. ``model``'s state must be dense tensors with values (not meta
    or sparse); ``optimizer`` must be ``None`` or update only ``model``'s
    parameters; ``extra`` must be a dict that ``torch.load(...,
    weights_only=True)`` can read back: numbers, strings, ``None``, tensors,
    and lists, tuples and dicts of them.

    Examples:
        >>> import nnbook
        >>> _check_save_args("run.pt", nnbook.build_mlp(3, 4, 1), None, 0, {"note": object()})
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
    if path.exists():
        kind = _file_kind(path)
        if kind == "zip":
            raise ValueError(
                f"path {str(path)!r} exists and is a zip archive that torch.save did not write; "
                "refusing to overwrite it (choose another name)"
            )
        if kind == "other":
            raise ValueError(
                f"path {str(path)!r} exists and was not written by torch.save; "
                "refusing to overwrite it (choose another name)"
            )
    _check_model_and_optimizer(model, optimizer)
    for key, value in model.state_dict().items():  # type: ignore[attr-defined]  # a Module, checked above
        if isinstance(value, torch.Tensor):
            _checks.dense(value, f"model's {key!r}")
    epoch = _checks.non_negative_int(epoch, "epoch")
    if extra is None:
        extra = {}
    if not isinstance(extra, dict):
        raise TypeError(f"extra must be a dict or None, got {_checks.show(extra)}")
    error = _checks.weights_only_error(extra, "extra")
    if error is not None:
        raise error
    return path, epoch, extra


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    epoch: int = 0,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``model``'s and ``optimizer``'s state, torch's random state, ``epoch`` and ``extra`` to ``path``.

    Returns the path. Nothing passed in is changed, and no random number is
    drawn. The file is written beside ``path`` under a name of its own and
    then renamed (`write_checkpoint`), so a crash while saving leaves an
    earlier checkpoint at ``path`` whole, and processes saving to one path at
    once leave one whole checkpoint, the last one renamed.
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
        ['checksum', 'epoch', 'extra', 'format', 'model', 'optimizer', 'optimizer_class', 'rng']
        >>> checkpoint["epoch"], list(checkpoint["model"])
        (3, ['0.weight', '0.bias', '2.weight', '2.bias'])
    """
    path, epoch, extra = _check_save_args(path, model, optimizer, epoch, extra)
    return save_checkpoint_core(path, model, optimizer, epoch, extra)


def save_checkpoint_core(
    path: Path, model: nn.Module, optimizer: torch.optim.Optimizer | None, epoch: int, extra: dict[str, Any]
) -> Path:
    """`save_checkpoint` without the argument checks: build the checkpoint and write it with `write_checkpoint`."""
    checkpoint = {
        "format": FORMAT,
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "optimizer_class": None if optimizer is None else type(optimizer).__name__,
        "rng": rng_state(),
        "extra": extra,
    }
    return write_checkpoint(path, checkpoint)  # adds the checksum; writes beside path, then renames


def write_checkpoint(path: str | os.PathLike[str], checkpoint: dict[str, Any]) -> Path:
    """Add ``checkpoint``'s `checksum` and write it to ``path`` atomically; return the path.

    The file is written under a fresh name in ``path``'s folder
    (``tempfile.mkstemp``), flushed and synced to the disk, and renamed onto
    ``path``: a reader sees the old file or the new one, never part of one,
    whatever crashes and however many processes save at once. `save_checkpoint`
    builds ``checkpoint`` and calls this; the dict passed in is not changed.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> import nnbook
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = save_checkpoint(Path(folder) / "run.pt", nnbook.build_mlp(3, 4, 1))
        ...     sorted(p.name for p in Path(folder).iterdir())  # no temporary file left behind
        ['run.pt']
    """
    path = _path(path)
    if path.is_dir() or not path.parent.is_dir():
        raise ValueError(f"path must name a file in an existing folder, got {str(path)!r}")
    if not isinstance(checkpoint, dict):
        raise TypeError(f"checkpoint must be a dict, got {_checks.show(checkpoint)}")
    checkpoint = {**checkpoint, "checksum": checksum(checkpoint)}
    for key, value in checkpoint.items():  # each entry nests as deep as save_checkpoint allows extra to
        error = _checks.weights_only_error(value, f"checkpoint[{key!r}]")
        if error is not None:
            raise error
    _check_entries(checkpoint, lambda what: ValueError(f"checkpoint must be what save_checkpoint builds: {what}"))
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(checkpoint, file)
            file.flush()
            os.fsync(file.fileno())  # the bytes reach the disk before the name does
        os.chmod(partial, 0o666 & ~_umask())  # mkstemp makes the file private; give it a new file's mode
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)
    return path


def checksum(checkpoint: Mapping[str, Any]) -> str:
    """The SHA-256 of every entry of ``checkpoint`` but ``"checksum"``: each tensor's dtype, shape and bytes, and
    every other value's type and ``repr``, in order; returned as ``"sha256:"`` and 64 hex digits.

    `write_checkpoint` stores it and `read_checkpoint` recomputes it, so a
    flipped bit anywhere in the checkpoint's values is found.

    Examples:
        >>> a = checksum({"epoch": 1, "w": torch.zeros(2)})
        >>> a == checksum({"epoch": 1, "w": torch.zeros(2)}), a == checksum({"epoch": 1, "w": torch.tensor([0, 1e-45])})
        (True, False)
    """
    digest = hashlib.sha256()
    if not isinstance(checkpoint, Mapping):
        raise TypeError(f"checkpoint must be a dict, got {_checks.show(checkpoint)}")
    stack = [(key, checkpoint[key]) for key in reversed(list(checkpoint)) if key != "checksum"]
    while stack:
        key, value = stack.pop()
        digest.update(f"{type(key).__name__}:{key!r}=".encode())
        if isinstance(value, torch.Tensor):
            if value.is_meta or value.layout != torch.strided:
                raise ValueError(
                    f"checkpoint must hold dense tensors with values, got {_checks.show(value)} at {key!r}"
                )
            flat = value.detach().resolve_conj().resolve_neg().cpu().contiguous().reshape(-1).view(torch.uint8)
            digest.update(f"tensor {value.dtype} {tuple(value.shape)};".encode())
            digest.update(flat.numpy())  # type: ignore[arg-type]  # the bytes in place, through the buffer protocol
        elif isinstance(value, Mapping):
            digest.update(f"{type(value).__name__} {len(value)};".encode())
            stack.extend((k, value[k]) for k in reversed(list(value)))
        elif isinstance(value, (list, tuple)):
            digest.update(f"{type(value).__name__} {len(value)};".encode())
            stack.extend((i, v) for i, v in reversed(list(enumerate(value))))
        else:
            digest.update(f"{type(value).__name__} {value!r};".encode())
    return "sha256:" + digest.hexdigest()


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checkpoint at ``path`` as a dict, read with ``torch.load(..., weights_only=True)`` onto the CPU.

    ``weights_only=True`` unpickles tensors, numbers, strings and containers
    only, so a file from someone else cannot run code while it loads. Every
    entry is checked (its kind, the random state on a scratch generator, the
    `checksum`), and a ``ValueError`` names the path if the file is missing,
    is not a ``torch.save`` file, was cut short, holds other objects, is not
    a checkpoint of `save_checkpoint`'s, or is damaged. A file that exists but
    cannot be opened (permissions) raises the ``OSError`` of ``open``.

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
    with open(path, "rb") as file:  # an unreadable file raises here, naming the path
        try:
            checkpoint = torch.load(file, map_location="cpu", weights_only=True)
        except Exception as err:  # torch.load raises many kinds (OSError, RuntimeError, pickle's) on a foreign file
            first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            if "Weights only load failed" in first_line and _file_kind(path) == "torch.save":
                raise ValueError(
                    f"path {str(path)!r} holds objects other than tensors, numbers, strings and containers, which "
                    "torch.load(..., weights_only=True) refuses to unpickle; it is not a checkpoint of "
                    "save_checkpoint's"
                ) from err
            kind = _KINDS[_file_kind(path)]
            raise ValueError(f"path {str(path)!r} is {kind} ({type(err).__name__}: {first_line})") from err
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        if isinstance(checkpoint, dict) and checkpoint.get("format") == "nnbook-checkpoint-1":
            raise ValueError(
                f"path {str(path)!r} is a checkpoint of an older nnbook (format 1, without a checksum); "
                "read its entries with torch.load(path, weights_only=True)"
            )
        held = f"a dict with keys {sorted(map(str, checkpoint))[:6]}" if isinstance(checkpoint, dict) else "no dict"
        raise ValueError(
            f"path {str(path)!r} holds {held}, not a checkpoint written by save_checkpoint; "
            "a bare state_dict loads with model.load_state_dict(torch.load(path, weights_only=True))"
        )
    _check_entries(checkpoint, lambda what: ValueError(f"path {str(path)!r} is a damaged checkpoint: {what}"))
    return checkpoint


def _check_load_args(path: object, model: object, optimizer: object, restore_rng: object) -> dict[str, Any]:
    """Read the checkpoint at ``path`` and check that ``model`` and ``optimizer`` can take it; return it.

    A ``ValueError`` names what differs: the parameter names the model has and
    the checkpoint lacks (or the other way round), the shapes that differ, an
    optimizer of another class or with other parameter groups, optimizer
    state that a scratch copy of ``optimizer`` cannot load. Nothing is
    changed, so a failed check leaves ``model``, ``optimizer`` and the random
    state as they were.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> import nnbook
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = save_checkpoint(Path(folder) / "run.pt", nnbook.build_mlp(3, 4, 1))
        ...     _check_load_args(path, nnbook.build_mlp(3, 5, 1), None, True)
        Traceback (most recent call last):
        ...
        ValueError: model does not match the checkpoint: different shapes: 0.weight (checkpoint (4, 3), ...
    """
    _check_model_and_optimizer(model, optimizer)
    _checks.boolean(restore_rng, "restore_rng")
    checkpoint = read_checkpoint(path)  # type: ignore[arg-type]  # checks path, and every entry, the random state too
    saved, own = checkpoint["model"], model.state_dict()  # type: ignore[attr-defined]  # a Module, checked above
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
        _check_optimizer_state(checkpoint, optimizer)  # type: ignore[arg-type]  # checked above
    return checkpoint


def load_checkpoint(
    path: str | os.PathLike[str],
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
    anything is changed; then `load_checkpoint_core` loads it. Returns a `CheckpointInfo`:
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
    checkpoint = _check_load_args(path, model, optimizer, restore_rng)  # raises before anything is changed
    return load_checkpoint_core(checkpoint, model, optimizer, restore_rng)


def load_checkpoint_core(
    checkpoint: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer | None, restore_rng: bool
) -> CheckpointInfo:
    """`load_checkpoint` without the checks: put a checkpoint that fits ``model`` and ``optimizer`` into them."""
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
        if type(index) is not int or not 0 <= index < len(params) or not isinstance(state, dict):
            raise ValueError(
                f"optimizer does not match the checkpoint: its optimizer state has an entry {index!r} "
                f"for no parameter of optimizer (which has {len(params)})"
            )
        for name, value in state.items():
            if isinstance(value, torch.Tensor) and value.ndim > 0 and value.shape != params[index].shape:
                raise ValueError(
                    f"optimizer's parameter {index} has shape {tuple(params[index].shape)}, but its {name!r} in "
                    f"the checkpoint has shape {tuple(value.shape)}; build the optimizer over model.parameters()"
                )
    # Load it into a scratch copy first (its own attributes, the same parameters): whatever torch's
    # load_state_dict refuses is refused here, before the model or the optimizer is changed.
    scratch = object.__new__(type(optimizer))
    scratch.__dict__.update(optimizer.__dict__)
    try:
        scratch.load_state_dict(saved)
    except Exception as err:
        raise ValueError(
            f"optimizer cannot take the checkpoint's optimizer state ({type(err).__name__}: {err})"
        ) from err


def _check_rng(rng: object, name: str) -> None:
    """Raise unless ``rng`` is a random state from `rng_state` that the generators accept (tried on scratch ones)."""
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
    # A state of the right shape can still be one the generator refuses ("Invalid mt19937 state"):
    # try each on a scratch generator, so that a refusal comes before any real generator is changed.
    tries = [("torch", torch.Generator(), cpu)]
    if cuda and torch.cuda.is_available():
        tries += [(f"cuda'][{i}", torch.Generator(device=f"cuda:{i}"), s) for i, s in enumerate(cuda)]
        tries = tries[: 1 + torch.cuda.device_count()]
    for key, generator, state in tries:
        try:
            generator.set_state(state.cpu())
        except RuntimeError as err:
            raise ValueError(f"{name}['{key}'] is not a state the generator accepts ({err})") from None


def _file_kind(path: Path) -> str:
    """What the existing file at ``path`` is: "torch.save", "cut short", "empty", "zip" (another zip) or "other"."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
            return "torch.save" if any(n.endswith("/data.pkl") for n in names) else "zip"
        index = "missing"
    except Exception:  # a damaged index: zipfile raises BadZipFile, UnicodeDecodeError, ValueError, ...
        index = "damaged"
    with open(path, "rb") as file:
        start = file.read(512)
    if not start:
        return "empty"
    # torch.save writes a zip archive whose first entry is "<name>/data.pkl"; the zip's index is at its end.
    if start[:4] == b"PK\x03\x04" and len(start) >= 30:
        length = int.from_bytes(start[26:28], "little")
        if start[30 : 30 + length].endswith(b"/data.pkl"):
            return "cut short" if index == "missing" else "torch.save"
    return "other"


_KINDS = {
    "cut short": "a torch.save file cut short (its end is missing), a damaged checkpoint",
    "empty": "not a file written by torch.save (it is empty)",
    "zip": "not a file written by torch.save (a zip archive of another program)",
    "other": "not a file written by torch.save",
    "torch.save": "a torch.save file that torch cannot read, a damaged checkpoint",
}


def _check_entries(checkpoint: dict[str, Any], refuse: Callable[[str], ValueError]) -> None:
    """Raise ``refuse(what is wrong)`` unless every entry is of the kind `save_checkpoint` writes."""
    if checkpoint.get("format") != FORMAT:
        raise refuse(f"'format' must be {FORMAT!r}, got {_checks.show(checkpoint.get('format'))}")
    if set(checkpoint) != _ENTRIES:
        missing, unexpected = sorted(_ENTRIES - set(checkpoint)), sorted(map(str, set(checkpoint) - _ENTRIES))
        raise refuse(f"entries missing {missing}, unexpected {unexpected}")
    try:
        expected = checksum(checkpoint)
    except Exception as err:
        raise refuse(f"its checksum cannot be computed ({err})") from err
    if checkpoint["checksum"] != expected:
        raise refuse("its contents do not match the checksum stored with them (a changed or corrupted byte)")
    epoch = checkpoint["epoch"]
    if type(epoch) is not int or epoch < 0:
        raise refuse(f"'epoch' must be an integer >= 0, got {_checks.show(epoch)}")
    model = checkpoint["model"]
    if not isinstance(model, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in model.items()
    ):
        raise refuse("'model' must be a dict from names to tensors")
    optimizer, kind = checkpoint["optimizer"], checkpoint["optimizer_class"]
    if optimizer is None:
        if kind is not None:
            raise refuse(f"'optimizer_class' is {kind!r} but 'optimizer' is None")
    elif not (
        isinstance(kind, str)
        and isinstance(optimizer, dict)
        and isinstance(optimizer.get("state"), dict)
        and isinstance(optimizer.get("param_groups"), list)
        and all(isinstance(g, dict) and isinstance(g.get("params"), list) for g in optimizer["param_groups"])
    ):
        raise refuse("'optimizer' must be an optimizer's state_dict() and 'optimizer_class' its class name")
    if not isinstance(checkpoint["extra"], dict):
        raise refuse(f"'extra' must be a dict, got {_checks.show(checkpoint['extra'])}")
    try:
        _check_rng(checkpoint["rng"], "the checkpoint's random state")
    except (TypeError, ValueError) as err:
        raise refuse(str(err)) from err


def _umask() -> int:
    """The process's umask, read without changing it where /proc allows (``os.umask`` both sets and reads)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _sync_folder(folder: Path) -> None:
    """Sync the folder's entry for a renamed file to the disk, where the system allows it (not on Windows)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
