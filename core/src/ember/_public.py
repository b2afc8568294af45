"""The ``ember.*`` functions: every public op function of :mod:`ember.ops`."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from . import ops
from .ops import (activation, creation, indexing, layout, linalg, pointwise, random, reduction,
                  shape)

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
    for mod in (creation, pointwise, reduction, shape, layout, indexing, linalg, random,
                activation):
        for name, fn in _public_functions(mod).items():
            namespace.setdefault(name, fn)
    for name, fn in ops.UNARY_OPS.items():
        namespace[name] = fn
    namespace["round"] = pointwise.round
    namespace["result_type"] = ops.result_type
    namespace["numel"] = lambda input: input.numel()  # noqa: A006
    namespace["is_floating_point"] = lambda input: input.is_floating_point()  # noqa: A006
    namespace["is_complex"] = lambda input: False  # noqa: A006
    namespace["clone"] = shape.clone
    namespace["sigmoid"] = ops.UNARY_OPS["sigmoid"]
