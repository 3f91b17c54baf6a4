"""Device helpers on the CPU; the GPU tests skip where no CUDA device exists."""

from __future__ import annotations

import re
from collections import namedtuple

import pytest
import torch
from torch import nn

import nnbook
from nnbook.device import available_devices, best_device, resolve_device, synchronize, to_device

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


def test_cpu_is_always_available_and_last():
    devices = nnbook.device.available_devices()
    assert devices[-1] == torch.device("cpu")


def test_best_device_prefers_gpu_then_cpu(monkeypatch):
    monkeypatch.delenv(nnbook.device.DEVICE_ENV_VAR, raising=False)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert nnbook.device.best_device().type == expected


def test_override_by_argument_and_environment(monkeypatch):
    monkeypatch.setenv(nnbook.device.DEVICE_ENV_VAR, "cpu")
    assert nnbook.device.best_device() == torch.device("cpu")
    monkeypatch.setenv(nnbook.device.DEVICE_ENV_VAR, "cuda:5")
    assert nnbook.device.best_device("cpu") == torch.device("cpu")  # the argument wins
    if torch.cuda.device_count() <= 5:
        # the message names the environment variable, not an argument the caller never passed
        with pytest.raises(ValueError, match=r"^the environment variable NNBOOK_DEVICE 'cuda:5' was requested"):
            nnbook.device.best_device()
    monkeypatch.setenv(nnbook.device.DEVICE_ENV_VAR, "gpu")
    with pytest.raises(ValueError, match=r"^the environment variable NNBOOK_DEVICE 'gpu' is not a device name"):
        nnbook.device.best_device()


def test_missing_device_error_lists_what_exists(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    with pytest.raises(
        ValueError, match=r"device 'cuda' was requested, but this machine has 0 CUDA device\(s\); available: .*cpu"
    ):
        nnbook.device.resolve_device("cuda")


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
def test_missing_mps_is_named():
    with pytest.raises(ValueError, match="Apple's MPS is not available here"):
        nnbook.device.resolve_device("mps")


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ("gpu", ValueError, "device 'gpu' is not a device name torch understands"),
        ("tpu", ValueError, "device 'tpu' is not a device name torch understands"),
        (3, TypeError, "device must be a string such as 'cpu' or 'cuda:0', or a torch.device, got int"),
        (None, TypeError, "device must be a string such as 'cpu' or 'cuda:0', or a torch.device, got NoneType"),
    ],
)
def test_bad_device_names(bad, error, message):
    with pytest.raises(error, match=re.escape(message)):
        nnbook.device.resolve_device(bad)


def test_to_device_moves_nested_structures():
    Pair = namedtuple("Pair", "a b")
    model = nn.Linear(2, 1)
    batch = {
        "x": torch.ones(2, 3),
        "parts": [torch.zeros(1), (torch.ones(1), "label", 3)],
        "pair": Pair(torch.ones(1), 5),
        "model": model,
    }
    moved = nnbook.device.to_device(batch, "cpu")
    assert moved["x"].device.type == "cpu"
    assert isinstance(moved["parts"], list) and isinstance(moved["parts"][1], tuple)
    assert moved["parts"][1][1:] == ("label", 3)
    assert isinstance(moved["pair"], Pair) and moved["pair"].b == 5
    assert moved["model"] is model  # modules move in place
    with pytest.raises(ValueError, match="was requested"):
        nnbook.device.to_device(batch, "cuda:99")


def test_to_device_changes_dtype_of_nothing():
    t = torch.ones(2, dtype=torch.float64)
    assert nnbook.device.to_device(t, "cpu").dtype == torch.float64


def test_timing_is_left_to_torch():
    """time_call and Timing were hand-rolled; torch.utils.benchmark.Timer does the job."""
    assert not hasattr(nnbook.device, "time_call") and not hasattr(nnbook.device, "Timing")
    from torch.utils.benchmark import Timer

    from nnbook import benchmark

    assert benchmark.Timer is Timer


@pytest.mark.parametrize("level", list(nnbook.TRAINERS))
def test_trainers_accept_a_device(level):
    x, y = nnbook.simulate_regression(n=20)
    result = nnbook.TRAINERS[level](x, y, epochs=2, log_every=0, device="cpu")
    assert result.device == torch.device("cpu")


@pytest.mark.gpu
@needs_cuda
def test_gpu_trainers_match_cpu():
    x, y = nnbook.simulate_regression(n=100)
    for level, trainer in nnbook.TRAINERS.items():
        cpu = trainer(x, y, epochs=20, log_every=0, device="cpu")
        gpu = trainer(x, y, epochs=20, log_every=0, device="cuda")
        assert gpu.device.type == "cuda", level
        torch.testing.assert_close(
            torch.tensor(gpu.losses),
            torch.tensor(cpu.losses),
            rtol=1e-3,
            atol=1e-4,
            msg=lambda m, level=level: f"{level}: {m}",
        )
        assert gpu.predict(x).device.type == "cuda", level


@pytest.mark.gpu
@needs_cuda
def test_gpu_moves_and_timing():
    moved = nnbook.device.to_device({"x": torch.ones(3)}, "cuda")
    assert moved["x"].device.type == "cuda"
    a = torch.randn(256, 256, device="cuda")
    from torch.utils.benchmark import Timer

    assert Timer("a @ a", globals={"a": a}).timeit(3).median > 0
    with pytest.raises(RuntimeError, match=r"same device|expected device"):
        torch.ones(3) + moved["x"]


# --- Behaviours pinned down by mutation testing (tools/mutation.sh) ----------------------------------


CPU, MPS = torch.device("cpu"), torch.device("mps")


CUDA0, CUDA1 = torch.device("cuda", 0), torch.device("cuda", 1)


@pytest.fixture
def two_gpus(monkeypatch):
    """torch reports two CUDA devices and records what it is asked to synchronize."""
    synced = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "synchronize", synced.append)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    return synced


@pytest.fixture
def apple_gpu(monkeypatch):
    """torch reports Apple's MPS and no CUDA, and counts MPS synchronizations."""
    synced = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(torch.mps, "synchronize", lambda: synced.append(MPS))
    return synced


def test_two_gpus_are_listed_and_resolved_by_index(two_gpus):
    assert available_devices() == [CUDA0, CUDA1, CPU]
    assert best_device() == CUDA0
    assert resolve_device("cuda") == CUDA0 and resolve_device("cuda:1") == CUDA1
    assert str(resolve_device("cuda")) == "cuda:0"
    message = "device 'cuda:2' was requested, but this machine has 2 CUDA device(s); available: cuda:0, cuda:1, cpu"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        resolve_device("cuda:2")


def test_cuda_synchronizes_the_device_asked_for_and_the_cpu_nothing(two_gpus):
    synchronize("cuda:1")
    synchronize()
    synchronize("cpu")
    assert two_gpus == [CUDA1, None]


def test_apples_gpu_is_listed_resolved_and_synchronized(apple_gpu):
    assert available_devices() == [MPS, CPU]
    assert resolve_device("mps") == MPS and best_device() == MPS
    synchronize("cpu")
    assert apple_gpu == []
    synchronize("mps")
    assert apple_gpu == [MPS]


def test_mps_where_there_is_none_names_the_argument_and_what_exists():
    if torch.backends.mps.is_available():
        pytest.skip("this machine has Apple's MPS")
    message = "device 'mps' was requested, but Apple's MPS is not available here; available: "
    for call in (resolve_device, best_device):
        with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
            call("mps")


class Recorder(nn.Module):
    """A module that remembers where it was asked to move."""

    def to(self, *args, **kwargs):
        self.moved_to = args
        return self


def test_to_device_moves_modules_at_every_depth_to_the_device_resolved():
    single, in_dict, in_list, in_tuple = Recorder(), Recorder(), Recorder(), Recorder()
    Pair = namedtuple("Pair", "a b")
    to_device(single, "cpu")
    to_device({"m": in_dict}, "cpu")
    to_device([in_list], "cpu")
    to_device(Pair(in_tuple, 1), "cpu")
    assert [r.moved_to for r in (single, in_dict, in_list, in_tuple)] == [(CPU,)] * 4


@pytest.mark.parametrize("name", ["cpu:5", "cpu:1", torch.device("cpu", 3)])
def test_a_cpu_index_other_than_0_is_refused(name):
    with pytest.raises(ValueError, match=r"was requested, but there is one cpu device, 'cpu'"):
        resolve_device(name)


def test_cpu_0_is_the_cpu_tensors_are_on():
    dev = resolve_device("cpu:0")
    assert dev == torch.zeros(1).to("cpu:0").device == torch.device("cpu")
    assert torch.device("cpu:5") != torch.zeros(1, device="cpu:5").device  # why 'cpu:5' must not pass through


def test_to_device_names_a_meta_tensor_it_cannot_copy():
    with pytest.raises(ValueError, match=r"^obj\['x'\]\[1\] is a meta tensor \(a shape without values\)"):
        to_device({"x": [torch.ones(1), torch.empty(2, device="meta")]}, "cpu")
    with pytest.raises(ValueError, match=r"^obj\.weight is a meta tensor"):
        to_device(nn.Linear(2, 1, device="meta"), "cpu")
