"""``Variable``: the pre-0.4 torch wrapper, kept because old code still calls it.

Every tensor is a Variable: ``isinstance(t, Variable)`` is true for any tensor, and
``Variable(t, requires_grad=True)`` returns a new tensor sharing ``t``'s memory.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        from .._tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """Deprecated alias of a tensor: ``Variable(data, requires_grad=False)`` returns a
    tensor that shares ``data``'s memory and is cut from its graph."""

    def __new__(cls, data: Any, requires_grad: bool = False, volatile: bool = False) -> Any:
        from .._tensor import Tensor

        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
