"""Shared fixtures and settings for the package tests."""

from __future__ import annotations

import json
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
    """The whole book, built once per test run with ``mkdocs build --strict``.

    Under pytest-xdist every worker asks for it; the first builds it into a
    folder the workers share, and the others wait for that build and reuse it.
    """
    from filelock import FileLock

    from site_helpers import ROOT as root
    from site_helpers import build, warnings_in

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    site_dir, record = shared / "site", shared / "site-build.json"
    with FileLock(str(shared / "site.lock")):
        if not record.is_file():
            done = build(root / "mkdocs.yml", site_dir)
            record.write_text(json.dumps({"returncode": done.returncode, "output": done.stdout + done.stderr}))
        built = json.loads(record.read_text())
    assert built["returncode"] == 0, built["output"]
    assert warnings_in(built["output"]) == []
    return site_dir


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
