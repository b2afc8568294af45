"""Fold an eval-mode BatchNorm into the convolution or linear layer before it."""

from __future__ import annotations

import copy
from typing import Any, TypeVar

import ember
from ember import Tensor
from ember.nn import Module, Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]

M = TypeVar("M", bound=Module)


def fuse_conv_bn_eval(conv: M, bn: Any, transpose: bool = False) -> M:
    """A copy of ``conv`` whose weight and bias also apply ``bn`` (both in eval mode).

    ``fused(x) == bn(conv(x))`` up to rounding. ``transpose=True`` for transposed
    convolutions, whose output channels are weight dim 1.

    Raises:
        AssertionError: if either module is in training mode or ``bn`` has no running
            statistics.
    """
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor,
                         bn_eps: float, bn_w: Tensor | None, bn_b: Tensor | None,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """Weight and bias of a convolution followed by an eval-mode BatchNorm.

    With ``s = bn_w / sqrt(bn_rv + bn_eps)`` per output channel:
    ``w' = conv_w * s`` (broadcast over the output-channel dim, 0, or 1 if ``transpose``),
    ``b' = (conv_b - bn_rm) * s + bn_b``. Missing ``conv_b``/``bn_b`` count as zeros and a
    missing ``bn_w`` as ones.

    Returns:
        ``(Parameter(w'), Parameter(b'))`` in the dtypes of ``conv_w`` and ``conv_b``.
    """
    w_dtype = conv_w.dtype
    b_dtype = conv_b.dtype if conv_b is not None else w_dtype
    if conv_b is None:
        conv_b = ember.zeros_like(bn_rm)
    if bn_w is None:
        bn_w = ember.ones_like(bn_rm)
    if bn_b is None:
        bn_b = ember.zeros_like(bn_rm)
    var_rsqrt = ember.rsqrt(bn_rv + bn_eps)
    rest = [1] * (conv_w.ndim - 2)
    shape = [1, -1, *rest] if transpose else [-1, 1, *rest]
    fused_w = (conv_w * (bn_w * var_rsqrt).reshape(shape)).to(dtype=w_dtype)
    fused_b = ((conv_b - bn_rm) * var_rsqrt * bn_w + bn_b).to(dtype=b_dtype)
    return (Parameter(fused_w, conv_w.requires_grad), Parameter(fused_b, conv_b.requires_grad))


def fuse_linear_bn_eval(linear: M, bn: Any) -> M:
    """A copy of ``linear`` whose weight and bias also apply ``bn`` (both in eval mode).

    ``bn.num_features`` must equal ``linear.out_features`` or be 1.
    """
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(linear)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError(
            "To fuse, linear.out_features == bn.num_features or bn.num_features == 1, got "
            f"linear.out_features={linear.out_features} and bn.num_features={bn.num_features}")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor,
                           bn_rv: Tensor, bn_eps: float, bn_w: Tensor, bn_b: Tensor
                           ) -> tuple[Parameter, Parameter]:
    """Weight and bias of a linear layer followed by an eval-mode BatchNorm.

    With ``s = bn_w / sqrt(bn_rv + bn_eps)``: ``w' = linear_w * s[:, None]``,
    ``b' = (linear_b - bn_rm) * s + bn_b`` (a missing ``linear_b`` counts as zeros).

    Returns:
        ``(Parameter(w'), Parameter(b'))``.
    """
    w_dtype = linear_w.dtype
    b_dtype = linear_b.dtype if linear_b is not None else w_dtype
    if linear_b is None:
        linear_b = ember.zeros_like(bn_rm)
    scale = bn_w * ember.rsqrt(bn_rv + bn_eps)
    fused_w = linear_w * scale.unsqueeze(-1).to(dtype=w_dtype)
    fused_b = ((linear_b - bn_rm) * scale + bn_b).to(dtype=b_dtype)
    return (Parameter(fused_w, linear_w.requires_grad),
            Parameter(fused_b, linear_b.requires_grad))
