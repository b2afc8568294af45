"""The ``ember.*`` functions: every public op function of :mod:`ember.ops`."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from . import ops
from .ops import (
    activation,
    creation,
    indexing,
    layout,
    linalg,
    pointwise,
    random,
    reduction,
    selection,
    shape,
)

_SKIP = {"wrap", "record", "common", "to_tensor", "write_inplace", "sum_to", "wrap_dim",
         "wrap_dims", "needs_grad", "normalize_shape", "resolve_device", "no_grad_call",
         "fused_or_composite", "dtype_of", "make_view", "view_scatter_record",
         "contiguous_copy", "add_into", "to_device_dtype", "result_type_scalars", "as_dims",
         "builtins_abs", "scalar_dtype", "broadcast_error", "setitem", "getitem"}


def _public_functions(mod: ModuleType) -> dict[str, Any]:
    out = {}
    for name, obj in vars(mod).items():
        if name.startswith("_") or name in _SKIP or not callable(obj) or isinstance(obj, type):
            continue
        if getattr(obj, "__module__", "").startswith("ember.ops"):
            out[name] = obj
    return out


def export_ops(namespace: dict[str, Any]) -> None:
    """Copy the public op functions into ``namespace`` (the ``ember`` module)."""
    for mod in (creation, pointwise, reduction, selection, shape, layout, indexing, linalg,
                random, activation):
        for name, fn in _public_functions(mod).items():
            namespace.setdefault(name, fn)
    for name, fn in ops.UNARY_OPS.items():
        namespace[name] = fn
    namespace["round"] = pointwise.round
    namespace["result_type"] = ops.result_type
    from ._tensor_str import get_printoptions, printoptions, set_printoptions

    namespace["set_printoptions"] = set_printoptions
    namespace["get_printoptions"] = get_printoptions
    namespace["printoptions"] = printoptions
    namespace["numel"] = numel
    namespace["is_floating_point"] = is_floating_point
    namespace["is_complex"] = is_complex
    namespace["is_nonzero"] = is_nonzero
    namespace["clone"] = shape.clone
    namespace["sigmoid"] = ops.UNARY_OPS["sigmoid"]


def numel(input: Any) -> int:  # noqa: A002
    """The number of elements of tensor ``input``."""
    return input.numel()


def is_floating_point(input: Any) -> bool:  # noqa: A002
    """Whether ``input``'s dtype is a floating-point dtype."""
    return input.is_floating_point()


def is_complex(input: Any) -> bool:  # noqa: A002
    """Always False: ember has no complex dtypes."""
    return False


def is_nonzero(input: Any) -> bool:  # noqa: A002
    """The truth value of a one-element tensor (raises for any other size)."""
    if input.numel() != 1:
        n = input.numel()
        raise RuntimeError(f"Boolean value of Tensor with {'more than one' if n else 'no'} "
                           "value is ambiguous")
    return bool(input.item())
