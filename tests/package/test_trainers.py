"""The four trainers: one shape, the same algorithm, honest errors."""

from __future__ import annotations

import inspect
import re
import time
import types

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import nnbook
from nnbook.backprop import init_params, predict
from nnbook.trainers.common import Run, Settings, TrainingDivergedError, seeded_module

LEVELS = list(nnbook.TRAINERS)


SHARED = [
    "x",
    "y",
    "d_hidden",
    "epochs",
    "lr",
    "loss",
    "seed",
    "log_every",
    "device",
    "on_epoch",
    "batch_size",
    "x_val",
    "y_val",
    "patience",
]


@pytest.fixture(scope="module")
def data():
    return nnbook.simulate_regression(n=100, seed=0)


def test_trainers_share_one_signature():
    for level, trainer in nnbook.TRAINERS.items():
        names = list(inspect.signature(trainer).parameters)
        assert names[: len(SHARED)] == SHARED, level
        assert names[len(SHARED) :] == (["optimizer"] if level == "optim" else []), level


@pytest.mark.parametrize("level", LEVELS)
def test_result_shape_and_learning(level, data):
    x, y = data
    seen = []
    result = nnbook.TRAINERS[level](x, y, epochs=30, log_every=0, on_epoch=lambda epoch, loss: seen.append(epoch))
    assert isinstance(result, nnbook.TrainResult)
    assert result.level == level and result.epochs == 30 and len(result.losses) == 30
    assert seen == list(range(1, 31))
    assert result.losses[-1] < result.losses[0]
    assert result.seconds > 0 and result.device == torch.device("cpu")
    assert result.predict(x).shape == y.shape
    assert all(not p.requires_grad for p in result.params.values())


@pytest.mark.parametrize("level", LEVELS)
def test_same_seed_same_run(level, data):
    x, y = data
    a = nnbook.TRAINERS[level](x, y, epochs=5, log_every=0, seed=4)
    b = nnbook.TRAINERS[level](x, y, epochs=5, log_every=0, seed=4)
    assert a.losses == b.losses


def test_logging_every_ten_epochs(data, capsys):
    nnbook.train_scratch(*data, epochs=30)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["10", "20", "30"]


@pytest.mark.parametrize("loss", ["sse", "mse"])
def test_scratch_and_autograd_follow_the_same_path(data, loss):
    x, y = data
    lr = 1e-4 if loss == "sse" else 1e-2
    scratch = nnbook.train_scratch(x, y, epochs=200, lr=lr, loss=loss, log_every=0)
    auto = nnbook.train_autograd(x, y, epochs=200, lr=lr, loss=loss, log_every=0)
    torch.testing.assert_close(torch.tensor(scratch.losses), torch.tensor(auto.losses), rtol=1e-4, atol=0)
    for name in scratch.params:
        torch.testing.assert_close(scratch.params[name], auto.params[name], rtol=1e-4, atol=1e-5)


def test_module_update_equals_optim_sgd(data):
    """A manual update under no_grad is exactly what torch.optim.SGD does."""
    x, y = data
    manual = nnbook.train_module(x, y, epochs=50, lr=1e-4, loss="sse", log_every=0)
    sgd = nnbook.train_optim(x, y, epochs=50, lr=1e-4, loss="sse", optimizer="sgd", log_every=0)
    torch.testing.assert_close(torch.tensor(manual.losses), torch.tensor(sgd.losses), rtol=1e-5, atol=0)


def test_adam_network_close_to_least_squares_on_source_004_setting():
    x, y = nnbook.simulate_regression(n=200, seed=0)
    net = nnbook.train_optim(x, y, epochs=200, log_every=0)
    ols = nnbook.fit_least_squares(x, y)
    sse_net = nnbook.sse(net.predict(x), y)
    sse_ols = nnbook.sse(ols.predict(x), y)
    # The network is not linear, so it may end a little below OLS on its training data: no ordering is
    # asserted, only closeness. The band means something because predicting the mean is far outside it.
    assert abs(sse_net - sse_ols) / sse_ols < 0.05
    assert nnbook.sse(y.mean().expand_as(y), y) > 2 * sse_ols


@pytest.mark.parametrize("level", LEVELS)
def test_divergence_stops_with_a_named_epoch(level, data):
    x, y = data
    with pytest.raises(nnbook.TrainingDivergedError, match=r"at epoch \d+ with lr=1e\+06.*smaller learning rate"):
        nnbook.TRAINERS[level](
            x, y, lr=1e6, epochs=200, log_every=0, optimizer="sgd"
        ) if level == "optim" else nnbook.TRAINERS[level](x, y, lr=1e6, epochs=200, log_every=0)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            {"y": torch.randn(99, 1)},
            ValueError,
            "x and y must have the same number of rows, got x with 100 and y with 99",
        ),
        ({"y": torch.randn(100)}, ValueError, r"y must have shape \(n, d_out\), got shape \(100,\); make it a column"),
        ({"x": torch.randn(100)}, ValueError, r"x must have shape \(n, d_in\), got shape \(100,\)"),
        ({"x": torch.full((100, 3), float("nan"))}, ValueError, "x must hold only finite numbers, found 300 NaN"),
        ({"y": torch.full((100, 1), float("inf"))}, ValueError, "y must hold only finite numbers"),
        ({"x": torch.ones(100, 3, dtype=torch.int64)}, TypeError, "x must be a floating-point tensor"),
        ({"x": [[1.0, 2.0, 3.0]] * 100}, TypeError, "x must be a torch.Tensor, got list"),
        ({"lr": 0.0}, ValueError, r"lr must be a number > 0 and <= 3.40282e\+35, got 0.0"),
        ({"lr": 1e36}, ValueError, r"lr must be a number > 0 and <= 3.40282e\+35, got 1e\+36"),
        ({"lr": -1e-3}, ValueError, "lr must be a number > 0"),
        ({"epochs": 0}, ValueError, "epochs must be an integer from 1 to 10000000, got 0"),
        ({"d_hidden": 0}, ValueError, "d_hidden must be an integer from 1 to 100000, got 0"),
        ({"loss": "mae"}, ValueError, "loss must be one of 'sse', 'mse', got 'mae'"),
        ({"device": "cuda:7"}, ValueError, "device 'cuda:7' was requested"),
        ({"log_every": -1}, ValueError, "log_every must be an integer >= 0"),
    ],
)
def test_bad_input_names_the_argument(level, data, change, error, message):
    kwargs = {"x": data.x, "y": data.y, "epochs": 2, "log_every": 0, **change}
    with pytest.raises(error, match=message):
        nnbook.TRAINERS[level](**kwargs)


def test_optimizer_choice_is_checked(data):
    with pytest.raises(ValueError, match="optimizer must be one of 'adam', 'sgd', got 'rmsprop'"):
        nnbook.train_optim(*data, optimizer="rmsprop", epochs=1)


def test_trainers_leave_global_rng_alone(data):
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    for trainer in nnbook.TRAINERS.values():
        trainer(*data, epochs=1, log_every=0)
    assert torch.equal(torch.rand(3), expected)


def test_plot_losses(data):
    result = nnbook.train_scratch(*data, epochs=20, log_every=0)
    ax = nnbook.plot_losses(result)
    (line,) = ax.get_lines()
    assert list(line.get_ydata()) == result.losses


def test_every_level_returns_the_same_parameter_names_and_shapes(data):
    x, y = data
    shapes = {
        level: {name: tuple(p.shape) for name, p in trainer(x, y, d_hidden=7, epochs=2, log_every=0).params.items()}
        for level, trainer in nnbook.TRAINERS.items()
    }
    expected = {"w1": (3, 7), "b1": (7,), "w2": (7, 1), "b2": (1,)}
    assert all(got == expected for got in shapes.values()), shapes


@pytest.mark.parametrize("level", ["module", "optim"])
def test_module_levels_params_are_the_models_in_the_backprop_layout(level, data):
    x, y = data
    result = nnbook.TRAINERS[level](x, y, epochs=3, log_every=0)
    torch.testing.assert_close(result.params["w1"], result.model[0].weight.detach().t())
    torch.testing.assert_close(result.params["b2"], result.model[2].bias.detach())
    # the same numbers, fed to the hand-written forward pass, give the model's predictions
    torch.testing.assert_close(nnbook.backprop.predict(x, result.params), result.predict(x))


def test_level_defaults_live_in_one_place():
    from nnbook.trainers.common import LEVEL_DEFAULTS

    assert list(LEVEL_DEFAULTS) == list(nnbook.TRAINERS)
    for level, trainer in nnbook.TRAINERS.items():
        signature = inspect.signature(trainer).parameters
        assert signature["lr"].default == LEVEL_DEFAULTS[level]["lr"], level
        assert signature["loss"].default == LEVEL_DEFAULTS[level]["loss"], level


def _same_run(a, b):
    return (
        a.losses == b.losses
        and a.val_losses == b.val_losses
        and all(torch.equal(a.params[name], b.params[name]) for name in a.params)
    )


@pytest.mark.parametrize("level", LEVELS)
def test_batch_size_n_is_exactly_the_full_batch(level, data):
    x, y = data
    plain = nnbook.TRAINERS[level](x, y, epochs=20, log_every=0)
    for batch_size in (len(x), 10 * len(x)):
        whole = nnbook.TRAINERS[level](x, y, epochs=20, log_every=0, batch_size=batch_size)
        assert _same_run(whole, plain), (level, batch_size)
    half = nnbook.TRAINERS[level](x, y, epochs=20, log_every=0, batch_size=len(x) // 2)
    assert half.losses != plain.losses  # a real mini-batch run is a different run


def _hand_minibatch_sgd(x, y, batch_size, epochs, lr, seed):
    """The oracle: a plain loop with torch.optim.SGD over a seeded DataLoader, in float64."""
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(seed)
    model = nnbook.build_mlp(x.shape[1], 32, y.shape[1]).double()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(
        TensorDataset(x, y), batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    losses = []
    for _ in range(epochs):
        total = 0.0
        for x_batch, y_batch in loader:
            error = torch.nn.functional.mse_loss(model(x_batch), y_batch)
            total += error.item() * len(x_batch)
            opt.zero_grad()
            error.backward()
            opt.step()
        losses.append(total / len(x))
    return losses, nnbook.network.two_layer_params(model)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("batch_size", [7, 32])
def test_mini_batches_follow_a_seeded_data_loader(level, batch_size, data):
    """Every level, with the mean loss and plain steps, is minibatch SGD over DataLoader's shuffle."""
    x, y = (t.double() for t in data)
    losses, params = _hand_minibatch_sgd(x, y, batch_size, epochs=5, lr=0.05, seed=3)
    result = nnbook.TRAINERS[level](
        x,
        y,
        epochs=5,
        lr=0.05,
        loss="mse",
        seed=3,
        log_every=0,
        batch_size=batch_size,
        **({"optimizer": "sgd"} if level == "optim" else {}),
    )
    if level in ("scratch", "autograd"):  # their starting weights come from init_params, not nn.Linear
        start = nnbook.backprop.init_params(3, 32, 1, seed=3, dtype=torch.float64)
        model = nnbook.build_mlp(3, 32, 1).double()
        with torch.no_grad():
            model[0].weight.copy_(start["w1"].T)
            model[0].bias.copy_(start["b1"])
            model[2].weight.copy_(start["w2"].T)
            model[2].bias.copy_(start["b2"])
        losses, params = _hand_from(model, x, y, batch_size, epochs=5, lr=0.05, seed=3)
    torch.testing.assert_close(torch.tensor(result.losses), torch.tensor(losses), rtol=1e-10, atol=1e-12)
    for name in params:
        torch.testing.assert_close(result.params[name], params[name], rtol=1e-10, atol=1e-12)


def _hand_from(model, x, y, batch_size, epochs, lr, seed):
    from torch.utils.data import DataLoader, TensorDataset

    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(
        TensorDataset(x, y), batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    losses = []
    for _ in range(epochs):
        total = 0.0
        for x_batch, y_batch in loader:
            error = torch.nn.functional.mse_loss(model(x_batch), y_batch)
            total += error.item() * len(x_batch)
            opt.zero_grad()
            error.backward()
            opt.step()
        losses.append(total / len(x))
    return losses, nnbook.network.two_layer_params(model)


@pytest.mark.parametrize("loss", ["sse", "mse"])
def test_epoch_loss_adds_up_the_batches(data, loss):
    """With a learning rate too small to move the weights, the batches of one epoch add up to the full data."""
    x, y = (t.double() for t in data)
    seen = []
    result = nnbook.train_scratch(
        x,
        y,
        epochs=1,
        lr=1e-14,
        loss=loss,
        batch_size=30,
        log_every=0,
        on_epoch=lambda epoch, value: seen.append(value),
    )
    start = nnbook.backprop.init_params(3, 32, 1, seed=0, dtype=torch.float64)
    whole = nnbook.backprop.loss_value(nnbook.backprop.predict(x, start), y, loss).item()
    assert seen == result.losses and result.losses[0] == pytest.approx(whole, rel=1e-9)


@pytest.mark.parametrize("level", LEVELS)
def test_validation_losses_are_recorded_after_each_epoch(level):
    x, y = nnbook.simulate_regression(n=80, seed=0, dtype=torch.float64)
    x_val, y_val = nnbook.simulate_regression(n=40, seed=1, dtype=torch.float64)
    plain = nnbook.TRAINERS[level](x, y, epochs=6, log_every=0)
    result = nnbook.TRAINERS[level](x, y, epochs=6, log_every=0, x_val=x_val, y_val=y_val)
    assert len(result.val_losses) == result.epochs == 6
    # the last validation loss is the loss of the returned network on the validation data (float64 oracle)
    expected = nnbook.backprop.loss_value(result.predict(x_val), y_val, result.loss).item()
    assert result.val_losses[-1] == pytest.approx(expected, rel=1e-12)
    assert result.best_epoch == 1 + min(range(6), key=result.val_losses.__getitem__)
    assert plain.val_losses == [] and plain.best_epoch is None
    assert "best_epoch=" in repr(result) and "best_epoch" not in repr(plain)


@pytest.mark.parametrize("level", LEVELS)
def test_early_stopping_returns_the_best_epoch(level):
    x, y = nnbook.data.simulate_nonlinear(n=60, seed=0, dtype=torch.float64)
    # Validation targets of the opposite sign: the better the fit to y, the worse the validation
    # loss, so every level passes its best validation epoch early and patience has work to do.
    settings = {"epochs": 200, "lr": 0.01, "loss": "mse", "log_every": 0, "x_val": x, "y_val": -y}
    full = nnbook.TRAINERS[level](x, y, **settings)
    assert full.best_epoch < full.epochs - 30, "the setting must pass its best epoch for this test to mean anything"
    stopped = nnbook.TRAINERS[level](x, y, patience=30, **settings)
    # it trains past the best epoch until patience runs out, then goes back to it
    assert stopped.best_epoch == full.best_epoch and stopped.epochs == full.best_epoch + 30
    assert stopped.val_losses == full.val_losses[: stopped.epochs]
    restored = nnbook.backprop.loss_value(stopped.predict(x), -y, "mse").item()
    assert restored == pytest.approx(stopped.val_losses[stopped.best_epoch - 1], rel=1e-12)
    assert restored < stopped.val_losses[-1]
    assert restored != pytest.approx(nnbook.backprop.loss_value(full.predict(x), -y, "mse").item(), rel=1e-6)


def test_early_stopping_oracle_against_a_hand_loop():
    """Patience counted by hand over the validation curve of a run without early stopping."""
    x, y = nnbook.data.simulate_nonlinear(n=60, seed=2, dtype=torch.float64)
    x_val, y_val = nnbook.data.simulate_nonlinear(n=60, seed=3, dtype=torch.float64)
    settings = {"d_hidden": 64, "epochs": 300, "lr": 0.01, "log_every": 0, "x_val": x_val, "y_val": y_val}
    curve = nnbook.train_optim(x, y, **settings).val_losses
    patience = 20
    best, stop = 0, len(curve)
    for epoch, value in enumerate(curve):
        if value < curve[best]:
            best = epoch
        if epoch - best >= patience:
            stop = epoch + 1
            break
    stopped = nnbook.train_optim(x, y, patience=patience, **settings)
    assert (stopped.epochs, stopped.best_epoch) == (stop, best + 1)


def test_training_data_and_inputs_are_left_alone(data):
    x, y = data
    x_val, y_val = nnbook.simulate_regression(n=30, seed=5)
    before = [t.clone() for t in (x, y, x_val, y_val)]
    torch.manual_seed(0)
    rng = torch.get_rng_state()
    nnbook.train_optim(x, y, epochs=3, batch_size=16, x_val=x_val, y_val=y_val, patience=2, log_every=0)
    assert all(torch.equal(a, b) for a, b in zip(before, (x, y, x_val, y_val), strict=True))
    assert torch.equal(torch.get_rng_state(), rng)  # the shuffle has its own generator


def test_validation_loss_is_logged(data, capsys):
    x, y = data
    nnbook.train_optim(x, y, epochs=4, log_every=2, x_val=x[:10], y_val=y[:10])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all("val_loss" in line for line in lines)


_V = {
    "rows": torch.zeros(5, 3),
    "targets": torch.zeros(5, 1),
    "flat": torch.zeros(5),
    "narrow": torch.zeros(5, 2),
    "rows64": torch.zeros(5, 3, dtype=torch.float64),
    "targets64": torch.zeros(5, 1, dtype=torch.float64),
    "nan": torch.full((5, 3), float("nan")),
}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1"),
        ({"batch_size": 2.0}, TypeError, "batch_size must be an integer >= 1"),
        ({"patience": 0, "x_val": "rows", "y_val": "targets"}, ValueError, "patience must be an integer >= 1"),
        ({"patience": 3}, ValueError, "patience=3 needs validation data"),
        ({"x_val": "rows"}, ValueError, "x_val was given without y_val"),
        ({"y_val": "targets"}, ValueError, "y_val was given without x_val"),
        ({"x_val": "rows", "y_val": "flat"}, ValueError, "y_val must have shape"),
        ({"x_val": "narrow", "y_val": "targets"}, ValueError, "x_val and y_val must have the columns of x and y"),
        ({"x_val": "rows64", "y_val": "targets64"}, TypeError, "x_val and y_val must have the dtype of x"),
        ({"x_val": "nan", "y_val": "targets"}, ValueError, "x_val must hold only finite numbers"),
    ],
)
@pytest.mark.parametrize("level", LEVELS)
def test_bad_new_arguments_are_named(level, kwargs, error, message, data):
    x, y = data
    args = {name: _V[value] if name in ("x_val", "y_val") else value for name, value in kwargs.items()}
    with pytest.raises(error, match=message):
        nnbook.TRAINERS[level](x, y, epochs=2, log_every=0, **args)


# --- Behaviours pinned down by mutation testing (tools/mutation.sh) ----------------------------------


TRAINERS = [nnbook.train_scratch, nnbook.train_autograd, nnbook.train_module, nnbook.train_optim]


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def make_run(x=None, y=None, **overrides) -> Run:
    """A Run with the arguments a trainer passes, ``overrides`` replacing some."""
    if x is None:
        x, y = nnbook.simulate_regression(n=10, seed=0)
    arguments = {"d_hidden": 4, "epochs": 1, "lr": 0.1, "loss": "mse", "seed": 0, "log_every": 0, **overrides}
    return Run(arguments.pop("level", "scratch"), x, y, Settings(**arguments))


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
        "the updates overshoot: try a smaller learning rate, dividing lr by 10 until the loss stays finite"
    )
    with pytest.raises(TrainingDivergedError, match=exactly(message)):
        run.end_epoch(1, params_for(run, fill=1e30))


def test_adams_float16_advice_is_for_adam_only():
    x, y = (t.half() for t in nnbook.simulate_regression(n=10, seed=0))
    adam = make_run(x, y, level="optim", optimizer="adam")
    with pytest.raises(TrainingDivergedError) as raised:
        adam.record(3, float("nan"))
    assert str(raised.value) == (
        "the optim trainer's loss became nan at epoch 3 with lr=0.1; Adam's eps (1e-8) rounds to 0 in torch.float16 "
        "when added to a zero root of its running mean of squared gradients, and that mean rounds to 0 for a small "
        "gradient, so its update divides by 0 (giving nan or inf) whatever the learning rate; "
        "train in float32 (x.float(), y.float())"
    )
    sgd = make_run(x, y, level="optim", optimizer="sgd")
    with pytest.raises(TrainingDivergedError, match=r"try a smaller learning rate, dividing lr by 10 [^;]*$"):
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


SEEDED_BUILDS = {
    "seeded_module, seed 0": lambda: seeded_module(lambda: torch.nn.Linear(3, 1), seed=0),
    "seeded_module, seed None": lambda: seeded_module(lambda: torch.nn.Linear(3, 1), seed=None),
    "train_optim": lambda: nnbook.train_optim(*nnbook.simulate_regression(n=5), epochs=1, log_every=0, seed=0),
}


@pytest.mark.parametrize("call", SEEDED_BUILDS.values(), ids=SEEDED_BUILDS.keys())
def test_seeding_the_weights_reseeds_no_accelerator_generator(monkeypatch, call):
    """torch.manual_seed also reseeds every CUDA, MPS and XPU generator, which fork_rng(devices=[]) does not restore.

    torch.manual_seed makes those calls on a machine without the device too (CUDA queues the seed until it
    starts), so recording them shows the leak without a GPU: before the fix this test recorded
    torch.cuda.manual_seed_all, and on torch 2.13 the MPS, XPU and MTIA seeds as well.
    """
    reseeded = []
    for device in ("cuda", "mps", "xpu", "mtia"):
        device_module = getattr(torch, device, None)
        for function in ("manual_seed", "manual_seed_all"):
            if hasattr(device_module, function):
                name = f"torch.{device}.{function}"
                monkeypatch.setattr(device_module, function, lambda *args, _name=name, **kwargs: reseeded.append(_name))
    before = torch.get_rng_state()
    call()
    assert reseeded == []
    assert torch.equal(torch.get_rng_state(), before)  # and the CPU generator is put back


def test_a_module_built_off_the_cpu_is_refused_since_its_generator_was_not_seeded():
    class OnAccelerator(nn.Module):  # stands in for a module built on a GPU, which this test cannot need
        def parameters(self, recurse=True):
            yield types.SimpleNamespace(device=torch.device("cuda", 0))

    message = "build must build the module on the CPU (seed seeds the CPU generator only), got tensors on cuda:0"
    with pytest.raises(ValueError, match=re.escape(message)):
        seeded_module(OnAccelerator, seed=0)
    assert seeded_module(lambda: nn.Linear(2, 1, device="meta"), seed=0).weight.is_meta  # nothing drawn: fine


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
        assert nnbook.plot_losses(result, ax, log_y=True) is ax
        assert ax.get_yscale() == "log" and ax.get_ylabel() == "training loss (sse)"
        assert nnbook.plot_losses(result, default_ax).get_yscale() == "linear"  # log_y defaults to False
    finally:
        plt.close(figure)


# --- Bad inputs that once gave a wrong answer or an unhelpful error (each fails on the code before its fix) ---


@pytest.fixture(scope="module")
def data_n50():
    return nnbook.simulate_regression(n=50, seed=0)


@pytest.mark.parametrize("level", LEVELS)
def test_a_run_that_diverges_on_its_last_update_raises(level, data_n50):
    """One epoch with a huge rate: the loss recorded before the update is finite, the weights after it are not."""
    x, y = data_n50
    kwargs = {"optimizer": "sgd"} if level == "optim" else {}
    with pytest.raises(
        nnbook.TrainingDivergedError, match=r"parameters or predictions became NaN or infinite in the update of epoch 1"
    ):
        nnbook.TRAINERS[level](x, y, epochs=1, lr=1e30, log_every=0, **kwargs)


def _half_mse_has_a_gradient() -> bool:
    """Whether this torch differentiates mse_loss in float16 on the CPU (2.4 does not)."""
    trial = torch.zeros(1, 1, dtype=torch.float16, requires_grad=True)
    try:
        torch.nn.functional.mse_loss(trial, trial.detach()).backward()
    except RuntimeError:
        return False
    return True


def test_float16_adam_is_told_about_eps_not_the_learning_rate(data_n50):
    x, y = data_n50
    if not _half_mse_has_a_gradient():
        with pytest.raises(TypeError, match=r"^x and y are torch.float16, whose mean squared error this torch"):
            nnbook.train_optim(x.half(), y.half(), lr=1e-7, epochs=5, log_every=0)
        return
    with pytest.raises(nnbook.TrainingDivergedError) as info:
        nnbook.train_optim(x.half(), y.half(), lr=1e-7, epochs=5, log_every=0)
    assert "eps" in str(info.value) and "float32" in str(info.value)
    assert "smaller learning rate" not in str(info.value)


class _NoGradient(torch.autograd.Function):
    """Passes its input on; its backward fails as torch 2.4's float16 mse_loss on the CPU did."""

    @staticmethod
    def forward(ctx, value):
        return value.clone()

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("\"mse_backward_cpu_out\" not implemented for 'Half'")


def test_a_dtype_without_a_loss_gradient_is_refused_before_training(monkeypatch, data_n50):
    def mse_without_gradient(y_pred, y, *args, **kwargs):
        return _NoGradient.apply((y_pred - y).pow(2).mean())

    monkeypatch.setattr(torch.nn.modules.loss.F, "mse_loss", mse_without_gradient)
    x, y = data_n50
    before = x.clone()
    message = (
        f"x and y are torch.float16, whose mean squared error this torch ({torch.__version__}) cannot differentiate "
        "on cpu: \"mse_backward_cpu_out\" not implemented for 'Half'; train in float32 (x.float(), y.float())"
    )
    with pytest.raises(TypeError, match=exactly(message)):
        nnbook.train_optim(x.half(), y.half(), epochs=1, log_every=0)
    assert torch.equal(x, before)
    # float32 never needs the trial, so the same broken loss trains until its first backward()
    with pytest.raises(RuntimeError, match=r'^"mse_backward_cpu_out"'):
        nnbook.train_optim(x, y, epochs=1, log_every=0)


def test_a_diverging_float32_run_is_told_to_lower_the_learning_rate(data_n50):
    with pytest.raises(nnbook.TrainingDivergedError, match=r"smaller learning rate, dividing lr by 10"):
        nnbook.train_scratch(*data_n50, lr=1e6, log_every=0)


def test_the_divergence_advice_names_no_learning_rate_that_diverges_too():
    # Chapter 3's data: lr=0.05 diverges, and so does its tenth, 0.005, which the old advice named.
    x, y = nnbook.simulate_regression(n=100, seed=6)
    with pytest.raises(TrainingDivergedError) as raised:
        nnbook.train_scratch(x, y, lr=0.05, log_every=0)
    advice = str(raised.value).split("; ", 1)[1]
    assert "smaller learning rate" in advice
    for named in re.findall(r"lr=([0-9.e+-]+)", advice):  # every rate the advice suggests must train
        try:
            nnbook.train_scratch(x, y, lr=float(named), log_every=0)
        except TrainingDivergedError as err:
            pytest.fail(f"the advice suggests lr={named}, which diverges too: {err}")
    # What the advice says to do instead, cutting lr tenfold until the loss stays finite, ends.
    cuts = 0
    while True:
        try:
            nnbook.train_scratch(x, y, lr=0.05 / 10 ** (cuts + 1), log_every=0)
            break
        except TrainingDivergedError:
            cuts += 1
            assert cuts < 4, "four tenfold cuts of lr=0.05 still diverge"
    assert cuts == 1  # 0.005 diverges, 0.0005 trains


@pytest.mark.parametrize("level", LEVELS)
def test_trainers_leave_the_callers_tensors_and_their_grad_alone(level, data_n50):
    x = data_n50.x.clone().requires_grad_(True)
    y = data_n50.y.clone().requires_grad_(True)
    x_before, y_before = x.detach().clone(), y.detach().clone()
    nnbook.TRAINERS[level](x, y, epochs=3, log_every=0)
    assert x.grad is None and y.grad is None
    assert torch.equal(x.detach(), x_before) and torch.equal(y.detach(), y_before)


@pytest.mark.parametrize("level", LEVELS)
def test_trainers_with_seed_none_leave_the_global_random_state_alone(level, data_n50):
    torch.manual_seed(3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    nnbook.TRAINERS[level](*data_n50, epochs=1, log_every=0, seed=None)
    assert torch.equal(torch.rand(4), expected)


def test_float64_x_with_a_float32_model_gets_a_clear_error(data_n50):
    x64 = data_n50.x.double()
    with pytest.raises(
        TypeError, match=r"^x must have the dtype of the model's weights, torch.float32, got torch.float64"
    ):
        nnbook.TwoLayerNet(3, 4, 1)(x64)
    result = nnbook.train_optim(*data_n50, epochs=2, log_every=0)
    with pytest.raises(TypeError, match=r"^x must have the dtype the network was trained in, torch.float32"):
        result.predict(x64)
    with pytest.raises(TypeError, match=r'^params\["w1"\] must have the dtype of x, torch.float64, got torch.float32'):
        predict(x64, result.params)


def test_float64_data_trains_a_float64_network(data_n50):
    x, y = data_n50.x.double(), data_n50.y.double()
    for trainer in nnbook.TRAINERS.values():
        result = trainer(x, y, epochs=2, log_every=0)
        assert result.params["w1"].dtype == torch.float64 and result.predict(x).dtype == torch.float64


def test_a_device_from_the_environment_is_named_as_such(monkeypatch, data_n50):
    monkeypatch.setenv(nnbook.device.DEVICE_ENV_VAR, "meta")
    with pytest.raises(ValueError, match=r"^the environment variable NNBOOK_DEVICE 'meta' is not supported by nnbook"):
        nnbook.device.best_device()


def test_a_callback_with_the_wrong_signature_is_named(data_n50):
    with pytest.raises(TypeError, match=r"^on_epoch must be a function \(epoch, loss\) -> None; on_epoch\(1, "):
        nnbook.train_scratch(*data_n50, epochs=2, log_every=0, on_epoch=lambda epoch: None)


@pytest.mark.parametrize("level", LEVELS)
def test_a_learning_rate_that_overflows_the_dtype_is_refused_up_front(level, data_n50):
    """lr=3.4e37 once failed inside Adam with 'value cannot be converted to type float without overflow'."""
    with pytest.raises(ValueError, match=r"^lr must be a number > 0 and <= 3.40282e\+35, got 3.4e\+37"):
        nnbook.TRAINERS[level](*data_n50, lr=3.4e37, epochs=1, log_every=0)
    with pytest.raises(ValueError, match=r"^lr must be a number > 0 and <= 65.504, got 100"):
        nnbook.TRAINERS[level](data_n50.x.half(), data_n50.y.half(), lr=100.0, epochs=1, log_every=0)


def test_adam_s_eps_advice_is_for_float16_only():
    """1e-8 rounds to 0 in float16, not in bfloat16 (float32's exponent range): only float16 gets that advice."""
    assert torch.tensor(1e-8, dtype=torch.float16).item() == 0.0
    assert torch.tensor(1e-8, dtype=torch.bfloat16).item() > 0.0
    x, y = nnbook.simulate_regression(n=10, seed=0)
    for dtype, says_eps in ((torch.float16, True), (torch.bfloat16, False)):
        run = make_run(x.to(dtype), y.to(dtype), level="optim", optimizer="adam")
        assert ("Adam's eps" in run._advice()) is says_eps
