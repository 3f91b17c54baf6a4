"""nnbook._checks: the shared argument checks, seen through the public functions that use them.

The checks are reached through the public functions a reader calls, each message
pinned whole; the few limits no public call reaches cheaply (a network of exactly
the largest size allowed, a value shortened in a message, the seed hash) are checked
on `nnbook._checks` itself.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest
import torch

import nnbook
from nnbook import _checks
from nnbook.backprop import init_params, predict
from nnbook.trainers.common import Run, Settings, seeded_module


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def test_a_long_value_is_shortened_to_60_characters_in_a_message():
    assert _checks.show("a" * 58) == "str '" + "a" * 58 + "'"  # repr: 60 characters, shown whole
    assert _checks.show("a" * 59) == "str '" + "a" * 56 + "..."  # repr: 61 characters, cut to 57 + "..."
    with pytest.raises(TypeError, match=exactly("loss must be one of 'sse', 'mse', got bytes b'" + "b" * 55 + "...")):
        nnbook.train_scratch(torch.zeros(4, 2), torch.zeros(4, 1), loss=b"b" * 70)


def test_each_type_error_shows_the_value_given():
    x, y = torch.zeros(4, 2), torch.zeros(4, 1)
    plot = nnbook.plot_losses
    cases = [
        (lambda: nnbook.train_scratch(x, y, lr=True), "lr must be a number > 0 and <= 3.40282e+35, got bool True"),
        (lambda: nnbook.train_scratch(x, y, loss=3), "loss must be one of 'sse', 'mse', got int 3"),
        (
            lambda: nnbook.train_scratch(x, y, seed="a"),
            "seed must be an integer from 0 to 2**63 - 1, or None, got str 'a'",
        ),
        (
            lambda: plot({"a": [1.0]}, ax=3),
            "ax must be a matplotlib Axes (e.g. from plt.subplots()) or None, got int 3",
        ),
        (lambda: plot({"a": [1.0]}, ylabel=3), "ylabel must be a string, got int 3"),
        (lambda: plot({"a": [1.0]}, log_y=3), "log_y must be True or False, got int 3"),
        (
            lambda: nnbook.simulate_regression(n=5, dtype=3),
            "dtype must be a floating-point torch.dtype such as torch.float32, got int 3",
        ),
    ]
    for call, message in cases:
        with pytest.raises(TypeError, match=exactly(message)):
            call()


def test_a_choice_without_a_close_match_has_no_hint():
    with pytest.raises(ValueError, match=exactly("loss must be one of 'sse', 'mse', got 'huber'")):
        nnbook.train_scratch(torch.zeros(4, 2), torch.zeros(4, 1), loss="huber")


def test_a_number_equal_to_its_maximum_is_allowed():
    assert _checks.positive_float(2.5, "lr", maximum=2.5) == 2.5
    largest = torch.finfo(torch.float32).max / 1e3  # the trainers' largest learning rate in float32
    x, y = nnbook.simulate_regression(n=4, seed=0)
    run = Run("scratch", x, y, Settings(d_hidden=2, epochs=1, lr=largest, loss="sse", log_every=0))
    assert run.lr == largest


def test_regression_data_errors_name_the_argument_exactly():
    x, y = torch.zeros(4, 2), torch.zeros(4, 1)
    meta = torch.zeros(3, 2, device="meta")
    cases = [
        (ValueError, x, torch.zeros(4, 1, 2), "y must have shape (n, d_out), got shape (4, 1, 2)"),
        (ValueError, torch.zeros(0, 3), torch.zeros(0, 1), "x and y must have at least one row, got 0"),
        (
            ValueError,
            torch.zeros(4, 0),
            y,
            "x must have at least one column (d_in >= 1), got shape (n, 0)",
        ),
        (ValueError, meta, torch.zeros(3, 1), "x and y must be on the same device, got x on meta and y on cpu"),
        (TypeError, x, y.double(), "x and y must have the same dtype, got x torch.float32 and y torch.float64"),
    ]
    for error, x_given, y_given, message in cases:
        with pytest.raises(error, match=exactly(message)):
            nnbook.train_scratch(x_given, y_given, epochs=1, log_every=0)


def test_one_input_column_is_enough():
    x, y = nnbook.simulate_regression(n=10, seed=0)
    assert nnbook.train_scratch(x[:, :1], y, epochs=1, log_every=0).params["w1"].shape == (1, 32)


BROADCAST = " (different shapes would broadcast and compare every prediction with every target)"


def test_prediction_errors_name_shapes_devices_and_arrays():
    cases = [
        (
            ValueError,
            (torch.zeros(6, 1), torch.zeros(3, 2)),
            "y_pred must have the shape of y, (3, 2), got (6, 1); reshape one of them, e.g. y_pred.reshape((3, 2))"
            + BROADCAST,
        ),
        (
            ValueError,
            (torch.zeros(6, 1), torch.zeros(5)),
            "y_pred must have the shape of y, (5,), got (6, 1)" + BROADCAST,
        ),
        (
            ValueError,
            (torch.zeros(3, device="meta"), torch.zeros(3)),
            "y_pred and y must be on the same device, got y_pred on meta and y on cpu",
        ),
        (
            TypeError,
            (np.zeros(3), torch.zeros(3)),
            "y_pred must be a torch.Tensor, got ndarray array([0., 0., 0.]); convert it with torch.as_tensor(y_pred)",
        ),
    ]
    for error, (y_pred, y), message in cases:
        with pytest.raises(error, match=exactly(message)):
            nnbook.sse(y_pred, y)


def test_a_tensor_on_another_device_gets_the_move_to_make():
    params = init_params(3, 4, 1, seed=0)
    params["w1"] = params["w1"].to("meta")
    message = 'params["w1"] must be on the device of x, cpu, got meta; move it with params["w1"].to(\'cpu\')'
    with pytest.raises(ValueError, match=exactly(message)):
        predict(torch.zeros(2, 3), params)


def test_layer_sizes_limits_each_layer_and_the_whole_network():
    most = _checks.MAX_UNITS
    with pytest.raises(ValueError, match=r"^d_in must be"):
        _checks.layer_sizes(most + 1, 1, 1)
    with pytest.raises(ValueError, match=r"^d_out must be"):
        _checks.layer_sizes(1, 1, most + 1)
    # 90009 * (1109 + 1 + 1) + 1 is exactly the largest network allowed.
    assert _checks.layer_sizes(1109, 90009, 1) == (1109, 90009, 1)
    message = (
        "d_in=100000, d_hidden=1000 and d_out=1 make a network of 100,002,001 parameters; "
        "nnbook allows at most 100,000,000 (make d_hidden smaller)"
    )
    with pytest.raises(ValueError, match=exactly(message)):
        _checks.layer_sizes(most, 1000, 1)


def test_seeds_below_2_to_the_32_are_torchs_own_and_larger_ones_are_hashed():
    for seed in (0, 100, 2**32 - 1):
        assert _checks.torch_seed(seed) == seed
    for seed in (2**32, 2**63 - 1):
        digest = hashlib.blake2b(seed.to_bytes(8, "little"), digest_size=4).digest()
        assert _checks.torch_seed(seed) == int.from_bytes(digest, "little") < 2**32
    # What a reader sees: seed=100 gives what torch.manual_seed(100) gives.
    torch.manual_seed(100)
    expected = torch.nn.Linear(3, 1)
    assert torch.equal(seeded_module(lambda: torch.nn.Linear(3, 1), seed=100).weight, expected.weight)


# --- Bad inputs that once gave a wrong answer or an unhelpful error (each fails on the code before its fix) ---


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


# --- One refusal for meta and sparse tensors; seeded_module names build (issue 33) -------------------


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda: torch.empty(3, 2, device="meta"), r"^x must be a tensor with values, got a meta tensor of shape"),
        (lambda: torch.eye(3, 2).to_sparse(), r"^x must be a dense tensor, got layout torch\.sparse_coo"),
    ],
    ids=["meta", "sparse"],
)
def test_meta_and_sparse_tensors_get_the_shared_refusal(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        _checks.dense(make(), "x")
    with pytest.raises(ValueError, match=pattern):
        _checks.finite(make(), "x")
    x = make()
    y = torch.zeros(3, 1, device=x.device)  # on x's device, so that the check of the values is the first to object
    with pytest.raises(ValueError, match=pattern):
        nnbook.fit_least_squares(x, y)
    labels = make().long() if make().is_meta else torch.tensor([[0, 1], [1, 0]]).to_sparse()
    with pytest.raises(ValueError, match=r"^y must be (a tensor with values|a dense tensor)"):
        nnbook.classification.accuracy(torch.zeros(2, 2), labels[:2] if labels.is_meta else labels)


def test_dense_strided_tensors_pass_the_shared_check():
    t = torch.ones(2, 3).t()  # not contiguous, still strided
    assert _checks.dense(t, "t") is t


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (torch.nn.Linear(3, 1), r"^build must be a function that builds the module.*got a module already built"),
        (torch.nn.Linear, r"^build must be a function of no arguments.*got the class Linear, which needs arguments"),
        (lambda size: torch.nn.Linear(size, 1), r"^build must be a function of no arguments"),
    ],
    ids=["module", "class", "function with an argument"],
)
def test_seeded_module_names_build(build, pattern):
    state = torch.get_rng_state()
    with pytest.raises(TypeError, match=pattern):
        seeded_module(build, 0)
    assert torch.equal(torch.get_rng_state(), state)


def test_seeded_module_takes_a_class_that_needs_no_arguments():
    assert isinstance(seeded_module(torch.nn.ReLU, 0), torch.nn.ReLU)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_all_finite_agrees_with_isfinite(dtype):
    # Oracle: torch.isfinite(t).all(). The infinity norm must see a NaN anywhere (also past the
    # vectorised stretch of a long tensor, and in a strided view), and an infinity of either sign.
    generator = torch.Generator().manual_seed(0)
    for shape in [(1,), (7,), (3, 5), (1001,), (64, 33)]:
        base = torch.randn(shape, generator=generator).to(dtype)
        for bad in [None, float("nan"), float("inf"), float("-inf")]:
            for place in [0, -1, base.numel() // 2]:
                t = base.clone()
                if bad is not None:
                    t.view(-1)[place] = bad
                for view in (t, t.t() if t.ndim == 2 else t.flip(0)):
                    assert _checks.all_finite(view) == bool(torch.isfinite(view).all()), (shape, bad, place)
    assert _checks.all_finite(torch.ones(0, 3, dtype=dtype))  # nothing to find
    largest = torch.finfo(dtype).max  # finite values whose sum overflows: no sum can stand in for the check
    assert _checks.all_finite(torch.tensor([largest, largest, -largest], dtype=dtype))
