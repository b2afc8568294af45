"""Shape ops: views that share memory with their input, joins, splits and reorderings."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _dtype as dt
from ..autograd.grad_mode import enable_grad
from ._base import (
    GRAD,
    Size,
    Tensor,
    record,
    resolve_device,
    sum_to,
    wrap,
    wrap_dim,
)

# ----------------------------------------------------------------------------- views


def make_view(x: Tensor, arr: Any, replay: Callable[[Tensor], Tensor], name: str,
              backward: Callable[..., Any] | None, attrs: Any = None) -> Tensor:
    """Wrap ``arr`` (a view of ``x``'s array) as a view tensor of ``x``."""
    out = wrap(arr, x._device, x._k)
    out._vc = x._vc
    base = x._base
    out._base = x if base is None else base
    prev = x._view_fn
    out._view_fn = replay if prev is None else (lambda t: replay(prev(t)))
    if backward is not None and x._rg and GRAD.enabled:
        record(name, backward, (x,), out, attrs=attrs)
    return out


def _bw_reshape(node: Any, g: Tensor) -> Tensor:
    return reshape(g, node.attrs)


def _infer_shape(shape: tuple[int, ...], numel: int, op: str) -> tuple[int, ...]:
    # Fast paths: a complete valid shape, or one with a single -1 and no other negative
    # size. Anything else (including every error) takes the checks below.
    if -1 not in shape:
        if math.prod(shape) == numel and (not shape or min(shape) >= 0):
            return shape
    else:
        known = -math.prod(shape)  # the product of the other sizes
        if known > 0 and min(shape) == -1 and shape.count(-1) == 1 and not numel % known:
            i = shape.index(-1)
            return shape[:i] + (numel // known,) + shape[i + 1:]
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _shape_args(shape: Sequence[Any]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = shape[0]
    for s in shape:
        if type(s) is not int:
            return tuple(int(s) for s in shape)
    return tuple(shape)


def view(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    """A view with a new shape (one dim may be -1); raises when the memory layout does not
    allow a view (use ``reshape``). ``view(dtype)`` reinterprets the bytes."""
    if len(shape) == 1 and isinstance(shape[0], dt.dtype):
        return _view_dtype(input, shape[0])
    new = _infer_shape(_shape_args(shape), math.prod(input._data.shape), "view")
    try:
        arr = input._k.reshape(input._data, new, False)
    except ValueError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.") from None
    return make_view(input, arr, lambda t: t.view(new), "ViewBackward0", _bw_reshape,
                     input._data.shape)


def _view_dtype(input: Tensor, dtype: dt.dtype) -> Tensor:  # noqa: A002
    arr = input._k.to_numpy(input._data).view(dtype.np)
    return wrap(input._k.from_numpy(arr, input._device), input._device, input._k)


def reshape(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    """The same elements with a new shape (one dim may be -1); a view when possible."""
    new = _infer_shape(_shape_args(shape), math.prod(input._data.shape), "reshape")
    if new == input._data.shape:
        return make_view(input, input._data, lambda t: t, "ViewBackward0", _bw_reshape,
                         new) if input._rg and GRAD.enabled else _plain_alias(input)
    k = input._k
    try:
        arr = k.reshape(input._data, new, False)
    except ValueError:
        arr = k.reshape(k.copy(input._data), new, None)
        out = wrap(arr, input._device, k)
        if input._rg and GRAD.enabled:
            record("ReshapeBackward0", _bw_reshape, (input,), out,
                   attrs=tuple(input._data.shape))
        return out
    return make_view(input, arr, lambda t: t.reshape(new), "ViewBackward0", _bw_reshape,
                     tuple(input._data.shape))


def _plain_alias(x: Tensor) -> Tensor:
    return make_view(x, x._data, lambda t: t, "AliasBackward0", _bw_identity)


def view_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """``input.view(other.shape)``."""
    return view(input, tuple(other.shape))


def reshape_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """``input.reshape(other.shape)``."""
    return reshape(input, tuple(other.shape))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    """Merge dims ``start_dim..end_dim`` into one."""
    nd = input.ndim
    if nd == 0:
        wrap_dim(start_dim, nd, "flatten")
        wrap_dim(end_dim, nd, "flatten")
        return reshape(input, (1,))
    s = wrap_dim(start_dim, nd, "flatten")
    e = wrap_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = tuple(input._data.shape)
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:  # noqa: A002
    """Split dim ``dim`` into ``sizes`` (one may be -1)."""
    d = wrap_dim(dim, input.ndim, "unflatten")
    shape = tuple(input._data.shape)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    inner = _infer_shape(sizes, shape[d], "unflatten")
    return view(input, shape[:d] + inner + shape[d + 1:]) if _contig_ok(input) else \
        reshape(input, shape[:d] + inner + shape[d + 1:])


def _contig_ok(x: Tensor) -> bool:
    return True


def squeeze(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """Remove dims of size 1 (all of them, or those in ``dim``)."""
    shape = tuple(input._data.shape)
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims_set = {wrap_dim(d, len(shape), "squeeze") for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in dims_set and s == 1))
    return reshape(input, new)


def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """Insert a dim of size 1 at ``dim``."""
    shape = tuple(input._data.shape)
    d = wrap_dim(dim, len(shape) + 1, "unsqueeze")
    return reshape(input, shape[:d] + (1,) + shape[d:])


def _bw_permute(node: Any, g: Tensor) -> Tensor:
    inv = [0] * len(node.attrs)
    for i, p in enumerate(node.attrs):
        inv[p] = i
    return permute(g, inv)


def permute(input: Tensor, *dims: Any) -> Tensor:  # noqa: A002
    """A view with dims reordered: result dim ``i`` is input dim ``dims[i]``."""
    dims_t = _shape_args(dims)
    nd = input.ndim
    if len(dims_t) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {nd} is not equal to len(dims) = {len(dims_t)}")
    norm = tuple(wrap_dim(d, nd, "permute") for d in dims_t)
    if len(set(norm)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    arr = input._k.permute(input._data, norm)
    return make_view(input, arr, lambda t: t.permute(norm), "PermuteBackward0", _bw_permute,
                     norm)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """A view with dims ``dim0`` and ``dim1`` swapped."""
    nd = input._data.ndim
    if nd == 0:
        wrap_dim(dim0, nd)
        wrap_dim(dim1, nd)
        return _plain_alias(input)
    a, b = wrap_dim(dim0, nd, "transpose"), wrap_dim(dim1, nd, "transpose")
    perm = list(range(nd))
    perm[a], perm[b] = perm[b], perm[a]
    norm = tuple(perm)
    arr = input._k.permute(input._data, norm)
    return make_view(input, arr, lambda t: t.permute(norm), "TransposeBackward0", _bw_permute,
                     norm)


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:  # noqa: A002
    """Transpose of a tensor with at most 2 dims."""
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return transpose(input, 0, 1) if nd == 2 else _plain_alias(input)


def adjoint(input: Tensor) -> Tensor:  # noqa: A002
    """A view with the last two dims swapped (the conjugate transpose of real matrices)."""
    return transpose(input, -2, -1)


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:  # noqa: A002
    """Move dims ``source`` to positions ``destination``."""
    nd = input.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if nd == 0:
        for d in src + dst:
            wrap_dim(d, nd, "movedim")
        return _plain_alias(input)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    src = [wrap_dim(d, nd, "movedim") for d in src]
    dst = [wrap_dim(d, nd, "movedim") for d in dst]
    order = [d for d in range(nd) if d not in src]
    perm = [-1] * nd
    for s, d in zip(src, dst, strict=True):
        perm[d] = s
    it = iter(order)
    perm = [p if p != -1 else next(it) for p in perm]
    return permute(input, perm)


moveaxis = movedim


def _bw_expand(node: Any, g: Tensor) -> Tensor:
    return sum_to(g, node.attrs)


def expand(input: Tensor, *sizes: Any) -> Tensor:  # noqa: A002
    """A view broadcast to ``sizes`` (-1 keeps a dim); no memory is copied."""
    sizes_t = _shape_args(sizes)
    shape = tuple(input._data.shape)
    if len(sizes_t) < len(shape):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes_t)}): "
                           f"the number of sizes provided ({len(sizes_t)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes_t) - len(shape)
    target = []
    for i, s in enumerate(sizes_t):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: the expanded size of the tensor ({s}) isn't allowed "
                                   "in a leading, non-existing dimension " f"{i}")
            target.append(s)
            continue
        cur = shape[i - lead]
        if s == -1:
            target.append(cur)
        elif cur == s or cur == 1:
            target.append(s)
        else:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes_t)}.  Tensor sizes: {list(shape)}")
    tgt = tuple(target)
    if tgt == shape:
        return _plain_alias(input) if not (input._rg and GRAD.enabled) else make_view(
            input, input._data, lambda t: t, "ExpandBackward0", _bw_expand, shape)
    arr = input._k.expand(input._data, tgt)
    return make_view(input, arr, lambda t: t.expand(tgt), "ExpandBackward0", _bw_expand, shape)


def expand_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """``input.expand(other.shape)``."""
    return expand(input, tuple(other.shape))


broadcast_to = expand


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape that tensors of ``shapes`` broadcast to."""
    norm = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*norm))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: "
                           f"{[list(s) for s in norm]}") from None


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """Expand all ``tensors`` to their common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


# ----------------------------------------------------------------------------- copies


def _bw_identity(node: Any, g: Tensor) -> Tensor:
    return g


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:  # noqa: A002
    """A copy with its own memory (recorded: gradients flow back to ``input``)."""
    out = wrap(input._k.copy(input._data), input._device, input._k)
    if input._rg and GRAD.enabled:
        record("CloneBackward0", _bw_identity, (input,), out)
    return out


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:  # noqa: A002
    """``input`` itself if densely laid out in row-major order, else a contiguous copy."""
    if input.is_contiguous():
        return input
    return clone(input)


def contiguous_copy(g: Tensor) -> Tensor:
    """A detached contiguous copy (used for ``.grad``)."""
    return wrap(g._k.copy(g._data), g._device, g._k)


def add_into(dst: Tensor, src: Tensor) -> None:
    """``dst += src`` in place, with no autograd (gradient accumulation)."""
    k = dst._k
    data = src._data
    if data.dtype is not dst._data.dtype:
        data = k.cast(data, dst._data.dtype)
    fast = k.add_into
    if fast is not None:
        fast(dst._data, data)
    else:
        k.copy_into(dst._data, k.add(dst._data, data))
    dst._vc.v += 1


def _bw_to(node: Any, g: Tensor) -> Tensor:
    dev, dtype = node.attrs
    return to_device_dtype(g, dev, dtype, False)


def to_device_dtype(x: Tensor, device: Any, dtype: dt.dtype | None, copy: bool) -> Tensor:
    """The implementation of ``Tensor.to``: convert dtype and/or move device."""
    src_dtype = dt.FROM_NP[x._data.dtype]
    target_dev = x._device if device is None else resolve_device(device)
    if target_dev.type == "cuda" and target_dev.index is None:
        from .._device import device as Device

        target_dev = Device("cuda", 0)
    target_dtype = src_dtype if dtype is None else dtype
    same_dev = target_dev == x._device
    if same_dev and target_dtype is src_dtype and not copy:
        return x
    data = x._data
    k = x._k
    if not same_dev:
        from .._dispatch import table_for

        k2 = table_for(target_dev)
        data = k2.from_numpy(np.asarray(k.to_numpy(data), order="C"), target_dev)
        k = k2
    if target_dtype is not src_dtype:
        data = k.cast(data, target_dtype.np)
    elif same_dev:
        data = k.copy(data)
    out = wrap(data, target_dev, k)
    if x._rg and GRAD.enabled and target_dtype.is_floating_point:
        record("ToCopyBackward0", _bw_to, (x,), out, attrs=(x._device, src_dtype))
    return out


def _resize_out(out: Tensor, res: Tensor) -> None:
    out._data = res._data
    out._vc.v += 1


# ----------------------------------------------------------------------------- joins


def _bw_cat(node: Any, g: Tensor) -> tuple[Tensor | None, ...]:
    # each input's slice of g, in the input's own dtype (inputs of a lower precision were
    # promoted on the way in)
    dim, sizes, dtypes = node.attrs
    out: list[Tensor | None] = []
    start = 0
    for s, dtype in zip(sizes, dtypes, strict=True):
        part = narrow(g, dim, start, s[dim]) if len(s) else None
        out.append(part if part is None or dtype is None else part.to(dtype))
        start += s[dim] if len(s) else 0
    return tuple(out)


def cat(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Concatenate tensors along an existing dim (1-D empty tensors are skipped)."""
    if isinstance(tensors, Tensor):
        raise TypeError("cat(): argument 'tensors' must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    live = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)]
    if not live:
        return tensors[0].clone()
    ref = live[0]
    nd = ref.ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = wrap_dim(dim, nd, "cat")
    from ._base import result_type

    rt = result_type(*[t for t in live if t.ndim]) if len(live) > 1 else ref.dtype
    for i, t in enumerate(live):
        if t.ndim != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and "
                               f"{t.ndim}")
        for j in range(nd):
            if j != d and t._data.shape[j] != ref._data.shape[j]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref._data.shape[j]} but got size "
                                   f"{t._data.shape[j]} for tensor number {i} in the list.")
        if t._device != ref._device:
            raise RuntimeError("Expected all tensors to be on the same device, but found at "
                               f"least two devices, {ref._device} and {t._device}!")
    k = ref._k
    arrays = [t._data if t._data.dtype is rt.np else k.cast(t._data, rt.np) for t in live]
    res = wrap(k.cat(arrays, d), ref._device, k)
    if GRAD.enabled and any(t._rg for t in live):
        record("CatBackward0", _bw_cat, tuple(live), res,
               attrs=(d, [tuple(t._data.shape) for t in live],
                      [None if t._data.dtype is rt.np else t.dtype for t in live]))
    if out is not None:
        _resize_out(out, res)
        return out
    return res


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tuple(tensors[0].shape)
    for i, t in enumerate(tensors):
        if tuple(t.shape) != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)}"
                               f" at entry 0 and {list(t.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1, "stack")
    return cat([unsqueeze(t, d) for t in tensors], d, out=out)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate along dim 1 (dim 0 for 1-D tensors)."""
    ts = [t if t.ndim else t.reshape(1) for t in tensors]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate along dim 0 after making each tensor at least 2-D."""
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


row_stack = vstack


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate along dim 2 after making each tensor at least 3-D."""
    ts = []
    for t in tensors:
        if t.ndim == 0:
            t = t.reshape(1, 1, 1)
        elif t.ndim == 1:
            t = t.reshape(1, -1, 1)
        elif t.ndim == 2:
            t = t.unsqueeze(2)
        ts.append(t)
    return cat(ts, 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Stack tensors as columns: 0-d and 1-d inputs become ``(n, 1)`` columns, then concatenate
    along dim 1."""
    return cat([t.reshape(-1, 1) if t.ndim < 2 else t for t in tensors], 1)


# ----------------------------------------------------------------------------- slicing


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:  # noqa: A002
    """A view of ``length`` elements of dim ``dim`` from ``start``."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim, "narrow")
    size = input._data.shape[d]
    start = int(start)
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    key = (slice(None),) * d + (slice(start, start + length),)
    from .indexing import getitem

    return getitem(input, key)


def select(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """The slice at ``index`` of dim ``dim`` (that dim removed); a view."""
    d = wrap_dim(dim, input.ndim, "select")
    size = input._data.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    from .indexing import getitem

    return getitem(input, (slice(None),) * d + (int(index),))


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into chunks of ``split_size`` (the last may be smaller) or into the given list
    of sizes, along ``dim``; each chunk is a view."""
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, tensor.ndim, "split")
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        sizes = [min(step, size - i) for i in range(0, size, step)] if step else [0]
        if not sizes:
            sizes = [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
    out = []
    start = 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


def split_with_sizes(tensor: Tensor, split_sizes: Sequence[int], dim: int = 0
                     ) -> tuple[Tensor, ...]:
    """Split along ``dim`` into views of the given ``split_sizes`` (which must sum to the dim's
    size)."""
    return split(tensor, list(split_sizes), dim)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Split into ``n`` nearly equal parts, or at the given indices."""
    d = wrap_dim(dim, input.ndim, "tensor_split")
    size = input._data.shape[d]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        base, extra = divmod(size, n)
        sizes = [base + 1] * extra + [base] * (n - extra)
        return split(input, sizes, d)
    idx = [0, *[min(max(int(i), 0), size) for i in indices_or_sections], size]
    return tuple(narrow(input, d, a, max(b - a, 0)) for a, b in zip(idx[:-1], idx[1:],
                                                                    strict=True))


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Split into ``chunks`` views of equal size (the last may be smaller)."""
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " f"{chunks}")
    d = wrap_dim(dim, input.ndim, "chunk")
    size = input._data.shape[d]
    step = -(-size // chunks) if size else 1
    return split(input, step, d) if size else tuple(split(input, [0] * chunks, d))


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """The slices along ``dim``, with that dim removed."""
    d = wrap_dim(dim, input.ndim, "unbind")
    return tuple(select(input, d, i) for i in range(input._data.shape[d]))


# ----------------------------------------------------------------------------- reorderings


def _bw_flip(node: Any, g: Tensor) -> Tensor:
    return flip(g, node.attrs)


def flip(input: Tensor, dims: Any) -> Tensor:  # noqa: A002
    """Reverse the order of elements along ``dims`` (a copy)."""
    dims_t = (dims,) if isinstance(dims, int) else tuple(dims)
    norm = tuple(wrap_dim(d, input.ndim, "flip") for d in dims_t)
    if input.ndim == 0:
        return clone(input)
    out = wrap(input._k.flip(input._data, norm), input._device, input._k)
    if input._rg and GRAD.enabled:
        record("FlipBackward0", _bw_flip, (input,), out, attrs=norm)
    return out


def fliplr(input: Tensor) -> Tensor:  # noqa: A002
    """Reverse the order of columns (dim 1)."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:  # noqa: A002
    """Reverse the order of rows (dim 0)."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,  # noqa: A002
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference ``out[i] = x[i + 1] - x[i]`` along ``dim``, after
    concatenating ``prepend`` and ``append``; booleans use ``!=`` (xor)."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.ndim, "diff")
    x = input
    if prepend is not None or append is not None:
        parts = [p for p in (prepend, input, append) if p is not None]
        x = cat([p if p.ndim else p.expand(*[1 if i == d else s for i, s in
                                             enumerate(input.shape)]) for p in parts], d)
    for _ in range(n):
        size = x.shape[d]
        if size == 0:
            break
        hi, lo = narrow(x, d, 1, size - 1), narrow(x, d, 0, size - 1)
        x = hi != lo if x.dtype is dt.bool else hi - lo
    return x


def ravel(input: Tensor) -> Tensor:  # noqa: A002
    """The elements as a 1-D tensor in row-major order (a view when the layout allows)."""
    return reshape(input, (-1,))


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002
    """Shift elements cyclically by ``shifts`` along ``dims`` (flattened when None)."""
    if dims is None:
        return roll(input.flatten(), shifts, 0).view(tuple(input.shape))
    shifts_t = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims_t = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts_t) != len(dims_t):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts_t)}, dims:"
                           f"{len(dims_t)}")
    out = input
    for s, d in zip(shifts_t, dims_t, strict=True):
        d = wrap_dim(d, input.ndim, "roll")
        n = input._data.shape[d]
        if n == 0:
            continue
        s %= n
        if s:
            out = cat([narrow(out, d, n - s, s), narrow(out, d, 0, n - s)], d)
    return out if out is not input else clone(input)


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:  # noqa: A002
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    d0, d1 = (wrap_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, (d0,)).transpose(d0, d1)
    return clone(input)


def repeat(input: Tensor, *sizes: Any) -> Tensor:  # noqa: A002
    """Tile the tensor ``sizes[i]`` times along each dim (a copy)."""
    reps = _shape_args(sizes)
    if len(reps) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    x = input.reshape((1,) * (len(reps) - input.ndim) + tuple(input.shape))
    shape = tuple(x.shape)
    # (r0, s0, r1, s1, ...) then merge pairs
    inter = []
    expanded = []
    for r, s in zip(reps, shape, strict=True):
        inter += [1, s]
        expanded += [r, s]
    y = x.reshape(inter).expand(expanded)
    return y.reshape(tuple(r * s for r, s in zip(reps, shape, strict=True)))


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    """Like ``repeat``; missing leading reps count as 1."""
    dims = tuple(dims)
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


# ----------------------------------------------------------------------------- in-place on views


def _bw_view_scatter(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    replay, shape, base_dtype, res_shape = node.attrs
    from .creation import zeros
    from .pointwise import where

    mask = zeros(shape, dtype=dt.bool, device=g.device)
    with _no_grad():
        replay(mask).fill_(True)
    g_base = where(mask, g * 0, g)
    g_res = sum_to(replay(g), res_shape)
    return g_base, g_res


class _no_grad:
    def __enter__(self) -> None:
        self.prev = GRAD.enabled
        GRAD.enabled = False

    def __exit__(self, *exc: object) -> None:
        GRAD.enabled = self.prev


def view_scatter_record(base: Tensor, view_t: Tensor, result: Tensor) -> None:
    """Record that ``result`` was written into ``view_t`` (a view of ``base``) in place:
    ``base`` takes a new history that routes the view region's gradient to ``result``."""
    replay = view_t._view_fn
    record("CopySlices", _bw_view_scatter, (base, result), base,
           attrs=(replay, tuple(base.shape), base.dtype, tuple(result.shape)))
    with enable_grad():
        regenerated = replay(base)
    view_t._grad_fn = regenerated._grad_fn
    view_t._out_nr = regenerated._out_nr
    view_t._rg = True
