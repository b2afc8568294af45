"""Indexing: ``t[key]``, ``t[key] = v``, gather/scatter, index_select/add/copy/fill,
masks, nonzero, sort and topk."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as dt
from ._base import (
    GRAD,
    Tensor,
    needs_grad,
    no_grad_call,
    record,
    sum_to,
    to_tensor,
    wrap,
    wrap_dim,
    write_inplace,
)
from .shape import make_view

_SCALAR_TYPES = (int, np.integer)


# ----------------------------------------------------------------------------- keys


def _prepare_key(x: Tensor, key: Any) -> tuple[tuple[Any, ...], bool]:
    """Translate a Python indexing key into backend terms.

    Returns the key (ints, slices, None, Ellipsis and backend index arrays) and whether it
    has advanced (array) components.
    """
    if not isinstance(key, tuple):
        key = (key,)
    k = x._k
    out: list[Any] = []
    advanced = False
    dim = 0
    shape = x._data.shape
    n_real = sum(1 for e in key if e is not None and e is not Ellipsis and not (
        isinstance(e, Tensor) and e.dtype is dt.bool) and not isinstance(e, bool))
    n_real += sum(e.ndim for e in key if isinstance(e, Tensor) and e.dtype is dt.bool)
    if n_real > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    for e in key:
        if e is None or isinstance(e, slice):
            if isinstance(e, slice):
                if e.step is not None and _int(e.step) <= 0:
                    raise ValueError("step must be greater than zero")
                e = slice(_opt_int(e.start), _opt_int(e.stop), _opt_int(e.step))
                dim += 1
            out.append(e)
        elif e is Ellipsis:
            out.append(e)
            dim = len(shape) - (n_real - dim)
        elif isinstance(e, bool):
            out.append(k.from_numpy(np.array(e), x._device))
            advanced = True
        elif isinstance(e, _SCALAR_TYPES):
            size = shape[dim]
            i = int(e)
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size "
                                 f"{size}")
            out.append(i)
            dim += 1
        elif isinstance(e, Tensor):
            if e.dtype is dt.bool or e.dtype is dt.uint8:
                arr = e._data if e.dtype is dt.bool else k.cast(e._data, np.bool_)
                for j, s in enumerate(e.shape):
                    if dim + j < len(shape) and s != shape[dim + j]:
                        raise IndexError(f"The shape of the mask [{', '.join(map(str, e.shape))}]"
                                         f" at index {j} does not match the shape of the indexed "
                                         f"tensor [{', '.join(map(str, shape))}] at index "
                                         f"{dim + j}")
                out.append(arr)
                dim += e.ndim
            elif e.dtype.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            else:
                out.append(e._data if e._data.dtype is dt.int64.np else
                           k.cast(e._data, dt.int64.np))
                dim += 1
            advanced = True
        elif isinstance(e, (list, np.ndarray)):
            arr = np.asarray(e)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if arr.dtype.kind not in "b":
                arr = arr.astype(np.int64)
            out.append(k.from_numpy(arr, x._device))
            dim += arr.ndim if arr.dtype.kind == "b" else 1
            advanced = True
        elif isinstance(e, str):
            raise TypeError("new(): invalid data type 'str'")
        else:
            try:
                i = e.__index__()
            except AttributeError:
                raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long "
                                 "or byte Variables are valid indices (got "
                                 f"{type(e).__name__})") from None
            out.append(i)
            dim += 1
    return tuple(out), advanced


def _int(v: Any) -> int:
    return int(v.item()) if isinstance(v, Tensor) else int(v)


def _opt_int(v: Any) -> int | None:
    return None if v is None else _int(v)


def _index_error(exc: IndexError) -> IndexError:
    msg = str(exc).replace("axis", "dimension")
    return IndexError(msg)


# ----------------------------------------------------------------------------- getitem


def _bw_getitem(node: Any, g: Tensor) -> Tensor:
    shape, key_t, dtype = node.attrs
    from .creation import zeros

    z = zeros(shape, dtype=dt.FROM_NP[dtype], device=g.device)
    return index_put(z, key_t, g, accumulate=True)


def getitem(x: Tensor, key: Any) -> Tensor:
    """``x[key]`` with torch's semantics: basic indexing gives a view, advanced indexing a
    copy."""
    if type(key) is int:
        return _select_int(x, key)
    if type(key) is not tuple:
        key = (key,)
    bkey, advanced = _prepare_key(x, key)
    if not advanced and Ellipsis not in bkey:
        bkey += (Ellipsis,)  # all-int keys then give a 0-d view, not a scalar, on any backend
    k = x._k
    try:
        arr = k.index(x._data, bkey)
    except IndexError as exc:
        raise _index_error(exc) from None
    if not advanced:
        return make_view(x, arr, lambda t: getitem(t, key), "SliceBackward0", _bw_getitem,
                         (tuple(x._data.shape), key, x._data.dtype))
    out = wrap(arr, x._device, k)
    if x._rg and GRAD.enabled:
        record("IndexBackward0", _bw_getitem, (x,), out,
               attrs=(tuple(x._data.shape), key, x._data.dtype))
    return out


def _select_int(x: Tensor, i: int) -> Tensor:
    """``x[i]`` for a Python int: the fast path of the most common key."""
    shape = x._data.shape
    if not shape:
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    n = shape[0]
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of bounds for dimension 0 with size {n}")
    key = (i,)
    arr = x._k.index(x._data, (i, Ellipsis))
    return make_view(x, arr, lambda t: getitem(t, key), "SelectBackward0", _bw_getitem,
                     (shape, key, x._data.dtype))


def setitem(x: Tensor, key: Any, value: Any) -> None:
    """``x[key] = value`` in place (``value`` broadcast to the indexed region)."""
    if type(key) is not tuple:
        key = (key,)
    bkey, advanced = _prepare_key(x, key)
    if not isinstance(value, Tensor):
        value = to_tensor(value, x)
    elif value._data.dtype is not x._data.dtype:
        value = value.to(x.dtype)
    if not advanced:
        region = getitem(x, key)
        if region._data.ndim == 0 or tuple(value.shape) != tuple(region.shape):
            from .shape import expand

            value = expand(value, tuple(region.shape))
        write_inplace(region, value, "setitem")
        return
    result = index_put(x, key, value, accumulate=False)
    write_inplace(x, result, "index_put_")


# ----------------------------------------------------------------------------- index_put


def _bw_index_put(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    key, accumulate, vshape, need_x, need_v = node.attrs
    gx = gv = None
    if need_x:
        gx = g if accumulate else index_put(g, key, to_tensor(0, g), accumulate=False)
    if need_v:
        gv = sum_to(getitem(g, key), vshape)
    return gx, gv


def index_put(input: Tensor, indices: Any, values: Any, accumulate: bool = False  # noqa: A002
              ) -> Tensor:
    """A copy of ``input`` with ``values`` written at ``indices`` (added when
    ``accumulate``, repeated indices summing)."""
    key = tuple(indices) if isinstance(indices, (list, tuple)) else (indices,)
    bkey, _ = _prepare_key(input, key)
    if not isinstance(values, Tensor):
        values = to_tensor(values, input)
    k = input._k
    vdata = values._data if values._data.dtype is input._data.dtype else \
        k.cast(values._data, input._data.dtype)
    arr = k.copy(input._data)
    try:
        k.index_put(arr, bkey, vdata, accumulate)
    except IndexError as exc:
        raise _index_error(exc) from None
    except ValueError as exc:
        raise RuntimeError(f"index_put: shape mismatch: value tensor of shape "
                           f"{list(values.shape)} cannot be broadcast to the indexing result "
                           f"({exc})") from None
    out = wrap(arr, input._device, k)
    if GRAD.enabled and (input._rg or values._rg):
        record("IndexPutBackward0", _bw_index_put, (input, values), out,
               attrs=(key, accumulate, tuple(values.shape), input._rg, values._rg))
    return out


def index_put_(input: Tensor, indices: Any, values: Any, accumulate: bool = False  # noqa: A002
               ) -> Tensor:
    """In-place ``index_put``."""
    return write_inplace(input, index_put(input, indices, values, accumulate), "index_put_")


# ----------------------------------------------------------------------------- gather/scatter


def _check_index(op: str, x: Tensor, dim: int, index: Tensor) -> int:
    if not isinstance(index, Tensor) or index.dtype not in (dt.int64, dt.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")
    d = wrap_dim(dim, x.ndim, op)
    if index.ndim != x.ndim and not (index.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor")
    if index.numel():
        n = x.shape[d] if x.ndim else 1
        lo, hi = int(index.min()), int(index.max())
        if lo < 0 or hi >= n:
            bad = hi if hi >= n else lo
            raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    return d


def _bw_gather(node: Any, g: Tensor) -> Tensor:
    (index,) = node.saved
    shape, d = node.attrs
    from .creation import zeros

    return scatter_add(zeros(shape, dtype=g.dtype, device=g.device), d, index, g)


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:  # noqa: A002
    """Values of ``input`` at ``index`` along ``dim``: ``out[i][j] = input[index[i][j]][j]``
    for ``dim=0``."""
    d = _check_index("gather", input, dim, index)
    for i in range(index.ndim):
        if i != d and index.shape[i] > input.shape[i]:
            raise RuntimeError(f"Size does not match at dimension {i} expected index "
                               f"{list(index.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {d}")
    k = input._k
    out = wrap(k.gather(input._data, d, index._data), input._device, k)
    if input._rg and GRAD.enabled:
        record("GatherBackward0", _bw_gather, (input,), out, save=(index,),
               attrs=(tuple(input.shape), d))
    return out


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """``gather`` with broadcasting of ``indices`` against ``input``."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = wrap_dim(dim, input.ndim, "take_along_dim")
    shape_i = list(input.shape)
    shape_x = list(indices.shape)
    shape_i[d] = indices.shape[d]
    shape_x[d] = input.shape[d]
    from .shape import broadcast_shapes

    bi = list(broadcast_shapes(tuple(shape_i), tuple(indices.shape)))
    bx = list(broadcast_shapes(tuple(shape_x), tuple(input.shape)))
    return gather(input.expand(bx), d, indices.expand(bi))


def _bw_scatter(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    (index,) = node.saved
    d, need_x, need_src, add = node.attrs
    gx = gs = None
    if need_x:
        gx = g if add else scatter(g, d, index, 0.0)
    if need_src:
        gs = gather(g, d, index)
    return gx, gs


def _check_scatter_shapes(input: Tensor, d: int, index: Tensor, src: Any) -> None:  # noqa: A002
    """torch's rule: ``index`` no larger than ``input`` outside ``d`` and than ``src``."""
    if index.ndim == 0:
        return
    too_big = any(i != d and index.shape[i] > input.shape[i] for i in range(index.ndim))
    if isinstance(src, Tensor) and src.ndim == index.ndim:
        too_big = too_big or any(index.shape[i] > src.shape[i] for i in range(index.ndim))
        if too_big:
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {d} and to be no "
                               f"larger size than src {list(src.shape)}")
    elif too_big:
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                           f"{list(input.shape)} apart from dimension {d}")


def _scatter_impl(name: str, input: Tensor, dim: int, index: Tensor, src: Any,  # noqa: A002
                  add: bool) -> Tensor:
    d = _check_index(name, input, dim, index)
    if isinstance(src, Tensor) and src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _check_scatter_shapes(input, d, index, src)
    k = input._k
    if isinstance(src, Tensor):
        sdata = src._data
    else:
        sdata = k.full(tuple(index.shape), src, input._data.dtype, input._device)
    kern = k.scatter_add if add else k.scatter
    out = wrap(kern(input._data, d, index._data, sdata), input._device, k)
    src_rg = isinstance(src, Tensor) and src._rg
    if GRAD.enabled and (input._rg or src_rg):
        record("ScatterAddBackward0" if add else "ScatterBackward0", _bw_scatter,
               (input, src if src_rg else None), out, save=(index,),
               attrs=(d, input._rg, src_rg, add))
    return out


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *,  # noqa: A002
            value: Any = None, reduce: str | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor or scalar) written at ``index`` along
    ``dim``; ``reduce='add'``/``'multiply'`` combine instead of overwriting."""
    if src is None:
        src = value
    if reduce is not None and isinstance(src, Tensor):
        import warnings

        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and "
                      "will be removed in a future PyTorch release. Use torch.scatter_reduce "
                      "instead for more reduction options.", UserWarning, stacklevel=2)
    if reduce == "add":
        return _scatter_impl("scatter", input, dim, index, src, True)
    if reduce == "multiply":
        return scatter_reduce(input, dim, index, src if isinstance(src, Tensor)
                              else to_tensor(src, input).expand(index.shape), "prod")
    if reduce is not None:
        raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
    return _scatter_impl("scatter", input, dim, index, src, False)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats sum)."""
    return _scatter_impl("scatter_add", input, dim, index, src, True)


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,  # noqa: A002
                   include_self: bool = True) -> Tensor:
    """Reduce ``src`` values into ``input`` at ``index`` with ``reduce`` in
    ``{'sum', 'prod', 'mean', 'amax', 'amin'}``."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    d = _check_index("scatter_reduce", input, dim, index)
    from .creation import ones_like, zeros_like
    from .pointwise import where

    if reduce == "sum":
        base = input if include_self else scatter(input, d, index, 0.0)
        return scatter_add(base, d, index, src)
    if reduce == "mean":
        base = input if include_self else scatter(input, d, index, 0.0)
        total = scatter_add(base, d, index, src)
        cnt = scatter_add(ones_like(input) if include_self else zeros_like(input), d, index,
                          ones_like(src))
        cnt = where(cnt == 0, ones_like(cnt), cnt)
        out = total / cnt
        return out if input.dtype.is_floating_point else out.floor().to(input.dtype)
    # prod / amax / amin: process source elements in a deterministic loop over positions.
    flat_idx = index.reshape(-1)
    moved_src = src.movedim(d, -1) if src.ndim else src
    out = input.clone()
    touched = zeros_like(input, dtype=dt.bool)
    n = index.shape[d] if index.ndim else 1
    for j in range(n):
        idx_j = index.narrow(d, j, 1) if index.ndim else index
        src_j = src.narrow(d, j, 1) if src.ndim else src
        cur = gather(out, d, idx_j)
        first = gather(touched, d, idx_j).logical_not()
        if reduce == "prod":
            combined = cur * src_j
            fresh = src_j
        elif reduce == "amax":
            combined = where(src_j > cur, src_j, cur)
            fresh = src_j
        else:
            combined = where(src_j < cur, src_j, cur)
            fresh = src_j
        if not include_self:
            combined = where(first, fresh, combined)
        out = scatter(out, d, idx_j, combined)
        touched = scatter(touched, d, idx_j, True)
    del flat_idx, moved_src
    return out


# ----------------------------------------------------------------------------- index_*


def _bw_index_select(node: Any, g: Tensor) -> Tensor:
    (index,) = node.saved
    shape, d = node.attrs
    from .creation import zeros

    return index_add(zeros(shape, dtype=g.dtype, device=g.device), d, index, g)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """The slices of ``input`` at ``index`` (1-D) along ``dim``."""
    if not isinstance(index, Tensor) or index.dtype not in (dt.int64, dt.int32):
        raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = wrap_dim(dim, input.ndim, "index_select")
    n = input.shape[d] if input.ndim else 1
    if index.numel() and (int(index.max()) >= n or int(index.min()) < -n):
        bad = int(index.max()) if int(index.max()) >= n else int(index.min())
        if d == 0:
            raise IndexError("index out of range in self")
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
    k = input._k
    idx = index._data if index.dtype is dt.int64 else k.cast(index._data, dt.int64.np)
    if idx.ndim == 0:
        idx = k.reshape(idx, (1,), None)
    data = input._data if input.ndim else k.reshape(input._data, (1,), None)
    out = wrap(k.index_select(data, d, idx), input._device, k)
    if input.ndim == 0:
        out = wrap(k.reshape(out._data, (), None), input._device, k)
    if input._rg and GRAD.enabled:
        record("IndexSelectBackward0", _bw_index_select, (input,), out,
               save=(wrap(idx, input._device, k),), attrs=(tuple(input.shape), d))
    return out


def _check_index_source(op: str, input: Tensor, d: int, index: Tensor,  # noqa: A002
                        source: Tensor) -> None:
    """torch's checks of ``index_add``/``index_copy``: a 1-d integer ``index`` in range and
    a ``source`` of ``input``'s dtype and shape outside ``d``."""
    if source.dtype is not input.dtype:
        if op == "index_add_":
            raise RuntimeError(f"index_add_(): self ({input.dtype.scalar_name}) and source "
                               f"({source.dtype.scalar_name}) must have the same scalar type")
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {input.dtype.scalar_name} and (source) "
                           f"{source.dtype.scalar_name}")
    if index.dtype not in (dt.int64, dt.int32):
        if op == "index_add_":
            raise RuntimeError("index_add_(): Expected dtype int32/int64 for index but got: "
                               f"{index.dtype.scalar_name}")
        raise RuntimeError("index_copy_(): Expected a long tensor for index, but got "
                           f"{index.dtype.scalar_name}")
    if index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    if input.ndim and source.ndim and (
            source.ndim != input.ndim or any(i != d and source.shape[i] != input.shape[i]
                                             for i in range(input.ndim))):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input.shape)} "
                           f"source.shape = {list(source.shape)}")
    n = input.shape[d] if input.ndim else 1
    if index.numel() and (int(index.max()) >= n or int(index.min()) < -n):
        raise IndexError("index out of range in self")


def _bw_index_add(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    (index,) = node.saved
    d, alpha, source_shape, need_x, need_src = node.attrs
    gs = None
    if need_src:
        picked = index_select(g, d, index) if g.ndim else g
        gs = (picked if alpha == 1 else picked * alpha).reshape(source_shape)
    return (g if need_x else None), gs


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,  # noqa: A002
              alpha: Any = 1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` slices added at ``index`` along ``dim``."""
    d = wrap_dim(dim, input.ndim, "index_add")
    _check_index_source("index_add_", input, d, index, source)

    def run() -> Tensor:
        src = source if alpha == 1 else source * alpha
        if input.ndim == 0:
            return index_put(input.reshape(1), (index.reshape(-1),), src.reshape(-1),
                             accumulate=True).reshape(())
        return index_put(input, (slice(None),) * d + (index,), src, accumulate=True)

    out = no_grad_call(run)
    if needs_grad(input, source):
        record("IndexAddBackward0", _bw_index_add, (input, source), out, save=(index,),
               attrs=(d, alpha, tuple(source.shape), input._rg, source._rg))
    return out


def _bw_index_copy(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    (index,) = node.saved
    d, source_shape, need_x, need_src = node.attrs
    gx = index_fill(g, d, index, 0.0) if need_x else None
    gs = None
    if need_src:
        gs = (index_select(g, d, index) if g.ndim else g).reshape(source_shape)
    return gx, gs


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``source`` slices written at ``index`` along ``dim``."""
    d = wrap_dim(dim, input.ndim, "index_copy")
    _check_index_source("index_copy_", input, d, index, source)
    if input.ndim == 0:
        out = no_grad_call(lambda: index_put(input.reshape(1), (index.reshape(-1),),
                                             source.reshape(-1)).reshape(()))
    else:
        out = no_grad_call(index_put, input, (slice(None),) * d + (index,), source,
                           accumulate=False)
    if needs_grad(input, source):
        record("IndexCopyBackward0", _bw_index_copy, (input, source), out, save=(index,),
               attrs=(d, tuple(source.shape), input._rg, source._rg))
    return out


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:  # noqa: A002
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    d = wrap_dim(dim, input.ndim, "index_fill")
    if not isinstance(index, Tensor) or index.dtype is not dt.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if input.ndim == 0:
        return index_put(input.reshape(1), (index.reshape(-1),), value).reshape(())
    return index_put(input, (slice(None),) * d + (index,), value, accumulate=False)


# ----------------------------------------------------------------------------- masks


def _bw_masked_fill(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    (mask,) = node.saved
    need_x, need_v = node.attrs
    from .creation import zeros_like as ember_zeros_like
    from .pointwise import where

    gx = where(mask, ember_zeros_like(g), g) if need_x else None
    gv = (g * mask).sum() if need_v else None
    return gx, gv


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``value`` where ``mask`` (broadcast) is true."""
    if not isinstance(mask, Tensor) or mask.dtype is not dt.bool:
        got = mask.dtype.scalar_name.lower() if isinstance(mask, Tensor) else \
            type(mask).__name__
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{got}")
    value_t = value if isinstance(value, Tensor) else None
    if value_t is not None and value_t.ndim != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value_t.ndim} dimension(s).")
    k = input._k
    v = value.item() if value_t is not None else value
    try:
        arr = k.masked_fill(input._data, mask._data, v)
    except ValueError:
        from ._base import broadcast_error

        raise broadcast_error(tuple(input.shape), tuple(mask.shape)) from None
    if tuple(arr.shape) != tuple(input._data.shape):
        from ._base import broadcast_error

        raise broadcast_error(tuple(input.shape), tuple(mask.shape))
    out = wrap(arr, input._device, k)
    v_rg = value_t is not None and value_t._rg
    if GRAD.enabled and (input._rg or v_rg):
        record("MaskedFillBackward0", _bw_masked_fill, (input, value_t if v_rg else None), out,
               save=(mask,), attrs=(input._rg, v_rg))
    return out


def masked_select(input: Tensor, mask: Tensor) -> Tensor:  # noqa: A002
    """The elements where ``mask`` (broadcast with ``input``) is true, as a 1-D tensor."""
    from .shape import broadcast_tensors

    x, m = broadcast_tensors(input, mask)
    return getitem(x, m)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """A copy of ``input`` with consecutive ``source`` elements written where ``mask`` is
    true."""
    from .shape import broadcast_tensors

    x, m = broadcast_tensors(input, mask)
    n = int(m.sum())
    if source.numel() < n:
        raise RuntimeError("masked_scatter: expected source to have at least as many elements "
                           f"as ones in mask ({n}), got {source.numel()}")
    return index_put(x.contiguous() if x._base is not None else x, (m,),
                     source.reshape(-1)[:n], accumulate=False)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """Indices of non-zero elements: an ``(n, ndim)`` int64 tensor, or a tuple of 1-D
    tensors when ``as_tuple``."""
    k = input._k
    data = input._data if input.ndim else k.reshape(input._data, (1,), None)
    idx = wrap(k.nonzero(data), input._device, k)
    if as_tuple:
        if input.ndim == 0:
            return (idx[:, 0],)
        return tuple(idx[:, i] for i in range(input.ndim))
    if input.ndim == 0:
        return idx[:, :0]
    return idx


def argwhere(input: Tensor) -> Tensor:  # noqa: A002
    """The ``(n, ndim)`` indices of the non-zero elements (``nonzero``)."""
    return nonzero(input)


# ----------------------------------------------------------------------------- sorting


def _bw_sort(node: Any, g: Tensor, _gi: Any = None) -> Tensor:
    (idx,) = node.saved
    shape, d = node.attrs
    from .creation import zeros

    return zeros(shape, dtype=g.dtype, device=g.device).scatter(d, idx, g)


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False  # noqa: A002
         ) -> Any:
    """Sort along ``dim``; returns ``(values, indices)``. NaN sorts as the largest value."""
    from .reduction import SortResult

    if input.ndim == 0:
        wrap_dim(dim, 0, "sort")
        return SortResult(input.clone(), input.new_zeros((), dtype=dt.int64))
    d = wrap_dim(dim, input.ndim, "sort")
    k = input._k
    v, i = k.sort(input._data, d, descending, stable)
    vals = wrap(v, input._device, k)
    idx = wrap(i, input._device, k)
    if input._rg and GRAD.enabled:
        record("SortBackward0", _bw_sort, (input,), vals, save=(idx,),
               attrs=(tuple(input.shape), d))
    return SortResult(vals, idx)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False  # noqa: A002
            ) -> Tensor:
    """The indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending, stable).indices


def msort(input: Tensor) -> Tensor:  # noqa: A002
    """Sort along dim 0 in ascending order; returns the values only."""
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True  # noqa: A002
         ) -> Any:
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices."""
    from .reduction import TopkResult

    d = wrap_dim(dim, input.ndim, "topk")
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        from .shape import clone

        vals = clone(input) if k else input.reshape(1)[:0]
        return TopkResult(vals, input.new_zeros(() if k else (0,), dtype=dt.int64))
    kt = input._k
    data = input._data if input.ndim else kt.reshape(input._data, (1,), None)
    v, i = kt.topk(data, k, d, largest, sorted)
    vals = wrap(v, input._device, kt)
    idx = wrap(i, input._device, kt)
    if input.ndim == 0:
        vals, idx = vals.reshape(()), idx.reshape(())
    if input._rg and GRAD.enabled:
        record("TopkBackward0", _bw_sort, (input,), vals, save=(idx,),
               attrs=(tuple(input.shape), d))
    return TopkResult(vals, idx)
