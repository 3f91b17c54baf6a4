"""Tests that kill mutants which survived `tools/mutation.sh 'nnbook.trainers.*'`.

Most drive `nnbook.trainers.common.Run`, the trainers' shared machinery (a public
submodule), directly: one recorded loss or one validation pass is enough to see what
it does with it, without a training run.
"""

import re
import time

import matplotlib.pyplot as plt
import pytest
import torch

import nnbook
from nnbook.backprop import init_params, predict
from nnbook.trainers.common import Run, TrainingDivergedError, seeded_module

TRAINERS = [nnbook.train_scratch, nnbook.train_autograd, nnbook.train_module, nnbook.train_optim]


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def make_run(x=None, y=None, **overrides) -> Run:
    """A Run with the arguments a trainer passes, ``overrides`` replacing some."""
    if x is None:
        x, y = nnbook.simulate_regression(n=10, seed=0)
    arguments = {"d_hidden": 4, "epochs": 1, "lr": 0.1, "loss": "mse", "seed": 0, "log_every": 0}
    arguments = {"device": None, "on_epoch": None, "optimizer": None, **arguments, **overrides}
    return Run(arguments.pop("level", "scratch"), x, y, **arguments)


def params_for(run: Run, fill: float | None = None) -> dict[str, torch.Tensor]:
    params = init_params(run.d_in, run.d_hidden, run.d_out, seed=0)
    if fill is not None:
        params = {name: torch.full_like(p, fill) for name, p in params.items()}
    return params


@pytest.mark.parametrize("train", TRAINERS, ids=lambda f: f.__name__)
def test_the_documented_defaults_train_200_epochs_and_log_every_10th(train, capsys):
    x, y = nnbook.simulate_regression(n=20, seed=0)
    result = train(x, y)
    assert result.epochs == 200
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 20
    assert lines[0].startswith("epoch   10   loss ") and lines[-1].startswith("epoch  200   loss ")


def test_log_every_none_prints_nothing(capsys):
    x, y = nnbook.simulate_regression(n=10, seed=0)
    nnbook.train_scratch(x, y, epochs=3, log_every=None)
    assert capsys.readouterr().out == ""


def test_the_log_line_is_exactly_epoch_and_loss(capsys):
    run = make_run(log_every=1)
    list(run.batches())
    run.record(1, 0.5)
    run.end_epoch(1, params_for(run))
    assert capsys.readouterr().out == "epoch    1   loss 0.5\n"


def test_a_float_loss_is_recorded_and_bad_losses_are_named():
    run = make_run()
    run.record(1, 0.25)
    run.end_epoch(1, params_for(run))
    assert run.losses == [0.25]
    with pytest.raises(ValueError, match=exactly("loss must hold one number, got a tensor of shape (2,)")):
        run.record(1, torch.ones(2))
    with pytest.raises(TypeError, match=exactly("loss must be a one-number tensor or a float, got str '0.5'")):
        run.record(1, "0.5")
    with pytest.raises(TypeError, match=exactly("loss must be a real number, got (1+2j)")):
        run.record(1, torch.tensor(1 + 2j))


@pytest.mark.parametrize(("loss", "expected"), [("mse", (1.0 * 6 + 3.0 * 4) / 10), ("sse", 1.0 + 3.0)])
def test_two_batches_make_one_epoch_loss(loss, expected):
    """Batches of 6 and 4 rows: the epoch's loss weighs both batch losses (mse) or adds them (sse)."""
    run = make_run(loss=loss, batch_size=6)
    rows = []
    for batch_loss, (x_batch, _) in zip((1.0, 3.0), run.batches(), strict=True):
        rows.append(len(x_batch))
        run.record(1, batch_loss)
    assert rows == [6, 4]
    run.end_epoch(1, params_for(run))
    assert run.losses == [expected]


def test_a_tie_in_validation_loss_keeps_the_earlier_best_epoch():
    x, y = nnbook.simulate_regression(n=10, seed=0)
    run = make_run(x, y, x_val=x, y_val=y)
    params = params_for(run)
    for epoch in (1, 2):
        run.record(epoch, 1.0)
        run.end_epoch(epoch, params)  # the same network: the same validation loss
    assert run.val_losses[0] == run.val_losses[1] and run.best_epoch == 1


def test_a_diverging_validation_loss_names_the_epoch_and_the_cure():
    x, y = nnbook.simulate_regression(n=10, seed=0)
    run = make_run(x, y, x_val=x, y_val=y, lr=0.5)
    run.record(1, 1.0)
    message = (
        "the scratch trainer's validation loss became inf after epoch 1 with lr=0.5; "
        "the updates overshoot: try a smaller learning rate, such as lr=0.05"
    )
    with pytest.raises(TrainingDivergedError, match=exactly(message)):
        run.end_epoch(1, params_for(run, fill=1e30))


def test_adams_float16_advice_is_for_adam_only():
    x, y = (t.half() for t in nnbook.simulate_regression(n=10, seed=0))
    adam = make_run(x, y, level="optim", optimizer="adam")
    with pytest.raises(TrainingDivergedError) as raised:
        adam.record(3, float("nan"))
    assert str(raised.value) == (
        "the optim trainer's loss became nan at epoch 3 with lr=0.1; Adam's eps (1e-8) rounds to 0 in torch.float16, "
        "so its update divides 0 by 0 whatever the learning rate; train in float32 (x.float(), y.float())"
    )
    sgd = make_run(x, y, level="optim", optimizer="sgd")
    with pytest.raises(TrainingDivergedError, match=r"try a smaller learning rate, such as lr=0\.01$"):
        sgd.record(3, float("nan"))


def test_the_optimizer_is_checked_at_the_optim_level_and_wherever_given():
    with pytest.raises(TypeError, match=r"^optimizer must be"):
        make_run(level="optim", optimizer=None)
    with pytest.raises(ValueError, match=r"^optimizer must be one of"):
        make_run(level="scratch", optimizer="lbfgs")


def test_exactly_max_units_columns_are_allowed():
    most = 100_000  # nnbook's documented limit on a layer's units
    wide_x, wide_y = torch.zeros(2, most), torch.zeros(2, 1)
    assert make_run(wide_x, wide_y, d_hidden=1).d_in == most
    assert make_run(torch.zeros(2, 1), torch.zeros(2, most), d_hidden=1).d_out == most
    with pytest.raises(ValueError, match=r"^x and y must have at most 100000 columns each"):
        make_run(torch.zeros(2, most + 1), wide_y, d_hidden=1)


def test_callback_errors_show_the_signature_expected():
    with pytest.raises(TypeError, match=exactly("on_epoch must be a function (epoch, loss) -> None, got int 3")):
        make_run(on_epoch=3)
    with pytest.raises(TypeError, match=exactly("build must be a function () -> nn.Module, got int 3")):
        seeded_module(3, seed=0)
    with pytest.raises(TypeError, match=exactly("build must return an nn.Module, got int 3")):
        seeded_module(lambda: 3, seed=0)


def test_finish_names_what_is_missing_or_wrong():
    run = make_run()
    params = params_for(run)
    with pytest.raises(TypeError, match=exactly("model must be a torch.nn.Module or None, got int 3")):
        run.finish(model=3)
    with pytest.raises(TypeError, match=exactly("predict must be a function x -> y_pred, got int 3")):
        run.finish(params, predict=3)
    with pytest.raises(TypeError, match=exactly("finish needs params (with predict) or model; got neither")):
        run.finish()
    message = "finish needs predict (a function x -> y_pred) with params, or model; got neither"
    with pytest.raises(TypeError, match=exactly(message)):
        run.finish(params)
    message = "finish was called before any epoch was recorded (call record first)"
    with pytest.raises(ValueError, match=exactly(message)):
        run.finish(params, predict=lambda x: predict(x, params))


def test_seconds_is_the_time_of_the_loop_within_the_call():
    x, y = nnbook.simulate_regression(n=10, seed=0)
    before = time.perf_counter()
    result = nnbook.train_scratch(x, y, epochs=2, log_every=0)
    assert 0 < result.seconds <= time.perf_counter() - before


def test_predict_errors_name_the_shape_expected():
    x, y = nnbook.simulate_regression(n=10, seed=0)
    result = nnbook.train_scratch(x, y, epochs=1, log_every=0, d_hidden=5)  # d_hidden differs from d_in (3)
    with pytest.raises(ValueError, match=exactly("x must have shape (n, d_in), got shape (3,)")):
        result.predict(x[0])
    with pytest.raises(ValueError, match=exactly("x must have 3 columns, as in training, got shape (10, 2)")):
        result.predict(x[:, :2])


def test_the_repr_shows_the_best_validation_epoch_and_nothing_without_one():
    x, y = nnbook.simulate_regression(n=10, seed=0)
    plain = nnbook.train_scratch(x, y, epochs=3, log_every=0)
    assert repr(plain) == (
        f"TrainResult(level='scratch', epochs=3, final_loss={plain.final_loss:.6g}, loss='sse', device='cpu')"
    )
    # A learning rate at which the validation loss grows: the best epoch is the first, not the last,
    # and the three validation losses differ, so the repr shows the best one and no other.
    watched = nnbook.train_scratch(x, y, epochs=3, log_every=0, lr=0.05, x_val=x, y_val=y)
    best = watched.val_losses[0]
    assert watched.best_epoch == 1 and best < watched.val_losses[1] < watched.val_losses[2]
    assert repr(watched) == (
        f"TrainResult(level='scratch', epochs=3, final_loss={watched.final_loss:.6g}, "
        f"best_epoch={watched.best_epoch}, best_val_loss={best:.6g}, loss='sse', device='cpu')"
    )


def test_plot_losses_draws_on_the_axes_given_with_its_scale_and_label():
    x, y = nnbook.simulate_regression(n=10, seed=0)
    result = nnbook.train_scratch(x, y, epochs=3, log_every=0)
    figure, (ax, default_ax) = plt.subplots(1, 2)
    try:
        assert result.plot_losses(ax, log_y=True) is ax
        assert ax.get_yscale() == "log" and ax.get_ylabel() == "training loss (sse)"
        assert result.plot_losses(default_ax).get_yscale() == "linear"  # log_y defaults to False
    finally:
        plt.close(figure)
