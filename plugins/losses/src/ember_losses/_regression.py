"""Regression and distribution losses: l1_loss, mse_loss, huber_loss, smooth_l1_loss,
poisson_nll_loss, gaussian_nll_loss and kl_div.

Each is a composite of core pointwise ops and reductions; autograd derives the gradients.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import ember
from ember import Tensor
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args

from ._reduction import check_reduction, reduce_loss, resolve

__all__ = ["l1_loss", "mse_loss", "huber_loss", "smooth_l1_loss", "poisson_nll_loss",
           "gaussian_nll_loss", "kl_div"]


def _broadcast_pair(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Warn like torch when the shapes differ, then broadcast them together."""
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input "
                      f"size ({input.size()}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", stacklevel=4)
    a, b = ember.broadcast_tensors(input, target)
    return a, b


def _weighted(loss: Tensor, weight: Tensor, input: Tensor, reduction: str,  # noqa: A002
              mean_by_weight: bool) -> Tensor:
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if mean_by_weight else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


def _pointwise_loss(input: Tensor, target: Tensor, reduction: str,  # noqa: A002
                    weight: Tensor | None, mean_by_weight: bool,
                    elementwise: Callable[[Tensor], Tensor]) -> Tensor:
    x, y = _broadcast_pair(input, target)
    loss = elementwise(x - y)
    if weight is not None:
        return _weighted(loss, weight, input, reduction, mean_by_weight)
    return reduce_loss(loss, check_reduction(reduction))


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,  # noqa: A002
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean absolute error: ``loss = w * |x - y|``.

    Args:
        input, target: broadcastable tensors (a warning is emitted when their shapes differ).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``; with ``weight``, ``'mean'`` divides by
            ``sum(weight)``.
        weight: optional per-element weights with ``input``'s shape.

    Returns:
        the loss: the broadcast shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import l1_loss
    >>> l1_loss(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 0.0]))
    tensor(1.5000)
    """
    if AUTOCAST.active:
        input, target, weight = autocast_args("l1_loss", input, target, weight)
    reduction = resolve(size_average, reduce, reduction)
    return _pointwise_loss(input, target, reduction, weight, True, lambda d: d.abs())


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,  # noqa: A002
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean squared error: ``loss = w * (x - y)^2``.

    Args:
        input, target: broadcastable tensors (a warning is emitted when their shapes differ).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``; with ``weight``, ``'mean'`` divides by
            ``sum(weight)``.
        weight: optional per-element weights with ``input``'s shape.

    Returns:
        the loss: the broadcast shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import mse_loss
    >>> mse_loss(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 0.0]))
    tensor(2.5000)
    """
    if AUTOCAST.active:
        input, target, weight = autocast_args("mse_loss", input, target, weight)
    reduction = resolve(size_average, reduce, reduction)
    return _pointwise_loss(input, target, reduction, weight, True, lambda d: d * d)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",  # noqa: A002
               delta: float = 1.0, weight: Tensor | None = None) -> Tensor:
    """Huber loss: quadratic near zero, linear beyond ``delta``.

    With ``z = |x - y|``: ``loss = 0.5 z^2`` if ``z < delta`` else
    ``delta * (z - 0.5 delta)``, times ``weight`` when given.

    Args:
        input, target: broadcastable tensors.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (``'mean'`` is the plain mean even
            with ``weight``).
        delta: the switch point, ``> 0`` (default 1).
        weight: optional per-element weights with ``input``'s shape.

    Returns:
        the loss: the broadcast shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import huber_loss
    >>> huber_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]))
    tensor(1.3125)
    """
    if AUTOCAST.active:
        input, target, weight = autocast_args("huber_loss", input, target, weight)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")

    def elementwise(d: Tensor) -> Tensor:
        z = d.abs()
        return ember.where(z < delta, 0.5 * d * d, delta * (z - 0.5 * delta))

    return _pointwise_loss(input, target, reduction, weight, False, elementwise)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,  # noqa: A002
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Smooth L1 loss: quadratic below ``beta``, absolute error above.

    With ``z = |x - y|``: ``loss = 0.5 z^2 / beta`` if ``z < beta`` else
    ``z - 0.5 beta``; ``beta = 0`` is exactly ``l1_loss``. Equals ``huber_loss / beta``.

    Args:
        input, target: broadcastable tensors.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        beta: the switch point, ``>= 0`` (default 1).

    Returns:
        the loss: the broadcast shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import smooth_l1_loss
    >>> smooth_l1_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]))
    tensor(1.3125)
    """
    if AUTOCAST.active:
        input, target = autocast_args("smooth_l1_loss", input, target)
    reduction = resolve(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _pointwise_loss(input, target, reduction, None, True, lambda d: d.abs())

    def elementwise(d: Tensor) -> Tensor:
        z = d.abs()
        return ember.where(z < beta, 0.5 * d * d / beta, z - 0.5 * beta)

    return _pointwise_loss(input, target, reduction, None, True, elementwise)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True,  # noqa: A002
                     full: bool = False, size_average: bool | None = None,
                     eps: float = 1e-8, reduce: bool | None = None,
                     reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target ~ Poisson(rate)``, without the constant term.

    ``loss = exp(x) - y * x`` when ``log_input`` (``x`` is the log-rate), else
    ``x - y * log(x + eps)``. ``full`` adds Stirling's approximation of ``log(y!)``,
    ``y log y - y + 0.5 log(2 pi y)``, for targets ``> 1``.

    Args:
        input: the rate or its log; target: broadcastable counts.
        log_input, full, eps: see above (``eps`` default 1e-8).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        the loss: the broadcast shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import poisson_nll_loss
    >>> poisson_nll_loss(ember.tensor([0.0]), ember.tensor([1.0]))
    tensor(1.)
    """
    if AUTOCAST.active:
        input, target = autocast_args("poisson_nll_loss", input, target)
    reduction = check_reduction(resolve(size_average, reduce, reduction))
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return reduce_loss(loss, reduction)


def _check_var_shape(input: Tensor, var: Tensor) -> Tensor:  # noqa: A002
    if tuple(var.shape) == tuple(input.shape):
        return var
    if tuple(input.shape[:-1]) == tuple(var.shape):
        return var.unsqueeze(-1)
    if input.ndim == var.ndim:
        differing = sum(v for i, v in zip(input.shape, var.shape) if i != v)
        if differing == 1:
            return var
    raise ValueError("var is of incorrect size")


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float,  # noqa: A002
                      full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target ~ Normal(input, var)``.

    ``loss = 0.5 * (log(max(var, eps)) + (x - y)^2 / max(var, eps))``, plus
    ``0.5 log(2 pi)`` when ``full``. The clamp at ``eps`` does not stop gradients: ``var``
    receives the gradient evaluated at the clamped value.

    Args:
        input: the predicted means, ``(N, *)`` or ``(*)``.
        target: samples, same shape as ``input``.
        var: the predicted variances: a float, ``input``'s shape, ``input``'s shape without
            its last dim, or ``input``'s shape with one dim of size 1 (homoscedastic along
            it). Must be non-negative.
        full: include the constant term.
        eps: lower bound on ``var`` (default 1e-6).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        the loss: the broadcast shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import gaussian_nll_loss
    >>> gaussian_nll_loss(ember.tensor([1.0]), ember.tensor([1.0]), 1.0)
    tensor(0.)
    """
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ember.ones_like(input)
    elif not isinstance(var, Tensor):
        raise TypeError(f"gaussian_nll_loss(): var must be a Tensor or a float, got "
                        f"{type(var).__name__}")
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = _check_var_shape(input, var)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with ember.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,  # noqa: A002
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``KL(target || exp(input))`` per element.

    ``input`` holds log-probabilities. ``loss = y * (log y - x)`` (0 where ``y = 0``), or
    ``exp(y) * (y - x)`` when ``log_target`` says the target is given as log-probabilities.
    ``'batchmean'`` divides the sum by the batch size (the true KL divergence per sample);
    ``'mean'`` divides by the number of elements and warns, as torch does.

    Args:
        input: log-probabilities, any shape; target: same shape.
        reduction: ``'none'`` | ``'batchmean'`` | ``'sum'`` | ``'mean'``.
        log_target: whether ``target`` is in log space.

    Returns:
        the loss: ``input``'s shape for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import kl_div
    >>> kl_div(ember.tensor([[0.0]]), ember.tensor([[1.0]]), reduction="batchmean")
    tensor(0.)
    """
    if AUTOCAST.active:
        input, target = autocast_args("kl_div", input, target)
    if size_average is not None or reduce is not None:
        mode = resolve(size_average, reduce, reduction)
        reduction = mode
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        mode = "sum" if reduction == "batchmean" else check_reduction(reduction)
    if not input.dtype.is_floating_point or not target.dtype.is_floating_point:
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = ember.xlogy(target, target) - target * input
    out = reduce_loss(loss, mode)
    if reduction == "batchmean" and input.ndim != 0:
        out = out / input.shape[0]
    return out
