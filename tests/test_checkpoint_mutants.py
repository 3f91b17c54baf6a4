"""Checks of nnbook.checkpoint that its mutation run found missing (docs/contributing.md).

Each test pins one behaviour that a surviving mutant changed without any test noticing:
the nesting limit of ``extra`` and its boundary, the default epoch, the optimizer's class
recorded as None without an optimizer, the NUL byte in a path, and the shape check of a
one-dimensional optimizer state.
"""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import nnbook
from nnbook.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint

LIMIT = 50  # the nesting limit the error message states


def nested(levels: int) -> dict:
    """An ``extra`` whose innermost value sits ``levels`` containers below ``extra`` itself."""
    value: object = 1.0
    for _ in range(levels - 1):
        value = [value]
    return {"deep": value}


def test_extra_may_nest_exactly_to_the_limit_and_no_deeper(tmp_path):
    model = nnbook.build_mlp(2, 3, 1)
    # extra is depth 0, its value depth 1, ...: the number LIMIT sits at depth LIMIT.
    save_checkpoint(tmp_path / "ok.pt", model, extra=nested(LIMIT))
    assert read_checkpoint(tmp_path / "ok.pt")["extra"] == nested(LIMIT)
    with pytest.raises(
        ValueError, match=rf"extra must nest at most {LIMIT} levels deep, got deeper at extra\['deep'\]"
    ):
        save_checkpoint(tmp_path / "deep.pt", model, extra=nested(LIMIT + 1))
    assert not (tmp_path / "deep.pt").exists()


def test_the_error_names_where_the_limit_was_passed(tmp_path):
    with pytest.raises(ValueError, match="levels deep") as raised:
        save_checkpoint(tmp_path / "deep.pt", nnbook.build_mlp(2, 3, 1), extra=nested(LIMIT + 1))
    where = re.search(r"at (extra\S*)$", str(raised.value)).group(1)
    # The first position deeper than the limit: the number itself, at depth LIMIT + 1 (the key, then LIMIT [0]s).
    assert where == "extra['deep']" + "[0]" * LIMIT


def test_the_epoch_defaults_to_zero(tmp_path):
    model = nnbook.build_mlp(2, 3, 1)
    assert read_checkpoint(save_checkpoint(tmp_path / "run.pt", model))["epoch"] == 0
    assert load_checkpoint(tmp_path / "run.pt", nnbook.build_mlp(2, 3, 1)).epoch == 0


def test_the_optimizer_class_is_none_without_an_optimizer_and_named_with_one(tmp_path):
    model = nnbook.build_mlp(2, 3, 1)
    alone = read_checkpoint(save_checkpoint(tmp_path / "alone.pt", model))
    assert alone["optimizer"] is None and alone["optimizer_class"] is None
    with_sgd = read_checkpoint(save_checkpoint(tmp_path / "sgd.pt", model, torch.optim.SGD(model.parameters(), 0.1)))
    assert with_sgd["optimizer_class"] == "SGD"


@pytest.mark.parametrize("path", ["run\x00.pt", "\x00", ""])
def test_a_path_with_a_nul_byte_or_no_name_is_refused_by_name(tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)  # without the check, torch.save would write "run" (the name cut at the NUL) here
    with pytest.raises(ValueError, match=r"^path must be a file name, got "):
        save_checkpoint(path, nnbook.build_mlp(2, 3, 1))
    with pytest.raises(ValueError, match=r"^path must be a file name, got "):
        load_checkpoint(path, nnbook.build_mlp(2, 3, 1))


class TwoVectors(nn.Module):
    """Two one-dimensional parameters of different lengths: an optimizer over them in the other order
    holds states whose shapes differ from its parameters' only in one dimension."""

    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.ones(3))
        self.b = nn.Parameter(torch.ones(5))


def test_a_one_dimensional_optimizer_state_of_another_shape_is_refused(tmp_path):
    model = TwoVectors()
    optimizer = torch.optim.Adam([model.a, model.b], lr=0.1)
    (model.a.sum() + model.b.sum()).backward()
    optimizer.step()  # Adam's exp_avg for each: shapes (3,) and (5,)
    path = save_checkpoint(tmp_path / "run.pt", model, optimizer)

    other = TwoVectors()
    swapped = torch.optim.Adam([other.b, other.a], lr=0.1)  # positions swapped: (5,) first
    before = [p.detach().clone() for p in other.parameters()]
    with pytest.raises(
        ValueError, match=r"^optimizer's parameter 0 has shape \(5,\), but its 'exp_avg' in the checkpoint"
    ):
        load_checkpoint(path, other, swapped)
    assert all(torch.equal(p, q) for p, q in zip(other.parameters(), before, strict=True))  # nothing was loaded
    # The same order loads.
    load_checkpoint(path, other, torch.optim.Adam([other.a, other.b], lr=0.1))
