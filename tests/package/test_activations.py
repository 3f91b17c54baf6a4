"""Each activation against torch's own, in float64."""

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
