"""Simulated regression data: shapes, reproducibility, and the true coefficients."""

import numpy as np
import pytest
import torch

import nnbook


def test_defaults_are_the_books_data():
    x, y = nnbook.simulate_regression()
    assert x.shape == (100, 3) and y.shape == (100, 1)
    assert x.dtype == y.dtype == torch.float32


def test_same_seed_same_data_and_global_rng_untouched():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = nnbook.simulate_regression(seed=7)
    b = nnbook.simulate_regression(seed=7)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, nnbook.simulate_regression(seed=8).x)


def test_large_sample_recovers_the_coefficients():
    x, y = nnbook.simulate_regression(n=200_000, seed=1, dtype=torch.float64)
    coef, *_ = np.linalg.lstsq(x.numpy(), y.numpy(), rcond=None)
    np.testing.assert_allclose(coef.ravel(), nnbook.TRUE_COEFS, atol=0.01)
    residual = y - x @ torch.tensor(nnbook.TRUE_COEFS, dtype=torch.float64).unsqueeze(1)
    assert abs(residual.std().item() - 1.0) < 0.01


def test_custom_coefficients_and_noise():
    x, y = nnbook.simulate_regression(n=50, coefs=[1.0, 2.0], noise_sd=0.5, seed=0, dtype=torch.float64)
    assert x.shape == (50, 2) and y.dtype == torch.float64
    # The data follow the coefficients and the noise asked for (a large sample, so least squares recovers them)
    x, y = nnbook.simulate_regression(n=200_000, coefs=[1.0, 2.0], noise_sd=0.5, seed=1, dtype=torch.float64)
    coef, *_ = np.linalg.lstsq(x.numpy(), y.numpy(), rcond=None)
    np.testing.assert_allclose(coef.ravel(), [1.0, 2.0], atol=0.01)
    residual = y - x @ torch.tensor([[1.0], [2.0]], dtype=torch.float64)
    assert abs(residual.std().item() - 0.5) < 0.01


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 0}, ValueError, "n must be an integer from 1 to 10000000, got 0"),
        ({"n": 2.5}, TypeError, "n must be an integer from 1 to 10000000, got float 2.5"),
        ({"n": 10**12}, ValueError, "n must be an integer from 1 to 10000000, got 1000000000000"),
        ({"coefs": [1.0, "a"]}, TypeError, r"coefs\[1\] must be a number, got str 'a'"),
        ({"coefs": [1.0, float("nan")]}, ValueError, r"coefs\[1\] must be a finite number"),
        ({"noise_sd": -1.0}, ValueError, "noise_sd must be a finite number > 0, got -1.0"),
        ({"coefs": []}, TypeError, "coefs must be a sequence of 1 to 10000 numbers"),
        ({"dtype": torch.int64}, TypeError, "dtype must be a floating-point torch.dtype"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        nnbook.simulate_regression(**kwargs)
