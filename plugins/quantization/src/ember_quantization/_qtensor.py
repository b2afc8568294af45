"""QuantizedTensor: integers plus the scale and zero point that give them real values.

A quantized tensor stores its elements as plain integers (its *int representation*, an
ember Tensor of ``int8``, ``uint8`` or ``int32``) together with the parameters of its
scheme:

- per-tensor affine: one ``scale`` (float) and one ``zero_point`` (int);
- per-channel affine: a float64 tensor of ``scales`` and an int64 tensor of
  ``zero_points``, one of each per index of dimension ``axis``;
- per-channel affine with float qparams: the same with float32 scales and float32 zero
  points (torch's ``per_channel_affine_float_qparams``, chosen by floating zero points).

The real value of element ``q`` is ``(q - zero_point) * scale``. Like torch's quantized
tensors, these take no arithmetic; they are created by ``ember.quantize_per_tensor`` /
``ember.quantize_per_channel``, inspected, indexed, reshaped and dequantized.
"""

from __future__ import annotations

from typing import Any

import ember
from ember import _tensor_str as ts
from ember._tensor import Size, Tensor

from ._dtypes import (
    QDtype,
    per_channel_affine,
    per_channel_affine_float_qparams,
    per_tensor_affine,
    qscheme,
)

__all__ = ["QuantizedTensor", "PER_CHANNEL"]

#: the per-channel schemes: integer zero points, or float zero points (float_qparams)
PER_CHANNEL = (per_channel_affine, per_channel_affine_float_qparams)


class QuantizedTensor:
    """A tensor of quantized integers with its affine quantization parameters.

    Build one with :func:`ember.quantize_per_tensor` or :func:`ember.quantize_per_channel`;
    read it back with :meth:`dequantize`.

    >>> import ember
    >>> q = ember.quantize_per_tensor(ember.tensor([-1.0, 0.0, 0.7]), 0.5, 2, ember.quint8)
    >>> q.int_repr()
    tensor([0, 2, 3], dtype=ember.uint8)
    >>> q.dequantize()
    tensor([-1.0000,  0.0000,  0.5000])
    """

    __slots__ = ("_int", "_dtype", "_qscheme", "_scale", "_zero_point", "_scales",
                 "_zero_points", "_axis")

    is_quantized = True
    requires_grad = False
    grad = None
    grad_fn = None
    is_leaf = True

    def __init__(self, int_repr: Tensor, dtype: QDtype, scheme: qscheme, *,
                 scale: float = 1.0, zero_point: int = 0, scales: Tensor | None = None,
                 zero_points: Tensor | None = None, axis: int = 0) -> None:
        self._int = int_repr
        self._dtype = dtype
        self._qscheme = scheme
        self._scale = float(scale)
        self._zero_point = int(zero_point)
        self._scales = scales
        self._zero_points = zero_points
        self._axis = axis

    # ---------------------------------------------------------------- metadata
    @property
    def shape(self) -> Size:
        """The size of each dimension."""
        return self._int.shape

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of dimension ``dim``."""
        return self._int.size() if dim is None else self._int.size(dim)

    @property
    def dtype(self) -> QDtype:
        """The quantized dtype (``ember.qint8``, ``ember.quint8`` or ``ember.qint32``)."""
        return self._dtype

    @property
    def device(self) -> ember.device:
        """The device holding the integers."""
        return self._int.device

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._int.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self._int.dim()

    def numel(self) -> int:
        """The number of elements."""
        return self._int.numel()

    def element_size(self) -> int:
        """Bytes per stored element."""
        return self._dtype.itemsize

    def stride(self, dim: int | None = None) -> Any:
        """Element strides of the integer storage (of every dim, or of ``dim``)."""
        return self._int.stride() if dim is None else self._int.stride(dim)

    def is_contiguous(self) -> bool:
        """Whether the integers are laid out densely in row-major order."""
        return self._int.is_contiguous()

    def is_floating_point(self) -> bool:
        """Always False: quantized dtypes are not floating point."""
        return False

    def requires_grad_(self, requires_grad: bool = True) -> QuantizedTensor:
        """Quantized tensors cannot require gradients: ``True`` raises, as in torch."""
        if requires_grad:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        return self

    def __len__(self) -> int:
        if self._int.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._int.shape[0]

    # ---------------------------------------------------------------- parameters
    def qscheme(self) -> qscheme:
        """The quantization scheme (``ember.per_tensor_affine`` or ``per_channel_affine``)."""
        return self._qscheme

    def _expect_per_tensor(self) -> None:
        if self._qscheme is not per_tensor_affine:
            raise RuntimeError("Expected quantizer->qscheme() == kPerTensorAffine to be true, "
                               "but got false.  (Could this error message be improved?  If "
                               "so, please report an enhancement request to PyTorch.)")

    def _expect_per_channel(self) -> None:
        if self._qscheme not in PER_CHANNEL:
            raise RuntimeError("Expected quantizer->qscheme() == kPerChannelAffine || "
                               "quantizer->qscheme() == kPerChannelAffineFloatQParams to be "
                               "true, but got false.  (Could this error message be improved?"
                               "  If so, please report an enhancement request to PyTorch.)")

    def q_scale(self) -> float:
        """The scale of a per-tensor quantized tensor."""
        self._expect_per_tensor()
        return self._scale

    def q_zero_point(self) -> int:
        """The zero point of a per-tensor quantized tensor."""
        self._expect_per_tensor()
        return self._zero_point

    def q_per_channel_scales(self) -> Tensor:
        """The scales of a per-channel quantized tensor, one per channel (float64; float32
        for float qparams)."""
        self._expect_per_channel()
        assert self._scales is not None
        return self._scales.clone()

    def q_per_channel_zero_points(self) -> Tensor:
        """The zero points of a per-channel quantized tensor, one per channel (int64;
        float32 for float qparams)."""
        self._expect_per_channel()
        assert self._zero_points is not None
        return self._zero_points.clone()

    def q_per_channel_axis(self) -> int:
        """The dimension a per-channel quantized tensor's parameters run along."""
        self._expect_per_channel()
        return self._axis

    # ---------------------------------------------------------------- values
    def int_repr(self) -> Tensor:
        """The stored integers as a new contiguous tensor of ``int8``, ``uint8`` or ``int32``."""
        return self._int.clone(memory_format=ember.contiguous_format)

    def dequantize(self) -> Tensor:
        """The float32 values ``(q - zero_point) * scale`` (per channel along ``axis``)."""
        from ._quantize import dequantize

        return dequantize(self)

    def item(self) -> float:
        """The real value of a one-element quantized tensor, as a Python float."""
        return self.dequantize().item()

    def equal(self, other: Any) -> bool:
        """True when ``other`` is a quantized tensor with the same scheme, parameters, dtype,
        shape and integers (torch's ``equal`` for quantized tensors)."""
        if not isinstance(other, QuantizedTensor):
            return False
        if (self._qscheme is not other._qscheme or self._dtype is not other._dtype
                or self.shape != other.shape):
            return False
        if self._qscheme is per_tensor_affine:
            same = (self._scale == other._scale and self._zero_point == other._zero_point)
        else:
            assert self._scales is not None and self._zero_points is not None
            same = (self._axis == other._axis
                    and ember.equal(self._scales, other._scales)
                    and ember.equal(self._zero_points, other._zero_points))
        return same and ember.equal(self._int, other._int)

    # ---------------------------------------------------------------- copies and views
    def _like(self, int_repr: Tensor) -> QuantizedTensor:
        """The same parameters over new integers (the shape keeps the channel axis)."""
        return QuantizedTensor(int_repr, self._dtype, self._qscheme, scale=self._scale,
                               zero_point=self._zero_point, scales=self._scales,
                               zero_points=self._zero_points, axis=self._axis)

    def clone(self, *, memory_format: Any = None) -> QuantizedTensor:
        """A copy with its own integers and the same quantization parameters."""
        return self._like(self._int.clone(memory_format=memory_format))

    def detach(self) -> QuantizedTensor:
        """The same tensor (quantized tensors never take part in autograd)."""
        return self._like(self._int)

    def contiguous(self, memory_format: Any = None) -> QuantizedTensor:
        """``self`` if its integers are contiguous, else a contiguous copy."""
        if memory_format is None:
            return self._like(self._int.contiguous())
        return self._like(self._int.contiguous(memory_format=memory_format))

    def cpu(self) -> QuantizedTensor:
        """The tensor with its integers on the cpu."""
        return self._like(self._int.cpu())

    def _per_channel_shape_check(self, out: Tensor) -> QuantizedTensor:
        assert self._scales is not None
        if self._axis >= out.ndim:
            raise RuntimeError("Channel axis out of range in per channel affine dequantization."
                               f" Got:{self._axis} Expected: [0, {out.ndim})")
        if out.shape[self._axis] != self._scales.numel():
            raise RuntimeError("length of scales must equal to channel, expected "
                               f"{out.shape[self._axis]} got, {self._scales.numel()}")
        return self._like(out)

    def reshape(self, *shape: Any) -> QuantizedTensor:
        """The integers in a new shape, with the same parameters (per channel: the channel
        axis keeps its index and must keep its size)."""
        out = self._int.reshape(*shape)
        if self._qscheme is per_tensor_affine:
            return self._like(out)
        return self._per_channel_shape_check(out)

    def view(self, *shape: Any) -> QuantizedTensor:
        """A view of the integers in a new shape (see :meth:`reshape`)."""
        out = self._int.view(*shape)
        if self._qscheme is per_tensor_affine:
            return self._like(out)
        return self._per_channel_shape_check(out)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> QuantizedTensor:
        """Dimensions ``start_dim`` to ``end_dim`` merged into one (see :meth:`reshape`)."""
        out = self._int.flatten(start_dim, end_dim)
        if self._qscheme is per_tensor_affine:
            return self._like(out)
        return self._per_channel_shape_check(out)

    def _strided_only(self) -> None:
        if self._qscheme is not per_tensor_affine:
            raise RuntimeError("Setting strides is possible only on uniformly quantized tensor")

    def permute(self, *dims: Any) -> QuantizedTensor:
        """The dimensions reordered (per-tensor quantized tensors only, as in torch)."""
        self._strided_only()
        return self._like(self._int.permute(*dims))

    def transpose(self, dim0: int, dim1: int) -> QuantizedTensor:
        """Dimensions ``dim0`` and ``dim1`` swapped (per-tensor quantized tensors only)."""
        self._strided_only()
        return self._like(self._int.transpose(dim0, dim1))

    def t(self) -> QuantizedTensor:
        """The transpose of a tensor of at most 2 dims (per-tensor quantized only)."""
        self._strided_only()
        return self._like(self._int.t())

    @property
    def T(self) -> QuantizedTensor:  # noqa: N802
        """All dimensions reversed (per-tensor quantized tensors only)."""
        return self.permute(*reversed(range(self.ndim)))

    def unsqueeze(self, dim: int) -> QuantizedTensor:
        """A new size-1 dimension at ``dim``; a channel axis at or after it moves up."""
        out = self._int.unsqueeze(dim)
        q = self._like(out)
        if self._qscheme in PER_CHANNEL:
            d = dim + out.ndim if dim < 0 else dim
            if d <= self._axis:
                q._axis = self._axis + 1
        return q

    def __getitem__(self, key: Any) -> QuantizedTensor:
        out = self._int[key]
        if self._qscheme is per_tensor_affine:
            return self._like(out)
        return self._index_per_channel(key, out)

    def _index_per_channel(self, key: Any, out: Tensor) -> QuantizedTensor:
        """Follow the channel axis through basic indexing (ints, slices, None, ``...``).

        An integer on the channel axis leaves one channel: the result is per-tensor
        quantized with that channel's scale (as a float32 value) and zero point. A slice on
        it slices the scales and zero points too.
        """
        assert self._scales is not None and self._zero_points is not None
        items = key if isinstance(key, tuple) else (key,)
        if any(not (isinstance(k, (int, slice)) or k is None or k is Ellipsis)
               or isinstance(k, bool) for k in items):
            raise RuntimeError("self.qscheme() == c10::kPerTensorAffine || self.qscheme() == "
                               "c10::kPerTensorSymmetric INTERNAL ASSERT FAILED: advanced "
                               "indexing needs a per-tensor quantized tensor")
        consumed = sum(1 for k in items if k is not None and k is not Ellipsis)
        expanded: list[Any] = []
        for k in items:
            if k is Ellipsis:
                expanded.extend([slice(None)] * (self.ndim - consumed))
            else:
                expanded.append(k)
        if Ellipsis not in items:
            expanded.extend([slice(None)] * (self.ndim - consumed))
        d = o = 0
        for k in expanded:
            if k is None:
                o += 1
                continue
            if d == self._axis:
                if isinstance(k, slice):
                    scales, zps = self._scales[k], self._zero_points[k]
                    return QuantizedTensor(out, self._dtype, self._qscheme, scales=scales,
                                           zero_points=zps, axis=o)
                if self._qscheme is per_channel_affine_float_qparams:
                    raise RuntimeError("an integer index on the channel axis of a "
                                       "per_channel_affine_float_qparams tensor leaves no "
                                       "axis for its float zero point; slice it instead")
                c = k + self.shape[d] if k < 0 else k
                scale = float(self._scales[c].to(ember.float32).item())
                return QuantizedTensor(out, self._dtype, per_tensor_affine, scale=scale,
                                       zero_point=int(self._zero_points[c].item()))
            if isinstance(k, slice):
                o += 1
            d += 1
        raise AssertionError("the channel axis was not reached while indexing")

    # ---------------------------------------------------------------- printing
    def __repr__(self) -> str:
        values = self.dequantize()
        arr = values.numpy()
        prefix = "tensor("
        indent = len(prefix)
        suffixes = []
        if self.device.type != "cpu":
            suffixes.append(f"device='{self.device}'")
        suffixes.append(f"size={tuple(arr.shape)}")
        suffixes.append(f"dtype={self._dtype!r}")
        suffixes.append(f"quantization_scheme={self._qscheme!r}")
        if self._qscheme is per_tensor_affine:
            suffixes.append(f"scale={self._scale!r}")
            suffixes.append(f"zero_point={self._zero_point}")
        else:
            suffixes.append(f"scale={self._scales!r}")
            suffixes.append(f"zero_point={self._zero_points!r}")
            suffixes.append(f"axis={self._axis}")
        if arr.size == 0:
            body = "[]"
        else:
            summarize = arr.size > ts.PRINT_OPTS["threshold"]
            fmt = ts._Formatter(ts._summarized(arr) if summarize else arr, True)
            body = ts._tensor_str_with(arr, indent, summarize, fmt)
        return ts._add_suffixes(prefix + body, suffixes, indent)

    __str__ = __repr__

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())
