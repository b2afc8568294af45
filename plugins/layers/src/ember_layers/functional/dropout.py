"""Dropout ops: dropout, dropout1d/2d/3d (whole channels), alpha_dropout and
feature_alpha_dropout (SELU-preserving).

Each is a composite: draw a Bernoulli keep-mask (per element, or per ``(N, C)`` channel),
rescale it, and multiply; gradients flow through the multiplication.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import ember
from ember._tensor import Tensor

from .._util import check_p, inplace_apply, shape_str

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]

#: ``-scale * alpha`` of SELU: the value SELU saturates to, which alpha dropout drops to.
_ALPHA = 1.7580993408473766


def _apply(x: Tensor, p: float, feature: bool, alpha: bool) -> Tensor:
    if p == 1:
        return x * ember.zeros((), dtype=x.dtype, device=x.device)
    if feature:
        if x.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input "
                               f"(got input of shape {shape_str(x)})")
        shape = tuple(x.shape[:2]) + (1,) * (x.ndim - 2)
    else:
        shape = tuple(x.shape)
    keep = ember.empty(shape, dtype=x.dtype, device=x.device).bernoulli_(1 - p)
    if alpha:
        a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
        shift = (keep - 1) * (_ALPHA * a) + _ALPHA * a * p
        return x * (keep * a) + shift
    return x * (keep / (1 - p))


def _maybe_drop(x: Tensor, p: float, training: bool, inplace: bool, name: str,
                apply: Callable[..., Tensor], args: tuple[Any, ...]) -> Tensor:
    """``apply(x, p, *args)`` in training when ``p > 0``, written into ``x`` with ``inplace``
    (``name`` is the op, for the in-place variant's name); ``x`` itself otherwise."""
    if not training or p == 0:
        return x
    if inplace:
        return inplace_apply(x, apply, name + "_", p, *args)
    return apply(x, p, *args)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``
    (Srivastava et al. 2014), so the expectation is unchanged.

    Args:
        input: any shape.
        p: probability of zeroing an element. Default: 0.5.
        training: apply dropout; when ``False`` the input is returned as is. Default: ``True``.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.dropout(ember.ones(3), 0.5, training=False)
    tensor([1., 1., 1.])
    """
    check_p("dropout", p)
    return _maybe_drop(input, p, training, inplace, "dropout", _apply, (False, False))


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,  # noqa: A002
                  inplace: bool = False) -> Tensor:
    """Dropout that keeps a SELU network's zero mean and unit variance (Klambauer et al.
    2017, https://arxiv.org/abs/1706.02515).

    Dropped elements become ``-alpha'`` (SELU's saturation value, ``alpha' ~ 1.7581``); then
    ``y = a * x_masked + b`` with ``a = ((1 - p) (1 + p alpha'^2))^(-1/2)`` and
    ``b = a alpha' p`` restores the moments.

    Args:
        input: any shape.
        p: probability of dropping an element. Default: 0.5.
        training: apply dropout. Default: ``False``.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.alpha_dropout(ember.ones(2), 0.5)
    tensor([1., 1.])
    """
    check_p("alpha_dropout", p)
    return _maybe_drop(input, p, training, inplace, "alpha_dropout", _apply, (False, True))


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,  # noqa: A002
                          inplace: bool = False) -> Tensor:
    """:func:`alpha_dropout` of whole channels: one draw per ``(N, C)`` entry.

    Args:
        input: ``(N, C, *)``.
        p: probability of dropping a channel. Default: 0.5.
        training: apply dropout. Default: ``False``.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.feature_alpha_dropout(ember.ones(1, 2), 0.5)
    tensor([[1., 1.]])
    """
    check_p("feature_alpha_dropout", p)
    return _maybe_drop(input, p, training, inplace, "feature_alpha_dropout", _apply,
                       (True, True))


def _channel(x: Tensor, p: float, batched: bool) -> Tensor:
    # whole channels: one draw per (N, C), with N = 1 for an unbatched input
    if batched:
        return _apply(x, p, True, False)
    return _apply(x.unsqueeze(0), p, True, False).squeeze(0)


def _warn_unexpected_dims(name: str, nd: int, spatial: int) -> None:
    """torch's deprecation warning for an ``nd``-dim input to ``name``, which expects
    ``spatial`` spatial dims after a channel dim and an optional batch dim."""
    warnings.warn(
        f"{name}: Received a {nd}-D input to {name}, which is deprecated and will result in "
        "an error in a future release. To retain the behavior and silence this warning, "
        f"please use dropout instead. Note that {name} exists to provide channel-wise "
        f"dropout on inputs with {spatial} spatial dimensions, a channel dimension, and an "
        f"optional batch dimension (i.e. {spatial + 1}D or {spatial + 2}D inputs).",
        stacklevel=3)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels (1-D feature maps) with probability ``p``; scale the rest by
    ``1 / (1 - p)``.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        p: probability of zeroing a channel. Default: 0.5.
        training: apply dropout. Default: ``True``.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.dropout1d(ember.ones(2, 3), training=False).shape
    ember.Size([2, 3])
    """
    check_p("dropout1d", p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note "
            "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _maybe_drop(input, p, training, inplace, "dropout1d", _channel,
                       (input.ndim == 3,))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels (2-D feature maps) with probability ``p``; scale the rest by
    ``1 / (1 - p)``.

    A 3-D input is read as ``(N, C, L)`` (channel-wise 1-D dropout), with torch's warning.

    Args:
        input: ``(N, C, H, W)`` (or ``(N, C, L)``).
        p: probability of zeroing a channel. Default: 0.5.
        training: apply dropout. Default: ``True``.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.dropout2d(ember.ones(1, 2, 2, 2), training=False).shape
    ember.Size([1, 2, 2, 2])
    """
    check_p("dropout2d", p)
    nd = input.ndim
    if nd not in (3, 4):
        _warn_unexpected_dims("dropout2d", nd, 2)
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _maybe_drop(input, p, training, inplace, "dropout2d", _channel, (True,))


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels (3-D feature maps) with probability ``p``; scale the rest by
    ``1 / (1 - p)``.

    Args:
        input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``.
        p: probability of zeroing a channel. Default: 0.5.
        training: apply dropout. Default: ``True``.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.dropout3d(ember.ones(2, 1, 1, 1), training=False).shape
    ember.Size([2, 1, 1, 1])
    """
    check_p("dropout3d", p)
    nd = input.ndim
    if nd not in (4, 5):
        _warn_unexpected_dims("dropout3d", nd, 3)
    return _maybe_drop(input, p, training, inplace, "dropout3d", _channel, (nd == 5,))
