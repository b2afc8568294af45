"""Fused cpu kernels of the ember-layers ops: linear (one numpy matmul plus the bias add),
layer_norm forward, batch_norm training forward and backward, gelu and its gradient, and the
embedding weight gradient (C++ with OpenMP, float32 and float64; other float dtypes compute
in float32)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _native

_FLOATS = (np.float32, np.float64)


def _pick(name: str, dtype: Any) -> Callable[..., Any] | None:
    if dtype == np.float32:
        return getattr(_native, f"{name}_f32")
    if dtype == np.float64:
        return getattr(_native, f"{name}_f64")
    return None


def _c(a: np.ndarray, dtype: Any = None) -> np.ndarray:
    """C-contiguous (note: at least 1-D, so callers restore 0-d shapes)."""
    return np.ascontiguousarray(a if dtype is None else a.astype(dtype, copy=False))


def linear(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """``x @ w.T + b`` with one BLAS call and an in-place bias add."""
    if x.ndim > 2 and x.size:  # one GEMM over all rows, not one per leading index
        out = np.matmul(x.reshape(-1, x.shape[-1]), w.T).reshape(x.shape[:-1] + (w.shape[0],))
    else:
        out = np.matmul(x, w.T)
    if b is not None:
        out += b
    # numpy multiplies bfloat16 in float32 and returns float32; round back as torch does
    return out if out.dtype == x.dtype else out.astype(x.dtype)


def layer_norm(x: np.ndarray, w: np.ndarray | None, b: np.ndarray | None, k: int,
               eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalize over the last ``k`` dims; returns ``(out, mean, rstd)``, the statistics
    flat with one entry per normalized row."""
    fn = _pick("layer_norm", x.dtype)
    if fn is None:  # half precision: compute in float32 like torch's accumulate type
        out, mean, rstd = layer_norm(x.astype(np.float32), None if w is None else
                                     w.astype(np.float32), None if b is None else
                                     b.astype(np.float32), k, eps)
        return out.astype(x.dtype), mean.astype(x.dtype), rstd.astype(x.dtype)
    n = math.prod(x.shape[x.ndim - k:])
    m = x.size // n if n else math.prod(x.shape[:x.ndim - k])
    wc = None if w is None else _c(w, x.dtype)
    bc = None if b is None else _c(b, x.dtype)
    out, mean, rstd = fn(_c(x), wc, bc, m, n, float(eps))
    return out.reshape(x.shape), mean, rstd


def batch_norm(x: np.ndarray, w: np.ndarray | None, b: np.ndarray | None, eps: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training-mode batch norm of ``x`` ``(N, C, *)`` with batch statistics per channel;
    returns ``(out, mean, invstd, var)``, the statistics ``(C,)`` (``var`` biased)."""
    fn = _pick("batch_norm", x.dtype)
    if fn is None:  # half precision: compute in float32 like torch's accumulate type
        res = batch_norm(x.astype(np.float32), None if w is None else w.astype(np.float32),
                         None if b is None else b.astype(np.float32), eps)
        return tuple(r.astype(x.dtype) for r in res)  # type: ignore[return-value]
    n, c = x.shape[0], x.shape[1]
    size = math.prod(x.shape[2:])
    wc = None if w is None else _c(w, x.dtype)
    bc = None if b is None else _c(b, x.dtype)
    out, mean, invstd, var = fn(_c(x), wc, bc, n, c, size, float(eps))
    return out.reshape(x.shape), mean, invstd, var


def batch_norm_backward(g: np.ndarray, x: np.ndarray, w: np.ndarray | None, mean: np.ndarray,
                        invstd: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of training-mode batch norm: ``(gx, g_weight, g_bias)``."""
    fn = _pick("batch_norm_backward", x.dtype)
    if fn is None:
        f = np.float32
        res = batch_norm_backward(g.astype(f), x.astype(f), None if w is None else
                                  w.astype(f), mean.astype(f), invstd.astype(f))
        return tuple(r.astype(x.dtype) for r in res)  # type: ignore[return-value]
    n, c = x.shape[0], x.shape[1]
    size = math.prod(x.shape[2:])
    wc = None if w is None else _c(w, x.dtype)
    gx, gw, gb = fn(_c(g, x.dtype), _c(x), wc, _c(mean, x.dtype), _c(invstd, x.dtype), n, c,
                    size)
    return gx.reshape(x.shape), gw, gb


def gelu(x: np.ndarray, approximate: str) -> np.ndarray:
    """Elementwise GELU (exact or tanh approximation)."""
    fn = _pick("gelu", x.dtype)
    if fn is None:
        return gelu(x.astype(np.float32), approximate).astype(x.dtype)
    return fn(_c(x), approximate == "tanh").reshape(x.shape)


def gelu_backward(g: np.ndarray, x: np.ndarray, approximate: str) -> np.ndarray:
    """``g * gelu'(x)``."""
    fn = _pick("gelu_backward", x.dtype)
    if fn is None:
        return gelu_backward(g.astype(np.float32), x.astype(np.float32),
                             approximate).astype(x.dtype)
    return fn(_c(g, x.dtype), _c(x), approximate == "tanh").reshape(x.shape)


def embedding_backward(g: np.ndarray, idx: np.ndarray, num: int, padding_idx: int,
                       scale: bool) -> np.ndarray:
    """Rows of ``g`` ``(n, dim)`` accumulated into a ``(num, dim)`` zero array at ``idx``."""
    fn = _pick("embedding_backward", g.dtype)
    if fn is None:
        return embedding_backward(g.astype(np.float32), idx, num, padding_idx,
                                  scale).astype(g.dtype)
    return fn(_c(g), _c(idx, np.int64), int(num), int(padding_idx), bool(scale))


KERNELS = {"linear": linear, "layer_norm": layer_norm, "batch_norm": batch_norm,
           "batch_norm_backward": batch_norm_backward, "gelu": gelu,
           "gelu_backward": gelu_backward, "embedding_backward": embedding_backward}
