"""Order statistics, counting and searching: median, kthvalue, mode, unique, bincount,
searchsorted, bucketize, and the closeness tests allclose, isclose and equal.

The order statistics are built on ``sort`` and ``gather`` and record torch's nodes: along a
dim the gradient goes to the selected element (``MedianBackward1``, ...); the whole-tensor
``median``/``nanmedian`` share it evenly among the elements equal to the result. Ops whose
output size depends on the data (``unique``, ``bincount``) or that only produce indices
compute on the host through the backend's ``to_numpy``/``from_numpy`` primitives; the
``unique`` family records a node whose backward raises, as torch's does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as dt
from ._base import Tensor, needs_grad, no_grad_call, record, result_type, wrap_dim
from .reduction import KthResult, MedianResult, ModeResult

__all__ = ["median", "nanmedian", "kthvalue", "mode", "unique", "unique_consecutive",
           "bincount", "searchsorted", "bucketize", "isclose", "allclose", "equal"]


def _host(t: Tensor) -> np.ndarray:
    arr = np.asarray(t._k.to_numpy(t._data))
    return arr.astype(np.float32) if arr.dtype == dt.bfloat16.np else arr


def _to_device(arr: np.ndarray, like: Tensor, dtype: dt.dtype | None = None) -> Tensor:
    from .creation import tensor

    return tensor(np.array(arr, order="C"), dtype=dtype, device=like.device)


# ----------------------------------------------------------------------------- order statistics


def _bw_selected(node: Any, g: Tensor) -> Tensor:
    # the gradient of a value picked along a dim goes to the element it was picked from
    from .creation import zeros

    (idx,) = node.saved
    dim, keepdim, shape, scalar = node.attrs
    if not keepdim:
        g, idx = g.unsqueeze(dim), idx.unsqueeze(dim)
    out = zeros(shape, dtype=g.dtype, device=g.device).scatter(dim, idx, g)
    return out.reshape(()) if scalar else out


def _pick(input: Tensor, dim: int, pos: Tensor, keepdim: bool, result: type,  # noqa: A002
          node: str, source: Tensor | None = None) -> Any:
    """Values and indices of the sorted position ``pos`` (keepdim-shaped) along ``dim``,
    recording ``node`` for ``source`` (the op's input; ``input`` may be its 1-d view)."""
    from .indexing import sort

    def pick() -> tuple[Tensor, Tensor]:
        _, indices = sort(input, dim, stable=True)
        idx = indices.gather(dim, pos)
        vals = input.gather(dim, idx)
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx

    vals, idx = no_grad_call(pick)
    src = input if source is None else source
    if needs_grad(src):
        record(node, _bw_selected, (src,), vals, save=(idx,),
               attrs=(dim, keepdim, tuple(input.shape), src.ndim == 0))
    return result(vals, idx)


def _bw_evenly(node: Any, g: Tensor) -> Tensor:
    # shared evenly among the elements equal to the result (the NaNs, for a NaN result)
    from .pointwise import where

    x, value = node.saved
    mask = x.isnan() if bool(value.isnan()) else x == value
    return where(mask, g / mask.sum(), 0.0)


def _check_nonempty(name: str, input: Tensor, d: int) -> None:  # noqa: A002
    if input.ndim and input.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _median(name: str, input: Tensor, dim: Any, keepdim: bool, ignore_nan: bool) -> Any:  # noqa: A002
    if dim is None:
        flat = input.reshape(-1)
        if flat.numel() == 0:
            return flat.sum() * float("nan")
        value = no_grad_call(_median, name, flat, 0, False, ignore_nan).values
        if needs_grad(input):
            node = "NanmedianBackward0" if ignore_nan else "MedianBackward0"
            record(node, _bw_evenly, (input,), value, save=(input, value))
        return value
    d = wrap_dim(dim, input.ndim, name)
    _check_nonempty(name, input, d)
    x = input if input.ndim else input.reshape(1)
    n = x.shape[d]
    if x.dtype.is_floating_point:
        valid = x.isnan().logical_not().sum(d, keepdim=True)
    else:
        valid = x.new_full([s if i != d else 1 for i, s in enumerate(x.shape)], n,
                           dtype=dt.int64)
    if ignore_nan:
        pos = ((valid - 1).clamp(min=0)) // 2
    else:
        from .pointwise import where

        pos = where(valid < n, valid, (n - 1) // 2)
    node = "NanmedianBackward1" if ignore_nan else "MedianBackward1"
    out = _pick(x, d, pos, keepdim, MedianResult, node, input)
    if input.ndim == 0:
        return MedianResult(out.values.reshape(()), out.indices.reshape(()))
    return out


def median(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The median (the lower of the two middle values for an even count); NaN if any
    element is NaN. With ``dim``, a ``(values, indices)`` named tuple along that dim.

    >>> import ember
    >>> ember.median(ember.tensor([1.0, 4.0, 2.0, 3.0]))
    tensor(2.)
    """
    return _median("median", input, dim, keepdim, False)


def nanmedian(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """Like ``median`` but ignoring NaN values (NaN only where every value is NaN)."""
    return _median("nanmedian", input, dim, keepdim, True)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    """The ``k``-th smallest value (1-based) along ``dim`` and its index, as a
    ``(values, indices)`` named tuple.

    >>> import ember
    >>> ember.kthvalue(ember.tensor([3.0, 1.0, 2.0]), 2).values
    tensor(2.)
    """
    d = wrap_dim(dim, input.ndim, "kthvalue")
    _check_nonempty("kthvalue", input, d)
    x = input if input.ndim else input.reshape(1)
    n = x.shape[d]
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    shape = [s if i != d else 1 for i, s in enumerate(x.shape)]
    pos = x.new_full(shape, k - 1, dtype=dt.int64)
    out = _pick(x, d, pos, keepdim, KthResult, "KthvalueBackward0", input)
    if input.ndim == 0:
        return KthResult(out.values.reshape(()), out.indices.reshape(()))
    return out


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    """The most frequent value along ``dim`` (the smallest one among ties) and the index of
    its last occurrence, as a ``(values, indices)`` named tuple.

    >>> import ember
    >>> ember.mode(ember.tensor([3, 1, 3, 1, 2])).values
    tensor(1)
    """
    d = wrap_dim(dim, input.ndim, "mode")
    _check_nonempty("mode", input, d)
    x = input if input.ndim else input.reshape(1)
    arr = np.moveaxis(_host(x), d, -1)
    lead = arr.shape[:-1]
    rows = arr.reshape(-1, arr.shape[-1])
    best = np.empty(rows.shape[0], dtype=np.int64)
    for r, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)
        top = values[np.argmax(counts)]
        same = (row == top) | (np.isnan(row) & np.isnan(top)) if row.dtype.kind == "f" \
            else row == top
        best[r] = np.flatnonzero(same)[-1]
    idx = _to_device(best.reshape(lead + (1,)), x)
    idx = idx.movedim(-1, d)
    vals = no_grad_call(x.gather, d, idx)
    keep = keepdim and input.ndim > 0
    if not keep:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    if input.ndim == 0:
        vals, idx = vals.reshape(()), idx.reshape(())
    if needs_grad(input):
        record("ModeBackward0", _bw_selected, (input,), vals, save=(idx,),
               attrs=(d, keep, tuple(x.shape), input.ndim == 0))
    return ModeResult(vals, idx)


# ----------------------------------------------------------------------------- unique


def _record_underivable(input: Tensor, out: Tensor, node: str, op: str) -> None:  # noqa: A002
    """Give ``out`` a node whose backward raises, as torch's ``op`` has no derivative."""

    def backward(_node: Any, _g: Tensor) -> Tensor:
        raise NotImplementedError(f"the derivative for '{op}' is not implemented.")

    if needs_grad(input):
        record(node, backward, (input,), out)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values of ``input`` in ascending order (flattened), or the distinct
    slices along ``dim``. Optionally also the index of each input element's value in the
    result (``return_inverse``) and how often each value occurs (``return_counts``).

    >>> import ember
    >>> ember.unique(ember.tensor([3, 1, 3]), return_counts=True)
    (tensor([1, 3]), tensor([1, 2]))
    """
    arr = _host(input)
    if dim is None:
        vals, inv, counts = np.unique(arr.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(arr.shape)
    else:
        d = wrap_dim(dim, input.ndim, "unique")
        if any(size == 0 for i, size in enumerate(arr.shape) if i != d):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
        if arr.shape[d] == 0:
            vals, inv, counts = arr, np.zeros(0, np.int64), np.zeros(0, np.int64)
        else:
            vals, inv, counts = np.unique(arr, return_inverse=True, return_counts=True, axis=d)
            inv = inv.reshape(-1)
    out = _to_device(vals, input, input.dtype)
    if dim is None:
        _record_underivable(input, out, "Unique2Backward0", "_unique2")
    else:
        _record_underivable(input, out, "UniqueDimBackward0", "unique_dim")
    extra = []
    if return_inverse:
        extra.append(_to_device(inv.astype(np.int64), input))
    if return_counts:
        extra.append(_to_device(counts.astype(np.int64), input))
    return (out, *extra) if extra else out


def unique_consecutive(input: Tensor, return_inverse: bool = False,  # noqa: A002
                       return_counts: bool = False, dim: int | None = None) -> Any:
    """Collapse runs of equal consecutive values (or slices along ``dim``) to one."""
    arr = _host(input)
    if dim is None:
        flat = arr.reshape(-1)
        change = np.ones(flat.size, dtype=bool)
        change[1:] = flat[1:] != flat[:-1]
        vals = flat[change]
    else:
        d = wrap_dim(dim, input.ndim, "unique_consecutive")
        moved = np.moveaxis(arr, d, 0)
        flat = moved.reshape(moved.shape[0], -1)
        change = np.ones(flat.shape[0], dtype=bool)
        change[1:] = (flat[1:] != flat[:-1]).any(axis=1)
        vals = np.moveaxis(moved[change], 0, d)
    group = np.cumsum(change) - 1
    out = _to_device(vals, input, input.dtype)
    _record_underivable(input, out, "UniqueConsecutiveBackward0", "unique_consecutive")
    extra = []
    if return_inverse:
        extra.append(_to_device(group.reshape(arr.shape if dim is None else (-1,)), input,
                                dt.int64))
    if return_counts:
        extra.append(_to_device(np.bincount(group, minlength=int(change.sum())), input,
                                dt.int64))
    return (out, *extra) if extra else out


# ----------------------------------------------------------------------------- counting, search


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """How often each value ``0..max(input)`` occurs in the 1-D non-negative integer
    ``input`` (at least ``minlength`` bins); with ``weights``, the sum of weights per bin.

    >>> import ember
    >>> ember.bincount(ember.tensor([0, 2, 2]))
    tensor([1, 0, 2])
    """
    if input.dtype.is_floating_point:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for "
                                  f"'{input.dtype.scalar_name}'")
    arr = _host(input)
    if arr.ndim != 1 or (arr.size and arr.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _to_device(np.bincount(arr, minlength=minlength).astype(np.int64), input)
    if tuple(weights.shape) != tuple(input.shape):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out_dtype = weights.dtype if weights.dtype.is_floating_point else dt.float64
    w = _host(weights).astype(np.float64)
    return _to_device(np.bincount(arr, weights=w, minlength=minlength), input, out_dtype)


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,  # noqa: A002
                 right: bool = False, side: str | None = None, sorter: Tensor | None = None
                 ) -> Tensor:
    """For each value of ``input``, the index where it would be inserted into the sorted
    last dim of ``sorted_sequence`` to keep it sorted (before equal values, or after them
    when ``right`` / ``side='right'``). ``sorted_sequence`` is 1-D or has the same leading
    dims as ``input``.

    >>> import ember
    >>> ember.searchsorted(ember.tensor([1, 3, 5]), ember.tensor([3, 6]))
    tensor([1, 3])
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    scalar = not isinstance(input, Tensor)
    seq = _host(sorted_sequence)
    vals = np.asarray(input) if scalar else _host(input)
    if seq.ndim != 1 and (scalar or seq.shape[:-1] != vals.shape[:-1]):
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or "
                           f"the first N-1 dimensions of boundaries tensor and input value "
                           f"tensor must match, but we got boundaries tensor "
                           f"{list(seq.shape)} and input value tensor {list(vals.shape)}")
    if sorter is not None:
        seq = np.take_along_axis(seq, _host(sorter).astype(np.int64), axis=-1)
    how = "right" if right else "left"
    if seq.ndim == 1:
        out = np.searchsorted(seq, vals, side=how)
    else:
        s2 = seq.reshape(-1, seq.shape[-1])
        v2 = vals.reshape(s2.shape[0], -1)
        out = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(s2, v2, strict=True)])
        out = out.reshape(vals.shape)
    return _to_device(np.asarray(out), sorted_sequence, dt.int32 if out_int32 else dt.int64)


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False,  # noqa: A002
              right: bool = False) -> Tensor:
    """The bucket index of each value of ``input`` for the sorted 1-D ``boundaries``:
    ``i`` with ``boundaries[i-1] < x <= boundaries[i]`` (``<= x <`` when ``right``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ----------------------------------------------------------------------------- closeness


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (infinities equal only to
    themselves; NaN equal to NaN only when ``equal_nan``)."""
    if isinstance(other, Tensor) and input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype} did not match {other.dtype}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    same = input == other
    if input.dtype.category < 2 and (not isinstance(other, Tensor) or
                                      other.dtype.category < 2):
        if rtol == 0 and atol == 0:
            return same
    a = input if input.dtype.is_floating_point else input.double()
    b = other if not isinstance(other, Tensor) or other.dtype.is_floating_point \
        else other.double()
    from .pointwise import where

    fa = a.isfinite()
    a0 = where(fa, a, 0.0)
    b0 = where(b.isfinite(), b, 0.0) if isinstance(b, Tensor) else \
        (b if np.isfinite(b) else 0.0)
    close = ((a0 - b0).abs() <= atol + rtol * (b0.abs() if isinstance(b0, Tensor) else abs(b0)))
    close = close.logical_and(fa).logical_and(
        b.isfinite() if isinstance(b, Tensor) else bool(np.isfinite(b))).logical_or(same)
    if equal_nan:
        close = close.logical_or(a.isnan().logical_and(
            b.isnan() if isinstance(b, Tensor) else bool(np.isnan(b))))
    return close


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    """Whether every element pair is close in the sense of ``isclose``.

    >>> import ember
    >>> ember.allclose(ember.tensor([1.0]), ember.tensor([1.0 + 1e-9]))
    True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    """Whether both tensors have the same shape and the same values (NaN is never
    equal)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"equal(): argument 'other' must be Tensor, not {type(other).__name__}")
    if tuple(input.shape) != tuple(other.shape):
        return False
    rt = result_type(input, other)
    return bool((input.to(rt) == other.to(rt)).all())
