"""Ordinary least squares: the honest baseline for the book's linear data."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

from . import _checks

__all__ = ["LinearFit", "fit_least_squares"]


@dataclass(frozen=True)
class LinearFit:
    """A fitted linear model ``y = x @ coef + intercept``, kept in float64.

    Attributes:
        coef: shape ``(d_in, d_out)``, one column of coefficients per output.
        intercept: shape ``(d_out,)``.

    Examples:
        >>> coef, intercept = torch.tensor([[2.0]], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64)
        >>> fit = LinearFit(coef=coef, intercept=intercept)
        >>> fit.predict(torch.tensor([[0.0], [3.0]]))
        tensor([[1.],
                [7.]])
    """

    coef: torch.Tensor  # (d_in, d_out)
    intercept: torch.Tensor  # (d_out,)

    def __post_init__(self) -> None:
        coef = _checks.ndim(_checks.floating(self.coef, "coef"), "coef", (2,), "(d_in, d_out)")
        intercept = _checks.floating(self.intercept, "intercept")
        _checks.shape(intercept, "intercept", (coef.shape[1],), ", one per column of coef")
        _checks.finite(coef, "coef")
        _checks.finite(intercept, "intercept")
        # frozen: store float64 CPU copies, so the fit never changes with the caller's tensors
        object.__setattr__(self, "coef", coef.detach().to("cpu", torch.float64).clone())
        object.__setattr__(self, "intercept", intercept.detach().to("cpu", torch.float64).clone())

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Predictions for ``x`` of shape ``(n, d_in)``, in ``x``'s dtype and on its device, shape ``(n, d_out)``.

        Examples:
            >>> fit = fit_least_squares(torch.tensor([[0.0], [1.0]]), torch.tensor([[1.0], [3.0]]))
            >>> fit.predict(torch.tensor([[2.0]]))
            tensor([[5.]])
        """
        x = _checks.ndim(_checks.dense(_checks.floating(x, "x"), "x"), "x", (2,), "(n, d_in)")
        d_in = self.coef.shape[0]
        if x.shape[1] != d_in:
            raise ValueError(f"x must have shape (n, {d_in}), one column per row of coef, got {tuple(x.shape)}")
        y_pred = x.detach().double().cpu() @ self.coef + self.intercept  # (n, d_out)
        return y_pred.to(dtype=x.dtype, device=x.device)


def fit_least_squares(x: torch.Tensor, y: torch.Tensor) -> LinearFit:
    r"""Fit $y \approx x\beta + \beta_0$ by least squares, in float64 (R's ``lm(y ~ x)``).

    With fewer independent rows than coefficients (``d_in + 1``, counting
    the intercept) many fits are equally good; this returns the one with the
    smallest coefficients, as R's ``lm`` would not, and warns.

    Examples:
        >>> import torch
        >>> x = torch.tensor([[0.0], [1.0], [2.0]])
        >>> y = torch.tensor([[1.0], [3.0], [5.0]])
        >>> fit = fit_least_squares(x, y)
        >>> round(fit.coef.item(), 6), round(fit.intercept.item(), 6)
        (2.0, 1.0)
    """
    x, y = _checks.regression_data(x, y)
    x64 = x.detach().double().cpu()  # (n, d_in)
    y64 = y.detach().double().cpu()  # (n, d_out)
    design = torch.cat([torch.ones(x64.shape[0], 1, dtype=torch.float64), x64], dim=1)  # (n, 1 + d_in)
    # gelsd works on rank-deficient designs too, like numpy's lstsq, and reports the rank.
    result = torch.linalg.lstsq(design, y64, driver="gelsd")
    unknowns = design.shape[1]
    if int(result.rank) < unknowns:
        why = (
            f"x has {x.shape[0]} row(s) for {unknowns} coefficients ({unknowns - 1} + intercept)"
            if x.shape[0] < unknowns
            else "some columns of x are constant or linear combinations of others"
        )
        warnings.warn(
            f"the least-squares problem is underdetermined: {why} (rank {int(result.rank)} < {unknowns}); "
            "the coefficients are one of many equally good fits (the smallest one)",
            UserWarning,
            stacklevel=2,
        )
    solution = result.solution  # (1 + d_in, d_out)
    return LinearFit(coef=solution[1:], intercept=solution[0])
