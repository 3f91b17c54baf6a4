"""Tests that kill mutants which survived `tools/mutation.sh 'nnbook.classification.*'`.

Each bad-input case calls train_classifier with epochs=1, so it costs a check, not a training.
"""

import re

import pytest
import torch

from nnbook.classification import train_classifier


def _raises_exactly(error, message, *args, **kwargs):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        train_classifier(*args, epochs=1, log_every=0, **kwargs)


def test_classifier_data_errors_name_the_argument_exactly():
    y = torch.tensor([0, 1, 0, 1, 1])
    _raises_exactly(ValueError, "x must have shape (n, d_in), got shape (5,)", torch.randn(5), y)
    _raises_exactly(ValueError, "x_val must have shape (n, d_in), got shape (5,)", torch.randn(5, 2), y,
                    x_val=torch.randn(5), y_val=y)  # fmt: skip
    # d_in (3) differs from n (4), so a message that printed a column count would show it
    _raises_exactly(
        ValueError, "x and y must have the same number of rows, got x with 4 and y with 5", torch.randn(4, 3), y
    )
