"""Shared helpers of the layer ops: fused-kernel dispatch over several tensors, in-place
variants, argument checks and reprs of shapes in torch's style."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember._tensor import Tensor, wrap
from ember.autograd.grad_mode import GRAD
from ember.ops._base import no_grad_call, write_inplace

__all__ = ["fused", "inplace_apply", "needs_grad", "shape_str", "dtype_name", "check_float",
           "check_p"]


def needs_grad(*ts: Any) -> bool:
    """Whether recording is on and any tensor in ``ts`` requires grad."""
    if not GRAD.enabled:
        return False
    return any(isinstance(t, Tensor) and t._rg for t in ts)


def fused(name: str, composite: Callable[..., Any], tensors: tuple[Tensor | None, ...],
          *args: Any) -> Any:
    """Run op ``name`` on the backend of ``tensors[0]``: its fused kernel on arrays when the
    backend registered one, else ``composite(*tensors, *args)`` with recording off.

    The kernel receives the arrays of ``tensors`` (``None`` stays ``None``) followed by
    ``args``; it returns an array or a tuple of arrays, wrapped here as tensors.
    """
    x = tensors[0]
    assert x is not None
    kern = getattr(x._k, name)
    if kern is None:
        return no_grad_call(composite, *tensors, *args)
    res = kern(*(None if t is None else t._data for t in tensors), *args)
    if type(res) is tuple:
        return tuple(wrap(r, x._device, x._k) for r in res)
    return wrap(res, x._device, x._k)


def inplace_apply(x: Tensor, fn: Callable[..., Tensor], name: str, *args: Any,
                  **kwargs: Any) -> Tensor:
    """``x = fn(x, ...)`` in place, with autograd bookkeeping.

    When ``x`` takes part in a graph, ``fn`` runs on a copy of ``x`` so the tensors its
    backward saved are not the ones being overwritten.
    """
    src = x.clone() if needs_grad(x) else x
    return write_inplace(x, fn(src, *args, **kwargs), name)


def shape_str(t: Tensor) -> str:
    """``[2, 3]``: a tensor's shape the way torch's messages print it."""
    return str(list(t.shape))


def dtype_name(t: Tensor) -> str:
    """``Float``, ``Double``, ``Long``: the dtype name torch's messages use."""
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
             "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
             "uint8": "Byte", "bool": "Bool"}
    return names.get(t.dtype.name if hasattr(t.dtype, "name") else str(t.dtype),
                     str(t.dtype))


def check_float(op: str, t: Tensor) -> None:
    """Raise torch's error for a non-floating input to a floating-only op."""
    if not t.dtype.is_floating_point:
        raise NotImplementedError(f"[{op}] \"{op}\" not implemented for '{dtype_name(t)}' "
                                  f"(input of shape {shape_str(t)})")


def check_p(op: str, p: float) -> None:
    """The dropout probability check of ``torch.nn.functional``."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"[{op}] dropout probability has to be between 0 and 1, but got {p}")
