"""Fused pooling kernels (C++ with OpenMP): max pooling with indices, average pooling, and
their backward passes, for every pooling flavour described by window tables. Signatures
are those documented in ``ember_conv.pool_ops``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _native

_TRIVIAL = np.zeros((1, 1), dtype=np.int64)
_ONE = np.ones(1, dtype=np.float64)


def _fn(name: str, dtype: np.dtype) -> Any:
    return getattr(_native, f"{name}_{'f32' if dtype == np.float32 else 'f64'}")


def _work(a: np.ndarray) -> tuple[np.ndarray, np.dtype]:
    """``a`` as contiguous float32/float64 (half precision in float32, integers in float64,
    exact below 2**53) and its own dtype, to cast results back to."""
    dtype = a.dtype
    if dtype in (np.float32, np.float64):
        work = dtype
    else:
        work = np.dtype(np.float64 if dtype.kind in "iu" else np.float32)
    return np.ascontiguousarray(a, dtype=work), dtype


def _tables3(tables: Sequence[np.ndarray]) -> list[np.ndarray]:
    out = [_TRIVIAL] * (3 - len(tables))
    return out + [np.ascontiguousarray(t, dtype=np.int64) for t in tables]


def _divs3(divs: Sequence[np.ndarray]) -> list[np.ndarray]:
    out = [_ONE] * (3 - len(divs))
    return out + [np.ascontiguousarray(d, dtype=np.float64) for d in divs]


def _planes(a: np.ndarray, nd: int) -> np.ndarray:
    """(N, C, *S) -> (N*C, D, H, W) with leading size-1 spatial dims."""
    planes = int(np.prod(a.shape[:2]))
    return a.reshape((planes,) + (1,) * (3 - nd) + a.shape[2:])


def pool_max(x: np.ndarray, tables: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Window maxima and their flat spatial indices."""
    x, dtype = _work(x)
    nd = len(tables)
    vals, idx = _fn("max_pool", x.dtype)(_planes(x, nd), *_tables3(tables))
    shape = x.shape[:2] + tuple(t.shape[0] for t in tables)
    return vals.reshape(shape).astype(dtype, copy=False), idx.reshape(shape)


def pool_max_backward(g: np.ndarray, indices: np.ndarray, input_size: Sequence[int]
                      ) -> np.ndarray:
    """Scatter-add ``g`` into zeros of the input's shape at ``indices``."""
    g, dtype = _work(g)
    planes = int(np.prod(g.shape[:2]))
    size = int(np.prod(input_size))
    if (len(input_size) == 2 and g.ndim == 4 and g.shape[2] == input_size[0] // 2
            and g.shape[3] == input_size[1] // 2):
        # 2x2 windows at stride 2: one pass per plane when every index lies in its own
        # window (the kernel checks, else it does the generic scatter-add)
        dx = _fn("max_pool_backward_2x2", g.dtype)(
            g.reshape(planes, g.shape[2], g.shape[3]),
            np.ascontiguousarray(indices, dtype=np.int64).reshape(planes, g.shape[2],
                                                                  g.shape[3]),
            int(input_size[0]), int(input_size[1]))
        return dx.reshape(g.shape[:2] + tuple(input_size)).astype(dtype, copy=False)
    dx = _fn("max_pool_backward", g.dtype)(g.reshape(planes, -1),
                                           np.ascontiguousarray(indices).reshape(planes, -1),
                                           size)
    return dx.reshape(g.shape[:2] + tuple(input_size)).astype(dtype, copy=False)


def pool_avg(x: np.ndarray, tables: Sequence[np.ndarray], divisors: Sequence[np.ndarray],
             override: float | None) -> np.ndarray:
    """Window sums divided by the product of per-dim divisors (or ``override``)."""
    x, dtype = _work(x)
    nd = len(tables)
    out = _fn("avg_pool", x.dtype)(_planes(x, nd), *_tables3(tables), *_divs3(divisors),
                                   float(override or 0))
    shape = x.shape[:2] + tuple(t.shape[0] for t in tables)
    return out.reshape(shape).astype(dtype, copy=False)


def pool_avg_backward(g: np.ndarray, tables: Sequence[np.ndarray],
                      divisors: Sequence[np.ndarray], override: float | None,
                      input_size: Sequence[int]) -> np.ndarray:
    """The adjoint of :func:`pool_avg`: spread each gradient over its window."""
    g, dtype = _work(g)
    nd = len(tables)
    size3 = [1] * (3 - nd) + [int(s) for s in input_size]
    dx = _fn("avg_pool_backward", g.dtype)(_planes(g, nd), *_tables3(tables),
                                           *_divs3(divisors), float(override or 0), *size3)
    return dx.reshape(g.shape[:2] + tuple(input_size)).astype(dtype, copy=False)


KERNELS = {"pool_max": pool_max, "pool_max_backward": pool_max_backward,
           "pool_avg": pool_avg, "pool_avg_backward": pool_avg_backward}
