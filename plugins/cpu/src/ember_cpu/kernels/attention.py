"""Fused scaled-dot-product attention (forward and backward) for the cpu backend.

The op (ember-transformer) hands over arrays whose batch dims broadcast; the kernels
flatten them to ``(B, L, E)`` stacks and work through the stack in chunks. Each chunk does
its two batched products, the masked softmax and the dropout scaling. With numpy's BLAS
handed to the C++ kernels (``ember_cpu._blas``), float32/float64 stacks run in C++: OpenMP
threads take (batch, head) items and each item's products are single-threaded gemm calls.
Otherwise numpy does the work, in place where it can, and large stacks are split over a
pool of Python threads running single-threaded BLAS (many small GEMMs are slow with a
multithreaded BLAS).

Forward:  ``P = softmax(Q K^T * scale + bias)`` (all-masked rows give 0),
``O = (P * keep) V``. Backward: ``dV = (P keep)^T dO``, ``dP = (dO V^T) keep``,
``dS = P (dP - rowsum(dP P))``, ``dQ = dS K scale``, ``dK = dS^T Q scale``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ember._threads import get_num_threads

from .. import _native
from .conv import NATIVE, _executor, _single_threaded_blas

#: below this many multiply-adds the whole stack runs on the calling thread
_PARALLEL_MIN_MACS = 1 << 22


def _flat(a: np.ndarray | None, batch: tuple[int, ...], tail: tuple[int, ...]
          ) -> np.ndarray | None:
    if a is None:
        return None
    n = math.prod(batch)
    return np.ascontiguousarray(np.broadcast_to(a, batch + tail)).reshape((n,) + tail)


def _chunks(n: int, macs: int, fn: Callable[[slice], None]) -> None:
    workers = min(get_num_threads(), n)
    if workers <= 1 or macs < _PARALLEL_MIN_MACS:
        fn(slice(0, n))
        return
    step = -(-n // workers)
    parts = [slice(i, min(i + step, n)) for i in range(0, n, step)]
    with _single_threaded_blas():
        list(_executor(workers).map(fn, parts))


def _compute_dtype(*arrays: np.ndarray | None) -> Any:
    dt = arrays[0].dtype  # type: ignore[union-attr]
    return dt if dt in (np.float32, np.float64) else np.dtype(np.float32)


def scaled_dot_product_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray,
                                 bias: np.ndarray | None, keep: np.ndarray | None,
                                 scale: float) -> tuple[np.ndarray, np.ndarray]:
    """``(out, probs)``: ``out`` ``(*batch, L, Ev)`` and the attention probabilities
    ``(*batch, L, S)`` (before dropout), ``batch`` the broadcast of the inputs' batch dims."""
    L, E, S, Ev = q.shape[-2], q.shape[-1], k.shape[-2], v.shape[-1]
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    dt = _compute_dtype(q)
    q3, k3, v3 = (_flat(a.astype(dt, copy=False), batch, a.shape[-2:]) for a in (q, k, v))
    b3 = None if bias is None else _flat(bias.astype(dt, copy=False), batch, (L, S))
    m3 = None if keep is None else _flat(keep.astype(dt, copy=False), batch, (L, S))
    n = q3.shape[0]  # type: ignore[union-attr]
    out_shape, p_shape = batch + (L, Ev), batch + (L, S)
    if NATIVE["on"]:
        fn = _native.sdpa_f32 if dt == np.float32 else _native.sdpa_f64
        out, probs = fn(q3, k3, v3, b3, m3, float(scale))
        return (out.reshape(out_shape).astype(q.dtype, copy=False),
                probs.reshape(p_shape).astype(q.dtype, copy=False))
    probs = np.empty((n, L, S), dt)
    out = np.empty((n, L, Ev), dt)

    def run(sl: slice) -> None:
        s = probs[sl]
        np.matmul(q3[sl], k3[sl].swapaxes(-1, -2), out=s)  # type: ignore[index]
        s *= scale
        if b3 is not None:
            s += b3[sl]
        top = s.max(-1, keepdims=True, initial=-np.inf)
        top[~np.isfinite(top)] = 0.0  # all-masked rows: exp(-inf) = 0 below
        s -= top
        np.exp(s, out=s)
        den = s.sum(-1, keepdims=True)
        np.divide(s, den, out=s, where=den > 0)
        pd = s if m3 is None else s * m3[sl]
        np.matmul(pd, v3[sl], out=out[sl])  # type: ignore[index]

    _chunks(n, n * L * S * (E + Ev), run)
    return (out.reshape(out_shape).astype(q.dtype, copy=False),
            probs.reshape(p_shape).astype(q.dtype, copy=False))


def _backward_items(g3: Any, q3: Any, k3: Any, v3: Any, p3: Any, m3: Any, scale: float,
                    dq: np.ndarray, dk: np.ndarray, dv: np.ndarray,
                    ds_all: np.ndarray | None) -> Callable[[slice], None]:
    """The numpy backward of a slice of the stack, writing into ``dq``, ``dk``, ``dv`` (and
    ``ds_all``)."""

    def run(sl: slice) -> None:
        pp = p3[sl]
        pd = pp if m3 is None else pp * m3[sl]
        gg = g3[sl]
        np.matmul(pd.swapaxes(-1, -2), gg, out=dv[sl])
        ds = np.matmul(gg, v3[sl].swapaxes(-1, -2))
        if m3 is not None:
            ds *= m3[sl]
        ds -= (ds * pp).sum(-1, keepdims=True)
        ds *= pp
        if ds_all is not None:
            ds_all[sl] = ds
        ds *= scale
        np.matmul(ds, k3[sl], out=dq[sl])
        np.matmul(ds.swapaxes(-1, -2), q3[sl], out=dk[sl])

    return run


def scaled_dot_product_attention_backward(
        g: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray, p: np.ndarray,
        keep: np.ndarray | None, scale: float, want_scores: bool
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """``(dq, dk, dv, dscores)`` over the full broadcast batch (the op sums them down to
    the inputs' shapes); ``dscores`` (the bias gradient) only when ``want_scores``."""
    L, E, S, Ev = q.shape[-2], q.shape[-1], k.shape[-2], v.shape[-1]
    batch = tuple(p.shape[:-2])
    dt = _compute_dtype(q)
    q3, k3, v3 = (_flat(a.astype(dt, copy=False), batch, a.shape[-2:]) for a in (q, k, v))
    g3 = _flat(g.astype(dt, copy=False), batch, (L, Ev))
    p3 = _flat(p.astype(dt, copy=False), batch, (L, S))
    m3 = None if keep is None else _flat(keep.astype(dt, copy=False), batch, (L, S))
    n = p3.shape[0]  # type: ignore[union-attr]
    if NATIVE["on"]:
        fn = _native.sdpa_backward_f32 if dt == np.float32 else _native.sdpa_backward_f64
        dq, dk, dv, ds_all = fn(g3, q3, k3, v3, p3, m3, float(scale), bool(want_scores))
    else:
        dq, dk, dv = np.empty((n, L, E), dt), np.empty((n, S, E), dt), np.empty((n, S, Ev), dt)
        ds_all = np.empty((n, L, S), dt) if want_scores else None
        _chunks(n, n * L * S * (2 * E + 2 * Ev),
                _backward_items(g3, q3, k3, v3, p3, m3, scale, dq, dk, dv, ds_all))
    res = (dq.reshape(batch + (L, E)), dk.reshape(batch + (S, E)),
           dv.reshape(batch + (S, Ev)))
    dsr = None if ds_all is None else ds_all.reshape(batch + (L, S)).astype(q.dtype,
                                                                           copy=False)
    return (*(r.astype(q.dtype, copy=False) for r in res), dsr)  # type: ignore[return-value]


KERNELS = {"scaled_dot_product_attention": scaled_dot_product_attention,
           "scaled_dot_product_attention_backward": scaled_dot_product_attention_backward}
