"""Tests that kill mutants which survived `tools/mutation.sh 'nnbook.classification.*'`.

Each bad-input case calls train_classifier with epochs=1, so it costs a check, not a training.
"""

import re

import pytest
import torch

from nnbook.classification import train_classifier


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
    from nnbook.classification import check_logits_labels

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_logits_labels(torch.zeros(4, k), torch.tensor([0, 1, 0, label]))


def test_row_count_error_shows_both_row_counts():
    from nnbook.classification import check_logits_labels

    message = "y_pred and y must have the same number of rows, got y_pred with 4 and y with 5"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_logits_labels(torch.zeros(4, 3), torch.tensor([0, 1, 0, 1, 2]))


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
