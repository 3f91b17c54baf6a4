"""Activation functions written from their formulas.

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
    r"""Hyperbolic tangent, squashing into (-1, 1).

    Computed as $\tanh(z) = 2\sigma(2z) - 1$, which equals
    $(e^{z} - e^{-z}) / (e^{z} + e^{-z})$ but never divides infinity by
    infinity for large $|z|$.

    Examples:
        >>> import torch
        >>> tanh(torch.tensor([-1.0, 0.0, 1.5]))
        tensor([-0.7616,  0.0000,  0.9051])
    """
    z = _checks.floating(z, "z")
    return 2.0 * sigmoid(2.0 * z) - 1.0


def relu(z: torch.Tensor) -> torch.Tensor:
    r"""Rectified linear unit, $\max(0, z)$: negatives become zero.

    Examples:
        >>> import torch
        >>> relu(torch.tensor([-1.0, 0.0, 1.5]))
        tensor([0.0000, 0.0000, 1.5000])
    """
    z = _checks.floating(z, "z")
    return torch.clamp(z, min=0.0)


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
