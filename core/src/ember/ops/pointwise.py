"""Elementwise ops: unary math, binary arithmetic and comparisons, and their derivatives.

Each op's backward sits in the table beside it and is written with ember ops, so second
derivatives come from recording the backward itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import _dtype as dt
from ._base import (
    GRAD,
    Tensor,
    broadcast_error,
    common,
    fused_or_composite,
    record,
    sum_to,
    to_tensor,
    wrap,
    write_inplace,
)

_FROM_NP = dt.FROM_NP

# ----------------------------------------------------------------------------- unary


def _unary_backward(formula: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def backward(node: Any, g: Tensor) -> Tensor:
        x, out = node.saved
        return formula(g, x, out)

    return backward


# name -> (promote ints to float, derivative formula g, x, out -> grad or None)
_UNARY: dict[str, tuple[bool, Callable[..., Tensor] | None]] = {
    "neg": (False, lambda g, x, out: -g),
    "abs": (False, lambda g, x, out: g * x.sign()),
    "sign": (False, lambda g, x, out: g * 0),
    "reciprocal": (True, lambda g, x, out: -g * out * out),
    "sqrt": (True, lambda g, x, out: g / (2 * out)),
    "rsqrt": (True, lambda g, x, out: -0.5 * g * out * out * out),
    "exp": (True, lambda g, x, out: g * out),
    "exp2": (True, lambda g, x, out: g * out * math.log(2.0)),
    "expm1": (True, lambda g, x, out: g * (out + 1)),
    "log": (True, lambda g, x, out: g / x),
    "log2": (True, lambda g, x, out: g / (x * math.log(2.0))),
    "log10": (True, lambda g, x, out: g / (x * math.log(10.0))),
    "log1p": (True, lambda g, x, out: g / (x + 1)),
    "sin": (True, lambda g, x, out: g * x.cos()),
    "cos": (True, lambda g, x, out: -g * x.sin()),
    "tan": (True, lambda g, x, out: g * (1 + out * out)),
    "asin": (True, lambda g, x, out: g * (1 - x * x).rsqrt()),
    "acos": (True, lambda g, x, out: -g * (1 - x * x).rsqrt()),
    "atan": (True, lambda g, x, out: g / (1 + x * x)),
    "sinh": (True, lambda g, x, out: g * x.cosh()),
    "cosh": (True, lambda g, x, out: g * x.sinh()),
    "tanh": (True, lambda g, x, out: g * (1 - out * out)),
    "asinh": (True, lambda g, x, out: g * (x * x + 1).rsqrt()),
    "acosh": (True, lambda g, x, out: g * (x * x - 1).rsqrt()),
    "atanh": (True, lambda g, x, out: g / (1 - x * x)),
    "sigmoid": (True, lambda g, x, out: g * out * (1 - out)),
    "erf": (True, lambda g, x, out: g * (2.0 / math.sqrt(math.pi)) * (-(x * x)).exp()),
    "erfc": (True, lambda g, x, out: g * (-2.0 / math.sqrt(math.pi)) * (-(x * x)).exp()),
    "erfinv": (True, lambda g, x, out: g * (math.sqrt(math.pi) / 2) * (out * out).exp()),
    "floor": (False, lambda g, x, out: g * 0),
    "ceil": (False, lambda g, x, out: g * 0),
    "trunc": (False, lambda g, x, out: g * 0),
    "round": (False, lambda g, x, out: g * 0),
    "isnan": (False, None),
    "isinf": (False, None),
    "logical_not": (False, None),
    "bitwise_not": (False, None),
}

# Which operand each backward formula reads, so only those are kept alive.
_NEEDS_OUT = {"reciprocal", "sqrt", "rsqrt", "exp", "exp2", "expm1", "tan", "tanh", "sigmoid",
              "erfinv"}
_NEEDS_NOTHING = {"neg", "sign", "floor", "ceil", "trunc", "round"}


_NO_BOOL = {"neg", "abs", "floor", "ceil", "round", "trunc"}


def _bool_unary_error(name: str) -> None:
    if name == "neg":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")


def _make_unary(name: str, promote: bool, formula: Callable[..., Tensor] | None
                ) -> Callable[[Tensor], Tensor]:
    node_name = name.capitalize() + "Backward0"
    backward = _unary_backward(formula) if formula is not None else None
    needs_out = name in _NEEDS_OUT
    needs_nothing = name in _NEEDS_NOTHING

    def op(input: Tensor) -> Tensor:  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not "
                            f"{type(input).__name__}")
        data = input._data
        k = input._k
        kind = data.dtype.kind
        if kind in "biu":
            if promote:
                data = k.cast(data, dt.DEFAULTS.float.np)
            elif kind == "b" and name in _NO_BOOL:
                _bool_unary_error(name)
        elif name == "bitwise_not":
            raise RuntimeError(f"\"bitwise_not_cpu\" not implemented for "
                               f"'{_FROM_NP[data.dtype].scalar_name}'")
        out = wrap(getattr(k, name)(data), input._device, k)
        if backward is not None and input._rg and GRAD.enabled:
            if needs_nothing:
                node = record(node_name, backward, (input,), out)
                node._saved, node._versions = (None, None), (0, 0)
            elif needs_out:
                record(node_name, backward, (input,), out, save=(None, out))
            else:
                record(node_name, backward, (input,), out, save=(input, None))
        return out

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` of ``input``; returns a new tensor of its shape."
    return op


UNARY_OPS: dict[str, Callable[[Tensor], Tensor]] = {
    name: _make_unary(name, promote, formula) for name, (promote, formula) in _UNARY.items()
}
globals().update(UNARY_OPS)

# ----------------------------------------------------------------------------- binary


def _bw_add(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    sa, sb, alpha, da, db = node.attrs
    gb = g if alpha == 1 else g * alpha
    return (_fit(g, sa, da) if sa is not None else None,
            _fit(gb, sb, db) if sb is not None else None)


def _bw_sub(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    sa, sb, alpha, da, db = node.attrs
    gb = -g if alpha == 1 else g * (-alpha)
    return (_fit(g, sa, da) if sa is not None else None,
            _fit(gb, sb, db) if sb is not None else None)


def _bw_mul(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    a, b = node.saved
    sa, sb, av, bv, da, db = node.attrs
    ga = gb = None
    if sa is not None:
        ga = _fit(g * (b if b is not None else bv), sa, da)
    if sb is not None:
        gb = _fit(g * (a if a is not None else av), sb, db)
    return ga, gb


def _bw_div(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    a, b = node.saved
    sa, sb, av, bv, da, db = node.attrs
    bb = b if b is not None else bv
    ga = gb = None
    if sa is not None:
        ga = _fit(g / bb, sa, da)
    if sb is not None:
        aa = a if a is not None else av
        gb = _fit(-g * aa / (bb * bb), sb, db)
    return ga, gb


def _fit(g: Tensor, shape: tuple[int, ...], d: Any) -> Tensor:
    g = sum_to(g, shape)
    if g._data.dtype is not d:
        g = g.to(_FROM_NP[d])
    return g


_BOOL_DT = dt.bool


def _is_bool(v: Any) -> bool:
    return type(v) is bool or (isinstance(v, Tensor) and v._data.dtype.kind == "b")


def _bool_sub_error(a: Any, b: Any) -> None:
    if _is_bool(a) and _is_bool(b) and isinstance(a, Tensor) and isinstance(b, Tensor):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                       "If you are trying to invert a mask, use the `~` or `logical_not()` "
                       "operator instead.")


def _binary_arith(name: str, kname: str, backward: Callable[..., Any], save_values: bool
                  ) -> Callable[..., Tensor]:
    node_name = name.capitalize() + "Backward0"
    is_sub = kname == "sub"
    is_div = kname == "div"

    def op(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:  # noqa: A002
        x, y, rt, ref = common(input, other)
        k = ref._k
        if is_sub and (_is_bool(input) or _is_bool(other)):
            _bool_sub_error(input, other)
        if alpha != 1:
            if rt.category < 2 and isinstance(alpha, float):
                raise RuntimeError("For integral input tensors, argument alpha must not be a "
                                   "floating point number.")
            y = k.mul(y, alpha)
        if is_div and rt.category < 2:
            x = k.cast(x, dt.DEFAULTS.float.np) if hasattr(x, "dtype") else x
            y = k.cast(y, dt.DEFAULTS.float.np) if hasattr(y, "dtype") else float(y)
            if not hasattr(x, "dtype"):
                x = k.full((), x, dt.DEFAULTS.float.np, ref._device)
        try:
            r = getattr(k, kname)(x, y)
        except ValueError:
            raise broadcast_error(_shape(input), _shape(other)) from None
        res = wrap(r, ref._device, k)
        if GRAD.enabled:
            ta = input if isinstance(input, Tensor) else None
            tb = other if isinstance(other, Tensor) else None
            if (ta is not None and ta._rg) or (tb is not None and tb._rg):
                _record_binary(node_name, backward, save_values, is_div, input, other, alpha,
                               res)
        if out is not None:
            return _into_out(out, res)
        return res

    op.__name__ = op.__qualname__ = name
    return op


def _record_binary(node_name: str, backward: Callable[..., Any], save_values: bool,
                   is_div: bool, input: Any, other: Any, alpha: Any, res: Tensor) -> None:  # noqa: A002
    """Record a binary arithmetic op: the shape and dtype each input's gradient is fitted
    to, and for mul and div the operands the gradient is multiplied by."""
    ta = input if isinstance(input, Tensor) else None
    tb = other if isinstance(other, Tensor) else None
    sa = ta._data.shape if ta is not None and ta._rg else None
    sb = tb._data.shape if tb is not None and tb._rg else None
    da = ta._data.dtype if ta is not None else None
    db = tb._data.dtype if tb is not None else None
    if save_values:
        save = (ta if sb is not None or is_div else None,
                tb if sa is not None or is_div else None)
        av = input if ta is None else None
        bv = other if tb is None else None
        record(node_name, backward, (ta, tb), res, save, (sa, sb, av, bv, da, db))
    else:
        record(node_name, backward, (ta, tb), res, (), (sa, sb, alpha, da, db))


def _shape(v: Any) -> tuple[int, ...]:
    return tuple(v._data.shape) if isinstance(v, Tensor) else ()


def _into_out(out: Tensor, res: Tensor) -> Tensor:
    if tuple(out.shape) != tuple(res.shape):
        from .shape import _resize_out

        _resize_out(out, res)
        return out
    return write_inplace(out, res, "out=")


add = _binary_arith("add", "add", _bw_add, False)
add.__doc__ = """Elementwise ``input + alpha * other`` with broadcasting and type promotion.

Args:
    input: a tensor or scalar.
    other: a tensor or scalar.
    alpha: multiplier of ``other`` (default 1).

>>> import ember
>>> ember.add(ember.tensor([1., 2.]), 1)
tensor([2., 3.])
"""
sub = _binary_arith("sub", "sub", _bw_sub, False)
sub.__doc__ = "Elementwise ``input - alpha * other`` with broadcasting and type promotion."
mul = _binary_arith("mul", "mul", _bw_mul, True)
mul.__doc__ = "Elementwise product with broadcasting and type promotion."
_div_true = _binary_arith("div", "div", _bw_div, True)


def div(input: Any, other: Any, *, rounding_mode: str | None = None,  # noqa: A002
        out: Tensor | None = None) -> Tensor:
    """Elementwise division; ``rounding_mode`` None (true division), ``"trunc"`` or
    ``"floor"``. Integer inputs give a floating result under true division."""
    if rounding_mode is None:
        return _div_true(input, other, out=out)
    if rounding_mode == "floor":
        with_grad = GRAD.enabled
        GRAD.enabled = False
        try:
            res = floor_divide(input, other)
        finally:
            GRAD.enabled = with_grad
        ta = input if isinstance(input, Tensor) and input._rg else None
        tb = other if isinstance(other, Tensor) and other._rg else None
        if with_grad and (ta is not None or tb is not None):
            record("DivBackward2", _bw_div_rounded, (ta, tb), res,
                   attrs=(tuple(ta.shape) if ta is not None else None,
                          tuple(tb.shape) if tb is not None else None))
    elif rounding_mode == "trunc":
        x, y, rt, ref = common(input, other)
        if rt.category == 2:
            res = _div_true(input, other).trunc()
        else:
            r = ref._k.div(ref._k.cast(x, dt.float64.np),
                           ref._k.cast(y, dt.float64.np) if hasattr(y, "dtype") else float(y))
            res = wrap(ref._k.cast(ref._k.trunc(r), rt.np), ref._device, ref._k)
    else:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    return _into_out(out, res) if out is not None else res


def _bw_div_rounded(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    sa, sb = node.attrs
    zero = g * 0
    return (sum_to(zero, sa) if sa is not None else None,
            sum_to(zero, sb) if sb is not None else None)


true_divide = divide = div
multiply = mul
subtract = sub


def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``other - alpha * input``."""
    return sub(other, input, alpha=alpha)


_NO_BOOL_BINARY = {"pow": "pow", "remainder": "remainder_cpu", "fmod": "fmod_cpu",
                   "floor_divide": "div_floor_cpu"}


# Binary ops without a closed-form backward here are defined by their own formulas.
def _binary_simple(name: str, kname: str, backward: Callable[..., Any] | None,
                   out_bool: bool = False, float_only: bool = False,
                   int_only: bool = False) -> Callable[..., Tensor]:
    node_name = name.capitalize() + "Backward0"

    def op(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
        x, y, rt, ref = common(input, other)
        k = ref._k
        if float_only and rt.category < 2:
            x = k.cast(x, dt.DEFAULTS.float.np) if hasattr(x, "dtype") else float(x)
            y = k.cast(y, dt.DEFAULTS.float.np) if hasattr(y, "dtype") else float(y)
        if int_only and rt.category == 2:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for "
                                      f"'{rt.scalar_name}'")
        if rt is _BOOL_DT and kname in _NO_BOOL_BINARY:
            raise NotImplementedError(f"\"{_NO_BOOL_BINARY[kname]}\" not implemented for "
                                      "'Bool'")
        try:
            r = getattr(k, kname)(x, y)
        except ValueError as exc:
            if "broadcast" in str(exc):
                raise broadcast_error(_shape(input), _shape(other)) from None
            raise RuntimeError(f"{name}: {exc}") from None
        res = wrap(r, ref._device, k)
        if backward is not None and GRAD.enabled and (
                (isinstance(input, Tensor) and input._rg) or
                (isinstance(other, Tensor) and other._rg)):
            ta = input if isinstance(input, Tensor) else None
            tb = other if isinstance(other, Tensor) else None
            ra = ta is not None and ta._rg
            rb = tb is not None and tb._rg
            record(node_name, backward, (ta, tb), res,
                   save=(ta if ta is not None else to_tensor(input, ref),
                         tb if tb is not None else to_tensor(other, ref), res),
                   attrs=(ra, rb))
        if out is not None:
            return _into_out(out, res)
        return res

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` of two tensors (or a tensor and a scalar), with " \
                 "broadcasting and type promotion."
    return op


def _grads(node: Any, ga: Callable[[], Tensor], gb: Callable[[], Tensor]
           ) -> tuple[Tensor | None, Tensor | None]:
    a, b, _ = node.saved
    ra, rb = node.attrs
    return (_fit(ga(), tuple(a.shape), a._data.dtype) if ra else None,
            _fit(gb(), tuple(b.shape), b._data.dtype) if rb else None)


def _bw_pow(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    a, b, out = node.saved

    def ga() -> Tensor:
        return where(b == 0, 0.0, g * b * a.pow(b - 1))

    def gb() -> Tensor:
        return g * out * where((a == 0) & (b >= 0), 0.0, a.log())

    return _grads(node, ga, gb)


def _bw_maxmin(sign: int) -> Callable[..., Any]:
    def backward(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b, _ = node.saved
        shared = where(a == b, g * 0.5, g)
        lose_a = (a < b) if sign > 0 else (a > b)
        lose_b = (a > b) if sign > 0 else (a < b)
        return _grads(node, lambda: where(lose_a, 0.0, shared),
                      lambda: where(lose_b, 0.0, shared))

    return backward


def _bw_fmaxmin(sign: int) -> Callable[..., Any]:
    def backward(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b, _ = node.saved
        pick_a = ((a >= b) if sign > 0 else (a <= b)).logical_or(b.isnan())
        return _grads(node, lambda: g * pick_a, lambda: g * pick_a.logical_not())

    return backward


def _bw_atan2(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    a, b, _ = node.saved
    denom = a * a + b * b
    return _grads(node, lambda: g * b / denom, lambda: g * -a / denom)


def _bw_fmod(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    a, b, _ = node.saved
    return _grads(node, lambda: g, lambda: -g * (a / b).trunc())


def _bw_remainder(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
    a, b, _ = node.saved
    return _grads(node, lambda: g, lambda: -g * (a / b).floor())


pow = _binary_simple("pow", "pow", _bw_pow)  # noqa: A001
maximum = _binary_simple("maximum", "maximum", _bw_maxmin(1))
minimum = _binary_simple("minimum", "minimum", _bw_maxmin(-1))
fmax = _binary_simple("fmax", "fmax", _bw_fmaxmin(1))
fmin = _binary_simple("fmin", "fmin", _bw_fmaxmin(-1))
atan2 = _binary_simple("atan2", "atan2", _bw_atan2, float_only=True)
arctan2 = atan2
fmod = _binary_simple("fmod", "fmod", _bw_fmod)
remainder = _binary_simple("remainder", "remainder", _bw_remainder)
def _bw_floor_divide(node: Any, g: Tensor) -> None:
    raise RuntimeError("derivative for floor_divide is not implemented")


floor_divide = _binary_simple("floor_divide", "floor_divide", _bw_floor_divide)
eq = _binary_simple("eq", "eq", None)
ne = _binary_simple("ne", "ne", None)
lt = _binary_simple("lt", "lt", None)
le = _binary_simple("le", "le", None)
gt = _binary_simple("gt", "gt", None)
ge = _binary_simple("ge", "ge", None)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
logical_and = _binary_simple("logical_and", "logical_and", None)
logical_or = _binary_simple("logical_or", "logical_or", None)
logical_xor = _binary_simple("logical_xor", "logical_xor", None)
bitwise_and = _binary_simple("bitwise_and", "bitwise_and", None, int_only=True)
bitwise_or = _binary_simple("bitwise_or", "bitwise_or", None, int_only=True)
bitwise_xor = _binary_simple("bitwise_xor", "bitwise_xor", None, int_only=True)


def _pow_scalar_exponent(input: Tensor, exponent: Any) -> Tensor:  # noqa: A002
    """Fast path of ``pow`` for a Python-number exponent."""
    x, y, rt, ref = common(input, exponent)
    k = ref._k
    if rt.category < 2 and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    res = wrap(k.pow(x, y), ref._device, k)
    if input._rg and GRAD.enabled:
        record("PowBackward0", _bw_pow_scalar, (input,), res, save=(input,), attrs=exponent)
    return res


def _bw_pow_scalar(node: Any, g: Tensor) -> Tensor:
    (x,) = node.saved
    e = node.attrs
    if e == 0:
        return g * 0
    if e == 2:
        return g * 2 * x
    return g * e * x.pow(e - 1)


_pow_general = pow


def pow(input: Any, exponent: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A001,A002
    """Elementwise ``input ** exponent``; either may be a scalar.

    >>> import ember
    >>> ember.pow(ember.tensor([1., 2., 3.]), 2)
    tensor([1., 4., 9.])
    """
    if isinstance(input, Tensor) and type(exponent) in (int, float):
        res = _pow_scalar_exponent(input, exponent)
        return _into_out(out, res) if out is not None else res
    return _pow_general(input, exponent, out=out)


# ----------------------------------------------------------------------------- where


def _bw_where(node: Any, g: Tensor) -> tuple[None, Tensor | None, Tensor | None]:
    (cond,) = node.saved
    sa, sb, da, db = node.attrs
    # selects, so a NaN or inf in g does not reach the branch that was not chosen
    ga = _fit(where(cond, g, 0.0), sa, da) if sa is not None else None
    gb = _fit(where(cond, 0.0, g), sb, db) if sb is not None else None
    return None, ga, gb


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """Elementwise ``input if condition else other`` with broadcasting; with only
    ``condition``, the same as ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        from .indexing import nonzero

        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError("where(): argument 'condition' must be Tensor")
    if condition.dtype is not dt.bool:
        if condition.dtype is dt.uint8:
            condition = condition.bool()
        else:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {condition.dtype.scalar_name}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        rt = result_type_scalars(input, other)
        input = to_tensor(input, condition, rt)
    x, y, rt, ref = common(input, other)
    k = ref._k
    if not hasattr(x, "dtype"):
        x = k.full((), x, rt.np, ref._device)
    if not hasattr(y, "dtype"):
        y = k.full((), y, rt.np, ref._device)
    try:
        r = k.where(condition._data, x, y)
    except ValueError:
        raise broadcast_error(_shape(condition), _shape(input)) from None
    res = wrap(r, ref._device, k)
    ta = input if isinstance(input, Tensor) and input._rg else None
    tb = other if isinstance(other, Tensor) and other._rg else None
    if GRAD.enabled and (ta is not None or tb is not None):
        record("WhereBackward0", _bw_where, (None, ta, tb), res, save=(condition,),
               attrs=(tuple(ta.shape) if ta is not None else None,
                      tuple(tb.shape) if tb is not None else None,
                      ta._data.dtype if ta is not None else None,
                      tb._data.dtype if tb is not None else None))
    return res


def result_type_scalars(a: Any, b: Any) -> dt.dtype:
    from ._base import scalar_dtype

    return dt.promote_types(scalar_dtype(a), scalar_dtype(b))


# ----------------------------------------------------------------------------- composites


def square(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise ``input * input``."""
    return pow(input, 2)


def frac(input: Tensor) -> Tensor:  # noqa: A002
    """The fractional part, ``input - trunc(input)``."""
    return input - input.trunc().detach()


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit every element to ``[min, max]``; either bound may be a scalar or a tensor.

    The gradient flows where the element was inside the bounds.
    """
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if _is_number(min) and _is_number(max) and input.dtype is not dt.bool:
        return _clamp_scalars(input, min, max)
    return _clamp_values(input, min, max)


def _is_number(v: Any) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))


def _bw_clamp(node: Any, g: Tensor) -> Tensor:
    # the gradient passes where min <= x <= max (so not at NaN), a select as in torch
    (x,) = node.saved
    lo, hi = node.attrs
    inside = None if lo is None else x >= lo
    if hi is not None:
        inside = x <= hi if inside is None else inside.logical_and(x <= hi)
    return where(inside, g, 0.0)


def _clamp_values(x: Tensor, lo: Any, hi: Any) -> Tensor:
    out = x
    if lo is not None:
        out = _clamp_side(out, lo, True)
    if hi is not None:
        out = _clamp_side(out, hi, False)
    return out


def _clamp_scalars(x: Tensor, lo: Any, hi: Any) -> Tensor:
    """clamp with number bounds: the backend's fused ``clamp`` kernel when it has one, one
    recorded node."""
    if x.dtype.category < 2 and (isinstance(lo, float) or isinstance(hi, float)):
        x = x.to(dt.DEFAULTS.float)  # an integer tensor with a float bound
    out = fused_or_composite(x, "clamp", _clamp_values, lo, hi)
    if x._rg and GRAD.enabled:
        record("ClampBackward1", _bw_clamp, (x,), out, save=(x,), attrs=(lo, hi))
    return out


def _clamp_side(x: Tensor, bound: Any, lower: bool) -> Tensor:
    if isinstance(bound, Tensor):
        mask = (x < bound) if lower else (x > bound)
        return where(mask, bound.to(x.dtype) if bound.dtype != x.dtype else bound, x)
    if x.dtype.category < 2 and isinstance(bound, float):
        x = x.to(dt.DEFAULTS.float)
    keep = (x >= bound) if lower else (x <= bound)
    keep = keep.logical_or(x.isnan())
    return where(keep, x, bound)


clip = clamp


def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002
    """``clamp(input, min=min)``."""
    return clamp(input, min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002
    """``clamp(input, max=max)``."""
    return clamp(input, max=max)


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:  # noqa: A002
    """Linear interpolation ``input + weight * (end - input)``."""
    return input + weight * (end - input)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:  # noqa: A002
    """``input + value * tensor1 * tensor2``."""
    prod = tensor1 * tensor2
    return input + (prod if value == 1 else value * prod)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:  # noqa: A002
    """``input + value * tensor1 / tensor2``."""
    if tensor1.dtype.category < 2 and tensor2.dtype.category < 2:
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future release addcdiv will perform a true division of tensor1 and "
                           "tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    q = tensor1 / tensor2
    return input + (q if value == 1 else value * q)


def hypot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise ``sqrt(input**2 + other**2)``."""
    return (input * input + other * other).sqrt()


def logaddexp(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise ``log(exp(input) + exp(other))`` computed stably."""
    m = maximum(input, other).detach()
    m = where(m.isinf(), m * 0, m)
    return ((input - m).exp() + (other - m).exp()).log() + m


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise ``log2(2**input + 2**other)``."""
    return logaddexp(input * math.log(2.0), other * math.log(2.0)) / math.log(2.0)


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``input * log(other)``, 0 where ``input`` is 0 (NaN ``other`` stays
    NaN)."""
    if not isinstance(input, Tensor):
        input = to_tensor(input, other, dt.DEFAULTS.float)
    if not isinstance(other, Tensor):
        other = to_tensor(other, input, dt.DEFAULTS.float)
    # where input is 0 and other <= 0 take log(1) = 0, so neither the value nor the
    # input's gradient meets 0 * log(0) (torch's gradient masks the same elements)
    zero = (input == 0).logical_and(other <= 0)
    return input * where(zero, 1.0, other).log()


def logit(input: Tensor, eps: float | None = None) -> Tensor:  # noqa: A002
    """``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given."""
    x = input if eps is None else clamp(input, eps, 1 - eps)
    return (x / (1 - x)).log()


def isfinite(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise: neither infinite nor NaN."""
    if input.dtype.category < 2:
        return ne(input, input) == 0
    return (input.isinf().logical_or(input.isnan())).logical_not()


def isposinf(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise: whether the value is positive infinity."""
    return input.isinf().logical_and(input > 0)


def isneginf(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise: whether the value is negative infinity."""
    return input.isinf().logical_and(input < 0)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,  # noqa: A002
               neginf: float | None = None) -> Tensor:
    """Replace NaN with ``nan`` and infinities with ``posinf``/``neginf`` (default: the
    dtype's largest and smallest finite values)."""
    if input.dtype.category < 2:
        return input.clone()
    info = dt.finfo(input.dtype)
    out = where(input.isnan(), nan, input)
    out = where(isposinf(out), info.max if posinf is None else posinf, out)
    return where(isneginf(out), info.min if neginf is None else neginf, out)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001,A002
    """Round half to even; with ``decimals``, to that many decimal places."""
    if decimals == 0:
        return UNARY_OPS["round"](input)
    scale = 10.0 ** decimals
    return UNARY_OPS["round"](input * scale) / scale


def float_power(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    """``pow`` computed in float64."""
    a = input.double() if isinstance(input, Tensor) else float(input)
    b = exponent.double() if isinstance(exponent, Tensor) else exponent
    return pow(a, b)


def _bw_relu(node: Any, g: Tensor) -> Tensor:
    # zero where the result is at most zero, else g: a NaN result passes g through
    (out,) = node.saved
    kern = g._k.relu_backward
    if kern is not None and not GRAD.enabled:
        return wrap(kern(g._data, out._data), g._device, g._k)
    return where(out <= 0, 0.0, g)


def relu(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise ``max(input, 0)``; NaN stays NaN. The gradient is 0 where the result is
    not positive.

    >>> import ember
    >>> ember.relu(ember.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    data = input._data
    if data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    k = input._k
    kern = k.relu
    out = wrap(k.maximum(data, 0) if kern is None else kern(data), input._device, k)
    if input._rg and GRAD.enabled:
        record("ReluBackward0", _bw_relu, (input,), out, save=(out,))
    return out


def positive(input: Tensor) -> Tensor:  # noqa: A002
    """``input`` itself (unary plus)."""
    return input


def sgn(input: Tensor) -> Tensor:  # noqa: A002
    """The sign of each element (-1, 0 or 1); the same as ``sign`` for real dtypes."""
    return UNARY_OPS["sign"](input)


def signbit(input: Tensor) -> Tensor:  # noqa: A002
    """Whether the sign bit is set (true for -0.0)."""
    if input.dtype.category < 2:
        return input < 0
    return (input < 0).logical_or((input == 0).logical_and((1 / input) < 0))


def copysign(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """``|input|`` with the sign of ``other``."""
    o = other if isinstance(other, Tensor) else to_tensor(float(other), input)
    return where(signbit(o), -input.abs(), input.abs())


def deg2rad(input: Tensor) -> Tensor:  # noqa: A002
    """Convert angles from degrees to radians."""
    return input * (math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:  # noqa: A002
    """Convert angles from radians to degrees."""
    return input * (180.0 / math.pi)


abs = UNARY_OPS["abs"]  # noqa: A001
absolute = abs
negative = UNARY_OPS["neg"]
arcsin, arccos, arctan = UNARY_OPS["asin"], UNARY_OPS["acos"], UNARY_OPS["atan"]
arcsinh, arccosh, arctanh = UNARY_OPS["asinh"], UNARY_OPS["acosh"], UNARY_OPS["atanh"]
fix = UNARY_OPS["trunc"]
