"""The ``nnbook`` command: ``nnbook info`` and ``nnbook train``."""

from __future__ import annotations

import argparse
import platform
import sys
from typing import Sequence, TextIO

__all__ = ["main"]

LEVELS = ("scratch", "autograd", "module", "optim")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nnbook", description="Helpers from the book 'Neural networks from first principles'.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{info,train}")
    commands.add_parser("info", help="versions of Python, torch and nnbook, devices found, CPU threads")
    train = commands.add_parser(
        "train",
        help="train the book's two-layer network on simulated data",
        description="Train the book's regression network (3 -> hidden -> 1) on simulated data at one level of help from torch.",
    )
    train.add_argument("--level", choices=LEVELS, default="optim", help="which trainer (default: optim)")
    train.add_argument("--epochs", type=_positive_int, default=200, help="passes over the data (default: 200)")
    train.add_argument("--lr", type=_positive_float, default=None, help="learning rate (default: the level's own, as in its chapter)")
    train.add_argument("--hidden", type=_positive_int, default=32, help="hidden units (default: 32)")
    train.add_argument("--n", type=_positive_int, default=100, help="observations to simulate (default: 100)")
    train.add_argument("--seed", type=int, default=0, help="seed for the data and the starting weights (default: 0)")
    train.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: the best available, or $NNBOOK_DEVICE)")
    train.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")
    train.set_defaults(subparser=train)  # so that errors found later print this command's usage
    return parser


def info(out: TextIO) -> int:
    import torch

    from . import __version__
    from .device import available_devices, best_device

    print(f"python   {platform.python_version()} ({platform.python_implementation()}, {platform.system()} {platform.machine()})", file=out)
    print(f"torch    {torch.__version__}", file=out)
    print(f"nnbook   {__version__}", file=out)
    print(f"devices  {', '.join(str(d) for d in available_devices())}", file=out)
    print(f"best     {best_device()}", file=out)
    print(f"threads  {torch.get_num_threads()} (CPU threads torch uses)", file=out)
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            print(f"cuda:{i}   {torch.cuda.get_device_name(i)}", file=out)
    return 0


class ProgressBar:
    """A one-line progress bar on a terminal; a line every 10% elsewhere (logs, pipes)."""

    def __init__(self, total: int, stream: TextIO, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.live = hasattr(stream, "isatty") and stream.isatty()
        self.step = max(1, total // 10)

    def __call__(self, epoch: int, loss: float) -> None:
        if self.live:
            done = round(self.width * epoch / self.total)
            bar = "#" * done + "." * (self.width - done)
            self.stream.write(f"\r[{bar}] epoch {epoch}/{self.total}  loss {loss:.6g}")
            if epoch == self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif epoch % self.step == 0 or epoch == self.total:
            self.stream.write(f"[{100 * epoch // self.total:3d}%] epoch {epoch}/{self.total}  loss {loss:.6g}\n")


def train(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO, err: TextIO) -> int:
    from .data import simulate_regression
    from .device import best_device
    from .trainers import TRAINERS, TrainingDivergedError

    try:
        device = best_device(args.device)
    except (ValueError, TypeError) as error:
        parser.error(f"argument --device: {error}")
    x, y = simulate_regression(n=args.n, seed=args.seed)
    kwargs = {"d_hidden": args.hidden, "epochs": args.epochs, "seed": args.seed, "device": device, "log_every": 0}
    if args.lr is not None:
        kwargs["lr"] = args.lr
    if not args.no_progress:
        kwargs["on_epoch"] = ProgressBar(args.epochs, err)
    try:
        result = TRAINERS[args.level](x, y, **kwargs)
    except TrainingDivergedError as error:
        print(f"nnbook train: {error}", file=err)
        return 1
    print(f"level {result.level}  device {result.device}  epochs {result.epochs}  seconds {result.seconds:.3f}", file=out)
    print(f"final loss ({result.loss}) {result.final_loss:.6g}", file=out)
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (a bad argument exits with status 2).

    Examples:
        >>> import io
        >>> out = io.StringIO()
        >>> main(["info"], out=out)
        0
        >>> out.getvalue().splitlines()[2].startswith("nnbook")
        True
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "info":
        return info(out)
    return train(args, args.subparser, out, err)


if __name__ == "__main__":
    sys.exit(main())
