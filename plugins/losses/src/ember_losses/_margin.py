"""Margin and embedding losses: margin_ranking_loss, hinge_embedding_loss,
soft_margin_loss, multilabel_soft_margin_loss, multilabel_margin_loss, multi_margin_loss,
cosine_embedding_loss, triplet_margin_loss and triplet_margin_with_distance_loss.

Composites of core ops. Hinges use ``where(z > 0, z, 0)`` so that, as in torch's kernels,
an element exactly on the margin passes no gradient.
"""

from __future__ import annotations

from collections.abc import Callable

import ember
from ember import Tensor
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args

from ._classification import log_sigmoid
from ._reduction import check_reduction, not_differentiable, reduce_loss, resolve

__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "multilabel_margin_loss", "multi_margin_loss",
           "cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "pairwise_distance"]


def _hinge(z: Tensor) -> Tensor:
    return ember.where(z > 0, z, ember.zeros_like(z))


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """Ranking hinge: ``loss = max(0, -y * (x1 - x2) + margin)`` with ``y`` in ``{1, -1}``
    saying which input should rank higher.

    Args:
        input1, input2, target: broadcastable tensors with the same number of dims.
        margin: default 0.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        the loss: the broadcast shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import margin_ranking_loss
    >>> margin_ranking_loss(ember.tensor([1.0]), ember.tensor([2.0]), ember.tensor([1.0]))
    tensor(1.)
    """
    if AUTOCAST.active:
        input1, input2, target = autocast_args("margin_ranking_loss", input1, input2, target)
    reduction = check_reduction(resolve(size_average, reduce, reduction))
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.size()}, input2: {input2.size()}, "
                           f"target: {target.size()} ")
    return reduce_loss((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,  # noqa: A002
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """Hinge loss on distances: ``loss = x`` where ``y = 1`` and ``max(0, margin - x)``
    where ``y = -1`` (other target values contribute both terms, as in torch).

    Args:
        input: distances, any shape; target: broadcastable, values in ``{1, -1}``.
        margin: default 1.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        the loss: the broadcast shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import hinge_embedding_loss
    >>> hinge_embedding_loss(ember.tensor([0.3, 0.3]), ember.tensor([1.0, -1.0]))
    tensor(0.5000)
    """
    if AUTOCAST.active:
        input, target = autocast_args("hinge_embedding_loss", input, target)
    reduction = check_reduction(resolve(size_average, reduce, reduction))
    zeros = ember.zeros_like(input)
    margin_term = ember.where(target != 1, (margin - input).clamp_min(0), zeros)
    self_term = ember.where(target != -1, input, zeros)
    return reduce_loss(margin_term + self_term, reduction)


def soft_margin_loss(input: Tensor, target: Tensor,  # noqa: A002
                     size_average: bool | None = None, reduce: bool | None = None,
                     reduction: str = "mean") -> Tensor:
    """Two-class logistic loss: ``loss = log(1 + exp(-y * x))`` with ``y`` in ``{1, -1}``.

    Args:
        input: scores, any shape; target: broadcastable labels.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        the loss: the broadcast shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import soft_margin_loss
    >>> soft_margin_loss(ember.tensor([0.0]), ember.tensor([1.0]))
    tensor(0.6931)
    """
    if AUTOCAST.active:
        input, target = autocast_args("soft_margin_loss", input, target)
    reduction = check_reduction(resolve(size_average, reduce, reduction))
    not_differentiable("soft_margin_loss", "target", target)
    return reduce_loss((-input * target).exp().log1p(), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor,  # noqa: A002
                                weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """One-vs-all logistic loss over ``C`` labels, averaged over the labels.

    ``loss_n = -1/C * sum_c w_c * (y_nc log sigmoid(x_nc) + (1 - y_nc) log sigmoid(-x_nc))``.

    Args:
        input: ``(N, C)`` or ``(C)`` scores; target: same shape, values in ``{0, 1}``.
        weight: ``(C)`` per-class weights.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        the loss: ``(N)`` (or a scalar for 1-d input) for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import multilabel_soft_margin_loss
    >>> multilabel_soft_margin_loss(ember.tensor([[0.0, 0.0]]), ember.tensor([[1.0, 0.0]]))
    tensor(0.6931)
    """
    reduction = resolve(size_average, reduce, reduction)
    loss = -(target * log_sigmoid(input) + (1 - target) * log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return reduce_loss(loss, reduction)


def _check_margin_shapes(input: Tensor, target: Tensor) -> tuple[int, int]:  # noqa: A002
    nd = input.ndim
    if not ((nd == 2 and input.shape[1] != 0) or (nd == 1 and input.shape[0] != 0)
            or nd == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")
    if nd <= 1:
        return 1, (1 if nd == 0 else input.shape[0])
    return input.shape[0], input.shape[1]


def multilabel_margin_loss(input: Tensor, target: Tensor,  # noqa: A002
                           size_average: bool | None = None, reduce: bool | None = None,
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss between the target classes and all the others.

    ``target`` lists each sample's classes, padded after the first ``-1``. With ``J`` that
    list and ``x`` one sample's ``C`` scores:
    ``loss = sum_{j in J} sum_{i not in J} max(0, 1 - (x[j] - x[i])) / C``.

    Args:
        input: ``(C)`` or ``(N, C)`` scores.
        target: int64, same shape: class indices, then ``-1`` and anything.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        the loss: ``(N)`` (a scalar for 1-d input) for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import multilabel_margin_loss
    >>> x = ember.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> multilabel_margin_loss(x, ember.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """
    if AUTOCAST.active:
        input, target = autocast_args("multilabel_margin_loss", input, target)
    reduction = check_reduction(resolve(size_average, reduce, reduction))
    nframe, dim = _check_margin_shapes(input, target)
    if input.ndim <= 1:
        ok = target.ndim <= 1 and target.numel() == dim
    else:
        ok = target.ndim == 2 and tuple(target.shape) == (nframe, dim)
    if not ok:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    if target.numel() and (int(target.min().item()) < -1 or int(target.max().item()) >= dim):
        raise RuntimeError("argument #2 'target' is out of range")
    x = input.reshape(nframe, dim)
    t = target.reshape(nframe, dim).long()
    valid = (t != -1).long().cumprod(1) > 0                   # the classes before the first -1
    idx = t.masked_fill(~valid, 0)
    classes = ember.arange(dim, device=input.device).reshape(1, 1, dim)
    is_target = ((idx.unsqueeze(2) == classes) & valid.unsqueeze(2)).any(1)   # (N, C)
    x_target = x.gather(1, idx)                                               # (N, K)
    z = _hinge(1 - x_target.unsqueeze(2) + x.unsqueeze(1))                    # (N, K, C)
    mask = valid.unsqueeze(2) & ~is_target.unsqueeze(1)
    loss = (z * mask.to(z.dtype)).sum((1, 2)) / dim
    if input.ndim <= 1:
        loss = loss.reshape(())
    return reduce_loss(loss, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1,  # noqa: A002
                      margin: float = 1.0, weight: Tensor | None = None,
                      size_average: bool | None = None, reduce: bool | None = None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: the target score should beat every other by ``margin``.

    ``loss = sum_{i != y} max(0, w[y] * (margin - x[y] + x[i]))^p / C`` with ``p`` 1 or 2
    (the weight multiplies after the power, as in torch).

    Args:
        input: ``(C)`` or ``(N, C)`` scores; target: ``()`` or ``(N)`` class indices.
        p: 1 or 2; margin: default 1.
        weight: ``(C)`` per-class weights.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        the loss: ``(N)`` (target's shape) for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import multi_margin_loss
    >>> multi_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
    tensor(0.3250)
    """
    if AUTOCAST.active:
        input, target, weight = autocast_args("multi_margin_loss", input, target, weight)
    reduction = check_reduction(resolve(size_average, reduce, reduction))
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    not_differentiable("multi_margin_loss", "weight", weight)
    nframe, dim = _check_margin_shapes(input, target)
    if not (target.ndim <= 1 and target.numel() == nframe):
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to "
                           "the number of input samples (batch size). Expected target size "
                           f"[{nframe}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    if weight is not None and weight.numel() != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got "
                           f"{list(weight.shape)}")
    t = target.reshape(nframe, 1).long()
    if bool(((t < 0) | (t >= dim)).any()):
        raise RuntimeError("target out of range")
    x = input.reshape(nframe, dim)
    z = _hinge(margin - x.gather(1, t) + x)
    z = z.masked_fill(ember.arange(dim, device=input.device).reshape(1, dim) == t, 0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.gather(0, t.flatten()).unsqueeze(1)
    loss = z.sum(1) / dim
    loss = loss.reshape(target.shape) if target.ndim else loss.reshape(())
    return reduce_loss(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """Cosine-similarity loss: ``1 - cos(x1, x2)`` where ``y = 1`` and
    ``max(0, cos(x1, x2) - margin)`` where ``y = -1``.

    ``cos = <x1, x2> / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))`` along the last dim.

    Args:
        input1, input2: ``(N, D)`` or ``(D)``; target: ``(N)`` or ``()``.
        margin: in ``[-1, 1]``, default 0.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        the loss: ``(N)`` for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import cosine_embedding_loss
    >>> cosine_embedding_loss(ember.tensor([1.0, 0.0]), ember.tensor([0.0, 1.0]),
    ...                       ember.tensor(1.0))
    tensor(1.)
    """
    if AUTOCAST.active:
        input1, input2, target = autocast_args("cosine_embedding_loss", input1, input2, target)
    reduction = check_reduction(resolve(size_average, reduce, reduction))
    tdim = target.ndim
    if tdim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if tdim == 1 else 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(f"{tdim}D target tensor expects {want}D input tensors, but found "
                           f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}.")
    prod = (input1 * input2).sum(tdim)
    mag1 = (input1 * input1).sum(tdim) + 1e-12
    mag2 = (input2 * input2).sum(tdim) + 1e-12
    cos = prod / (mag1 * mag2).sqrt()
    zeros = ember.zeros_like(cos)
    pos = ember.where(target == 1, 1 - cos, zeros)
    neg = ember.where(target == -1, (cos - margin).clamp_min(0), zeros)
    return reduce_loss(pos + neg, reduction)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dim (torch's pairwise distance), the default
    distance of the triplet losses."""
    dim = max(x1.ndim, x2.ndim) - 1
    return ember.norm(x1 - x2 + eps, p, dim, keepdim)


def _check_triplet_dims(anchor: Tensor, positive: Tensor, negative: Tensor) -> None:
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not (a == p and p == n):
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {p}D, "
                           f"and negative {n}D inputs")


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Triplet loss: the anchor should be closer to the positive than to the negative by
    ``margin``.

    ``loss = max(0, margin + d(a, pos) - d(a, neg))`` with ``d(u, v) = ||u - v + eps||_p``;
    ``swap`` replaces ``d(a, neg)`` by ``min(d(a, neg), d(pos, neg))`` (Balntas et al.,
    2016, http://www.bmva.org/bmvc/2016/papers/paper119/index.html).

    Args:
        anchor, positive, negative: ``(N, D)`` or ``(D)``.
        margin: ``> 0`` (default 1); p: the norm's degree (default 2); eps: default 1e-6.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        the loss: ``(N)`` for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import triplet_margin_loss
    >>> a = ember.tensor([[0.0, 0.0]])
    >>> triplet_margin_loss(a, a, ember.tensor([[3.0, 4.0]]), eps=0.0)
    tensor(0.)
    """
    if AUTOCAST.active:
        anchor, positive, negative = autocast_args(
            "triplet_margin_loss", anchor, positive, negative)
    reduction = check_reduction(resolve(size_average, reduce, reduction))
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ember.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return reduce_loss((margin + d_pos - d_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(
        anchor: Tensor, positive: Tensor, negative: Tensor, *,
        distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
        margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """Triplet loss with any distance:
    ``loss = max(0, margin + d(a, pos) - d(a, neg))``.

    Args:
        anchor, positive, negative: tensors with the same number of dims.
        distance_function: ``d(u, v) -> distances``, non-negative; default the euclidean
            pairwise distance.
        margin: ``> 0`` (default 1).
        swap: use ``min(d(a, neg), d(pos, neg))`` as the negative distance.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        the loss: the distances' shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import triplet_margin_with_distance_loss
    >>> a = ember.tensor([[0.0, 0.0]])
    >>> l1 = lambda u, v: (u - v).abs().sum(-1)
    >>> triplet_margin_with_distance_loss(a, a, ember.tensor([[1.0, 2.0]]),
    ...                                   distance_function=l1)
    tensor(0.)
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = ember.minimum(d_neg, dist(positive, negative))
    return reduce_loss((margin + d_pos - d_neg).clamp_min(0), reduction)
