"""Ordinary least squares: the honest baseline for the book's linear data."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from . import _checks

__all__ = ["LinearFit", "fit_least_squares"]


@dataclass(frozen=True)
class LinearFit:
    """A fitted linear model ``y = x @ coef + intercept``, kept in float64.

    Examples:
        >>> fit = LinearFit(coef=torch.tensor([[2.0]], dtype=torch.float64), intercept=torch.tensor([1.0], dtype=torch.float64))
        >>> fit.predict(torch.tensor([[0.0], [3.0]]))
        tensor([[1.],
                [7.]])
    """

    coef: torch.Tensor  # (d_in, d_out)
    intercept: torch.Tensor  # (d_out,)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Predictions for ``x`` of shape ``(n, d_in)``, in ``x``'s dtype, shape ``(n, d_out)``."""
        if not isinstance(x, torch.Tensor) or x.ndim != 2 or x.shape[1] != self.coef.shape[0]:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a tensor of shape (n, {self.coef.shape[0]}), got {shape}")
        y_pred = x.detach().double().cpu() @ self.coef + self.intercept
        return y_pred.to(dtype=x.dtype if x.is_floating_point() else torch.float64, device=x.device)


def fit_least_squares(x: torch.Tensor, y: torch.Tensor) -> LinearFit:
    r"""Fit $y \approx x\beta + \beta_0$ by least squares, in float64 (R's ``lm(y ~ x)``).

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
    # gelsd works on rank-deficient designs too, like lm and numpy's lstsq.
    solution = torch.linalg.lstsq(design, y64, driver="gelsd").solution  # (1 + d_in, d_out)
    return LinearFit(coef=solution[1:], intercept=solution[0])
