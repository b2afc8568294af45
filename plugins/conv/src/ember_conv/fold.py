"""``F.unfold`` (im2col) and ``F.fold`` (col2im), built on two adjoint ops:

- ``im2col(x, kernel_size, stride, padding, dilation) -> (N, C * prod(k), L)``: every
  sliding block of the zero-padded batched input ``(N, C, *S)`` as a column, channels
  outermost within a column;
- ``col2im(cols, output_size, kernel_size, stride, padding, dilation) -> (N, C, *size)``:
  the sum of every column back into the positions it came from.

Each is the other's backward formula, so double backward works on every backend. Both
have composite definitions (an index gather / scatter-add) and optional fused kernels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import ember
from ember.ops._base import GRAD, Tensor, record

from ._utils import fmt_shape, run
from .pool_ops import _flat_index, _gathered, _sliding_table

__all__ = ["unfold", "fold", "im2col", "col2im"]

Ints = tuple[int, ...]


def _tables(size: Sequence[int], k: Ints, s: Ints, p: Ints, d: Ints) -> tuple[Any, ...]:
    out = [(i + 2 * pp - dd * (kk - 1) - 1) // ss + 1
           for i, kk, ss, pp, dd in zip(size, k, s, p, d, strict=True)]
    return tuple(_sliding_table(i, o, kk, ss, pp, dd)
                 for i, o, kk, ss, pp, dd in zip(size, out, k, s, p, d, strict=True))


def _im2col_composite(x: Tensor, k: Ints, s: Ints, p: Ints, d: Ints) -> Tensor:
    n, c = x.shape[:2]
    vals, _ = _gathered(x, _tables(x.shape[2:], k, s, p, d), 0.0)  # (N, C, L, K)
    return vals.permute(0, 1, 3, 2).reshape(n, c * math.prod(k), -1)


def _col2im_composite(cols: Tensor, size: Ints, k: Ints, s: Ints, p: Ints, d: Ints) -> Tensor:
    n = cols.shape[0]
    ksize = math.prod(k)
    c = cols.shape[1] // ksize
    idx = _flat_index(_tables(size, k, s, p, d), size).T  # (K, L), prod(size) if padding
    total = math.prod(size)
    idx_t = ember.tensor(idx.copy(), device=cols.device).reshape(1, 1, -1).expand(
        n, c, idx.size)
    z = ember.zeros((n, c, total + 1), dtype=cols.dtype, device=cols.device)
    acc = z.scatter_add(2, idx_t, cols.reshape(n, c, -1))
    return acc.narrow(2, 0, total).reshape(n, c, *size)


def _bw_im2col(node: Any, g: Tensor) -> Tensor:
    size, k, s, p, d = node.attrs
    return col2im(g, size, k, s, p, d)


def im2col(x: Tensor, k: Ints, s: Ints, p: Ints, d: Ints) -> Tensor:
    """The im2col op on a batched input (see the module docstring)."""
    out = run("im2col", _im2col_composite, x, k, s, p, d)
    if x._rg and GRAD.enabled:
        record("Im2ColBackward0", _bw_im2col, (x,), out, attrs=(tuple(x.shape[2:]), k, s, p, d))
    return out


def _bw_col2im(node: Any, g: Tensor) -> Tensor:
    return im2col(g, *node.attrs)


def col2im(cols: Tensor, size: Ints, k: Ints, s: Ints, p: Ints, d: Ints) -> Tensor:
    """The col2im op: the adjoint of :func:`im2col`."""
    out = run("col2im", _col2im_composite, cols, tuple(size), k, s, p, d)
    if cols._rg and GRAD.enabled:
        record("Col2ImBackward0", _bw_col2im, (cols,), out, attrs=(k, s, p, d))
    return out


def _pair(op: str, name: str, v: Any) -> Ints:
    if isinstance(v, (list, tuple)):
        if len(v) != 2:
            raise RuntimeError(f"[{op}] {name} must be an int or a pair of ints, got {list(v)}")
        return (int(v[0]), int(v[1]))
    return (int(v), int(v))


def _check(op: str, k: Ints, s: Ints, p: Ints, d: Ints) -> None:
    if any(v <= 0 for v in k):
        raise RuntimeError(f"[{op}] kernel size should be greater than zero, but got "
                           f"kernel_size={list(k)}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"[{op}] stride should be greater than zero, but got stride="
                           f"{list(s)}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"[{op}] dilation should be greater than zero, but got dilation="
                           f"{list(d)}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"[{op}] padding should be non-negative, but got padding={list(p)}")


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
           stride: Any = 1) -> Tensor:
    """Extract sliding blocks of a zero-padded image as columns (im2col).

    Column ``l`` holds block ``l`` (row-major over block positions), with entries
    ordered by channel, then kernel row, then kernel column.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        kernel_size: block size (int or pair).
        dilation, padding, stride: as in :func:`ember.nn.functional.conv2d`.

    Returns:
        ``(N, C * kH * kW, L)`` with ``L`` the number of blocks.

    >>> import ember
    >>> ember.nn.functional.unfold(ember.arange(4.).reshape(1, 1, 2, 2), 1).tolist()
    [[[0.0, 1.0, 2.0, 3.0]]]
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(f"[unfold] Expected 3D or 4D (batch mode) tensor with possibly 0 "
                           f"batch size and other non-zero dimensions for input, but got: "
                           f"{fmt_shape(input.shape)}")
    k, d = _pair("unfold", "kernel_size", kernel_size), _pair("unfold", "dilation", dilation)
    p, s = _pair("unfold", "padding", padding), _pair("unfold", "stride", stride)
    _check("unfold", k, s, p, d)
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    padded = [x.shape[2 + i] + 2 * p[i] for i in range(2)]
    if any(padded[i] < d[i] * (k[i] - 1) + 1 for i in range(2)):
        raise RuntimeError(f"[unfold] Given input with spatial size ({x.shape[2]}, "
                           f"{x.shape[3]}), kernel_size={k}, dilation={d}, padding={p}, "
                           "calculated shape of the array of sliding blocks is non-positive")
    out = im2col(x, k, s, p, d)
    return out.squeeze(0) if unbatched else out


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1,  # noqa: A002
         padding: Any = 0, stride: Any = 1) -> Tensor:
    """Sum columns of sliding blocks back into an image (col2im): the adjoint of
    :func:`unfold`; overlapping entries add up.

    Args:
        input: ``(N, C * kH * kW, L)`` or ``(C * kH * kW, L)``.
        output_size: the image size ``(H, W)``.
        kernel_size, dilation, padding, stride: those of the matching unfold.

    Returns:
        ``(N, C, H, W)``.

    >>> import ember
    >>> ember.nn.functional.fold(ember.ones(1, 1, 4), (2, 2), 1).tolist()
    [[[[1.0, 1.0], [1.0, 1.0]]]]
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(f"[fold] Expected 2D or 3D (batch mode) tensor for input with "
                           f"possibly 0 batch size and non-zero dimensions for input, but got: "
                           f"{fmt_shape(input.shape)}")
    size = _pair("fold", "output_size", output_size)
    k, d = _pair("fold", "kernel_size", kernel_size), _pair("fold", "dilation", dilation)
    p, s = _pair("fold", "padding", padding), _pair("fold", "stride", stride)
    _check("fold", k, s, p, d)
    unbatched = input.ndim == 2
    cols = input.unsqueeze(0) if unbatched else input
    ksize = k[0] * k[1]
    if cols.shape[1] % ksize:
        raise RuntimeError(f"[fold] Expected size of input's dimension 1 to be divisible by "
                           f"the product of kernel_size, but got input.size(1)={cols.shape[1]}"
                           f" and kernel_size={k}")
    blocks = [(size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
    if blocks[0] < 1 or blocks[1] < 1 or cols.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(f"[fold] Given output_size={size}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {blocks[0]} * "
                           f"{blocks[1]} = {blocks[0] * blocks[1]}, but got "
                           f"input.size(2)={cols.shape[2]}.")
    out = col2im(cols, size, k, s, p, d)
    return out.squeeze(0) if unbatched else out
