"""Serve the package's wheel from the site, so readers can install nnbook before it is on PyPI.

At every build this hook builds the wheel of the version in ``pyproject.toml``
(sdist first, then the wheel from the sdist, as ``python -m build`` does) and
copies it to ``packages/nnbook-<version>-py3-none-any.whl`` under the site.
The home page and every downloaded notebook install it from that address.

- **Reproducible.** The wheel's file dates come from ``SOURCE_DATE_EPOCH``
  (1980-01-01 when it is unset), so two builds of the same source give the
  same bytes, and the site's reproducibility check can compare them.
- **Cached.** The wheel is kept in ``.cache/nnbook-wheel/<hash>/``, keyed on
  everything that goes into it; a rebuild with unchanged sources copies it. A
  new wheel is built in a separate process while the site is built, and waited
  for only when the site is written.
- **Checked.** The home page must give the command that installs this wheel:
  a build whose ``docs/index.md`` names another version warns (and so fails
  under ``--strict``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.package_wheel")

FOLDER = "packages"
# The earliest date a zip archive can hold; used when SOURCE_DATE_EPOCH is unset.
DEFAULT_EPOCH = "315532800"
# What the sdist holds (MANIFEST.in keeps the tests out), and so what the wheel is made of.
_INPUTS = ("pyproject.toml", "MANIFEST.in", "README.md", "LICENSE")

# True once this version is on PyPI: readers then install it from there
# (docs/maintainers/contributing.md, "Make a release").
ON_PYPI = False

_wheel = None  # this build's _WheelBuild


def project_version(root: Path) -> str:
    """The version in ``pyproject.toml`` (read without tomllib, which Python 3.10 lacks)."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    return re.search(r'^version\s*=\s*"([^"]+)"', project, re.MULTILINE).group(1)


def wheel_name(version: str) -> str:
    return f"nnbook-{version}-py3-none-any.whl"


def wheel_url(site_url: str, version: str) -> str:
    """Where the deployed site serves the wheel of ``version``."""
    return f"{site_url.rstrip('/')}/{FOLDER}/{wheel_name(version)}"


def install_command(site_url: str, version: str) -> str:
    """The one command the home page, the README and the notebooks give readers."""
    if ON_PYPI:
        return f'pip install "nnbook[plot]=={version}"'
    return f'pip install "nnbook[plot] @ {wheel_url(site_url, version)}"'


def source_epoch() -> str:
    return os.environ.get("SOURCE_DATE_EPOCH") or DEFAULT_EPOCH


def _source_key(root: Path) -> str:
    digest = hashlib.sha256()
    files = [root / name for name in _INPUTS if (root / name).exists()]
    files += [p for p in (root / "src" / "nnbook").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    digest.update(f"epoch={source_epoch()} setuptools={metadata.version('setuptools')}".encode())
    return digest.hexdigest()[:16]


def _build_command(root: Path, out_dir: Path) -> list[str]:
    return [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out_dir), str(root)]


def build_wheel(root: Path, out_dir: Path) -> Path:
    """Build the sdist and, from it, the wheel into ``out_dir``; returns the wheel's path.

    ``--no-isolation`` uses the setuptools of this environment (pinned by the
    book's constraints) instead of fetching one, so the build is fast and works
    offline; the sdist step keeps stray files of the work tree out of the wheel.
    """
    env = dict(os.environ, SOURCE_DATE_EPOCH=source_epoch())
    done = subprocess.run(_build_command(root, out_dir), cwd=root, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"building the nnbook wheel failed:\n{done.stdout}\n{done.stderr}")
    (wheel,) = out_dir.glob("*.whl")
    return wheel


class _WheelBuild:
    """The wheel of the current sources: from the cache, or built in a process that runs alongside the site's build.

    A change under ``src/nnbook`` needs a new wheel and new executions of every chapter;
    the wheel is built while mkdocs renders and the kernels run, and is waited for
    only when the site is written.
    """

    def __init__(self, root: Path):
        self.root = root
        self.folder = root / ".cache" / "nnbook-wheel" / _source_key(root)
        wheels = list(self.folder.glob("*.whl")) if self.folder.is_dir() else []
        self.path = wheels[0] if wheels else None
        self.process = None
        if self.path is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="nnbook-wheel-")
            self.process = subprocess.Popen(
                _build_command(root, Path(self.tmp.name)),
                cwd=root,
                env=dict(os.environ, SOURCE_DATE_EPOCH=source_epoch()),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )

    @property
    def name(self) -> str:
        return wheel_name(project_version(self.root))

    def wheel(self) -> Path:
        """Wait for the build (if any) and return the cached wheel."""
        if self.path is not None:
            return self.path
        output, _ = self.process.communicate()
        built = list(Path(self.tmp.name).glob("*.whl"))
        if self.process.returncode != 0 or len(built) != 1:
            raise RuntimeError(f"building the nnbook wheel failed:\n{output}")
        base = self.folder.parent
        if base.is_dir():
            shutil.rmtree(base)  # older keys: only the current wheel is kept
        self.folder.mkdir(parents=True)
        # Copied to a temporary name and renamed: a crash mid-copy leaves no truncated wheel to serve.
        target, partial = self.folder / built[0].name, self.folder / f".{built[0].name}.tmp"
        shutil.copy2(built[0], partial)
        os.replace(partial, target)
        self.path = target
        self.tmp.cleanup()
        return self.path


def cached_wheel(root: Path) -> Path:
    """The wheel of the current sources, built once per change of them."""
    return _WheelBuild(root).wheel()


def declared_site_url(config) -> str:
    """The site address as mkdocs.yml declares it: `mkdocs serve` replaces ``config.site_url`` with its
    own local address, but readers must be given the deployed site's wheel either way."""
    declared = re.search(r"^site_url:\s*(\S+)", Path(config.config_file_path).read_text(), re.MULTILINE)
    return declared.group(1) if declared else (config.site_url or "")


def on_config(config, **kwargs):
    global _wheel
    root = Path(config.config_file_path).parent
    version = project_version(root) if (root / "pyproject.toml").exists() else "0"
    # For the notebooks' install cell (hooks/notebook_extras.py reads it from the configuration).
    config.extra["install_command"] = install_command(declared_site_url(config), version)
    # A copy of the hooks without the package's build configuration (the tests build
    # small sites that way) has no wheel to serve.
    _wheel = _WheelBuild(root) if (root / "pyproject.toml").exists() else None
    if _wheel is not None:
        log.info(
            "serving %s at %s",
            _wheel.name,
            wheel_url(config.site_url or "/", project_version(root)),
        )
    return config


def on_page_markdown(markdown: str, page, config, **kwargs):
    if _wheel is None or page.file.src_uri != "index.md":
        return markdown
    command = config.extra["install_command"]
    if command not in markdown:
        log.warning(
            "docs/index.md must give readers the command that installs this build's wheel: %s",
            command,
        )
    return markdown


def on_post_build(config, **kwargs):
    if _wheel is None:
        return
    wheel = _wheel.wheel()
    target = Path(config.site_dir) / FOLDER / wheel.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wheel, target)
