"""Hand-derived gradients against autograd, in float64, over random shapes."""

from __future__ import annotations

import re

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import nnbook
from nnbook.backprop import backward, forward, init_params, loss_value, predict


def autograd_gradients(x, y, params, loss):
    leaves = {name: p.clone().requires_grad_(True) for name, p in params.items()}
    nnbook.backprop.loss_value(nnbook.backprop.predict(x, leaves), y, loss).backward()
    return {name: p.grad for name, p in leaves.items()}


def autograd_gradients_of_torch_relu(x, y, params, loss):
    """The oracle written without nnbook's forward: torch.relu, whose slope at 0 is 0 on every torch version."""
    leaves = {name: p.clone().requires_grad_(True) for name, p in params.items()}
    y_pred = torch.relu(x.mm(leaves["w1"]) + leaves["b1"]).mm(leaves["w2"]) + leaves["b2"]  # (n, d_out)
    squared = (y_pred - y).pow(2)
    (squared.sum() if loss == "sse" else squared.mean()).backward()
    return {name: p.grad for name, p in leaves.items()}


def assert_gradients_agree(x, y, params, loss):
    fwd = nnbook.backprop.forward(x, params)
    ours = nnbook.backprop.backward(x, y, params, fwd, loss)
    reference = autograd_gradients(x, y, params, loss)
    assert ours.keys() == reference.keys()
    for name in ours:
        assert ours[name].shape == params[name].shape, name
        torch.testing.assert_close(ours[name], reference[name], rtol=1e-10, atol=1e-12, msg=name)


@given(
    n=st.integers(1, 40),
    d_in=st.integers(1, 6),
    d_hidden=st.integers(1, 20),
    d_out=st.integers(1, 4),
    loss=st.sampled_from(["sse", "mse"]),
    seed=st.integers(0, 2**16),
)
def test_hand_gradients_equal_autograd(n, d_in, d_hidden, d_out, loss, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d_in, generator=gen, dtype=torch.float64)
    y = torch.randn(n, d_out, generator=gen, dtype=torch.float64)
    params = nnbook.backprop.init_params(d_in, d_hidden, d_out, seed=seed, dtype=torch.float64)
    params["b1"] = torch.randn(d_hidden, generator=gen, dtype=torch.float64)
    params["b2"] = torch.randn(d_out, generator=gen, dtype=torch.float64)
    assert_gradients_agree(x, y, params, loss)


@pytest.mark.parametrize("case", ["all_zero", "all_negative", "all_positive", "mixed_with_exact_zeros"])
def test_relu_edge_cases(case):
    """ReLU's kink: pre-activations exactly 0, all switched off, all switched on."""
    n, d_in, d_hidden = 6, 3, 5
    x = torch.randn(n, d_in, dtype=torch.float64)
    y = torch.randn(n, 1, dtype=torch.float64)
    params = nnbook.backprop.init_params(d_in, d_hidden, 1, seed=3, dtype=torch.float64)
    if case == "all_zero":
        params["w1"] = torch.zeros(d_in, d_hidden, dtype=torch.float64)  # every h is exactly 0
    elif case == "all_negative":
        params["b1"] = torch.full((d_hidden,), -100.0, dtype=torch.float64)
    elif case == "all_positive":
        params["b1"] = torch.full((d_hidden,), 100.0, dtype=torch.float64)
    else:
        x[:, 0] = 0.0
        params["w1"][1:, :2] = 0.0  # the first two hidden units see only the zeroed input
    h = nnbook.backprop.forward(x, params).h
    if case == "all_zero":
        assert (h == 0).all()
    if case == "mixed_with_exact_zeros":
        assert (h[:, :2] == 0).all() and (h[:, 2:] != 0).any()
    assert_gradients_agree(x, y, params, "sse")
    # The same against an oracle that shares no code with nnbook's forward: on every torch version,
    # not only those whose clamp happens to agree with the mask.
    ours = nnbook.backprop.backward(x, y, params, nnbook.backprop.forward(x, params), "sse")
    reference = autograd_gradients_of_torch_relu(x, y, params, "sse")
    for name in ours:
        torch.testing.assert_close(ours[name], reference[name], rtol=1e-10, atol=1e-12, msg=name)


def test_gradcheck_of_the_hand_written_backward():
    """nnbook's backward against finite differences: torch's gradcheck, with no autograd in the gradient."""
    from nnbook import backprop

    x = torch.randn(7, 3, dtype=torch.float64)
    y = torch.randn(7, 1, dtype=torch.float64)
    params = backprop.init_params(3, 4, 1, seed=0, dtype=torch.float64)

    class HandWrittenLoss(torch.autograd.Function):
        """The loss, whose backward is nnbook's backward: gradcheck compares it with finite differences."""

        @staticmethod
        def forward(ctx, w1, b1, w2, b2):
            ctx.params = {"w1": w1, "b1": b1, "w2": w2, "b2": b2}
            ctx.acts = backprop.forward(x, ctx.params)
            return backprop.loss_value(ctx.acts.y_pred, y, "mse")

        @staticmethod
        def backward(ctx, grad_loss):
            grads = backprop.backward(x, y, ctx.params, ctx.acts, "mse")
            return tuple(grad_loss * grads[name] for name in ("w1", "b1", "w2", "b2"))

    inputs = tuple(params[name].clone().requires_grad_(True) for name in ("w1", "b1", "w2", "b2"))
    assert torch.autograd.gradcheck(HandWrittenLoss.apply, inputs)


def test_init_params_shapes_and_seed():
    a = nnbook.backprop.init_params(3, 32, 1, seed=5)
    b = nnbook.backprop.init_params(3, 32, 1, seed=5)
    assert {k: tuple(v.shape) for k, v in a.items()} == {"w1": (3, 32), "b1": (32,), "w2": (32, 1), "b2": (1,)}
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert (a["b1"] == 0).all() and (a["b2"] == 0).all()
    with pytest.raises(ValueError, match="d_hidden must be an integer from 1 to 100000"):
        nnbook.backprop.init_params(3, 0, 1)


def _backward_inputs():
    """Valid inputs of `backward` in float64: x (5, 3), y (5, 2), d_hidden 4."""
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(5, 3, generator=gen, dtype=torch.float64)
    y = torch.randn(5, 2, generator=gen, dtype=torch.float64)
    params = nnbook.backprop.init_params(3, 4, 2, seed=3, dtype=torch.float64)
    return x, y, params, nnbook.backprop.forward(x, params)


def test_backward_without_a_loss_gives_the_sse_gradients():
    x, y, params, fwd = _backward_inputs()
    ours = nnbook.backprop.backward(x, y, params, fwd)
    reference = autograd_gradients(x, y, params, "sse")
    for name in reference:
        torch.testing.assert_close(ours[name], reference[name], rtol=1e-10, atol=1e-12, msg=name)


@pytest.mark.parametrize("field", ["h", "h_relu", "y_pred"])
def test_backward_rejects_a_forward_pass_of_another_shape(field):
    """Each field of fwd is checked on its own (the others keep their right shapes)."""
    x, y, params, fwd = _backward_inputs()
    wrong = fwd._replace(**{field: torch.zeros(5, 7, dtype=torch.float64)})
    with pytest.raises(ValueError, match=rf"fwd\.{field}\b"):
        nnbook.backprop.backward(x, y, params, wrong)


OTHER_KIND = [
    (lambda t: t.float(), TypeError, "have the dtype of x"),
    (lambda t: t.to("meta"), ValueError, "be on the device of x"),
]


@pytest.mark.parametrize(("other", "error", "says"), OTHER_KIND, ids=["dtype", "device"])
def test_backward_rejects_y_of_another_dtype_or_device(other, error, says):
    x, y, params, fwd = _backward_inputs()
    with pytest.raises(error, match=rf"^y must {says}\b"):
        nnbook.backprop.backward(x, other(y), params, fwd)


@pytest.mark.parametrize("fields", [("h",), ("h_relu",), ("y_pred",), ("h", "h_relu"), ("h", "h_relu", "y_pred")])
@pytest.mark.parametrize(("other", "error", "says"), OTHER_KIND, ids=["dtype", "device"])
def test_backward_rejects_a_forward_pass_of_another_dtype_or_device(fields, other, error, says):
    """Some fields of fwd changed (agreeing with each other), the rest right: the check names the first."""
    x, y, params, fwd = _backward_inputs()
    wrong = fwd._replace(**{field: other(getattr(fwd, field)) for field in fields})
    with pytest.raises(error, match=rf"^fwd\.{fields[0]} must {says}\b"):
        nnbook.backprop.backward(x, y, params, wrong)


def test_params_with_an_extra_key_are_rejected():
    """Four right tensors and one more: the fast path must not let the extra key through."""
    x, _, params, _ = _backward_inputs()
    with pytest.raises(ValueError, match=r"^params must have exactly the keys 'w1', 'b1', 'w2', 'b2'"):
        nnbook.backprop.forward(x, {**params, "w3": params["w2"]})


def _params_with(**changed):
    x, _, params, _ = _backward_inputs()
    return x, {**params, **changed}


F64 = {"dtype": torch.float64}


# Each case breaks one thing; the error names what the caller passed and what was expected.
CHECK_INPUTS_ERRORS = {
    "x 1-D": (lambda: (torch.ones(5, **F64), _backward_inputs()[2]), ValueError, "x must have shape (n, d_in), got"),
    "w1 integer": (
        lambda: _params_with(w1=_backward_inputs()[2]["w1"].long()),
        TypeError,
        'params["w1"] must be a floating-point tensor, got',
    ),
    "b2 float32": (
        lambda: _params_with(b2=_backward_inputs()[2]["b2"].float()),
        TypeError,
        'params["b2"] must have the dtype of x, torch.float64, got',
    ),
    "w1 1-D": (
        lambda: _params_with(w1=torch.ones(3, **F64)),
        ValueError,
        'params["w1"] must have shape (d_in, d_hidden), got',
    ),
    "w2 3-D": (
        lambda: _params_with(w2=torch.ones(4, 2, 1, **F64)),
        ValueError,
        'params["w2"] must have shape (d_hidden, d_out), got',
    ),
    "b1 length": (
        lambda: _params_with(b1=torch.ones(5, **F64)),
        ValueError,
        'params["b1"] must have shape (4,) (d_hidden,), one bias per column of params["w1"], got',
    ),
    "w2 rows": (
        lambda: _params_with(w2=torch.ones(5, 2, **F64)),
        ValueError,
        'params["w2"] must have 4 rows to match params["w1"] of shape (3, 4), got shape (5, 2)',
    ),
    "b2 length": (
        lambda: _params_with(b2=torch.ones(3, **F64)),
        ValueError,
        'params["b2"] must have shape (2,) (d_out,), one bias per column of params["w2"], got',
    ),
    "x columns": (
        lambda: (torch.ones(5, 2, **F64), _backward_inputs()[2]),
        ValueError,
        'x must have 3 columns to match params["w1"] of shape (3, 4), got shape (5, 2)',
    ),
}


@pytest.mark.parametrize("case", CHECK_INPUTS_ERRORS)
def test_check_inputs_errors_name_the_argument_and_what_was_expected(case):
    make, error, message = CHECK_INPUTS_ERRORS[case]
    x, params = make()
    with pytest.raises(error, match="^" + re.escape(message)):
        nnbook.backprop.forward(x, params)


def test_loss_value_without_a_loss_is_the_sum_of_squared_errors():
    _, y, _, fwd = _backward_inputs()
    expected = ((fwd.y_pred - y) ** 2).sum()  # computed again, by hand
    torch.testing.assert_close(nnbook.backprop.loss_value(fwd.y_pred, y), expected, rtol=1e-12, atol=0)


def test_init_params_without_a_seed_uses_seed_0():
    default, zero = nnbook.backprop.init_params(3, 4, 2), nnbook.backprop.init_params(3, 4, 2, seed=0)
    assert all(torch.equal(default[name], zero[name]) for name in zero)
    assert not torch.equal(nnbook.backprop.init_params(3, 4, 2, seed=1)["w1"], zero["w1"])


# --- Behaviours pinned down by mutation testing (tools/mutation.sh) ----------------------------------


X = torch.randn(5, 3)  # d_in 3, d_hidden 4, d_out 1: all differ from n (5)


P = init_params(3, 4, 1, seed=0)


def params(**changes):
    return {**P, **changes}


def meta(*names, source=P):
    return {name: t.to("meta") if name in names else t for name, t in source.items()}


P64 = {name: t.double() for name, t in P.items()}


ON_META = 'params["w1"] must be on the device of x, cpu, got meta'


BAD = [
    ("every value a list", X, {name: [1.0] for name in P}, TypeError, 'params["w1"] must be a torch.Tensor'),
    ("w1 and b1 float32, x, w2 and b2 float64", X.double(), {**P64, "w1": P["w1"], "b1": P["b1"]}, TypeError,
     'params["w1"] must have the dtype of x, torch.float64, got torch.float32'),
    ("b2 alone float64 like x", X.double(), {**P, "b2": P64["b2"]}, TypeError,
     'params["w1"] must have the dtype of x, torch.float64, got torch.float32'),
    ("w1 alone on meta", X, meta("w1"), ValueError, ON_META),
    ("w1 and b1 on meta", X, meta("w1", "b1"), ValueError, ON_META),
    ("all but b2 on meta", X, meta("w1", "b1", "w2"), ValueError, ON_META),
    ("every param on meta", X, meta(*P), ValueError, ON_META),
    ("x of three dimensions", torch.randn(2, 3, 3), P, ValueError, "x must have shape (n, d_in), got shape (2, 3, 3)"),
    ("w1 of three dimensions", X, params(w1=torch.zeros(3, 4, 1)), ValueError,
     'params["w1"] must have shape (d_in, d_hidden), got shape (3, 4, 1)'),
    ("b1 a column", X, params(b1=torch.zeros(4, 1)), ValueError, 'params["b1"] must have shape (4,)'),
    ("b2 a row", X, params(b2=torch.zeros(1, 1)), ValueError, 'params["b2"] must have shape (1,)'),
    ("x with d_hidden columns", torch.randn(5, 4), P, ValueError,
     'x must have 3 columns to match params["w1"] of shape (3, 4), got shape (5, 4)'),
    ("b1 and w2 for 5 hidden units, w1 for 4", X, params(b1=torch.zeros(5), w2=torch.zeros(5, 1)), ValueError,
     'params["b1"] must have shape (4,)'),
    ("w2 of shape (5, 4)", X, params(w2=torch.zeros(5, 4), b2=torch.zeros(4)), ValueError, 'params["w2"] must have'),
]  # fmt: skip


@pytest.mark.parametrize(("x", "p", "error", "start"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_inputs_that_slip_through_a_mutated_fast_path_still_get_the_detailed_error(x, p, error, start):
    with pytest.raises(error, match=f"^{re.escape(start)}"):
        predict(x, p)


def test_backward_names_a_bad_forward_pass_whole():
    y = torch.randn(5, 1)
    fwd = forward(X, P)
    with pytest.raises(
        TypeError, match=re.escape("fwd must be the ForwardPass that forward(x, params) returns, got str 'nope'")
    ):
        backward(X, y, P, fwd="nope")
    with pytest.raises(
        TypeError,
        match=re.escape("fwd.h must be a floating-point tensor, got dtype torch.int64; convert it with fwd.h.float()"),
    ):
        backward(X, y, P, fwd=fwd._replace(h=fwd.h.long()))
    with pytest.raises(
        ValueError, match=re.escape("fwd.h must have shape (5, 4) (what forward(x, params) returns), got shape (2, 4)")
    ):
        backward(X, y, P, fwd=fwd._replace(h=fwd.h[:2]))


def test_a_params_error_shows_what_was_given():
    with pytest.raises(TypeError, match=re.escape("params must be a dict with keys 'w1', 'b1', 'w2', 'b2', got int 3")):
        predict(X, 3)


# --- Bad inputs that once gave a wrong answer or an unhelpful error (each fails on the code before its fix) ---


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


# --- Errors that name what the user passed (issue 33) ------------------------------------------------


def test_backward_with_x_from_another_batch_names_x():
    params = init_params(3, 4, 1, seed=0)
    x, y = nnbook.simulate_regression(n=10, seed=0)
    fwd = forward(x, params)
    with pytest.raises(ValueError, match=r"^x must be the batch that forward\(x, params\) was run on: x has 5 rows"):
        backward(x[:5], y, params, fwd)
    with pytest.raises(ValueError, match=r"^y must have shape \(10, 1\)"):  # y is the odd one out: y is named
        backward(x, y[:5], params, fwd)


@pytest.mark.parametrize("loss", ["sse", "mse"])
def test_loss_value_of_empty_tensors_is_refused_like_the_metrics(loss):
    empty = torch.zeros(0, 1)
    with pytest.raises(ValueError, match=r"^y must hold at least one value, got an empty tensor$"):
        loss_value(empty, empty, loss)
    with pytest.raises(ValueError, match=r"^y must hold at least one value, got an empty tensor$"):
        nnbook.metrics.mse(empty, empty)
