"""quantize_per_tensor, quantize_per_channel and dequantize, with torch's checks and math.

The arithmetic follows torch's cpu kernels step by step, so the integers are bit-identical:
the input is float32; ``inv_scale = 1 / scale`` in float32; ``x * inv_scale`` in float32,
rounded half to even; the zero point is added in float32; the result is clamped to the
dtype's ``[qmin, qmax]``. Dequantizing gives float32 ``(q - zero_point) * scale``.
Everything is written with ember ops, so it runs on every backend.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

import ember
from ember._dtype import dtype as _dtype_cls
from ember._tensor import Tensor

from ._dtypes import (
    QDtype,
    per_channel_affine,
    per_channel_affine_float_qparams,
    per_tensor_affine,
    qint32,
)
from ._qtensor import QuantizedTensor

__all__ = ["quantize_per_tensor", "quantize_per_channel", "dequantize"]


# ---------------------------------------------------------------- argument checks
def _check_qdtype(dtype: Any) -> QDtype:
    """torch's error for a non-quantized target dtype."""
    if isinstance(dtype, QDtype):
        return dtype
    if isinstance(dtype, _dtype_cls):
        raise RuntimeError(f"ScalarType {dtype.scalar_name} is not supported in new_qtensor.")
    raise TypeError(f"dtype must be an ember dtype, got {type(dtype).__name__}")


def _check_tensor(input: Any, op: str, arg: str = "input") -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' must be Tensor, not {type(input).__name__}")
    return input


def _scalar(value: Any, integral: bool, op: str) -> Any:
    """A Python number from a number or a one-element tensor (torch's ``item()``)."""
    if isinstance(value, Tensor):
        n = value.numel()
        if n != 1:
            raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar")
        v = value.item()
        return int(v) if integral else float(v)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}() received an invalid combination of arguments - got "
                        f"{type(value).__name__} where a number was expected")
    if integral:
        if not isinstance(value, numbers.Integral):
            raise TypeError(f"{op}() received an invalid combination of arguments - got "
                            f"zero_point of type {type(value).__name__}, but expected int")
        return int(value)
    return float(value)


def _check_zero_point(name: str, zp: int, dtype: QDtype) -> None:
    if zp > dtype.qmax:
        raise RuntimeError(f"{name} zero_point {zp} is above upper bound.")
    if zp < dtype.qmin:
        raise RuntimeError(f"{name} zero_point {zp} is below lower bound.")


def _float32(value: float) -> float:
    """``value`` rounded to the nearest float32, as a Python float."""
    return float(np.float32(value))


def _inverse32(scale: float) -> float:
    """``1 / scale`` computed in float32 (as torch's kernels do), as a Python float."""
    with np.errstate(all="ignore"):
        return float(np.float32(1.0) / np.float32(scale))


# ---------------------------------------------------------------- the shared math
def _quantize_values(x: Tensor, inv_scale: Any, zero_point: Any, dtype: QDtype) -> Tensor:
    """The integers of float32 ``x``: ``clamp(round(x * inv_scale) + zero_point)``.

    ``inv_scale`` and ``zero_point`` are float32 tensors broadcasting against ``x`` (or
    Python floats that are exact float32 values).
    """
    rounded = (x * inv_scale).round() + zero_point           # float32, as torch computes
    wide = rounded.to(ember.float64)
    # torch's scalar kernel turns NaN into qmax for 8-bit types and qmin for qint32
    nan_value = dtype.qmin if dtype is qint32 else dtype.qmax
    wide = ember.where(wide.isnan(), float(nan_value), wide)
    return wide.clamp(float(dtype.qmin), float(dtype.qmax)).to(dtype.storage)


def _channel_shape(ndim: int, axis: int, n: int) -> list[int]:
    shape = [1] * ndim
    shape[axis] = n
    return shape


# ---------------------------------------------------------------- public functions
def quantize_per_tensor(input: Any, scale: Any, zero_point: Any,  # noqa: A002
                        dtype: Any) -> Any:
    """Quantize a float32 tensor with one scale and one zero point.

    ``q = clamp(round(input / scale) + zero_point, qmin, qmax)``, rounding half to even,
    where ``[qmin, qmax]`` is the range of ``dtype``: ``[-128, 127]`` for ``qint8``,
    ``[0, 255]`` for ``quint8``, ``[-2**31, 2**31 - 1]`` for ``qint32``.

    Args:
        input: float32 tensor of any shape, or a list of them (then ``scale`` and
            ``zero_point`` are 1-D tensors with one entry per tensor).
        scale: the step between representable values, a number or a one-element tensor.
        zero_point: the integer that represents 0.0, a number or a one-element tensor.
        dtype: ``ember.qint8``, ``ember.quint8`` or ``ember.qint32``.

    Returns:
        A :class:`QuantizedTensor` of ``input``'s shape (a tuple of them for a list).

    >>> import ember
    >>> q = ember.quantize_per_tensor(ember.tensor([0.5, 1.5, 2.5]), 1.0, 0, ember.qint8)
    >>> q.int_repr()
    tensor([0, 2, 2], dtype=ember.int8)
    """
    if isinstance(input, (list, tuple)):
        if not isinstance(scale, Tensor) or not isinstance(zero_point, Tensor):
            raise TypeError("quantize_per_tensor(): a list of tensors needs 1-D tensors of "
                            "scales and zero_points")
        return tuple(quantize_per_tensor(t, scale[i], zero_point[i], dtype)
                     for i, t in enumerate(input))
    if isinstance(input, QuantizedTensor):
        raise NotImplementedError("Could not run 'aten::quantize_per_tensor' with arguments "
                                  "from the 'QuantizedCPU' backend: the input is already "
                                  "quantized")
    _check_tensor(input, "quantize_per_tensor")
    scale_v = _scalar(scale, False, "quantize_per_tensor")
    zp = _scalar(zero_point, True, "quantize_per_tensor")
    if input.dtype is not ember.float32:
        raise RuntimeError(f"Quantize only works on Float Tensor, got {input.dtype.scalar_name}")
    qdtype = _check_qdtype(dtype)
    _check_zero_point("quantize_tensor_per_tensor_affine", zp, qdtype)
    with ember.no_grad(), np.errstate(all="ignore"):
        inv = _inverse32(scale_v)
        ints = _quantize_values(input.detach(), inv, _float32(zp), qdtype)
    return QuantizedTensor(ints, qdtype, per_tensor_affine, scale=scale_v, zero_point=zp)


def quantize_per_channel(input: Tensor, scales: Tensor, zero_points: Tensor,  # noqa: A002
                         axis: int, dtype: Any) -> QuantizedTensor:
    """Quantize a float32 tensor with one scale and zero point per index of ``axis``.

    For channel ``c`` (index ``c`` along ``axis``):
    ``q = clamp(round(input / scales[c]) + zero_points[c], qmin, qmax)``.

    Args:
        input: float32 tensor of any shape with at least one dimension.
        scales: 1-D floating tensor of ``input.size(axis)`` scales (kept as float64).
        zero_points: 1-D integer tensor of as many zero points (kept as int64); floating
            zero points select ``per_channel_affine_float_qparams`` (the zero point is
            added before rounding; scales and zero points are kept as float32).
        axis: the channel dimension, ``0 <= axis < input.dim()``.
        dtype: ``ember.qint8``, ``ember.quint8`` or ``ember.qint32``.

    Returns:
        A per-channel :class:`QuantizedTensor` of ``input``'s shape.

    >>> import ember
    >>> x = ember.tensor([[0.3, 0.3], [0.3, 0.3]])
    >>> q = ember.quantize_per_channel(x, ember.tensor([0.1, 0.2]), ember.tensor([0, 1]), 0,
    ...                                ember.quint8)
    >>> q.int_repr()
    tensor([[3, 3],
            [3, 3]], dtype=ember.uint8)
    """
    _check_tensor(input, "quantize_per_channel")
    _check_tensor(scales, "quantize_per_channel", "scales")
    _check_tensor(zero_points, "quantize_per_channel", "zero_points")
    qdtype = _check_qdtype(dtype)
    if scales.dim() != 1:
        raise RuntimeError("scale tensor must have dimension 1")
    if zero_points.dim() != 1:
        raise RuntimeError("zero_points tensor must have dimension 1")
    if not scales.dtype.is_floating_point:
        raise RuntimeError("scale tensor must be floating point")
    if scales.numel() != zero_points.numel():
        raise RuntimeError("number of elements in scales and zero_points must match")
    if not 0 <= axis < input.dim():
        raise RuntimeError("Channel axis out of range in per channel affine quantization. "
                           f"Got: {axis}Expected: [0, {input.dim()})")
    channels = input.shape[axis]
    if channels != scales.numel():
        raise RuntimeError(f"length of scales must equal to channel, expected {channels} got, "
                           f"{scales.numel()}")
    if input.dtype is not ember.float32:
        raise RuntimeError("quantize_tensor_per_channel_affine expects a Float Tensor, got "
                           f"{input.dtype.scalar_name}")
    if zero_points.dtype.is_floating_point:
        return _quantize_float_qparams(input, scales, zero_points, axis, qdtype)
    with ember.no_grad():
        zps = zero_points.detach().to(ember.int64)
        for zp in zps.tolist():
            _check_zero_point("quantize_tensor_per_channel_affine", zp, qdtype)
        scales64 = scales.detach().to(ember.float64)
        shape = _channel_shape(input.dim(), axis, channels)
        with np.errstate(all="ignore"):
            inv = (1.0 / scales64.to(ember.float32)).reshape(shape)
            ints = _quantize_values(input.detach(), inv, zps.to(ember.float32).reshape(shape),
                                    qdtype)
    return QuantizedTensor(ints, qdtype, per_channel_affine, scales=scales64.contiguous(),
                           zero_points=zps.contiguous(), axis=axis)


def _quantize_float_qparams(input: Tensor, scales: Tensor, zero_points: Tensor,  # noqa: A002
                            axis: int, dtype: QDtype) -> QuantizedTensor:
    """Per-channel quantization with floating zero points (``per_channel_affine_float_qparams``).

    ``q = clamp(round(input * (1 / scale) + zero_point), qmin, qmax)`` in float32, the zero
    point added before rounding; a zero scale counts as 1. Scales and zero points are kept
    as float32.
    """
    with ember.no_grad(), np.errstate(all="ignore"):
        scales32 = scales.detach().to(ember.float32).contiguous()
        zps32 = zero_points.detach().to(ember.float32).contiguous()
        shape = _channel_shape(input.dim(), axis, scales32.numel())
        inv = ember.where(scales32 == 0, 1.0, 1.0 / scales32).reshape(shape)
        shifted = input.detach() * inv + zps32.reshape(shape)     # float32, then rounded
        wide = shifted.round().to(ember.float64)
        wide = ember.where(wide.isnan(), float(dtype.qmin), wide)
        ints = wide.clamp(float(dtype.qmin), float(dtype.qmax)).to(dtype.storage)
    return QuantizedTensor(ints, dtype, per_channel_affine_float_qparams, scales=scales32,
                           zero_points=zps32, axis=axis)


def dequantize(tensor: Any) -> Any:
    """The float32 values of a quantized tensor: ``(q - zero_point) * scale``.

    Args:
        tensor: a :class:`QuantizedTensor` (per channel, each channel uses its own scale and
            zero point), a plain tensor (converted to float32), or a list of tensors.

    Returns:
        A float32 tensor of the same shape (a tuple of them for a list).

    >>> import ember
    >>> q = ember.quantize_per_tensor(ember.tensor([1.0, -2.0]), 0.5, 10, ember.quint8)
    >>> ember.dequantize(q)
    tensor([ 1., -2.])
    """
    if isinstance(tensor, (list, tuple)):
        return tuple(dequantize(t) for t in tensor)
    if not isinstance(tensor, QuantizedTensor):
        _check_tensor(tensor, "dequantize", "self")
        return tensor.to(ember.float32)
    ints = tensor._int
    if tensor._qscheme is per_tensor_affine:
        scale = _float32(tensor._scale)
        return (ints.to(ember.float32) - _float32(tensor._zero_point)) * scale
    assert tensor._scales is not None and tensor._zero_points is not None
    shape = _channel_shape(ints.dim(), tensor._axis, tensor._scales.numel())
    if tensor._qscheme is per_channel_affine_float_qparams:
        centred32 = ints.to(ember.float32) - tensor._zero_points.reshape(shape)
        return centred32 * tensor._scales.reshape(shape)
    centred = ints.to(ember.float64) - tensor._zero_points.to(ember.float64).reshape(shape)
    return (centred * tensor._scales.reshape(shape)).to(ember.float32)
