"""Make the invisible parts of a tensor visible: strides, storage, contiguity."""

from __future__ import annotations

import torch

from . import _checks

__all__ = ["describe", "shares_storage"]


def describe(t: torch.Tensor, *, address: bool = False) -> str:
    """One line with a tensor's shape, dtype, device, strides, storage offset and contiguity.

    The storage address changes from run to run, so it is shown only when
    ``address=True``; :func:`shares_storage` compares addresses for you.

    Example:
        >>> import torch
        >>> t = torch.arange(6.0).view(2, 3)
        >>> describe(t)
        'shape=(2, 3) dtype=float32 device=cpu stride=(3, 1) offset=0 contiguous=True'
        >>> describe(t.t())
        'shape=(3, 2) dtype=float32 device=cpu stride=(1, 3) offset=0 contiguous=False'
    """
    t = _checks.tensor(t, "t")
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

    Example:
        >>> import torch
        >>> t = torch.zeros(2, 3)
        >>> shares_storage(t, t.t()), shares_storage(t, t.t().contiguous())
        (True, False)
    """
    a = _checks.tensor(a, "a")
    b = _checks.tensor(b, "b")
    sa, sb = a.untyped_storage(), b.untyped_storage()
    if sa.nbytes() == 0 or sb.nbytes() == 0 or a.device != b.device:
        return False
    return sa.data_ptr() == sb.data_ptr()
