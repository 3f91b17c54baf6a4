#!/usr/bin/env python3
"""What each level of convenience costs, and what nnbook's trainers add to it.

Prints, for each trainer level and problem size, the time per epoch of the
nnbook trainer and of the same loop written by hand (nnbook.benchmark), and
their ratio; then the time of `import nnbook` against `import torch`. Writes
the table as JSON and a log-log plot of time per epoch against n and against
the hidden size to benchmarks/results/.

    .venv/bin/python benchmarks/trainer_cost.py            # full grid, a few minutes
    .venv/bin/python benchmarks/trainer_cost.py --quick    # small grid, under a minute

Targets: every ratio within 5% of 1 (trainer <= 1.05 x hand-written) and the
import within 1.1 x of torch's. This script reports; it does not assert: a
shared machine's timings are too noisy for a pass/fail test.

Above about 10,000 observations the tensors are megabytes each, and glibc's
malloc hands such blocks back to the system when they are freed and maps them
afresh (with page faults) when they are needed again. Whether that happens
every epoch depends on the order in which a loop frees its temporaries, so two
loops doing the same arithmetic can differ by 1.5x for a reason that has
nothing to do with their code. `--allocator steady` reruns the script with
glibc's mmap and trim thresholds raised, which removes that effect (and makes
every loop faster); compare both tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path

import torch

import nnbook
from nnbook.benchmark import import_time_ratio, time_levels

RESULTS = Path(__file__).resolve().parent / "results"
# glibc: serve large blocks from the heap and keep freed memory, instead of mmap/munmap per tensor.
STEADY_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "4294967296", "MALLOC_TRIM_THRESHOLD_": "4294967296"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small grid (under a minute)")
    parser.add_argument("--epochs", type=int, default=50, help="epochs per timed run (default 50)")
    parser.add_argument(
        "--repeat", type=int, default=7, help="timed runs per measurement; the fastest counts (default 7)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads while timing (default 1: steadiest)")
    parser.add_argument("--device", default="cpu", help="device to time on (default cpu)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON and the plot")
    parser.add_argument(
        "--allocator",
        choices=["default", "steady"],
        default="default",
        help="steady: keep freed memory in the process (glibc only; see above)",
    )
    args = parser.parse_args()
    if args.allocator == "steady" and STEADY_MALLOC.keys() - os.environ.keys():
        os.execve(sys.executable, [sys.executable, __file__, *sys.argv[1:]], {**os.environ, **STEADY_MALLOC})

    n_grid = [100, 1_000, 10_000] if args.quick else [100, 1_000, 10_000, 100_000]
    hidden_grid = [32, 128] if args.quick else [32, 128, 512]
    sizes = [(n, 32) for n in n_grid] + [(1_000, h) for h in hidden_grid if h != 32]

    print(
        f"python {platform.python_version()}, torch {torch.__version__}, nnbook {nnbook.__version__}, "
        f"device {args.device}, {args.threads} thread(s), {args.epochs} epochs x {args.repeat} runs (fastest counts), "
        f"{args.allocator} allocator"
    )
    timings = time_levels(sizes, epochs=args.epochs, repeat=args.repeat, device=args.device, threads=args.threads)

    print(f"\n{'level':9s} {'n':>7s} {'hidden':>6s} {'trainer µs/epoch':>17s} {'by hand µs/epoch':>17s} {'ratio':>6s}")
    for t in timings:
        flag = "" if t.ratio <= 1.05 else "  (above 1.05)"
        print(
            f"{t.level:9s} {t.n:7d} {t.d_hidden:6d} {t.trainer_seconds_per_epoch * 1e6:17.1f} "
            f"{t.hand_seconds_per_epoch * 1e6:17.1f} {t.ratio:6.3f}{flag}"
        )
    worst = max(timings, key=lambda t: t.ratio)
    print(f"\nlargest ratio: {worst.ratio:.3f} ({worst.level}, n={worst.n}, hidden={worst.d_hidden})")

    ours, theirs, ratio = import_time_ratio()
    print(f"import nnbook {ours * 1e3:.0f} ms, import torch {theirs * 1e3:.0f} ms: ratio {ratio:.3f} (target <= 1.1)")

    args.out.mkdir(parents=True, exist_ok=True)
    record = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "nnbook": nnbook.__version__,
        "device": args.device,
        "threads": args.threads,
        "allocator": args.allocator,
        "epochs": args.epochs,
        "repeat": args.repeat,
        "timings": [asdict(t) | {"ratio": t.ratio} for t in timings],
        "import": {"nnbook_seconds": ours, "torch_seconds": theirs, "ratio": ratio},
    }
    stem = "trainer_cost" if args.allocator == "default" else "trainer_cost_steady"
    (args.out / f"{stem}.json").write_text(json.dumps(record, indent=2))
    plot(timings, args.out / f"{stem}.png")
    print(f"wrote {args.out / f'{stem}.json'} and {args.out / f'{stem}.png'}")
    return 0


def plot(timings, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (by_n, by_hidden) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    for level in nnbook.TRAINERS:
        rows = sorted((t for t in timings if t.level == level and t.d_hidden == 32), key=lambda t: t.n)
        by_n.plot([t.n for t in rows], [t.trainer_seconds_per_epoch for t in rows], "o-", label=level)
        rows = sorted((t for t in timings if t.level == level and t.n == 1_000), key=lambda t: t.d_hidden)
        by_hidden.plot([t.d_hidden for t in rows], [t.trainer_seconds_per_epoch for t in rows], "o-", label=level)
    for ax, label in ((by_n, "observations n (hidden = 32)"), (by_hidden, "hidden units (n = 1000)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("seconds per epoch")
        ax.legend()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
