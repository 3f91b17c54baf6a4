"""The benchmark's yardsticks compute what the trainers compute; timings are reported, never asserted."""

from __future__ import annotations

import collections

import pytest
import torch
from torch.profiler import ProfilerActivity, profile

import nnbook
from nnbook.benchmark import hand_written_loops, time_levels
from nnbook.trainers.common import LEVEL_DEFAULTS


@pytest.mark.parametrize("level", list(nnbook.TRAINERS))
def test_hand_written_loop_is_the_same_algorithm(level):
    x, y = nnbook.simulate_regression(n=100, seed=0)
    kw = LEVEL_DEFAULTS[level]
    trainer = nnbook.TRAINERS[level](x, y, epochs=30, seed=0, log_every=0, **kw)
    hand = hand_written_loops[level](x, y, 32, 30, kw["lr"], 0)
    torch.testing.assert_close(torch.tensor(hand), torch.tensor(trainer.losses), rtol=1e-5, atol=0)


def _ops_per_epoch(train) -> collections.Counter:
    """The torch operations ``train(epochs)`` runs per epoch, by name (autograd's backward ones too).

    Counted with torch's profiler over 2 and 4 epochs: the difference is two epochs' operations,
    without the ones each call runs once (argument checks, initialisation, the final check).
    """
    counts = []
    for epochs in (2, 4):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            train(epochs)
        counts.append(collections.Counter(event.name for event in prof.events()))
    per_two = counts[1] - counts[0]
    assert counts[0] - counts[1] == collections.Counter()  # four epochs run everything two do
    assert all(count % 2 == 0 for count in per_two.values()), per_two
    return collections.Counter({name: count // 2 for name, count in per_two.items()})


@pytest.mark.parametrize("level", list(nnbook.TRAINERS))
def test_trainer_epoch_runs_the_hand_written_loops_operations(level):
    # The trainers' overhead over the hand-written loop is Python work and the checks once per call,
    # never an extra tensor operation inside the loop: each epoch runs exactly the hand loop's
    # operations (an operation count, not a timing, so it holds on any machine).
    x, y = nnbook.simulate_regression(n=20, seed=0)
    kw = LEVEL_DEFAULTS[level]
    trainer = _ops_per_epoch(
        lambda epochs: nnbook.TRAINERS[level](x, y, d_hidden=8, epochs=epochs, seed=0, log_every=0, **kw)
    )
    hand = _ops_per_epoch(lambda epochs: hand_written_loops[level](x, y, 8, epochs, kw["lr"], 0))
    assert sum(hand.values()) > 20  # the count sees the loop: at least a forward and a backward pass
    assert trainer == hand, {name: (trainer[name], hand[name]) for name in trainer.keys() | hand.keys()}


def test_time_levels_reports_every_level_and_size():
    timings = time_levels([(50, 8), (100, 4)], epochs=3, repeat=2, threads=1)
    assert [(t.level, t.n, t.d_hidden) for t in timings] == [
        (level, n, h) for n, h in [(50, 8), (100, 4)] for level in nnbook.TRAINERS
    ]
    assert all(t.trainer_seconds_per_epoch > 0 and t.hand_seconds_per_epoch > 0 and t.ratio > 0 for t in timings)


def test_time_levels_restores_thread_count():
    before = torch.get_num_threads()
    torch.set_num_threads(3)  # not the 1 it measures with (tests/conftest.py sets 1), so a change shows
    try:
        time_levels([(20, 4)], levels=["scratch"], epochs=2, repeat=1, threads=1)
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_time_levels_bad_arguments():
    with pytest.raises(ValueError, match=r"levels\[0\] must be one of"):
        time_levels(levels=["warp"])
    with pytest.raises(ValueError, match="epochs must be an integer from 1 to 1000000"):
        time_levels(epochs=0)
