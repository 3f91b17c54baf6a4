"""Chapter listings that are the package's own text.

A chapter shows package code by placing a marker right before a python fence:

    <!-- listing: nnbook.backprop.backward -->
    <!--pytest-codeblocks:cont-->
    ```python
    def backward(...):
        ...
    ```

The fence must hold exactly the source of that object, with its docstring left
out (the API reference shows docstrings). ``tests/book/test_listings.py`` fails when
the two drift apart; ``python3 make.py listings`` rewrites every fence from the
package.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^<!-- listing: (?P<name>[\w.]+) -->$")


def resolve(dotted: str):
    """Import ``package.module.attr`` and return the object."""
    module_name, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def source_without_docstring(dotted: str) -> str:
    """The object's source, dedented, with its docstring removed."""
    source = textwrap.dedent(inspect.getsource(resolve(dotted)))
    tree = ast.parse(source)
    node = tree.body[0]
    lines = source.splitlines()
    body = getattr(node, "body", [])
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(getattr(body[0], "value", None), ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        doc = body[0]
        del lines[doc.lineno - 1 : doc.end_lineno]
    return "\n".join(lines).rstrip() + "\n"


def listings(text: str):
    """Yield (name, start, end) for each marked fence; lines[start:end] is the fence body."""
    lines = text.splitlines()
    in_example = False  # markers inside a ~~~ block are examples of the syntax (docs/maintainers/contributing.md)
    for i, line in enumerate(lines):
        if line.startswith("~~~"):
            in_example = not in_example
        m = MARKER.match(line.strip())
        if not m or in_example:
            continue
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        if j >= len(lines) or lines[j].strip() != "```python":
            raise ValueError(f"listing marker for {m['name']} on line {i + 1} is not followed by a ```python fence")
        k = j + 1
        while k < len(lines) and lines[k].strip() != "```":
            k += 1
        yield m["name"], j + 1, k


def rewrite(path: Path) -> bool:
    """Replace every marked fence in ``path`` with the current package source; True if changed."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for name, start, end in reversed(list(listings(text))):
        lines[start:end] = source_without_docstring(name).rstrip("\n").splitlines()
    new = "\n".join(lines) + "\n"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main() -> int:
    changed = [p for p in sorted((ROOT / "docs").rglob("*.md")) if rewrite(p)]
    for p in changed:
        print(f"updated listings in {p.relative_to(ROOT)}")
    if not changed:
        print("every listing already matches the package")
    return 0


if __name__ == "__main__":
    sys.exit(main())
