"""The ``nnbook`` command: ``nnbook info`` and ``nnbook train``."""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO

__all__ = ["main"]

LEVELS = ("scratch", "autograd", "module", "optim")


SEED_LIMIT = 2**63
MAX_EPOCHS = 1_000_000
MAX_HIDDEN = 10_000
MAX_N = 1_000_000
MAX_LR = 10.0
# The hidden layer holds n x hidden numbers (4 bytes each), three times over during training.
MAX_CELLS = 100_000_000


def _int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, written without exponent or point."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high:,}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high:,}, got {text}")
        return value

    return parse


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0 and <= {MAX_LR:g}, got {text!r}") from None
    if not 0 < value <= MAX_LR:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected a number > 0 and <= {MAX_LR:g}, got {text}")
    return value


EXIT_USAGE = 2
"""Exit status of a user's error: a bad argument or a bad ``$NNBOOK_DEVICE``."""
EXIT_FAILED = 1
"""Exit status of a run that failed (the training diverged)."""
EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C: 128 + SIGINT, as a shell reports a program that SIGINT stopped."""
EXIT_CLOSED_PIPE = 141
"""Exit status when the reader of the output went away (``nnbook info | head -1``): 128 + SIGPIPE, as for ``cat``."""


class UsageError(SystemExit):
    """A user's error, as one line for standard error; a ``SystemExit`` with status 2.

    `build_parser`'s parsers raise it instead of printing the usage and exiting,
    so that `main` prints the one line to its ``err`` stream and returns 2.
    """

    def __init__(self, line: str) -> None:
        super().__init__(EXIT_USAGE)
        self.line = line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block (which runs to several lines for train): it says what is
        # wrong and where the options are listed.
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nnbook", description="Helpers from the book 'Neural networks from first principles'.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{info,train}")
    commands.add_parser("info", help="versions of Python, torch and nnbook, devices found, CPU threads")
    train = commands.add_parser(
        "train",
        help="train the book's two-layer network on simulated data",
        description=(
            "Train the book's regression network (3 -> hidden -> 1) on simulated data at one level of help from torch."
        ),
    )
    train.add_argument("--level", choices=LEVELS, default="optim", help="which trainer (default: optim)")
    train.add_argument("--epochs", type=_int_in(1, MAX_EPOCHS), default=200, help="passes over the data (default: 200)")
    train.add_argument(
        "--lr",
        type=_learning_rate,
        default=None,
        help=f"learning rate, > 0 and <= {MAX_LR:g} (default: the level's own, as in its chapter)",
    )
    train.add_argument("--hidden", type=_int_in(1, MAX_HIDDEN), default=32, help="hidden units (default: 32)")
    train.add_argument("--n", type=_int_in(1, MAX_N), default=100, help="observations to simulate (default: 100)")
    train.add_argument(
        "--seed",
        type=_int_in(0, SEED_LIMIT - 1),
        default=0,
        help="seed for the data and the starting weights, 0 to 2**63 - 1 (default: 0)",
    )
    train.add_argument(
        "--device", default=None, help="cpu, cuda, cuda:1, mps (default: the best available, or $NNBOOK_DEVICE)"
    )
    train.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")
    train.set_defaults(subparser=train)  # so that errors found later print this command's usage
    return parser


def info(out: TextIO) -> int:
    import torch

    from . import __version__
    from .device import DEVICE_ENV_VAR, available_devices, best_device

    system = f"{platform.python_implementation()}, {platform.system()} {platform.machine()}"
    print(f"python   {platform.python_version()} ({system})", file=out)
    print(f"torch    {torch.__version__}", file=out)
    print(f"nnbook   {__version__}", file=out)
    print(f"devices  {', '.join(str(d) for d in available_devices())}", file=out)
    try:
        best = best_device()
    except (ValueError, TypeError) as error:  # only $NNBOOK_DEVICE can be wrong here: the user's error
        raise UsageError(f"nnbook info: error: {error} (unset {DEVICE_ENV_VAR} or fix it)") from None
    print(f"best     {best}", file=out)
    print(f"threads  {torch.get_num_threads()} (CPU threads torch uses)", file=out)
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            print(f"cuda:{i}   {torch.cuda.get_device_name(i)}", file=out)
    return 0


def _progress_bar(total: int, stream: TextIO):
    """tqdm's bar on a terminal; nothing when ``stream`` is a file or a pipe, so logs stay short."""
    from tqdm import tqdm

    # disable=None: tqdm draws only when the stream is a terminal.
    return tqdm(total=total, file=stream, disable=None, unit="epoch", desc="training", dynamic_ncols=True, leave=True)


def train(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO, err: TextIO) -> int:
    from .data import simulate_regression
    from .device import DEVICE_ENV_VAR, best_device
    from .trainers import TRAINERS, TrainingDivergedError

    if args.n * args.hidden > MAX_CELLS:
        parser.error(
            f"argument --hidden: --n {args.n} with --hidden {args.hidden} makes a hidden layer of "
            f"{args.n * args.hidden:,} numbers; at most {MAX_CELLS:,} are allowed"
        )
    try:
        device = best_device(args.device)
    except (ValueError, TypeError) as error:
        # Blame the flag only when the device came from it, not from the environment variable.
        parser.error(
            f"argument --device: {error}" if args.device is not None else f"{error} (unset {DEVICE_ENV_VAR} or fix it)"
        )
    x, y = simulate_regression(n=args.n, seed=args.seed)
    kwargs = {"d_hidden": args.hidden, "epochs": args.epochs, "seed": args.seed, "device": device, "log_every": 0}
    if args.lr is not None:
        kwargs["lr"] = args.lr
    bar = None if args.no_progress else _progress_bar(args.epochs, err)
    done: list[tuple[int, float]] = []  # the last finished epoch and its loss, for a message on Ctrl-C

    def on_epoch(epoch: int, loss: float) -> None:
        done[:] = [(epoch, loss)]
        if bar is not None:
            bar.set_postfix(loss=f"{loss:.6g}", refresh=False)
            bar.update(1)

    kwargs["on_epoch"] = on_epoch
    try:
        result = TRAINERS[args.level](x, y, **kwargs)
    except TrainingDivergedError as error:
        if bar is not None:
            bar.close()
        print(f"nnbook train: {error}", file=err)
        return EXIT_FAILED
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        reached = f"after epoch {done[0][0]} of {args.epochs} (loss {done[0][1]:.6g})" if done else "before epoch 1"
        print(f"nnbook train: interrupted {reached}; the {args.level} run was stopped and nothing saved", file=err)
        return EXIT_INTERRUPTED
    if bar is not None:
        bar.close()
    print(
        f"level {result.level}  device {result.device}  epochs {result.epochs}  seconds {result.seconds:.3f}", file=out
    )
    print(f"final loss ({result.loss}) {result.final_loss:.6g}", file=out)
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit status.

    A user's error (a bad argument, a bad ``$NNBOOK_DEVICE``) is one line on
    ``err`` and status 2; a failed run, status 1; Ctrl-C, one line saying what
    was done and status 130; a reader that closes the pipe (``nnbook info |
    head -1``) ends the command quietly with status 141. ``--help`` prints the
    help and raises ``SystemExit(0)``, as argparse does.

    Examples:
        >>> import io
        >>> out = io.StringIO()
        >>> main(["info"], out=out)
        0
        >>> out.getvalue().splitlines()[2].startswith("nnbook")
        True
    """
    if argv is not None and (
        isinstance(argv, (str, bytes)) or not isinstance(argv, Sequence) or not all(isinstance(a, str) for a in argv)
    ):
        raise TypeError(
            f"argv must be a list of strings such as ['train', '--epochs', '50'], or None, got {argv!r:.60}"
        )
    for name, stream in (("out", out), ("err", err)):
        if stream is not None and not callable(getattr(stream, "write", None)):
            raise TypeError(
                f"{name} must be a text stream such as sys.stdout or io.StringIO(), or None, got {stream!r:.60}"
            )
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        try:
            args = build_parser().parse_args(None if argv is None else list(argv))
            status = info(out) if args.command == "info" else train(args, args.subparser, out, err)
            out.flush()  # here, not at exit: a closed pipe is seen while it can still be handled
        except UsageError as error:
            print(error.line, file=err)
            return EXIT_USAGE
        except KeyboardInterrupt:  # outside a training run (while importing torch, say)
            print("nnbook: interrupted", file=err)
            return EXIT_INTERRUPTED
    except BrokenPipeError:
        _drop_output(out)
        return EXIT_CLOSED_PIPE
    return status


def _drop_output(out: TextIO) -> None:
    """Point ``out``'s file at the null device, so that Python's final flush at exit finds no closed pipe."""
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError and a ValueError
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


if __name__ == "__main__":
    sys.exit(main())
