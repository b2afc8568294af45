"""Fused convolution kernels: forward, input gradient and weight gradient.

C++ im2col/col2im (OpenMP) lay out the windows of a chunk of samples as matrices, and the
BLAS under numpy's matmul does the products. Arrays of 1, 2 or 3 spatial dims are viewed
as 3-D (leading size-1 dims) so one C++ kernel pair serves all of them. Signatures are
those documented in ``ember_conv.ops.conv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _native

# Samples per chunk are chosen so that one chunk's column matrix holds about this many
# elements (64 MiB in float32): big products for the BLAS, bounded memory.
_CHUNK_ELEMS = 1 << 24


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
                 padding: Sequence[int], dilation: Sequence[int]) -> None:
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
        """(nb, C*K, L) windows of samples n0 .. n0+nb of the 5-D input."""
        if self.pointwise:
            return x5[n0:n0 + nb].reshape(nb, x5.shape[1], self.L)
        return _native_fn("im2col", x5.dtype)(x5, n0, nb, self.k3, self.s3, self.p3,
                                              self.d3, self.out3)

    def add_cols(self, cols: np.ndarray, dx5: np.ndarray, n0: int) -> None:
        """Add (nb, C*K, L) columns back into samples n0 .. of the 5-D gradient ``dx5``."""
        if self.pointwise:
            nb = cols.shape[0]
            dx5[n0:n0 + nb] += cols.reshape(dx5[n0:n0 + nb].shape)
            return
        _native_fn("col2im", dx5.dtype)(np.ascontiguousarray(cols), dx5, n0, self.k3,
                                        self.s3, self.p3, self.d3, self.out3)


def _promote(*arrays: np.ndarray | None) -> tuple[Any, np.dtype]:
    """Arrays as contiguous float32/float64 (half precision computes in float32)."""
    dtype = arrays[0].dtype  # type: ignore[union-attr]
    work = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)
    out = tuple(None if a is None else np.ascontiguousarray(a, dtype=work) for a in arrays)
    return out, dtype


def _to5(a: np.ndarray, nd: int) -> np.ndarray:
    return a.reshape(a.shape[:2] + (1,) * (3 - nd) + a.shape[2:])


def convolution(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Sequence[int],
                padding: Sequence[int], dilation: Sequence[int], groups: int) -> np.ndarray:
    """y = conv(x, w) + b for batched x (N, C, *S) and w (Cout, C/groups, *k)."""
    (x, w, b), dtype = _promote(x, w, b)
    n, c = x.shape[:2]
    cout = w.shape[0]
    geo = _Geom(x.shape[2:], w.shape[2:], stride, padding, dilation)
    cg, og = c // groups, cout // groups
    wm = w.reshape(groups, og, cg * geo.K)
    out = np.empty((n, groups, og, geo.L), dtype=x.dtype)
    x5 = _to5(x, geo.nd)
    step = geo.chunk(n, c * geo.K)
    for n0 in range(0, n, step):
        nb = min(step, n - n0)
        cols = geo.cols(x5, n0, nb).reshape(nb, groups, cg * geo.K, geo.L)
        np.matmul(wm, cols, out=out[n0:n0 + nb])
    if b is not None:
        out += b.reshape(1, groups, og, 1)
    return out.reshape((n, cout, *geo.out)).astype(dtype, copy=False)


def conv_input_grad(g: np.ndarray, w: np.ndarray, input_size: Sequence[int],
                    stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int],
                    groups: int) -> np.ndarray:
    """dx of y = conv(x, w): g (N, Cout, *O), w (Cout, C/groups, *k) -> (N, C, *input_size)."""
    (g, w), dtype = _promote(g, w)
    n, cout = g.shape[:2]
    cg = w.shape[1]
    c, og = cg * groups, cout // groups
    geo = _Geom(input_size, w.shape[2:], stride, padding, dilation)
    wt = w.reshape(groups, og, cg * geo.K).transpose(0, 2, 1)
    gm = g.reshape(n, groups, og, geo.L)
    dx = np.zeros((n, c, *input_size), dtype=g.dtype)
    dx5 = _to5(dx, geo.nd)
    step = geo.chunk(n, c * geo.K)
    for n0 in range(0, n, step):
        nb = min(step, n - n0)
        cols = np.matmul(wt, gm[n0:n0 + nb])
        geo.add_cols(cols.reshape(nb, c * geo.K, geo.L), dx5, n0)
    return dx.astype(dtype, copy=False)


def conv_weight_grad(x: np.ndarray, g: np.ndarray, weight_size: Sequence[int],
                     stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int],
                     groups: int) -> np.ndarray:
    """dw of y = conv(x, w): x (N, C, *S), g (N, Cout, *O) -> (Cout, C/groups, *k)."""
    (x, g), dtype = _promote(x, g)
    n, c = x.shape[:2]
    cout = g.shape[1]
    cg, og = c // groups, cout // groups
    geo = _Geom(x.shape[2:], weight_size[2:], stride, padding, dilation)
    gm = g.reshape(n, groups, og, geo.L)
    dw = np.zeros((groups, og, cg * geo.K), dtype=x.dtype)
    x5 = _to5(x, geo.nd)
    step = geo.chunk(n, c * geo.K)
    for n0 in range(0, n, step):
        nb = min(step, n - n0)
        cols = geo.cols(x5, n0, nb).reshape(nb, groups, cg * geo.K, geo.L)
        part = np.matmul(gm[n0:n0 + nb], cols.transpose(0, 1, 3, 2))
        dw += part.sum(0)
    return dw.reshape(tuple(weight_size)).astype(dtype, copy=False)


KERNELS = {"convolution": convolution, "conv_input_grad": conv_input_grad,
           "conv_weight_grad": conv_weight_grad}


def im2col(x: np.ndarray, kernel_size: Sequence[int], stride: Sequence[int],
           padding: Sequence[int], dilation: Sequence[int]) -> np.ndarray:
    """Sliding blocks of x (N, C, *S) as columns: (N, C * prod(k), L)."""
    (x,), dtype = _promote(x)
    geo = _Geom(x.shape[2:], kernel_size, stride, padding, dilation)
    cols = geo.cols(_to5(x, geo.nd), 0, x.shape[0])
    return np.ascontiguousarray(cols).astype(dtype, copy=False)


def col2im(cols: np.ndarray, output_size: Sequence[int], kernel_size: Sequence[int],
           stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int]
           ) -> np.ndarray:
    """The adjoint of :func:`im2col`: sum columns (N, C * prod(k), L) into (N, C, *size)."""
    (cols,), dtype = _promote(cols)
    geo = _Geom(output_size, kernel_size, stride, padding, dilation)
    n = cols.shape[0]
    c = cols.shape[1] // geo.K
    dx = np.zeros((n, c, *output_size), dtype=cols.dtype)
    geo.add_cols(cols, _to5(dx, geo.nd), 0)
    return dx.astype(dtype, copy=False)


KERNELS.update({"im2col": im2col, "col2im": col2im})
