"""The public API is deliberate: listed in __all__, documented, with examples that run."""

from __future__ import annotations

import ast
import doctest
import functools
import importlib
import inspect
import pkgutil

import pytest

import nnbook

MODULES = sorted(name for _, name, _ in pkgutil.walk_packages(nnbook.__path__, prefix="nnbook.") if ".__" not in name)
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


def is_constant(obj) -> bool:
    return not (callable(obj) or inspect.isclass(obj))


@functools.cache
def attribute_docstrings() -> dict[str, list[str]]:
    """name -> the string under each module-level assignment to that name in the package ("" where there is none),
    which is where the API reference reads a constant's documentation."""
    found: dict[str, list[str]] = {}
    for module_name in ["nnbook", *MODULES]:
        body = ast.parse(inspect.getsource(importlib.import_module(module_name))).body
        for statement, after in zip(body, [*body[1:], None], strict=True):
            if isinstance(statement, ast.Assign):
                targets = statement.targets
            elif isinstance(statement, ast.AnnAssign):
                targets = [statement.target]
            else:
                continue
            documented = isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
            docstring = after.value.value if documented and isinstance(after.value.value, str) else ""
            for target in targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(docstring)
    return found


@pytest.mark.parametrize("name", [name for name in nnbook.__all__ if not is_constant(getattr(nnbook, name))])
def test_every_public_callable_has_a_docstring_with_an_example(name):
    doc = inspect.getdoc(getattr(nnbook, name)) or ""
    assert doc, f"nnbook.{name} has no docstring"
    assert ">>>" in doc, f"nnbook.{name}'s docstring has no example"


PUBLIC_CONSTANTS = [
    f"{module_name}.{name}"
    for module_name in PUBLIC_MODULES
    for name in importlib.import_module(module_name).__all__
    if is_constant(getattr(importlib.import_module(module_name), name))
]


@pytest.mark.parametrize("qualified_name", PUBLIC_CONSTANTS)
def test_every_public_constant_has_an_attribute_docstring(qualified_name):
    """A constant is documented by the string under its assignment, which the API reference shows."""
    name = qualified_name.rsplit(".", 1)[1]
    docstrings = attribute_docstrings().get(name)
    assert docstrings, f"{qualified_name} is assigned nowhere in the package"
    assert any(doc.strip() for doc in docstrings), f"{qualified_name} has no docstring under its assignment"


# The package's own docstring has an example too. nnbook.distributed's examples start processes: with the
# other tests that do, on one pytest-xdist worker (one forkserver per run).
@pytest.mark.parametrize(
    "module_name",
    [
        pytest.param(name, marks=pytest.mark.xdist_group("launch")) if name == "nnbook.distributed" else name
        for name in ["nnbook", *MODULES]
    ],
)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module_name, extraglobs={"torch": importlib.import_module("torch")}):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} docstring example(s) failed in {module_name}"


# test_importing_nnbook_does_not_import_matplotlib is in test_cli.py: it reads the fresh Python started there.
