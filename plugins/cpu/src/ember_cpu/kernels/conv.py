"""Fused convolution kernels: forward, input gradient and weight gradient.

Where the C++ kernels were handed numpy's BLAS (see ``ember_cpu._blas``), each of the three
is one C++ call: OpenMP threads lay out the windows of cache-sized blocks of output rows
and multiply them with single-threaded gemm calls. Otherwise C++ im2col/col2im lay out the
windows of chunks of samples and numpy's matmul does the products. Arrays of 1, 2 or 3
spatial dims are viewed as 3-D (leading size-1 dims) so one set of C++ kernels serves all
of them. Signatures are those documented in ``ember_conv.ops.conv``.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ember._threads import get_num_threads

from .. import _blas, _native

# Whether the whole-convolution C++ kernels run (tests turn it off to cover the other path).
NATIVE = {"on": _blas.INFO is not None}

# Samples per chunk are chosen so that one chunk's column matrix holds about this many
# elements (16 MiB in float32): products big enough for the BLAS, while the buffers stay
# below the allocator's mmap threshold and are reused instead of faulted in afresh.
_CHUNK_ELEMS = 1 << 22


# Below this many multiply-adds a convolution runs on the calling thread (with the BLAS's
# own threads); above it, chunks of samples run on a pool of Python threads, each doing
# its im2col/col2im and single-threaded products (no two spinning thread pools at once).
_PARALLEL_MIN_MACS = 1 << 24

_POOL: dict[str, Any] = {"executor": None, "workers": 0, "pid": 0, "blas": None}
_POOL_LOCK = threading.Lock()


def _executor(workers: int) -> ThreadPoolExecutor:
    """The shared pool of ``workers`` threads (rebuilt in a forked child, whose copy of
    the parent's pool has no threads behind it)."""
    with _POOL_LOCK:
        pid = os.getpid()
        if _POOL["workers"] != workers or _POOL["pid"] != pid:
            if _POOL["executor"] is not None and _POOL["pid"] == pid:
                _POOL["executor"].shutdown(wait=False)
            _POOL["executor"] = ThreadPoolExecutor(workers, thread_name_prefix="ember-conv")
            _POOL["workers"] = workers
            _POOL["pid"] = pid
        return _POOL["executor"]


def _single_threaded_blas() -> Any:
    """A context manager limiting the BLAS under numpy to one thread."""
    if _POOL["blas"] is None:
        from threadpoolctl import ThreadpoolController

        _POOL["blas"] = ThreadpoolController()
    return _POOL["blas"].limit(limits=1, user_api="blas")


def _over_chunks(n: int, step: int, macs: int, fn: Callable[[int, int], Any]) -> list[Any]:
    """``fn(n0, nb)`` for every chunk of ``step`` samples; in parallel when worthwhile.

    Returns the results in chunk order.
    """
    workers = min(get_num_threads(), n)
    if workers <= 1 or macs < _PARALLEL_MIN_MACS:
        return [fn(n0, min(step, n - n0)) for n0 in range(0, n, step)]
    step = min(step, -(-n // workers))
    chunks = [(n0, min(step, n - n0)) for n0 in range(0, n, step)]
    with _single_threaded_blas():
        return list(_executor(workers).map(lambda c: fn(*c), chunks))


def _native_fn(name: str, dtype: np.dtype) -> Any:
    return getattr(_native, f"{name}_{'f32' if dtype == np.float32 else 'f64'}")


def _as3(vals: Sequence[int], fill: int) -> list[int]:
    return [fill] * (3 - len(vals)) + [int(v) for v in vals]


def _out_size(size: Sequence[int], k: Sequence[int], s: Sequence[int], p: Sequence[int],
              d: Sequence[int]) -> list[int]:
    return [(i + 2 * pp - dd * (kk - 1) - 1) // ss + 1
            for i, kk, ss, pp, dd in zip(size, k, s, p, d, strict=True)]


class _Geom:
    """The 3-D geometry of one convolution (kernel, stride, padding, dilation, sizes)."""

    def __init__(self, in_size: Sequence[int], k: Sequence[int], stride: Sequence[int],
                 padding: Sequence[int], dilation: Sequence[int], threads: int = 1) -> None:
        # threads: OpenMP threads for im2col/col2im; 1 next to BLAS products (whose own
        # pool would otherwise compete for the cores), 0 (the default pool) elsewhere.
        self.threads = threads
        self.nd = len(k)
        self.in3 = _as3(in_size, 1)
        self.k3 = _as3(k, 1)
        self.s3 = _as3(stride, 1)
        self.p3 = _as3(padding, 0)
        self.d3 = _as3(dilation, 1)
        self.out = _out_size(in_size, k, stride, padding, dilation)
        self.out3 = _as3(self.out, 1)
        self.K = int(np.prod(k))
        self.L = int(np.prod(self.out))
        self.pointwise = (self.K == 1 and all(v == 1 for v in self.s3)
                          and all(v == 0 for v in self.p3))

    def chunk(self, n: int, rows: int) -> int:
        return max(1, min(n, _CHUNK_ELEMS // max(1, rows * self.L)))

    def cols(self, x5: np.ndarray, n0: int, nb: int) -> np.ndarray:
        """(C*K, nb*L) windows of samples n0 .. n0+nb of the 5-D input."""
        if self.pointwise:
            part = x5[n0:n0 + nb].reshape(nb, x5.shape[1], self.L)
            return np.ascontiguousarray(part.transpose(1, 0, 2)).reshape(x5.shape[1], -1)
        return _native_fn("im2col", x5.dtype)(x5, n0, nb, self.k3, self.s3, self.p3,
                                              self.d3, self.out3, self.threads)

    def add_cols(self, cols: np.ndarray, dx5: np.ndarray, n0: int) -> None:
        """Add (C*K, nb*L) columns back into samples n0 .. of the 5-D gradient ``dx5``."""
        nb = cols.shape[1] // self.L
        if self.pointwise:
            part = cols.reshape(dx5.shape[1], nb, self.L).transpose(1, 0, 2)
            dx5[n0:n0 + nb] += part.reshape(dx5[n0:n0 + nb].shape)
            return
        _native_fn("col2im", dx5.dtype)(np.ascontiguousarray(cols), dx5, n0, self.k3,
                                        self.s3, self.p3, self.d3, self.out3, self.threads)


def _by_sample(m: np.ndarray, nb: int, L: int) -> np.ndarray:
    """(rows, nb*L) -> (nb, rows, L) (a view)."""
    return m.reshape(m.shape[0], nb, L).transpose(1, 0, 2)


def _by_row(a: np.ndarray) -> np.ndarray:
    """(nb, rows, L) -> (rows, nb*L) (a copy)."""
    return np.ascontiguousarray(a.transpose(1, 0, 2)).reshape(a.shape[1], -1)


def _work_dtype(dtype: np.dtype) -> np.dtype:
    if dtype in (np.float32, np.float64):
        return dtype
    return np.dtype(np.float64 if dtype.kind in "iub" else np.float32)


def _promote(*arrays: np.ndarray | None) -> tuple[Any, np.dtype]:
    """Arrays as contiguous float32/float64: half precision computes in float32, integers
    in float64 (exact below 2**53; results are cast back, truncating like torch)."""
    dtype = arrays[0].dtype  # type: ignore[union-attr]
    work = _work_dtype(dtype)
    out = tuple(None if a is None else np.ascontiguousarray(a, dtype=work) for a in arrays)
    return out, dtype


def _rows(w: np.ndarray) -> np.ndarray:
    """The weight (Cout, C/groups, *k) as a (Cout, C/groups * K) matrix (a view)."""
    return w.reshape(w.shape[0], math.prod(w.shape[1:]))


def _to5(a: np.ndarray, nd: int) -> np.ndarray:
    return a.reshape(a.shape[:2] + (1,) * (3 - nd) + a.shape[2:])


def convolution(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Sequence[int],
                padding: Sequence[int], dilation: Sequence[int], groups: int) -> np.ndarray:
    """``y = conv(x, w) + b`` for batched ``x`` ``(N, C, *S)`` and ``w``
    ``(Cout, C/groups, *k)``."""
    (x, w, b), dtype = _promote(x, w, b)
    n, c = x.shape[:2]
    cout = w.shape[0]
    geo = _Geom(x.shape[2:], w.shape[2:], stride, padding, dilation)
    if NATIVE["on"]:
        out = _native_fn("conv_forward", x.dtype)(_to5(x, geo.nd), _rows(w), b,
                                                   geo.k3, geo.s3, geo.p3, geo.d3, geo.out3,
                                                   groups)
        return out.reshape((n, cout, *geo.out)).astype(dtype, copy=False)
    cg, og = c // groups, cout // groups
    rows = cg * geo.K
    wm = w.reshape(groups, og, rows)
    out = np.empty((n, cout, geo.L), dtype=x.dtype)
    x5 = _to5(x, geo.nd)

    def chunk(n0: int, nb: int) -> None:
        cols = geo.cols(x5, n0, nb)
        for g in range(groups):
            # one product per sample written straight into the output (no transposing
            # copy of a (og, nb*L) result; the per-sample blocks are strided views)
            np.matmul(wm[g], _by_sample(cols[g * rows:(g + 1) * rows], nb, geo.L),
                      out=out[n0:n0 + nb, g * og:(g + 1) * og])

    _over_chunks(n, geo.chunk(n, c * geo.K), n * cout * rows * geo.L, chunk)
    if b is not None:
        out += b.reshape(1, cout, 1)
    return out.reshape((n, cout, *geo.out)).astype(dtype, copy=False)


def conv_input_grad(g: np.ndarray, w: np.ndarray, input_size: Sequence[int],
                    stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int],
                    groups: int) -> np.ndarray:
    """``dx`` of ``y = conv(x, w)``: ``g`` ``(N, Cout, *O)``, ``w`` ``(Cout, C/groups, *k)`` ->
    ``(N, C, *input_size)``."""
    (g, w), dtype = _promote(g, w)
    n, cout = g.shape[:2]
    cg = w.shape[1]
    c, og = cg * groups, cout // groups
    geo = _Geom(input_size, w.shape[2:], stride, padding, dilation)
    if NATIVE["on"]:
        dx = _native_fn("conv_input_grad", g.dtype)(
            g.reshape(n, cout, geo.L), _rows(w), _as3(input_size, 1), geo.k3,
            geo.s3, geo.p3, geo.d3, geo.out3, groups)
        return dx.reshape((n, c, *input_size)).astype(dtype, copy=False)
    rows = cg * geo.K
    wt = w.reshape(groups, og, rows).transpose(0, 2, 1)
    gm = g.reshape(n, cout, geo.L)
    dx = np.zeros((n, c, *input_size), dtype=g.dtype)
    dx5 = _to5(dx, geo.nd)

    def chunk(n0: int, nb: int) -> None:
        gb = _by_row(gm[n0:n0 + nb])
        cols = np.empty((c * geo.K, nb * geo.L), dtype=g.dtype)
        for gi in range(groups):
            np.matmul(wt[gi], gb[gi * og:(gi + 1) * og], out=cols[gi * rows:(gi + 1) * rows])
        geo.add_cols(cols, dx5, n0)

    _over_chunks(n, geo.chunk(n, c * geo.K), n * cout * rows * geo.L, chunk)
    return dx.astype(dtype, copy=False)


def conv_weight_grad(x: np.ndarray, g: np.ndarray, weight_size: Sequence[int],
                     stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int],
                     groups: int) -> np.ndarray:
    """``dw`` of ``y = conv(x, w)``: ``x`` ``(N, C, *S)``, ``g`` ``(N, Cout, *O)`` ->
    ``(Cout, C/groups, *k)``."""
    (x, g), dtype = _promote(x, g)
    n, c = x.shape[:2]
    cout = g.shape[1]
    cg, og = c // groups, cout // groups
    geo = _Geom(x.shape[2:], weight_size[2:], stride, padding, dilation)
    if NATIVE["on"]:
        dw = _native_fn("conv_weight_grad", x.dtype)(
            _to5(x, geo.nd), g.reshape(n, cout, geo.L), geo.k3, geo.s3, geo.p3, geo.d3,
            geo.out3, groups)
        return dw.reshape(tuple(weight_size)).astype(dtype, copy=False)
    rows = cg * geo.K
    gm = g.reshape(n, cout, geo.L)
    dw = np.zeros((groups, og, rows), dtype=x.dtype)
    x5 = _to5(x, geo.nd)

    def chunk(n0: int, nb: int) -> np.ndarray:
        part = np.empty((groups, og, rows), dtype=x.dtype)
        cols = geo.cols(x5, n0, nb)
        gb = _by_row(gm[n0:n0 + nb])
        for gi in range(groups):
            # (rows, nb*L) @ (nb*L, og) is the fast orientation for the BLAS here
            part[gi] = (cols[gi * rows:(gi + 1) * rows] @ gb[gi * og:(gi + 1) * og].T).T
        return part

    for part in _over_chunks(n, geo.chunk(n, c * geo.K), n * cout * rows * geo.L, chunk):
        dw += part
    return dw.reshape(tuple(weight_size)).astype(dtype, copy=False)


KERNELS = {"convolution": convolution, "conv_input_grad": conv_input_grad,
           "conv_weight_grad": conv_weight_grad}


def im2col(x: np.ndarray, kernel_size: Sequence[int], stride: Sequence[int],
           padding: Sequence[int], dilation: Sequence[int]) -> np.ndarray:
    """Sliding blocks of ``x`` ``(N, C, *S)`` as columns: ``(N, C * prod(k), L)``."""
    (x,), dtype = _promote(x)
    geo = _Geom(x.shape[2:], kernel_size, stride, padding, dilation, threads=0)
    cols = geo.cols(_to5(x, geo.nd), 0, x.shape[0])
    return np.ascontiguousarray(_by_sample(cols, x.shape[0], geo.L)).astype(dtype, copy=False)


def col2im(cols: np.ndarray, output_size: Sequence[int], kernel_size: Sequence[int],
           stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int]
           ) -> np.ndarray:
    """The adjoint of ``im2col``: sum columns ``(N, C * prod(k), L)`` into ``(N, C, *size)``."""
    (cols,), dtype = _promote(cols)
    geo = _Geom(output_size, kernel_size, stride, padding, dilation, threads=0)
    n = cols.shape[0]
    c = cols.shape[1] // geo.K
    dx = np.zeros((n, c, *output_size), dtype=cols.dtype)
    if n:
        geo.add_cols(_by_row(cols), _to5(dx, geo.nd), 0)
    return dx.astype(dtype, copy=False)


KERNELS.update({"im2col": im2col, "col2im": col2im})
