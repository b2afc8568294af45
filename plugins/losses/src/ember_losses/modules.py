"""The loss Modules (``ember.nn.<Loss>``): thin wrappers that keep the options and call the
functional form in ``forward``.

As in torch, ``_Loss`` holds ``reduction`` (the deprecated ``size_average``/``reduce`` pair
overrides it) and ``_WeightedLoss`` adds a ``weight`` buffer, so class weights follow the
module through ``.to()``, ``.double()`` and the state dict.
"""

from __future__ import annotations

from collections.abc import Callable

from ember import Tensor
from ember.nn import Module

from . import functional as F
from ._adaptive import AdaptiveLogSoftmaxWithLoss
from ._reduction import legacy_get_string

__all__ = ["L1Loss", "MSELoss", "CrossEntropyLoss", "CTCLoss", "NLLLoss", "PoissonNLLLoss",
           "GaussianNLLLoss", "KLDivLoss", "BCELoss", "BCEWithLogitsLoss", "MarginRankingLoss",
           "HingeEmbeddingLoss", "MultiLabelMarginLoss", "HuberLoss", "SmoothL1Loss",
           "SoftMarginLoss", "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss",
           "MultiMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
           "AdaptiveLogSoftmaxWithLoss"]


class _Loss(Module):
    """Base of the losses: stores ``reduction`` (``'none'`` | ``'mean'`` | ``'sum'``)."""

    reduction: str

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = legacy_get_string(size_average, reduce)
        else:
            self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight``, registered as a buffer."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    """Mean absolute error ``|x - y|`` (see :func:`ember_losses.l1_loss`).

    >>> import ember
    >>> L1Loss()(ember.tensor([1.0, -1.0]), ember.tensor([0.0, 0.0]))
    tensor(1.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error ``(x - y)^2`` (see :func:`ember_losses.mse_loss`).

    >>> import ember
    >>> MSELoss()(ember.tensor([2.0]), ember.tensor([0.0]))
    tensor(4.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood ``-w[t] * x[t]`` of log-probabilities, with class
    ``weight`` and ``ignore_index`` (see :func:`ember_losses.nll_loss`).

    >>> import ember
    >>> NLLLoss()(ember.tensor([[-0.5, -1.0]]), ember.tensor([1]))
    tensor(1.)
    """

    ignore_index: int

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy ``-w[t] * log_softmax(x)[t]`` of logits, for class indices or class
    probabilities, with ``weight``, ``ignore_index`` and ``label_smoothing`` (see
    :func:`ember_losses.cross_entropy`).

    >>> import ember
    >>> CrossEntropyLoss()(ember.tensor([[0.0, 0.0]]), ember.tensor([1]))
    tensor(0.6931)
    """

    ignore_index: int
    label_smoothing: float

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood ``exp(x) - y * x`` (``log_input``) or
    ``x - y * log(x + eps)``, with optional Stirling term (see
    :func:`ember_losses.poisson_nll_loss`).

    >>> import ember
    >>> PoissonNLLLoss()(ember.tensor([0.0]), ember.tensor([2.0]))
    tensor(1.)
    """

    log_input: bool
    full: bool
    eps: float

    def __init__(self, log_input: bool = True, full: bool = False,
                 size_average: bool | None = None, eps: float = 1e-8,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood ``0.5 * (log v + (x - y)^2 / v)`` with the variance
    ``v`` clamped at ``eps`` (see :func:`ember_losses.gaussian_nll_loss`).

    >>> import ember
    >>> GaussianNLLLoss()(ember.tensor([1.0]), ember.tensor([1.0]), ember.tensor([1.0]))
    tensor(0.)
    """

    full: bool
    eps: float

    def __init__(self, *, full: bool = False, eps: float = 1e-6,
                 reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:  # noqa: A002
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence ``y * (log y - x)`` with ``x`` log-probabilities
    (``exp(y) * (y - x)`` when ``log_target``); use ``reduction='batchmean'`` for the true
    KL divergence (see :func:`ember_losses.kl_div`).

    >>> import ember
    >>> KLDivLoss(reduction="sum")(ember.tensor([0.0]), ember.tensor([1.0]))
    tensor(0.)
    """

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class BCELoss(_WeightedLoss):
    """Binary cross entropy ``-w * (y log x + (1 - y) log(1 - x))`` on probabilities (see
    :func:`ember_losses.binary_cross_entropy`).

    >>> import ember
    >>> BCELoss()(ember.tensor([0.5]), ember.tensor([0.0]))
    tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy on logits, ``-w * (p y log s(x) + (1 - y) log(1 - s(x)))`` with
    the sigmoid ``s`` fused in for stability; ``weight`` and ``pos_weight`` are buffers (see
    :func:`ember_losses.binary_cross_entropy_with_logits`).

    >>> import ember
    >>> BCEWithLogitsLoss()(ember.tensor([0.0]), ember.tensor([0.0]))
    tensor(0.6931)
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` for ``y = 1``, ``max(0, margin - x)`` for ``y = -1`` (see
    :func:`ember_losses.hinge_embedding_loss`).

    >>> import ember
    >>> HingeEmbeddingLoss()(ember.tensor([0.25]), ember.tensor([-1.0]))
    tensor(0.7500)
    """

    margin: float

    def __init__(self, margin: float = 1.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge ``sum_{j in J, i not in J} max(0, 1 - (x[j] - x[i])) / C`` with
    the target classes ``J`` listed before the first ``-1`` (see
    :func:`ember_losses.multilabel_margin_loss`).

    >>> import ember
    >>> MultiLabelMarginLoss()(ember.tensor([[0.1, 0.2, 0.4, 0.8]]),
    ...                        ember.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """``0.5 z^2 / beta`` for ``z = |x - y| < beta``, else ``z - 0.5 beta`` (see
    :func:`ember_losses.smooth_l1_loss`).

    >>> import ember
    >>> SmoothL1Loss()(ember.tensor([0.5]), ember.tensor([0.0]))
    tensor(0.1250)
    """

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``0.5 z^2`` for ``z = |x - y| < delta``, else ``delta * (z - 0.5 delta)`` (see
    :func:`ember_losses.huber_loss`).

    >>> import ember
    >>> HuberLoss()(ember.tensor([3.0]), ember.tensor([0.0]))
    tensor(2.5000)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        if not isinstance(delta, (float, int)):
            raise TypeError(f"delta must be a float or int, got: {type(delta)}")
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SoftMarginLoss(_Loss):
    """Logistic loss ``log(1 + exp(-y x))`` (see :func:`ember_losses.soft_margin_loss`).

    >>> import ember
    >>> SoftMarginLoss()(ember.tensor([0.0]), ember.tensor([-1.0]))
    tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One-vs-all logistic loss averaged over classes,
    ``-mean_c w_c (y_c log s(x_c) + (1 - y_c) log s(-x_c))`` (see
    :func:`ember_losses.multilabel_soft_margin_loss`).

    >>> import ember
    >>> MultiLabelSoftMarginLoss()(ember.tensor([[0.0]]), ember.tensor([[1.0]]))
    tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """``1 - cos(x1, x2)`` for ``y = 1``, ``max(0, cos(x1, x2) - margin)`` for ``y = -1``
    (see :func:`ember_losses.cosine_embedding_loss`).

    >>> import ember
    >>> CosineEmbeddingLoss()(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 0.0]]),
    ...                       ember.tensor([-1.0]))
    tensor(1.)
    """

    margin: float

    def __init__(self, margin: float = 0.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """``max(0, -y (x1 - x2) + margin)`` (see :func:`ember_losses.margin_ranking_loss`).

    >>> import ember
    >>> MarginRankingLoss()(ember.tensor([1.0]), ember.tensor([3.0]), ember.tensor([1.0]))
    tensor(2.)
    """

    margin: float

    def __init__(self, margin: float = 0.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge ``sum_{i != y} max(0, w[y] (margin - x[y] + x[i]))^p / C`` (see
    :func:`ember_losses.multi_margin_loss`).

    >>> import ember
    >>> MultiMarginLoss()(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
    tensor(0.3250)
    """

    margin: float
    p: int

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                 size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p != 1 and p != 2:
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError("MultiMarginLoss: expected weight to be None or 1D tensor, got "
                             f"{weight.dim()}D instead")
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """``max(0, margin + ||a - p + eps||_p - ||a - n + eps||_p)``, optionally with the
    distance swap (see :func:`ember_losses.triplet_margin_loss`).

    >>> import ember
    >>> a = ember.tensor([[0.0, 0.0]])
    >>> TripletMarginLoss(eps=0.0)(a, a, ember.tensor([[0.6, 0.8]]))
    tensor(0.)
    """

    margin: float
    p: float
    eps: float
    swap: bool

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError("TripletMarginLoss: expected margin to be greater than 0, got "
                             f"{margin} instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class PairwiseDistance(Module):
    """The default distance of :class:`TripletMarginWithDistanceLoss`:
    ``||x1 - x2 + eps||_2`` along the last dim. (A private copy, so ember-losses needs
    no layer plugin; ``ember.nn.PairwiseDistance`` from ember-layers is the public one.)"""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        from ._margin import pairwise_distance

        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class TripletMarginWithDistanceLoss(_Loss):
    """``max(0, margin + d(a, p) - d(a, n))`` for any distance function ``d`` (default the
    euclidean pairwise distance), optionally with the distance swap (see
    :func:`ember_losses.triplet_margin_with_distance_loss`).

    >>> import ember
    >>> a = ember.tensor([[0.0, 0.0]])
    >>> TripletMarginWithDistanceLoss(margin=0.5)(a, a, ember.tensor([[3.0, 4.0]]))
    tensor(0.)
    """

    margin: float
    swap: bool

    def __init__(self, *, distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
                 margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(size_average=None, reduce=None, reduction=reduction)
        if margin <= 0:
            raise ValueError("TripletMarginWithDistanceLoss: expected margin to be greater "
                             f"than 0, got {margin} instead")
        self.distance_function: Callable[[Tensor, Tensor], Tensor] | None = (
            distance_function if distance_function is not None else PairwiseDistance())
        self.margin = margin
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(anchor, positive, negative,
                                                   distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap,
                                                   reduction=self.reduction)


class CTCLoss(_Loss):
    """Connectionist Temporal Classification loss ``-log sum_{alignments} prod_t y_t[a_t]``
    over every alignment that collapses to the target (see :func:`ember_losses.ctc_loss`).

    >>> import ember
    >>> lp = ember.zeros(2, 1, 2).log_softmax(2)
    >>> CTCLoss(reduction="sum")(lp, ember.tensor([[1]]), (2,), (1,))
    tensor(0.2877)
    """

    blank: int
    zero_infinity: bool

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths: Tensor,
                target_lengths: Tensor) -> Tensor:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                          self.reduction, self.zero_infinity)
