"""Settings for every test, including the chapters that pytest-codeblocks runs from docs/."""

import os
import sys

# jsonschema (imported with nbformat by the site tests) imports rfc3987_syntax when it is
# installed, and that compiles a grammar for a string format nothing here validates: about
# 3 s per test process. Marked absent, jsonschema skips that format (see tools/run_mkdocs.py).
sys.modules.setdefault("rfc3987_syntax", None)

# The built site (copies of every chapter) and setuptools' build folder at the top of the repository are
# not tests; tests/site/ and tests/build/ are, so these are ignored by path rather than by name.
collect_ignore = ["site", "build"]

# Chapters call plt.show(); without a display it must not try to open a window.
os.environ.setdefault("MPLBACKEND", "Agg")


def _draw_and_close(*args, **kwargs):
    """Stand-in for plt.show() under Agg: draw every open figure, as the notebook kernel does.

    The Agg backend's show() draws nothing, so a figure that fails to render
    would pass the tests and fail the site build. Drawing here makes such a
    chapter fail its test too.
    """
    import matplotlib.pyplot as plt

    for number in plt.get_fignums():
        plt.figure(number).canvas.draw()
    plt.close("all")


def pytest_configure(config):
    if not os.environ.get("PYTEST_XDIST_WORKER") and getattr(config.option, "numprocesses", None):
        # pytest-xdist's controller runs no test: importing torch and matplotlib here (about 2 s)
        # would only delay the start of its workers.
        return
    import matplotlib.pyplot as plt
    import torch

    plt.show = _draw_and_close
    # One CPU thread per test process. The suite runs a worker per core (and the site's build beside
    # them); the tests' tensors are tiny, and a second thread that waits for a busy core makes small
    # operations many times slower (a 150-epoch classifier: 0.1 s on one thread, 3 to 9 s on two).
    # Chapters 7 to 12 do the same for the same reason. Processes the tests start keep torch's default.
    torch.set_num_threads(1)
