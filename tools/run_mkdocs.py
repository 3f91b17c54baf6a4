#!/usr/bin/env python3
"""Run the mkdocs command line without a grammar it never uses.

    .venv/bin/python tools/run_mkdocs.py build --strict

``nbformat`` (through mkdocs-jupyter and jupytext) imports ``jsonschema``, which
imports ``rfc3987_syntax`` whenever that package is installed (here it comes
with ``jupyter-events``). That module compiles a Lark grammar at import, about
3 s of every build on a 2-core machine, to offer an "iri" string format that
no schema the build validates uses (nbformat's validator checks no formats).
Marking the module absent before anything imports it makes ``jsonschema`` skip
that format, as it does on any machine without the package; everything else
is mkdocs' own command line, unchanged.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # import now raises ImportError, which jsonschema expects

from mkdocs.__main__ import cli  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli())
