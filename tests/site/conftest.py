"""Fixtures of the site tests: the book built once per run (shared by every test process), and the order
that keeps the long site tests from being left for the end."""

from __future__ import annotations

import json
import os
import threading

import pytest


def _shared_folder(config: pytest.Config):
    """A folder all test processes of this run share: the run's base temporary folder."""
    base = config._tmp_path_factory.getbasetemp()  # what the tmp_path_factory fixture hands out
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _build_site_once(shared) -> dict:
    """Build the book into ``shared/site`` unless a process of this run already did; returns the build's record.

    The first caller (of any process) builds, under a lock; the others wait for it and read its record.
    """
    from filelock import FileLock

    from site_helpers import ROOT as root
    from site_helpers import build

    site_dir, record = shared / "site", shared / "site-build.json"
    with FileLock(str(shared / "site.lock")):
        if not record.is_file():
            with source_tree_lock(shared):  # the build's hook may build the wheel in the repository
                done = build(root / "mkdocs.yml", site_dir)
            record.write_text(json.dumps({"returncode": done.returncode, "output": done.stdout + done.stderr}))
        return json.loads(record.read_text())


def source_tree_lock(shared):
    """A lock held while something builds the sdist in the repository.

    setuptools writes the sdist's tree into the current folder (``nnbook-X.Y.Z/``)
    and deletes it afterwards, so two builds at once in the repository break each
    other: the site's build (hooks/package_wheel.py, when the sources changed) and
    the packaging tests take this lock, across all test processes.
    """
    from filelock import FileLock

    return FileLock(str(shared / "source-tree.lock"))


@pytest.fixture(scope="session")
def wheel_build_lock(pytestconfig):
    """``source_tree_lock`` of this run, for tests that build the sdist or the wheel."""
    return source_tree_lock(_shared_folder(pytestconfig))


_early_build: threading.Thread | None = None


# Order of the tests that need the built site: the longest first (each downloaded notebook
# runs a chapter; the PDF prints the whole book; the one-pass print page is rendered for every
# page), so that no long test is left for the end while the other core has nothing to do.
# Entries are "file" or "file::test name" prefixes.
_SITE_TESTS_FIRST = (
    "test_reader.py",
    "test_browser.py::test_the_book_as_one_pdf",
    "test_print_site.py",
    "test_browser.py",
)


def _run_order(item) -> tuple[int, int]:
    fixtures = getattr(item, "fixturenames", ())
    if "site" not in fixtures:
        # Tests that build the wheel wait while the site's build holds the source tree: after the rest.
        return (1, 0) if "wheel_build_lock" in fixtures else (0, 0)
    name = f"{item.path.name}::{item.name}" if hasattr(item, "path") else ""
    first = [
        i
        for i, prefix in enumerate(_SITE_TESTS_FIRST)
        if name == prefix or name.startswith(prefix + ("" if "::" in prefix else "::"))
    ]
    return (1, first[0] if first else len(_SITE_TESTS_FIRST))


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what will not run
def pytest_collection_modifyitems(config, items):
    """Run the tests that need the site last, and start the site's build now, in the background.

    The build takes most of a core for a while; started here, it runs while the package
    tests and the chapters use the cores, instead of keeping the first site test waiting.
    The sort is stable: tests keep their order within each group.
    """
    global _early_build
    items.sort(key=_run_order)
    if any("site" in getattr(item, "fixturenames", ()) for item in items):
        _early_build = threading.Thread(target=_build_site_once, args=(_shared_folder(config),), daemon=True)
        _early_build.start()


@pytest.fixture(scope="session")
def site(pytestconfig):
    """The whole book, built once per test run with ``mkdocs build --strict``.

    Under pytest-xdist every worker asks for it; the first builds it into a
    folder the workers share, and the others wait for that build and reuse it.
    The build starts in the background as soon as the tests are collected.
    """
    from site_helpers import warnings_in

    if _early_build is not None:
        _early_build.join()
    shared = _shared_folder(pytestconfig)
    built = _build_site_once(shared)
    assert built["returncode"] == 0, built["output"]
    assert warnings_in(built["output"]) == []
    return shared / "site"
