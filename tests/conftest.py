"""Settings for every test under tests/: the hypothesis profile, the xdist_group marker, a seeded torch."""

from __future__ import annotations

import pytest
from hypothesis import settings

# Property tests run the same number of examples on every machine, with no deadline:
# CI machines are shared and a slow example is not a failure.
settings.register_profile("nnbook", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("nnbook")


def pytest_configure(config):
    # pytest-xdist registers this marker; registered here too, so that `-p no:xdist` passes --strict-markers.
    config.addinivalue_line("markers", "xdist_group(name): tests that run on the same pytest-xdist worker")


@pytest.fixture(autouse=True)
def _seed():
    import torch

    torch.manual_seed(0)
