#!/usr/bin/env python3
"""What a forked kernel costs: its run and its shut-down, one kernel_fork.py against another.

    .venv/bin/python benchmarks/kernel_start.py                     # the working tree alone
    .venv/bin/python benchmarks/kernel_start.py --against 23c1a32   # and that commit's, alternating

Each version of ``hooks/kernel_fork.py`` (the working tree's, and with ``--against``
the one a commit holds) starts its template process; then, round by round, each
template forks kernels that run one small notebook as a chapter does (import torch
and pyplot, make an optimizer and step it, draw a figure). The versions alternate,
so that both see the same machine load. Per version it prints the median time from
the kernel's start to its last cell, the median and longest shut-down, how many
shut-downs took over 2 s, and the machine's busy CPU seconds per kernel (from
``/proc/stat``: the kernel, its client and the template; run it on a quiet
machine). These are measurements of this machine, not guarantees.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "hooks"), str(ROOT)]
from make import busy_seconds  # noqa: E402  (the machine's busy CPU seconds, as make.py test reports them)

import kernel_env  # noqa: E402

NOTEBOOK = (
    "import torch\nimport matplotlib.pyplot as plt\ntorch.manual_seed(0)\nlayer = torch.nn.Linear(3, 2)\n"
    "torch.optim.SGD(layer.parameters(), lr=0.1).step()\nplt.plot([1, 2]); plt.show()"
)


def load_version(label: str, source: str, folder: Path):
    """``kernel_fork`` from ``source``'s text, as a module of its own (its file is what its kernels run)."""
    path = folder / label / "kernel_fork.py"
    path.parent.mkdir()
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"kernel_fork_{label}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_kernel(kernel_fork, socket_path: str, sockets: str, env: dict, name: str) -> tuple[float, float]:
    """Seconds from the kernel's start to its last cell, and of its shut-down."""
    import nbclient
    from jupyter_client.manager import KernelManager
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = new_notebook(cells=[new_code_cell(NOTEBOOK)])
    manager = kernel_fork.manager_class(KernelManager, socket_path)(
        transport="ipc", ip=os.path.join(sockets, name), kernel_name="python3"
    )
    started = time.perf_counter()
    client = nbclient.NotebookClient(notebook, km=manager, timeout=300, resources={"metadata": {"path": sockets}})
    client.execute(env=env)
    ran = time.perf_counter()
    manager.shutdown_kernel()
    return ran - started, time.perf_counter() - ran


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", metavar="COMMIT", help="also measure that commit's hooks/kernel_fork.py")
    parser.add_argument("--kernels", type=int, default=20, help="kernels per version (default: %(default)s)")
    parser.add_argument("--round", type=int, default=5, help="kernels per version in a row (default: %(default)s)")
    args = parser.parse_args()
    if args.kernels < 1 or args.round < 1:
        parser.error("--kernels and --round must be at least 1")
    sources = {"working tree": (ROOT / "hooks" / "kernel_fork.py").read_text()}
    if args.against:
        shown = subprocess.run(
            ["git", "show", f"{args.against}:hooks/kernel_fork.py"], cwd=ROOT, capture_output=True, text=True
        )
        if shown.returncode != 0:
            parser.error(f"--against {args.against!r}: {shown.stderr.strip()}")
        sources[args.against] = shown.stdout
    with tempfile.TemporaryDirectory(prefix="nnbook-kb-") as folder:  # short: a socket path has ~100 bytes
        env = dict(os.environ, **kernel_env.kernel_variables(Path(folder) / "mpl"))
        versions = {label: load_version(str(i), text, Path(folder)) for i, (label, text) in enumerate(sources.items())}
        servers = {}
        for i, (label, kernel_fork) in enumerate(versions.items()):
            servers[label] = kernel_fork.ForkServer(os.path.join(folder, f"s{i}"), env=env)
            if not servers[label].start():
                sys.exit(f"{label}: the template did not start: {servers[label].error}")
        runs = {label: [] for label in versions}
        shutdowns = {label: [] for label in versions}
        cpu = dict.fromkeys(versions, 0.0)
        try:
            done = 0
            while done < args.kernels:
                batch = min(args.round, args.kernels - done)
                for label, kernel_fork in versions.items():
                    before = busy_seconds()
                    for k in range(batch):
                        ran, shut = run_kernel(kernel_fork, servers[label].socket_path, folder, env, f"k{done + k}")
                        runs[label].append(ran)
                        shutdowns[label].append(shut)
                    cpu[label] += busy_seconds() - before
                done += batch
        finally:
            for server in servers.values():
                server.stop()
    print(f"{args.kernels} kernels per version, {args.round} in a row, on {os.cpu_count()} CPUs\n")
    width = max(len("kernel_fork.py"), *map(len, versions))
    header = ("run s", "shut-down s", "longest s", "over 2 s", "busy CPU s per kernel")
    print(f"{'kernel_fork.py':<{width}}  " + "  ".join(header))
    for label in versions:
        cells = (
            f"{statistics.median(runs[label]):.2f}",
            f"{statistics.median(shutdowns[label]):.2f}",
            f"{max(shutdowns[label]):.2f}",
            str(sum(s > 2 for s in shutdowns[label])),
            f"{cpu[label] / args.kernels:.2f}",
        )
        row = (cell.rjust(len(title)) for cell, title in zip(cells, header, strict=True))
        print(f"{label:<{width}}  " + "  ".join(row))
    print("\n(run s: from the kernel's start to its last cell, median; shut-down s: median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
