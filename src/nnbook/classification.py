"""Classification: simulated classes, the cross-entropy gradient, accuracy, a confusion matrix, a trainer.

Labels are integers counted from 0, as PyTorch's losses expect (R torch
counts them from 1). A network's output for ``k`` classes is a row of ``k``
*logits* per example, ``y_pred`` of shape ``(n, k)``; a binary classifier with
one output gives ``(n, 1)`` logits, where a logit above 0 means class 1.

Examples:
    >>> from nnbook.classification import accuracy, simulate_rings, train_classifier
    >>> x, y = simulate_rings(n=200, seed=0)
    >>> result = train_classifier(x, y, epochs=100, lr=0.05, log_every=0)
    >>> accuracy(result.predict(x), y) > 0.9
    True
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from . import _checks
from .trainers.common import EpochCallback, Run, Settings, TrainResult
from .trainers.optim import optimize

__all__ = [
    "ClassificationData",
    "accuracy",
    "confusion_matrix",
    "cross_entropy_grad",
    "predict_classes",
    "simulate_rings",
    "train_classifier",
]

# The most classes: one logit per class, and a confusion matrix of k * k counts.
_MAX_CLASSES = 10_000


class ClassificationData(NamedTuple):
    """Inputs ``x`` of shape ``(n, d_in)`` and integer labels ``y`` of shape ``(n,)``, counted from 0.

    Examples:
        >>> data = simulate_rings(n=5, seed=0)
        >>> data.x.shape, data.y.shape, data.y.dtype
        (torch.Size([5, 2]), torch.Size([5]), torch.int64)
    """

    x: torch.Tensor
    y: torch.Tensor


def simulate_rings(
    n: int = 300,
    *,
    n_classes: int = 2,
    noise_sd: float = 0.15,
    seed: int | None = 0,
    dtype: torch.dtype = torch.float32,
) -> ClassificationData:
    r"""Draw points on concentric rings, one ring per class: classes no straight line separates.

    Each row's class $k$ is drawn uniformly from $0, \dots, \texttt{n\_classes} - 1$,
    its angle uniformly from $[0, 2\pi)$ and its radius from
    $N(k + 1, \texttt{noise\_sd}^2)$, so class 0 is the innermost ring. Every
    straight line through the plane has points of the outer ring on both of
    its sides.

    Args:
        n: number of rows, from 1 to 10 million.
        n_classes: number of rings (classes), from 2 to 10000.
        noise_sd: standard deviation of the radius around its ring, a number > 0.
        seed: seeds a private generator (torch's global random state is left
            alone). ``None`` draws fresh data.
        dtype: floating-point dtype of ``x``; ``y`` is always ``torch.int64``.

    Returns:
        ``ClassificationData(x, y)`` with ``x`` of shape ``(n, 2)`` and labels
        ``y`` of shape ``(n,)``.

    Examples:
        >>> x, y = simulate_rings(n=300, n_classes=3, seed=0)
        >>> x.shape, sorted(y.unique().tolist())
        (torch.Size([300, 2]), [0, 1, 2])
        >>> simulate_rings(n_classes=1)
        Traceback (most recent call last):
        ...
        ValueError: n_classes must be an integer from 2 to 10000, got 1
    """
    n = _checks.positive_int(n, "n", maximum=_checks.MAX_ROWS)
    n_classes = _checks.int_at_least(n_classes, "n_classes", 2, _MAX_CLASSES)
    noise_sd = _checks.positive_float(noise_sd, "noise_sd")
    seed = _checks.seed(seed)
    dtype = _checks.float_dtype(dtype)
    generator = _checks.generator(seed)
    y = torch.randint(n_classes, (n,), generator=generator)  # (n,)
    angle = 2 * math.pi * torch.rand(n, generator=generator, dtype=dtype)  # (n,)
    radius = (y + 1).to(dtype) + noise_sd * torch.randn(n, generator=generator, dtype=dtype)  # (n,)
    x = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)  # (n, 2)
    return ClassificationData(x=x, y=y)


def _logits(y_pred: object) -> torch.Tensor:
    """Check that ``y_pred`` holds finite logits ``(n, k)``, or ``(n, 1)`` for a binary classifier."""
    if isinstance(y_pred, torch.Tensor) and not (y_pred.is_floating_point() or y_pred.is_complex()):
        # Integer or bool values here are most likely predicted classes; converting them with .float()
        # would be read as logits and give a wrong answer, so say what to pass instead.
        raise TypeError(
            f"y_pred must hold the model's logits, a floating-point tensor (n, k), got dtype {y_pred.dtype}; "
            "pass the model's output, not predicted classes (for classes, compute (predicted == y).float().mean())"
        )
    y_pred = _checks.ndim(_checks.floating(y_pred, "y_pred"), "y_pred", (2,), "(n, k): one logit per class")
    if y_pred.shape[0] == 0 or y_pred.shape[1] == 0:
        raise ValueError(f"y_pred must have at least one row and one column, got shape {tuple(y_pred.shape)}")
    return _checks.finite(y_pred, "y_pred")


def _check_logits_labels(y_pred: object, y: object) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Check logits ``y_pred`` ``(n, k)`` and labels ``y`` ``(n,)`` together; return them and ``k``.

    One logit per row, ``(n, 1)``, is a binary classifier: ``k`` is then 2.
    Raises ``TypeError`` or ``ValueError`` naming the argument that is wrong.

    Examples:
        >>> y_pred, y, k = _check_logits_labels(torch.zeros(4, 3), torch.tensor([0, 2, 1, 2]))
        >>> k
        3
        >>> _check_logits_labels(torch.zeros(4, 3), torch.tensor([1, 3, 2, 3]))
        Traceback (most recent call last):
        ...
        ValueError: y must hold labels 0 to 2, one per column of y_pred, found 3; labels count from 0, not 1 as in R
    """
    y_pred = _logits(y_pred)
    y = _checks.class_labels(y)
    _checks.same_rows(y_pred, "y_pred", y, "y")
    _checks.same_device(y_pred, "y_pred", y, "y")
    n_classes = max(y_pred.shape[1], 2)  # one logit is a binary classifier
    if int(y.max()) >= n_classes:
        raise ValueError(
            f"y must hold labels 0 to {n_classes - 1}, "
            + ("one per column of y_pred" if y_pred.shape[1] > 1 else "for y_pred with one logit per row")
            + f", found {int(y.max())}; labels count from 0, not 1 as in R"
        )
    return y_pred, y, n_classes


def predict_classes(y_pred: torch.Tensor) -> torch.Tensor:
    """The predicted class of each row of logits: the largest logit's column, or ``logit > 0`` for one column.

    Args:
        y_pred: logits of shape ``(n, k)``; ``(n, 1)`` for a binary classifier.

    Returns:
        Labels of shape ``(n,)``, ``torch.int64``, counted from 0.

    Examples:
        >>> predict_classes(torch.tensor([[2.0, 0.5, -1.0], [0.0, 0.1, 3.0]]))
        tensor([0, 2])
        >>> predict_classes(torch.tensor([[1.5], [-0.2]]))
        tensor([1, 0])
    """
    y_pred = _logits(y_pred)
    if y_pred.shape[1] == 1:
        # logit > 0, not sigmoid(logit) > 0.5: the same in exact arithmetic, and float32 rounds
        # sigmoid of a logit near 1e-8 to exactly 0.5
        return (y_pred[:, 0] > 0).long()
    return y_pred.argmax(dim=1)


def accuracy(y_pred: torch.Tensor, y: torch.Tensor) -> float:
    """The fraction of rows whose predicted class (`predict_classes`) is the label.

    Args:
        y_pred: logits of shape ``(n, k)``, or ``(n, 1)`` for a binary classifier.
        y: labels of shape ``(n,)``, integers from 0 to ``k - 1``.

    Returns:
        A float from 0 to 1.

    Examples:
        >>> y_pred = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0], [0.5, 0.0]])
        >>> accuracy(y_pred, torch.tensor([0, 1, 1, 0]))
        0.75
        >>> accuracy(y_pred, torch.tensor([1, 2, 1, 0]))
        Traceback (most recent call last):
        ...
        ValueError: y must hold labels 0 to 1, one per column of y_pred, found 2; labels count from 0, not 1 as in R
    """
    y_pred, y, _ = _check_logits_labels(y_pred, y)
    return (predict_classes(y_pred) == y).double().mean().item()


def confusion_matrix(y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Count each pair of true and predicted class: row ``i``, column ``j`` counts label ``i`` predicted as ``j``.

    The diagonal holds the correct predictions; the matrix sums to ``n``.

    Args:
        y_pred: logits of shape ``(n, k)``, or ``(n, 1)`` for a binary classifier.
        y: labels of shape ``(n,)``, integers from 0 to ``k - 1``.

    Returns:
        A ``(k, k)`` tensor of ``torch.int64`` counts (``(2, 2)`` for one logit).

    Examples:
        >>> y_pred = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0], [0.5, 0.0]])
        >>> confusion_matrix(y_pred, torch.tensor([0, 1, 1, 0]))
        tensor([[2, 0],
                [1, 1]])
    """
    y_pred, y, n_classes = _check_logits_labels(y_pred, y)
    # Each (true, predicted) pair gets its own cell number, true * k + predicted; count the cells.
    cells = y * n_classes + predict_classes(y_pred)
    return torch.bincount(cells, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def cross_entropy_grad(y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""The gradient of the mean cross-entropy ``F.cross_entropy(y_pred, y)`` with respect to the logits.

    For one row with logits $z$ and label $c$ the loss is
    $-\log \operatorname{softmax}(z)_c = \log \sum_j e^{z_j} - z_c$, whose
    derivative by $z_j$ is $\operatorname{softmax}(z)_j - [j = c]$: softmax
    minus one-hot. The mean over $n$ rows divides it by $n$.

    Args:
        y_pred: logits of shape ``(n, k)``, ``k >= 2``.
        y: labels of shape ``(n,)``, integers from 0 to ``k - 1``.

    Returns:
        ``(softmax(y_pred) - one_hot(y)) / n``, of the shape and dtype of ``y_pred``.

    Examples:
        >>> y_pred = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
        >>> cross_entropy_grad(y_pred, torch.tensor([0, 1]))
        tensor([[-0.2500,  0.2500],
                [ 0.2500, -0.2500]])
    """
    y_pred, y, _ = _check_logits_labels(y_pred, y)
    if y_pred.shape[1] < 2:
        raise ValueError(f"y_pred must have one column per class, at least 2, got shape {tuple(y_pred.shape)}")
    return cross_entropy_grad_core(y_pred, y)


def cross_entropy_grad_core(y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """`cross_entropy_grad` without the argument checks: logits ``(n, k)``, ``k >= 2``, labels ``(n,)``."""
    n, k = y_pred.shape
    one_hot = F.one_hot(y, k).to(y_pred.dtype)  # (n, k)
    return (torch.softmax(y_pred, dim=1) - one_hot) / n


class _ClassifierRun(Run):
    """`Run` for integer labels and the mean cross-entropy: the loop machinery is the regression trainers'."""

    LEVELS = ("classifier",)
    LOSSES = ("cross_entropy",)

    def __init__(self, x: object, y: object, settings: Settings, *, n_classes: object) -> None:
        # Set before Run checks the data, which needs it for the labels' range.
        self._n_classes = None if n_classes is None else _checks.int_at_least(n_classes, "n_classes", 2, _MAX_CLASSES)
        super().__init__("classifier", x, y, settings)

    def _check_data(self, x: object, y: object, x_name: str, y_name: str) -> tuple[torch.Tensor, torch.Tensor]:
        x = _checks.ndim(_checks.floating(x, x_name), x_name, (2,), "(n, d_in)")
        y = _checks.class_labels(y, y_name)
        _checks.same_rows(x, x_name, y, y_name)
        if x.shape[1] == 0:
            raise ValueError(f"{x_name} must have at least one column (d_in >= 1), got shape {tuple(x.shape)}")
        _checks.same_device(x, x_name, y, y_name)
        _checks.finite(x, x_name)
        largest = int(y.max())
        if self._n_classes is None:  # the training labels, checked before any validation labels
            self._n_classes = max(largest + 1, 2)
            if self._n_classes > _MAX_CLASSES:
                raise ValueError(f"{y_name} must hold labels below {_MAX_CLASSES}, found {largest}")
        elif largest >= self._n_classes:
            raise ValueError(
                f"{y_name} must hold labels 0 to {self._n_classes - 1} for n_classes={self._n_classes}, "
                f"found {largest}; labels count from 0, not 1 as in R"
            )
        return x, y

    def _outputs(self, y: torch.Tensor) -> int:
        return self._n_classes  # type: ignore[return-value]  # set before it is read

    def _loss_value(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(y_pred, y)


def train_classifier(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    d_hidden: int = 32,
    epochs: int = 200,
    lr: float = 1e-2,
    seed: int | None = 0,
    log_every: int | None = 10,
    device: str | torch.device | None = None,
    on_epoch: EpochCallback | None = None,
    batch_size: int | None = None,
    x_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
    patience: int | None = None,
    optimizer: str = "adam",
    n_classes: int | None = None,
) -> TrainResult:
    """Train `nnbook.build_mlp`'s network to classify, with ``nn.CrossEntropyLoss`` and ``torch.optim``.

    The loop is `nnbook.train_optim`'s, and so are the arguments, except
    that ``y`` (and ``y_val``) hold integer labels of shape ``(n,)`` counted
    from 0, and the loss is always the mean cross-entropy. The network has one
    output, a logit, per class: ``n_classes`` of them, by default the largest
    label in ``y`` plus one.

    Returns:
        A `nnbook.TrainResult` with ``level="classifier"`` and
        ``loss="cross_entropy"``; its ``predict(x)`` gives logits of shape
        ``(n, n_classes)``, which `accuracy` and `confusion_matrix` take.

    Examples:
        >>> x, y = simulate_rings(n=200, n_classes=3, seed=0)
        >>> result = train_classifier(x, y, epochs=20, log_every=0)
        >>> result.level, result.loss, tuple(result.predict(x).shape)
        ('classifier', 'cross_entropy', (200, 3))
        >>> train_classifier(x, y.float())
        Traceback (most recent call last):
        ...
        TypeError: y must hold integer class labels, got dtype torch.float32; convert it with y.long()
    """
    # every argument but x, y and n_classes, as one Settings object; the loss is always the cross-entropy
    run = _ClassifierRun(x, y, Settings.of({**locals(), "loss": "cross_entropy"}), n_classes=n_classes)
    # The loop of train_optim; the loss takes logits (n, k) and labels (n,) and averages over the rows.
    return optimize(run, nn.CrossEntropyLoss())
