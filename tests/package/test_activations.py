"""Each activation against torch's own, in float64."""

import math
import re

import pytest
import torch
import torch.nn.functional as F

import nnbook

REFERENCE = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "gelu": lambda z: F.gelu(z, approximate="none"),
}
EDGES = torch.tensor(
    [-1000.0, -100.0, -30.0, -5.0, -1e-8, 0.0, 1e-8, 1.5, 5.0, 30.0, 100.0, 1000.0], dtype=torch.float64
)


@pytest.mark.parametrize("name", list(REFERENCE))
def test_matches_torch_in_float64(name):
    z = torch.cat([torch.randn(1000, dtype=torch.float64) * 4, EDGES])
    ours = nnbook.ACTIVATIONS[name](z)
    torch.testing.assert_close(ours, REFERENCE[name](z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", list(REFERENCE))
def test_gradient_matches_torch(name):
    z = torch.linspace(-6, 6, 101, dtype=torch.float64).add(1e-3)  # avoid ReLU's kink at exactly 0
    z1 = z.clone().requires_grad_(True)
    z2 = z.clone().requires_grad_(True)
    nnbook.ACTIVATIONS[name](z1).sum().backward()
    REFERENCE[name](z2).sum().backward()
    torch.testing.assert_close(z1.grad, z2.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(REFERENCE))
def test_gradient_at_exactly_zero_matches_torch(name):
    """At 0 itself: ReLU's slope there is torch.relu's 0 on every torch version, tanh's is 1."""
    z1 = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    z2 = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    nnbook.ACTIVATIONS[name](z1).sum().backward()
    REFERENCE[name](z2).sum().backward()
    assert torch.equal(z1.grad, z2.grad), (z1.grad, z2.grad)


def _log_grid(dtype):
    """1e-12 to 20, log-spaced, both signs, and 0: tanh's whole useful range (beyond 20 it is +-1 in float64)."""
    magnitudes = torch.logspace(-12, math.log10(20.0), 2001, dtype=torch.float64)
    return torch.cat([-magnitudes.flip(0), torch.zeros(1, dtype=torch.float64), magnitudes]).to(dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_tanh_accurate_to_a_few_units_in_the_last_place(dtype):
    """Relative error against torch.tanh in float64, in units of the dtype's eps; near 0 too, where 2*sigmoid(2z) - 1
    would lose every digit."""
    z = _log_grid(dtype)
    ours = nnbook.tanh(z)
    assert ours.dtype == dtype
    reference = torch.tanh(z.double())
    nonzero = reference != 0
    relative = (ours.double() - reference)[nonzero].abs() / reference[nonzero].abs()
    assert relative.max() <= 4 * torch.finfo(dtype).eps, relative.max().item()
    assert torch.equal(ours[~nonzero], torch.zeros_like(ours[~nonzero]))  # tanh(0) is exactly 0


@pytest.mark.parametrize("name", list(REFERENCE))
def test_infinities_and_nan_like_torch(name):
    z = torch.tensor([-math.inf, math.inf, math.nan], dtype=torch.float64)
    torch.testing.assert_close(nnbook.ACTIVATIONS[name](z), REFERENCE[name](z), equal_nan=True)


@pytest.mark.parametrize("name", list(REFERENCE))
def test_no_nan_for_extreme_float32_inputs(name):
    z = torch.tensor([-1e30, -1e4, -100.0, 100.0, 1e4, 1e30])
    assert torch.isfinite(nnbook.ACTIVATIONS[name](z)).all()


def test_values_quoted_in_chapter_one():
    z = torch.tensor([1.5])
    assert round(nnbook.sigmoid(z).item(), 4) == 0.8176
    assert round(nnbook.tanh(z).item(), 4) == 0.9051
    assert nnbook.relu(z).item() == 1.5
    assert round(nnbook.gelu(z).item(), 4) == 1.3998


@pytest.mark.parametrize("name", list(REFERENCE))
def test_rejects_non_tensors_and_integer_tensors(name):
    fn = nnbook.ACTIVATIONS[name]
    with pytest.raises(
        TypeError, match=re.escape("z must be a torch.Tensor, got list [1.0, 2.0]; convert it with torch.as_tensor(z)")
    ):
        fn([1.0, 2.0])
    with pytest.raises(
        TypeError,
        match=re.escape("z must be a floating-point tensor, got dtype torch.int64; convert it with z.float()"),
    ):
        fn(torch.tensor([1, 2]))
