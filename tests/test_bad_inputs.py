"""One test per class of bad input that once gave a wrong answer or an unhelpful error.

Each case was found by using the package as a new reader would; each test
fails on the code before the fix (a silently wrong number, a deep torch trace,
an error naming an argument the caller never passed).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import nnbook
from nnbook.backprop import backward, forward, init_params, loss_value, predict
from nnbook.trainers.common import seeded_module

LEVELS = list(nnbook.TRAINERS)


@pytest.fixture(scope="module")
def data():
    return nnbook.simulate_regression(n=50, seed=0)


# --- loss names -------------------------------------------------------------


@pytest.mark.parametrize("bad", ["mae", "SSE", "", " mse"])
def test_unknown_loss_names_are_refused_by_loss_and_gradient(bad):
    """Once, "mae" was a mean in loss_value and a sum in backward: a factor-n disagreement."""
    x, y = torch.randn(6, 3), torch.randn(6, 1)
    params = init_params(3, 4, 1)
    with pytest.raises(ValueError, match=r"^loss must be one of 'sse', 'mse', got"):
        loss_value(predict(x, params), y, bad)
    with pytest.raises(ValueError, match=r"^loss must be one of 'sse', 'mse', got"):
        backward(x, y, params, forward(x, params), bad)


def test_a_wrongly_cased_loss_name_gets_a_suggestion():
    with pytest.raises(ValueError, match=r"got 'SSE'; did you mean 'sse'\?"):
        loss_value(torch.zeros(2, 1), torch.zeros(2, 1), "SSE")
    with pytest.raises(TypeError, match=r"^loss must be one of 'sse', 'mse', got NoneType None"):
        loss_value(torch.zeros(2, 1), torch.zeros(2, 1), None)


# --- shapes that would broadcast --------------------------------------------


@pytest.mark.parametrize("fn", [loss_value, nnbook.sse, nnbook.mse], ids=["loss_value", "sse", "mse"])
def test_a_column_against_a_vector_is_an_error_not_a_broadcast(fn):
    """(6, 1) - (6,) broadcasts to (6, 6): the loss came out three times too large."""
    y_pred, y = torch.randn(6, 1), torch.randn(6)
    with pytest.raises(ValueError, match=r"^y_pred must have the shape of y, \(6,\), got \(6, 1\); reshape"):
        fn(y_pred, y)


def test_prediction_first_everywhere():
    y_pred, y = torch.tensor([[0.0], [4.0]]), torch.tensor([[1.0], [2.0]])
    assert nnbook.sse(y_pred, y) == loss_value(y_pred, y, "sse").item() == 5.0
    assert nnbook.mse(y_pred, y) == loss_value(y_pred, y, "mse").item() == 2.5


# --- divergence --------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_a_run_that_diverges_on_its_last_update_raises(level, data):
    """One epoch with a huge rate: the loss recorded before the update is finite, the weights after it are not."""
    x, y = data
    kwargs = {"optimizer": "sgd"} if level == "optim" else {}
    with pytest.raises(
        nnbook.TrainingDivergedError, match=r"parameters or predictions became NaN or infinite in the update of epoch 1"
    ):
        nnbook.TRAINERS[level](x, y, epochs=1, lr=1e30, log_every=0, **kwargs)


def test_float16_adam_is_told_about_eps_not_the_learning_rate(data):
    x, y = data
    with pytest.raises(nnbook.TrainingDivergedError) as info:
        nnbook.train_optim(x.half(), y.half(), lr=1e-7, epochs=5, log_every=0)
    assert "eps" in str(info.value) and "float32" in str(info.value)
    assert "smaller learning rate" not in str(info.value)


def test_a_diverging_float32_run_is_told_to_lower_the_learning_rate(data):
    with pytest.raises(nnbook.TrainingDivergedError, match=r"smaller learning rate, such as lr=100000"):
        nnbook.train_scratch(*data, lr=1e6, log_every=0)


# --- seeds -------------------------------------------------------------------

SEED_CALLS = {
    "init_params": lambda seed: init_params(3, 4, 1, seed=seed),
    "simulate_regression": lambda seed: nnbook.simulate_regression(n=5, seed=seed),
    "train_scratch": lambda seed: nnbook.train_scratch(
        *nnbook.simulate_regression(n=5), epochs=1, log_every=0, seed=seed
    ),
    "train_optim": lambda seed: nnbook.train_optim(*nnbook.simulate_regression(n=5), epochs=1, log_every=0, seed=seed),
    "seeded_module": lambda seed: seeded_module(lambda: torch.nn.Linear(2, 1), seed),
}


@pytest.mark.parametrize("call", SEED_CALLS.values(), ids=SEED_CALLS.keys())
@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (1.5, TypeError),
        (True, TypeError),
        ("5", TypeError),
        (5.0, TypeError),
        (-1, ValueError),
        (2**63, ValueError),
        (2**64, ValueError),
    ],
)
def test_seeds_are_non_negative_integers_below_2_to_the_63(call, bad, error):
    """1.5 and True once became 1, "5" became 5, 2**32 and 2**63 repeated seed 0, 2**64 overflowed in C."""
    with pytest.raises(error, match=r"^seed must be an integer from 0 to 2\*\*63 - 1, or None, got"):
        call(bad)


def test_numpy_integer_seeds_are_accepted_and_distinct_seeds_differ():
    a = init_params(3, 4, 1, seed=np.int64(7))
    b = init_params(3, 4, 1, seed=7)
    assert torch.equal(a["w1"], b["w1"])
    assert not torch.equal(init_params(3, 4, 1, seed=2**32)["w1"], init_params(3, 4, 1, seed=0)["w1"])
    assert not torch.equal(init_params(3, 4, 1, seed=2**63 - 1)["w1"], init_params(3, 4, 1, seed=0)["w1"])


# --- the caller's tensors, their .grad, and the global random state -------------


@pytest.mark.parametrize("level", LEVELS)
def test_trainers_leave_the_callers_tensors_and_their_grad_alone(level, data):
    x = data.x.clone().requires_grad_(True)
    y = data.y.clone().requires_grad_(True)
    x_before, y_before = x.detach().clone(), y.detach().clone()
    nnbook.TRAINERS[level](x, y, epochs=3, log_every=0)
    assert x.grad is None and y.grad is None
    assert torch.equal(x.detach(), x_before) and torch.equal(y.detach(), y_before)


@pytest.mark.parametrize("level", LEVELS)
def test_trainers_with_seed_none_leave_the_global_random_state_alone(level, data):
    torch.manual_seed(3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    nnbook.TRAINERS[level](*data, epochs=1, log_every=0, seed=None)
    assert torch.equal(torch.rand(4), expected)


# --- the hand-written network checks what it is given ---------------------------


def test_forward_predict_backward_name_the_bad_argument():
    params = init_params(3, 4, 1)
    x, y = torch.randn(5, 3), torch.randn(5, 1)
    with pytest.raises(TypeError, match=r"^x must be a torch.Tensor, got str 'abc'"):
        forward("abc", params)
    with pytest.raises(TypeError, match=r"^params must be a dict"):
        predict(x, [1, 2])
    with pytest.raises(
        ValueError, match=r"^params must have exactly the keys 'w1', 'b1', 'w2', 'b2', got \['b1', 'w1', 'w2'\]"
    ):
        predict(x, {k: v for k, v in params.items() if k != "b2"})
    with pytest.raises(ValueError, match=r'^params\["b1"\] must have shape \(4,\) \(d_hidden,\)'):
        predict(x, {**params, "b1": torch.zeros(1, 4)})
    with pytest.raises(ValueError, match=r"^y must have shape \(5, 1\) \(n, d_out\), got shape \(5,\)"):
        backward(x, y.flatten(), params, forward(x, params))
    with pytest.raises(TypeError, match=r"^fwd must be the ForwardPass that forward\(x, params\) returns"):
        backward(x, y, params, (1, 2, 3))


def test_init_params_checks_sizes_dtype_and_device():
    with pytest.raises(ValueError, match=r"^d_hidden must be an integer from 1 to 100000, got 0"):
        init_params(3, 0, 1)
    with pytest.raises(ValueError, match=r"make a network of .* parameters; nnbook allows at most"):
        init_params(100_000, 100_000, 1)
    with pytest.raises(TypeError, match=r"^dtype must be a floating-point torch.dtype"):
        init_params(3, 4, 1, dtype=torch.int32)
    with pytest.raises(ValueError, match=r"^device 'cuda:9' was requested"):
        init_params(3, 4, 1, device="cuda:9")


def test_errors_name_only_arguments_the_caller_passed():
    """two_layer_forward once blamed `bias` for a bad `w1`, and trainers blamed `d_in`."""
    w1, b1, w2, b2 = torch.randn(3, 4), torch.randn(4), torch.randn(4, 1), torch.randn(1)
    with pytest.raises(ValueError, match=r"^b1 must have shape \(4,\), one bias per column of w1"):
        nnbook.two_layer_forward(torch.randn(2, 3), w1, torch.randn(3), w2, b2)
    with pytest.raises(TypeError, match=r"^w1 must be a torch.Tensor"):
        nnbook.two_layer_forward(torch.randn(2, 3), "w1", b1, w2, b2)
    with pytest.raises(ValueError, match=r"^x and y must have at most 100000 columns"):
        nnbook.train_scratch(torch.zeros(1, 100_001), torch.zeros(1, 1), epochs=1, log_every=0)


# --- dtypes: float64 data with a float32 model -----------------------------------


def test_float64_x_with_a_float32_model_gets_a_clear_error(data):
    x64 = data.x.double()
    with pytest.raises(
        TypeError, match=r"^x must have the dtype of the model's weights, torch.float32, got torch.float64"
    ):
        nnbook.TwoLayerNet(3, 4, 1)(x64)
    result = nnbook.train_optim(*data, epochs=2, log_every=0)
    with pytest.raises(TypeError, match=r"^x must have the dtype the network was trained in, torch.float32"):
        result.predict(x64)
    with pytest.raises(TypeError, match=r'^params\["w1"\] must have the dtype of x, torch.float64, got torch.float32'):
        predict(x64, result.params)


def test_float64_data_trains_a_float64_network(data):
    x, y = data.x.double(), data.y.double()
    for trainer in nnbook.TRAINERS.values():
        result = trainer(x, y, epochs=2, log_every=0)
        assert result.params["w1"].dtype == torch.float64 and result.predict(x).dtype == torch.float64


# --- least squares -------------------------------------------------------------


def test_least_squares_refuses_zero_target_columns():
    with pytest.raises(ValueError, match=r"^y must have at least one column"):
        nnbook.fit_least_squares(torch.randn(5, 2), torch.randn(5, 0))


def test_least_squares_warns_on_an_underdetermined_system():
    x, y = torch.randn(2, 3), torch.randn(2, 1)
    with pytest.warns(UserWarning, match=r"underdetermined: x has 2 row\(s\) for 4 coefficients"):
        fit = nnbook.fit_least_squares(x, y)
    torch.testing.assert_close(fit.predict(x), y, rtol=1e-5, atol=1e-5)  # it interpolates
    collinear = torch.randn(10, 1).repeat(1, 2)  # two identical columns
    with pytest.warns(UserWarning, match="some columns of x are constant or linear combinations"):
        nnbook.fit_least_squares(collinear, torch.randn(10, 1))


def test_least_squares_on_a_well_posed_system_does_not_warn(recwarn):
    nnbook.fit_least_squares(*nnbook.simulate_regression(n=20, seed=1))
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


# --- devices ---------------------------------------------------------------------


def test_a_device_from_the_environment_is_named_as_such(monkeypatch, data):
    monkeypatch.setenv(nnbook.device.DEVICE_ENV_VAR, "meta")
    with pytest.raises(ValueError, match=r"^the environment variable NNBOOK_DEVICE 'meta' is not supported by nnbook"):
        nnbook.device.best_device()


# --- callbacks and learning rates that torch itself would choke on ---------------


def test_a_callback_with_the_wrong_signature_is_named(data):
    with pytest.raises(TypeError, match=r"^on_epoch must be a function \(epoch, loss\) -> None; on_epoch\(1, "):
        nnbook.train_scratch(*data, epochs=2, log_every=0, on_epoch=lambda epoch: None)


@pytest.mark.parametrize("level", LEVELS)
def test_a_learning_rate_that_overflows_the_dtype_is_refused_up_front(level, data):
    """lr=3.4e37 once failed inside Adam with 'value cannot be converted to type float without overflow'."""
    with pytest.raises(ValueError, match=r"^lr must be a number > 0 and <= 3.40282e\+35, got 3.4e\+37"):
        nnbook.TRAINERS[level](*data, lr=3.4e37, epochs=1, log_every=0)
    with pytest.raises(ValueError, match=r"^lr must be a number > 0 and <= 65.504, got 100"):
        nnbook.TRAINERS[level](data.x.half(), data.y.half(), lr=100.0, epochs=1, log_every=0)
