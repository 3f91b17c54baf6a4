"""The nnbook command line, end to end."""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys

import pytest
import torch

import nnbook
from nnbook import __version__
from nnbook.cli import MAX_LR, _int_in, _learning_rate, _progress_bar, build_parser, main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnbook.cli", *args], capture_output=True, text=True, timeout=120)


def test_info_lists_versions_and_devices(capsys):
    # In this process, printing to sys.stdout (out=None); the fresh-process tests below run `python -m nnbook.cli`.
    assert main(["info"]) == 0
    stdout = capsys.readouterr().out
    assert f"nnbook   {__version__}" in stdout
    assert f"torch    {torch.__version__}" in stdout
    assert "devices  " in stdout and "cpu" in stdout
    assert "threads  " in stdout


@pytest.mark.parametrize("level", ["scratch", "autograd", "module", "optim"])
def test_train_each_level(level):
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["train", "--level", level, "--epochs", "20", "--hidden", "8", "--seed", "1", "--device", "cpu"],
        out=out,
        err=err,
    )
    assert status == 0, err.getvalue()
    assert f"level {level}  device cpu  epochs 20" in out.getvalue()
    assert "final loss" in out.getvalue()
    assert err.getvalue() == ""  # not a terminal: no progress bar, so a log stays short


def test_output_piped_to_a_file_stays_short(tmp_path):
    # Two epochs are enough: a bar drawn on a file writes "\r" at its first update and at its
    # close, whatever the number of epochs (checked by forcing disable=False). The scratch level
    # keeps the fresh process cheap (the first torch.optim step of a process imports torch._dynamo).
    log = tmp_path / "train.log"
    with log.open("w") as handle:
        done = subprocess.run(
            [sys.executable, "-m", "nnbook.cli", "train", "--level", "scratch", "--epochs", "2", "--device", "cpu"],
            stdout=handle,
            stderr=subprocess.STDOUT,
            timeout=300,
        )
    assert done.returncode == 0
    lines = log.read_text().splitlines()
    assert len(lines) == 2 and lines[0].startswith("level scratch") and "\r" not in log.read_text()
    assert build_parser().parse_args(["train"]).level == "optim"  # the default level


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_is_tqdms_and_draws_only_on_a_terminal():
    from tqdm import tqdm

    stream = Tty()
    bar = _progress_bar(4, stream)
    assert isinstance(bar, tqdm) and not bar.disable
    for _ in range(4):
        bar.set_postfix(loss="0.25", refresh=False)
        bar.update(1)
    bar.close()
    assert "4/4" in stream.getvalue() and "loss=0.25" in stream.getvalue()
    assert _progress_bar(4, io.StringIO()).disable  # a file or a pipe gets no bar


def test_train_draws_tqdms_bar_on_a_terminal():
    out, err = io.StringIO(), Tty()
    assert main(["train", "--level", "scratch", "--epochs", "5", "--device", "cpu"], out=out, err=err) == 0
    assert "5/5" in err.getvalue() and "epoch" in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--level", "magic"], "invalid choice: 'magic'"),
        (["train", "--epochs", "0"], "argument --epochs: expected a whole number from 1 to 1,000,000, got 0"),
        (["train", "--lr", "-1"], "argument --lr: expected a number > 0 and <= 10, got -1"),
        (["train", "--lr", "1e300"], "argument --lr: expected a number > 0 and <= 10, got 1e300"),
        (["train", "--lr", "nan"], "argument --lr: expected a number > 0 and <= 10, got nan"),
        (["train", "--hidden", "many"], "argument --hidden: expected a whole number from 1 to 10,000, got 'many'"),
        (
            ["train", "--hidden", "1000000000000"],
            "argument --hidden: expected a whole number from 1 to 10,000, got 1000000000000",
        ),
        (["train", "--hidden", "1e12"], "argument --hidden: expected a whole number from 1 to 10,000, got '1e12'"),
        (["train", "--n", "1000000", "--hidden", "10000"], "argument --hidden: --n 1000000 with --hidden 10000 makes"),
        (
            ["train", "--seed", "18446744073709551616"],
            "argument --seed: expected a whole number from 0 to 9,223,372,036,854,775,807",
        ),
        (["train", "--seed", "-1"], "argument --seed: expected a whole number from 0"),
        (["train", "--seed", "1.5"], "argument --seed: expected a whole number from 0"),
        (["train", "--device", "cuda:42"], "argument --device: device 'cuda:42' was requested"),
        (["fly"], "invalid choice: 'fly'"),
        ([], "the following arguments are required"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message, capsys):
    # In-process; test_usage_error_in_a_fresh_process covers the real exit.
    out, err = io.StringIO(), io.StringIO()
    assert main(args, out=out, err=err) == 2
    stderr = err.getvalue()
    assert len(stderr.splitlines()) == 1 and stderr.startswith("nnbook") and message in stderr
    assert "--help)" in stderr  # says where the options are listed, in place of argparse's usage block
    assert out.getvalue() == "" and capsys.readouterr() == ("", "")


@pytest.fixture(scope="module")
def usage_error_run() -> subprocess.CompletedProcess:
    """One fresh ``python -X importtime -m nnbook.cli`` with a bad argument, read by the two tests below.

    ``-X importtime`` lists every module the process imports, on stderr. ``-m nnbook.cli``
    imports the ``nnbook`` package (its ``__init__``) before the command line runs, and the
    bad argument stops it before ``train`` imports anything more.
    """
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nnbook.cli", "train", "--seed", "18446744073709551616"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_usage_error_in_a_fresh_process(usage_error_run):
    done = usage_error_run
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert "argument --seed: expected a whole number from 0 to" in line


def test_importing_nnbook_does_not_import_matplotlib(usage_error_run):
    # Moved here from test_public_api.py, so that one fresh Python serves both tests.
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in usage_error_run.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert {"torch", "nnbook"} <= imported  # the list is there and holds the package
    assert not {name for name in imported if name.split(".")[0] == "matplotlib"}


def test_a_bad_device_from_the_environment_is_blamed_on_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("NNBOOK_DEVICE", "cuda:42")
    err = io.StringIO()
    assert main(["train", "--epochs", "1"], out=io.StringIO(), err=err) == 2
    stderr = err.getvalue()
    assert len(stderr.splitlines()) == 1
    assert "error: the environment variable NNBOOK_DEVICE 'cuda:42' was requested" in stderr
    assert "argument --device" not in stderr


def test_a_run_that_diverges_on_its_last_epoch_exits_1():
    """The loss of epoch 2 is finite; only the check after the last update sees the weights overflow."""
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["train", "--level", "scratch", "--lr", "10", "--epochs", "2", "--n", "10000", "--no-progress"],
        out=out,
        err=err,
    )
    assert status == 1 and out.getvalue() == ""
    assert "NaN or infinite in the update of epoch 2" in err.getvalue()


def test_divergence_exits_1_with_advice():
    out, err = io.StringIO(), io.StringIO()
    status = main(["train", "--level", "scratch", "--lr", "10", "--no-progress"], out=out, err=err)
    assert status == 1
    assert "smaller learning rate" in err.getvalue()


def test_console_script_is_declared():
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "nnbook"]
    assert script.value == "nnbook.cli:main"


# --- Behaviours pinned down by mutation testing (tools/mutation.sh) ----------------------------------


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
    err = io.StringIO()
    assert main(["train", "--n", "20000", "--hidden", "5001"], out=io.StringIO(), err=err) == 2
    message = "argument --hidden: --n 20000 with --hidden 5001 makes a hidden layer of 100,020,000 numbers; "
    assert (
        err.getvalue() == f"nnbook train: error: {message}at most 100,000,000 are allowed (see nnbook train --help)\n"
    )


def test_a_bad_device_flag_is_blamed_on_the_flag(capsys):
    err = io.StringIO()
    assert main(["train", "--device", "cuda:7"], out=io.StringIO(), err=err) == 2
    stderr = err.getvalue()
    assert "error: argument --device: device 'cuda:7' was requested" in stderr and "NNBOOK_DEVICE" not in stderr


# --- Faults: every user error one line, a closed pipe, Ctrl-C, python -OO (issue 33) ------------------


def test_a_bad_device_from_the_environment_makes_info_say_one_line(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("NNBOOK_DEVICE", "cuda")
    out, err = io.StringIO(), io.StringIO()
    assert main(["info"], out=out, err=err) == 2
    assert err.getvalue() == (
        "nnbook info: error: the environment variable NNBOOK_DEVICE 'cuda' was requested, but this machine has "
        "0 CUDA device(s); available: cpu (unset NNBOOK_DEVICE or fix it)\n"
    )
    assert [line[:9] for line in out.getvalue().splitlines()] == ["python   ", "torch    ", "nnbook   ", "devices  "]


def test_info_with_a_bad_device_in_a_fresh_process_is_one_line_and_status_2():
    done = subprocess.run(
        [sys.executable, "-m", "nnbook.cli", "info"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NNBOOK_DEVICE": "cuda:99"},
    )
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and "NNBOOK_DEVICE 'cuda:99' was requested" in done.stderr


@pytest.mark.parametrize("args", [["info"], ["train", "--epochs", "2", "--no-progress"]])
def test_a_closed_pipe_ends_quietly(args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command writes anything, as after `| head -1`
    try:
        done = subprocess.run(
            [sys.executable, "-m", "nnbook.cli", *args], stdout=write_end, stderr=subprocess.PIPE, timeout=120
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141 and done.stderr == b""


def test_a_closed_pipe_in_process_returns_141_and_writes_nothing_to_err():
    class Closed(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    err = io.StringIO()
    assert main(["info"], out=Closed(), err=err) == 141 and err.getvalue() == ""


INTERRUPTED_RUN = """
import os, signal, sys
import nnbook.trainers as trainers
from nnbook.cli import main

real = trainers.TRAINERS["scratch"]

def interrupted_at_epoch_3(*args, **kwargs):
    report = kwargs["on_epoch"]

    def on_epoch(epoch, loss):
        report(epoch, loss)
        if epoch == 3:
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C in the terminal sends

    return real(*args, **{**kwargs, "on_epoch": on_epoch})

trainers.TRAINERS["scratch"] = interrupted_at_epoch_3
sys.exit(main(["train", "--level", "scratch", "--epochs", "1000", "--no-progress"]))
"""


def test_ctrl_c_during_train_says_what_was_done_in_one_line_and_exits_130():
    done = subprocess.run([sys.executable, "-c", INTERRUPTED_RUN], capture_output=True, text=True, timeout=120)
    assert done.returncode == 130 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert re.fullmatch(
        r"nnbook train: interrupted after epoch 3 of 1000 \(loss \S+\); the scratch run was stopped and nothing saved",
        line,
    )


def test_ctrl_c_before_the_first_epoch(monkeypatch):
    import nnbook.trainers as trainers

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setitem(trainers.TRAINERS, "scratch", interrupted)
    out, err = io.StringIO(), io.StringIO()
    assert main(["train", "--level", "scratch", "--no-progress"], out=out, err=err) == 130
    assert err.getvalue() == "nnbook train: interrupted before epoch 1; the scratch run was stopped and nothing saved\n"


@pytest.mark.parametrize("args", [["--help"], ["info"], ["train", "--seed", "x"]])
def test_python_OO_without_docstrings_runs_the_command_line(args):
    done = subprocess.run(
        [sys.executable, "-OO", "-m", "nnbook.cli", *args], capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == (2 if "x" in args else 0)


def test_python_OO_imports_every_module_of_the_package():
    modules = "nnbook, nnbook.checkpoint, nnbook.cli, nnbook.plotting, nnbook.distributed, nnbook.benchmark"
    done = subprocess.run(
        [sys.executable, "-OO", "-c", f"import {modules}"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
