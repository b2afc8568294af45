"""linear and bilinear: affine maps of one or two inputs.

``linear`` dispatches to a fused ``linear`` kernel (matmul and bias add in one call) where
the backend has one, else runs its composite; either way it records its own backward
(three matmul-shaped products written with ember ops).
"""

from __future__ import annotations

import math
from typing import Any

from ember._tensor import Tensor
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args
from ember.autograd.graph import record

from .._util import dtype_name, fused, needs_grad, shape_str

__all__ = ["linear", "bilinear"]


def _linear_composite(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    out = x.matmul(w.t())
    return out if b is None else out + b


def _bw_linear(node: Any, g: Tensor) -> tuple[Tensor | None, ...]:
    x, w = node.saved
    has_bias = node.attrs
    want_x, want_w = node.next_functions[0], node.next_functions[1]
    want_b = has_bias and node.next_functions[2] is not None
    out_f, in_f = w.shape
    gx = g.matmul(w) if want_x is not None else None
    g2 = g.reshape(-1, out_f)
    gw = g2.t().matmul(x.reshape(-1, in_f)) if want_w is not None else None
    gb = g2.sum(0) if want_b else None
    return (gx, gw, gb) if has_bias else (gx, gw)


def _check_linear(x: Tensor, w: Tensor, b: Tensor | None) -> None:
    if x.ndim == 0:
        raise RuntimeError("[linear] both arguments to linear need to be at least 1D, but they "
                           f"are {x.ndim}D and {w.ndim}D")
    in_f = x.shape[-1]
    rows = math.prod(x.shape[:-1])
    if w.ndim == 2 and w.shape[1] != in_f:
        raise RuntimeError(f"[linear] mat1 and mat2 shapes cannot be multiplied ({rows}x{in_f} "
                           f"and {w.shape[1]}x{w.shape[0]}): input has {in_f} features, weight "
                           f"of shape {shape_str(w)} expects {w.shape[1]}")
    if x.dtype is not w.dtype:
        raise RuntimeError(f"[linear] expected m1 and m2 to have the same dtype, but got: "
                           f"{dtype_name(x).lower()} != {dtype_name(w).lower()}")
    if b is not None and w.ndim == 2:
        if b.ndim > 1 or (b.numel() not in (1, w.shape[0])):
            raise RuntimeError(f"[linear] The expanded size of the tensor ({w.shape[0]}) must "
                               f"match the existing size ({b.shape[-1] if b.ndim else 1}): "
                               f"bias of shape {shape_str(b)} for weight of shape "
                               f"{shape_str(w)}")
        if b.dtype is not x.dtype:
            raise RuntimeError(f"[linear] expected bias of dtype {dtype_name(x)}, got "
                               f"{dtype_name(b)}")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """Affine map of the last dim: ``y = x W^T + b``.

    Args:
        input: ``(*, in_features)``.
        weight: ``(out_features, in_features)``.
        bias: ``(out_features,)`` or ``None``. Default: ``None``.

    Returns:
        ``(*, out_features)``.

    >>> import ember
    >>> ember.nn.functional.linear(ember.ones(2, 3), ember.ones(4, 3)).shape
    ember.Size([2, 4])
    """
    if AUTOCAST.active:
        input, weight, bias = autocast_args("linear", input, weight, bias)
    _check_linear(input, weight, bias)
    if weight.ndim != 2:  # torch allows a 1-D weight: a plain product, autograd through ops
        out = input.matmul(weight)
        return out if bias is None else out + bias
    out = fused("linear", _linear_composite, (input, weight, bias))
    if needs_grad(input, weight, bias):
        inputs = (input, weight) if bias is None else (input, weight, bias)
        record("AddmmBackward0" if bias is not None else "MmBackward0", _bw_linear, inputs,
               out, save=(input, weight), attrs=bias is not None)
    return out


def _check_bilinear(x1: Tensor, x2: Tensor, w: Tensor, b: Tensor | None) -> None:
    if w.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-dimensional (out, in1, in2), got "
                           f"shape {shape_str(w)}")
    if x1.ndim != x2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {x1.ndim} and "
                           f"{x2.ndim}")
    for i in range(x1.ndim - 1):
        if x1.shape[i] != x2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                               f"got {x1.shape[i]} and {x2.shape[i]}")
    if x1.shape[-1] != w.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{x1.shape[-1]} but expected {w.shape[1]}")
    if x2.shape[-1] != w.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{x2.shape[-1]} but expected {w.shape[2]}")
    if b is not None and b.shape[-1] != w.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{b.shape[-1]} but expected {w.shape[0]}")


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """Bilinear form of two inputs: ``y_k = x1^T A_k x2 + b_k``.

    Args:
        input1: ``(*, in1_features)``.
        input2: ``(*, in2_features)``, the same leading dims as ``input1``.
        weight: ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features,)`` or ``None``. Default: ``None``.

    Returns:
        ``(*, out_features)``.

    >>> import ember
    >>> ember.nn.functional.bilinear(ember.ones(2, 3), ember.ones(2, 4), ember.ones(5, 3, 4))
    tensor([[12., 12., 12., 12., 12.],
            [12., 12., 12., 12., 12.]])
    """
    _check_bilinear(input1, input2, weight, bias)
    out_f, in1, in2 = weight.shape
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (B, in1) @ (in1, out * in2) -> (B, out, in2), then contract in2 with x2.
    w = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    tmp = x1.matmul(w).reshape(-1, out_f, in2)
    out = (tmp * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        out = out + bias
    return out.reshape(*lead, out_f)
