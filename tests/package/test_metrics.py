"""nnbook.metrics: sse, mse and the rules every loss follows (prediction first, no silent broadcast)."""

from __future__ import annotations

import pytest
import torch

import nnbook
from nnbook.backprop import loss_value

# --- Bad inputs that once gave a wrong answer or an unhelpful error (each fails on the code before its fix) ---


@pytest.mark.parametrize("fn", [loss_value, nnbook.sse, nnbook.mse], ids=["loss_value", "sse", "mse"])
def test_a_column_against_a_vector_is_an_error_not_a_broadcast(fn):
    """(6, 1) - (6,) broadcasts to (6, 6): the loss came out three times too large."""
    y_pred, y = torch.randn(6, 1), torch.randn(6)
    with pytest.raises(ValueError, match=r"^y_pred must have the shape of y, \(6,\), got \(6, 1\); reshape"):
        fn(y_pred, y)


def test_prediction_first_everywhere():
    y_pred, y = torch.tensor([[0.0], [4.0]]), torch.tensor([[1.0], [2.0]])
    assert nnbook.sse(y_pred, y) == loss_value(y_pred, y, "sse").item() == 5.0
    assert nnbook.mse(y_pred, y) == loss_value(y_pred, y, "mse").item() == 2.5
