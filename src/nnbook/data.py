"""Simulated regression data, as used throughout the book."""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch

from . import _checks

__all__ = ["RegressionData", "simulate_regression", "TRUE_COEFS"]

# The most rows simulate_regression draws: 10 million rows of three float32 features are 120 MB.
_MAX_ROWS = 10_000_000

TRUE_COEFS = (0.2, -1.3, -0.5)
"""The coefficients of the book's data: y = 0.2 x1 - 1.3 x2 - 0.5 x3 + noise."""


class RegressionData(NamedTuple):
    """Inputs ``x`` of shape ``(n, d_in)`` and targets ``y`` of shape ``(n, 1)``.

    A named tuple, so ``x, y = simulate_regression()`` works as well as
    ``data.x``.

    Examples:
        >>> data = simulate_regression(n=5, seed=0)
        >>> data.x.shape, data.y.shape
        (torch.Size([5, 3]), torch.Size([5, 1]))
    """

    x: torch.Tensor
    y: torch.Tensor


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
    n = _checks.positive_int(n, "n", maximum=_MAX_ROWS)
    noise_sd = _checks.positive_float(noise_sd, "noise_sd")
    if isinstance(coefs, (str, bytes)) or not isinstance(coefs, Sequence) or not 1 <= len(coefs) <= 10_000:
        raise TypeError(f"coefs must be a sequence of 1 to 10000 numbers, one per input feature, got {_checks.show(coefs)}")
    coefs = [_checks.number(c, f"coefs[{i}]") for i, c in enumerate(coefs)]
    seed = _checks.seed(seed)
    dtype = _checks.float_dtype(dtype)
    beta = torch.tensor(coefs, dtype=dtype).unsqueeze(1)  # (d_in, 1)
    generator = _checks.generator(seed)
    x = torch.randn(n, len(coefs), generator=generator, dtype=dtype)  # (n, d_in)
    noise = noise_sd * torch.randn(n, 1, generator=generator, dtype=dtype)  # (n, 1)
    return RegressionData(x=x, y=x @ beta + noise)
