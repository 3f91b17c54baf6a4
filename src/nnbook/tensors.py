"""Make the invisible parts of a tensor visible: strides, storage, contiguity, broadcasting."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import torch

from . import _checks

__all__ = ["describe", "shares_storage", "broadcast_shape", "explain_broadcast"]


def describe(t: torch.Tensor, *, address: bool = False) -> str:
    """One line with a tensor's shape, dtype, device, strides, storage offset and contiguity.

    The storage address changes from run to run, so it is shown only when
    ``address=True``; `shares_storage` compares addresses for you.

    Examples:
        >>> import torch
        >>> t = torch.arange(6.0).view(2, 3)
        >>> describe(t)
        'shape=(2, 3) dtype=float32 device=cpu stride=(3, 1) offset=0 contiguous=True'
        >>> describe(t.t())
        'shape=(3, 2) dtype=float32 device=cpu stride=(1, 3) offset=0 contiguous=False'
    """
    t = _checks.tensor(t, "t")
    address = _checks.boolean(address, "address")
    dtype = str(t.dtype).removeprefix("torch.")
    text = (
        f"shape={tuple(t.shape)} dtype={dtype} device={t.device} stride={t.stride()} "
        f"offset={t.storage_offset()} contiguous={t.is_contiguous()}"
    )
    if address:
        text += f" storage=0x{t.untyped_storage().data_ptr():x}"
    return text


def shares_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    """``True`` if ``a`` and ``b`` read the same block of memory, so writing to one changes the other.

    Views (``view``, ``t``, slicing, ``unsqueeze``) share storage with their
    base; copies (``clone``, ``contiguous`` on a non-contiguous tensor,
    ``reshape`` when it must copy) do not. Tensors with no elements share nothing.
    Two tensors made by ``torch.from_numpy`` from overlapping parts of one
    NumPy array share memory too. Meta and sparse tensors are refused.

    Examples:
        >>> import torch
        >>> t = torch.zeros(2, 3)
        >>> shares_storage(t, t.t()), shares_storage(t, t.t().contiguous())
        (True, False)
    """
    a = _checks.dense(_checks.tensor(a, "a"), "a")  # a meta tensor has no memory to share
    b = _checks.dense(_checks.tensor(b, "b"), "b")
    sa, sb = a.untyped_storage(), b.untyped_storage()
    if sa.nbytes() == 0 or sb.nbytes() == 0 or a.device != b.device:
        return False
    # Compare the memory ranges, not the storage objects: two torch.from_numpy views of one NumPy
    # array have storages of their own that cover overlapping bytes.
    start_a, start_b = sa.data_ptr(), sb.data_ptr()
    return start_a < start_b + sb.nbytes() and start_b < start_a + sa.nbytes()


def _as_shape(shape: object, name: str) -> tuple[int, ...]:
    if isinstance(shape, torch.Tensor):
        return tuple(shape.shape)
    # Any integer type (Python's, NumPy's), not bool: the same dimensions the rest of nnbook takes.
    if isinstance(shape, (torch.Size, tuple, list)) and all(
        isinstance(d, Integral) and not isinstance(d, bool) and d >= 0  # type: ignore[operator]  # numbers ABCs
        for d in shape
    ):
        return tuple(int(d) for d in shape)
    raise TypeError(f"{name} must be a shape (a tuple of integers >= 0) or a tensor, got {_checks.show(shape)}")


def broadcast_shape(*shapes: Sequence[int] | torch.Tensor) -> tuple[int, ...]:
    """The shape that broadcasting gives ``shapes``, by the three rules, or a ``ValueError``.

    1. Line the shapes up from the right.
    2. A missing leading dimension counts as size 1.
    3. In each position the sizes must be equal, or one of them 1; a size 1 is
       stretched to match the other.

    Examples:
        >>> broadcast_shape((8, 1, 6, 1), (7, 1, 5))
        (8, 7, 6, 5)
        >>> try:
        ...     broadcast_shape((3, 5), (2,))
        ... except ValueError as error:
        ...     print(error)
        shapes (3, 5) and (2,) do not broadcast: in the last dimension the sizes are 5 and 2, and neither is 1
    """
    if not shapes:
        raise TypeError("broadcast_shape needs at least one shape")
    dims = [_as_shape(shape, f"shape {i + 1}") for i, shape in enumerate(shapes)]
    ndim = max(len(d) for d in dims)
    padded = [(1,) * (ndim - len(d)) + d for d in dims]  # rule 2: missing leading sizes are 1
    result = []
    for axis in range(ndim):  # rule 1: the padding aligned the shapes from the right
        sizes = {p[axis] for p in padded} - {1}
        if len(sizes) > 1:  # rule 3
            from_right = ndim - axis
            where = "the last dimension" if from_right == 1 else f"dimension {from_right} from the right"
            listed = " and ".join(str(tuple(d)) for d in dims)
            shown = " and ".join(str(p[axis]) for p in padded)
            raise ValueError(f"shapes {listed} do not broadcast: in {where} the sizes are {shown}, and neither is 1")
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def explain_broadcast(*shapes: Sequence[int] | torch.Tensor) -> str:
    """The shapes right-aligned, padded with 1s, and the broadcast result, as a small table.

    Examples:
        >>> print(explain_broadcast((8, 1, 6, 1), (7, 1, 5)))
        shape 1:    8  1  6  1
        shape 2:       7  1  5
        padded 2:   1  7  1  5
        result:     8  7  6  5
    """
    dims = [_as_shape(shape, f"shape {i + 1}") for i, shape in enumerate(shapes)]
    result = broadcast_shape(*dims)
    width = len(result)

    def row(label: str, values: Sequence[object]) -> str:
        cells = [""] * (width - len(values)) + [str(v) for v in values]
        return f"{label:10s}" + "".join(f"{c:>3s}" for c in cells)

    lines = [row(f"shape {i + 1}:", d) for i, d in enumerate(dims)]
    lines += [row(f"padded {i + 1}:", (1,) * (width - len(d)) + d) for i, d in enumerate(dims) if len(d) < width]
    lines.append(row("result:", result))
    return "\n".join(lines)
