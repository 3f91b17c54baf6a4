"""The sdist and the wheel: they build, pass twine's checks, hold the package and nothing else.

The wheel is built the way the site's hook builds it (``hooks/package_wheel.py``:
``python -m build --no-isolation``, sdist first and the wheel from it).
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hooks"))
import package_wheel  # noqa: E402  (a hook, imported from its folder)
from site_helpers import SITE_URL  # noqa: E402

VERSION = package_wheel.project_version(ROOT)
PACKAGE_FILES = sorted(
    p.relative_to(ROOT / "src").as_posix()
    for p in (ROOT / "src" / "nnbook").rglob("*")
    if p.is_file() and (p.suffix == ".py" or p.name == "py.typed") and "__pycache__" not in p.parts
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory, wheel_build_lock) -> Path:
    out = tmp_path_factory.mktemp("dist")
    with wheel_build_lock:  # one sdist build at a time in the repository (tests/site/conftest.py)
        package_wheel.build_wheel(ROOT, out)
    return out


def test_both_build_and_pass_twine_check(dist):
    files = sorted(p.name for p in dist.iterdir())
    assert files == [f"nnbook-{VERSION}-py3-none-any.whl", f"nnbook-{VERSION}.tar.gz"]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "twine",
            "check",
            "--strict",
            *sorted(map(str, dist.iterdir())),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2, done.stdout


def test_wheel_holds_the_package_its_licence_and_py_typed_only(dist):
    with zipfile.ZipFile(dist / package_wheel.wheel_name(VERSION)) as wheel:
        names = wheel.namelist()
        meta = Parser().parsestr(wheel.read(f"nnbook-{VERSION}.dist-info/METADATA").decode())
        licence = wheel.read(f"nnbook-{VERSION}.dist-info/licenses/LICENSE")
    info = f"nnbook-{VERSION}.dist-info/"
    assert sorted(n for n in names if not n.startswith(info)) == PACKAGE_FILES
    assert "nnbook/py.typed" in names
    assert sorted(n.removeprefix(info) for n in names if n.startswith(info)) == [
        "METADATA",
        "RECORD",
        "WHEEL",
        "entry_points.txt",
        "licenses/LICENSE",
        "top_level.txt",
    ]
    assert licence == (ROOT / "LICENSE").read_bytes()
    assert meta["License-Expression"] == "MIT" and meta["Requires-Python"] == ">=3.10"
    # A floor and no cap: pip keeps the torch a reader already has (issue 32).
    assert [r for r in meta.get_all("Requires-Dist") if r.startswith("torch")] == ["torch>=2.4.1"]


def test_sdist_holds_the_package_and_its_build_files_not_the_book(dist):
    with tarfile.open(dist / f"nnbook-{VERSION}.tar.gz") as sdist:
        names = [m.name.split("/", 1)[1] for m in sdist.getmembers() if m.isfile()]
    top = sorted(n for n in names if not n.startswith("src/"))
    assert top == [
        "LICENSE",
        "MANIFEST.in",
        "PKG-INFO",
        "README.md",
        "pyproject.toml",
        "setup.cfg",
    ]
    assert sorted(n.removeprefix("src/") for n in names if n.startswith("src/nnbook/")) == PACKAGE_FILES
    assert all(
        n.startswith("src/nnbook.egg-info/") for n in names if n.startswith("src/") and not n.startswith("src/nnbook/")
    )


def test_two_builds_give_the_same_wheel(dist, tmp_path, wheel_build_lock):
    """The site serves this wheel and its reproducibility check compares two builds."""
    with wheel_build_lock:
        again = package_wheel.build_wheel(ROOT, tmp_path)
    assert again.read_bytes() == (dist / again.name).read_bytes()


@pytest.mark.parametrize("page", ["README.md", "docs/index.md"])
def test_readers_are_given_the_command_that_installs_this_version(page):
    command = package_wheel.install_command(SITE_URL, VERSION)
    assert command in (ROOT / page).read_text(encoding="utf-8")
    if not package_wheel.ON_PYPI:
        assert "not on PyPI" in (ROOT / page).read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_site_serves_this_wheel(site, dist):
    served = site / package_wheel.FOLDER / package_wheel.wheel_name(VERSION)
    assert served.read_bytes() == (dist / served.name).read_bytes()
