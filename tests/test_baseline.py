"""Least squares against NumPy's lstsq, and the error metrics."""

import numpy as np
import pytest
import torch

import nnbook


@pytest.mark.parametrize("n", [5, 100, 200])
def test_least_squares_matches_numpy(n):
    x, y = nnbook.simulate_regression(n=n, seed=n)
    fit = nnbook.fit_least_squares(x, y)
    design = np.column_stack([np.ones(n), x.double().numpy()])
    solution, *_ = np.linalg.lstsq(design, y.double().numpy(), rcond=None)
    np.testing.assert_allclose(fit.intercept.numpy(), solution[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fit.coef.numpy(), solution[1:], rtol=1e-10, atol=1e-12)
    y_pred = fit.predict(x)
    assert y_pred.shape == y.shape and y_pred.dtype == x.dtype


def test_least_squares_is_the_minimum_sse():
    x, y = nnbook.simulate_regression(n=50, seed=3, dtype=torch.float64)
    fit = nnbook.fit_least_squares(x, y)
    best = nnbook.sse(fit.predict(x), y)
    for _ in range(20):
        nudged = nnbook.LinearFit(fit.coef + 1e-3 * torch.randn_like(fit.coef), fit.intercept)
        assert nnbook.sse(nudged.predict(x), y) > best


def test_metrics():
    y = torch.tensor([[1.0], [2.0], [3.0]])
    y_pred = torch.tensor([[1.0], [2.5], [2.0]])
    assert nnbook.sse(y_pred, y) == pytest.approx(1.25)
    assert nnbook.mse(y_pred, y) == pytest.approx(1.25 / 3)
    with pytest.raises(ValueError, match=r"y_pred must have the shape of y, \(3, 1\), got \(3,\)"):
        nnbook.sse(y_pred.flatten(), y)


def test_least_squares_bad_input():
    with pytest.raises(ValueError, match="x and y must have the same number of rows"):
        nnbook.fit_least_squares(torch.randn(5, 2), torch.randn(4, 1))
    with pytest.raises(ValueError, match=r"x must have shape \(n, 3\), one column per row of coef, got \(10, 2\)"):
        nnbook.fit_least_squares(*nnbook.simulate_regression(n=10)).predict(torch.randn(10, 2))
