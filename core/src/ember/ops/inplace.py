"""In-place variants: each computes its out-of-place op and writes the result back.

Writing back bumps the tensor's version (so backward can detect that a saved tensor
changed) and moves the graph history onto the tensor, or onto its base for a view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import indexing, layout, pointwise, random, reduction, shape
from ._base import GRAD, Tensor, to_tensor, write_inplace


def _make(name: str, fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def op(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return write_inplace(self, fn(self, *args, **kwargs), name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"In-place ``{name[:-1]}``: writes the result into ``self`` and returns it."
    return op


_SOURCES: dict[str, Callable[..., Tensor]] = {
    "add_": pointwise.add, "sub_": pointwise.sub, "mul_": pointwise.mul, "div_": pointwise.div,
    "pow_": pointwise.pow, "clamp_": pointwise.clamp, "clip_": pointwise.clamp,
    "clamp_min_": pointwise.clamp_min, "clamp_max_": pointwise.clamp_max,
    "lerp_": pointwise.lerp, "addcmul_": pointwise.addcmul, "addcdiv_": pointwise.addcdiv,
    "remainder_": pointwise.remainder, "fmod_": pointwise.fmod,
    "floor_divide_": pointwise.floor_divide, "maximum_": pointwise.maximum,
    "minimum_": pointwise.minimum, "relu_": pointwise.relu, "where_": pointwise.where,
    "masked_fill_": indexing.masked_fill, "masked_scatter_": indexing.masked_scatter,
    "scatter_": indexing.scatter, "scatter_add_": indexing.scatter_add,
    "scatter_reduce_": indexing.scatter_reduce, "index_add_": indexing.index_add,
    "index_copy_": indexing.index_copy, "index_fill_": indexing.index_fill,
    "nan_to_num_": pointwise.nan_to_num, "logit_": pointwise.logit,
    "hypot_": pointwise.hypot, "atan2_": pointwise.atan2, "xlogy_": pointwise.xlogy,
    "square_": pointwise.square, "frac_": pointwise.frac, "round_": pointwise.round,
    "tril_": layout.tril, "triu_": layout.triu, "copysign_": pointwise.copysign,
    "logical_and_": pointwise.logical_and, "logical_or_": pointwise.logical_or,
    "logical_xor_": pointwise.logical_xor, "bitwise_and_": pointwise.bitwise_and,
    "bitwise_or_": pointwise.bitwise_or, "bitwise_xor_": pointwise.bitwise_xor,
    "eq_": lambda s, o: pointwise.eq(s, o).to(s.dtype),
    "ne_": lambda s, o: pointwise.ne(s, o).to(s.dtype),
    "lt_": lambda s, o: pointwise.lt(s, o).to(s.dtype),
    "le_": lambda s, o: pointwise.le(s, o).to(s.dtype),
    "gt_": lambda s, o: pointwise.gt(s, o).to(s.dtype),
    "ge_": lambda s, o: pointwise.ge(s, o).to(s.dtype),
    "cumsum_": reduction.cumsum, "cumprod_": reduction.cumprod,
}
for _name, _fn in pointwise.UNARY_OPS.items():
    if _name not in ("isnan", "isinf"):
        _SOURCES[_name + "_"] = _fn

INPLACE_OPS: dict[str, Callable[..., Tensor]] = {n: _make(n, f) for n, f in _SOURCES.items()}


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros in place."""
    return fill_(self, 0)


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with ``value`` (a scalar or 0-dim tensor) in place."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        src = value.to(self.dtype).expand(tuple(self.shape))
        return write_inplace(self, src, "fill_")
    k = self._k
    if not GRAD.enabled or not (self._rg or self._base is not None):
        k.copy_into(self._data, k.full((), value, self._data.dtype, self._device))
        self._vc.v += 1
        return self
    return write_inplace(self, to_tensor(value, self).expand(tuple(self.shape)) * 1, "fill_")


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, converted to this dtype and device) into ``self``."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    val = src
    if val._device != self._device or val.dtype is not self.dtype:
        val = val.to(self._device, self.dtype)
    if tuple(val.shape) != tuple(self.shape):
        val = val.expand(tuple(self.shape))
    if GRAD.enabled and val._rg:
        val = shape.clone(val) if val is src else val
    return write_inplace(self, val, "copy_")


def set_(self: Tensor, source: Tensor) -> Tensor:
    self._data = source._data
    self._vc.v += 1
    return self


INPLACE_OPS.update(zero_=zero_, fill_=fill_, copy_=copy_, uniform_=random.uniform_,
                   normal_=random.normal_, bernoulli_=random.bernoulli_,
                   exponential_=random.exponential_, random_=random.random_,
                   index_put_=indexing.index_put_)
