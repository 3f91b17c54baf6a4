#!/usr/bin/env python3
"""The import graph of a package's modules, its cycles, and underscore names imported across modules.

    python3 tools/import_graph.py [PACKAGE_DIR]      (default: src/nnbook)

Prints one line per module with the package modules it imports (at the top or inside a
function: a deferred import still ties the two modules together), then every cycle and
every ``from .x import _name`` of a private name from another module. Exits 1 if there is
either, 0 otherwise. It reads the files with ``ast`` and imports nothing.

A private module (``_checks``) may be imported whole by its package: its names are the
package's internal API. What is refused is reaching into another module for a name that
module keeps to itself.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path, package_dir: Path) -> str:
    parts = [package_dir.name, *path.relative_to(package_dir).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(importer: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module name of a relative import ``from {'.' * level}{name} import ...``."""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([name] if name else []))


def imports_of(package_dir: Path) -> tuple[dict[str, set[str]], list[str]]:
    """For each module, the package modules it imports; and the private names imported across modules."""
    modules = {module_name(p, package_dir): p for p in sorted(package_dir.rglob("*.py"))}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    private: list[str] = []
    top = package_dir.name
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.ImportFrom):
                source = resolve(name, is_package, node.level, node.module) if node.level else (node.module or "")
                if source != top and not source.startswith(top + "."):
                    continue
                for alias in node.names:
                    target = f"{source}.{alias.name}"
                    if target in modules:  # `from . import module`
                        graph[name].add(target)
                        continue
                    graph[name].add(source)
                    if alias.name.startswith("_") and not alias.name.startswith("__") and source != name:
                        private.append(f"{name} imports {alias.name} from {source}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules:
                        graph[name].add(alias.name)
    for name in graph:
        graph[name].discard(name)
        # A module imports its package's __init__ by being imported; that edge is not a dependency.
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    return graph, private


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main(argv: list[str]) -> int:
    package_dir = Path(argv[0]) if argv else ROOT / "src" / "nnbook"
    graph, private = imports_of(package_dir)
    width = max(map(len, graph))
    for name in sorted(graph):
        print(f"{name:<{width}}  -> {', '.join(sorted(graph[name])) or '(nothing)'}")
    found = cycles({k: v for k, v in graph.items() if k != package_dir.name})
    for component in found:
        print(f"cycle: {' <-> '.join(component)}")
    for line in private:
        print(f"private name imported: {line}")
    if not found and not private:
        print(f"no cycle and no private name imported across modules ({len(graph)} modules)")
    return 1 if found or private else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
