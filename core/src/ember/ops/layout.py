"""Strided views and matrix-layout ops: ``as_strided``, ``diagonal``, ``unfold``, triangles,
diagonal embedding, ``repeat_interleave``, grids and block matrices.

``as_strided``, ``diagonal`` and ``unfold`` are views: they share memory with their input
through the backend's ``as_strided`` primitive. Their backward scatters the gradient back
to the storage positions each view element reads, so overlapping windows accumulate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._base import Tensor, wrap_dim
from .shape import cat, make_view, movedim

__all__ = ["as_strided", "diagonal", "unfold", "tril", "triu", "diag_embed", "diag",
           "repeat_interleave", "meshgrid", "block_diag", "atleast_1d", "atleast_2d",
           "atleast_3d"]


# ----------------------------------------------------------------------------- strided views


def _contig_strides(shape: Sequence[int]) -> tuple[int, ...]:
    out = []
    acc = 1
    for s in reversed(tuple(shape)):
        out.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(out))


def _positions(size: Sequence[int], stride: Sequence[int], offset: int, like: Tensor
               ) -> Tensor:
    """int64 tensor of ``size``: the storage position each element of a strided view
    reads."""
    from .creation import tensor

    pos = np.full((), offset, dtype=np.int64)
    for s, st in zip(size, stride, strict=True):
        pos = pos[..., None] + np.arange(s, dtype=np.int64) * st
    return tensor(pos, device=like.device)


def _bw_strided(node: Any, g: Tensor) -> Tensor:
    in_shape, in_pos, view_pos, n = node.attrs
    from .creation import zeros
    from .indexing import getitem, index_put

    buf = zeros(n, dtype=g.dtype, device=g.device)
    buf = index_put(buf, (view_pos.reshape(-1),), g.reshape(-1), accumulate=True)
    if in_pos is None:
        return buf.reshape(in_shape)
    return getitem(buf, in_pos)


def _extent(size: Sequence[int], stride: Sequence[int], offset: int) -> int:
    """One past the largest storage position a strided view reads (0 when empty)."""
    if any(s == 0 for s in size):
        return 0
    return offset + sum((s - 1) * st for s, st in zip(size, stride, strict=True)) + 1


def _relative_view(x: Tensor, geom: Callable[[Sequence[int]], tuple[Any, Any, int]],
                   name: str, replay: Callable[[Tensor], Tensor]) -> Tensor:
    """A view of ``x`` whose size, strides and offset ``geom`` computes from ``x``'s
    strides. The backward runs ``geom`` on contiguous strides of ``x``'s shape."""
    size, stride, off = geom(x.stride())
    arr = x._k.as_strided(x._data, tuple(size), tuple(stride), off)
    shape = tuple(x.shape)
    csize, cstride, coff = geom(_contig_strides(shape))
    n = 1
    for s in shape:
        n *= s
    attrs = (shape, None, _positions(csize, cstride, coff, x), n) if x._rg else None
    return make_view(x, arr, replay, name, _bw_strided, attrs)


def as_strided(input: Tensor, size: Sequence[int], stride: Sequence[int],  # noqa: A002
               storage_offset: int | None = None) -> Tensor:
    """A view of ``input``'s storage with the given ``size``, ``stride`` (in elements) and
    ``storage_offset`` (default: ``input``'s own offset). Elements may overlap; writing to
    such a view is undefined, as in torch.

    >>> import ember
    >>> ember.arange(6.0).as_strided((2, 2), (1, 2))
    tensor([[0., 2.],
            [1., 3.]])
    """
    size = tuple(int(s) for s in size)
    stride = tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: size {list(size)}, "
                           f"stride {list(stride)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    if any(s < 0 for s in size):
        raise RuntimeError(f"as_strided: negative size in {list(size)}")
    base = input if input._base is None else input._base
    off = input.storage_offset() if storage_offset is None else int(storage_offset)
    storage = base.numel()
    need = _extent(size, stride, off)
    if need > storage:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {off}, and itemsize {input.element_size()} requiring a "
                           f"storage size of {need * input.element_size()} are out of bounds "
                           f"for storage of size {storage * input.element_size()}")
    arr = input._k.as_strided(base._data, size, stride, off)
    attrs = None
    if input._rg:
        in_shape = tuple(input.shape)
        in_pos = _positions(in_shape, input.stride(), input.storage_offset(), input)
        n = max(need, _extent(in_shape, input.stride(), input.storage_offset()))
        attrs = (in_shape, in_pos, _positions(size, stride, off, input), n)
    out = make_view(input, arr, lambda t: t, "AsStridedBackward0", _bw_strided, attrs)
    out._view_fn = lambda t: as_strided(t.contiguous(), size, stride, off)
    return out


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """A view of the diagonal of dims ``dim1`` and ``dim2`` (``offset`` > 0: above the
    main diagonal), placed in a new last dim.

    >>> import ember
    >>> ember.arange(9.0).reshape(3, 3).diagonal(1)
    tensor([1., 5.])
    """
    nd = input.ndim
    a, b = wrap_dim(dim1, nd, "diagonal"), wrap_dim(dim2, nd, "diagonal")
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    shape = tuple(input.shape)
    if offset >= 0:
        n = max(min(shape[a], shape[b] - offset), 0)
    else:
        n = max(min(shape[a] + offset, shape[b]), 0)
    others = [i for i in range(nd) if i not in (a, b)]

    def geom(st: Sequence[int]) -> tuple[Any, Any, int]:
        off = 0 if n == 0 else (offset * st[b] if offset >= 0 else -offset * st[a])
        return ([shape[i] for i in others] + [n], [st[i] for i in others] + [st[a] + st[b]],
                off)

    return _relative_view(input, geom, "DiagonalBackward0",
                          lambda t: diagonal(t, offset, a, b))


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:  # noqa: A002
    """A view of all windows of ``size`` elements along ``dimension``, ``step`` apart, in
    a new last dim.

    >>> import ember
    >>> ember.arange(5.0).unfold(0, 2, 2)
    tensor([[0., 1.],
            [2., 3.]])
    """
    nd = input.ndim
    d = wrap_dim(dimension, nd, "unfold")
    n = input.shape[d] if nd else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    count = (n - size) // step + 1
    shape = list(input.shape)

    def geom(st: Sequence[int]) -> tuple[Any, Any, int]:
        if nd == 0:
            return [size], [1], 0
        sz = list(shape)
        sd = list(st)
        sz[d] = count
        sd[d] = st[d] * step
        return sz + [size], sd + [st[d]], 0

    return _relative_view(input, geom, "UnfoldBackward0",
                          lambda t: unfold(t, dimension, size, step))


# ----------------------------------------------------------------------------- triangles


def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The lower triangle of the last two dims (elements above ``diagonal`` zeroed)."""
    return _tri_mask(input, diagonal, lower=True)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The upper triangle of the last two dims (elements below ``diagonal`` zeroed)."""
    return _tri_mask(input, diagonal, lower=False)


def _tri_mask(x: Tensor, diagonal: int, lower: bool) -> Tensor:
    if x.ndim < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: input tensor must have at least 2 "
                           "dimensions")
    from .creation import arange
    from .pointwise import where

    r, c = x.shape[-2], x.shape[-1]
    rows = arange(r, device=x.device).unsqueeze(1)
    cols = arange(c, device=x.device).unsqueeze(0)
    keep = (cols - rows <= diagonal) if lower else (cols - rows >= diagonal)
    return where(keep, x, x.new_zeros(()))


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """Matrices with the last dim of ``input`` on their ``offset`` diagonal, in the planes
    of dims ``dim1`` and ``dim2`` of the result (which has one more dim)."""
    from .creation import arange, zeros
    from .indexing import index_put

    length = input.shape[-1] if input.ndim else 1
    x = input if input.ndim else input.reshape(1)
    n = length + abs(offset)
    nd = x.ndim + 1
    d1, d2 = wrap_dim(dim1, nd, "diag_embed"), wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    z = zeros(tuple(x.shape[:-1]) + (n, n), dtype=x.dtype, device=x.device)
    rows = arange(length, device=x.device) + max(-offset, 0)
    cols = arange(length, device=x.device) + max(offset, 0)
    out = index_put(z, (Ellipsis, rows, cols), x)
    return movedim(out, (nd - 2, nd - 1), (d1, d2))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """For a 1-D input, the square matrix with it on the ``diagonal``-th diagonal; for a
    2-D input, that diagonal as a 1-D tensor (a copy)."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return globals()["diagonal"](input, diagonal).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


# ----------------------------------------------------------------------------- repeats


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,  # noqa: A002
                      output_size: int | None = None) -> Tensor:
    """Repeat each element (or each slice along ``dim``) ``repeats`` times in place, e.g.
    ``[1, 2] -> [1, 1, 2, 2]``. ``repeats`` is an int or a tensor with one count per slice.
    With only an integer tensor, returns ``arange(len(t)).repeat_interleave(t)``.

    >>> import ember
    >>> ember.tensor([1, 2]).repeat_interleave(2)
    tensor([1, 1, 2, 2])
    """
    from .creation import tensor
    from .indexing import index_select

    if repeats is None:
        if input.ndim > 1 or input.dtype.category != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        counts = np.asarray(input.tolist(), dtype=np.int64).reshape(-1)
        if (counts < 0).any():
            raise RuntimeError("repeats can not be negative")
        return tensor(np.repeat(np.arange(counts.size), counts), device=input.device)
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else wrap_dim(dim, x.ndim, "repeat_interleave")
    n = x.shape[d] if x.ndim else 1
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        counts = np.asarray(repeats.tolist(), dtype=np.int64).reshape(-1)
        if counts.size == 1:
            counts = np.full(n, counts[0])
        elif counts.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {counts.size} and input.size({d}) = {n}")
    else:
        counts = np.full(n, int(repeats), dtype=np.int64)
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    idx = np.repeat(np.arange(n, dtype=np.int64), counts)
    if output_size is not None and output_size != idx.size:
        raise RuntimeError(f"allocated size does not match required size: output_size "
                           f"{output_size}, required {idx.size}")
    if x.ndim == 0:
        x = x.reshape(1)
    return index_select(x, d, tensor(idx, device=x.device))


# ----------------------------------------------------------------------------- grids


def meshgrid(*tensors: Tensor, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors (``indexing`` 'ij', the default, or 'xy')."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    idx = indexing or "ij"
    if idx not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {idx}")
    ts = list(tensors)
    swap = idx == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = [t.numel() for t in ts]
    out = []
    for i, t in enumerate(ts):
        s = [1] * len(ts)
        s[i] = -1
        out.append(t.reshape(s).expand(shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix from 0-D, 1-D (a row) or 2-D tensors, in the promoted
    dtype.

    >>> import ember
    >>> ember.block_diag(ember.ones(1, 1), ember.tensor([2.0, 3.0]))
    tensor([[1., 0., 0.],
            [0., 2., 3.]])
    """
    from ._base import result_type
    from .creation import zeros

    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
    mats = [t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t
            for t in tensors]
    if not mats:
        return zeros(1, 0)
    rt = result_type(*mats)
    cols = sum(m.shape[1] for m in mats)
    parts = []
    c0 = 0
    for m in mats:
        left = zeros(m.shape[0], c0, dtype=rt, device=m.device)
        right = zeros(m.shape[0], cols - c0 - m.shape[1], dtype=rt, device=m.device)
        parts.append(cat([left, m.to(rt), right], 1))
        c0 += m.shape[1]
    return cat(parts, 0)


def atleast_1d(input: Tensor) -> Tensor:  # noqa: A002
    """``input`` with at least one dim (0-d becomes shape ``(1,)``)."""
    return input.reshape(1) if input.ndim == 0 else input


def atleast_2d(input: Tensor) -> Tensor:  # noqa: A002
    """``input`` with at least two dims (new dims in front)."""
    return input.reshape((1,) * (2 - input.ndim) + tuple(input.shape)) if input.ndim < 2 \
        else input


def atleast_3d(input: Tensor) -> Tensor:  # noqa: A002
    """``input`` with at least three dims, as torch pads them."""
    if input.ndim == 0:
        return input.reshape(1, 1, 1)
    if input.ndim == 1:
        return input.reshape(1, -1, 1)
    if input.ndim == 2:
        return input.unsqueeze(-1)
    return input

