"""The nnbook command line, end to end."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
import torch

from nnbook import __version__
from nnbook.cli import ProgressBar, main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnbook.cli", *args], capture_output=True, text=True, timeout=120)


def test_info_lists_versions_and_devices():
    done = run_cli("info")
    assert done.returncode == 0, done.stderr
    assert f"nnbook   {__version__}" in done.stdout
    assert f"torch    {torch.__version__}" in done.stdout
    assert "devices  " in done.stdout and "cpu" in done.stdout
    assert "threads  " in done.stdout


@pytest.mark.parametrize("level", ["scratch", "autograd", "module", "optim"])
def test_train_each_level(level):
    done = run_cli("train", "--level", level, "--epochs", "20", "--hidden", "8", "--seed", "1", "--device", "cpu")
    assert done.returncode == 0, done.stderr
    assert f"level {level}  device cpu  epochs 20" in done.stdout
    assert "final loss" in done.stdout
    assert "[100%] epoch 20/20" in done.stderr  # progress, one line per 10% when not on a terminal


def test_progress_bar_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    bar = ProgressBar(4, stream, width=8)
    for epoch in range(1, 5):
        bar(epoch, 1.0 / epoch)
    assert stream.getvalue().endswith("\r[########] epoch 4/4  loss 0.25\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--level", "magic"], "invalid choice: 'magic'"),
        (["train", "--epochs", "0"], "argument --epochs: expected a whole number >= 1, got 0"),
        (["train", "--lr", "-1"], "argument --lr: expected a finite number > 0, got -1"),
        (["train", "--hidden", "many"], "argument --hidden: expected a whole number >= 1, got 'many'"),
        (["train", "--device", "cuda:42"], "argument --device: device 'cuda:42' was requested"),
        (["fly"], "invalid choice: 'fly'"),
        ([], "the following arguments are required"),
    ],
)
def test_bad_arguments_exit_2_with_usage(args, message):
    done = run_cli(*args)
    assert done.returncode == 2
    assert "usage: nnbook" in done.stderr
    assert message in done.stderr


def test_divergence_exits_1_with_advice():
    out, err = io.StringIO(), io.StringIO()
    status = main(["train", "--level", "scratch", "--lr", "10", "--no-progress"], out=out, err=err)
    assert status == 1
    assert "smaller learning rate" in err.getvalue()


def test_console_script_is_declared():
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "nnbook"]
    assert script.value == "nnbook.cli:main"
