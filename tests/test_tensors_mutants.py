"""Tests that kill mutants which survived `tools/mutation.sh 'nnbook.tensors.*'`."""

import re

import pytest
import torch

import nnbook


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
