"""The tensor helpers against torch's own answers, over random shapes."""

from __future__ import annotations

import re

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import nnbook

shapes = st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple)


broadcast_dims = st.lists(st.sampled_from([1, 1, 2, 3, 4]), min_size=0, max_size=4).map(tuple)


@given(shape=shapes)
def test_views_share_storage_and_copies_do_not(shape):
    t = torch.randn(shape)
    assert nnbook.tensors.shares_storage(t, t.view(-1))
    assert nnbook.tensors.shares_storage(t, t.unsqueeze(0))
    assert nnbook.tensors.shares_storage(t, t[..., :1])
    assert not nnbook.tensors.shares_storage(t, t.clone())
    assert not nnbook.tensors.shares_storage(t, torch.randn(shape))


@given(shape=shapes)
def test_transpose_is_a_non_contiguous_view(shape):
    assume(len(shape) >= 2 and shape[-1] > 1 and shape[-2] > 1)
    t = torch.randn(shape)
    tt = t.transpose(-1, -2)
    assert nnbook.tensors.shares_storage(t, tt)
    assert "contiguous=False" in nnbook.tensors.describe(tt)
    assert tt.is_contiguous() is False
    copy = tt.contiguous()
    assert not nnbook.tensors.shares_storage(tt, copy)
    assert "contiguous=True" in nnbook.tensors.describe(copy)


@given(shape=shapes, transpose=st.booleans())
def test_reshape_views_when_it_can_and_copies_when_it_must(shape, transpose):
    t = torch.randn(shape)
    if transpose and len(shape) >= 2:
        t = t.transpose(0, -1)
    flat = t.reshape(-1)
    # torch's own record of whether the result is a view is the oracle
    assert nnbook.tensors.shares_storage(t, flat) == flat._is_view()
    if t.is_contiguous():
        assert flat._is_view()


@given(shape=shapes)
def test_describe_reports_torchs_own_numbers(shape):
    t = torch.randn(shape, dtype=torch.float64)
    text = nnbook.tensors.describe(t)
    assert f"shape={tuple(t.shape)}" in text
    assert f"stride={t.stride()}" in text
    assert "dtype=float64 device=cpu" in text
    assert f"storage=0x{t.untyped_storage().data_ptr():x}" in nnbook.tensors.describe(t, address=True)
    assert "storage=" not in text  # addresses change between runs; off by default


def test_storage_offset_of_a_slice():
    t = torch.arange(12.0).view(3, 4)
    assert "offset=4" in nnbook.tensors.describe(t[1])


def test_empty_tensors_share_nothing():
    assert not nnbook.tensors.shares_storage(torch.empty(0), torch.empty(0))


@given(a=broadcast_dims, b=broadcast_dims)
def test_broadcast_shape_matches_torch(a, b):
    try:
        expected = tuple(torch.broadcast_shapes(a, b))
    except RuntimeError:
        with pytest.raises(ValueError, match="do not broadcast"):
            nnbook.tensors.broadcast_shape(a, b)
        return
    assert nnbook.tensors.broadcast_shape(a, b) == expected
    assert (torch.zeros(a) + torch.zeros(b)).shape == expected


@given(a=broadcast_dims, b=broadcast_dims, c=broadcast_dims)
def test_broadcast_of_three_shapes(a, b, c):
    try:
        expected = tuple(torch.broadcast_shapes(a, b, c))
    except RuntimeError:
        with pytest.raises(ValueError, match="do not broadcast"):
            nnbook.tensors.broadcast_shape(a, b, c)
        return
    assert nnbook.tensors.broadcast_shape(a, b, c) == expected


def test_the_chapters_broadcasting_examples():
    assert nnbook.tensors.broadcast_shape((8, 1, 6, 1), (7, 1, 5)) == (8, 7, 6, 5)
    assert nnbook.tensors.broadcast_shape((3, 5), (1, 5)) == (3, 5)
    assert nnbook.tensors.broadcast_shape((3, 5), (5,)) == (3, 5)
    assert nnbook.tensors.broadcast_shape((3, 1), (1, 5)) == (3, 5)
    assert nnbook.tensors.broadcast_shape(torch.zeros(4, 1), torch.zeros(3)) == (4, 3)
    assert nnbook.tensors.explain_broadcast((3, 5), (5,)).splitlines()[-1].split() == ["result:", "3", "5"]


def test_explain_broadcast_shows_every_step():
    """The chapter prints this table: each shape right-aligned, the padded ones, then the result."""
    assert nnbook.tensors.explain_broadcast((8, 1, 6, 1), (7, 1, 5)).splitlines() == [
        "shape 1:    8  1  6  1",
        "shape 2:       7  1  5",
        "padded 2:   1  7  1  5",
        "result:     8  7  6  5",
    ]
    with pytest.raises(TypeError, match=r"^shape 2 must be a shape"):
        nnbook.tensors.explain_broadcast((3,), (3, -1))


def test_bad_input_is_named():
    with pytest.raises(TypeError, match=r"t must be a torch\.Tensor, got list"):
        nnbook.tensors.describe([1, 2])
    with pytest.raises(TypeError, match=r"b must be a torch\.Tensor"):
        nnbook.tensors.shares_storage(torch.zeros(1), "b")
    with pytest.raises(
        TypeError, match=r"shape 2 must be a shape \(a tuple of integers >= 0\) or a tensor, got tuple \(3, -1\)"
    ):
        nnbook.tensors.broadcast_shape((3,), (3, -1))
    with pytest.raises(
        ValueError, match=r"shapes \(3, 5\) and \(2,\) do not broadcast: in the last dimension the sizes are 5 and 2"
    ):
        nnbook.tensors.broadcast_shape((3, 5), (2,))
    with pytest.raises(ValueError, match="in dimension 2 from the right the sizes are 3 and 4"):
        nnbook.tensors.broadcast_shape((3, 1), (4, 1))


# --- Behaviours pinned down by mutation testing (tools/mutation.sh) ----------------------------------


def test_describe_with_address_keeps_the_rest_of_the_line():
    t = torch.arange(6.0).view(2, 3)
    text = nnbook.tensors.describe(t, address=True)
    assert text == (
        "shape=(2, 3) dtype=float32 device=cpu stride=(3, 1) offset=0 contiguous=True "
        f"storage=0x{t.untyped_storage().data_ptr():x}"
    )


@pytest.mark.parametrize(("a", "b", "name"), [("a", torch.zeros(1), "a"), (torch.zeros(1), [0.0], "b")])
def test_shares_storage_names_the_argument_exactly(a, b, name):
    shown = "str 'a'" if name == "a" else "list [0.0]; convert it with torch.as_tensor(b)"
    with pytest.raises(TypeError, match=f"^{re.escape(f'{name} must be a torch.Tensor, got {shown}')}$"):
        nnbook.tensors.shares_storage(a, b)


@pytest.mark.parametrize(("a", "b"), [((0,), (1,)), ((3, 0), (0,)), ((2, 1, 0), (1, 4, 1)), ((0,), ())])
def test_a_size_zero_dimension_broadcasts_like_torch(a, b):
    # size 0 is a valid size (an empty tensor); _as_shape accepts sizes >= 0, not >= 1
    expected = tuple(torch.broadcast_shapes(a, b))
    assert nnbook.tensors.broadcast_shape(a, b) == expected == (torch.zeros(a) + torch.zeros(b)).shape
    assert nnbook.tensors.explain_broadcast(a, b).splitlines()[-1].split()[1:] == [str(d) for d in expected]


def test_broadcast_shape_of_nothing_says_so():
    with pytest.raises(TypeError, match=r"^broadcast_shape needs at least one shape$"):
        nnbook.tensors.broadcast_shape()


@pytest.mark.parametrize("dtype", [torch.uint8, torch.bool])
def test_a_one_byte_storage_is_shared_by_its_views(dtype):
    # a storage of exactly one byte is not an empty one: its views still share it
    t = torch.zeros(1, dtype=dtype)
    assert t.untyped_storage().nbytes() == 1
    assert nnbook.tensors.shares_storage(t, t.view(-1))
    assert nnbook.tensors.shares_storage(t.view(-1), t)
    assert not nnbook.tensors.shares_storage(t, t.clone())


# --- shares_storage by memory ranges; NumPy integer dimensions (issue 33) ---------------------------


def test_overlapping_from_numpy_views_share_memory_and_disjoint_ones_do_not():
    import numpy as np

    base = np.arange(10.0)
    left, right, far = torch.from_numpy(base[:6]), torch.from_numpy(base[4:]), torch.from_numpy(base[6:])
    assert left.untyped_storage().data_ptr() != right.untyped_storage().data_ptr()  # two storages...
    assert nnbook.tensors.shares_storage(left, right)  # ...over overlapping bytes
    right[0] = -1.0  # the oracle: writing through one changes the other
    assert left[4] == -1.0
    assert not nnbook.tensors.shares_storage(left, far)
    far[0] = -2.0
    assert not bool((left == -2.0).any())


@pytest.mark.parametrize(
    "make",
    [
        lambda: torch.empty(2, device="meta"),
        lambda: torch.eye(2).to_sparse(),
    ],
    ids=["meta", "sparse"],
)
def test_shares_storage_refuses_tensors_without_plain_memory(make):
    with pytest.raises(ValueError, match=r"^a must be (a tensor with values, got a meta tensor|a dense tensor)"):
        nnbook.tensors.shares_storage(make(), make())
    with pytest.raises(ValueError, match=r"^b must be"):
        nnbook.tensors.shares_storage(torch.zeros(2), make())


def test_numpy_integer_dimensions_broadcast_like_python_ones():
    import numpy as np

    shapes = [(np.int64(8), np.int32(1), 6, np.uint8(1)), (7, np.int16(1), 5)]
    plain = [tuple(int(d) for d in s) for s in shapes]
    assert nnbook.tensors.broadcast_shape(*shapes) == nnbook.tensors.broadcast_shape(*plain) == (8, 7, 6, 5)
    assert all(type(d) is int for d in nnbook.tensors.broadcast_shape(*shapes))
    assert nnbook.tensors.explain_broadcast(*shapes) == nnbook.tensors.explain_broadcast(*plain)
    with pytest.raises(TypeError, match=r"^shape 1 must be a shape"):
        nnbook.tensors.broadcast_shape((np.float64(2.0), 1))
    with pytest.raises(TypeError, match=r"^shape 1 must be a shape"):
        nnbook.tensors.broadcast_shape((True, 1))
