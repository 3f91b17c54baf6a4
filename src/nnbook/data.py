"""Simulated regression data, as used throughout the book, and a seeded train/validation/test split."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import NamedTuple

import torch

from . import _checks

__all__ = [
    "TRUE_COEFS",
    "DataSplit",
    "RegressionData",
    "nonlinear_mean",
    "simulate_nonlinear",
    "simulate_regression",
    "split_data",
]


TRUE_COEFS = (0.2, -1.3, -0.5)
"""The coefficients of the book's data: y = 0.2 x1 - 1.3 x2 - 0.5 x3 + noise."""


class _Pair(NamedTuple):
    x: torch.Tensor
    y: torch.Tensor


class RegressionData(_Pair):
    """Inputs ``x`` of shape ``(n, d_in)`` and targets ``y`` of shape ``(n, d_out)``.

    A named tuple, so ``x, y = simulate_regression()`` works as well as
    ``data.x``. Building one checks that ``x`` and ``y`` are tensors with
    one row of ``y`` per row of ``x``.

    Examples:
        >>> data = simulate_regression(n=5, seed=0)
        >>> data.x.shape, data.y.shape
        (torch.Size([5, 3]), torch.Size([5, 1]))
        >>> RegressionData("a", None)
        Traceback (most recent call last):
        ...
        TypeError: x must be a torch.Tensor, got str 'a'
    """

    __slots__ = ()

    def __new__(cls, x: torch.Tensor, y: torch.Tensor) -> RegressionData:
        x = _checks.ndim(_checks.tensor(x, "x"), "x", (2,), "(n, d_in)")
        y = _checks.ndim(_checks.tensor(y, "y"), "y", (2,), "(n, d_out)")
        _checks.same_rows(x, "x", y, "y")
        return super().__new__(cls, x, y)


def simulate_regression(
    n: int = 100,
    *,
    coefs: Sequence[float] = TRUE_COEFS,
    noise_sd: float = 1.0,
    seed: int | None = 0,
    dtype: torch.dtype = torch.float32,
) -> RegressionData:
    r"""Draw a linear regression data set with standard-normal inputs.

    $y = x\,\beta + \varepsilon$ with $x_{ij} \sim N(0, 1)$ and
    $\varepsilon \sim N(0, \texttt{noise\_sd}^2)$. With the defaults this is the
    book's data: 100 rows, three features, $\beta = (0.2, -1.3, -0.5)$.

    Args:
        n: number of observations (rows), from 1 to 10 million.
        coefs: one coefficient per input feature; ``len(coefs)`` is ``d_in``.
        noise_sd: standard deviation of the noise, a number > 0.
        seed: seeds a private generator, so the result does not depend on (or
            disturb) torch's global random state. ``None`` draws fresh data.
        dtype: floating-point dtype of ``x`` and ``y``.

    Returns:
        ``RegressionData(x, y)`` with ``x`` of shape ``(n, d_in)`` and ``y`` of
        shape ``(n, 1)``.

    Examples:
        >>> x, y = simulate_regression(n=100, seed=0)
        >>> x.shape, y.shape
        (torch.Size([100, 3]), torch.Size([100, 1]))
        >>> simulate_regression(n=0)
        Traceback (most recent call last):
        ...
        ValueError: n must be an integer from 1 to 10000000, got 0
    """
    n = _checks.positive_int(n, "n", maximum=_checks.MAX_ROWS)
    noise_sd = _checks.positive_float(noise_sd, "noise_sd")
    if isinstance(coefs, (str, bytes)) or not isinstance(coefs, Sequence) or not 1 <= len(coefs) <= 10_000:
        raise TypeError(
            f"coefs must be a sequence of 1 to 10000 numbers, one per input feature, got {_checks.show(coefs)}"
        )
    coefs = [_checks.number(c, f"coefs[{i}]") for i, c in enumerate(coefs)]
    seed = _checks.seed(seed)
    dtype = _checks.float_dtype(dtype)
    for i, c in enumerate(coefs):
        _scale_fits(c, f"coefs[{i}]", dtype, zero_ok=True)
    _scale_fits(noise_sd, "noise_sd", dtype)
    beta = torch.tensor(coefs, dtype=dtype).unsqueeze(1)  # (d_in, 1)
    generator = _checks.generator(seed)
    x = torch.randn(n, len(coefs), generator=generator, dtype=dtype)  # (n, d_in)
    noise = noise_sd * torch.randn(n, 1, generator=generator, dtype=dtype)  # (n, 1)
    return RegressionData(x=x, y=_finite_targets(x @ beta + noise, dtype))


def nonlinear_mean(x: torch.Tensor) -> torch.Tensor:
    r"""The true mean of `simulate_nonlinear`'s targets: $\sin(2x_1) + x_2 x_3$.

    No straight line (or plane) follows it: the sine wave and the product of two
    features are invisible to least squares on ``x`` alone.

    Args:
        x: inputs of shape ``(n, 3)``.

    Returns:
        A tensor of shape ``(n, 1)`` in ``x``'s dtype.

    Examples:
        >>> nonlinear_mean(torch.tensor([[0.0, 2.0, 3.0]]))
        tensor([[6.]])
    """
    x = _checks.floating(x, "x")
    if x.ndim != 2 or x.shape[1] != 3:
        raise ValueError(f"x must have shape (n, 3), got shape {tuple(x.shape)}")
    return torch.sin(2 * x[:, 0:1]) + x[:, 1:2] * x[:, 2:3]  # (n, 1)


def simulate_nonlinear(
    n: int = 200,
    *,
    noise_sd: float = 0.5,
    seed: int | None = 0,
    dtype: torch.dtype = torch.float32,
) -> RegressionData:
    r"""Draw a regression data set that no linear model can fit.

    Three features drawn uniformly from $[-2, 2)$ (the upper end excluded), and
    $y = \sin(2x_1) + x_2 x_3 + \varepsilon$ with
    $\varepsilon \sim N(0, \texttt{noise\_sd}^2)$ (see `nonlinear_mean`).
    Because the noise is known, so is the smallest mean squared error any
    model can expect on new data: ``noise_sd ** 2``, the noise floor.

    Args:
        n: number of observations (rows), from 1 to 10 million.
        noise_sd: standard deviation of the noise, a number > 0.
        seed: seeds a private generator (torch's global random state is left
            alone). ``None`` draws fresh data.
        dtype: floating-point dtype of ``x`` and ``y``.

    Returns:
        ``RegressionData(x, y)`` with ``x`` of shape ``(n, 3)`` and ``y`` of
        shape ``(n, 1)``.

    Examples:
        >>> x, y = simulate_nonlinear(n=200, seed=0)
        >>> x.shape, y.shape
        (torch.Size([200, 3]), torch.Size([200, 1]))
        >>> bool(x.min() >= -2 and x.max() < 2)
        True
        >>> simulate_nonlinear(noise_sd=0)
        Traceback (most recent call last):
        ...
        ValueError: noise_sd must be a finite number > 0, got 0
    """
    n = _checks.positive_int(n, "n", maximum=_checks.MAX_ROWS)
    noise_sd = _checks.positive_float(noise_sd, "noise_sd")
    dtype = _checks.float_dtype(dtype, "dtype")
    _scale_fits(noise_sd, "noise_sd", dtype)
    generator = _checks.generator(_checks.seed(seed))
    x = 4 * torch.rand(n, 3, generator=generator, dtype=dtype) - 2  # (n, 3), uniform on [-2, 2)
    noise = noise_sd * torch.randn(n, 1, generator=generator, dtype=dtype)  # (n, 1)
    return RegressionData(x=x, y=_finite_targets(nonlinear_mean(x) + noise, dtype))


def _scale_fits(value: float, name: str, dtype: torch.dtype, zero_ok: bool = False) -> None:
    """Raise ``ValueError`` unless ``value`` is finite (and, unless ``zero_ok``, not 0) once held in ``dtype``.

    Checked as the dtype will hold it, not as a Python float: float16 holds at most 65504, so
    ``noise_sd=1e5`` would become infinity, and ``1e-8`` would become 0.
    """
    held = torch.tensor(value, dtype=dtype).item()
    info = torch.finfo(dtype)
    if not math.isfinite(held) or abs(value) > info.max:
        raise ValueError(f"{name} must fit in {dtype} (at most {info.max:g} in size), got {value:g}")
    if not zero_ok and held == 0:
        smallest = info.tiny * info.eps  # the smallest subnormal number
        raise ValueError(f"{name} must be a number that {dtype} holds as > 0 (at least {smallest:g}), got {value:g}")


def _finite_targets(y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Return ``y`` if every target is finite; else the scales together overflowed ``dtype``: say so."""
    if not bool(torch.isfinite(y).all()):
        raise ValueError(
            f"coefs and noise_sd give targets larger than {dtype} holds ({torch.finfo(dtype).max:g}); "
            "make them smaller or use a wider dtype such as torch.float32"
        )
    return y


class DataSplit(NamedTuple):
    """Three disjoint parts of one data set, each a `RegressionData`.

    Examples:
        >>> parts = split_data(*simulate_regression(n=10, seed=0), seed=0)
        >>> [len(part.x) for part in parts]
        [6, 2, 2]
    """

    train: RegressionData
    val: RegressionData
    test: RegressionData


def split_data(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    fractions: Sequence[float] = (0.6, 0.2, 0.2),
    seed: int | None = 0,
) -> DataSplit:
    """Shuffle the rows of ``x`` and ``y`` with a seeded generator and cut them into train, validation and test.

    The validation and test parts get ``round(n * fraction)`` rows each, the
    training part the rest; every part gets at least one row. The same
    ``seed`` gives the same split, and torch's global random state is left
    alone. New tensors are returned; ``x`` and ``y`` are not changed.

    Args:
        x: inputs of shape ``(n, d_in)``.
        y: targets of shape ``(n, d_out)``, one row per row of ``x``.
        fractions: three numbers > 0 that add up to 1: the shares of the
            training, validation and test parts.
        seed: seeds the shuffle; ``None`` shuffles differently each call.

    Returns:
        ``DataSplit(train, val, test)``, each part a ``RegressionData(x, y)``.

    Examples:
        >>> x, y = simulate_regression(n=100, seed=0)
        >>> train, val, test = split_data(x, y, fractions=(0.5, 0.25, 0.25), seed=1)
        >>> train.x.shape, val.x.shape, test.y.shape
        (torch.Size([50, 3]), torch.Size([25, 3]), torch.Size([25, 1]))
        >>> split_data(x, y, fractions=(0.5, 0.5))
        Traceback (most recent call last):
        ...
        ValueError: fractions must be three numbers > 0 (train, validation, test) that add up to 1, got (0.5, 0.5)
    """
    x, y = _checks.regression_data(x, y)
    shares = _fractions(fractions)
    n = x.shape[0]
    n_val = round(n * shares[1])
    n_test = round(n * shares[2])
    n_train = n - n_val - n_test
    if min(n_train, n_val, n_test) < 1:
        raise ValueError(
            f"x has {n} rows, too few to give each part at least one row with fractions={tuple(fractions)}; "
            f"that would give {n_train} training, {n_val} validation and {n_test} test rows"
        )
    order = torch.randperm(n, generator=_checks.generator(_checks.seed(seed))).to(x.device)
    parts = torch.split(order, [n_train, n_val, n_test])
    return DataSplit(*(RegressionData(x=x[rows], y=y[rows]) for rows in parts))


def _fractions(fractions: object) -> tuple[float, float, float]:
    message = f"fractions must be three numbers > 0 (train, validation, test) that add up to 1, got {fractions!r}"
    if isinstance(fractions, (str, bytes)) or not isinstance(fractions, Sequence):
        raise TypeError(message)
    if not all(isinstance(f, Real) and not isinstance(f, bool) for f in fractions):
        raise TypeError(message)
    if len(fractions) != 3 or not all(math.isfinite(f) and f > 0 for f in fractions):
        raise ValueError(message)
    if abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(message)
    return tuple(float(f) for f in fractions)  # type: ignore[return-value]
