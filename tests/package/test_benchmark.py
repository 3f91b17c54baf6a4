"""The benchmark's yardsticks compute what the trainers compute; timings are reported, never asserted."""

from __future__ import annotations

import pytest
import torch

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
