"""Tests that kill mutants which survived `tools/mutation.sh 'nnbook.backprop.*'`.

`check_inputs` first tries one fast expression (`_fits`) for the common valid case.
Each case here is a bad input built to slip through one mutated form of that
expression: it must still get the detailed check's error, never a result or a
failure from inside torch. torch's `meta` device stands in for a second device.
"""

import re

import pytest
import torch

from nnbook.backprop import backward, forward, init_params, predict

X = torch.randn(5, 3)  # d_in 3, d_hidden 4, d_out 1: all differ from n (5)
P = init_params(3, 4, 1, seed=0)


def params(**changes):
    return {**P, **changes}


def meta(*names, source=P):
    return {name: t.to("meta") if name in names else t for name, t in source.items()}


F64 = {name: t.double() for name, t in P.items()}
ON_META = 'params["w1"] must be on the device of x, cpu, got meta'

BAD = [
    ("every value a list", X, {name: [1.0] for name in P}, TypeError, 'params["w1"] must be a torch.Tensor'),
    ("w1 and b1 float32, x, w2 and b2 float64", X.double(), {**F64, "w1": P["w1"], "b1": P["b1"]}, TypeError,
     'params["w1"] must have the dtype of x, torch.float64, got torch.float32'),
    ("b2 alone float64 like x", X.double(), {**P, "b2": F64["b2"]}, TypeError,
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
