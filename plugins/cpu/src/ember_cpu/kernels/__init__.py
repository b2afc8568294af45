"""The cpu kernels: every module in this package contributes a ``KERNELS`` dict.

Op families add their fused kernels as new modules here (``conv.py``, ``losses.py``, ...);
nothing else needs editing.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any


def all_kernels() -> dict[str, Callable[..., Any]]:
    """Collect ``KERNELS`` from every module of this package (primitives first)."""
    out: dict[str, Callable[..., Any]] = {}
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    names.remove("primitives")
    for name in ["primitives", *names]:
        mod = importlib.import_module(f"{__name__}.{name}")
        for op, fn in getattr(mod, "KERNELS", {}).items():
            if op in out and name != "primitives":
                raise RuntimeError(f"cpu kernel '{op}' is defined twice (in {name})")
            out[op] = fn
    return out
