"""Tests that kill mutants which survived `tools/mutation.sh 'nnbook.device.*'`.

This machine has no GPU, so the CUDA and MPS branches are reached with torch's own
probes replaced (``torch.cuda.is_available``, ``device_count``, ``synchronize``,
``torch.backends.mps.is_available``, ``torch.mps.synchronize``): what nnbook decides
from their answers is checked, not the accelerators themselves (tests/test_device.py
runs those where a GPU exists). Moves are checked with a module that records them.
"""

import re
from collections import namedtuple

import pytest
import torch
from torch import nn

from nnbook.device import available_devices, best_device, resolve_device, synchronize, to_device

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
