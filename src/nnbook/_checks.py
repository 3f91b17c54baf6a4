"""Argument checks shared by every public function.

Each check raises a ``TypeError`` (wrong kind of value) or a ``ValueError``
(right kind, wrong value) whose message starts with the name of the argument
the caller passed and says what was expected, so a reader never has to decode
a stack trace from deep inside torch.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from numbers import Integral, Real

import torch

SEED_LIMIT = 2**63
"""Seeds are below this: torch keeps seeds in 64 bits and reads them as signed in places."""


def show(value: object) -> str:
    """A short description of a value for an error message."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def tensor(value: object, name: str) -> torch.Tensor:
    """Return ``value`` if it is a tensor, else raise ``TypeError``."""
    if not isinstance(value, torch.Tensor):
        hint = f"; convert it with torch.as_tensor({name})" if _array_like(value) else ""
        raise TypeError(f"{name} must be a torch.Tensor, got {show(value)}{hint}")
    return value


def floating(value: object, name: str) -> torch.Tensor:
    """Return ``value`` if it is a real floating-point tensor with a dense layout, else raise.

    A sparse tensor gets `dense`'s refusal here; a meta tensor passes (its shape can be checked) and is
    refused where its values would be read (`finite`).
    """
    t = tensor(value, name)
    if not t.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {t.dtype}; convert it with {name}.float()")
    if t.layout != torch.strided:  # no nnbook function computes on sparse layouts (torch lacks most kernels)
        dense(t, name)
    return t


def ndim(t: torch.Tensor, name: str, allowed: tuple[int, ...], layout: str) -> torch.Tensor:
    """Raise ``ValueError`` unless ``t.ndim`` is one of ``allowed``."""
    if t.ndim not in allowed:
        raise ValueError(f"{name} must have shape {layout}, got shape {tuple(t.shape)}")
    return t


def shape(t: torch.Tensor, name: str, expected: tuple[int, ...], why: str = "") -> torch.Tensor:
    """Raise ``ValueError`` unless ``t.shape == expected``; ``why`` says what fixes the expected shape."""
    if tuple(t.shape) != tuple(expected):
        raise ValueError(f"{name} must have shape {tuple(expected)}{why}, got shape {tuple(t.shape)}")
    return t


def dense(t: torch.Tensor, name: str) -> torch.Tensor:
    """Raise ``ValueError`` if ``t`` is a meta tensor (a shape without values) or not dense (sparse, ...).

    The one refusal for every function that reads a tensor's values: a meta
    tensor has none to read, and torch has no kernel for most operations on
    sparse layouts.
    """
    if t.is_meta:
        raise ValueError(
            f"{name} must be a tensor with values, got a meta tensor of shape {tuple(t.shape)} "
            "(it has a shape but no values); create it on 'cpu' or a GPU"
        )
    if t.layout != torch.strided:
        raise ValueError(
            f"{name} must be a dense tensor, got layout {t.layout} (shape {tuple(t.shape)}); "
            f"convert it with {name}.to_dense()"
        )
    return t


def all_finite(t: torch.Tensor) -> bool:
    """Whether every value of the floating-point tensor ``t`` is finite (``True`` when it has none).

    One reduction and one read: the largest absolute value (the infinity norm) is finite exactly
    when every value is, because torch's maximum propagates NaN (ATen/native/SharedReduceOps.h
    reduces with ``max_impl`` on the CPU and ``max_propagate_nan`` on GPUs; tests/package/test_checks.py
    checks it). ``torch.isfinite(t).all()`` gives the same answer with five operations and costs
    about three times as much on a small tensor, which matters once per trainer call.
    """
    return t.numel() == 0 or math.isfinite(torch.linalg.vector_norm(t, math.inf).item())


def finite(t: torch.Tensor, name: str) -> torch.Tensor:
    """Raise ``ValueError`` if ``t`` holds NaN or infinity (or has no values to check: see `dense`)."""
    dense(t, name)
    if t.is_floating_point() and not all_finite(t):
        bad = int((~torch.isfinite(t)).sum())
        raise ValueError(f"{name} must hold only finite numbers, found {bad} NaN or infinite value(s)")
    return t


def same_rows(a: torch.Tensor, a_name: str, b: torch.Tensor, b_name: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have as many rows."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{a_name} and {b_name} must have the same number of rows, "
            f"got {a_name} with {a.shape[0]} and {b_name} with {b.shape[0]}"
        )


def same_device(a: torch.Tensor, a_name: str, b: torch.Tensor, b_name: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` are on one device."""
    if a.device != b.device:
        raise ValueError(
            f"{a_name} and {b_name} must be on the same device, got {a_name} on {a.device} and {b_name} on {b.device}"
        )


def same_kind(t: torch.Tensor, name: str, ref: torch.Tensor, ref_name: str) -> torch.Tensor:
    """Raise unless ``t`` has the dtype and device of ``ref``."""
    if t.dtype != ref.dtype:
        raise TypeError(
            f"{name} must have the dtype of {ref_name}, {ref.dtype}, got {t.dtype}; "
            f"convert it with {name}.to({ref.dtype})"
        )
    if t.device != ref.device:
        raise ValueError(
            f"{name} must be on the device of {ref_name}, {ref.device}, got {t.device}; "
            f"move it with {name}.to({str(ref.device)!r})"
        )
    return t


def boolean(value: object, name: str) -> bool:
    """Return ``value`` if it is ``True`` or ``False``, else raise ``TypeError``."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {show(value)}")
    return value


def int_at_least(value: object, name: str, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer in ``[minimum, maximum]``, else raise."""
    wanted = f"an integer >= {minimum}" if maximum is None else f"an integer from {minimum} to {maximum}"
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be {wanted}, got {show(value)}")
    if value < minimum or (maximum is not None and value > maximum):  # type: ignore[operator]  # numbers ABCs
        raise ValueError(f"{name} must be {wanted}, got {value}")
    return int(value)


def positive_int(value: object, name: str, maximum: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer >= 1 (and <= ``maximum``), else raise."""
    return int_at_least(value, name, 1, maximum)


def non_negative_int(value: object, name: str) -> int:
    """Return ``value`` as an int if it is an integer >= 0, else raise."""
    return int_at_least(value, name, 0)


def seed(value: object, name: str = "seed") -> int | None:
    """Return ``value`` if it is ``None`` or an integer in ``[0, 2**63)``, else raise.

    Python and NumPy integers are accepted; ``bool``, ``float`` and ``str`` are
    not, because turning them into integers hides a mistake (``1.5`` would
    become ``1``, ``True`` would become ``1``).
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer from 0 to 2**63 - 1, or None, got {show(value)}")
    if not 0 <= value < SEED_LIMIT:  # type: ignore[operator]  # typeshed's numbers.Integral has no <
        raise ValueError(f"{name} must be an integer from 0 to 2**63 - 1, or None, got {value}")
    return int(value)


def number(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number (not a bool), else raise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {show(value)}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return float(value)


def positive_float(value: object, name: str, maximum: float | None = None) -> float:
    """Return ``value`` as a float if it is a finite number > 0 (and <= ``maximum``), else raise."""
    wanted = "a finite number > 0" if maximum is None else f"a number > 0 and <= {maximum:g}"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be {wanted}, got {show(value)}")
    if not math.isfinite(value) or value <= 0 or (maximum is not None and value > maximum):  # type: ignore[operator]
        raise ValueError(f"{name} must be {wanted}, got {value}")
    return float(value)


def choice(value: object, name: str, options: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``options`` (exactly, case included), else raise."""
    if isinstance(value, str) and value in options:  # the common case, without building a message
        return value
    listed = ", ".join(repr(o) for o in options)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {listed}, got {show(value)}")
    if value not in options:
        close = [o for o in options if o.lower() == value.strip().lower()]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{name} must be one of {listed}, got {value!r}{hint}")
    return value


def function(value: object, name: str, signature: str) -> Callable:
    """Return ``value`` if it is callable, else raise ``TypeError`` showing the expected ``signature``."""
    if not callable(value):
        raise TypeError(f"{name} must be a function {signature}, got {show(value)}")
    return value


def float_dtype(value: object, name: str = "dtype") -> torch.dtype:
    """Return ``value`` if it is a floating-point ``torch.dtype``, else raise ``TypeError``."""
    if not isinstance(value, torch.dtype) or not value.is_floating_point:
        raise TypeError(f"{name} must be a floating-point torch.dtype such as torch.float32, got {show(value)}")
    return value


def regression_data(x: object, y: object, x_name: str = "x", y_name: str = "y") -> tuple[torch.Tensor, torch.Tensor]:
    """Check that ``x`` is ``(n, d_in)`` and ``y`` is ``(n, d_out)``, finite floats with matching rows.

    ``x_name`` and ``y_name`` are the argument names the messages use (``x_val`` for validation data).
    """
    x = ndim(floating(x, x_name), x_name, (2,), "(n, d_in)")
    y = floating(y, y_name)
    if y.ndim == 1:
        raise ValueError(
            f"{y_name} must have shape (n, d_out), got shape {tuple(y.shape)}; "
            f"make it a column with {y_name}.unsqueeze(1) (R users: this is drop = FALSE)"
        )
    ndim(y, y_name, (2,), "(n, d_out)")
    same_rows(x, x_name, y, y_name)
    if x.shape[0] == 0:
        raise ValueError(f"{x_name} and {y_name} must have at least one row, got 0")
    if x.shape[1] == 0:
        raise ValueError(f"{x_name} must have at least one column (d_in >= 1), got shape (n, 0)")
    if y.shape[1] == 0:
        raise ValueError(f"{y_name} must have at least one column (d_out >= 1), got shape (n, 0)")
    same_device(x, x_name, y, y_name)
    if x.dtype != y.dtype:
        raise TypeError(
            f"{x_name} and {y_name} must have the same dtype, got {x_name} {x.dtype} and {y_name} {y.dtype}"
        )
    finite(x, x_name)
    finite(y, y_name)
    return x, y


def prediction_pair(y_pred: object, y: object) -> tuple[torch.Tensor, torch.Tensor]:
    """Check that ``y_pred`` and ``y`` are floating tensors of one shape, dtype and device.

    Equal shapes, not broadcastable ones: ``(6, 1)`` against ``(6,)`` would
    broadcast to ``(6, 6)`` and compare every prediction with every target.
    """
    if (
        type(y_pred) is torch.Tensor
        and type(y) is torch.Tensor
        and y_pred.shape == y.shape
        and y_pred.is_floating_point()
        and y.is_floating_point()
        and y_pred.device == y.device
    ):
        return y_pred, y  # the common case, in a few attribute reads (this runs every epoch)
    y_pred = floating(y_pred, "y_pred")
    y = floating(y, "y")
    if y_pred.shape != y.shape:
        hint = ""
        if y_pred.numel() == y.numel():
            hint = f"; reshape one of them, e.g. y_pred.reshape({tuple(y.shape)})"
        raise ValueError(
            f"y_pred must have the shape of y, {tuple(y.shape)}, got {tuple(y_pred.shape)}{hint} "
            "(different shapes would broadcast and compare every prediction with every target)"
        )
    same_device(y_pred, "y_pred", y, "y")
    return y_pred, y


# Exact types, not subclasses: a subclass (an IntEnum, a str subclass) is pickled by its class, which
# weights_only refuses. complex, bytes and set are left out: torch 2.4 refuses them (2.5 and later read them).
_WEIGHTS_ONLY_LEAVES = (type(None), bool, int, float, str, torch.Tensor, torch.nn.Parameter, torch.dtype, torch.device)
_WEIGHTS_ONLY_MAX_DEPTH = 50  # a list that contains itself would never end


def weights_only_error(value: object, name: str) -> TypeError | ValueError | None:
    """The error to raise if ``torch.load(..., weights_only=True)`` could not read ``value`` back, else ``None``.

    The one answer to "can this be loaded with weights_only?" in nnbook (`nnbook.checkpoint` and
    `nnbook.distributed` both ask it), true for every torch nnbook supports: tensors (plain or
    ``nn.Parameter``), ``None``, bools, ints, floats, strings, dtypes, devices, and lists, tuples
    and dicts of them keyed by strings or integers, nested at most 50 levels. The message names
    ``name`` and the part at fault, such as ``extra['note']``.
    """
    stack = [(value, name, 0)]
    while stack:
        item, place, depth = stack.pop()
        if depth > _WEIGHTS_ONLY_MAX_DEPTH:
            return ValueError(f"{name} must nest at most {_WEIGHTS_ONLY_MAX_DEPTH} levels deep, got deeper at {place}")
        kind = type(item)
        if kind in _WEIGHTS_ONLY_LEAVES or kind is torch.Size:
            continue
        if kind in (list, tuple):
            stack.extend((x, f"{place}[{i}]", depth + 1) for i, x in reversed(list(enumerate(item))))  # type: ignore[var-annotated, arg-type]
            continue
        if kind is dict or kind is OrderedDict:
            for key in reversed(list(item)):  # type: ignore[call-overload]  # a dict, checked above
                if type(key) not in (str, int):
                    return TypeError(f"{name}'s dict keys must be strings or integers, got {show(key)} in {place}")
                stack.append((item[key], f"{place}[{key!r}]", depth + 1))  # type: ignore[index]
            continue
        note = " (torch 2.4 cannot read it back)" if kind in (complex, bytes, bytearray, set) else ""
        return TypeError(
            f"{name} must hold only numbers, strings, None, tensors and lists, tuples or dicts of them "
            f"(what torch.load(..., weights_only=True) reads back), got {kind.__name__} at {place}{note}"
        )
    return None


def _array_like(value: object) -> bool:
    return isinstance(value, (list, tuple)) or type(value).__module__.startswith("numpy")


MAX_UNITS = 100_000
"""The most units a layer may have (inputs, hidden units or outputs)."""

MAX_ROWS = 10_000_000
"""The most rows a simulator draws (10 million rows of 3 float32 columns is 120 MB)."""

MAX_PARAMETERS = 100_000_000
"""The most parameters a network may have: 400 MB in float32."""


def layer_sizes(d_in: object, d_hidden: object, d_out: object) -> tuple[int, int, int]:
    """Check the three layer sizes of a two-layer network, each from 1 to `MAX_UNITS`, and its size in total."""
    d_in = positive_int(d_in, "d_in", maximum=MAX_UNITS)
    d_hidden = positive_int(d_hidden, "d_hidden", maximum=MAX_UNITS)
    d_out = positive_int(d_out, "d_out", maximum=MAX_UNITS)
    total = d_in * d_hidden + d_hidden + d_hidden * d_out + d_out
    if total > MAX_PARAMETERS:
        raise ValueError(
            f"d_in={d_in}, d_hidden={d_hidden} and d_out={d_out} make a network of {total:,} parameters; "
            f"nnbook allows at most {MAX_PARAMETERS:,} (make d_hidden smaller)"
        )
    return d_in, d_hidden, d_out


def axes(value: object, name: str = "ax") -> object:
    """Return ``value`` if it is ``None`` or a matplotlib ``Axes``, else raise ``TypeError``."""
    if value is None:
        return None
    from matplotlib.axes import Axes  # only plotting calls this, and plotting needs matplotlib anyway

    if not isinstance(value, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes (e.g. from plt.subplots()) or None, got {show(value)}")
    return value


def text(value: object, name: str) -> str:
    """Return ``value`` if it is a string, else raise ``TypeError``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {show(value)}")
    return value


def torch_seed(seed: int) -> int:
    """The seed to hand torch for a checked ``seed`` in ``[0, 2**63)``.

    torch's CPU generator (a Mersenne Twister) keeps only the low 32 bits of a
    seed, so ``2**32`` would repeat seed ``0``. Seeds below ``2**32`` are used
    as they are (so the book's small seeds give torch's own streams); larger
    ones are hashed down to 32 bits, so they do not repeat a small seed.
    """
    if seed < 2**32:
        return seed
    return int.from_bytes(hashlib.blake2b(seed.to_bytes(8, "little"), digest_size=4).digest(), "little")


def generator(seed: int | None) -> torch.Generator:
    """A private CPU generator seeded from a checked ``seed``; ``None`` seeds it from the system."""
    gen = torch.Generator()
    if seed is None:
        gen.seed()
    else:
        gen.manual_seed(torch_seed(seed))
    return gen


def class_labels(y: object, name: str = "y") -> torch.Tensor:
    """Check that ``y`` holds integer labels ``(n,)`` counted from 0."""
    y = dense(tensor(y, name), name)  # a meta or sparse tensor has no min() to read
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}; convert it with {name}.long()")
    if y.ndim != 1:
        hint = f"; make it one label per row with {name}.reshape(-1)" if y.ndim == 2 and y.shape[1] == 1 else ""
        raise ValueError(f"{name} must have shape (n,), one label per row, got shape {tuple(y.shape)}{hint}")
    if y.numel() == 0:
        raise ValueError(f"{name} must hold at least one label, got an empty tensor")
    if int(y.min()) < 0:
        raise ValueError(f"{name} must hold class labels counted from 0, found {int(y.min())}")
    # torch's losses, one_hot and the confusion matrix's cell numbers want int64; .long() copies only other dtypes.
    return y.long()
