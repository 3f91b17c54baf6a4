"""Activation functions written from their formulas (tanh rearranged so that it stays accurate).

torch ships all four (``torch.sigmoid``, ``torch.tanh``, ``torch.relu``,
``torch.nn.functional.gelu``); these versions exist so the book can show the
formula next to the code. The tests check each one against torch's own in
float64.
"""

from __future__ import annotations

import math

import torch

from . import _checks

__all__ = ["sigmoid", "tanh", "relu", "gelu", "ACTIVATIONS"]


def sigmoid(z: torch.Tensor) -> torch.Tensor:
    r"""Logistic sigmoid, $\sigma(z) = 1 / (1 + e^{-z})$, squashing into (0, 1).

    Examples:
        >>> import torch
        >>> sigmoid(torch.tensor([-1.0, 0.0, 1.5]))
        tensor([0.2689, 0.5000, 0.8176])
    """
    z = _checks.floating(z, "z")
    # exp(-z) overflows to inf for very negative z; 1 / inf is 0, the right limit.
    return 1.0 / (1.0 + torch.exp(-z))


def tanh(z: torch.Tensor) -> torch.Tensor:
    r"""Hyperbolic tangent, $(e^{z} - e^{-z}) / (e^{z} + e^{-z})$, squashing into (-1, 1).

    The ratio is rewritten before it is computed. Multiplied above and below by
    $e^{-|z|}$ it becomes $s\,(1 - e^{-2|z|}) / (1 + e^{-2|z|})$ with $s$ the
    sign of $z$, and with $u = e^{-2|z|} - 1$ (``torch.expm1``) it is
    $s\,(-u) / (2 + u)$. No exponential of a positive number appears, so nothing
    overflows for large $|z|$; and ``expm1`` keeps the digits that
    $e^{-2|z|} - 1$ would lose near 0, so the result is accurate to a few units
    in the last place over the whole range (the tests compare it with
    ``torch.tanh`` from $10^{-12}$ to 20).

    Examples:
        >>> import torch
        >>> tanh(torch.tensor([-1.0, 0.0, 1.5]))
        tensor([-0.7616,  0.0000,  0.9051])
    """
    z = _checks.floating(z, "z")
    # s is +1 or -1 and carries no gradient; s * z is |z| with the slope of tanh kept at z = 0.
    s = 1.0 - 2.0 * (z < 0).to(z.dtype)
    u = torch.expm1(-2.0 * s * z)  # e^{-2|z|} - 1, in (-1, 0]
    return s * (-u) / (2.0 + u)


def relu(z: torch.Tensor) -> torch.Tensor:
    r"""Rectified linear unit, $\max(0, z)$: negatives become zero.

    At $z = 0$ itself ReLU has no slope; autograd gives this function the
    slope 0 there, as it does ``torch.relu``.

    Examples:
        >>> import torch
        >>> relu(torch.tensor([-1.0, 0.0, 1.5]))
        tensor([0.0000, 0.0000, 1.5000])
    """
    z = _checks.floating(z, "z")
    # Written with where, not clamp(min=0): its slope at z = 0 is 0, as torch.relu's is on every
    # torch version (torch 2.14 changed clamp's slope there from 1 to 0). NaN stays NaN.
    return torch.where(z <= 0, torch.zeros_like(z), z)


def gelu(z: torch.Tensor) -> torch.Tensor:
    r"""Gaussian error linear unit, $z\,\Phi(z) = \tfrac{z}{2}\,(1 + \operatorname{erf}(z/\sqrt{2}))$.

    $\Phi$ is the standard normal CDF: GELU weighs each input by how likely a
    standard normal value is to lie below it, a smooth cousin of ReLU.

    Examples:
        >>> import torch
        >>> gelu(torch.tensor([-1.0, 0.0, 1.5]))
        tensor([-0.1587,  0.0000,  1.3998])
    """
    z = _checks.floating(z, "z")
    return 0.5 * z * (1.0 + torch.erf(z / math.sqrt(2.0)))


ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "gelu": gelu}
"""The four activations by name, in the order the book introduces them."""
