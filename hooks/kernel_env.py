"""The environment the chapters' kernels run in.

- **Figures.** A kernel inherits the build's environment. If ``MPLBACKEND``
  names a non-interactive backend there (the test suite sets ``Agg`` for its
  own use), ``plt.show()`` in a chapter draws nothing and the figure silently
  disappears from the page. The build therefore always gives its kernels
  matplotlib's inline backend, the one notebooks use.
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


def on_config(config, **kwargs):
    global _folder
    os.environ["MPLBACKEND"] = INLINE_BACKEND
    if _folder is not None:
        return config
    _folder = tempfile.TemporaryDirectory(prefix="nnbook-kernels-")
    with open(os.path.join(_folder.name, "matplotlibrc"), "w") as handle:
        handle.write(MATPLOTLIBRC)
    os.environ["MATPLOTLIBRC"] = _folder.name
    if os.name != "posix":
        return config
    settings = {"KernelManager": {"transport": "ipc", "ip": os.path.join(_folder.name, "kernel")}}
    with open(os.path.join(_folder.name, "jupyter_nbconvert_config.json"), "w") as handle:
        json.dump(settings, handle)
    paths = [_folder.name, *filter(None, os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return config
