"""Tests that kill mutants which survived `tools/mutation.sh 'nnbook.network.*'`."""

import re

import pytest
import torch

import nnbook

F64 = torch.float64


def test_activation_error_says_what_was_expected_exactly():
    x, w, b = torch.randn(4, 2, dtype=F64), torch.randn(2, 3, dtype=F64), torch.randn(3, dtype=F64)
    with pytest.raises(TypeError) as caught:
        nnbook.dense(x, w, b, activation="relu")
    assert str(caught.value) == (
        "activation must be a function such as nnbook.relu or torch.sigmoid, or None, got str 'relu'"
    )


@pytest.mark.parametrize("shape", [(1,), (5, 1)])
def test_one_input_value_is_enough(shape):
    # d_in = 1 is a valid layer (the book's one-feature regression); only d_in = 0 is refused.
    x, w, b = torch.randn(*shape, dtype=F64), torch.randn(1, 3, dtype=F64), torch.randn(3, dtype=F64)
    torch.testing.assert_close(nnbook.dense(x, w, b), x @ w + b, rtol=1e-12, atol=1e-12)
    w1, b1, w2, b2 = w, b, torch.randn(3, 2, dtype=F64), torch.randn(2, dtype=F64)
    expected = torch.relu(x @ w1 + b1) @ w2 + b2
    torch.testing.assert_close(nnbook.two_layer_forward(x, w1, b1, w2, b2), expected, rtol=1e-12, atol=1e-12)


def test_no_input_values_is_refused_naming_x():
    message = "x must have at least one input value, got shape (4, 0)"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        nnbook.dense(torch.randn(4, 0), torch.randn(0, 3), torch.randn(3))
