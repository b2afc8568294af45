"""The primitive kernels of the ``npdev`` backend: numpy, behind a wrapper class.

Every kernel unwraps its :class:`NpArray` arguments, calls numpy and wraps array results.
The kernels are private functions; :data:`KERNELS` maps exactly the names of
:data:`ember.primitives.PRIMITIVES` to them (their signatures and meanings are documented
there).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["NpArray", "KERNELS"]


class NpArray:
    """A backend array of ``npdev``: a numpy array kept out of reach of numpy's protocols.

    It exposes only what the backend contract promises (``shape``, ``ndim``, ``dtype``),
    so core code that handles it as a numpy array fails loudly.
    """

    __slots__ = ("a",)

    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each dimension."""
        return self.a.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self.a.ndim

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of the elements."""
        return self.a.dtype

    def __repr__(self) -> str:
        return f"NpArray({self.a!r})"


def _u(x: Any) -> Any:
    """Unwrap arrays, recursively through tuples and lists."""
    if type(x) is NpArray:
        return x.a
    if type(x) is tuple:
        return tuple(_u(v) for v in x)
    if type(x) is list:
        return [_u(v) for v in x]
    return x


def _w(x: Any) -> NpArray:
    """Wrap a numpy result (numpy scalars become 0-d arrays)."""
    return NpArray(np.asarray(x) if not isinstance(x, np.ndarray) else x)


def _lift(fn: Callable[..., Any], quiet: bool = False) -> Callable[..., NpArray]:
    def kernel(*args: Any) -> NpArray:
        if quiet:
            with np.errstate(all="ignore"):
                return _w(fn(*_u(args)))
        return _w(fn(*_u(args)))

    kernel.__name__ = getattr(fn, "__name__", "kernel")
    return kernel


# ------------------------------------------------------------------ creation and transfer
def _empty(shape: Any, dtype: Any, device: Any) -> NpArray:
    return NpArray(np.empty(shape, dtype=dtype))


def _full(shape: Any, value: Any, dtype: Any, device: Any) -> NpArray:
    value = _u(value)
    try:
        return NpArray(np.full(shape, value, dtype=dtype))
    except OverflowError:
        return NpArray(np.full(shape, np.array(value).astype(dtype), dtype=dtype))


def _arange(start: Any, end: Any, step: Any, dtype: Any, device: Any) -> NpArray:
    return NpArray(np.arange(start, end, step, dtype=dtype))


def _from_numpy(arr: np.ndarray, device: Any) -> NpArray:
    return NpArray(arr)


def _to_numpy(arr: NpArray) -> np.ndarray:
    return arr.a


def _item(arr: NpArray) -> Any:
    return arr.a.reshape(-1)[0].item()


def _cast(arr: NpArray, dtype: Any) -> NpArray:
    a, target = arr.a, np.dtype(dtype)
    if target == np.bool_:
        return NpArray(a != 0)
    if a.dtype.kind == "f" and target.kind in "iu":
        with np.errstate(invalid="ignore"):
            return NpArray(np.trunc(a).astype(target))
    return NpArray(a.astype(target))


def _copy(arr: NpArray) -> NpArray:
    return NpArray(np.array(arr.a, copy=True, order="C"))


def _copy_into(dst: NpArray, src: Any) -> None:
    np.copyto(dst.a, _u(src), casting="unsafe")


def _is_owner(arr: NpArray) -> bool:
    a = arr.a
    return bool(a.flags.c_contiguous and a.flags.writeable and a.base is None)


# ------------------------------------------------------------------ random
def _float_draw(dtype: Any) -> np.dtype:
    d = np.dtype(dtype)
    return d if d in (np.dtype(np.float32), np.dtype(np.float64)) else np.dtype(np.float32)


def _uniform(gen: Any, shape: Any, low: float, high: float, dtype: Any, device: Any) -> NpArray:
    r = gen.np.random(shape, dtype=_float_draw(dtype))
    if low != 0.0 or high != 1.0:
        r = r * (high - low) + low
    return NpArray(np.asarray(r).astype(dtype, copy=False))


def _normal(gen: Any, shape: Any, mean: float, std: float, dtype: Any, device: Any) -> NpArray:
    r = gen.np.standard_normal(shape, dtype=_float_draw(dtype))
    if mean != 0.0 or std != 1.0:
        r = r * std + mean
    return NpArray(np.asarray(r).astype(dtype, copy=False))


def _bernoulli(gen: Any, p: NpArray) -> NpArray:
    draw = gen.np.random(p.shape, dtype=np.float64)
    return NpArray((draw < p.a).astype(p.dtype))


def _randint(gen: Any, low: int, high: int, shape: Any, dtype: Any, device: Any) -> NpArray:
    return NpArray(gen.np.integers(low, high, size=shape, dtype=np.int64).astype(dtype))


# ------------------------------------------------------------------ views
def _reshape(arr: NpArray, shape: Any, copy_: bool | None) -> NpArray:
    if copy_ is False:
        return NpArray(np.reshape(arr.a, shape, copy=False))
    return NpArray(np.reshape(arr.a, shape))


def _permute(arr: NpArray, dims: Any) -> NpArray:
    return NpArray(arr.a.transpose(dims))


def _expand(arr: NpArray, shape: Any) -> NpArray:
    return NpArray(np.broadcast_to(arr.a, shape))


def _index(arr: NpArray, key: Any) -> NpArray:
    return _w(arr.a[_u(key)])


def _as_strided(arr: NpArray, size: Any, stride: Any, offset: int) -> NpArray:
    root = arr.a
    while isinstance(root.base, np.ndarray):
        root = root.base
    flat = root.reshape(-1) if root.flags.c_contiguous else root
    start = flat[offset:] if offset else flat
    return NpArray(np.lib.stride_tricks.as_strided(
        start, shape=tuple(size), strides=tuple(s * arr.a.itemsize for s in stride)))


def _strides(arr: NpArray) -> tuple[int, ...]:
    item_size = arr.a.itemsize
    return tuple(s // item_size for s in arr.a.strides)


# ------------------------------------------------------------------ joining, reordering
def _cat(arrays: Any, dim: int) -> NpArray:
    return NpArray(np.concatenate(_u(list(arrays)), axis=dim))


def _stack(arrays: Any, dim: int) -> NpArray:
    return NpArray(np.stack(_u(list(arrays)), axis=dim))


def _pad_constant(arr: NpArray, pads: Any, value: Any) -> NpArray:
    return NpArray(np.pad(arr.a, pads, mode="constant", constant_values=_u(value)))


def _flip(arr: NpArray, dims: Any) -> NpArray:
    return NpArray(np.ascontiguousarray(np.flip(arr.a, dims)))


# ------------------------------------------------------------------ unary math
def _typed(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Keep the input dtype (numpy may promote, e.g. float16 through float32)."""

    def run(a: np.ndarray) -> np.ndarray:
        return np.asarray(fn(a)).astype(a.dtype, copy=False)

    return run


def _sign(a: np.ndarray) -> np.ndarray:
    return a.copy() if a.dtype == np.bool_ else np.sign(a)


def _round(a: np.ndarray) -> np.ndarray:
    return a.copy() if a.dtype.kind in "biu" else np.round(a)


def _erf(a: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(a).astype(a.dtype) if a.size else a.copy()


def _erfc(a: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erfc, otypes=[np.float64])(a).astype(a.dtype) if a.size \
        else a.copy()


def _erfinv(a: np.ndarray) -> np.ndarray:
    """Inverse error function: Giles' approximation refined by Newton steps on erf."""
    x = a.astype(np.float64)
    with np.errstate(all="ignore"):
        w = -np.log((1.0 - x) * (1.0 + x))
        small = w < 5.0
        ws = w - 2.5
        ps = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            ps = c + ps * ws
        wl = np.sqrt(w) - 3.0
        pl = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            pl = c + pl * wl
        y = np.where(small, ps, pl) * x
        erf = np.vectorize(math.erf, otypes=[np.float64])
        for _ in range(2):
            finite = np.isfinite(y)
            step = (erf(np.where(finite, y, 0.0)) - x) / (2 / math.sqrt(math.pi) *
                                                        np.exp(-y * y))
            y = np.where(finite, y - step, y)
        y = np.where(x == 1.0, np.inf, np.where(x == -1.0, -np.inf, y))
    return y.astype(a.dtype)


_UNARY: dict[str, Callable[[np.ndarray], Any]] = {
    "neg": np.negative, "abs": np.abs, "sign": _sign, "reciprocal": np.reciprocal,
    "sqrt": np.sqrt, "rsqrt": _typed(lambda a: 1.0 / np.sqrt(a)), "exp": np.exp,
    "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "tanh": np.tanh, "sigmoid": _typed(lambda a: 1.0 / (1.0 + np.exp(-a))),
    "erf": _erf, "erfinv": _erfinv, "floor": np.floor, "ceil": np.ceil, "round": _round,
    "trunc": np.trunc, "isnan": np.isnan, "isinf": np.isinf, "logical_not": np.logical_not,
    "bitwise_not": np.invert, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "asinh": np.arcsinh, "acosh": np.arccosh,
    "atanh": np.arctanh, "exp2": np.exp2, "log2": np.log2, "log10": np.log10, "erfc": _erfc,
}


# ------------------------------------------------------------------ binary math
def _int_operand(a: Any) -> bool:
    return getattr(a, "dtype", np.dtype(np.float64)).kind in "iu"


def _has_zero(b: Any) -> bool:
    return bool(np.any(np.asarray(b) == 0))


def _div(a: Any, b: Any) -> np.ndarray:
    return np.true_divide(a, b)


def _int_safe(fn: Callable[[Any, Any], Any], exc: type[Exception]) -> Callable[[Any, Any], Any]:
    def run(a: Any, b: Any) -> Any:
        if _int_operand(a) and _has_zero(b):
            raise exc("ZeroDivisionError")
        return fn(a, b)

    return run


def _pow(a: Any, b: Any) -> np.ndarray:
    if _int_operand(a) and np.any(np.asarray(b) < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return np.power(a, b)


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": _div,
    "floor_divide": _int_safe(np.floor_divide, ZeroDivisionError),
    "remainder": _int_safe(np.remainder, RuntimeError),
    "fmod": _int_safe(np.fmod, RuntimeError), "pow": _pow, "maximum": np.maximum,
    "minimum": np.minimum, "atan2": np.arctan2, "eq": np.equal, "ne": np.not_equal,
    "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or,
    "logical_xor": np.logical_xor, "bitwise_and": np.bitwise_and,
    "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor, "fmax": np.fmax,
    "fmin": np.fmin,
}


def _binary(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], NpArray]:
    def kernel(a: Any, b: Any) -> NpArray:
        x, y = _u(a), _u(b)
        with np.errstate(all="ignore"):
            out = np.asarray(fn(x, y))
        # a Python scalar is "weak": the array operand's dtype wins
        ref = x if isinstance(x, np.ndarray) else y
        if out.dtype.kind not in "b" and isinstance(ref, np.ndarray) and out.dtype != ref.dtype:
            if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
                out = out.astype(ref.dtype)
        return NpArray(out)

    kernel.__name__ = getattr(fn, "__name__", "binary")
    return kernel


def _where(cond: NpArray, a: Any, b: Any) -> NpArray:
    x, y = _u(a), _u(b)
    out = np.where(cond.a, x, y)
    ref = x if isinstance(x, np.ndarray) else y
    if isinstance(ref, np.ndarray) and out.dtype != ref.dtype and not (
            isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
        out = out.astype(ref.dtype)
    return NpArray(out)


# ------------------------------------------------------------------ reductions
def _sum(arr: NpArray, dims: Any, keepdim: bool) -> NpArray:
    return _w(np.sum(arr.a, axis=dims, keepdims=keepdim, dtype=arr.dtype))


def _prod(arr: NpArray, dims: Any, keepdim: bool) -> NpArray:
    return _w(np.prod(arr.a, axis=dims, keepdims=keepdim, dtype=arr.dtype))


def _amax(arr: NpArray, dims: Any, keepdim: bool) -> NpArray:
    return _w(np.amax(arr.a, axis=dims, keepdims=keepdim))


def _amin(arr: NpArray, dims: Any, keepdim: bool) -> NpArray:
    return _w(np.amin(arr.a, axis=dims, keepdims=keepdim))


def _arg(fn: Callable[..., Any]) -> Callable[[NpArray, int, bool], NpArray]:
    def kernel(arr: NpArray, dim: int, keepdim: bool) -> NpArray:
        a = arr.a
        out = np.asarray(fn(a, axis=dim, keepdims=keepdim))
        if a.dtype.kind == "f":
            nan = np.isnan(a)
            if nan.any():  # torch reports the first NaN
                first = np.argmax(nan, axis=dim, keepdims=keepdim)
                out = np.where(np.any(nan, axis=dim, keepdims=keepdim), first, out)
        return NpArray(np.asarray(out).astype(np.int64))

    return kernel


def _cumsum(arr: NpArray, dim: int) -> NpArray:
    return NpArray(np.cumsum(arr.a, axis=dim, dtype=arr.dtype))


def _cumprod(arr: NpArray, dim: int) -> NpArray:
    return NpArray(np.cumprod(arr.a, axis=dim, dtype=arr.dtype))


def _any(arr: NpArray, dims: Any, keepdim: bool) -> NpArray:
    return _w(np.any(arr.a, axis=dims, keepdims=keepdim))


def _all(arr: NpArray, dims: Any, keepdim: bool) -> NpArray:
    return _w(np.all(arr.a, axis=dims, keepdims=keepdim))


# ------------------------------------------------------------------ indexing
def _gather(arr: NpArray, dim: int, idx: NpArray) -> NpArray:
    a, i = arr.a, idx.a
    if a.ndim == 0:
        return NpArray(np.broadcast_to(a, i.shape).copy())
    if i.shape[:dim] + i.shape[dim + 1:] != a.shape[:dim] + a.shape[dim + 1:]:
        a = a[tuple(slice(0, s) if d != dim else slice(None) for d, s in enumerate(i.shape))]
    return NpArray(np.take_along_axis(a, i, axis=dim))


def _scatter_key(dim: int, i: np.ndarray) -> tuple[Any, ...]:
    key = list(np.indices(i.shape, sparse=True))
    key[dim] = i
    return tuple(key)


def _scatter(arr: NpArray, dim: int, idx: NpArray, src: NpArray) -> NpArray:
    out = arr.a.copy()
    i = idx.a
    if i.size:
        out[_scatter_key(dim, i)] = src.a[tuple(slice(0, s) for s in i.shape)]
    return NpArray(out)


def _scatter_add(arr: NpArray, dim: int, idx: NpArray, src: NpArray) -> NpArray:
    out = arr.a.copy()
    i = idx.a
    if i.size:
        np.add.at(out, _scatter_key(dim, i), src.a[tuple(slice(0, s) for s in i.shape)])
    return NpArray(out)


def _index_select(arr: NpArray, dim: int, idx: NpArray) -> NpArray:
    return NpArray(np.take(arr.a, idx.a, axis=dim))


def _index_put(arr: NpArray, key: Any, values: Any, accumulate: bool) -> None:
    k, v = _u(key), _u(values)
    if accumulate:
        np.add.at(arr.a, k, v)
    else:
        arr.a[k] = v


def _masked_fill(arr: NpArray, mask: NpArray, value: Any) -> NpArray:
    a = arr.a
    if np.broadcast_shapes(a.shape, mask.shape) != a.shape:
        raise ValueError("mask does not broadcast to the input shape")
    return NpArray(np.where(mask.a, np.asarray(_u(value)).astype(a.dtype), a))


def _nonzero(arr: NpArray) -> NpArray:
    return NpArray(np.argwhere(arr.a).astype(np.int64))


def _sort(arr: NpArray, dim: int, descending: bool, stable: bool) -> tuple[NpArray, NpArray]:
    a = arr.a
    if descending:
        if a.dtype.kind == "f":
            # NaN counts as the largest value, as in torch
            key = np.where(np.isnan(a), -np.inf, -a.astype(np.float64))
            idx = np.argsort(key, axis=dim, kind="stable")
        elif a.dtype == np.bool_:
            idx = np.argsort(~a, axis=dim, kind="stable")
        else:
            idx = np.argsort(-a.astype(np.int64), axis=dim, kind="stable")
    else:
        idx = np.argsort(a, axis=dim, kind="stable")
    idx = idx.astype(np.int64)
    return NpArray(np.take_along_axis(a, idx, axis=dim)), NpArray(idx)


def _topk(arr: NpArray, k: int, dim: int, largest: bool, sorted_: bool
         ) -> tuple[NpArray, NpArray]:
    values, idx = _sort(arr, dim, largest, True)
    sl = [slice(None)] * arr.ndim
    sl[dim] = slice(0, k)
    key = tuple(sl)
    return (NpArray(np.ascontiguousarray(values.a[key])),
            NpArray(np.ascontiguousarray(idx.a[key])))


def _matmul(a: NpArray, b: NpArray) -> NpArray:
    return _w(np.matmul(a.a, b.a))


KERNELS: dict[str, Callable[..., Any]] = {
    "empty": _empty, "full": _full, "arange": _arange, "from_numpy": _from_numpy,
    "to_numpy": _to_numpy, "item": _item, "cast": _cast, "copy": _copy, "copy_into": _copy_into,
    "is_owner": _is_owner, "uniform": _uniform, "normal": _normal, "bernoulli": _bernoulli,
    "randint": _randint, "reshape": _reshape, "permute": _permute, "expand": _expand,
    "index": _index, "as_strided": _as_strided, "strides": _strides, "cat": _cat, "stack": _stack,
    "pad_constant": _pad_constant, "flip": _flip, "where": _where, "sum": _sum, "prod": _prod,
    "amax": _amax, "amin": _amin, "argmax": _arg(np.argmax), "argmin": _arg(np.argmin),
    "cumsum": _cumsum, "cumprod": _cumprod, "any": _any, "all": _all, "gather": _gather,
    "scatter": _scatter, "scatter_add": _scatter_add, "index_select": _index_select,
    "index_put": _index_put, "masked_fill": _masked_fill, "nonzero": _nonzero, "sort": _sort,
    "topk": _topk, "matmul": _matmul,
}
KERNELS.update({name: _lift(fn, quiet=True) for name, fn in _UNARY.items()})
KERNELS.update({name: _binary(fn) for name, fn in _BINARY.items()})
