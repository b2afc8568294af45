"""Fused softmax and log_softmax (C++ with OpenMP) for float32 and float64."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _native


def _split(shape: tuple[int, ...], dim: int) -> tuple[int, int, int]:
    outer = int(np.prod(shape[:dim], dtype=np.int64))
    inner = int(np.prod(shape[dim + 1:], dtype=np.int64))
    return outer, shape[dim], inner


def _fused(name: str) -> Any:
    f32 = getattr(_native, f"{name}_f32")
    f64 = getattr(_native, f"{name}_f64")

    def kernel(a: np.ndarray, dim: int) -> np.ndarray:
        fn = f32 if a.dtype == np.float32 else f64 if a.dtype == np.float64 else None
        if fn is None:  # half precision: compute in float32 like torch's accumulate type
            return kernel(a.astype(np.float32), dim).astype(a.dtype)
        outer, n, inner = _split(a.shape, dim)
        return fn(np.ascontiguousarray(a), outer, n, inner)

    kernel.__name__ = name
    kernel.__doc__ = (f"``{name}(a, dim)``: {name.replace('_', ' ')} of ``a`` along ``dim`` "
                      "(half precision computed in float32).")
    return kernel


KERNELS = {"softmax": _fused("softmax"), "log_softmax": _fused("log_softmax")}
