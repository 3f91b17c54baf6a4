"""Arbitrary bad values thrown at every public function, class and method.

The targets are discovered, not listed: every function and class in
``nnbook.__all__`` and in the ``__all__`` of every public submodule, and every
public method of those classes. For each target the test builds a call that
works, then replaces one argument at a time with a value drawn by hypothesis
(None, bools, huge and negative integers, NaN and infinity, strings, bytes,
lists, dicts, numpy arrays, tensors of every awkward shape and dtype, plain
objects). Each call must either work or raise ``TypeError`` or ``ValueError``
whose message names the argument, and it must not change the tensors passed
to it.

A new public function is covered by construction: if the test does not know a
working value for one of its arguments, ``test_every_argument_has_a_working_value``
fails and says which one to add to ``VALID``.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import math
import os
import pkgutil
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.distributed as dist
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnbook

MODULES = [
    "nnbook",
    *sorted(
        name
        for _, name, _ in pkgutil.walk_packages(nnbook.__path__, prefix="nnbook.")
        if not any(part.startswith("_") for part in name.split("."))
    ),
]


def _public_objects() -> dict[str, Any]:
    """Every public function and class, by its shortest public dotted name."""
    found: dict[int, tuple[str, Any]] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and id(obj) not in found:
                found[id(obj)] = (f"{module_name}.{name}", obj)
    return dict(found.values())


# Package machinery outside every __all__ whose checks are fuzzed all the same: Run is where each
# trainer checks its arguments once, and its methods check what a trainer's loop hands them.
INTERNAL_BUT_FUZZED = {"nnbook.trainers.common.Run": nnbook.trainers.common.Run}

PUBLIC = {**_public_objects(), **INTERNAL_BUT_FUZZED}


def _data():
    return nnbook.simulate_regression(n=12, seed=0)


def _result(level: str = "scratch"):
    return nnbook.TRAINERS[level](*_data(), d_hidden=4, epochs=2, log_every=0)


def _run():
    from nnbook.trainers.common import Run, Settings

    x, y = _data()
    run = Run("scratch", x, y, Settings(d_hidden=4, epochs=1, lr=1e-3, loss="sse", log_every=0))
    run.record(1, torch.tensor(1.0))
    run.end_epoch(1, nnbook.backprop.init_params(3, 4, 1))
    return run


# Checkpoints: the optimizer must update the model's own parameters, so the two are made as a pair
# (the model's factory runs first, as arguments are built in order).
_CHECKPOINT_MODEL: list[torch.nn.Module] = []


def _checkpoint_model():
    _CHECKPOINT_MODEL[:] = [nnbook.build_mlp(3, 4, 1)]
    return _CHECKPOINT_MODEL[0]


def _checkpoint_optimizer():
    return torch.optim.Adam(_CHECKPOINT_MODEL[0].parameters())


def _checkpoint_file():
    model = nnbook.build_mlp(3, 4, 1)  # written into the test's temporary folder, the working directory
    return nnbook.checkpoint.save_checkpoint("fuzz-checkpoint.pt", model, torch.optim.Adam(model.parameters()))


def _rings():
    return nnbook.classification.simulate_rings(n=12, n_classes=3, seed=0)


def _logits():
    return torch.randn(12, 3, generator=torch.Generator().manual_seed(0))


def _axes():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


# A working value for each argument name (a function of nothing, so each call gets fresh tensors).
# The glossary gives every name one meaning, so one table serves the whole API; OVERRIDES holds
# the few places where a name needs a different working value.
VALID: dict[str, Callable[[], Any]] = {
    "x": lambda: _data().x,
    "y": lambda: _data().y,
    "y_pred": lambda: _data().y + 0.1,
    "z": lambda: torch.linspace(-2, 2, 5),
    "t": lambda: torch.zeros(2, 3),
    "a": lambda: torch.zeros(2, 3),
    "b": lambda: torch.zeros(2, 3),
    "w": lambda: torch.randn(3, 2),
    "w1": lambda: torch.randn(3, 4),
    "b1": lambda: torch.zeros(4),
    "w2": lambda: torch.randn(4, 1),
    "b2": lambda: torch.zeros(1),
    "params": lambda: nnbook.backprop.init_params(3, 4, 1),
    "fwd": lambda: nnbook.backprop.forward(_data().x, nnbook.backprop.init_params(3, 4, 1)),
    "h": lambda: torch.zeros(12, 4),
    "h_relu": lambda: torch.zeros(12, 4),
    "d_in": lambda: 3,
    "d_hidden": lambda: 4,
    "d_out": lambda: 1,
    "n": lambda: 12,
    "epochs": lambda: 2,
    "epoch": lambda: 1,
    "lr": lambda: 1e-3,
    "loss": lambda: "sse",
    "seed": lambda: 0,
    "log_every": lambda: 0,
    "device": lambda: "cpu",
    "on_epoch": lambda: None,
    "optimizer": lambda: "adam",
    "level": lambda: "scratch",
    "activation": lambda: None,
    "model": lambda: nnbook.build_mlp(3, 4, 1),
    "coefs": lambda: (0.2, -1.3, -0.5),
    "noise_sd": lambda: 1.0,
    "dtype": lambda: torch.float32,
    "coef": lambda: torch.zeros(3, 1, dtype=torch.float64),
    "intercept": lambda: torch.zeros(1, dtype=torch.float64),
    "losses": lambda: [3.0, 2.0, 1.0],
    "ax": lambda: None,
    "log_y": lambda: False,
    "ylabel": lambda: "loss",
    "title": lambda: None,
    "lo": lambda: -1.0,
    "hi": lambda: 1.0,
    "steps": lambda: 5,
    "address": lambda: False,
    "shapes": lambda: [(2, 1), (3,)],
    "obj": lambda: {"x": torch.ones(2)},
    "repeat": lambda: 1,
    "sizes": lambda: [(12, 4)],
    "levels": lambda: ["scratch"],
    "threads": lambda: None,
    "build": lambda: lambda: torch.nn.Linear(2, 1),
    "argv": lambda: ["info"],
    "out": lambda: io.StringIO(),
    "err": lambda: io.StringIO(),
    "predict": lambda: None,
    "batch_size": lambda: 5,
    "x_val": lambda: _data().x[:4],
    "y_val": lambda: _data().y[:4],
    "patience": lambda: None,
    "val_losses": list,
    "best_epoch": lambda: None,
    "fractions": lambda: (0.5, 0.25, 0.25),
    "network": lambda: nnbook.backprop.init_params(3, 4, 1),
    "path": _checkpoint_file,
    "extra": lambda: {"losses": [2.0, 1.0]},
    "restore_rng": lambda: True,
    "checkpoint": lambda: {
        "format": nnbook.checkpoint.FORMAT,
        "epoch": 0,
        "model": nnbook.build_mlp(3, 4, 1).state_dict(),
        "optimizer": None,
        "optimizer_class": None,
        "rng": nnbook.checkpoint.rng_state(),
        "extra": {},
    },
    "rng": lambda: nnbook.checkpoint.rng_state(),
    # nnbook.distributed: workers run as the only rank of a group of one (see _process_group)
    "worker": lambda: nnbook.distributed.all_reduce_example,
    "rank": lambda: 0,
    "world_size": lambda: 1,
    "local_world_size": lambda: 1,  # nnbook.distributed.train_ddp.choose_backend
    "args": tuple,
    "kwargs": lambda: None,
    "backend": lambda: None,
    "timeout": lambda: 60.0,
    "start_method": lambda: None,
    "rows": lambda: None,
    "number": lambda: 2,
    "message": lambda: "rank 0 failed",
    "n_classes": lambda: 3,
    "margin": lambda: 0.5,
}

_CHECKPOINT_PAIR = {"model": _checkpoint_model, "optimizer": _checkpoint_optimizer}

OVERRIDES: dict[str, dict[str, Callable[[], Any]]] = {
    "nnbook.neuron": {"x": lambda: torch.ones(3), "w": lambda: torch.ones(3), "b": lambda: 0.5},
    "nnbook.dense": {"x": lambda: torch.ones(5, 3), "b": lambda: torch.zeros(2)},
    "nnbook.two_layer_forward": {"x": lambda: torch.ones(5, 3)},
    "nnbook.backprop.ForwardPass": {"y_pred": lambda: torch.zeros(12, 1)},
    "nnbook.trainers.common.Run.finish": {"params": lambda: None, "model": lambda: nnbook.build_mlp(3, 4, 1)},
    "nnbook.trainers.common.Run.record": {"loss": lambda: torch.tensor(1.0)},
    "nnbook.trainers.common.Run": {
        "settings": lambda: nnbook.trainers.common.Settings(d_hidden=4, epochs=1, lr=1e-3, loss="sse", log_every=0)
    },
    "nnbook.data.DataSplit": {"train": _data, "val": _data, "test": _data},
    "nnbook.TrainResult": {
        "level": lambda: "scratch",
        "losses": lambda: [1.0],
        "params": lambda: nnbook.backprop.init_params(3, 4, 1),
        "model": lambda: None,
        "seconds": lambda: 0.1,
        "device": lambda: torch.device("cpu"),
    },
    "nnbook.checkpoint.save_checkpoint": _CHECKPOINT_PAIR,
    "nnbook.checkpoint.load_checkpoint": _CHECKPOINT_PAIR,
    **{
        f"nnbook.classification.{name}": {"y_pred": _logits, "y": lambda: _rings().y}
        for name in ("accuracy", "confusion_matrix", "cross_entropy_grad", "predict_classes")
    },
    "nnbook.classification.ClassificationData": {"x": lambda: _rings().x, "y": lambda: _rings().y},
    "nnbook.classification.train_classifier": {
        "x": lambda: _rings().x,
        "y": lambda: _rings().y,
        "x_val": lambda: _rings().x[:4],
        "y_val": lambda: _rings().y[:4],
    },
    "nnbook.plotting.plot_decision_boundary": {
        "predict": lambda: nnbook.build_mlp(2, 4, 3),
        "x": lambda: _rings().x,
        "y": lambda: _rings().y,
        "steps": lambda: 5,
    },
    "nnbook.benchmark.LevelTiming": {
        "n": lambda: 12,
        "device": lambda: "cpu",
        "trainer_seconds_per_epoch": lambda: 1e-3,
        "hand_seconds_per_epoch": lambda: 1e-3,
    },
}

# Instances whose public methods are fuzzed too; a public class with public methods and no
# entry here fails test_every_public_class_with_methods_has_an_instance.
INSTANCES: dict[str, Callable[[], Any]] = {
    "nnbook.TrainResult": _result,
    "nnbook.LinearFit": lambda: nnbook.fit_least_squares(*_data()),
    "nnbook.TwoLayerNet": lambda: nnbook.TwoLayerNet(3, 4, 1),
    "nnbook.trainers.common.Run": _run,
    "nnbook.benchmark.LevelTiming": lambda: nnbook.benchmark.LevelTiming("scratch", 12, 4, "cpu", 1e-3, 1e-3),
}

# Methods that are the class's own machinery, not API a reader calls.
NOT_API = {"TwoLayerNet": set(dir(torch.nn.Module)) - {"forward"}}


def _own_method(cls: type, name: str, member: Any) -> bool:
    """Whether ``name`` is one of the class's public methods.

    Under mutation testing (tools/mutation.sh) mutmut adds each mutant of a method
    to its class, named like ``xǁLinearFitǁpredict__mutmut_1``: those are not API.
    """
    return (
        not name.startswith("_")
        and "__mutmut_" not in name
        and name not in NOT_API.get(cls.__name__, ())
        and inspect.isfunction(member)
    )


# Targets whose working call, with these same working values, another test makes already; making it
# here too would only repeat it. import_time_ratio(repeat=1) starts three fresh Pythons (seconds of CPU).
# test_every_argument_has_a_working_value checks that the other call is still there.
CALLED_ELSEWHERE = {
    "nnbook.benchmark.import_time_ratio": (
        "import_time_ratio(repeat=1)",
        "its docstring example, run by tests/package/test_public_api.py::test_docstring_examples_run",
    ),
}

# Arguments a function exists to change: load_checkpoint fills the model and optimizer in place.
CHANGES_BY_DESIGN = {
    "nnbook.checkpoint.load_checkpoint": {"model", "optimizer"},
}

# Functions whose result holds what they were given (so NaN in, NaN out is no failure of theirs), or whose
# result is a number the reader is meant to inspect, such as a loss that diverged (TrainResult.losses).
PASSES_VALUES_THROUGH = {
    "nnbook.device.to_device",
    "nnbook.TrainResult",
    "nnbook.trainers.common.Run.finish",
}

# Exceptions that are a documented, clear outcome of some calls rather than a failure of the checks.
ACCEPTED = (nnbook.TrainingDivergedError,)


def _methods() -> dict[str, Callable[[], Callable]]:
    """Public methods of public classes, as factories that bind them to a fresh instance."""
    found = {}
    for dotted, cls in PUBLIC.items():
        if not inspect.isclass(cls) or dotted not in INSTANCES:
            continue
        for name, member in vars(cls).items():
            if not _own_method(cls, name, member):
                continue
            found[f"{dotted}.{name}"] = lambda d=dotted, n=name: getattr(INSTANCES[d](), n)
    return found


METHODS = _methods()
TARGETS: dict[str, Callable[[], Callable]] = {
    **{dotted: (lambda o=obj: o) for dotted, obj in PUBLIC.items()},
    **METHODS,
}


def _parameters(dotted: str) -> list[inspect.Parameter]:
    target = TARGETS[dotted]()
    try:
        signature = inspect.signature(target)
    except ValueError:  # a builtin without a signature (an exception class): nothing to fuzz
        return []
    return [p for p in signature.parameters.values() if not p.name.startswith("_")]


def _valid_value(dotted: str, name: str) -> Any:
    for key in (dotted, dotted.rsplit(".", 1)[0] if dotted in METHODS else None):
        if key in OVERRIDES and name in OVERRIDES[key]:
            return OVERRIDES[key][name]()
    return VALID[name]()


@contextlib.contextmanager
def _process_group(dotted: str):
    """nnbook.distributed's workers run inside a process group: make this process a group of one."""
    if not dotted.startswith("nnbook.distributed.") or dist.is_initialized():
        yield
        return
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


def _call(dotted: str, replace: str | None = None, bad: Any = None) -> tuple[Any, dict[str, Any]]:
    target = TARGETS[dotted]()
    args, kwargs = [], {}
    for p in _parameters(dotted):
        value = bad if p.name == replace else _valid_value(dotted, p.name)
        if p.kind is p.VAR_POSITIONAL:
            args.extend(value if p.name != replace else [value])
        elif p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = value
        elif p.kind is p.VAR_KEYWORD:
            continue
        else:
            args.append(value)
    names = [p.name for p in _parameters(dotted) if p.kind is not p.VAR_KEYWORD]
    passed = [*args, *kwargs.values()]
    names = (names + [names[-1]] * len(passed))[: len(passed)]  # a variadic argument's values share its name
    before = [_fingerprint(a) for a in passed]
    with _process_group(dotted):
        outcome = target(*args, **kwargs)
    for name, value, print_before in zip(names, passed, before, strict=True):  # nothing passed in is changed...
        if name in CHANGES_BY_DESIGN.get(dotted, ()):  # ...but what the function is documented to fill in
            continue
        assert _same(_fingerprint(value), print_before), f"{dotted} changed its argument {name}: {_show(value)}"
    return outcome, kwargs


def _fingerprint(value: Any, depth: int = 0) -> Any:
    """A copy of what a call could change in ``value``: tensors' values, containers' contents, modules' and
    optimizers' state (a module that a trainer is documented to train is passed fresh each call)."""
    if depth > 20:
        return ("deep", id(value))
    if isinstance(value, torch.Tensor):
        if value.is_meta or value.layout != torch.strided:
            return ("tensor", value.dtype, tuple(value.shape), value.layout, value.device.type)
        return ("tensor", value.detach().clone())
    if isinstance(value, torch.nn.Module):
        return ("module", _fingerprint(dict(value.state_dict()), depth + 1))
    if isinstance(value, torch.optim.Optimizer):
        return ("optimizer", _fingerprint(value.state_dict(), depth + 1))
    if isinstance(value, dict):
        return ("dict", [(k, _fingerprint(v, depth + 1)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_fingerprint(v, depth + 1) for v in value])
    if isinstance(value, np.ndarray):
        return ("array", value.copy())
    return ("other", id(value))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.is_floating_point() or a.is_complex():  # NaN where NaN was, the same numbers elsewhere
            return bool(torch.allclose(a, b, rtol=0, atol=0, equal_nan=True))
        return bool(torch.equal(a, b))
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def _non_finite(value: Any, depth: int = 0) -> bool:
    """Whether a result holds NaN or infinity: a float, a floating tensor, or a tuple, list or dict of them."""
    if depth > 5:
        return False
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, torch.Tensor):
        return (
            value.is_floating_point()
            and not value.is_meta
            and value.layout == torch.strided
            and not bool(torch.isfinite(value).all())
        )
    if isinstance(value, dict):
        return any(_non_finite(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_non_finite(v, depth + 1) for v in value)
    return False


# --- the values thrown at each argument ------------------------------------------


def _tensor(shape: tuple[int, ...], dtype: torch.dtype, fill: float) -> torch.Tensor:
    if dtype in (torch.int64, torch.bool):
        return torch.zeros(shape, dtype=dtype)
    return torch.full(shape, fill, dtype=dtype) if shape else torch.tensor(fill, dtype=dtype)


BAD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 0),
    st.integers(2**31, 2**70),
    st.integers(-(2**70), -(2**31)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300, 1e-320, 0.0, -0.0]),
    st.complex_numbers(max_magnitude=10),
    st.text(max_size=6),
    st.sampled_from(["", "SSE", "cuda:99", "gpu", "meta", "nan", "-1", "1e12", "\x00"]),
    st.binary(max_size=4),
    st.lists(st.integers(-3, 3), max_size=3),
    st.tuples(st.integers(-3, 3)),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(
        _tensor,
        st.lists(st.integers(0, 4), max_size=3).map(tuple),
        st.sampled_from([torch.float32, torch.float64, torch.float16, torch.int64, torch.bool, torch.complex64]),
        st.sampled_from([0.0, 1.0, -2.5, math.nan, math.inf]),
    ),
    st.builds(lambda shape: np.zeros(shape), st.lists(st.integers(0, 3), max_size=2).map(tuple)),
    # Tensors without plain values, which every function that reads values refuses alike (_checks.dense).
    st.builds(lambda shape: torch.empty(shape, device="meta"), st.lists(st.integers(0, 4), max_size=2).map(tuple)),
    st.builds(lambda n: torch.eye(n).to_sparse(), st.integers(1, 4)),
    # NumPy's integer and float scalars, which the package takes where it takes Python's.
    st.builds(lambda v, kind: kind(v), st.integers(-3, 12), st.sampled_from([np.int64, np.int32, np.float64])),
    st.sampled_from([object(), str, print, torch.float32, torch.int64, torch.device("cpu")]),
)


def _names(message: str, name: str) -> bool:
    """Whether ``message`` names the argument ``name`` (a variadic ``shapes`` may say ``shape 2``)."""
    forms = {name, name.rstrip("s")} if name.endswith("s") else {name}
    return any(re.search(rf"(?<![\w]){re.escape(form)}(?![a-z_])", message) for form in forms)


@pytest.fixture(autouse=True)
def _one_process_group_per_test(request):
    """A test of a worker of nnbook.distributed runs all its examples in one process group of one:
    starting gloo for each example cost more than the examples, and mostly as waiting."""
    callspec = getattr(request.node, "callspec", None)
    dotted = callspec.params.get("dotted") if callspec else None
    if dotted is None:
        yield
        return
    with _process_group(dotted):
        yield


@pytest.fixture(autouse=True)
def _in_a_temporary_folder(tmp_path, monkeypatch):
    """Checkpoints are files, and a bad path may be any string: keep what they write out of the repository."""
    monkeypatch.chdir(tmp_path)


FUZZED = sorted(name for name in TARGETS if _parameters(name))
# launch starts processes: with the other tests that do, on one pytest-xdist worker (one forkserver per run).
FUZZED_PARAMS = [
    pytest.param(name, marks=pytest.mark.xdist_group("launch")) if name == "nnbook.distributed.launch" else name
    for name in FUZZED
]


def _count(dotted: str) -> None:
    """With NNBOOK_FUZZ_COUNTS=file, append each case's target to the file, for the closing figures."""
    path = os.environ.get("NNBOOK_FUZZ_COUNTS")
    if path:
        with open(path, "a") as file:
            file.write(dotted + "\n")


# Fixed examples by default, so a failure reproduces; NNBOOK_FUZZ_EXAMPLES=2000 NNBOOK_FUZZ_RANDOM=1 hunts further.
FUZZ_EXAMPLES = int(os.environ.get("NNBOOK_FUZZ_EXAMPLES", "60"))
DERANDOMIZE = not os.environ.get("NNBOOK_FUZZ_RANDOM")


@pytest.mark.parametrize("dotted", FUZZED_PARAMS)
def test_every_argument_has_a_working_value(dotted):
    """The call with every argument valid must work; otherwise VALID or OVERRIDES is wrong or missing."""
    missing = [p.name for p in _parameters(dotted) if p.name not in VALID and p.name not in OVERRIDES.get(dotted, {})]
    assert not missing, f"add a working value for {missing} of {dotted} to VALID (or OVERRIDES) in this file"
    if dotted in CALLED_ELSEWHERE:
        call, where = CALLED_ELSEWHERE[dotted]
        target = TARGETS[dotted]()
        values = {p.name: _valid_value(dotted, p.name) for p in _parameters(dotted)}
        assert call == f"{target.__name__}({', '.join(f'{k}={v!r}' for k, v in values.items())})"
        assert call in (inspect.getdoc(target) or ""), f"{call} is no longer in {where}: call {dotted} here again"
        return
    _call(dotted)


def test_every_public_class_with_methods_has_an_instance():
    for dotted, cls in PUBLIC.items():
        if not inspect.isclass(cls) or issubclass(cls, BaseException):
            continue
        own = [n for n, m in vars(cls).items() if _own_method(cls, n, m)]
        assert not own or dotted in INSTANCES, f"add a factory for {dotted} to INSTANCES, so that {own} are fuzzed"


def test_the_fuzzed_targets_cover_every_public_name():
    """The discovery found the whole API: every name of nnbook.__all__ that can be called, and more."""
    callables = {
        f"nnbook.{n}"
        for n in nnbook.__all__
        if inspect.isfunction(getattr(nnbook, n)) or inspect.isclass(getattr(nnbook, n))
    }
    assert callables <= set(TARGETS)
    assert {
        "nnbook.backprop.forward",
        "nnbook.tensors.describe",
        "nnbook.device.best_device",
        "nnbook.trainers.common.Run.record",
        "nnbook.TrainResult.predict",
    } <= set(TARGETS)


@pytest.mark.parametrize("dotted", FUZZED_PARAMS)
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=DERANDOMIZE)
@given(data=st.data())
def test_bad_values_work_or_raise_an_error_naming_the_argument(dotted, data):
    parameters = [p.name for p in _parameters(dotted)]
    name = data.draw(st.sampled_from(parameters), label="argument")
    bad = data.draw(BAD_VALUES, label="value")
    _count(dotted)
    try:
        outcome, _ = _call(dotted, replace=name, bad=bad)
    except (TypeError, ValueError) as error:
        message = str(error)
        assert _names(message, name), f"{dotted}({name}={bad!r}) raised {type(error).__name__}: {message}"  # noqa: PT017
    except ACCEPTED:
        pass
    except SystemExit as exit:  # the command line turns bad values into a usage error
        assert dotted == "nnbook.cli.main" and exit.code == 2, f"{dotted}({name}={bad!r}) exited with {exit.code}"  # noqa: PT017
    else:
        # A result with NaN or infinity is a silent failure, unless the bad value brought it in.
        assert not _non_finite(outcome) or _non_finite(bad) or dotted in PASSES_VALUES_THROUGH, (
            f"{dotted}({name}={_show(bad)}) returned NaN or infinity without a word"
        )
    finally:
        import matplotlib.pyplot as plt

        plt.close("all")
