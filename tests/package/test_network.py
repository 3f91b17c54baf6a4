"""The hand-written forward pass against torch's modules."""

import math
import re

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


def test_dense_applies_its_activation_and_names_its_arguments():
    x, w, b = (
        torch.randn(5, 2, dtype=torch.float64),
        torch.randn(2, 3, dtype=torch.float64),
        torch.randn(3, dtype=torch.float64),
    )
    linear = nnbook.dense(x, w, b)
    torch.testing.assert_close(linear, x @ w + b)
    torch.testing.assert_close(nnbook.dense(x, w, b, activation=torch.relu), torch.relu(linear))
    with pytest.raises(ValueError, match=r"^b must have shape \(3,\), one bias per column of w, got shape \(4,\)"):
        nnbook.dense(x, w, torch.randn(4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"^x must have 2 values in its last dimension to match w of shape \(2, 3\)"):
        nnbook.dense(torch.randn(5, 4, dtype=torch.float64), w, b)
    with pytest.raises(ValueError, match=r"^x must have shape \(d_in,\) or \(n, d_in\), got shape \(2, 5, 2\)"):
        nnbook.dense(torch.randn(2, 5, 2, dtype=torch.float64), w, b)
    with pytest.raises(TypeError, match=r"^activation must be a function .* got str 'relu'"):
        nnbook.dense(x, w, b, activation="relu")


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
    # w1 and w2 are transposed copies, laid out afresh (d_out = 2, so a transposed w2 would not be contiguous)
    assert all(p.is_contiguous() for p in nnbook.network.two_layer_params(nnbook.TwoLayerNet(3, 4, 2)).values())
    with pytest.raises(ValueError, match="model must be a two-layer network"):
        nnbook.network.two_layer_params(nn.Linear(3, 1))
    three = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Linear(4, 1))
    expected = (
        "model must be a two-layer network with two nn.Linear layers with biases, such as nnbook.TwoLayerNet or "
        "nnbook.build_mlp; got Sequential with 3 nn.Linear layer(s)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        nnbook.network.two_layer_params(three)
    with pytest.raises(TypeError, match=r"^model must be a torch\.nn\.Module, got dict"):
        nnbook.network.two_layer_params({"w1": 1})


def test_neuron_takes_its_bias_as_a_number_or_a_one_number_tensor():
    x, w = torch.randn(3), torch.randn(3)
    assert nnbook.neuron(x, w, torch.tensor([0.1])).item() == pytest.approx(nnbook.neuron(x, w, 0.1).item())
    for b, error, message in [
        (torch.tensor([1.0, 2.0]), ValueError, r"^b must hold one number, got a tensor of shape \(2,\)"),
        (torch.tensor(1), TypeError, r"^b must be a floating-point tensor"),
        (torch.tensor(1.0, dtype=torch.float64), TypeError, r"^b must have the dtype of x, torch\.float32"),
        ("one", TypeError, r"^b must be a number, got str 'one'"),
    ]:
        with pytest.raises(error, match=message):
            nnbook.neuron(x, w, b)


def test_hidden_layer_checks_name_w1_and_b1():
    x, w2, b2 = torch.randn(8, 3), torch.randn(4, 2), torch.randn(2)
    for w1, b1, error, message in [
        (torch.ones(3, 4, dtype=torch.int64), torch.randn(4), TypeError, r"^w1 must be a floating-point tensor"),
        (torch.randn(3, 4, dtype=torch.float64), torch.randn(4), TypeError, r"^w1 must have the dtype of x"),
        (torch.randn(3, 4), torch.randn(1, 4), ValueError, r"^b1 must have shape \(d_out,\), got shape \(1, 4\)"),
        (torch.randn(3, 4), torch.ones(4, dtype=torch.int64), TypeError, r"^b1 must be a floating-point tensor"),
        (torch.randn(3, 4), torch.randn(4, dtype=torch.float64), TypeError, r"^b1 must have the dtype of x"),
    ]:
        with pytest.raises(error, match=message):
            nnbook.two_layer_forward(x, w1, b1, w2, b2)


def test_shape_errors_name_the_argument():
    w1, b1, w2, b2 = torch.randn(3, 4), torch.randn(4), torch.randn(4, 2), torch.randn(2)
    with pytest.raises(ValueError, match=r"x must have 3 values in its last dimension .* got x of shape \(3, 8\)"):
        nnbook.two_layer_forward(torch.randn(3, 8), w1, b1, w2, b2)
    with pytest.raises(ValueError, match=r"b1 must have shape \(4,\), one bias per column of w1, got shape \(5,\)"):
        nnbook.two_layer_forward(torch.randn(8, 3), w1, torch.randn(5), w2, b2)
    with pytest.raises(
        ValueError, match=r"w2 must have 4 rows, one per column of w1 \(shape \(3, 4\)\), got shape \(2, 4\)"
    ):
        nnbook.two_layer_forward(torch.randn(8, 3), w1, b1, torch.randn(2, 4), b2)
    # the output layer's checks name its own arguments, for a batch and for one input
    with pytest.raises(ValueError, match=r"^w2 must have 4 rows, one per column of w1 \(shape \(3, 4\)\)"):
        nnbook.two_layer_forward(torch.randn(3), w1, b1, torch.randn(2, 4), b2)
    with pytest.raises(ValueError, match=r"^w2 must have shape \(d_hidden, d_out\), got shape \(4,\)"):
        nnbook.two_layer_forward(torch.randn(8, 3), w1, b1, torch.randn(4), b2)
    with pytest.raises(TypeError, match=r"^w2 must be a floating-point tensor, got dtype torch\.int64"):
        nnbook.two_layer_forward(torch.randn(8, 3), w1, b1, torch.ones(4, 2, dtype=torch.int64), b2)
    with pytest.raises(ValueError, match=r"^b2 must have shape \(2,\), one bias per column of w2, got shape \(3,\)"):
        nnbook.two_layer_forward(torch.randn(8, 3), w1, b1, w2, torch.randn(3))
    with pytest.raises(TypeError, match=r"^b2 must have the dtype of x, torch\.float32, got torch\.float64"):
        nnbook.two_layer_forward(torch.randn(8, 3), w1, b1, w2, torch.randn(2, dtype=torch.float64))
    for x, w, error, message in [
        (torch.ones(3, dtype=torch.int64), torch.randn(3), TypeError, r"^x must be a floating-point tensor"),
        (torch.randn(2, 3), torch.randn(3), ValueError, r"^x must have shape \(d_in,\), got shape \(2, 3\)"),
        (torch.randn(3), torch.ones(3, dtype=torch.int64), TypeError, r"^w must be a floating-point tensor"),
        (torch.randn(3), torch.randn(3, 1), ValueError, r"^w must have shape \(d_in,\), got shape \(3, 1\)"),
        (
            torch.randn(3),
            torch.randn(3, dtype=torch.float64),
            TypeError,
            r"^w must have the dtype of x, torch\.float32",
        ),
    ]:
        with pytest.raises(error, match=message):
            nnbook.neuron(x, w, 0.0)
    with pytest.raises(ValueError, match=r"w must have shape \(3,\) to match x"):
        nnbook.neuron(torch.randn(3), torch.randn(4), 0.0)
    with pytest.raises(ValueError, match=r"w must have shape \(d_in, d_out\)"):
        nnbook.dense(torch.randn(3), torch.randn(3), torch.randn(3))
    with pytest.raises(TypeError, match=r"x must be a torch\.Tensor"):
        nnbook.dense([1.0, 2.0], w1, b1)


def test_two_layer_net_structure_and_errors():
    model = nnbook.TwoLayerNet(3, 4, 2)
    assert nnbook.count_parameters(model) == 26
    assert [p.numel() for p in model.layer1.parameters()] == [12, 4]
    for args, name in [((0, 4, 2), "d_in"), ((3, 0, 2), "d_hidden"), ((3, 4, 0), "d_out")]:
        with pytest.raises(ValueError, match=rf"^{name} must be an integer .*, got 0"):
            nnbook.TwoLayerNet(*args)
    with pytest.raises(TypeError, match=r"^x must be a floating-point tensor, got dtype torch\.int64"):
        model(torch.ones(8, 3, dtype=torch.int64))
    with pytest.raises(
        TypeError, match=r"^x must have the dtype of the model's weights, torch\.float32, got torch\.float64"
    ):
        model(torch.randn(8, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"x must have shape \(n, 3\) or \(3,\), got \(8, 4\)"):
        model(torch.randn(8, 4))
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module, got str 'model'"):
        nnbook.count_parameters("model")


# --- Behaviours pinned down by mutation testing (tools/mutation.sh) ----------------------------------


F64 = torch.float64


def test_activation_error_says_what_was_expected_exactly():
    x, w, b = torch.randn(4, 2, dtype=F64), torch.randn(2, 3, dtype=F64), torch.randn(3, dtype=F64)
    with pytest.raises(TypeError) as caught:
        nnbook.dense(x, w, b, activation="relu")
    assert str(caught.value) == (
        "activation must be a function such as nnbook.relu or torch.sigmoid, or None, got str 'relu'"
    )


@pytest.mark.parametrize("shape", [(1,), (5, 1)])
def test_one_input_value_is_enough(shape):
    # d_in = 1 is a valid layer (the book's one-feature regression); only d_in = 0 is refused.
    x, w, b = torch.randn(*shape, dtype=F64), torch.randn(1, 3, dtype=F64), torch.randn(3, dtype=F64)
    torch.testing.assert_close(nnbook.dense(x, w, b), x @ w + b, rtol=1e-12, atol=1e-12)
    w1, b1, w2, b2 = w, b, torch.randn(3, 2, dtype=F64), torch.randn(2, dtype=F64)
    expected = torch.relu(x @ w1 + b1) @ w2 + b2
    torch.testing.assert_close(nnbook.two_layer_forward(x, w1, b1, w2, b2), expected, rtol=1e-12, atol=1e-12)


def test_no_input_values_is_refused_naming_x():
    message = "x must have at least one input value, got shape (4, 0)"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        nnbook.dense(torch.randn(4, 0), torch.randn(0, 3), torch.randn(3))
