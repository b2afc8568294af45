"""Classification losses: nll_loss, cross_entropy, binary_cross_entropy and
binary_cross_entropy_with_logits.

All of them are composites of core ops (log_softmax, gather, where, ...), so autograd and
every backend work without extra kernels; binary_cross_entropy and the log-sigmoid inside
binary_cross_entropy_with_logits record their own backward so their gradients follow torch's
formulas at the edges (x at 0 or 1, logits at +-100).
"""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args
from ember.autograd.grad_mode import GRAD
from ember.autograd.graph import record

from ._reduction import check_reduction, not_differentiable, reduce_loss, resolve

__all__ = ["nll_loss", "cross_entropy", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "log_sigmoid"]


def _dtype_name(t: Tensor) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
            "uint8": "Byte", "bool": "Bool", "float64": "Double", "float32": "Float",
            "float16": "Half", "bfloat16": "BFloat16"}.get(t.dtype.name, t.dtype.name)


# ---------------------------------------------------------------------------------------
# nll_loss
# ---------------------------------------------------------------------------------------


def _check_nll(input: Tensor, target: Tensor, weight: Tensor | None) -> None:  # noqa: A002
    """torch's argument contract of nll_loss for any number of dims."""
    not_differentiable("nll_loss_forward", "weight", weight)
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim != 1 and target.ndim >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if target.dtype not in (ember.int64, ember.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_dtype_name(target)}")
    n_classes = input.shape[0 if input.ndim == 1 else 1]
    if weight is not None:
        if weight.ndim != 1 or weight.numel() != n_classes:
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} "
                               "classes or no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
        if weight.dtype != input.dtype:
            raise RuntimeError(f"expected scalar type {_dtype_name(input)} but found "
                               f"{_dtype_name(weight)}")
    if input.ndim <= 2:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
            raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                             f"{target.shape[0]}")
        return
    expected = [input.shape[0], *input.shape[2:]]
    if input.ndim == 4:
        if target.ndim != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {target.ndim}")
        if list(target.shape) != expected:
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: "
                               f"{list(target.shape)}")
        return
    if list(target.shape) != expected:
        raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")


def _nll_terms(logp: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int
               ) -> tuple[Tensor, Tensor, Tensor]:
    """Per-element ``-w[t] * logp[t]`` (0 where ignored), the per-element weights and the
    ignore mask. ``logp`` has the class dim at 1 (0 when it is 1-d)."""
    cdim = 0 if logp.ndim == 1 else 1
    n_classes = logp.shape[cdim]
    target = target.long()
    if logp.ndim == 1 and target.ndim == 1:
        target = target.reshape(())
    ignored = target == ignore_index
    idx = target.masked_fill(ignored, 0)
    bad = (~ignored) & ((idx < 0) | (idx >= n_classes))
    if bool(bad.any()):
        value = int(target[bad].flatten()[0].item())
        raise IndexError(f"Target {value} is out of bounds.")
    picked = logp.gather(cdim, idx.unsqueeze(cdim)).squeeze(cdim)
    if weight is None:
        w = (~ignored).to(logp.dtype)
    else:
        w = weight.index_select(0, idx.flatten()).reshape(idx.shape)
        w = w.masked_fill(ignored, 0)
    loss = (-picked * w).masked_fill(ignored, 0)
    return loss, w, ignored


def _nll_reduce(loss: Tensor, w: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.sum() / w.sum()
    return reduce_loss(loss, reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of the target classes, given log-probabilities.

    ``loss_i = -weight[t_i] * input[i, t_i]`` (0 where ``t_i == ignore_index``); ``'mean'``
    divides the sum by ``sum_i weight[t_i]`` over the non-ignored elements.

    Args:
        input: log-probabilities, ``(C)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``.
        target: class indices (int64 or uint8), ``()``, ``(N)`` or ``(N, d1, ..., dK)``.
        weight: ``(C)`` per-class weights (default: all ones).
        ignore_index: target value that contributes neither loss nor weight.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``; ``size_average``/``reduce`` are
            the deprecated spelling.

    Returns:
        the loss: the target's shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import nll_loss
    >>> nll_loss(ember.tensor([[-1.0, -2.0]]), ember.tensor([1]))
    tensor(2.)
    """
    if AUTOCAST.active:
        input, target, weight = autocast_args("nll_loss", input, target, weight)
    reduction = check_reduction(resolve(size_average, reduce, reduction))
    _check_nll(input, target, weight)
    loss, w, _ = _nll_terms(input, target, weight, ignore_index)
    return _nll_reduce(loss, w, reduction)


# ---------------------------------------------------------------------------------------
# cross_entropy
# ---------------------------------------------------------------------------------------


def _class_shape(ndim: int, cdim: int, n: int) -> list[int]:
    shape = [1] * ndim
    shape[cdim] = n
    return shape


def _cross_entropy_probs(logp: Tensor, target: Tensor, weight: Tensor | None,
                         reduction: str, label_smoothing: float) -> Tensor:
    cdim = 0 if logp.ndim == 1 else 1
    n_classes = logp.shape[cdim]
    if weight is not None and (weight.ndim != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                           f"{n_classes} classes or no classes but got weight tensor of "
                           f"shape: {list(weight.shape)}")
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * weight.reshape(_class_shape(logp.ndim, cdim, n_classes))
    if reduction == "none":
        return -prod.sum(cdim)
    if reduction == "sum":
        return -prod.sum()
    if logp.numel() == 0:
        return -prod.sum() * float("nan")
    return -prod.sum() / (logp.numel() // n_classes)


def _cross_entropy_smoothed(logp: Tensor, target: Tensor, weight: Tensor | None,
                            reduction: str, ignore_index: int, label_smoothing: float
                            ) -> Tensor:
    cdim = 0 if logp.ndim == 1 else 1
    n_classes = logp.shape[cdim]
    loss, w, ignored = _nll_terms(logp, target, weight, ignore_index)
    nll = _nll_reduce(loss, w, reduction)
    if weight is not None:
        smooth = -(logp * weight.reshape(_class_shape(logp.ndim, cdim, n_classes))).sum(cdim)
    else:
        smooth = -logp.sum(cdim)
    smooth = smooth.masked_fill(ignored, 0)
    if reduction == "mean":
        denom = w.sum() if weight is not None else (~ignored).sum()
        smooth = smooth.sum() / denom
    else:
        smooth = reduce_loss(smooth, reduction)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between unnormalized logits and a target: ``nll_loss(log_softmax(x))``.

    With class-index targets, ``loss_i = -w[t_i] * log_softmax(x_i)[t_i]``; with
    ``label_smoothing = e`` the target is mixed with the uniform distribution:
    ``(1 - e) * nll + e / C * sum_c -w[c] * log_softmax(x_i)[c]``. With probability targets
    (same shape as ``input``), ``loss_i = -sum_c w[c] * p_ic * log_softmax(x_i)[c]`` and
    ``'mean'`` divides by the number of samples ``N * d1 * ... * dK``.

    Args:
        input: logits ``(C)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``.
        target: class indices (shape of ``input`` without the class dim) or class
            probabilities (floating, shape of ``input``).
        weight: ``(C)`` per-class weights.
        ignore_index: class-index target value that is skipped (not allowed with
            probability targets).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        label_smoothing: in ``[0, 1]``; amount of uniform smoothing of the target.

    Returns:
        the loss: per sample for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import cross_entropy
    >>> cross_entropy(ember.tensor([[0.0, 0.0]]), ember.tensor([0]))
    tensor(0.6931)
    """
    if AUTOCAST.active:
        input, target, weight = autocast_args("cross_entropy", input, target, weight)
    reduction = check_reduction(resolve(size_average, reduce, reduction))
    cdim = 0 if input.ndim == 1 else 1
    if tuple(input.shape) == tuple(target.shape):
        if not target.dtype.is_floating_point:
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {_dtype_name(target)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                               f"{label_smoothing:g}")
        if input.ndim < 1:
            raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
        return _cross_entropy_probs(input.log_softmax(cdim), target, weight, reduction,
                                    label_smoothing)
    _check_nll(input, target, weight)
    if label_smoothing > 0.0:
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                               f"{label_smoothing:g}")
        return _cross_entropy_smoothed(input.log_softmax(cdim), target, weight, reduction,
                                       ignore_index, label_smoothing)
    loss, w, _ = _nll_terms(input.log_softmax(cdim), target, weight, ignore_index)
    return _nll_reduce(loss, w, reduction)


# ---------------------------------------------------------------------------------------
# binary cross entropy
# ---------------------------------------------------------------------------------------


def _bw_bce(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None, None]:
    x, y, w = node.saved
    if w is not None:
        g = g * w
    gx = gy = None
    if node.next_functions[0] is not None:
        gx = g * (x - y) / ((1 - x) * x).clamp_min(1e-12)
    if node.next_functions[1] is not None:
        gy = -g * x.logit()
    return gx, gy, None


def _bce_elements(x: Tensor, y: Tensor, w: Tensor | None) -> Tensor:
    """``-w * (y * max(log x, -100) + (1 - y) * max(log(1 - x), -100))``, recorded with
    torch's backward (the denominator ``x (1 - x)`` is kept above 1e-12)."""
    with ember.no_grad():
        out = (y - 1) * (-x).log1p().clamp_min(-100) - y * x.log().clamp_min(-100)
        if w is not None:
            out = out * w
    if GRAD.enabled and (x.requires_grad or y.requires_grad):
        record("BinaryCrossEntropyBackward0", _bw_bce, (x, y, None), out, save=(x, y, w))
    return out


def binary_cross_entropy(input: Tensor, target: Tensor,  # noqa: A002
                         weight: Tensor | None = None, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Binary cross entropy between probabilities ``x`` and targets ``y``.

    ``loss = -w * (y * log(x) + (1 - y) * log(1 - x))``, each log clamped to ``>= -100``
    so a probability of exactly 0 or 1 gives a finite loss.

    Args:
        input: probabilities in ``[0, 1]``, any shape.
        target: same shape as ``input``, same dtype.
        weight: rescales each element; broadcast to ``target``'s shape.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        the loss: ``input``'s shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import binary_cross_entropy
    >>> binary_cross_entropy(ember.tensor([0.5]), ember.tensor([1.0]))
    tensor(0.6931)
    """
    if AUTOCAST.active:
        input, target, weight = autocast_args("binary_cross_entropy", input, target, weight)
    reduction = check_reduction(resolve(size_average, reduce, reduction))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.size()}) that is different to the "
                         f"input size ({input.size()}) is deprecated. Please ensure they have "
                         "the same size.")
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {_dtype_name(target)} but expected "
                           f"{_dtype_name(input)}")
    not_differentiable("binary_cross_entropy", "weight", weight)
    if weight is not None:
        weight = weight.expand(ember.broadcast_shapes(target.shape, weight.shape))
    with ember.no_grad():
        in_range = bool(((input >= 0) & (input <= 1)).all())
    if not in_range:
        raise RuntimeError("all elements of input should be between 0 and 1")
    return reduce_loss(_bce_elements(input, target, weight), reduction)


def _bw_log_sigmoid(node: Any, g: Tensor) -> Tensor:
    (x,) = node.saved
    return g * (-x).sigmoid()


def log_sigmoid(x: Tensor) -> Tensor:
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``, stable for large ``|x|``;
    backward ``g * sigmoid(-x)``."""
    with ember.no_grad():
        out = x.clamp_max(0) - (-x.abs()).exp().log1p()
    if GRAD.enabled and x.requires_grad:
        record("LogSigmoidBackward0", _bw_log_sigmoid, (x,), out, save=(x,))
    return out


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,  # noqa: A002
                                     weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy on logits, fused with the sigmoid for stability.

    ``loss = w * ((1 - y) * x - (1 + (p - 1) * y) * log(sigmoid(x)))``, the same as
    ``-w * (p * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x)))`` but finite for
    logits of any size.

    Args:
        input: logits, any shape.
        target: same shape, values in ``[0, 1]``.
        weight: rescales each element (broadcast to ``input``).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        pos_weight: weight ``p`` of the positive term, broadcast along the last dims
            (usually ``(C)`` for ``C`` classes).

    Returns:
        the loss: ``input``'s shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import binary_cross_entropy_with_logits
    >>> binary_cross_entropy_with_logits(ember.tensor([0.0]), ember.tensor([1.0]))
    tensor(0.6931)
    """
    if AUTOCAST.active:
        input, target, weight, pos_weight = autocast_args(
            "binary_cross_entropy_with_logits", input, target, weight, pos_weight)
    reduction = check_reduction(resolve(size_average, reduce, reduction))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    log_sig = log_sigmoid(input)
    if pos_weight is not None:
        log_sig = log_sig * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * weight
    return reduce_loss(loss, reduction)
