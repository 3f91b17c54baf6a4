"""The four trainers: one shape, the same algorithm, honest errors."""

import inspect

import pytest
import torch

import nnbook

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
    ax = result.plot_losses()
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


# --- mini-batches, validation losses and early stopping (chapters 8 and 9) ---


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
