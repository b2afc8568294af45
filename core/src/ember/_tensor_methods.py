"""Bind the op functions to Tensor as methods and Python operators.

Every method here is the op of the same name with the tensor as its first argument, so
``x.exp()`` and ``ember.exp(x)`` are one function.
"""

from __future__ import annotations

import numbers
from typing import Any

from . import ops
from ._tensor import Tensor
from .ops import indexing, pointwise, shape

_METHODS = [
    # pointwise
    *[n for n in pointwise.UNARY_OPS if n != "round"],
    "add", "sub", "mul", "div", "true_divide", "divide", "multiply", "subtract", "pow",
    "maximum", "minimum", "fmax", "fmin", "atan2", "arctan2", "fmod", "remainder",
    "floor_divide", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
    "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor", "bitwise_and",
    "bitwise_or", "bitwise_xor", "square", "frac", "clamp", "clip", "clamp_min",
    "clamp_max", "lerp", "addcmul", "addcdiv", "hypot", "logaddexp", "logaddexp2", "xlogy",
    "logit", "isfinite", "isposinf", "isneginf", "nan_to_num", "round", "float_power", "relu",
    "sgn", "signbit", "copysign", "deg2rad", "rad2deg", "absolute", "negative", "arcsin",
    "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "fix", "rsub", "positive",
    # reductions
    "sum", "nansum", "mean", "nanmean", "prod", "amax", "amin", "aminmax", "argmax", "argmin",
    "max", "min", "var", "std", "norm", "logsumexp", "cumsum", "cumprod", "cummax", "cummin",
    "logcumsumexp", "any", "all", "count_nonzero", "median", "nanmedian", "kthvalue", "mode",
    "unique", "unique_consecutive", "bincount", "isclose", "allclose", "equal",
    # shape
    "view", "reshape", "view_as", "reshape_as", "flatten", "unflatten", "squeeze",
    "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t", "adjoint", "movedim",
    "moveaxis", "expand", "expand_as", "broadcast_to", "clone", "contiguous", "split",
    "tensor_split", "chunk", "unbind", "narrow", "select", "flip", "fliplr", "flipud", "roll",
    "rot90", "repeat", "tile", "tril", "triu", "diagonal", "diag_embed", "diag", "unfold",
    "split_with_sizes", "as_strided", "repeat_interleave", "ravel", "diff",
    # indexing
    "gather", "take_along_dim", "scatter", "scatter_add", "scatter_reduce", "index_select",
    "index_add", "index_copy", "index_fill", "index_put", "masked_fill", "masked_select",
    "masked_scatter", "nonzero", "argwhere", "sort", "argsort", "msort", "topk",
    # linalg
    "matmul", "mm", "bmm", "mv", "dot", "outer", "ger", "addmm", "addmv", "baddbmm", "addbmm",
    "inner", "kron", "trace", "vdot", "dist", "cross",
    # activations
    "softmax", "log_softmax",
]


_FAST_OPERANDS = {Tensor, int, float, bool}


def _comparable(o: Any) -> bool:
    """Whether ``o`` can be compared elementwise with a tensor (else ``==`` is False)."""
    return (type(o) in _FAST_OPERANDS or isinstance(o, (Tensor, numbers.Number))
            or hasattr(o, "dtype"))


def _bind() -> None:
    for name in _METHODS:
        fn = getattr(ops, name)
        setattr(Tensor, name, fn)
    for name, fn in ops.INPLACE_OPS.items():
        setattr(Tensor, name, fn)

    def T(self: Tensor) -> Tensor:  # noqa: N802
        """The tensor with all dims reversed (for matrices: the transpose); deprecated by
        torch for other than 2 dims, so it warns then."""
        if self.ndim != 2:
            import warnings

            if self.ndim == 0:
                msg = ("Tensor.T is deprecated on 0-D tensors. This function is the identity "
                       "in these cases.")
            else:
                msg = ("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                       "shape is deprecated and it will throw an error in a future release. "
                       "Consider `x.mT` to transpose batches of matrices or "
                       "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
                       "dimensions of a tensor.")
            warnings.warn(msg, UserWarning, stacklevel=2)
        return shape.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    def mT(self: Tensor) -> Tensor:  # noqa: N802
        """The transpose of the last two dims."""
        return shape.transpose(self, -2, -1)

    Tensor.T = property(T)  # type: ignore[attr-defined]
    Tensor.mT = property(mT)  # type: ignore[attr-defined]
    Tensor.H = property(T)  # type: ignore[attr-defined]
    Tensor.mH = property(mT)  # type: ignore[attr-defined]

    def where(self: Tensor, condition: Tensor, y: Any) -> Tensor:
        """``self`` where ``condition`` is true, else ``y``."""
        return pointwise.where(condition, self, y)

    Tensor.where = where  # type: ignore[attr-defined]
    Tensor.__getitem__ = indexing.getitem  # type: ignore[method-assign,assignment]
    Tensor.__setitem__ = indexing.setitem  # type: ignore[method-assign,assignment]

    add, sub, mul, div = pointwise.add, pointwise.sub, pointwise.mul, pointwise.div
    Tensor.__add__ = add  # type: ignore[method-assign,assignment]
    Tensor.__radd__ = lambda s, o: add(o, s)  # type: ignore[method-assign,operator]
    Tensor.__sub__ = sub  # type: ignore[method-assign,assignment]
    Tensor.__rsub__ = lambda s, o: sub(o, s)  # type: ignore[method-assign,operator]
    Tensor.__mul__ = mul  # type: ignore[method-assign,assignment]
    Tensor.__rmul__ = lambda s, o: mul(o, s)  # type: ignore[method-assign,operator]
    Tensor.__truediv__ = div  # type: ignore[method-assign,assignment]
    Tensor.__rtruediv__ = lambda s, o: div(o, s)  # type: ignore[method-assign,operator]
    Tensor.__floordiv__ = lambda s, o: pointwise.floor_divide(s, o)  # type: ignore[operator]
    Tensor.__rfloordiv__ = lambda s, o: pointwise.floor_divide(o, s)  # type: ignore[operator]
    Tensor.__mod__ = lambda s, o: pointwise.remainder(s, o)  # type: ignore[operator]
    Tensor.__rmod__ = lambda s, o: pointwise.remainder(o, s)  # type: ignore[operator]
    Tensor.__pow__ = lambda s, o: pointwise.pow(s, o)  # type: ignore[operator]
    Tensor.__rpow__ = lambda s, o: pointwise.pow(o, s)  # type: ignore[operator]
    Tensor.__matmul__ = lambda s, o: ops.matmul(s, o)  # type: ignore[operator]
    Tensor.__rmatmul__ = lambda s, o: ops.matmul(o, s)  # type: ignore[operator]
    Tensor.__neg__ = pointwise.UNARY_OPS["neg"]  # type: ignore[method-assign,assignment]
    Tensor.__pos__ = lambda s: s  # type: ignore[operator]
    Tensor.__abs__ = pointwise.UNARY_OPS["abs"]  # type: ignore[method-assign,assignment]
    Tensor.__invert__ = lambda s: (pointwise.UNARY_OPS["logical_not"](s)  # type: ignore
                                   if s.dtype is ops.creation.dt.bool
                                   else pointwise.UNARY_OPS["bitwise_not"](s))
    Tensor.__and__ = lambda s, o: pointwise.bitwise_and(s, o)  # type: ignore[operator]
    Tensor.__rand__ = lambda s, o: pointwise.bitwise_and(o, s)  # type: ignore[operator]
    Tensor.__or__ = lambda s, o: pointwise.bitwise_or(s, o)  # type: ignore[operator]
    Tensor.__ror__ = lambda s, o: pointwise.bitwise_or(o, s)  # type: ignore[operator]
    Tensor.__xor__ = lambda s, o: pointwise.bitwise_xor(s, o)  # type: ignore[operator]
    Tensor.__rxor__ = lambda s, o: pointwise.bitwise_xor(o, s)  # type: ignore[operator]
    eq, ne = pointwise.eq, pointwise.ne
    Tensor.__eq__ = lambda s, o: eq(s, o) if _comparable(o) else False  # type: ignore
    Tensor.__ne__ = lambda s, o: ne(s, o) if _comparable(o) else True  # type: ignore

    def __contains__(self: Tensor, element: Any) -> bool:
        """``element in tensor``: whether any element equals ``element``."""
        if not _comparable(element):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you "
                               f"passed in a {type(element)}.")
        return bool(pointwise.eq(self, element).any())

    def __reversed__(self: Tensor) -> Tensor:
        """The tensor with dim 0 reversed (a 0-d tensor is returned as is)."""
        return self if self.ndim == 0 else shape.flip(self, (0,))

    Tensor.__contains__ = __contains__  # type: ignore[method-assign,assignment]
    Tensor.__reversed__ = __reversed__  # type: ignore[attr-defined]
    Tensor.__lt__ = pointwise.lt  # type: ignore[method-assign,assignment]
    Tensor.__le__ = pointwise.le  # type: ignore[method-assign,assignment]
    Tensor.__gt__ = pointwise.gt  # type: ignore[method-assign,assignment]
    Tensor.__ge__ = pointwise.ge  # type: ignore[method-assign,assignment]
    inplace = ops.INPLACE_OPS
    Tensor.__iadd__ = lambda s, o: inplace["add_"](s, o)  # type: ignore[operator]
    Tensor.__isub__ = lambda s, o: inplace["sub_"](s, o)  # type: ignore[operator]
    Tensor.__imul__ = lambda s, o: inplace["mul_"](s, o)  # type: ignore[operator]
    Tensor.__itruediv__ = lambda s, o: inplace["div_"](s, o)  # type: ignore[operator]
    Tensor.__ifloordiv__ = lambda s, o: inplace["floor_divide_"](s, o)  # type: ignore
    Tensor.__imod__ = lambda s, o: inplace["remainder_"](s, o)  # type: ignore[operator]
    Tensor.__ipow__ = lambda s, o: inplace["pow_"](s, o)  # type: ignore[operator]
    Tensor.__iand__ = lambda s, o: inplace["bitwise_and_"](s, o)  # type: ignore[operator]
    Tensor.__ior__ = lambda s, o: inplace["bitwise_or_"](s, o)  # type: ignore[operator]
    Tensor.__ixor__ = lambda s, o: inplace["bitwise_xor_"](s, o)  # type: ignore[operator]
    Tensor.__hash__ = object.__hash__  # type: ignore[method-assign,assignment]


_bind()
