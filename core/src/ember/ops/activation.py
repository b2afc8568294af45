"""softmax and log_softmax: composite definitions, optional fused kernels, and their
backward formulas."""

from __future__ import annotations

from typing import Any

from .. import _dtype as dt
from ._base import GRAD, Tensor, fused_or_composite, record, wrap_dim


def _softmax_composite(x: Tensor, dim: int) -> Tensor:
    e = (x - x.amax(dim, keepdim=True)).exp()
    return e / e.sum(dim, keepdim=True)


def _log_softmax_composite(x: Tensor, dim: int) -> Tensor:
    shifted = x - x.amax(dim, keepdim=True)
    return shifted - shifted.exp().sum(dim, keepdim=True).log()


def _bw_softmax(node: Any, g: Tensor) -> Tensor:
    (out,) = node.saved
    dim = node.attrs
    return out * (g - (g * out).sum(dim, keepdim=True))


def _bw_log_softmax(node: Any, g: Tensor) -> Tensor:
    (out,) = node.saved
    dim = node.attrs
    return g - out.exp() * g.sum(dim, keepdim=True)


def _prep(input: Tensor, dim: Any, dtype: Any, op: str) -> tuple[Tensor, int]:  # noqa: A002
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1
    d = wrap_dim(dim, input.ndim, op)
    x = input
    if dtype is not None:
        x = x.to(dtype)
    elif not x.dtype.is_floating_point:
        raise RuntimeError(f"\"{op}_lastdim_kernel_impl\" not implemented for "
                           f"'{x.dtype.scalar_name}'")
    return x, d


def softmax(input: Tensor, dim: Any = None, dtype: dt.dtype | None = None, *,  # noqa: A002
            _stacklevel: int = 3) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``: each slice becomes a probability
    distribution.

    Args:
        input: any shape.
        dim: the dim to normalize over.
        dtype: cast the input to this dtype first.

    >>> import ember
    >>> ember.softmax(ember.tensor([0., 0.]), 0)
    tensor([0.5000, 0.5000])
    """
    x, d = _prep(input, dim, dtype, "softmax")
    if x.ndim == 0:
        return x * 0 + 1
    out = fused_or_composite(x, "softmax", _softmax_composite, d)
    if x._rg and GRAD.enabled:
        record("SoftmaxBackward0", _bw_softmax, (x,), out, save=(out,), attrs=d)
    return out


def log_softmax(input: Tensor, dim: Any = None, dtype: dt.dtype | None = None, *,  # noqa: A002
                _stacklevel: int = 3) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably.

    >>> import ember
    >>> ember.log_softmax(ember.tensor([0., 0.]), 0).exp()
    tensor([0.5000, 0.5000])
    """
    x, d = _prep(input, dim, dtype, "log_softmax")
    if x.ndim == 0:
        return x * 0
    out = fused_or_composite(x, "log_softmax", _log_softmax_composite, d)
    if x._rg and GRAD.enabled:
        record("LogSoftmaxBackward0", _bw_log_softmax, (x,), out, save=(out,), attrs=d)
    return out
