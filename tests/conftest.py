"""Shared fixtures and settings for the package tests."""

from __future__ import annotations

import os

import pytest
import torch
from hypothesis import settings

# Property tests run the same number of examples on every machine, with no deadline:
# CI machines are shared and a slow example is not a failure.
settings.register_profile("nnbook", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("nnbook")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
