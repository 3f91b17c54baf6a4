"""nnbook.classification against oracles: NumPy for the counts, autograd and finite differences for the gradient."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import nnbook
from nnbook.classification import (
    ClassificationData,
    accuracy,
    confusion_matrix,
    cross_entropy_grad,
    predict_classes,
    simulate_rings,
    train_classifier,
)


def test_rings_shapes_dtypes_and_labels():
    data = simulate_rings(n=500, n_classes=4, seed=3)
    assert isinstance(data, ClassificationData)
    assert data.x.shape == (500, 2) and data.x.dtype == torch.float32
    assert data.y.shape == (500,) and data.y.dtype == torch.int64
    assert sorted(data.y.unique().tolist()) == [0, 1, 2, 3]
    assert simulate_rings(n=10, dtype=torch.float64, seed=0).x.dtype == torch.float64


def test_rings_radius_follows_the_class():
    x, y = simulate_rings(n=4000, n_classes=3, noise_sd=0.1, seed=1)
    radius = np.hypot(x[:, 0].double().numpy(), x[:, 1].double().numpy())  # computed apart from torch
    labels = y.numpy()
    for k in range(3):
        mean, sd = radius[labels == k].mean(), radius[labels == k].std()
        assert abs(mean - (k + 1)) < 0.02, (k, mean)
        assert abs(sd - 0.1) < 0.02, (k, sd)


def test_rings_are_seeded_and_leave_the_global_state_alone():
    state = torch.get_rng_state()
    a, b, c = simulate_rings(seed=5), simulate_rings(seed=5), simulate_rings(seed=6)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, c.x)


def test_rings_no_line_separates_them():
    # Least squares on the raw coordinates (the best linear score) does barely better than chance;
    # on the squared radius, one more feature, it separates the rings almost perfectly.
    x, y = simulate_rings(n=2000, noise_sd=0.15, seed=2)
    x64, target = x.double(), y.double().unsqueeze(1)

    def linear_accuracy(features):
        design = torch.cat([features, torch.ones(len(features), 1, dtype=torch.float64)], dim=1)
        coef = torch.linalg.lstsq(design, target).solution
        return ((design @ coef > 0.5).long().squeeze(1) == y).double().mean().item()

    assert linear_accuracy(x64) < 0.6
    assert linear_accuracy(torch.cat([x64, x64.pow(2).sum(1, keepdim=True)], dim=1)) > 0.97


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 0}, ValueError, "n must be"),
        ({"n": 2.5}, TypeError, "n must be"),
        ({"n_classes": 1}, ValueError, "n_classes must be"),
        ({"n_classes": "3"}, TypeError, "n_classes must be"),
        ({"noise_sd": 0.0}, ValueError, "noise_sd must be"),
        ({"seed": -1}, ValueError, "seed must be"),
        ({"dtype": torch.int64}, TypeError, "dtype must be"),
    ],
)
def test_rings_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        simulate_rings(**kwargs)


@pytest.mark.parametrize(("n", "k", "seed"), [(1, 2, 0), (50, 2, 1), (200, 3, 2), (97, 7, 3)])
def test_accuracy_and_confusion_matrix_against_numpy(n, k, seed):
    gen = torch.Generator().manual_seed(seed)
    y_pred = torch.randn(n, k, generator=gen)
    y = torch.randint(k, (n,), generator=gen)
    scores, labels = y_pred.numpy(), y.numpy()
    predicted = np.argmax(scores, axis=1)
    expected = np.zeros((k, k), dtype=np.int64)
    for true, guess in zip(labels, predicted, strict=True):
        expected[true, guess] += 1
    assert predict_classes(y_pred).tolist() == predicted.tolist()
    assert accuracy(y_pred, y) == pytest.approx(float(np.mean(predicted == labels)), abs=1e-15)
    cm = confusion_matrix(y_pred, y)
    assert cm.dtype == torch.int64 and cm.shape == (k, k)
    np.testing.assert_array_equal(cm.numpy(), expected)


def test_one_logit_is_a_binary_classifier():
    y_pred = torch.tensor([[2.0], [-0.5], [0.0], [0.3], [-4.0]])  # a logit of exactly 0 is p = 0.5: class 0
    y = torch.tensor([1, 1, 0, 0, 0])
    assert predict_classes(y_pred).tolist() == [1, 0, 0, 1, 0]
    assert accuracy(y_pred, y) == pytest.approx(3 / 5)
    assert confusion_matrix(y_pred, y).tolist() == [[2, 1], [1, 1]]
    # The same decisions as sigmoid(z) > 0.5.
    assert torch.equal(predict_classes(y_pred), (torch.sigmoid(y_pred) > 0.5).long().squeeze(1))


def test_confusion_matrix_rows_are_the_truth():
    y_pred = torch.tensor([[0.0, 5.0, 0.0]] * 3)  # always predicts class 1
    y = torch.tensor([0, 0, 2])
    assert confusion_matrix(y_pred, y).tolist() == [[0, 2, 0], [0, 0, 0], [0, 1, 0]]


@pytest.mark.parametrize(
    ("y_pred", "y", "error", "message"),
    [
        (torch.zeros(3, 2), torch.tensor([0.0, 1.0, 1.0]), TypeError, "y must hold integer class labels"),
        (torch.zeros(3, 2), torch.tensor([True, False, True]), TypeError, "y must hold integer"),
        (torch.zeros(3, 2), torch.tensor([[0], [1], [1]]), ValueError, r"y must have shape \(n,\).*reshape"),
        (torch.zeros(3, 2), torch.tensor([0, -1, 1]), ValueError, "y must hold class labels counted from 0"),
        (torch.zeros(3, 2), torch.tensor([1, 2, 2]), ValueError, "not 1 as in R"),
        (torch.zeros(3, 1), torch.tensor([1, 2, 0]), ValueError, "y must hold labels 0 to 1"),
        (torch.zeros(3, 2), torch.tensor([0, 1]), ValueError, "same number of rows"),
        (torch.zeros(3, 2, dtype=torch.int64), torch.tensor([0, 1, 1]), TypeError, "y_pred must hold the model's"),
        # Predicted classes where logits belong: the advice is to pass logits (.float() would misread them).
        (torch.tensor([0, 1, 1]), torch.tensor([0, 1, 1]), TypeError, r"not predicted classes(?!.*\.float\(\)$)"),
        (torch.tensor([[True], [False], [True]]), torch.tensor([0, 1, 1]), TypeError, "got dtype torch.bool"),
        (torch.zeros(3), torch.tensor([0, 1, 1]), ValueError, r"y_pred must have shape \(n, k\)"),
        (torch.tensor([[0.0, math.nan]] * 3), torch.tensor([0, 1, 1]), ValueError, "y_pred must hold only finite"),
        (torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64), ValueError, "y_pred must have at least one row"),
        ([[0.0, 1.0]], torch.tensor([0]), TypeError, "y_pred must be a torch.Tensor"),
        (torch.zeros(1, 2), [0], TypeError, "y must be a torch.Tensor"),
    ],
)
def test_bad_logits_and_labels(y_pred, y, error, message):
    for fn in (accuracy, confusion_matrix, cross_entropy_grad):
        with pytest.raises(error, match=message):
            fn(y_pred, y)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64])
def test_any_integer_dtype_of_labels(dtype):
    x, y = simulate_rings(n=40, n_classes=3, seed=0)
    y_pred = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
    labels = y.to(dtype)
    assert accuracy(y_pred, labels) == accuracy(y_pred, y)
    assert torch.equal(confusion_matrix(y_pred, labels), confusion_matrix(y_pred, y))
    assert torch.equal(cross_entropy_grad(y_pred, labels), cross_entropy_grad(y_pred, y))
    result = train_classifier(x, labels, epochs=3, log_every=0, x_val=x[:8], y_val=labels[:8])
    assert result.losses == train_classifier(x, y, epochs=3, log_every=0, x_val=x[:8], y_val=y[:8]).losses
    assert labels.dtype == dtype  # the caller's labels are left as they were


def test_inputs_are_not_modified():
    y_pred = torch.randn(20, 3, generator=torch.Generator().manual_seed(0))
    y = torch.randint(3, (20,), generator=torch.Generator().manual_seed(1))
    before = y_pred.clone(), y.clone()
    for fn in (accuracy, confusion_matrix, cross_entropy_grad):
        fn(y_pred, y)
    predict_classes(y_pred)
    assert torch.equal(y_pred, before[0]) and torch.equal(y, before[1])


@pytest.mark.parametrize(("n", "k", "seed"), [(1, 2, 0), (10, 3, 1), (64, 10, 2)])
def test_cross_entropy_grad_is_autograds(n, k, seed):
    gen = torch.Generator().manual_seed(seed)
    z = (5 * torch.randn(n, k, generator=gen, dtype=torch.float64)).requires_grad_()
    y = torch.randint(k, (n,), generator=gen)
    F.cross_entropy(z, y).backward()  # the mean over the rows
    grad = cross_entropy_grad(z.detach(), y)
    assert grad.dtype == torch.float64 and grad.shape == (n, k)
    torch.testing.assert_close(grad, z.grad, rtol=0, atol=1e-15)


def test_cross_entropy_grad_against_finite_differences():
    # The formula as the backward pass of the loss: gradcheck compares it with finite differences.
    class CrossEntropy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z, y):
            ctx.save_for_backward(z, y)
            return F.cross_entropy(z, y)

        @staticmethod
        def backward(ctx, grad_output):
            z, y = ctx.saved_tensors
            return grad_output * cross_entropy_grad(z, y), None

    gen = torch.Generator().manual_seed(4)
    z = torch.randn(8, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randint(5, (8,), generator=gen)
    assert torch.autograd.gradcheck(lambda z: CrossEntropy.apply(z, y), (z,))


def test_cross_entropy_grad_needs_two_columns():
    with pytest.raises(ValueError, match="one column per class"):
        cross_entropy_grad(torch.zeros(3, 1), torch.tensor([0, 1, 0]))


def test_bce_with_logits_against_a_float64_reference():
    # What chapter 10 shows: the logits form stays finite and right where sigmoid-then-log does not.
    z = torch.tensor([-300.0, -50.0, -20.0, -1.0, 0.0, 1.0, 20.0, 50.0, 300.0])
    for label in (0.0, 1.0):
        y = torch.full_like(z, label)
        reference = torch.tensor(
            [math.log1p(math.exp(-abs(v))) + max(v, 0.0) - label * v for v in z.tolist()], dtype=torch.float64
        )
        stable = F.binary_cross_entropy_with_logits(z, y, reduction="none")
        torch.testing.assert_close(stable.double(), reference, rtol=1e-6, atol=1e-6)
        p = torch.sigmoid(z)
        naive = -(y * p.log() + (1 - y) * (1 - p).log())
        assert not torch.isfinite(naive).all()


def test_train_classifier_learns_the_rings():
    x, y = simulate_rings(n=300, n_classes=3, seed=0)
    x_test, y_test = simulate_rings(n=300, n_classes=3, seed=1)
    result = train_classifier(x, y, epochs=150, lr=0.05, log_every=0)
    assert isinstance(result, nnbook.TrainResult)
    assert (result.level, result.loss, result.epochs) == ("classifier", "cross_entropy", 150)
    assert result.predict(x_test).shape == (300, 3)
    assert accuracy(result.predict(x_test), y_test) > 0.95
    assert result.losses[-1] < result.losses[0] / 10
    assert {name: tuple(p.shape) for name, p in result.params.items()} == {
        "w1": (2, 32),
        "b1": (32,),
        "w2": (32, 3),
        "b2": (3,),
    }


def test_train_classifier_is_the_hand_written_loop():
    x, y = simulate_rings(n=120, n_classes=3, seed=3)
    result = train_classifier(x, y, d_hidden=8, epochs=25, lr=0.03, seed=7, log_every=0)
    torch.manual_seed(7)
    model = nnbook.build_mlp(2, 8, 3)
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    losses = []
    for _ in range(25):
        loss = nn.CrossEntropyLoss()(model(x), y)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert result.losses == losses
    torch.testing.assert_close(result.predict(x), model(x).detach(), rtol=0, atol=0)


def test_train_classifier_mini_batches_validation_and_early_stopping():
    x, y = simulate_rings(n=200, seed=4)
    x_val, y_val = simulate_rings(n=100, seed=5)
    result = train_classifier(
        x, y, epochs=300, lr=0.05, batch_size=32, x_val=x_val, y_val=y_val, patience=5, log_every=0
    )
    assert len(result.val_losses) == result.epochs and result.epochs < 300
    assert result.epochs == result.best_epoch + 5
    best = result.val_losses[result.best_epoch - 1]
    assert min(result.val_losses) == best
    assert F.cross_entropy(result.predict(x_val), y_val).item() == pytest.approx(best, rel=1e-6)


def test_train_classifier_n_classes_and_validation_labels():
    x, y = simulate_rings(n=60, seed=0)  # labels 0 and 1
    result = train_classifier(x, y, epochs=2, n_classes=4, log_every=0)
    assert result.predict(x).shape == (60, 4)
    with pytest.raises(ValueError, match="y_val must hold labels 0 to 1 for n_classes=2"):
        train_classifier(x, y, epochs=1, x_val=x[:5], y_val=torch.tensor([0, 1, 2, 0, 1]), log_every=0)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"y": "float"}, TypeError, "y must hold integer class labels"),
        ({"y": "column"}, ValueError, r"y must have shape \(n,\)"),
        ({"y": "short"}, ValueError, "x and y must have the same number of rows"),
        ({"x": "int"}, TypeError, "x must be a floating-point tensor"),
        ({"x": "nan"}, ValueError, "x must hold only finite"),
        ({"n_classes": 1}, ValueError, "n_classes must be"),
        ({"n_classes": 1.5}, TypeError, "n_classes must be"),
        ({"lr": -1.0}, ValueError, "lr must be"),
        ({"optimizer": "lbfgs"}, ValueError, "optimizer must be one of"),
        ({"patience": 3}, ValueError, "patience=3 needs validation data"),
        ({"y_val": "only"}, ValueError, "y_val was given without x_val"),
        ({"d_hidden": 0}, ValueError, "d_hidden must be"),
    ],
)
def test_train_classifier_bad_arguments(change, error, message):
    x, y = simulate_rings(n=20, seed=0)
    kwargs = {"epochs": 1, "log_every": 0}
    if change.get("y") == "float":
        y = y.float()
    elif change.get("y") == "column":
        y = y.unsqueeze(1)
    elif change.get("y") == "short":
        y = y[:-1]
    elif change.get("x") == "int":
        x = x.long()
    elif change.get("x") == "nan":
        x = x.clone()
        x[0, 0] = math.nan
    elif change.get("y_val") == "only":
        kwargs["y_val"] = y
    else:
        kwargs.update(change)
    with pytest.raises(error, match=message):
        train_classifier(x, y, **kwargs)


def test_train_classifier_leaves_its_inputs_alone():
    x, y = simulate_rings(n=50, seed=0)
    x.requires_grad_()
    before = x.detach().clone(), y.clone()
    state = torch.get_rng_state()
    train_classifier(x, y, epochs=3, log_every=0, batch_size=16)
    assert torch.equal(x.detach(), before[0]) and torch.equal(y, before[1]) and x.grad is None
    assert torch.equal(torch.get_rng_state(), state)


def test_plot_decision_boundary():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nnbook.plotting import plot_decision_boundary

    x, y = simulate_rings(n=80, n_classes=3, seed=0)

    def radius_classes(points):  # class by radius: 0 inside 1.5, 1 up to 2.5, 2 beyond, as 3 logits
        r = points.pow(2).sum(1).sqrt()
        return torch.stack([1.5 - r, -(r - 1.5) * (r - 2.5), r - 2.5], dim=1)

    before = x.clone()
    ax = plot_decision_boundary(radius_classes, x, y, title="rings", steps=50)
    assert ax.get_title() == "rings"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1", "class 2"]
    assert torch.equal(x, before)
    plt.close("all")
    with pytest.raises(TypeError, match="predict must be a function"):
        plot_decision_boundary("model", x, y)
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        plot_decision_boundary(radius_classes, torch.zeros(5, 3), y[:5])
    with pytest.raises(ValueError, match="predict must map inputs"):
        plot_decision_boundary(lambda points: points[:, 0], x, y)
    with pytest.raises(ValueError, match="margin must be"):
        plot_decision_boundary(radius_classes, x, y, margin=-1.0)


# --- Behaviours pinned down by mutation testing (tools/mutation.sh) ----------------------------------


def _raises_exactly(error, message, *args, **kwargs):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        train_classifier(*args, epochs=1, log_every=0, **kwargs)


def test_classifier_data_errors_name_the_argument_exactly():
    y = torch.tensor([0, 1, 0, 1, 1])
    _raises_exactly(ValueError, "x must have shape (n, d_in), got shape (5,)", torch.randn(5), y)
    _raises_exactly(ValueError, "x_val must have shape (n, d_in), got shape (5,)", torch.randn(5, 2), y,
                    x_val=torch.randn(5), y_val=y)  # fmt: skip
    # d_in (3) differs from n (4), so a message that printed a column count would show it
    _raises_exactly(
        ValueError, "x and y must have the same number of rows, got x with 4 and y with 5", torch.randn(4, 3), y
    )


def test_one_input_column_is_enough_and_none_is_refused():
    x, y = torch.randn(6, 1), torch.tensor([0, 1, 0, 1, 1, 0])
    result = train_classifier(x, y, epochs=1, log_every=0)
    assert result.predict(x).shape == (6, 2)
    _raises_exactly(ValueError, "x must have at least one column (d_in >= 1), got shape (6, 0)", torch.randn(6, 0), y)


def test_x_and_y_on_two_devices_are_refused_naming_both():
    # torch's meta device stands in for a GPU: the check runs before anything is computed on x
    message = "x and y must be on the same device, got x on meta and y on cpu"
    _raises_exactly(ValueError, message, torch.empty(3, 2, device="meta"), torch.tensor([0, 1, 0]))


def test_the_largest_number_of_classes_is_allowed_and_one_more_is_not():
    x = torch.randn(2, 2)
    result = train_classifier(x, torch.tensor([0, 9999]), epochs=1, log_every=0, d_hidden=2)
    assert result.predict(x).shape == (2, 10_000)
    _raises_exactly(ValueError, "y must hold labels below 10000, found 10000", x, torch.tensor([0, 10_000]))


def test_the_documented_defaults_are_the_ones_used(capsys):
    # epochs=200, lr=1e-2, seed=0, log_every=10: the default call equals the explicit one, printed log included
    x, y = _rings()
    by_default = train_classifier(x, y, d_hidden=3)
    printed_by_default = capsys.readouterr().out
    explicit = train_classifier(x, y, d_hidden=3, epochs=200, lr=1e-2, seed=0, log_every=10)
    assert capsys.readouterr().out == printed_by_default
    assert printed_by_default.count("\n") == 20  # one line every 10 epochs
    assert torch.equal(by_default.predict(x), explicit.predict(x))
    assert len(by_default.losses) == 200 and by_default.losses == explicit.losses


def _rings():
    from nnbook.classification import simulate_rings

    return simulate_rings(n=12, seed=1)


def test_log_every_device_and_on_epoch_reach_the_loop(capsys):
    x, y = _rings()
    seen = []
    train_classifier(x, y, d_hidden=3, epochs=4, log_every=2, on_epoch=lambda epoch, loss: seen.append(epoch))
    assert capsys.readouterr().out.count("\n") == 2 and seen == [1, 2, 3, 4]
    with pytest.raises(ValueError, match=r"^device 'nonsense' is not a device name torch understands"):
        train_classifier(x, y, epochs=1, log_every=0, device="nonsense")


@pytest.mark.parametrize(
    ("k", "label", "message"),
    [
        (3, 3, "y must hold labels 0 to 2, one per column of y_pred, found 3; labels count from 0, not 1 as in R"),
        (2, 2, "y must hold labels 0 to 1, one per column of y_pred, found 2; labels count from 0, not 1 as in R"),
        (1, 2, "y must hold labels 0 to 1, for y_pred with one logit per row, found 2; "
               "labels count from 0, not 1 as in R"),
    ],
)  # fmt: skip
def test_label_range_error_says_where_the_range_comes_from(k, label, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        accuracy(torch.zeros(4, k), torch.tensor([0, 1, 0, label]))


def test_row_count_error_shows_both_row_counts():
    message = "y_pred and y must have the same number of rows, got y_pred with 4 and y with 5"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        accuracy(torch.zeros(4, 3), torch.tensor([0, 1, 0, 1, 2]))


def test_two_classes_is_an_allowed_n_classes():
    x, y = _rings()
    assert train_classifier(x, y, n_classes=2, epochs=1, log_every=0).predict(x).shape == (12, 2)


def test_simulate_rings_documented_defaults():
    from nnbook.classification import simulate_rings

    data = simulate_rings()
    explicit = simulate_rings(n=300, n_classes=2, noise_sd=0.15, seed=0)
    assert data.x.shape == (300, 2) and torch.equal(data.x, explicit.x) and torch.equal(data.y, explicit.y)


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (torch.zeros(3, 1, dtype=torch.int64),
         "y must have shape (n,), one label per row, got shape (3, 1); make it one label per row with y.reshape(-1)"),
        (torch.zeros(3, 2, dtype=torch.int64), "y must have shape (n,), one label per row, got shape (3, 2)"),
        (torch.zeros(1, 3, 1, dtype=torch.int64), "y must have shape (n,), one label per row, got shape (1, 3, 1)"),
        (torch.zeros(0, dtype=torch.int64), "y must hold at least one label, got an empty tensor"),
    ],
)  # fmt: skip
def test_label_shape_errors_hint_only_where_the_hint_fits(y, message):
    from nnbook.classification import accuracy

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        accuracy(torch.zeros(max(y.shape[0], 1), 2), y)


def test_simulate_rings_refuses_more_than_10000_classes():
    from nnbook.classification import simulate_rings

    with pytest.raises(ValueError, match=r"^n_classes must be an integer from 2 to 10000, got 10001$"):
        simulate_rings(n=5, n_classes=10_001)


def test_simulate_rings_angles_are_uniform_over_the_circle():
    from nnbook.classification import simulate_rings

    x, _ = simulate_rings(n=4000, seed=0, dtype=torch.float64)
    angle = torch.atan2(x[:, 1], x[:, 0]) % (2 * torch.pi)
    quarters = torch.bincount((angle / (torch.pi / 2)).long().clamp(max=3), minlength=4).double() / 4000
    assert torch.allclose(quarters, torch.full((4,), 0.25, dtype=torch.float64), atol=0.04)  # sd ~ 0.007


def test_simulate_rings_follows_its_documented_recipe_in_float64():
    # the docstring's recipe, drawn in the same order from the same seeded generator, in float64 throughout
    from nnbook.classification import simulate_rings

    x, y = simulate_rings(n=50, n_classes=3, noise_sd=0.15, seed=7, dtype=torch.float64)
    gen = torch.Generator().manual_seed(7)
    y_ref = torch.randint(3, (50,), generator=gen)
    angle = 2 * torch.pi * torch.rand(50, generator=gen, dtype=torch.float64)
    radius = (y_ref + 1).double() + 0.15 * torch.randn(50, generator=gen, dtype=torch.float64)
    assert torch.equal(y, y_ref)
    torch.testing.assert_close(x, torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1),
                               rtol=1e-14, atol=1e-14)  # fmt: skip


# --- plot_decision_boundary blames what the user passed (issue 33) -----------------------------------


@pytest.mark.parametrize(
    ("predict", "kwargs", "error", "pattern"),
    [
        (lambda g: torch.full((len(g), 1), math.nan), {}, ValueError, r"^predict must return finite logits, but it"),
        (lambda g: (g[:, :1] > 0).long(), {}, TypeError, r"^predict must return floating-point logits, got dtype"),
        (lambda g: g[:, :1], {"margin": 1e39}, ValueError, r"^margin must leave the plot's edges inside"),
    ],
    ids=["nan logits", "integer logits", "huge margin"],
)
def test_plot_decision_boundary_blames_the_argument_passed(predict, kwargs, error, pattern):
    import matplotlib.pyplot as plt

    from nnbook.plotting import plot_decision_boundary

    x, y = simulate_rings(n=20, seed=0)
    x_before = x.clone()
    try:
        with pytest.raises(error, match=pattern) as raised:
            plot_decision_boundary(predict, x, y, steps=5, **kwargs)
        assert "y_pred" not in str(raised.value)
        assert torch.equal(x, x_before)
    finally:
        plt.close("all")
    plt.close(plot_decision_boundary(lambda g: g[:, :1], x, y, steps=5, margin=1e30).figure)  # large, but fits
