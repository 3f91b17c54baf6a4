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


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The whole book, built once per test session with ``mkdocs build --strict``."""
    from site_helpers import ROOT as root, build, warnings_in

    site_dir = tmp_path_factory.mktemp("site")
    done = build(root / "mkdocs.yml", site_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert warnings_in(done.stdout + done.stderr) == []
    return site_dir


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
