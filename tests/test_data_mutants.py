"""Tests that kill mutants which survived `tools/mutation.sh 'nnbook.data.*'`.

The simulators' recipes are checked in float64 (the default float32 hid a noise
drawn in float32 and promoted), and split_data with unequal validation and test shares.
"""

import re

import pytest
import torch

import nnbook
from nnbook.data import nonlinear_mean, simulate_nonlinear, split_data


def test_simulate_regression_draws_x_then_the_noise_in_the_dtype_asked_for():
    data = nnbook.simulate_regression(n=50, coefs=[0.5, -1.0], noise_sd=0.3, seed=7, dtype=torch.float64)
    generator = torch.Generator().manual_seed(7)
    x = torch.randn(50, 2, generator=generator, dtype=torch.float64)
    noise = 0.3 * torch.randn(50, 1, generator=generator, dtype=torch.float64)
    assert torch.equal(data.x, x)
    assert torch.equal(data.y, x @ torch.tensor([[0.5], [-1.0]], dtype=torch.float64) + noise)


def test_simulate_nonlinear_draws_x_then_adds_the_noise_in_the_dtype_asked_for():
    data = simulate_nonlinear(n=50, noise_sd=0.3, seed=7, dtype=torch.float64)
    generator = torch.Generator().manual_seed(7)
    x = 4 * torch.rand(50, 3, generator=generator, dtype=torch.float64) - 2
    noise = 0.3 * torch.randn(50, 1, generator=generator, dtype=torch.float64)
    assert torch.equal(data.x, x)
    assert torch.equal(data.y, nonlinear_mean(x) + noise)


def test_coefs_may_number_up_to_10000():
    x, _ = nnbook.simulate_regression(n=2, coefs=[1.0] * 10_000)
    assert x.shape == (2, 10_000)
    message = "coefs must be a sequence of 1 to 10000 numbers, one per input feature, got list [1.0, 1.0, "
    with pytest.raises(TypeError, match=f"^{re.escape(message)}"):
        nnbook.simulate_regression(n=2, coefs=[1.0] * 10_001)


def test_validation_and_test_rows_come_from_their_own_shares():
    x, y = nnbook.simulate_regression(n=20, seed=0)
    assert [len(part.x) for part in split_data(x, y, fractions=(0.5, 0.3, 0.2))] == [10, 6, 4]


@pytest.mark.parametrize(
    ("fractions", "sizes"),
    [
        ((0.5, 0.45, 0.05), "5 training, 4 validation and 0 test"),
        ((0.5, 0.05, 0.45), "5 training, 0 validation and 4 test"),
    ],
)
def test_every_part_needs_a_row(fractions, sizes):
    x, y = nnbook.simulate_regression(n=9, seed=0)
    with pytest.raises(ValueError, match=f"that would give {sizes} rows$"):
        split_data(x, y, fractions=fractions)
