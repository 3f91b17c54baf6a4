"""Build the site (or a small variant of it) the way the README's commands do."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def notebook_pages() -> list[Path]:
    """Every page under docs/ that is also a notebook: it starts with jupytext front matter."""
    return [p for p in sorted((ROOT / "docs").rglob("*.md")) if p.read_text(encoding="utf-8").startswith("---\njupyter:")]


def mkdocs_env(extra_pythonpath: Path | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env["NO_MKDOCS_2_WARNING"] = "1"
    if extra_pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(extra_pythonpath), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def build(config_file: Path, site_dir: Path, extra_pythonpath: Path | None = None, **extra_env: str) -> subprocess.CompletedProcess:
    """Run ``mkdocs build --strict``; returns the finished process with its output."""
    return subprocess.run(
        # tools/run_mkdocs.py: mkdocs' own command line, without an import-time cost it never uses.
        [sys.executable, str(ROOT / "tools" / "run_mkdocs.py"), "build", "--strict", "-f", str(config_file), "-d", str(site_dir)],
        cwd=config_file.parent,
        env=mkdocs_env(extra_pythonpath, **extra_env),
        capture_output=True,
        text=True,
        timeout=900,
    )


def warnings_in(output: str) -> list[str]:
    return [line for line in output.splitlines() if "WARNING" in line or line.startswith("ERROR")]


def small_project(tmp: Path, chapters: dict[str, str]) -> Path:
    """A copy of the book's configuration and hooks whose only pages are ``chapters`` (name -> text)."""
    for folder in ("hooks", "overrides", "docs/javascripts", "docs/stylesheets"):
        shutil.copytree(ROOT / folder, tmp / folder)
    shutil.copytree(ROOT / "src", tmp / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    (tmp / "docs" / "chapters").mkdir(parents=True)
    (tmp / "docs" / "index.md").write_text("# Test book\n")
    for name, text in chapters.items():
        (tmp / "docs" / "chapters" / name).write_text(text)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)
    config["nav"] = [{"Home": "index.md"}] + [{name: f"chapters/{name}"} for name in chapters]
    config.pop("exclude_docs", None)
    config["plugins"] = [p for p in config["plugins"] if not (isinstance(p, str) and p == "mkdocstrings") and not (isinstance(p, dict) and "mkdocstrings" in p)]
    config_file = tmp / "mkdocs.yml"
    config_file.write_text(yaml.dump(config, Dumper=_Dumper, sort_keys=False))
    return config_file


def chapter(code: str, title: str = "A chapter") -> str:
    """A minimal jupytext chapter with one code cell."""
    return (
        "---\njupyter:\n  jupytext:\n    text_representation:\n      extension: .md\n      format_name: markdown\n"
        "  kernelspec:\n    display_name: Python 3\n    language: python\n    name: python3\n---\n\n"
        f"# {title}\n\n```python\n{code}\n```\n"
    )


class _Loader(yaml.SafeLoader):
    """Reads mkdocs.yml, keeping ``!!python/name:`` tags as plain strings."""


def _construct_python_name(loader, suffix, node):
    return _PythonName(suffix)


class _PythonName(str):
    pass


def _construct_env(loader, node):
    """``!ENV [NAME, default]``: the variable's value now, or the default."""
    name, *default = loader.construct_sequence(node)
    value = os.environ.get(name)
    return yaml.safe_load(value) if value is not None else (default[0] if default else None)


_Loader.add_multi_constructor("tag:yaml.org,2002:python/name:", _construct_python_name)
_Loader.add_constructor("!ENV", _construct_env)


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_PythonName, lambda dumper, value: dumper.represent_scalar(f"tag:yaml.org,2002:python/name:{value}", ""))
