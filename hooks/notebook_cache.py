"""Key mkdocs-jupyter's build cache on everything a chapter's output depends on.

The plugin keys its cache on the page file and its own options only, so after
a change under ``src/nnbook``, in the hooks that set up the kernels, or of
torch, a rebuild would serve stale outputs. This hook points the plugin at a cache folder named after a hash of
the package's source and the versions that shape the outputs, and removes the
folders of older keys.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from importlib import metadata
from pathlib import Path

# Packages whose version can change what a chapter prints or draws.
_VERSIONED = ("torch", "numpy", "matplotlib", "nbconvert", "mkdocs-jupyter", "jupytext")


def fingerprint(root: Path) -> str:
    """Hash of the package source, the build hooks, the Python version and the key library versions."""
    digest = hashlib.sha256()
    # The hooks set the kernels' environment (hooks/kernel_env.py), so they shape outputs too.
    sources = [*(root / "src" / "nnbook").rglob("*.py"), *(root / "hooks").glob("*.py")]
    for path in sorted(sources):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    for name in _VERSIONED:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=absent".encode())
    return digest.hexdigest()[:16]


def on_config(config, **kwargs):
    plugin = config.plugins.get("mkdocs-jupyter")
    if plugin is None or not plugin.config.get("cache"):
        return config
    root = Path(config.config_file_path).parent
    base = root / ".cache" / "mkdocs-jupyter"
    key = fingerprint(root)
    if base.is_dir():
        for old in base.iterdir():
            if old.name != key:
                shutil.rmtree(old) if old.is_dir() else old.unlink()
    plugin.config["cache_dir"] = str(base / key)
    return config
