"""The four trainers: one shape, the same algorithm, honest errors."""

import inspect

import pytest
import torch

import nnbook

LEVELS = list(nnbook.TRAINERS)
SHARED = ["x", "y", "d_hidden", "epochs", "lr", "loss", "seed", "log_every", "device", "on_epoch"]


@pytest.fixture(scope="module")
def data():
    return nnbook.simulate_regression(n=100, seed=0)


def test_trainers_share_one_signature():
    for level, trainer in nnbook.TRAINERS.items():
        names = list(inspect.signature(trainer).parameters)
        assert names[: len(SHARED)] == SHARED, level
        assert names[len(SHARED):] == (["optimizer"] if level == "optim" else []), level


@pytest.mark.parametrize("level", LEVELS)
def test_result_shape_and_learning(level, data):
    x, y = data
    seen = []
    result = nnbook.TRAINERS[level](x, y, epochs=30, log_every=0, on_epoch=lambda e, l: seen.append(e))
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
    assert sse_ols <= sse_net * (1 + 1e-9) or sse_net < sse_ols  # OLS is the best linear fit
    assert abs(sse_net - sse_ols) / sse_ols < 0.05


@pytest.mark.parametrize("level", LEVELS)
def test_divergence_stops_with_a_named_epoch(level, data):
    x, y = data
    with pytest.raises(nnbook.TrainingDivergedError, match=r"at epoch \d+ with lr=1e\+06.*smaller learning rate"):
        nnbook.TRAINERS[level](x, y, lr=1e6, epochs=200, log_every=0, optimizer="sgd") if level == "optim" else \
            nnbook.TRAINERS[level](x, y, lr=1e6, epochs=200, log_every=0)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"y": torch.randn(99, 1)}, ValueError, "x and y must have the same number of rows, got x with 100 and y with 99"),
        ({"y": torch.randn(100)}, ValueError, r"y must have shape \(n, d_out\), got shape \(100,\); make it a column"),
        ({"x": torch.randn(100)}, ValueError, r"x must have shape \(n, d_in\), got shape \(100,\)"),
        ({"x": torch.full((100, 3), float("nan"))}, ValueError, "x must hold only finite numbers, found 300 NaN"),
        ({"y": torch.full((100, 1), float("inf"))}, ValueError, "y must hold only finite numbers"),
        ({"x": torch.ones(100, 3, dtype=torch.int64)}, TypeError, "x must be a floating-point tensor"),
        ({"x": [[1.0, 2.0, 3.0]] * 100}, TypeError, "x must be a torch.Tensor, got list"),
        ({"lr": 0.0}, ValueError, "lr must be a finite number > 0, got 0.0"),
        ({"lr": -1e-3}, ValueError, "lr must be a finite number > 0"),
        ({"epochs": 0}, ValueError, "epochs must be an integer from 1 to 10000000, got 0"),
        ({"d_hidden": 0}, ValueError, "d_hidden must be an integer from 1 to 1000000, got 0"),
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
