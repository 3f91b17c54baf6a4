"""nnbook.checkpoint: a resumed run is, bit for bit, the run that was never interrupted.

The oracle is the uninterrupted run itself: train N + M epochs straight, and
compare it with N epochs, a save, a load into freshly built objects (with other
starting weights and a scrambled random state) and M more, with ``torch.equal``
on every parameter, every optimizer state tensor and the random state.
"""

from __future__ import annotations

import copy
import fractions
import math
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import nnbook
from nnbook._checks import weights_only_error
from nnbook.checkpoint import (
    FORMAT,
    CheckpointInfo,
    checksum,
    load_checkpoint,
    load_checkpoint_core,
    read_checkpoint,
    rng_state,
    save_checkpoint,
    save_checkpoint_core,
    set_rng_state,
    write_checkpoint,
)

OPTIMIZERS = {
    "adam": lambda params: torch.optim.Adam(params, lr=1e-2),
    "sgd_momentum": lambda params: torch.optim.SGD(params, lr=1e-2, momentum=0.9),
    "adamw": lambda params: torch.optim.AdamW(params, lr=1e-2, weight_decay=1e-2),
}


@pytest.fixture(scope="module")
def data():
    return nnbook.simulate_regression(n=40, seed=3)


def make_model(dtype=torch.float32):
    """A network whose training draws random numbers every epoch: dropout, and shuffled batches below."""
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 1)).to(dtype)


def train(model, opt, x, y, epochs):
    losses = []
    for _ in range(epochs):
        for rows in torch.randperm(len(x)).split(10):  # the global generator decides the batches
            loss = F.mse_loss(model(x[rows]), y[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


def optimizer_tensors(opt):
    return [value for state in opt.state_dict()["state"].values() for value in state.values()]


def assert_identical(model_a, opt_a, model_b, opt_b):
    for (name, a), b in zip(model_a.state_dict().items(), model_b.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    tensors_a, tensors_b = optimizer_tensors(opt_a), optimizer_tensors(opt_b)
    assert len(tensors_a) == len(tensors_b) > 0
    for a, b in zip(tensors_a, tensors_b, strict=True):
        assert torch.equal(a, b)


def fresh_objects(make_opt, dtype=torch.float32, seed=999):
    """What a new process builds: other starting weights, other random state."""
    torch.manual_seed(seed)
    model = make_model(dtype)
    return model, make_opt(model.parameters())


def run_straight(make_opt, x, y, epochs, dtype=torch.float32):
    torch.manual_seed(11)
    model = make_model(dtype)
    opt = make_opt(model.parameters())
    losses = train(model, opt, x, y, epochs)
    return model, opt, losses


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_resume_is_bit_for_bit_the_straight_run(tmp_path, data, name, dtype):
    make_opt = OPTIMIZERS[name]
    x, y = (t.to(dtype) for t in data)
    straight, straight_opt, straight_losses = run_straight(make_opt, x, y, 8, dtype)
    after_straight = torch.get_rng_state()

    first, first_opt, first_losses = run_straight(make_opt, x, y, 5, dtype)
    path = save_checkpoint(tmp_path / "run.pt", first, first_opt, epoch=5, extra={"losses": first_losses})

    model, opt = fresh_objects(make_opt, dtype)
    assert not torch.equal(model[0].weight, first[0].weight)  # the weights must come from the file
    info = load_checkpoint(path, model, opt)
    assert info == CheckpointInfo(epoch=5, extra={"losses": first_losses})
    losses = info.extra["losses"] + train(model, opt, x, y, 3)

    assert losses == straight_losses
    assert_identical(straight, straight_opt, model, opt)
    assert torch.equal(torch.get_rng_state(), after_straight)  # the random stream went on as if unbroken


def test_resume_without_the_random_state_differs(tmp_path, data):
    make_opt = OPTIMIZERS["adam"]
    straight, *_ = run_straight(make_opt, *data, 8)
    first, first_opt, _ = run_straight(make_opt, *data, 5)
    path = save_checkpoint(tmp_path / "run.pt", first, first_opt, epoch=5)

    model, opt = fresh_objects(make_opt)
    before = torch.get_rng_state()
    load_checkpoint(path, model, opt, restore_rng=False)
    assert torch.equal(torch.get_rng_state(), before)  # left alone
    train(model, opt, *data, 3)
    assert not torch.equal(model[0].weight, straight[0].weight)
    assert torch.allclose(model[0].weight, straight[0].weight, atol=0.5)  # close, but not the same run


def test_resume_with_a_fresh_optimizer_differs(tmp_path, data):
    make_opt = OPTIMIZERS["adam"]
    straight, *_ = run_straight(make_opt, *data, 8)
    first, first_opt, _ = run_straight(make_opt, *data, 5)
    path = save_checkpoint(tmp_path / "run.pt", first, first_opt, epoch=5)

    model, opt = fresh_objects(make_opt)
    load_checkpoint(path, model)  # the model and the random state, not Adam's moments
    assert opt.state_dict()["state"] == {}
    train(model, opt, *data, 3)
    assert not torch.equal(model[0].weight, straight[0].weight)


def test_load_restores_the_random_state_of_the_moment_of_saving(tmp_path):
    model = make_model()
    torch.manual_seed(5)
    path = save_checkpoint(tmp_path / "run.pt", model)
    expected = torch.rand(4)
    torch.rand(100)  # move on
    load_checkpoint(path, make_model())
    assert torch.equal(torch.rand(4), expected)


def test_saving_changes_nothing_and_draws_nothing(tmp_path, data):
    model, opt, _ = run_straight(OPTIMIZERS["adam"], *data, 2)
    params = copy.deepcopy(model.state_dict())
    state = copy.deepcopy(opt.state_dict())
    extra = {"losses": [1.0, 2.0], "best": {"epoch": 1, "weight": torch.ones(2)}}
    extra_copy = copy.deepcopy(extra)
    rng = torch.get_rng_state()
    save_checkpoint(tmp_path / "run.pt", model, opt, epoch=2, extra=extra)
    assert torch.equal(torch.get_rng_state(), rng)
    for name, value in model.state_dict().items():
        assert torch.equal(value, params[name])
    assert optimizer_tensors(opt) and all(
        torch.equal(a, b)
        for a, b in zip(optimizer_tensors(opt), [v for s in state["state"].values() for v in s.values()], strict=True)
    )
    assert extra.keys() == extra_copy.keys() and extra["losses"] == extra_copy["losses"]
    assert torch.equal(extra["best"]["weight"], extra_copy["best"]["weight"])


def test_the_file_is_read_with_weights_only(tmp_path, monkeypatch):
    seen = {}
    real_load = torch.load

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real_load(*args, **kwargs)

    path = save_checkpoint(tmp_path / "run.pt", make_model())
    monkeypatch.setattr(torch, "load", spy)
    read_checkpoint(path)
    assert seen["weights_only"] is True and seen["map_location"] == "cpu"


def test_a_file_with_other_objects_is_refused(tmp_path):
    torch.save({"format": FORMAT, "extra": {"x": fractions.Fraction(1, 3)}}, tmp_path / "odd.pt")
    with pytest.raises(ValueError, match=r"path .*odd\.pt.* weights_only=True"):
        read_checkpoint(tmp_path / "odd.pt")


def test_checkpoint_contents(tmp_path, data):
    model, opt, _ = run_straight(OPTIMIZERS["adam"], *data, 1)
    path = save_checkpoint(str(tmp_path / "run.pt"), model, opt, epoch=1)
    assert path == tmp_path / "run.pt"
    checkpoint = read_checkpoint(path)
    assert checkpoint["format"] == FORMAT and checkpoint["optimizer_class"] == "Adam"
    assert list(checkpoint["model"]) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert torch.equal(checkpoint["rng"]["torch"], torch.get_rng_state())
    assert checkpoint["rng"]["cuda"] == ([] if not torch.cuda.is_available() else checkpoint["rng"]["cuda"])
    assert not list(tmp_path.glob("*.partial"))  # written beside the target, then renamed


def test_an_old_checkpoint_is_overwritten(tmp_path):
    model = make_model()
    path = save_checkpoint(tmp_path / "run.pt", model, epoch=1)
    save_checkpoint(path, model, epoch=2)
    assert read_checkpoint(path)["epoch"] == 2


def test_a_failed_save_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    model = make_model()
    path = save_checkpoint(tmp_path / "run.pt", model, epoch=1)

    def broken_save(obj, f):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, epoch=2)
    monkeypatch.undo()
    assert read_checkpoint(path)["epoch"] == 1
    assert not list(tmp_path.glob("*.partial"))


def test_model_alone_loads_without_an_optimizer(tmp_path, data):
    model, opt, _ = run_straight(OPTIMIZERS["adam"], *data, 2)
    path = save_checkpoint(tmp_path / "run.pt", model, opt)
    other = make_model().eval()
    load_checkpoint(path, other)
    model.eval()
    assert torch.equal(other(data.x), model(data.x))


def test_rng_state_round_trip():
    saved = rng_state()
    a = torch.randn(5)
    set_rng_state(saved)
    assert torch.equal(torch.randn(5), a)
    assert set(saved) == {"torch", "cuda"}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_random_state_is_saved_and_restored(tmp_path):
    path = save_checkpoint(tmp_path / "run.pt", make_model())
    expected = torch.rand(3, device="cuda")
    torch.rand(10, device="cuda")
    load_checkpoint(path, make_model())
    assert torch.equal(torch.rand(3, device="cuda"), expected)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"path": 3}, TypeError, r"^path must be a str or a pathlib\.Path, got int 3"),
        ({"path": b"run.pt"}, TypeError, r"^path must be a str"),
        ({"path": ""}, ValueError, r"^path must be a file name"),
        ({"model": "model"}, TypeError, r"^model must be a torch\.nn\.Module"),
        ({"optimizer": "adam"}, TypeError, r"^optimizer must be a torch\.optim\.Optimizer"),
        ({"epoch": -1}, ValueError, r"^epoch must be an integer >= 0"),
        ({"epoch": 1.5}, TypeError, r"^epoch must be an integer >= 0"),
        ({"extra": [1, 2]}, TypeError, r"^extra must be a dict or None"),
        ({"extra": {"a": {"b": [object()]}}}, TypeError, r"got object at extra\['a'\]\['b'\]\[0\]"),
        ({"extra": {"a": math}}, TypeError, r"got module at extra\['a'\]"),
        ({"extra": {("a",): 1}}, TypeError, r"^extra's dict keys must be strings or integers"),
    ],
)
def test_bad_save_arguments(tmp_path, kwargs, error, pattern):
    model = make_model()
    args = {"path": tmp_path / "run.pt", "model": model, "optimizer": torch.optim.Adam(model.parameters())} | kwargs
    path, model, optimizer = args.pop("path"), args.pop("model"), args.pop("optimizer")
    with pytest.raises(error, match=pattern):
        save_checkpoint(path, model, optimizer, **args)
    assert not list(tmp_path.iterdir())  # nothing written


def test_extra_that_contains_itself_is_refused(tmp_path):
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match=r"^extra must nest at most"):
        save_checkpoint(tmp_path / "run.pt", make_model(), extra={"loop": loop})


def test_save_refuses_folders_missing_folders_and_other_files(tmp_path):
    model = make_model()
    with pytest.raises(ValueError, match=r"^path must name a file, got the folder"):
        save_checkpoint(tmp_path, model)
    with pytest.raises(ValueError, match=r"whose folder does not exist"):
        save_checkpoint(tmp_path / "missing" / "run.pt", model)
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    with pytest.raises(ValueError, match=r"was not written by torch.save; refusing to overwrite it"):
        save_checkpoint(notes, model)
    assert notes.read_text() == "keep me"


def test_an_optimizer_of_another_model_is_refused(tmp_path):
    model, other = make_model(), make_model()
    with pytest.raises(ValueError, match=r"^optimizer must update model's parameters, but 4 of the tensors"):
        save_checkpoint(tmp_path / "run.pt", model, torch.optim.Adam(other.parameters()))
    path = save_checkpoint(tmp_path / "run.pt", model, torch.optim.Adam(model.parameters()))
    with pytest.raises(ValueError, match=r"^optimizer must update model's parameters"):
        load_checkpoint(path, model, torch.optim.Adam(other.parameters()))


def test_missing_and_foreign_files_name_the_path(tmp_path):
    model = make_model()
    missing = tmp_path / "nothing-here.pt"
    with pytest.raises(ValueError, match=r"^path '.*nothing-here\.pt' does not exist"):
        load_checkpoint(missing, model)
    with pytest.raises(ValueError, match=r"^path must name a file, got the folder"):
        load_checkpoint(tmp_path, model)
    for name, content in {"notes.txt": b"hello", "empty.pt": b""}.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=rf"^path '.*{name}' is not a file written by torch.save"):
            load_checkpoint(tmp_path / name, model)
    torch.save(model.state_dict(), tmp_path / "bare.pt")
    with pytest.raises(ValueError, match=r"holds a dict with keys .*not a checkpoint written by save_checkpoint"):
        load_checkpoint(tmp_path / "bare.pt", model)
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(ValueError, match=r"holds no dict, not a checkpoint"):
        read_checkpoint(tmp_path / "list.pt")


def test_another_architecture_names_the_keys_and_changes_nothing(tmp_path):
    path = save_checkpoint(tmp_path / "run.pt", make_model())
    wider = nn.Sequential(nn.Linear(3, 12), nn.ReLU(), nn.Dropout(0.2), nn.Linear(12, 1))
    before = copy.deepcopy(wider.state_dict())
    rng = torch.get_rng_state()
    with pytest.raises(
        ValueError, match=r"different shapes: 0\.weight \(checkpoint \(8, 3\), model \(12, 3\)\)"
    ) as err:
        load_checkpoint(path, wider, torch.optim.Adam(wider.parameters()))
    assert "0.bias (checkpoint (8,), model (12,))" in str(err.value) and "3.weight" in str(err.value)
    assert all(torch.equal(value, before[name]) for name, value in wider.state_dict().items())
    assert torch.equal(torch.get_rng_state(), rng)

    renamed = nnbook.TwoLayerNet(3, 8, 1)
    with pytest.raises(ValueError, match=r"in the model but not the checkpoint: layer1.weight") as err:
        load_checkpoint(path, renamed)
    assert "in the checkpoint but not the model: 0.weight, 0.bias, 3.weight, 3.bias" in str(err.value)


def test_optimizer_mismatches_are_named(tmp_path, data):
    model, opt, _ = run_straight(OPTIMIZERS["adam"], *data, 1)
    path = save_checkpoint(tmp_path / "run.pt", model, opt)
    with pytest.raises(ValueError, match=r"^optimizer is a SGD, but the checkpoint holds the state of a Adam"):
        load_checkpoint(path, model, torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=r"^optimizer has parameter groups of \[2\] tensors.*had \[4\]"):
        load_checkpoint(path, model, torch.optim.Adam(model[0].parameters()))
    reordered = torch.optim.Adam([model[3].weight, model[3].bias, model[0].weight, model[0].bias])
    with pytest.raises(ValueError, match=r"^optimizer's parameter 0 has shape \(1, 8\)"):
        load_checkpoint(path, model, reordered)
    alone = save_checkpoint(tmp_path / "alone.pt", model)
    with pytest.raises(ValueError, match=r"^optimizer was given, but the checkpoint holds no optimizer state"):
        load_checkpoint(alone, model, torch.optim.Adam(model.parameters()))


def test_bad_load_arguments(tmp_path):
    model = make_model()
    path = save_checkpoint(tmp_path / "run.pt", model)
    with pytest.raises(TypeError, match=r"^restore_rng must be True or False"):
        load_checkpoint(path, model, restore_rng=1)
    with pytest.raises(TypeError, match=r"^model must be a torch.nn.Module"):
        load_checkpoint(path, None)
    with pytest.raises(TypeError, match=r"^path must be a str"):
        save_checkpoint(None, model)


@pytest.mark.parametrize(
    ("rng", "error", "pattern"),
    [
        (None, TypeError, "^rng must be a dict from rng_state()"),
        ({"torch": torch.get_rng_state()}, TypeError, "^rng must be a dict"),
        ({"torch": torch.zeros(3, dtype=torch.uint8), "cuda": []}, ValueError, r"^rng\['torch'\] must be a uint8"),
        ({"torch": torch.get_rng_state().float(), "cuda": []}, ValueError, r"^rng\['torch'\] must be a uint8"),
        ({"torch": torch.get_rng_state(), "cuda": [1]}, ValueError, r"^rng\['cuda'\] must be a list of uint8"),
    ],
)
def test_bad_random_states(rng, error, pattern):
    before = torch.get_rng_state()
    with pytest.raises(error, match=pattern):
        set_rng_state(rng)
    assert torch.equal(torch.get_rng_state(), before)


# --- Behaviours pinned down by mutation testing (tools/mutation.sh) ----------------------------------


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


# --- Faults: concurrent saves, damaged files, crashes (issue 33) -----------------------------------


def snapshot(model, opt):
    """Everything a load could change: the model's tensors, the optimizer's state, the random state."""
    return (
        {k: v.clone() for k, v in model.state_dict().items()},
        copy.deepcopy(opt.state_dict()),
        torch.get_rng_state(),
    )


def assert_unchanged(before, model, opt):
    weights, opt_state, rng = before
    for key, value in model.state_dict().items():
        assert torch.equal(value, weights[key]), key
    after = opt.state_dict()
    assert after["param_groups"] == opt_state["param_groups"]
    assert after["state"].keys() == opt_state["state"].keys()
    for index, state in after["state"].items():
        for name, value in state.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(opt_state["state"][index][name]))
    assert torch.equal(torch.get_rng_state(), rng)


def trained_checkpoint(tmp_path, data):
    model, opt, _ = run_straight(OPTIMIZERS["adam"], *data, 1)
    return save_checkpoint(tmp_path / "run.pt", model, opt, epoch=1, extra={"losses": [1.0]})


def rewrite(path, change):
    """Read the checkpoint, change it, and write it back with a fresh checksum: damage the checksum cannot see."""
    checkpoint = read_checkpoint(path)
    change(checkpoint)
    torch.save({**checkpoint, "checksum": checksum(checkpoint)}, path)  # not write_checkpoint: it would refuse


def flip_a_weight_bit(path):
    raw = bytearray(path.read_bytes())
    weight = read_checkpoint(path)["model"]["0.weight"]
    start = bytes(raw).index(weight.numpy().tobytes())  # torch.save stores tensors uncompressed
    raw[start + 5] ^= 0x04
    path.write_bytes(bytes(raw))


def cut_in_half(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def checksum_left_stale(path):
    checkpoint = read_checkpoint(path)
    checkpoint["epoch"] = 2  # a changed value under the old checksum
    torch.save(checkpoint, path)


def bad_random_state(checkpoint):
    checkpoint["rng"]["torch"] = torch.zeros_like(checkpoint["rng"]["torch"])  # "Invalid mt19937 state"


def foreign_zip(path):
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")


DAMAGE = {
    "flipped bit in a weight": (flip_a_weight_bit, r"do not match the checksum"),
    "checksum left stale": (checksum_left_stale, r"do not match the checksum"),
    "cut in half": (cut_in_half, r"is a torch\.save file cut short"),
    "cut to one byte": (lambda p: p.write_bytes(p.read_bytes()[:1]), r"is not a file written by torch\.save"),
    "empty": (lambda p: p.write_bytes(b""), r"is not a file written by torch\.save \(it is empty\)"),
    "text": (lambda p: p.write_text("hello"), r"is not a file written by torch\.save"),
    "another program's zip": (foreign_zip, r"a zip archive of another program"),
    "bad random state": (lambda p: rewrite(p, bad_random_state), r"\['torch'\] is not a state the generator accepts"),
    "no epoch": (lambda p: rewrite(p, lambda c: c.pop("epoch")), r"entries missing \['epoch'\]"),
    "no extra": (lambda p: rewrite(p, lambda c: c.pop("extra")), r"entries missing \['extra'\]"),
    "negative epoch": (lambda p: rewrite(p, lambda c: c.update(epoch=-1)), r"'epoch' must be an integer >= 0"),
    "extra not a dict": (lambda p: rewrite(p, lambda c: c.update(extra=[1])), r"'extra' must be a dict"),
    "model not tensors": (
        lambda p: rewrite(p, lambda c: c["model"].update({"0.bias": 1.0})),
        r"'model' must be a dict from names to tensors",
    ),
    "optimizer state of no parameter": (
        lambda p: rewrite(p, lambda c: c["optimizer"]["state"].update({7: {}})),
        r"^optimizer does not match the checkpoint: its optimizer state has an entry 7 for no parameter",
    ),
    "format 1": (
        lambda p: rewrite(p, lambda c: c.update(format="nnbook-checkpoint-1")),
        r"an older nnbook \(format 1, without a checksum\)",
    ),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_checkpoint_is_refused_naming_the_path_and_nothing_changes(tmp_path, data, kind):
    damage, pattern = DAMAGE[kind]
    path = trained_checkpoint(tmp_path, data)
    damage(path)
    model, opt, _ = run_straight(OPTIMIZERS["adam"], *data, 2)  # other weights and optimizer state
    torch.manual_seed(5)
    before = snapshot(model, opt)
    full = pattern if pattern.startswith("^") else rf"^path '.*run\.pt' .*{pattern}"  # named by path, or by argument
    with pytest.raises(ValueError, match=full):
        load_checkpoint(path, model, opt)
    assert_unchanged(before, model, opt)


def test_any_bit_flipped_in_the_zip_index_is_refused_with_a_value_error_or_loads_what_was_saved(tmp_path, data):
    # The zip's index (its central directory and end record) is read by zipfile and torch, not covered by the
    # checksum: a flipped bit there once escaped as zipfile.BadZipFile or UnicodeDecodeError, not ValueError.
    path = trained_checkpoint(tmp_path, data)
    saved = read_checkpoint(path)
    raw = path.read_bytes()
    index = raw.index(b"PK\x01\x02")  # the central directory's first record
    outcomes = set()
    for offset in range(index, len(raw)):
        damaged = bytearray(raw)
        damaged[offset] ^= 0x01
        path.write_bytes(bytes(damaged))
        try:
            loaded = read_checkpoint(path)
        except ValueError as error:
            message = str(error)  # any other exception type fails the test
        else:
            assert checksum(loaded) == checksum(saved)
            outcomes.add("loaded")
            continue
        assert message.startswith(f"path {str(path)!r} "), message
        outcomes.add("refused")
    assert outcomes == {"refused", "loaded"}  # both happen, so the loop did test both branches


def test_the_undamaged_file_loads_so_each_damage_is_what_is_refused(tmp_path, data):
    # The control for the test above: the same checkpoint, rewritten without damage, loads.
    path = trained_checkpoint(tmp_path, data)
    rewrite(path, lambda c: None)
    model, opt = fresh_objects(OPTIMIZERS["adam"])
    assert load_checkpoint(path, model, opt).epoch == 1


def test_optimizer_state_torch_refuses_is_refused_before_the_model_changes(tmp_path, data, monkeypatch):
    path = trained_checkpoint(tmp_path, data)
    model, opt, _ = run_straight(OPTIMIZERS["adam"], *data, 2)
    before = snapshot(model, opt)

    def refuse(self, state_dict):
        raise ValueError("loaded state dict contains a parameter group that doesn't match")

    monkeypatch.setattr(torch.optim.Adam, "load_state_dict", refuse)
    with pytest.raises(ValueError, match=r"^optimizer cannot take the checkpoint's optimizer state \(ValueError: "):
        load_checkpoint(path, model, opt)
    assert_unchanged(before, model, opt)


def test_the_optimizer_dry_run_leaves_the_real_optimizer_alone(tmp_path, data, monkeypatch):
    path = trained_checkpoint(tmp_path, data)
    model, opt = fresh_objects(OPTIMIZERS["adam"])
    groups, state = opt.param_groups, opt.state
    applied = []
    # load_checkpoint's checks alone: its core, which would load the state, only records that it was reached
    monkeypatch.setattr(nnbook.checkpoint, "load_checkpoint_core", lambda *args: applied.append(args))
    load_checkpoint(path, model, opt)
    assert len(applied) == 1
    assert opt.param_groups is groups and opt.state is state and len(opt.state) == 0


def test_the_plain_cores_do_what_the_checked_functions_do(tmp_path, data):
    # The cores chapter 11 lists, called as a reader copies them: the same file, the same loaded state.
    model, opt, _ = run_straight(OPTIMIZERS["adam"], *data, 1)
    torch.manual_seed(5)
    checked = read_checkpoint(save_checkpoint(tmp_path / "checked.pt", model, opt, epoch=4, extra={"a": 1}))
    torch.manual_seed(5)
    plain = read_checkpoint(save_checkpoint_core(tmp_path / "plain.pt", model, opt, 4, {"a": 1}))
    assert checked["checksum"] == plain["checksum"]  # every entry, tensors byte for byte
    loaded = []
    for load in (
        lambda model, opt: load_checkpoint(tmp_path / "checked.pt", model, opt),
        lambda model, opt: load_checkpoint_core(plain, model, opt, True),
    ):
        fresh, fresh_opt = fresh_objects(OPTIMIZERS["adam"])
        info = load(fresh, fresh_opt)
        loaded.append((info, torch.get_rng_state(), fresh, fresh_opt))
    for info, rng, fresh, fresh_opt in loaded:
        assert info == CheckpointInfo(epoch=4, extra={"a": 1})
        assert torch.equal(rng, checked["rng"]["torch"])
        assert_identical(model, opt, fresh, fresh_opt)


def test_set_rng_state_refuses_a_bad_state_before_changing_the_generator():
    torch.manual_seed(3)
    before = torch.get_rng_state()
    bad = {"torch": torch.zeros_like(before), "cuda": []}
    with pytest.raises(ValueError, match=r"^rng\['torch'\] is not a state the generator accepts"):
        set_rng_state(bad)
    assert torch.equal(torch.get_rng_state(), before)


def test_saving_over_a_damaged_checkpoint_is_allowed_and_over_other_files_refused(tmp_path):
    model = make_model()
    for kind, damage in {"cut short": cut_in_half, "empty": lambda p: p.write_bytes(b"")}.items():
        path = save_checkpoint(tmp_path / f"{kind}.pt", model, epoch=1)
        damage(path)
        save_checkpoint(path, model, epoch=2)  # the damaged file is ours: replacing it loses nothing
        assert read_checkpoint(path)["epoch"] == 2, kind
    foreign = tmp_path / "data.zip"
    foreign_zip(foreign)
    with pytest.raises(ValueError, match=r"exists and is a zip archive that torch\.save did not write; refusing"):
        save_checkpoint(foreign, model)
    assert foreign.read_bytes()[:2] == b"PK" and read_checkpoint.__name__  # still the user's zip


def test_each_save_writes_a_new_temporary_name_in_the_folder(tmp_path, monkeypatch):
    import tempfile

    names = []
    real = tempfile.mkstemp

    def spy(*args, **kwargs):
        handle, name = real(*args, **kwargs)
        names.append(name)
        return handle, name

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    model = make_model()
    for epoch in range(3):
        save_checkpoint(tmp_path / "run.pt", model, epoch=epoch)
    assert len(set(names)) == 3 and all(Path(name).parent == tmp_path for name in names)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]


def test_the_file_is_synced_before_it_is_renamed(tmp_path, monkeypatch):
    import os

    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    save_checkpoint(tmp_path / "run.pt", make_model())
    assert calls[:2] == ["fsync", "replace"]


def test_the_saved_file_has_a_new_files_mode(tmp_path):
    import os

    path = save_checkpoint(tmp_path / "run.pt", make_model())
    (tmp_path / "plain").write_bytes(b"")
    assert os.stat(path).st_mode & 0o777 == os.stat(tmp_path / "plain").st_mode & 0o777


def test_model_state_without_values_is_refused_by_name(tmp_path):
    model = nn.Linear(2, 1, device="meta")
    with pytest.raises(ValueError, match=r"^model's 'weight' must be a tensor with values, got a meta tensor"):
        save_checkpoint(tmp_path / "run.pt", model)
    assert not list(tmp_path.iterdir())


def test_checksum_sees_every_value_and_ignores_its_own_entry():
    base = {"epoch": 1, "w": torch.zeros(3), "extra": {"a": [1, 2.5, "x"]}}
    reference = checksum(base)
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", reference)
    assert checksum({**base, "checksum": "anything"}) == reference
    changed = [
        {**base, "epoch": 2},
        {**base, "w": torch.tensor([0.0, 0.0, -0.0])},  # equal values, other bytes
        {**base, "w": torch.zeros(3, dtype=torch.float64)},
        {**base, "w": torch.zeros(1, 3)},
        {**base, "extra": {"a": [1, 2.5, "y"]}},
        {**base, "extra": {"a": (1, 2.5, "x")}},
        {**base, "extra": {"b": [1, 2.5, "x"]}},
    ]
    assert all(checksum(other) != reference for other in changed)


def test_write_checkpoint_refuses_what_save_checkpoint_would_not_build(tmp_path):
    checkpoint = read_checkpoint(save_checkpoint(tmp_path / "run.pt", make_model(), epoch=1))
    before = (tmp_path / "run.pt").read_bytes()
    for change, pattern in [
        (lambda c: c.pop("epoch"), r"entries missing \['epoch'\]"),
        (lambda c: c.update(format="other"), r"'format' must be 'nnbook-checkpoint-2'"),
        (lambda c: c.update(extra={"f": fractions.Fraction(1, 3)}), r"got Fraction at checkpoint\['extra'\]\['f'\]"),
        (lambda c: c["rng"].update(torch=torch.zeros_like(c["rng"]["torch"])), r"not a state the generator accepts"),
    ]:
        changed = copy.deepcopy(checkpoint)
        change(changed)
        kept = copy.deepcopy(changed)
        with pytest.raises((TypeError, ValueError), match=pattern):
            write_checkpoint(tmp_path / "run.pt", changed)
        assert changed.keys() == kept.keys()  # the dict passed in is not changed
    assert (tmp_path / "run.pt").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]


@pytest.mark.parametrize(
    "value",
    [
        1,
        2.5,
        "s",
        None,
        True,
        torch.ones(2),
        nn.Parameter(torch.ones(1)),
        torch.float16,
        torch.device("cpu"),
        torch.Size([2]),
        [1, (2, {"a": 3})],
        {1: "x"},
        1j,
        b"x",
        {1, 2},
        object(),
        math,
        {(1,): 2},
        {1.5: 2},
        [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    ],
    # repr, less memory addresses: every pytest-xdist worker must collect the same test ids
    ids=lambda value: "object()" if type(value) is object else repr(value)[:60],
)
def test_one_answer_to_can_this_be_loaded_with_weights_only(value):
    """Accepted values round-trip through torch.load(weights_only=True); refused ones fail there on torch 2.4."""
    import io

    error = weights_only_error(value, "value")
    buffer = io.BytesIO()
    try:
        torch.save(value, buffer)
        buffer.seek(0)
        loaded = torch.load(buffer, weights_only=True)
    except Exception:
        loaded = None
        assert error is not None  # torch refuses it, so must we
    if error is None:
        assert loaded is not None or value is None
    else:
        assert str(error).startswith("value")
        torch_reads_it = type(value) in (complex, bytes, set) or "levels deep" in str(error) or "keys" in str(error)
        if not torch_reads_it:
            assert loaded is None and value is not None  # refused for a reason torch shares
        # complex, bytes and set load on torch >= 2.5 only: the oldest environment shows torch 2.4 refusing them


def test_checkpoints_and_launch_results_share_one_weights_only_answer(tmp_path):
    """save_checkpoint's extra and a launched worker's result are both checked by _checks.weights_only_error."""
    from nnbook import _checks
    from nnbook.distributed import launcher

    expected = str(_checks.weights_only_error({"z": 1j}, "extra"))
    assert "got complex at extra['z'] (torch 2.4 cannot read it back)" in expected
    with pytest.raises(TypeError) as saved:
        save_checkpoint(tmp_path / "a.pt", nn.Linear(1, 1), extra={"z": 1j})
    assert str(saved.value) == expected
    with pytest.raises(TypeError) as returned:
        launcher._check_portable({"z": 1j}, "extra")
    assert str(returned.value).startswith(expected + "; launch hands back")
    launcher._check_portable({"z": 1, "w": torch.ones(2)}, "extra")  # fine: returns None


WRITER = """
import sys, pathlib, torch
from nnbook.checkpoint import save_checkpoint
path, stop, ident = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
model = torch.nn.Linear(200, 50)
with torch.no_grad():
    for p in model.parameters():
        p.fill_(ident)
for epoch in range(5000):  # bounded; the test asks the writers to stop long before
    if stop.exists():
        break
    save_checkpoint(path, model, epoch=epoch, extra={"writer": ident})
"""


def test_concurrent_saves_never_show_a_reader_a_damaged_file(tmp_path):
    import subprocess
    import sys
    import time

    path, stop, script = tmp_path / "run.pt", tmp_path / "stop", tmp_path / "writer.py"
    script.write_text(WRITER)
    writers = [
        subprocess.Popen([sys.executable, str(script), str(path), str(stop), str(i)], stderr=subprocess.PIPE, text=True)
        for i in (1, 2, 3)
    ]
    try:
        deadline = time.monotonic() + 120
        while not path.exists():  # a wait for the first save, bounded; no result depends on how long it took
            assert time.monotonic() < deadline and all(w.poll() is None for w in writers)
            time.sleep(0.05)
        corrupt, writers_seen = 0, set()
        for _ in range(100):
            try:
                checkpoint = read_checkpoint(path)
            except ValueError:
                corrupt += 1
                continue
            ident = checkpoint["extra"]["writer"]
            writers_seen.add(ident)
            assert all(bool((t == ident).all()) for t in checkpoint["model"].values())  # one writer's whole file
    finally:
        stop.touch()
        errors = [w.communicate(timeout=120)[1] for w in writers]
    assert corrupt == 0
    assert [w.returncode for w in writers] == [0, 0, 0], errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt", "stop", "writer.py"]  # no temporary left


KILLED_WRITER = """
import io, os, sys, pathlib, time, torch
from nnbook.checkpoint import save_checkpoint
path = pathlib.Path(sys.argv[1])
model = torch.nn.Linear(200, 50)
save_checkpoint(path, model, epoch=1)
real_save = torch.save

def half_then_hang(obj, f):
    buffer = io.BytesIO()
    real_save(obj, buffer)
    f.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    f.flush()
    print("half written", flush=True)
    time.sleep(120)  # killed here, mid-save

torch.save = half_then_hang
save_checkpoint(path, model, epoch=2)
"""


def test_kill_9_during_a_save_leaves_the_previous_checkpoint_whole(tmp_path):
    import signal
    import subprocess
    import sys

    path, script = tmp_path / "run.pt", tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    writer = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "half written\n"
        before = path.read_bytes()
        writer.send_signal(signal.SIGKILL)
        assert writer.wait(timeout=60) == -signal.SIGKILL
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.stdout.close()
    assert path.read_bytes() == before and read_checkpoint(path)["epoch"] == 1
    (partial,) = [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]  # the half file, under its own name
    assert partial.name.startswith(".run.pt.")
    save_checkpoint(path, nn.Linear(200, 50), epoch=3)  # the next save is not disturbed by it
    assert read_checkpoint(path)["epoch"] == 3
