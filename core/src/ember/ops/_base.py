"""Shared machinery of op definitions: operands, type promotion, recording, reductions of
broadcast gradients, in-place writes."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._device import DEFAULT as DEFAULT_DEVICE
from .._device import device as Device
from .._tensor import Size, Tensor, _alias, wrap
from ..autograd.grad_mode import GRAD
from ..autograd.graph import record

__all__ = ["Tensor", "wrap", "record", "GRAD", "common", "scalar_dtype", "result_type",
           "sum_to", "broadcast_error", "wrap_dim", "wrap_dims", "needs_grad", "to_tensor",
           "write_inplace", "no_grad_call", "fused_or_composite", "dtype_of", "Size",
           "normalize_shape", "resolve_device", "as_dims"]

_FROM_NP = dt.FROM_NP
_bool, _int, _float = bool, int, float


def dtype_of(t: Tensor) -> dt.dtype:
    return _FROM_NP[t._data.dtype]


def scalar_dtype(v: Any) -> dt.dtype:
    """The dtype a Python scalar takes part in promotion with."""
    if isinstance(v, _bool) or isinstance(v, np.bool_):
        return dt.bool
    if isinstance(v, numbers.Integral):
        return dt.int64
    if isinstance(v, numbers.Real):
        return dt.DEFAULTS.float
    raise TypeError(f"unsupported scalar type {type(v).__name__}")


def _combine(higher: dt.dtype | None, lower: dt.dtype | None) -> dt.dtype | None:
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == 2:
        return higher
    if higher is dt.bool or lower.category == 2:
        return dt.promote_types(higher, lower)
    return higher


def result_type(*operands: Any) -> dt.dtype:
    """The dtype of an op's result over ``operands`` (tensors and scalars), by torch's rules:
    dimensioned tensors take precedence over 0-dim tensors, which take precedence over
    Python scalars, unless a lower group has a higher category (bool < int < float)."""
    dim_t = zero_t = wrapped = None
    for o in operands:
        if isinstance(o, Tensor):
            d = _FROM_NP[o._data.dtype]
            if o._data.ndim:
                dim_t = d if dim_t is None else dt.promote_types(dim_t, d)
            else:
                zero_t = d if zero_t is None else dt.promote_types(zero_t, d)
        elif o is not None:
            d = scalar_dtype(o)
            wrapped = d if wrapped is None else dt.promote_types(wrapped, d)
    out = _combine(dim_t, _combine(zero_t, wrapped))
    if out is None:
        raise TypeError("result_type needs at least one operand")
    return out


def broadcast_error(a_shape: Sequence[int], b_shape: Sequence[int]) -> RuntimeError:
    """torch's message for shapes that cannot broadcast."""
    n = max(len(a_shape), len(b_shape))
    pa = (1,) * (n - len(a_shape)) + tuple(a_shape)
    pb = (1,) * (n - len(b_shape)) + tuple(b_shape)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b "
                                f"({pb[i]}) at non-singleton dimension {i - n + n}")
    return RuntimeError(f"shapes {list(a_shape)} and {list(b_shape)} cannot be broadcast")


def _device_error(a: Tensor, b: Tensor) -> RuntimeError:
    return RuntimeError("Expected all tensors to be on the same device, but found at least two "
                        f"devices, {a._device} and {b._device}!")


def common(a: Any, b: Any) -> tuple[Any, Any, dt.dtype, Tensor]:
    """Bring two operands (at least one a tensor) to their promoted dtype.

    Returns the two backend operands (arrays, or a Python scalar kept weak), the result
    dtype, and a tensor operand whose device and kernel table the result uses.
    """
    if isinstance(a, Tensor):
        ad = a._data
        if isinstance(b, Tensor):
            bd = b._data
            if a._device is not b._device and a._device != b._device:
                if bd.ndim == 0 and b._device.type == "cpu":
                    bd = a._k.from_numpy(b._k.to_numpy(bd), a._device)
                elif ad.ndim == 0 and a._device.type == "cpu":
                    ad = b._k.from_numpy(a._k.to_numpy(ad), b._device)
                    a = b
                else:
                    raise _device_error(a, b)
            if ad.dtype is bd.dtype:
                return ad, bd, _FROM_NP[ad.dtype], a
            rt = result_type(a, b)
            k = a._k
            if ad.dtype is not rt.np:
                ad = k.cast(ad, rt.np)
            if bd.dtype is not rt.np:
                bd = k.cast(bd, rt.np)
            return ad, bd, rt, a
        return (*_with_scalar(a, ad, b), a)  # type: ignore[return-value]
    if isinstance(b, Tensor):
        y, x, rt = _with_scalar(b, b._data, a)
        return x, y, rt, b
    raise TypeError("expected at least one Tensor operand")


def _with_scalar(t: Tensor, arr: Any, s: Any) -> tuple[Any, Any, dt.dtype]:
    d = _FROM_NP[arr.dtype]
    if type(s) is _float:
        cat = 2
    elif type(s) is _int:
        cat = 1
    elif type(s) is _bool:
        cat = 0
    elif isinstance(s, np.generic) or isinstance(s, numbers.Number):
        if isinstance(s, (np.bool_, _bool)):
            s, cat = _bool(s), 0
        elif isinstance(s, numbers.Integral):
            s, cat = _int(s), 1
        elif isinstance(s, numbers.Real):
            s, cat = _float(s), 2
        else:
            raise TypeError(f"complex scalars are not supported, got {s!r}")
    else:
        raise TypeError(f"unsupported operand type {type(s).__name__} for a Tensor op")
    if cat > d.category:
        rt = dt.DEFAULTS.float if cat == 2 else dt.int64
        arr = t._k.cast(arr, rt.np)
        d = rt
    if d is dt.bfloat16 or (cat == 0 and d.category) or d is dt.uint8:
        s = t._k.full((), s, d.np, t._device)
    return arr, s, d


def sum_to(g: Tensor, shape: Sequence[int]) -> Tensor:
    """Sum gradient ``g`` down to ``shape`` (undoing broadcasting)."""
    gshape = g._data.shape
    if tuple(gshape) == tuple(shape):
        return g
    lead = len(gshape) - len(shape)
    dims = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and gshape[i + lead] != 1:
            dims.append(i + lead)
    from .reduction import sum as _sum

    out = _sum(g, dims, keepdim=True) if dims else g
    if lead or out._data.shape != tuple(shape):
        from .shape import reshape

        out = reshape(out, tuple(shape))
    return out


def wrap_dim(dim: Any, ndim: int, op: str = "") -> int:
    """Normalize a possibly negative dim, raising torch's IndexError when out of range."""
    try:
        dim = dim.__index__()
    except AttributeError:
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}") from None
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim


def wrap_dims(dims: Any, ndim: int, op: str = "") -> tuple[int, ...]:
    """Normalize ``dims`` (None, an int or a sequence) to a sorted tuple; None means all."""
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    out = tuple(wrap_dim(d, ndim, op) for d in dims)
    if ndim == 0:
        return ()
    if len(set(out)) != len(out):
        raise RuntimeError(f"{op}: dim {out} appears multiple times in the list of dims")
    return out


def as_dims(dims: Any) -> Any:
    return dims


def normalize_shape(size: Sequence[Any], op: str = "") -> tuple[int, ...]:
    """Shapes given as ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])`` -> ``(2, 3)``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        try:
            s = s.__index__()
        except AttributeError:
            raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__}") from None
        if s < 0:
            if op == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{[int(v) for v in size]}")
        out.append(s)
    return tuple(out)


def resolve_device(device: Any) -> Device:
    if device is None:
        return DEFAULT_DEVICE.value
    return Device(device)


def needs_grad(*ts: Any) -> bool:
    """Whether recording is on and any of ``ts`` requires grad."""
    if not GRAD.enabled:
        return False
    for t in ts:
        if isinstance(t, Tensor) and t._rg:
            return True
    return False


def to_tensor(v: Any, like: Tensor, dtype: dt.dtype | None = None) -> Tensor:
    """``v`` as a tensor on ``like``'s device (scalars take ``dtype`` or ``like``'s dtype)."""
    if isinstance(v, Tensor):
        return v
    d = dtype or _FROM_NP[like._data.dtype]
    return wrap(like._k.full((), v, d.np, like._device), like._device, like._k)


def no_grad_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with recording off."""
    prev = GRAD.enabled
    GRAD.enabled = False
    try:
        return fn(*args, **kwargs)
    finally:
        GRAD.enabled = prev


def fused_or_composite(x: Tensor, name: str, composite: Callable[..., Any], *args: Any
                       ) -> Any:
    """Run the backend's fused kernel ``name`` on arrays if it has one, else ``composite``
    on tensors with recording off. Returns a tensor (or a tuple of tensors)."""
    kern = getattr(x._k, name)
    if kern is not None:
        res = kern(x._data, *args)
        if type(res) is tuple:
            return tuple(wrap(r, x._device, x._k) for r in res)
        return wrap(res, x._device, x._k)
    return no_grad_call(composite, _alias(x), *args)


def write_inplace(t: Tensor, result: Tensor, op: str) -> Tensor:
    """Make ``result`` the new value of ``t`` in place, with autograd bookkeeping.

    ``result`` was computed out of place (and recorded). Its values are written into
    ``t``'s memory, ``t``'s version is bumped, and ``t`` (or its base, for a view) takes
    over the graph history.
    """
    if GRAD.enabled:
        if t._grad_fn is None and t._rg:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        base = t._base
        if base is not None and base._grad_fn is None and base._rg:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
    if result._data.dtype is not t._data.dtype:
        rd, td = _FROM_NP[result._data.dtype], _FROM_NP[t._data.dtype]
        if not dt.can_cast(rd, td):
            raise RuntimeError(f"result type {rd.scalar_name} can't be cast to the desired "
                               f"output type {td.scalar_name}")
    if tuple(result._data.shape) != tuple(t._data.shape):
        try:
            np.broadcast_shapes(tuple(result._data.shape), tuple(t._data.shape))
            ok = np.broadcast_shapes(tuple(result._data.shape),
                                     tuple(t._data.shape)) == tuple(t._data.shape)
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"output with shape {list(t._data.shape)} doesn't match the "
                               f"broadcast shape {list(result._data.shape)}")
    if GRAD.enabled and result._grad_fn is not None:
        result._grad_fn.protect_saved(t)  # the op may have saved t's old value
    try:
        t._k.copy_into(t._data, result._data)
    except ValueError as exc:
        if "read-only" in str(exc):
            raise RuntimeError(
                f"{op}: unsupported operation: more than one element of the written-to tensor "
                "refers to a single memory location. Please clone() the tensor before "
                "performing the operation.") from None
        raise
    t._vc.v += 1
    if GRAD.enabled:
        if not result._rg and t._rg:
            # The new value does not depend on anything that requires grad (fill_, zero_,
            # copy_ of a constant): the old value gets a zero gradient.
            result = _alias(result)
            record("FillBackward0", _bw_no_grad, (t,), result)
        if result._rg:
            _rebase_history(t, result)
    return t


def _bw_no_grad(node: Any, g: Tensor) -> None:
    return None


def _rebase_history(t: Tensor, result: Tensor) -> None:
    from .shape import view_scatter_record

    base = t._base
    if base is None:
        if tuple(result._data.shape) != tuple(t._data.shape):
            from .shape import expand

            result = expand(result, tuple(t._data.shape))
        t._grad_fn = result._grad_fn
        t._out_nr = result._out_nr
        t._rg = True
        return
    view_scatter_record(base, t, result)
