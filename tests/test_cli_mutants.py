"""Tests that kill mutants which survived `tools/mutation.sh 'nnbook.cli.*'`, in this process.

The help text is the command line's documentation (the README sends readers to
``nnbook train --help`` for each option's range), so it is pinned whole here.
"""

import argparse
import io
import re

import pytest
import torch

import nnbook
from nnbook.cli import MAX_LR, _int_in, _learning_rate, build_parser, main

MAIN_HELP = """\
usage: nnbook [-h] {info,train} ...

Helpers from the book 'Neural networks from first principles'.

positional arguments:
  {info,train}
    info        versions of Python, torch and nnbook, devices found, CPU threads
    train       train the book's two-layer network on simulated data

options:
  -h, --help    show this help message and exit
"""

TRAIN_HELP = """\
usage: nnbook train [-h] [--level {scratch,autograd,module,optim}] [--epochs EPOCHS] [--lr LR]
                    [--hidden HIDDEN] [--n N] [--seed SEED] [--device DEVICE] [--no-progress]

Train the book's regression network (3 -> hidden -> 1) on simulated data at one level of help from
torch.

options:
  -h, --help            show this help message and exit
  --level {scratch,autograd,module,optim}
                        which trainer (default: optim)
  --epochs EPOCHS       passes over the data (default: 200)
  --lr LR               learning rate, > 0 and <= 10 (default: the level's own, as in its chapter)
  --hidden HIDDEN       hidden units (default: 32)
  --n N                 observations to simulate (default: 100)
  --seed SEED           seed for the data and the starting weights, 0 to 2**63 - 1 (default: 0)
  --device DEVICE       cpu, cuda, cuda:1, mps (default: the best available, or $NNBOOK_DEVICE)
  --no-progress         do not draw the progress bar
"""


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_the_help_says_what_each_option_takes(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps at the terminal's width
    parser = build_parser()
    assert parser.format_help() == MAIN_HELP
    assert parser.parse_args(["train"]).subparser.format_help() == TRAIN_HELP


def test_the_documented_defaults_are_the_ones_used():
    args = vars(build_parser().parse_args(["train"]))
    del args["subparser"]
    assert args == {
        "command": "train", "level": "optim", "epochs": 200, "lr": None, "hidden": 32, "n": 100, "seed": 0,
        "device": None, "no_progress": False,
    }  # fmt: skip


def test_each_range_includes_its_ends():
    parse = build_parser().parse_args
    ends = parse(["train", "--hidden", "1", "--n", "1", "--seed", "0", "--epochs", "1"])
    assert (ends.hidden, ends.n, ends.seed, ends.epochs) == (1, 1, 0, 1)
    assert parse(["train", "--seed", str(2**63 - 1)]).seed == 2**63 - 1
    assert _int_in(1, 5)("5") == 5 and _learning_rate("0.5") == 0.5 and _learning_rate(str(MAX_LR)) == MAX_LR
    for text in ("0", "6"):
        with pytest.raises(argparse.ArgumentTypeError, match=rf"^expected a whole number from 1 to 5, got {text}$"):
            _int_in(1, 5)(text)
    with pytest.raises(argparse.ArgumentTypeError, match=r"^expected a whole number from 1 to 5, got 'x'$"):
        _int_in(1, 5)("x")
    with pytest.raises(argparse.ArgumentTypeError, match=r"^expected a number > 0 and <= 10, got 0$"):
        _learning_rate("0")
    with pytest.raises(argparse.ArgumentTypeError, match=r"^expected a number > 0 and <= 10, got 'fast'$"):
        _learning_rate("fast")
    for too_many in (["--seed", str(2**63)], ["--hidden", "10001"]):
        with pytest.raises(SystemExit):
            parse(["train", *too_many])


def test_info_prints_every_line_to_the_stream_given(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: f"Card {i}")
    out = io.StringIO()
    assert main(["info"], out=out) == 0
    lines = out.getvalue().splitlines()
    assert [line[:9] for line in lines[:6]] == [
        "python   ",
        "torch    ",
        "nnbook   ",
        "devices  ",
        "best     ",
        "threads  ",
    ]
    assert lines[1:] == [
        f"torch    {torch.__version__}", f"nnbook   {nnbook.__version__}", "devices  cuda:0, cuda:1, cpu",
        "best     cuda:0", f"threads  {torch.get_num_threads()} (CPU threads torch uses)", "cuda:0   Card 0",
        "cuda:1   Card 1",
    ]  # fmt: skip
    assert re.fullmatch(r"python   \d+\.\d+\.\d+\S* \(\w+, \w+ \S+\)", lines[0])
    assert capsys.readouterr().out == ""  # nothing went to sys.stdout


def test_train_prints_its_two_lines_to_out_and_the_bar_to_err(capsys):
    out, err = io.StringIO(), Tty()
    assert (
        main(["train", "--level", "scratch", "--epochs", "3", "--seed", "2", "--device", "cpu"], out=out, err=err) == 0
    )
    x, y = nnbook.simulate_regression(n=100, seed=2)
    expected = nnbook.train_scratch(x, y, epochs=3, seed=2, log_every=0)
    level_line, loss_line = out.getvalue().splitlines()
    assert re.fullmatch(r"level scratch  device cpu  epochs 3  seconds \d+\.\d{3}", level_line)
    assert loss_line == f"final loss (sse) {expected.final_loss:.6g}"
    bar = err.getvalue()
    assert bar.startswith("\rtraining:") and "3/3" in bar and "epoch/s" in bar
    assert f"loss={expected.final_loss:.6g}]" in bar
    assert capsys.readouterr().out == ""  # no epoch lines: the trainer logs nothing itself


def test_no_progress_draws_nothing_even_on_a_terminal():
    out, err = io.StringIO(), Tty()
    assert main(["train", "--level", "scratch", "--epochs", "2", "--no-progress"], out=out, err=err) == 0
    assert err.getvalue() == "" and len(out.getvalue().splitlines()) == 2


def test_a_hidden_layer_too_large_names_its_size(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--n", "20000", "--hidden", "5001"], out=io.StringIO(), err=io.StringIO())
    message = "argument --hidden: --n 20000 with --hidden 5001 makes a hidden layer of 100,020,000 numbers; "
    assert f"error: {message}at most 100,000,000 are allowed\n" in capsys.readouterr().err


def test_a_bad_device_flag_is_blamed_on_the_flag(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--device", "cuda:7"], out=io.StringIO(), err=io.StringIO())
    stderr = capsys.readouterr().err
    assert "error: argument --device: device 'cuda:7' was requested" in stderr and "NNBOOK_DEVICE" not in stderr
