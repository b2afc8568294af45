"""Fake quantization for quantization-aware training (QAT).

``fake_quantize_*`` quantize and immediately dequantize, so the output is a float tensor
holding only representable values:

    q = round(x / scale) + zero_point
    out = (clamp(q, quant_min, quant_max) - zero_point) * scale

The gradient is the straight-through estimator: ``grad`` passes unchanged where
``quant_min <= q <= quant_max`` and is zero where the value was clamped. The backward is
written with ember ops (``grad * mask``), so double backward works on every backend.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

import ember
from ember._tensor import Tensor
from ember.autograd.grad_mode import GRAD
from ember.autograd.graph import record

from ._quantize import _float32, _inverse32, _scalar

__all__ = ["fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine"]


def _bw_fake_quantize(node: Any, g: Tensor) -> tuple[Tensor]:
    (mask,) = node.saved
    return (g * mask,)


def _check_range(quant_min: int, quant_max: int) -> None:
    if quant_min > quant_max:
        raise RuntimeError("`quant_min` should be less than or         equal to `quant_max`.")


def _zero_point_error() -> RuntimeError:
    return RuntimeError("`zero_point` must be between `quant_min` and `quant_max`.")


def _compute_dtype(input: Tensor, kernel: str) -> ember.dtype:  # noqa: A002
    """The dtype torch's kernel does the multiply in (float32 unless the input is float64)."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    return ember.float64 if input.dtype is ember.float64 else ember.float32


def _fake_quantize(x: Tensor, inv_scale: Tensor, scale: Tensor, zero_point: Tensor,
                   quant_min: int, quant_max: int, compute: ember.dtype,
                   product: ember.dtype, zero_point_inside: bool = False
                   ) -> tuple[Tensor, Tensor]:
    """The output and the straight-through mask, step by step as torch's cpu kernels.

    The tensor parameters broadcast with ``x``; ``inv_scale`` and ``scale`` hold float32
    values. ``x * inv_scale`` is rounded in ``compute`` (float64 for float64 input, else
    float32); the final ``(q - zero_point) * scale`` is rounded to ``product`` (torch's
    per-tensor kernel multiplies in float32, its per-channel kernel in float64). With
    ``zero_point_inside`` (floating zero points), the zero point is added before rounding.
    """
    scaled = x.to(compute) * inv_scale.to(compute)
    if zero_point_inside:
        q = (scaled + zero_point.to(compute)).round()
    else:
        q = scaled.round() + zero_point.to(compute)
    mask = (q >= quant_min).logical_and(q <= quant_max)
    wide = q.to(ember.float64).clamp(float(quant_min), float(quant_max))
    out = (wide - zero_point.to(ember.float64)).to(product) * scale.to(product)
    return out.to(x.dtype), mask


def fake_quantize_per_tensor_affine(input: Tensor, scale: Any, zero_point: Any,  # noqa: A002
                                    quant_min: int, quant_max: int) -> Tensor:
    """Quantize and dequantize ``input`` with one scale and zero point (for QAT).

    With ``q = round(input / scale) + zero_point``, the output is
    ``(clamp(q, quant_min, quant_max) - zero_point) * scale``; the gradient is ``grad``
    where ``q`` was not clamped and 0 elsewhere.

    Args:
        input: floating tensor of any shape.
        scale: a number or a one-element tensor (not differentiable).
        zero_point: an integer or a one-element tensor, in ``[quant_min, quant_max]``.
        quant_min, quant_max: the integer range, e.g. ``-128, 127``.

    Returns:
        A tensor of ``input``'s shape and dtype.

    >>> import ember
    >>> x = ember.tensor([-3.0, 0.26, 5.0], requires_grad=True)
    >>> y = ember.fake_quantize_per_tensor_affine(x, 0.5, 2, 0, 7)
    >>> y.detach()
    tensor([-1.0000,  0.5000,  2.5000])
    >>> y.sum().backward(); x.grad
    tensor([0., 1., 0.])
    """
    tensor_qparams = isinstance(scale, Tensor) or isinstance(zero_point, Tensor)
    if tensor_qparams and isinstance(scale, Tensor) and scale.requires_grad:
        raise RuntimeError("The function '_fake_quantize_per_tensor_affine_cachemask_tensor_"
                           "qparams' is not differentiable with respect to argument 'scale'. "
                           "This input cannot have requires_grad True.")
    scale_v = _scalar(scale, False, "fake_quantize_per_tensor_affine")
    zp = _scalar(zero_point, True, "fake_quantize_per_tensor_affine")
    _check_range(quant_min, quant_max)
    if not quant_min <= zp <= quant_max:
        raise _zero_point_error()
    compute = _compute_dtype(input, "fake_quantize_tensor_cachemask_kernel_type_handling")
    sc = _float32(scale_v)
    with ember.no_grad(), np.errstate(all="ignore"):
        inv = _inverse32(sc)
        params = [ember.tensor(v, dtype=ember.float64, device=input.device)
                  for v in (inv, sc, float(zp))]
        out, mask = _fake_quantize(input.detach(), params[0], params[1], params[2],
                                   quant_min, quant_max, compute, ember.float32)
    if input.requires_grad and GRAD.enabled:
        name = ("FakeQuantizePerTensorAffineCachemaskTensorQparamsBackward0" if tensor_qparams
                else "FakeQuantizePerTensorAffineCachemaskBackward0")
        record(name, _bw_fake_quantize, (input,), out, save=(mask.to(input.dtype),))
    return out


def fake_quantize_per_channel_affine(input: Tensor, scale: Tensor,  # noqa: A002
                                     zero_point: Tensor, axis: int, quant_min: int,
                                     quant_max: int) -> Tensor:
    """Quantize and dequantize ``input`` with one scale and zero point per index of
    ``axis`` (for QAT of weights).

    For channel ``c``: ``out = (clamp(round(input / scale[c]) + zero_point[c], quant_min,
    quant_max) - zero_point[c]) * scale[c]``; the gradient is ``grad`` where the value was
    not clamped and 0 elsewhere.

    Args:
        input: floating tensor of any shape.
        scale: 1-D float32 tensor of ``input.size(axis)`` scales (not differentiable).
        zero_point: 1-D int32 (or float32/float16) tensor of as many zero points.
        axis: the channel dimension, ``0 <= axis < input.dim()``.
        quant_min, quant_max: the integer range.

    Returns:
        A tensor of ``input``'s shape and dtype.

    >>> import ember
    >>> x = ember.tensor([[0.26, 0.26], [0.26, 0.26]])
    >>> ember.fake_quantize_per_channel_affine(x, ember.tensor([0.1, 0.25]),
    ...                                         ember.tensor([0, 0], dtype=ember.int32), 0,
    ...                                         -128, 127)
    tensor([[0.3000, 0.3000],
            [0.2500, 0.2500]])
    """
    if scale.dtype not in (ember.float32, ember.bfloat16):
        raise RuntimeError(f"Scale must be Float or BFloat16, found {scale.dtype.scalar_name}")
    if zero_point.dtype not in (ember.int32, ember.float32, ember.float16):
        raise RuntimeError("Zero-point must be Int32, Float or Half, found "
                           f"{zero_point.dtype.scalar_name}")
    if scale.dim() != 1:
        raise RuntimeError("scale should be a 1-D tensor")
    if zero_point.dim() != 1:
        raise RuntimeError("zero point should be a 1-D tensor")
    if scale.numel() != zero_point.numel():
        raise RuntimeError("scale and zero-point need to have the same dimensions")
    if scale.numel() != input.size(axis):
        raise RuntimeError("dimensions of scale and zero-point are not consistent with input "
                           "tensor")
    _check_range(quant_min, quant_max)
    if not zero_point.dtype.is_floating_point:
        zps = zero_point.tolist()
        if zps and (min(zps) < quant_min or max(zps) > quant_max):
            raise _zero_point_error()
    if not (isinstance(axis, numbers.Integral) and 0 <= axis <= input.dim()):
        raise RuntimeError("`axis` must be between 0 and number of dimensions of input")
    compute = _compute_dtype(input, "fake_quantize_channel_cachemask_cpu_type_handling")
    shape = [1] * input.dim()
    shape[axis] = scale.numel()
    with ember.no_grad(), np.errstate(all="ignore"):
        sc = scale.detach().to(ember.float32)
        inv = (1.0 / sc).reshape(shape)
        zp = zero_point.detach().to(ember.float32).reshape(shape)
        out, mask = _fake_quantize(input.detach(), inv, sc.reshape(shape), zp, quant_min,
                                   quant_max, compute, ember.float64,
                                   zero_point_inside=zero_point.dtype.is_floating_point)
    if input.requires_grad and GRAD.enabled:
        record("FakeQuantizePerChannelAffineCachemaskBackward0", _bw_fake_quantize, (input,),
               out, save=(mask.to(input.dtype),))
    return out
