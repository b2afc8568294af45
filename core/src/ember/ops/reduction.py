"""Reductions: sums, means, extremes, statistics, scans and their derivatives."""

from __future__ import annotations

import builtins
import math
from collections import namedtuple
from typing import Any

from .. import _dtype as dt
from ..amp.autocast_mode import STATE as AUTOCAST
from ..amp.autocast_mode import autocast_args
from ._base import GRAD, Tensor, record, wrap, wrap_dim, wrap_dims

_FROM_NP = dt.FROM_NP

values_indices = namedtuple("values_indices", ["values", "indices"])


def _named(name: str, fields: tuple[str, ...] = ("values", "indices")) -> type:
    """A named tuple type printed like torch's ``torch.return_types.<name>``."""
    base = namedtuple(name, fields)  # type: ignore[misc]

    def __repr__(self: Any) -> str:  # noqa: N807
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self, strict=True))
        return f"ember.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__str__": __repr__})
    cls.__module__ = "ember.return_types"
    return cls


MaxResult = _named("max")
MinResult = _named("min")
SortResult = _named("sort")
TopkResult = _named("topk")
KthResult = _named("kthvalue")
MedianResult = _named("median")
ModeResult = _named("mode")
CummaxResult = _named("cummax")
CumminResult = _named("cummin")
AminmaxResult = _named("aminmax", ("min", "max"))


def _expand_back(g: Tensor, shape: tuple[int, ...], dims: tuple[int, ...], keepdim: bool
                 ) -> Tensor:
    if not keepdim and dims:
        s = list(shape)
        for d in dims:
            s[d] = 1
        g = g.reshape(s)
    return g.expand(shape)


def _bw_sum(node: Any, g: Tensor) -> Tensor:
    shape, dims, keepdim, d = node.attrs
    out = _expand_back(g, shape, dims, keepdim)
    return out if out._data.dtype is d else out.to(_FROM_NP[d])


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A001,A002
        dtype: dt.dtype | None = None) -> Tensor:
    """Sum of elements over ``dim`` (all dims when None). Integer and bool inputs sum in
    int64 unless ``dtype`` is given."""
    if isinstance(dim, dt.dtype):
        dim, dtype = None, dim
    elif dim is not None and not isinstance(dim, int) and len(dim) == 0:
        dim = None
    nd = input._data.ndim
    dims = wrap_dims(dim, nd, "sum")
    data = input._data
    k = input._k
    if dtype is not None:
        if data.dtype is not dtype.np:
            data = k.cast(data, dtype.np)
    elif data.dtype.kind in "biu":
        data = k.cast(data, dt.int64.np)
    out = wrap(k.sum(data, dims, keepdim), input._device, k)
    if input._rg and GRAD.enabled:
        record("SumBackward1" if dim is not None else "SumBackward0", _bw_sum, (input,), out,
               attrs=(tuple(input._data.shape), dims, keepdim, input._data.dtype))
    return out


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
           dtype: dt.dtype | None = None) -> Tensor:
    """Sum treating NaN as zero."""
    from .pointwise import where

    x = where(input.isnan(), 0, input) if input.dtype.is_floating_point else input
    return sum(x, dim, keepdim, dtype=dtype)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
         dtype: dt.dtype | None = None) -> Tensor:
    """Arithmetic mean over ``dim`` (all dims when None); floating dtypes only."""
    if isinstance(dim, dt.dtype):
        dim, dtype = None, dim
    elif dim is not None and not isinstance(dim, int) and len(dim) == 0:
        dim = None
    if dtype is None and not input.dtype.is_floating_point:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: "
                           f"{input.dtype.scalar_name}")
    x = input if dtype is None else input.to(dtype)
    dims = wrap_dims(dim, x.ndim, "mean")
    n = 1
    for d in dims:
        n *= x._data.shape[d]
    s = sum(x, dims, keepdim)
    return s / n if n else s * math.nan


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
            dtype: dt.dtype | None = None) -> Tensor:
    """Mean ignoring NaN values."""
    valid = input.isnan().logical_not()
    return nansum(input, dim, keepdim, dtype=dtype) / sum(valid, dim, keepdim)


def _bw_prod(node: Any, g: Tensor) -> Tensor:
    (x,) = node.saved
    dims, keepdim = node.attrs
    shape = tuple(x.shape)
    if len(dims) == len(shape) and len(shape) != 1:
        flat = x.reshape(-1)
        return _prod_grad_1d(flat, g.reshape(1).expand(flat.shape)).reshape(shape)
    if not dims:
        return g
    d = dims[0]
    ge = _expand_back(g, shape, dims, keepdim)
    return _prod_grad_dim(x, ge, d)


def _prod_grad_1d(x: Tensor, g: Tensor) -> Tensor:
    return _prod_grad_dim(x, g, 0)


def _prod_grad_dim(x: Tensor, g: Tensor, d: int) -> Tensor:
    """Gradient of prod along ``d``: g times the product of all other elements, computed
    from exclusive prefix and suffix products (exact with zeros)."""
    from .creation import ones
    from .shape import cat, flip, narrow

    n = x.shape[d]
    if n == 0:
        return g * 0
    one_shape = list(x.shape)
    one_shape[d] = 1
    one = ones(one_shape, dtype=x.dtype, device=x.device)
    prefix = cat([one, narrow(cumprod(x, d), d, 0, n - 1)], d)
    suffix = flip(cat([one, narrow(cumprod(flip(x, (d,)), d), d, 0, n - 1)], d), (d,))
    return g * prefix * suffix


def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
         dtype: dt.dtype | None = None) -> Tensor:
    """Product of elements over ``dim`` (all when None)."""
    if isinstance(dim, dt.dtype):
        dim, dtype = None, dim
    if AUTOCAST.active:
        (input,) = autocast_args("prod", input)
    dims = wrap_dims(dim, input.ndim, "prod")
    data = input._data
    k = input._k
    if dtype is not None:
        data = k.cast(data, dtype.np)
    elif data.dtype.kind in "biu":
        data = k.cast(data, dt.int64.np)
    out = wrap(k.prod(data, dims, keepdim), input._device, k)
    if input._rg and GRAD.enabled:
        record("ProdBackward0", _bw_prod, (input,), out, save=(input,), attrs=(dims, keepdim))
    return out


def _bw_extreme(node: Any, g: Tensor) -> Tensor:
    x, out = node.saved
    dims, keepdim = node.attrs
    shape = tuple(x.shape)
    oe = _expand_back(out, shape, dims, keepdim)
    mask = (x == oe).to(g.dtype)
    count = _expand_back(sum(mask, dims, keepdim), shape, dims, keepdim)
    return _expand_back(g, shape, dims, keepdim) * mask / count


def _extreme(name: str, input: Tensor, dim: Any, keepdim: bool) -> Tensor:  # noqa: A002
    dims = wrap_dims(dim, input.ndim, name)
    if input.numel() == 0:
        if dim is None or dim == ():
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        for d in dims:
            if input.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    k = input._k
    out = wrap(getattr(k, name)(input._data, dims, keepdim), input._device, k)
    if input._rg and GRAD.enabled:
        record(name.capitalize() + "Backward0", _bw_extreme, (input,), out,
               save=(input, out), attrs=(dims, keepdim))
    return out


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    """The largest element over ``dim`` (all dims when empty); gradient split evenly among
    ties."""
    return _extreme("amax", input, None if dim == () else dim, keepdim)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    """The smallest element over ``dim`` (all dims when empty)."""
    return _extreme("amin", input, None if dim == () else dim, keepdim)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    """``(amin, amax)`` as a named tuple."""
    return AminmaxResult(amin(input, () if dim is None else dim, keepdim),
                         amax(input, () if dim is None else dim, keepdim))


def _bw_index_reduce(node: Any, g: Tensor, _gi: Any = None) -> Tensor:
    (idx,) = node.saved
    shape, d, keepdim = node.attrs
    from .creation import zeros

    if not keepdim:
        g = g.unsqueeze(d)
        idx = idx.unsqueeze(d)
    return zeros(shape, dtype=g.dtype, device=g.device).scatter(d, idx, g)


def _arg_extreme(name: str, input: Tensor, dim: Any, keepdim: bool) -> Tensor:  # noqa: A002
    k = input._k
    if dim is None:
        if input.numel() == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        flat = k.reshape(input._data, (-1,), None) if input._data.ndim != 1 else input._data
        r = getattr(k, name)(flat, 0, False)
        if keepdim:
            r = k.reshape(r, (1,) * input.ndim, None)
        return wrap(r, input._device, k)
    d = wrap_dim(dim, input.ndim, name)
    if input.ndim and input.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    data = input._data if input._data.ndim else k.reshape(input._data, (1,), None)
    r = getattr(k, name)(data, d, keepdim and input._data.ndim > 0)
    return wrap(r, input._device, k)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """Index of the first largest element (over the flattened tensor when ``dim`` is None)."""
    return _arg_extreme("argmax", input, dim, keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """Index of the first smallest element."""
    return _arg_extreme("argmin", input, dim, keepdim)


def _max_min(name: str, input: Tensor, dim: Any, keepdim: bool, other: Any,  # noqa: A002
             result: type) -> Any:
    if isinstance(dim, Tensor) and other is None:
        other, dim = dim, None
    if other is not None:
        from .pointwise import maximum, minimum

        return (maximum if name == "max" else minimum)(input, other)
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        return _extreme("amax" if name == "max" else "amin", input, None, False)
    d = wrap_dim(dim, input.ndim, name)
    if input.ndim == 0:
        from .shape import clone

        return result(clone(input), wrap(input._k.full((), 0, dt.int64.np, input._device),
                                         input._device, input._k))
    x = input
    idx = _arg_extreme("argmax" if name == "max" else "argmin", x, d, True)
    k = input._k
    vals = wrap(k.gather(x._data, d, idx._data), input._device, k)
    if not keepdim or input.ndim == 0:
        vals = wrap(k.reshape(vals._data, _drop(vals.shape, d, input.ndim), None),
                    input._device, k)
        idx = wrap(k.reshape(idx._data, _drop(idx.shape, d, input.ndim), None), input._device, k)
    if input._rg and GRAD.enabled:
        record(name.capitalize() + "Backward0", _bw_index_reduce, (input,), vals, save=(idx,),
               attrs=(tuple(input.shape) if input.ndim else (1,), d, keepdim and input.ndim))
        if input.ndim == 0:
            vals = vals.reshape(())
    return result(vals, idx)


def _drop(shape: Any, d: int, nd: int) -> tuple[int, ...]:
    s = list(shape)
    if nd == 0:
        return ()
    del s[d]
    return tuple(s)


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001,A002
    """The largest element; with ``dim``, a ``(values, indices)`` named tuple; with a
    tensor second argument, the elementwise maximum."""
    return _max_min("max", input, dim, keepdim, other, MaxResult)


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001,A002
    """The smallest element; with ``dim``, a ``(values, indices)`` named tuple."""
    return _max_min("min", input, dim, keepdim, other, MinResult)


def var(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
        correction: Any = None) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (default 1; ``unbiased=False``
    means 0)."""
    return _variance(input, dim, unbiased, keepdim, correction, "var")


def _variance(input: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any,  # noqa: A002
              op: str) -> Tensor:
    if isinstance(dim, bool) and unbiased is None:
        unbiased, dim = dim, None
    corr = 1 if correction is None else correction
    if unbiased is not None and correction is None:
        corr = 1 if unbiased else 0
    dims = wrap_dims(dim, input.ndim, "var")
    n = 1
    for d in dims:
        n *= input.shape[d]
    mu = mean(input, dims, keepdim=True)
    diff = input - mu
    ss = sum(diff * diff, dims, keepdim)
    denom = builtins.max(n - corr, 0)
    if n - corr <= 0:
        import warnings

        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)
    return ss / denom if denom else ss * math.nan if n - corr <= 0 else ss / denom


def std(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
        correction: Any = None) -> Tensor:
    """Standard deviation (the square root of ``var``)."""
    return _variance(input, dim, unbiased, keepdim, correction, "std").sqrt()


def var_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
             correction: Any = None) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` in one call."""
    return (_variance(input, dim, unbiased, keepdim, correction, "var_mean"),
            mean(input, dim, keepdim))


def std_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
             correction: Any = None) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` in one call."""
    return (_variance(input, dim, unbiased, keepdim, correction, "std_mean").sqrt(),
            mean(input, dim, keepdim))


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,  # noqa: A002
         dtype: dt.dtype | None = None) -> Tensor:
    """The vector p-norm over ``dim`` (``"fro"`` is the 2-norm; ``inf``/``-inf`` the
    largest/smallest absolute value; 0 counts non-zeros)."""
    x = input if dtype is None else input.to(dtype)
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        raise RuntimeError("norm: the nuclear norm is not supported")
    a = x.abs()
    if p == math.inf:
        return amax(a, () if dim is None else dim, keepdim)
    if p == -math.inf:
        return amin(a, () if dim is None else dim, keepdim)
    if p == 0:
        return sum((a != 0).to(x.dtype), dim, keepdim)
    if p == 1:
        return sum(a, dim, keepdim)
    if p == 2:
        return _l2(x, dim, keepdim)
    return sum(a.pow(p), dim, keepdim).pow(1.0 / p)


def _bw_l2(node: Any, g: Tensor) -> Tensor:
    x, out = node.saved
    dims, keepdim = node.attrs
    shape = tuple(x.shape)
    from .pointwise import where

    oe = _expand_back(out, shape, dims, keepdim)
    ge = _expand_back(g, shape, dims, keepdim)
    return where(oe == 0, ge * 0, ge * x / oe)


def _l2(x: Tensor, dim: Any, keepdim: bool) -> Tensor:
    dims = wrap_dims(dim, x.ndim, "norm")
    prev = GRAD.enabled
    GRAD.enabled = False
    try:
        out = sum(x * x, dims, keepdim).sqrt()
    finally:
        GRAD.enabled = prev
    if x._rg and GRAD.enabled:
        record("NormBackward1", _bw_l2, (x,), out, save=(x, out), attrs=(dims, keepdim))
    return out


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow."""
    from .creation import zeros_like as ember_zeros_like
    from .pointwise import where

    dims = wrap_dims(dim, input.ndim, "logsumexp")
    x = input if input.dtype.is_floating_point else input.to(dt.DEFAULTS.float)
    if input.numel() == 0:
        return sum(x.exp(), dims, keepdim).log()
    m = amax(x.detach(), dims, keepdim=True)
    m = where(m.isinf(), ember_zeros_like(m), m)         # m * 0 would be NaN for -inf
    out = sum((x - m).exp(), dims, keepdim=True).log() + m
    return out if keepdim else out.squeeze(dims) if dims else out


def _bw_cumsum(node: Any, g: Tensor) -> Tensor:
    d = node.attrs
    if g.ndim == 0:
        return g
    from .shape import flip

    return flip(cumsum(flip(g, (d,)), d), (d,))


def cumsum(input: Tensor, dim: int, *, dtype: dt.dtype | None = None) -> Tensor:  # noqa: A002
    """Running sum along ``dim``."""
    d = wrap_dim(dim, input.ndim, "cumsum")
    k = input._k
    data = input._data
    if dtype is not None:
        data = k.cast(data, dtype.np)
    elif data.dtype.kind in "biu":
        data = k.cast(data, dt.int64.np)
    if input.ndim == 0:
        out = wrap(k.copy(data), input._device, k)
    else:
        out = wrap(k.cumsum(data, d), input._device, k)
    if input._rg and GRAD.enabled:
        record("CumsumBackward0", _bw_cumsum, (input,), out, attrs=d)
    return out


def _bw_cumprod(node: Any, g: Tensor) -> Tensor:
    (x,) = node.saved
    d = node.attrs
    n = x.shape[d] if x.ndim else 1
    if x.ndim == 0:
        return g
    # d out_j / d x_i = prod_{k<=j, k != i} x_k for j >= i; build it column by column.
    from .shape import narrow, stack

    cols = []
    for i in range(n):
        grad_i = None
        for j in range(i, n):
            left = narrow(x, d, 0, i)
            mid = narrow(x, d, i + 1, j - i)
            term = (prod(left, d, keepdim=True) * prod(mid, d, keepdim=True)
                    * narrow(g, d, j, 1))
            grad_i = term if grad_i is None else grad_i + term
        cols.append(grad_i.squeeze(d))
    return stack(cols, d)


def _bw_cumprod_fast(node: Any, g: Tensor) -> Tensor:
    (x, out) = node.saved
    d = node.attrs
    if x.ndim == 0:
        return g
    if bool((x == 0).any()):
        node._saved = node._saved[:1]
        node._versions = node._versions[:1]
        return _bw_cumprod(node, g)
    from .shape import flip

    return flip(cumsum(flip(g * out, (d,)), d), (d,)) / x


def cumprod(input: Tensor, dim: int, *, dtype: dt.dtype | None = None) -> Tensor:  # noqa: A002
    """Running product along ``dim``."""
    d = wrap_dim(dim, input.ndim, "cumprod")
    k = input._k
    data = input._data
    if dtype is not None:
        data = k.cast(data, dtype.np)
    elif data.dtype.kind in "biu":
        data = k.cast(data, dt.int64.np)
    out = wrap(k.copy(data) if input.ndim == 0 else k.cumprod(data, d), input._device, k)
    if input._rg and GRAD.enabled:
        record("CumprodBackward0", _bw_cumprod_fast, (input,), out, save=(input, out), attrs=d)
    return out


def _cum_extreme(input: Tensor, dim: int, largest: bool, result: type) -> Any:  # noqa: A002
    d = wrap_dim(dim, input.ndim, "cummax" if largest else "cummin")
    from .creation import arange
    from .pointwise import where

    n = input.shape[d] if input.ndim else 1
    x = input if input.ndim else input.reshape(1)
    vals = []
    idxs = []
    cur_v = cur_i = None
    shape_i = [1] * x.ndim
    shape_i[d] = -1
    positions = arange(n, device=input.device)
    for i in range(n):
        xi = x.narrow(d, i, 1)
        if cur_v is None:
            cur_v, cur_i = xi, positions[i].expand(xi.shape)
        else:
            better = (xi >= cur_v) if largest else (xi <= cur_v)
            better = better.logical_or(xi.isnan()) if xi.dtype.is_floating_point else better
            cur_v = where(better, xi, cur_v)
            cur_i = where(better, positions[i].expand(xi.shape), cur_i)
        vals.append(cur_v)
        idxs.append(cur_i)
    from .shape import cat

    v = cat(vals, d) if vals else x.clone()
    ix = cat(idxs, d) if idxs else x.long()
    if input.ndim == 0:
        v, ix = v.reshape(()), ix.reshape(())
    return result(v, ix)


def cummax(input: Tensor, dim: int) -> Any:  # noqa: A002
    """Running maximum along ``dim`` and the index where it was found."""
    return _cum_extreme(input, dim, True, CummaxResult)


def cummin(input: Tensor, dim: int) -> Any:  # noqa: A002
    """Running minimum along ``dim`` and the index where it was found."""
    return _cum_extreme(input, dim, False, CumminResult)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """``log(cumsum(exp(input)))`` computed stably."""
    if input.numel() == 0:
        wrap_dim(dim, input.ndim, "logcumsumexp")
        return input * 1
    m = amax(input.detach(), dim, keepdim=True)
    from .pointwise import where

    m = where(m.isinf(), m * 0, m)
    return cumsum((input - m).exp(), dim).log() + m


def _logical_reduce(name: str, input: Tensor, dim: Any, keepdim: bool) -> Tensor:  # noqa: A002
    dims = wrap_dims(dim, input.ndim, name)
    k = input._k
    data = input._data
    r = getattr(k, name)(data, dims, keepdim)
    out = wrap(r, input._device, k)
    if input.dtype is dt.uint8:
        out = out.to(dt.uint8)
    return out


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001,A002
    """Whether any element (over ``dim``) is non-zero."""
    return _logical_reduce("any", input, dim, keepdim)


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001,A002
    """Whether every element (over ``dim``) is non-zero."""
    return _logical_reduce("all", input, dim, keepdim)


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """The number of non-zero elements over ``dim``."""
    return sum(input != 0, dim)
