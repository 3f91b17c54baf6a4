"""Simulated regression data: shapes, reproducibility, and the true coefficients."""

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nnbook
from nnbook.data import nonlinear_mean, simulate_nonlinear, split_data


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


def test_nonlinear_mean_matches_numpy_in_float64():
    x = torch.tensor([[0.3, -1.2, 1.7], [-2.0, 0.0, 5.0], [1.0, 2.0, -0.5]], dtype=torch.float64)
    sine, product = np.sin(2 * x[:, 0].numpy()), x[:, 1].numpy() * x[:, 2].numpy()
    # torch's sin and NumPy's may differ in the last bit (torch 2.4 and NumPy 1.24 do), and the sum can
    # cancel (the third row is 0.91 - 1), so the tolerance is a few float64 units at the terms' scale.
    scale = np.max(np.abs(sine) + np.abs(product))
    atol = 4 * np.finfo(np.float64).eps * scale
    np.testing.assert_allclose(nnbook.data.nonlinear_mean(x).numpy().ravel(), sine + product, rtol=0, atol=atol)
    assert nnbook.data.nonlinear_mean(x).shape == (3, 1)


def test_simulate_nonlinear_noise_is_what_it_says():
    x, y = nnbook.data.simulate_nonlinear(n=200_000, noise_sd=0.5, seed=2, dtype=torch.float64)
    assert x.shape == (200_000, 3) and y.shape == (200_000, 1)
    assert x.min() >= -2 and x.max() <= 2
    assert abs(x.mean().item()) < 0.01 and abs(x.var().item() - 16 / 12) < 0.01  # uniform on [-2, 2]
    residual = (y - nnbook.data.nonlinear_mean(x)).numpy().ravel()
    assert abs(residual.mean()) < 0.005 and abs(residual.std() - 0.5) < 0.005


def test_simulate_nonlinear_is_seeded_and_leaves_the_global_rng_alone():
    torch.manual_seed(5)
    before = torch.get_rng_state()
    a = nnbook.data.simulate_nonlinear(seed=3)
    b = nnbook.data.simulate_nonlinear(seed=3)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.y, nnbook.data.simulate_nonlinear(seed=4).y)


def test_least_squares_cannot_follow_the_nonlinear_data():
    x, y = nnbook.data.simulate_nonlinear(n=100_000, seed=0, dtype=torch.float64)
    fit = nnbook.fit_least_squares(x, y)
    assert nnbook.mse(fit.predict(x), y) > 4 * 0.5**2  # far above the noise floor
    assert abs(nnbook.mse(nnbook.data.nonlinear_mean(x), y) - 0.5**2) < 0.01  # the truth sits on it


def _numbered(n):
    """Rows whose first column is their own index, so a split can be traced back."""
    x = torch.cat([torch.arange(n, dtype=torch.float64).unsqueeze(1), torch.randn(n, 2, dtype=torch.float64)], dim=1)
    y = 10 * x[:, :1]
    return x, y


@pytest.mark.parametrize(
    ("n", "fractions", "sizes"),
    [(100, (0.6, 0.2, 0.2), (60, 20, 20)), (200, (0.5, 0.25, 0.25), (100, 50, 50)), (7, (0.6, 0.2, 0.2), (5, 1, 1))],
)
def test_split_is_a_partition_of_the_rows(n, fractions, sizes):
    x, y = _numbered(n)
    x_before, y_before = x.clone(), y.clone()
    parts = nnbook.data.split_data(x, y, fractions=fractions, seed=0)
    assert tuple(len(part.x) for part in parts) == sizes
    ids = torch.cat([part.x[:, 0] for part in parts])
    assert sorted(ids.long().tolist()) == list(range(n))  # every row once, none twice
    for part in parts:
        assert torch.equal(part.y, 10 * part.x[:, :1])  # rows of x and y stay together
        rows = part.x[:, 0].long()
        assert torch.equal(part.x, x[rows])
    assert torch.equal(x, x_before) and torch.equal(y, y_before)  # inputs untouched


def test_split_is_seeded_and_leaves_the_global_rng_alone():
    x, y = _numbered(50)
    torch.manual_seed(1)
    before = torch.get_rng_state()
    a = nnbook.data.split_data(x, y, seed=9)
    b = nnbook.data.split_data(x, y, seed=9)
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(p.x, q.x) for p, q in zip(a, b, strict=True))
    assert not torch.equal(a.train.x, nnbook.data.split_data(x, y, seed=10).train.x)
    expected = torch.randperm(50, generator=torch.Generator().manual_seed(9))[:30]  # the oracle: torch's own shuffle
    assert torch.equal(a.train.x[:, 0].long(), expected)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"fractions": (0.5, 0.5)}, ValueError, "fractions must be three numbers > 0"),
        ({"fractions": (0.6, 0.3, 0.3)}, ValueError, "add up to 1"),
        ({"fractions": (1.0, 0.0, 0.0)}, ValueError, "fractions must be three numbers > 0"),
        ({"fractions": "abc"}, TypeError, "fractions must be three numbers"),
        ({"fractions": (0.6, "0.2", 0.2)}, TypeError, "fractions must be three numbers"),
        ({"seed": 1.5}, TypeError, "seed must be an integer from 0 to 2\\*\\*63 - 1, or None"),
    ],
)
def test_split_bad_arguments_are_named(kwargs, error, message):
    x, y = _numbered(20)
    with pytest.raises(error, match=message):
        nnbook.data.split_data(x, y, **kwargs)


def test_split_needs_a_row_for_every_part():
    x, y = _numbered(2)
    with pytest.raises(ValueError, match="x has 2 rows, too few"):
        nnbook.data.split_data(x, y)
    with pytest.raises(ValueError, match="same number of rows"):
        nnbook.data.split_data(x, y[:1])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 0}, ValueError, "n must be an integer from 1 to 10000000"),
        ({"noise_sd": 0}, ValueError, "noise_sd must be a finite number > 0"),
        ({"dtype": torch.int32}, TypeError, "dtype must be a floating-point torch.dtype"),
        ({"seed": "1"}, TypeError, "seed must be an integer from 0 to 2\\*\\*63 - 1, or None"),
    ],
)
def test_simulate_nonlinear_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        nnbook.data.simulate_nonlinear(**kwargs)


def test_nonlinear_mean_checks_its_shape():
    with pytest.raises(ValueError, match=r"x must have shape \(n, 3\)"):
        nnbook.data.nonlinear_mean(torch.zeros(4, 2))


def test_documented_defaults_are_the_ones_used():
    # The chapters call these without arguments and promise the same data every time:
    # the defaults are part of the API (mutation testing changed each and nothing noticed).
    x, y = nnbook.simulate_regression()
    explicit = nnbook.simulate_regression(n=100, coefs=nnbook.TRUE_COEFS, noise_sd=1.0, seed=0)
    assert torch.equal(x, explicit.x) and torch.equal(y, explicit.y)
    curved = nnbook.data.simulate_nonlinear()
    explicit = nnbook.data.simulate_nonlinear(n=200, noise_sd=0.5, seed=0)
    assert curved.x.shape[0] == 200
    assert torch.equal(curved.x, explicit.x) and torch.equal(curved.y, explicit.y)
    default_split = nnbook.data.split_data(x, y)
    explicit_split = nnbook.data.split_data(x, y, fractions=(0.6, 0.2, 0.2), seed=0)
    for part, same in zip(default_split, explicit_split, strict=True):
        assert torch.equal(part.x, same.x) and torch.equal(part.y, same.y)


def test_one_coefficient_is_one_input_column():
    x, y = nnbook.simulate_regression(n=30, coefs=[2.0], noise_sd=0.1, seed=0, dtype=torch.float64)
    assert x.shape == (30, 1) and y.shape == (30, 1)
    slope = (x * y).sum() / (x * x).sum()  # least squares through the origin, one column
    assert abs(slope.item() - 2.0) < 0.1


def test_split_needs_a_training_row_too():
    # 4 rows at (0.02, 0.49, 0.49) round to 2 validation and 2 test rows, leaving none to train on.
    x, y = _numbered(4)
    with pytest.raises(ValueError, match="that would give 0 training, 2 validation and 2 test rows"):
        nnbook.data.split_data(x, y, fractions=(0.02, 0.49, 0.49))


# --- Behaviours pinned down by mutation testing (tools/mutation.sh) ----------------------------------


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


# --- Scales checked in the dtype that holds them; RegressionData checks its parts (issue 33) ---------


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"noise_sd": 1e5}, r"^noise_sd must fit in torch\.float16 \(at most 65504 in size\), got 100000$"),
        ({"coefs": [7e4]}, r"^coefs\[0\] must fit in torch\.float16 \(at most 65504 in size\), got 70000$"),
        ({"coefs": [0.2, -7e4]}, r"^coefs\[1\] must fit in torch\.float16"),
        ({"noise_sd": 1e-8}, r"^noise_sd must be a number that torch\.float16 holds as > 0 \(at least 5\.96046e-08\)"),
        ({"coefs": [3e4, 3e4, 3e4]}, r"^coefs and noise_sd give targets larger than torch\.float16 holds"),
    ],
)
def test_float16_scales_that_do_not_fit_are_refused_by_name(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        nnbook.simulate_regression(n=50, seed=0, dtype=torch.float16, **kwargs)


def test_the_same_scales_fit_in_float32_and_float16_takes_what_it_holds():
    # The oracle: each refused value is a float16 overflow (or underflow), not a refusal in general.
    _x, y = nnbook.simulate_regression(n=50, seed=0, noise_sd=1e5, coefs=[7e4])
    assert bool(torch.isfinite(y).all())
    assert torch.tensor(1e5, dtype=torch.float16).isinf() and torch.tensor(1e-8, dtype=torch.float16) == 0
    _x16, y16 = nnbook.simulate_regression(n=50, seed=0, dtype=torch.float16, noise_sd=1e4, coefs=[0.0])
    assert y16.dtype == torch.float16 and bool(torch.isfinite(y16).all())
    assert simulate_nonlinear(n=5, dtype=torch.float16, noise_sd=1.0).y.dtype == torch.float16
    with pytest.raises(ValueError, match=r"^noise_sd must fit in torch\.float16"):
        simulate_nonlinear(n=5, dtype=torch.float16, noise_sd=1e5)


@pytest.mark.parametrize(
    ("x", "y", "error", "pattern"),
    [
        ("a", None, TypeError, r"^x must be a torch\.Tensor, got str 'a'"),
        (torch.ones(3, 2), None, TypeError, r"^y must be a torch\.Tensor, got NoneType None"),
        (torch.ones(3), torch.ones(3, 1), ValueError, r"^x must have shape \(n, d_in\), got shape \(3,\)"),
        (torch.ones(3, 2), torch.ones(3), ValueError, r"^y must have shape \(n, d_out\), got shape \(3,\)"),
        (torch.ones(3, 2), torch.ones(4, 1), ValueError, r"^x and y must have the same number of rows"),
    ],
)
def test_regression_data_refuses_what_is_not_a_data_set(x, y, error, pattern):
    with pytest.raises(error, match=pattern):
        nnbook.RegressionData(x, y)


def test_regression_data_stays_a_named_tuple():
    import pickle

    data = nnbook.RegressionData(torch.ones(3, 2), torch.zeros(3, 1))
    x, _y = data
    assert data.x is x and isinstance(data, tuple) and data._fields == ("x", "y")
    again = pickle.loads(pickle.dumps(data))
    assert type(again) is nnbook.RegressionData and torch.equal(again.y, data.y)
    assert type(data._replace(y=torch.ones(3, 1))) is nnbook.RegressionData


def test_simulate_nonlinear_has_the_row_limit_of_simulate_regression():
    with pytest.raises(ValueError, match=r"^n must be an integer from 1 to 10000000, got 2147483648$"):
        simulate_nonlinear(n=2**31)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    dtype=st.sampled_from([torch.float16, torch.bfloat16, torch.float32]),
    coefs=st.lists(st.floats(-1e39, 1e39, allow_nan=False), min_size=1, max_size=3),
    noise_sd=st.floats(1e-46, 1e39, allow_nan=False),
)
def test_simulated_data_is_finite_or_refused_by_name(dtype, coefs, noise_sd):
    """Whatever the scales, the data comes back finite in dtype, or a ValueError names the scale at fault."""
    try:
        x, y = nnbook.simulate_regression(n=20, coefs=coefs, noise_sd=noise_sd, seed=0, dtype=dtype)
    except ValueError as error:
        assert re.match(r"^(coefs\[\d\]|noise_sd|coefs and noise_sd) ", str(error)), str(error)  # noqa: PT017
    else:
        assert x.dtype == y.dtype == dtype and bool(torch.isfinite(x).all() and torch.isfinite(y).all())
