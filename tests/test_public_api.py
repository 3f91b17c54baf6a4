"""The public API is deliberate: listed in __all__, documented, with examples that run."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

import nnbook

MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(nnbook.__path__, prefix="nnbook.") if ".__" not in name
)
PUBLIC_MODULES = ["nnbook"] + [name for name in MODULES if not any(part.startswith("_") for part in name.split("."))]


def test_all_names_exist_and_are_unique():
    assert len(nnbook.__all__) == len(set(nnbook.__all__))
    for name in nnbook.__all__:
        assert hasattr(nnbook, name), name


def test_nothing_public_is_missing_from_all():
    public = {name for name, value in vars(nnbook).items() if not name.startswith("_") and not inspect.ismodule(value)}
    assert public - {"annotations", "import_module", "Any"} <= set(nnbook.__all__)


def test_top_level_is_small():
    assert len(nnbook.__all__) <= 30, f"{len(nnbook.__all__)} names at the top level; move some to a submodule"
    for name in ["forward", "backward", "predict", "init_params", "loss_value", "describe", "best_device"]:
        assert name not in nnbook.__all__ and not hasattr(nnbook, name), name


def test_dir_lists_the_lazy_names():
    listed = dir(nnbook)
    assert set(nnbook.__all__) <= set(listed)
    assert {"plot_losses", "plotting", "benchmark"} <= set(listed)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_module_has_a_deliberate_all(module_name):
    module = importlib.import_module(module_name)
    assert hasattr(module, "__all__"), f"{module_name} has no __all__"
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.__all__ lists {name}, which does not exist"
        if callable(getattr(module, name)) and not name.isupper():
            doc = inspect.getdoc(getattr(module, name)) or ""
            if getattr(getattr(module, name), "__module__", "").startswith("nnbook"):
                assert ">>>" in doc, f"{module_name}.{name}'s docstring has no example"


def test_no_public_module_is_named_with_an_underscore_but_the_checks():
    private = [name for name in MODULES if any(part.startswith("_") for part in name.split("."))]
    assert private == ["nnbook._checks"]


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    assert nnbook.__version__ == version("nnbook")


@pytest.mark.parametrize("name", nnbook.__all__)
def test_every_public_object_has_a_docstring_with_an_example(name):
    obj = getattr(nnbook, name)
    if not (callable(obj) or inspect.isclass(obj)):
        return  # constants are documented by the docstring under their assignment, read by the API reference
    doc = inspect.getdoc(obj) or ""
    assert doc, f"nnbook.{name} has no docstring"
    assert ">>>" in doc, f"nnbook.{name}'s docstring has no example"


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module_name, extraglobs={"torch": importlib.import_module("torch")}):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} docstring example(s) failed in {module_name}"


def test_importing_nnbook_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, nnbook; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
