"""The cpu kernels: every module in this package contributes a ``KERNELS`` dict.

Op families add their fused kernels as new modules here (``conv.py``, ``losses.py``, ...);
nothing else needs editing.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable
from typing import Any


def all_kernels() -> dict[str, Callable[..., Any]]:
    """Collect ``KERNELS`` from every module of this package (primitives first)."""
    out: dict[str, Callable[..., Any]] = {}
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    names = ["primitives", *(n for n in names if n != "primitives")]
    with _passive_openmp():
        modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    for name, mod in zip(names, modules, strict=True):
        for op, fn in getattr(mod, "KERNELS", {}).items():
            if op in out and name != "primitives":
                raise RuntimeError(f"cpu kernel '{op}' is defined twice (in {name})")
            out[op] = fn
    return out


class _passive_openmp:
    """While the C++ kernels load (and with them the OpenMP runtime, which reads its
    settings once, at load), make idle OpenMP threads sleep instead of spinning, unless
    the user chose a policy: between ember's short parallel loops the Python thread, the
    BLAS threads and other libraries' pools need the cores. The variable is restored
    afterwards, so nothing else in the process (or its children) sees it."""

    def __enter__(self) -> None:
        self.unset = "OMP_WAIT_POLICY" not in os.environ
        if self.unset:
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"

    def __exit__(self, *exc: object) -> None:
        if self.unset:
            os.environ.pop("OMP_WAIT_POLICY", None)
