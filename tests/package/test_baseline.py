"""Least squares against NumPy's lstsq, and the error metrics."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

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
    assert nnbook.sse(torch.tensor([[1.0]]), torch.tensor([[3.0]])) == pytest.approx(4.0)  # one value is enough
    with pytest.raises(ValueError, match=r"^y must hold at least one value, got an empty tensor$"):
        nnbook.mse(torch.empty(0, 1), torch.empty(0, 1))


def test_least_squares_bad_input():
    with pytest.raises(ValueError, match="x and y must have the same number of rows"):
        nnbook.fit_least_squares(torch.randn(5, 2), torch.randn(4, 1))
    with pytest.raises(ValueError, match=r"x must have shape \(n, 3\), one column per row of coef, got \(10, 2\)"):
        nnbook.fit_least_squares(*nnbook.simulate_regression(n=10)).predict(torch.randn(10, 2))


# --- Behaviours pinned down by mutation testing (tools/mutation.sh) ----------------------------------


F64 = torch.float64


def _coef():
    return torch.tensor([[2.0], [-1.0]], dtype=F64)  # (d_in, d_out) = (2, 1)


def _intercept():
    return torch.tensor([0.5], dtype=F64)  # (d_out,)


@pytest.mark.parametrize(
    ("coef", "intercept", "error", "message"),
    [
        ([[2.0]], _intercept(), TypeError, r"coef must be a torch.Tensor, got list [[2.0]]; "
         r"convert it with torch.as_tensor(coef)"),
        (torch.ones(2, 1, dtype=torch.int64), _intercept(), TypeError,
         "coef must be a floating-point tensor, got dtype torch.int64; convert it with coef.float()"),
        (torch.ones(2, dtype=F64), _intercept(), ValueError,
         "coef must have shape (d_in, d_out), got shape (2,)"),
        (torch.ones(2, 1, 1, dtype=F64), _intercept(), ValueError,
         "coef must have shape (d_in, d_out), got shape (2, 1, 1)"),
        (_coef(), 0.5, TypeError, "intercept must be a torch.Tensor, got float 0.5"),
        (_coef(), torch.ones(1, dtype=torch.int64), TypeError,
         "intercept must be a floating-point tensor, got dtype torch.int64; convert it with intercept.float()"),
        (_coef(), torch.ones(2, dtype=F64), ValueError,
         "intercept must have shape (1,), one per column of coef, got shape (2,)"),
        (_coef(), torch.tensor(0.5, dtype=F64), ValueError,
         "intercept must have shape (1,), one per column of coef, got shape ()"),
        (torch.tensor([[1.0], [float("nan")]], dtype=F64), _intercept(), ValueError,
         "coef must hold only finite numbers, found 1 NaN or infinite value(s)"),
        (_coef(), torch.tensor([float("inf")], dtype=F64), ValueError,
         "intercept must hold only finite numbers, found 1 NaN or infinite value(s)"),
    ],
)  # fmt: skip
def test_linear_fit_errors_name_the_argument_exactly(coef, intercept, error, message):
    with pytest.raises(error) as caught:
        nnbook.LinearFit(coef=coef, intercept=intercept)
    assert str(caught.value) == message


def test_linear_fit_accepts_three_outputs_with_three_intercepts():
    # the intercept's shape comes from coef's second dimension, not its first
    fit = nnbook.LinearFit(coef=torch.ones(2, 3, dtype=F64), intercept=torch.zeros(3, dtype=F64))
    assert fit.predict(torch.ones(4, 2, dtype=F64)).shape == (4, 3)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_linear_fit_keeps_detached_float64_copies(dtype):
    coef = torch.tensor([[2.0], [-1.0]], dtype=dtype, requires_grad=True)
    intercept = torch.tensor([0.5], dtype=dtype, requires_grad=True)
    fit = nnbook.LinearFit(coef=coef, intercept=intercept)
    for stored in (fit.coef, fit.intercept):
        assert stored.dtype == F64 and stored.device.type == "cpu" and not stored.requires_grad
    with torch.no_grad():  # the caller's tensors change; the fit must not
        coef.add_(10.0)
        intercept.add_(10.0)
    assert fit.coef.tolist() == [[2.0], [-1.0]] and fit.intercept.tolist() == [0.5]
    assert coef.dtype == dtype and coef.requires_grad  # nothing the caller passed was changed


def test_linear_fit_predict_is_float64_inside_and_in_x_dtype_outside():
    # 2**24 + 1 is not a float32 number: a float32 product would lose the 1.
    fit = nnbook.LinearFit(coef=torch.tensor([[1.0]], dtype=F64), intercept=torch.tensor([2.0**24], dtype=F64))
    x = torch.tensor([[1.0], [3.0]], requires_grad=True)  # float32
    y_pred = fit.predict(x)
    assert y_pred.dtype == torch.float32 and y_pred.device == x.device and not y_pred.requires_grad
    oracle = (x.detach().double() @ fit.coef + fit.intercept).float()
    assert torch.equal(y_pred, oracle)
    x64 = torch.tensor([[1.0]], dtype=F64)
    assert fit.predict(x64).dtype == F64 and fit.predict(x64).item() == 2.0**24 + 1


def test_linear_fit_predict_errors_name_x_exactly():
    fit = nnbook.LinearFit(coef=torch.ones(3, 1, dtype=F64), intercept=torch.zeros(1, dtype=F64))
    for bad, error, message in [
        ([[1.0, 2.0, 3.0]], TypeError, "x must be a torch.Tensor, got list [[1.0, 2.0, 3.0]]; "
         "convert it with torch.as_tensor(x)"),
        (torch.ones(2, 3, dtype=torch.int64), TypeError,
         "x must be a floating-point tensor, got dtype torch.int64; convert it with x.float()"),
        (torch.ones(3), ValueError, "x must have shape (n, d_in), got shape (3,)"),
        (torch.ones(2, 2), ValueError, "x must have shape (n, 3), one column per row of coef, got (2, 2)"),
    ]:  # fmt: skip
        with pytest.raises(error) as caught:
            fit.predict(bad)
        assert str(caught.value) == message


def test_least_squares_warning_says_why_and_points_at_the_caller():
    # n == d_in + 1 rows but two equal columns: rank-deficient with enough rows, so the
    # reason is the columns, not the row count (a mutant comparing n <= d_in + 1 says rows).
    column = torch.tensor([[1.0], [2.0], [4.0]], dtype=F64)
    x, y = column.repeat(1, 2), torch.tensor([[1.0], [0.0], [3.0]], dtype=F64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nnbook.fit_least_squares(x, y)
    assert len(caught) == 1 and caught[0].category is UserWarning
    # stacklevel=2: the warning names the caller's line, not nnbook's own (under mutmut a trampoline
    # frame sits between, so only "not inside nnbook" holds in both runs)
    assert not Path(caught[0].filename).is_relative_to(Path(nnbook.__file__).parent)
    if "MUTANT_UNDER_TEST" not in os.environ:  # outside mutmut: exactly this file (stacklevel=3 names pytest's)
        assert caught[0].filename == __file__
    assert str(caught[0].message) == (
        "the least-squares problem is underdetermined: some columns of x are constant or linear "
        "combinations of others (rank 2 < 3); the coefficients are one of many equally good fits (the smallest one)"
    )
    few = torch.tensor([[1.0, 2.0]], dtype=F64)
    with pytest.warns(UserWarning, match="underdetermined") as record:
        nnbook.fit_least_squares(few, torch.tensor([[1.0]], dtype=F64))
    assert re.fullmatch(
        r"the least-squares problem is underdetermined: x has 1 row\(s\) for 3 coefficients \(2 \+ intercept\) "
        r"\(rank 1 < 3\); the coefficients are one of many equally good fits \(the smallest one\)",
        str(record[0].message),
    )


def test_least_squares_minimum_norm_fit_on_a_rank_deficient_design():
    # Two equal columns: every (a, b) with a + b = 2 fits; the smallest is a = b = 1.
    column = torch.tensor([[0.0], [1.0], [2.0], [3.0]], dtype=F64)
    x, y = column.repeat(1, 2), 2.0 * column + 1.0
    with pytest.warns(UserWarning, match="underdetermined"):
        fit = nnbook.fit_least_squares(x, y)
    torch.testing.assert_close(fit.coef, torch.tensor([[1.0], [1.0]], dtype=F64), rtol=0, atol=1e-10)
    torch.testing.assert_close(fit.intercept, torch.tensor([1.0], dtype=F64), rtol=0, atol=1e-10)


# --- Bad inputs that once gave a wrong answer or an unhelpful error (each fails on the code before its fix) ---


def test_least_squares_refuses_zero_target_columns():
    with pytest.raises(ValueError, match=r"^y must have at least one column"):
        nnbook.fit_least_squares(torch.randn(5, 2), torch.randn(5, 0))


def test_least_squares_warns_on_an_underdetermined_system():
    x, y = torch.randn(2, 3), torch.randn(2, 1)
    with pytest.warns(UserWarning, match=r"underdetermined: x has 2 row\(s\) for 4 coefficients"):
        fit = nnbook.fit_least_squares(x, y)
    torch.testing.assert_close(fit.predict(x), y, rtol=1e-5, atol=1e-5)  # it interpolates
    collinear = torch.randn(10, 1).repeat(1, 2)  # two identical columns
    with pytest.warns(UserWarning, match="some columns of x are constant or linear combinations"):
        nnbook.fit_least_squares(collinear, torch.randn(10, 1))


def test_least_squares_on_a_well_posed_system_does_not_warn(recwarn):
    nnbook.fit_least_squares(*nnbook.simulate_regression(n=20, seed=1))
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_predict_refuses_a_meta_tensor_by_name():
    fit = nnbook.fit_least_squares(*nnbook.simulate_regression(n=20, seed=0))
    with pytest.raises(ValueError, match=r"^x must be a tensor with values, got a meta tensor of shape \(0, 3\)"):
        fit.predict(torch.empty(0, 3, device="meta"))
