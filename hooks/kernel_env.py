"""The environment the chapters' kernels run in.

- **Figures.** A kernel inherits the build's environment. If ``MPLBACKEND``
  names a non-interactive backend there (the test suite sets ``Agg`` for its
  own use), ``plt.show()`` in a chapter draws nothing and the figure silently
  disappears from the page. The build therefore always gives its kernels
  matplotlib's inline backend, the one notebooks use.
- **One thread per kernel.** The build runs one kernel per core
  (``hooks/notebook_cache.py``). Left to itself, torch gives each kernel one
  thread per core, so two kernels on two cores run four busy threads that wait
  for each other. Every kernel therefore computes on one thread
  (``OMP_NUM_THREADS=1``, ``MKL_NUM_THREADS=1``), whether kernels run in parallel or
  one after another: a result can depend on how a sum is split between threads,
  and a chapter must print the same digits either way.
- **The same for readers' checks.** :func:`kernel_variables` is the one list of
  these settings; the build's kernels and the reader test (``tests/site/test_reader.py``)
  both take their environment from it, so their outputs can be compared cell by cell.
- **Local sockets.** nbclient starts each kernel with TCP ports on localhost,
  and the kernel then warns on every build that its traffic is not encrypted.
  On Linux and macOS, Unix domain sockets (ZeroMQ's "ipc" transport) do the
  same job without opening a port, and without the warning. This hook writes a
  Jupyter configuration that asks for them into a temporary folder and points
  ``JUPYTER_CONFIG_PATH`` at it. Windows keeps TCP.
"""

from __future__ import annotations

import json
import os
import tempfile

_folder: tempfile.TemporaryDirectory | None = None
_configured = False


INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
# Transparent figure and axes; the legend keeps a translucent white box so that
# it stays readable over lines in either scheme (inverted, it turns dark).
MATPLOTLIBRC = """\
figure.facecolor: none
axes.facecolor: none
savefig.facecolor: none
savefig.transparent: True
legend.facecolor: white
legend.framealpha: 0.85
"""
# One computing thread per kernel (see the module's docstring).
THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def matplotlib_folder() -> str:
    """A folder holding :data:`MATPLOTLIBRC` as ``matplotlibrc``, made once per process."""
    global _folder
    if _folder is None:
        _folder = tempfile.TemporaryDirectory(prefix="nnbook-kernels-")
        with open(os.path.join(_folder.name, "matplotlibrc"), "w") as handle:
            handle.write(MATPLOTLIBRC)
    return _folder.name


def kernel_variables(folder: str | os.PathLike | None = None) -> dict[str, str]:
    """The environment variables every kernel that executes a chapter gets.

    ``folder``: where to write the ``matplotlibrc`` (it is created); by default a
    temporary folder of this process.

    >>> variables = kernel_variables()
    >>> variables["OMP_NUM_THREADS"], variables["MPLBACKEND"] == INLINE_BACKEND
    ('1', True)
    """
    if folder is None:
        folder = matplotlib_folder()
    else:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "matplotlibrc"), "w") as handle:
            handle.write(MATPLOTLIBRC)
    return {"MPLBACKEND": INLINE_BACKEND, "MATPLOTLIBRC": os.fspath(folder), **THREADS}


def on_config(config, **kwargs):
    global _configured
    # Kernels started by mkdocs-jupyter itself (a page it executes without hooks/notebook_cache.py) inherit
    # the figure settings. The thread count is not set here: it would also bind the process that runs
    # mkdocs (a test session may run it in-process); hooks/notebook_cache.py gives it to each kernel.
    os.environ.update({name: value for name, value in kernel_variables().items() if name not in THREADS})
    if _configured or os.name != "posix":
        return config
    _configured = True
    folder = matplotlib_folder()
    settings = {"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "kernel")}}
    with open(os.path.join(folder, "jupyter_nbconvert_config.json"), "w") as handle:
        json.dump(settings, handle)
    paths = [folder, *filter(None, os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return config
