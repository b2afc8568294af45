"""Factory functions: tensors from data, filled tensors, ranges, identity matrices."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._dispatch import table_for
from ._base import Tensor, normalize_shape, resolve_device, wrap


def _finish(data: Any, dev: Any, k: Any, requires_grad: bool) -> Tensor:
    t = wrap(data, dev, k)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_np(data: Any, exact: bool = False) -> np.ndarray:
    """A numpy array from nested Python data, with torch's dtype inference. ``exact``
    (when the caller converts to a dtype it was given): Python floats stay float64 instead
    of becoming the default float dtype, so nothing is rounded twice."""
    default_float = np.dtype(np.float64) if exact else dt.DEFAULTS.float.np
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, Tensor):
        return np.asarray(data._k.to_numpy(data._data))
    if isinstance(data, (bool, np.bool_)):
        return np.array(data, dtype=np.bool_)
    if isinstance(data, numbers.Integral):
        return np.array(int(data), dtype=np.int64)
    if isinstance(data, numbers.Real):
        return np.array(float(data), dtype=default_float)
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, (list, tuple)):
        if any(isinstance(e, Tensor) for e in _flat(data)):
            data = _untensor(data)
        kinds = {type(e) for e in _flat(data)}
        arr = np.array(data)
        if arr.dtype == object:
            raise ValueError("too many dimensions or ragged nested sequence for a tensor")
        if arr.dtype.kind == "U" or arr.dtype.kind == "S":
            raise TypeError(f"new(): invalid data type '{arr.dtype.kind == 'U' and 'str'}'")
        if arr.size == 0 and not kinds:
            return arr.astype(default_float)
        if arr.dtype.kind == "f":
            if kinds and all(issubclass(k, np.floating) for k in kinds):
                return arr
            return arr.astype(default_float)
        if arr.dtype.kind in "iu" and arr.dtype != np.uint8:
            return arr.astype(np.int64)
        return arr
    if hasattr(data, "__array__"):
        return np.asarray(data)
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _flat(data: Any) -> list[Any]:
    out = []
    stack = [data]
    while stack:
        d = stack.pop()
        if isinstance(d, (list, tuple)):
            stack.extend(d)
        else:
            out.append(d)
    return out


def _untensor(data: Any) -> Any:
    if isinstance(data, (list, tuple)):
        return [_untensor(d) for d in data]
    if isinstance(data, Tensor):
        return data.tolist()
    return data


def tensor(data: Any, *, dtype: dt.dtype | None = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested sequence, numpy array or
    tensor). The dtype is inferred (floats -> the default float dtype, ints -> int64,
    bools -> bool) unless given.

    >>> import ember
    >>> ember.tensor([[1, 2], [3, 4]]).dtype
    ember.int64
    """
    dev = resolve_device(device)
    if isinstance(data, Tensor):
        import warnings

        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
        src = data.detach()
        out = src.to(dev, dtype or src.dtype, copy=True)
        return out.requires_grad_(requires_grad) if requires_grad else out
    arr = _infer_np(data, exact=dtype is not None)
    if dtype is not None:
        arr = arr.astype(dt.to_dtype(dtype).np)
    elif arr.dtype not in dt.FROM_NP:
        arr = arr.astype(dt.FROM_NP.get(arr.dtype, dt.float64).np)
    else:
        arr = np.array(arr, dtype=dt.FROM_NP[arr.dtype].np, copy=True)
    k = table_for(dev)
    return _finish(k.from_numpy(arr, dev), dev, k, requires_grad)


def as_tensor(data: Any, dtype: dt.dtype | None = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with a numpy array or tensor when dtype and
    device allow."""
    if isinstance(data, Tensor):
        return data.to(device or data.device, dtype or data.dtype)
    if isinstance(data, np.ndarray) and data.dtype in dt.FROM_NP:
        t = from_numpy(data)
        return t.to(device or t.device, dtype or t.dtype)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A cpu tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype not in dt.FROM_NP or ndarray.dtype.kind == "u" and \
            ndarray.dtype != np.uint8:
        raise TypeError(f"can't convert np.ndarray of type {ndarray.dtype}. The only supported "
                        "types are: float64, float32, float16, int64, int32, int16, int8, "
                        "uint8, and bool.")
    canonical = dt.FROM_NP[ndarray.dtype].np
    if ndarray.dtype is not canonical:  # e.g. unpickled arrays: an equal, distinct dtype
        ndarray = ndarray.view(canonical)
    dev = resolve_device("cpu")
    k = table_for(dev)
    return wrap(k.from_numpy(ndarray, dev), dev, k)


def _factory(size: Sequence[Any], dtype: Any, device: Any, op: str) -> tuple[Any, Any, Any]:
    shape = normalize_shape(size, op)
    d = dt.DEFAULTS.float if dtype is None else dt.to_dtype(dtype)
    dev = resolve_device(device)
    return shape, d, dev


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          out: Tensor | None = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """A tensor of ``size`` filled with 0."""
    shape, d, dev = _factory(size, dtype, device, "zeros")
    k = table_for(dev)
    return _finish(k.full(shape, 0, d.np, dev), dev, k, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         out: Tensor | None = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """A tensor of ``size`` filled with 1.

    >>> import ember
    >>> ember.ones(2) + 1
    tensor([2., 2.])
    """
    shape, d, dev = _factory(size, dtype, device, "ones")
    k = table_for(dev)
    return _finish(k.full(shape, 1, d.np, dev), dev, k, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          out: Tensor | None = None, layout: Any = None, pin_memory: bool = False,
          memory_format: Any = None) -> Tensor:
    """A tensor of ``size`` with unspecified values."""
    shape, d, dev = _factory(size, dtype, device, "empty")
    k = table_for(dev)
    return _finish(k.empty(shape, d.np, dev), dev, k, requires_grad)


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, out: Tensor | None = None, layout: Any = None,
         pin_memory: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from it)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        from ._base import scalar_dtype

        dtype = scalar_dtype(fill_value)
    shape, d, dev = _factory((size,) if not isinstance(size, int) else (size,), dtype, device,
                             "full")
    k = table_for(dev)
    return _finish(k.full(shape, fill_value, d.np, dev), dev, k, requires_grad)


def _like(input: Tensor, dtype: Any, device: Any) -> tuple[Any, Any]:  # noqa: A002
    return (input.dtype if dtype is None else dtype,
            input.device if device is None else device)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False, memory_format: Any = None, layout: Any = None
               ) -> Tensor:
    """Zeros with ``input``'s shape (and dtype and device unless given)."""
    d, dev = _like(input, dtype, device)
    return zeros(tuple(input.shape), dtype=d, device=dev, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False, memory_format: Any = None, layout: Any = None
              ) -> Tensor:
    """Ones with ``input``'s shape."""
    d, dev = _like(input, dtype, device)
    return ones(tuple(input.shape), dtype=d, device=dev, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False, memory_format: Any = None, layout: Any = None
               ) -> Tensor:
    """An uninitialized tensor with ``input``'s shape."""
    d, dev = _like(input, dtype, device)
    return empty(tuple(input.shape), dtype=d, device=dev, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False, memory_format: Any = None, layout: Any = None
              ) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape."""
    d, dev = _like(input, dtype, device)
    return full(tuple(input.shape), fill_value, dtype=d, device=dev,
                requires_grad=requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False, out: Tensor | None = None,
           layout: Any = None) -> Tensor:
    """Values from ``start`` (default 0) up to but excluding ``end``, ``step`` apart.

    The dtype is int64 when all arguments are integers, else the default float dtype.
    """
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = dt.int64 if all(isinstance(v, numbers.Integral) for v in vals) \
            else dt.DEFAULTS.float
    d = dt.to_dtype(dtype)
    dev = resolve_device(device)
    k = table_for(dev)
    n = max(math.ceil((end - start) / step), 0)
    if d.category == 2:
        arr = k.arange(0, n, 1, np.float64, dev)
        arr = k.cast(k.add(k.mul(arr, float(step)), float(start)), d.np)
    else:
        arr = k.arange(start, start + n * step, step, d.np, dev)
    return _finish(arr, dev, k, requires_grad)


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    d = dt.DEFAULTS.float if dtype is None else dt.to_dtype(dtype)
    arr = np.linspace(start, end, steps, dtype=np.float64)
    if steps > 1:
        # torch fills the second half backwards from ``end`` for symmetry
        step = (end - start) / (steps - 1)
        half = steps // 2
        idx = np.arange(steps, dtype=np.float64)
        arr = np.where(idx < half, start + step * idx, end - step * (steps - 1 - idx))
    if d.category < 2:
        arr = np.trunc(arr)
    return tensor(arr.astype(d.np), device=device, requires_grad=requires_grad)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    d = dt.DEFAULTS.float if dtype is None else dt.to_dtype(dtype)
    exps = np.linspace(float(start), float(end), steps, dtype=np.float64)
    return tensor(np.power(base, exps).astype(d.np), device=device,
                  requires_grad=requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """A 2-D tensor with ones on the diagonal."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    m = n if m is None else m
    d = dt.DEFAULTS.float if dtype is None else dt.to_dtype(dtype)
    return tensor(np.eye(n, m, dtype=d.np), device=device, requires_grad=requires_grad)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None) -> Tensor:
    """The ``(2, N)`` indices of the lower triangle of a ``row x col`` matrix."""
    r, c = np.tril_indices(row, offset, col)
    return tensor(np.stack([r, c]).astype(np.int64), dtype=dtype or dt.int64, device=device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None) -> Tensor:
    """The ``(2, N)`` indices of the upper triangle of a ``row x col`` matrix."""
    r, c = np.triu_indices(row, offset, col)
    return tensor(np.stack([r, c]).astype(np.int64), dtype=dtype or dt.int64, device=device)


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None) -> Tensor:
    """A 0-d tensor holding ``s`` (default float dtype unless ``dtype`` is given)."""
    return tensor(s, dtype=dtype or dt.DEFAULTS.float, device=device)
