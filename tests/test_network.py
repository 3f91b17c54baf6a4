"""The hand-written forward pass against torch's modules."""

import math

import pytest
import torch
from torch import nn

import nnbook


def test_neuron_is_dot_plus_bias():
    x = torch.tensor([1.5, 2.0, -1.0], dtype=torch.float64)
    w = torch.tensor([0.3, -0.4, 0.3], dtype=torch.float64)
    assert nnbook.neuron(x, w, 0.1).item() == pytest.approx(-0.55, abs=1e-12)
    assert nnbook.neuron(x, w, 0.1, activation=torch.sigmoid).item() == pytest.approx(1 / (1 + math.exp(0.55)))


@pytest.mark.parametrize("batch", [None, 1, 7])
def test_dense_matches_nn_linear(batch):
    layer = nn.Linear(5, 3).double()
    x = torch.randn(5, dtype=torch.float64) if batch is None else torch.randn(batch, 5, dtype=torch.float64)
    expected = layer(x).detach()
    got = nnbook.dense(x, layer.weight.detach().t(), layer.bias.detach())  # w is (d_in, d_out)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_two_layer_forward_matches_module_for_batch_and_single_input():
    model = nnbook.TwoLayerNet(3, 4, 2).double()
    params = nnbook.network.two_layer_params(model)
    assert {k: tuple(v.shape) for k, v in params.items()} == {"w1": (3, 4), "b1": (4,), "w2": (4, 2), "b2": (2,)}
    torch.testing.assert_close(params["w1"], model.layer1.weight.detach().t())
    x = torch.randn(8, 3, dtype=torch.float64)
    torch.testing.assert_close(nnbook.two_layer_forward(x, **params), model(x).detach())
    torch.testing.assert_close(nnbook.two_layer_forward(x[3], **params), model(x[3]).detach())


def test_two_layer_params_are_copies():
    model = nnbook.build_mlp(3, 4, 1)
    params = nnbook.network.two_layer_params(model)
    with torch.no_grad():
        model[0].weight.add_(1.0)
    assert not torch.equal(params["w1"], model[0].weight.detach().t())
    with pytest.raises(ValueError, match="model must be a two-layer network"):
        nnbook.network.two_layer_params(nn.Linear(3, 1))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        nnbook.network.two_layer_params({"w1": 1})


def test_shape_errors_name_the_argument():
    w1, b1, w2, b2 = torch.randn(3, 4), torch.randn(4), torch.randn(4, 2), torch.randn(2)
    with pytest.raises(ValueError, match=r"x must have 3 values in its last dimension .* got x of shape \(3, 8\)"):
        nnbook.two_layer_forward(torch.randn(3, 8), w1, b1, w2, b2)
    with pytest.raises(ValueError, match=r"b1 must have shape \(4,\), one bias per column of w1, got shape \(5,\)"):
        nnbook.two_layer_forward(torch.randn(8, 3), w1, torch.randn(5), w2, b2)
    with pytest.raises(ValueError, match=r"w2 must have 4 rows, one per column of w1 \(shape \(3, 4\)\), got shape \(2, 4\)"):
        nnbook.two_layer_forward(torch.randn(8, 3), w1, b1, torch.randn(2, 4), b2)
    with pytest.raises(ValueError, match=r"w must have shape \(3,\) to match x"):
        nnbook.neuron(torch.randn(3), torch.randn(4), 0.0)
    with pytest.raises(ValueError, match=r"w must have shape \(d_in, d_out\)"):
        nnbook.dense(torch.randn(3), torch.randn(3), torch.randn(3))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        nnbook.dense([1.0, 2.0], w1, b1)


def test_two_layer_net_structure_and_errors():
    model = nnbook.TwoLayerNet(3, 4, 2)
    assert nnbook.count_parameters(model) == 26
    assert [p.numel() for p in model.layer1.parameters()] == [12, 4]
    with pytest.raises(ValueError, match=r"d_hidden must be an integer >= 1, got 0"):
        nnbook.TwoLayerNet(3, 0, 2)
    with pytest.raises(ValueError, match=r"x must have shape \(n, 3\) or \(3,\), got \(8, 4\)"):
        model(torch.randn(8, 4))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        nnbook.count_parameters("model")
