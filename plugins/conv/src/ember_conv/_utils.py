"""Helpers shared by the op families of ember-conv: argument normalization, kernel
dispatch for ops with several tensor inputs, and the constant-padding op."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ember.ops._base import GRAD, Tensor, no_grad_call, record, wrap

__all__ = ["ntuple", "run", "pad_constant", "needs", "fmt_shape", "check_same_dtype"]


def ntuple(value: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    """``value`` (an int or a sequence of ``n`` ints) as a tuple of ``n`` ints."""
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if len(value) == 1 and n > 1:
            value = list(value) * n
        if len(value) != n:
            raise RuntimeError(f"[{op}] expected {name} to be a single integer value or a list "
                               f"of {n} values to match the convolution dimensions, but got "
                               f"{name}={list(value)}")
        return tuple(int(v) for v in value)
    try:
        v = value.__index__()
    except AttributeError:
        raise TypeError(f"[{op}] {name} must be an int or a tuple of ints, got "
                        f"{type(value).__name__}") from None
    return (v,) * n


def fmt_shape(shape: Sequence[int]) -> str:
    """A shape as torch prints it in messages: ``[2, 3, 4]``."""
    return str(list(shape))


def check_same_dtype(op: str, *tensors: Tensor | None) -> None:
    """Raise torch's RuntimeError when tensors of one op disagree in dtype."""
    first = tensors[0]
    assert first is not None
    for t in tensors[1:]:
        if t is not None and t.dtype != first.dtype:
            raise RuntimeError(f"[{op}] expected all tensors to have the same dtype, but got "
                               f"{first.dtype} and {t.dtype}")


def run(name: str, composite: Callable[..., Any], first: Tensor, *args: Any) -> Any:
    """Run op ``name``: the device's fused kernel on arrays when its backend has one, else
    ``composite`` on tensors with recording off.

    Tensor arguments are passed to the kernel as their arrays (``None`` stays ``None``);
    everything else is passed as is. Returns a tensor, or a tuple of tensors.
    """
    kern = getattr(first._k, name)
    if kern is None:
        return no_grad_call(composite, first, *args)
    arrays = [a._data if isinstance(a, Tensor) else a for a in args]
    res = kern(first._data, *arrays)
    if type(res) is tuple:
        return tuple(wrap(r, first._device, first._k) for r in res)
    return wrap(res, first._device, first._k)


def needs(node: Any, i: int) -> bool:
    """Whether input ``i`` of a recorded ``node`` takes a gradient."""
    return node.next_functions[i] is not None


def _bw_pad_constant(node: Any, g: Tensor) -> Tensor:
    key = tuple(slice(before, g.shape[i] - after) for i, (before, after) in
                enumerate(node.attrs))
    return g[key]


def pad_constant(x: Tensor, pads: Sequence[tuple[int, int]], value: float = 0.0) -> Tensor:
    """``x`` with ``pads[i] = (before, after)`` elements of ``value`` added to dim ``i``
    (non-negative pads; ``pads`` covers every dim). The backward slices the gradient."""
    pads = tuple((int(a), int(b)) for a, b in pads)
    out = wrap(x._k.pad_constant(x._data, pads, value), x._device, x._k)
    if x._rg and GRAD.enabled:
        record("ConstantPadNdBackward0", _bw_pad_constant, (x,), out, attrs=pads)
    return out
