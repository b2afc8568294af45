"""How a loss turns its per-element values into its result: ``reduction`` and the
deprecated ``size_average``/``reduce`` pair."""

from __future__ import annotations

import warnings

from ember import Tensor

__all__ = ["legacy_get_string", "check_reduction", "reduce_loss", "not_differentiable"]

_VALID = ("none", "mean", "sum")


def legacy_get_string(size_average: bool | None, reduce: bool | None,
                      emit_warning: bool = True) -> str:
    """Translate the deprecated ``size_average``/``reduce`` flags into a reduction name.

    Either flag left as None counts as True: both True gives ``'mean'``, ``reduce`` alone
    ``'sum'``, ``reduce=False`` ``'none'``. Warns, as torch does, that the flags are
    deprecated.
    """
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def resolve(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """The reduction a loss uses: the legacy flags win when either is given."""
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    return reduction


def check_reduction(reduction: str) -> str:
    """Validate ``reduction`` (``'elementwise_mean'`` is torch's deprecated ``'mean'``)."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use "
                      "reduction='mean' instead.", stacklevel=3)
        return "mean"
    if reduction not in _VALID:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """``loss`` unchanged (``'none'``), its mean (``'mean'``) or its sum (``'sum'``)."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def not_differentiable(op: str, arg: str, t: Tensor | None) -> None:
    """Refuse, as torch does, an input that requires grad where the loss has no gradient
    for it (class weights, some targets)."""
    from ember.autograd.grad_mode import GRAD

    if t is not None and GRAD.enabled and t.requires_grad:
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to "
                           f"argument '{arg}'. This input cannot have requires_grad True.")
