"""Small helpers shared by the module and parameter containers."""

from __future__ import annotations

import operator
from collections import OrderedDict
from typing import Any

from ..parameter import Parameter


def _abs_index(idx: Any, size: int) -> int:
    """``idx`` as a non-negative position in a sequence of ``size`` items."""
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"index {idx} is out of range")
    return idx + size if idx < 0 else idx


def _no_digit_keys(keys: list[str]) -> list[str]:
    return [k for k in keys if not k.isdigit()]


def _renumber(modules: dict[str, Any]) -> OrderedDict[str, Any]:
    return OrderedDict(zip((str(i) for i in range(len(modules))), modules.values(),
                           strict=True))


def _tensor_line(key: Any, p: Any, type_text: str) -> str:
    size = "x".join(str(s) for s in p.size())
    device = f" ({p.device})" if p.device.type != "cpu" else ""
    kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
    return f"  ({key}): {kind} containing: [{type_text} of size {size}{device}]"
