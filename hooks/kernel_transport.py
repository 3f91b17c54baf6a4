"""Run the chapters' kernels over local sockets instead of TCP.

nbclient starts each chapter's kernel with TCP ports on localhost, and the
kernel then warns on every build that its traffic is not encrypted. On Linux
and macOS, Unix domain sockets (ZeroMQ's "ipc" transport) do the same job
without opening a port, and without the warning. This hook writes a Jupyter
configuration that asks for them into a temporary folder and points
``JUPYTER_CONFIG_PATH`` at it for the duration of the build. Windows keeps TCP.
"""

from __future__ import annotations

import json
import os
import tempfile

_folder: tempfile.TemporaryDirectory | None = None


def on_config(config, **kwargs):
    global _folder
    if os.name != "posix" or _folder is not None:
        return config
    _folder = tempfile.TemporaryDirectory(prefix="nnbook-kernels-")
    settings = {"KernelManager": {"transport": "ipc", "ip": os.path.join(_folder.name, "kernel")}}
    with open(os.path.join(_folder.name, "jupyter_nbconvert_config.json"), "w") as handle:
        json.dump(settings, handle)
    paths = [_folder.name, *filter(None, os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return config
