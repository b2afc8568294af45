"""The pooling ops: max and average pooling over window tables, and their gradients.

Every pooling flavour is described by *window tables*, one host ``int64`` array per spatial dim:
table ``d`` has shape ``(O_d, K_d)`` and row ``o`` lists the input coordinates of output
position ``o``'s window along dim ``d``, ``-1`` marking a position outside the input
(padding, a ceil_mode overhang, or a shorter adaptive window). Four ops work from them,
each with a composite definition and an optional fused kernel per backend:

- ``pool_max(x, tables) -> (values, indices)``: window maxima (NaN wins) and their flat
  index within the input's spatial plane (int64).
- ``pool_max_backward(g, indices, input_size) -> gx``: scatter-add ``g`` at ``indices``.
- ``pool_avg(x, tables, divisors, override) -> y``: window sums divided by
  ``override`` or by the product of the per-dim divisors (``divisors[d]`` is a float64
  host array of length ``O_d``).
- ``pool_avg_backward(g, tables, divisors, override, input_size) -> gx``: its adjoint.

Kernels receive batched arrays ``(N, C, *S)``. ``pool_avg`` and ``pool_avg_backward`` are
adjoint linear maps, as are the gather by index and ``pool_max_backward``, so each backward
formula is the other op and double backward works everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import ember
from ember.ops._base import GRAD, Tensor, record

from ._utils import run

__all__ = ["pool_max", "pool_max_backward", "pool_avg", "pool_avg_backward",
           "pooling_output_size", "Tables"]

Tables = tuple[np.ndarray, ...]


# -------------------------------------------------------------------------------------
# Window tables
# -------------------------------------------------------------------------------------


def pooling_output_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's output length of a pooling window sweep (``ceil_mode`` keeps a last
    partial window only when it starts inside the input or its left padding)."""
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _sliding_table(size: int, out: int, k: int, s: int, p: int, d: int) -> np.ndarray:
    coords = np.arange(out)[:, None] * s - p + np.arange(k)[None, :] * d
    return np.where((coords >= 0) & (coords < size), coords, -1).astype(np.int64)


def _avg_divisor(size: int, out: int, k: int, s: int, p: int, include_pad: bool
                 ) -> np.ndarray:
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return (end - start).astype(np.float64)
    return (np.minimum(end, size) - np.maximum(start, 0)).astype(np.float64)


def _adaptive_table(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    o = np.arange(out)
    start = (o * size) // out
    end = -((-(o + 1) * size) // out)
    k = int((end - start).max()) if out else 0
    coords = start[:, None] + np.arange(k)[None, :]
    table = np.where(coords < end[:, None], coords, -1).astype(np.int64)
    return table, (end - start).astype(np.float64)


def _flat_index(tables: Tables, size: Sequence[int]) -> np.ndarray:
    """(L, K) flat input index of every window element; ``prod(size)`` where invalid."""
    nd = len(tables)
    total = math.prod(size)
    flat = np.zeros([1] * (2 * nd), dtype=np.int64)
    valid = np.ones([1] * (2 * nd), dtype=bool)
    stride = 1
    for d in range(nd - 1, -1, -1):
        shape = [1] * (2 * nd)
        shape[d], shape[nd + d] = tables[d].shape
        t = tables[d].reshape(shape)
        flat = flat + t * stride
        valid = valid & (t >= 0)
        stride *= size[d]
    flat = np.where(valid, flat, total)
    lsize = math.prod(t.shape[0] for t in tables)
    return np.ascontiguousarray(flat.reshape(lsize, -1))


def _divisor(divisors: Tables, override: float | None) -> np.ndarray:
    if override:
        return np.full(math.prod(len(d) for d in divisors), float(override))
    out = np.ones(1)
    for d in divisors:
        out = np.multiply.outer(out, d).reshape(-1)
    return out


# -------------------------------------------------------------------------------------
# Composite definitions
# -------------------------------------------------------------------------------------


def _const(like: Tensor, value: Any, dtype: Any = None) -> Tensor:
    return ember.tensor(value, dtype=dtype or like.dtype, device=like.device)


def _gathered(x: Tensor, tables: Tables, fill: float) -> tuple[Tensor, Tensor]:
    """``(N, C, L, K)`` window values (``fill`` outside the input) and the index table."""
    n, c = x.shape[:2]
    size = tuple(x.shape[2:])
    idx = _flat_index(tables, size)
    xf = x.reshape(n, c, -1)
    xf = ember.cat([xf, ember.full((n, c, 1), fill, dtype=x.dtype, device=x.device)], 2)
    idx_t = _const(x, idx, ember.int64)
    vals = xf.index_select(2, idx_t.reshape(-1)).reshape(n, c, idx.shape[0], idx.shape[1])
    return vals, idx_t


def _out_shape(x: Tensor, tables: Tables) -> tuple[int, ...]:
    return (*x.shape[:2], *(t.shape[0] for t in tables))


def _lowest(x: Tensor) -> float:
    if x.dtype.is_floating_point:
        return -math.inf
    return float(np.iinfo(np.dtype(str(x.dtype).split(".")[-1])).min)


def _pool_max_composite(x: Tensor, tables: Tables) -> tuple[Tensor, Tensor]:
    vals, idx_t = _gathered(x, tables, _lowest(x))
    n, c, lsize, ksize = vals.shape
    arg = vals.argmax(-1, keepdim=True)
    if x.dtype.is_floating_point:  # NaN wins, as in the kernels
        nan_first = vals.isnan().to(ember.int64).argmax(-1, keepdim=True)
        arg = ember.where(vals.isnan().any(-1, keepdim=True), nan_first, arg)
    out = vals.gather(-1, arg).reshape(_out_shape(x, tables))
    flat = idx_t.expand(n, c, lsize, ksize).gather(-1, arg)
    total = math.prod(x.shape[2:])
    flat = ember.where(flat >= total, ember.zeros_like(flat), flat)
    return out, flat.reshape(_out_shape(x, tables))


def _pool_max_backward_composite(g: Tensor, indices: Tensor, input_size: tuple[int, ...]
                                 ) -> Tensor:
    n, c = g.shape[:2]
    z = ember.zeros((n, c, math.prod(input_size)), dtype=g.dtype, device=g.device)
    return z.scatter_add(2, indices.reshape(n, c, -1), g.reshape(n, c, -1)).reshape(
        n, c, *input_size)


def _pool_avg_composite(x: Tensor, tables: Tables, divisors: Tables, override: float | None
                        ) -> Tensor:
    vals, _ = _gathered(x, tables, 0.0)
    div = _divisor(divisors, override)
    if not x.dtype.is_floating_point:  # integer division truncates, as in torch
        mean = vals.sum(-1).to(ember.float64) / _const(x, div, ember.float64)
        return mean.trunc().to(x.dtype).reshape(_out_shape(x, tables))
    return (vals.sum(-1) / _const(x, div)).reshape(_out_shape(x, tables))


def _pool_avg_backward_composite(g: Tensor, tables: Tables, divisors: Tables,
                                 override: float | None, input_size: tuple[int, ...]
                                 ) -> Tensor:
    n, c = g.shape[:2]
    idx = _flat_index(tables, input_size)
    div = _const(g, _divisor(divisors, override))
    share = (g.reshape(n, c, -1) / div).unsqueeze(-1).expand(n, c, *idx.shape)
    total = math.prod(input_size)
    z = ember.zeros((n, c, total + 1), dtype=g.dtype, device=g.device)
    idx_t = _const(g, idx, ember.int64).reshape(1, 1, -1).expand(n, c, idx.size)
    acc = z.scatter_add(2, idx_t, share.reshape(n, c, -1))
    return acc.narrow(2, 0, total).reshape(n, c, *input_size)


# -------------------------------------------------------------------------------------
# The ops and their backward formulas
# -------------------------------------------------------------------------------------


def _bw_pool_max(node: Any, g: Tensor) -> Tensor:
    (indices,) = node.saved
    return pool_max_backward(g, indices, node.attrs)


def pool_max(x: Tensor, tables: Tables) -> tuple[Tensor, Tensor]:
    """Max pooling of batched ``x`` over the windows in ``tables``: (values, indices)."""
    out, indices = run("pool_max", _pool_max_composite, x, tables)
    if x._rg and GRAD.enabled:
        record("MaxPoolWithIndicesBackward0", _bw_pool_max, (x,), out, save=(indices,),
               attrs=tuple(x.shape[2:]))
    return out, indices


def _bw_pool_max_backward(node: Any, gg: Tensor) -> tuple[Tensor | None, None]:
    (indices,) = node.saved
    n, c = indices.shape[:2]
    picked = gg.reshape(n, c, -1).gather(2, indices.reshape(n, c, -1))
    return picked.reshape(indices.shape), None


def pool_max_backward(g: Tensor, indices: Tensor, input_size: tuple[int, ...]) -> Tensor:
    """The gradient of :func:`pool_max` (a scatter-add of ``g`` at ``indices``)."""
    out = run("pool_max_backward", _pool_max_backward_composite, g, indices,
              tuple(input_size))
    if g._rg and GRAD.enabled:
        record("MaxPoolWithIndicesBackwardBackward0", _bw_pool_max_backward, (g, None), out,
               save=(indices,))
    return out


def _bw_pool_avg(node: Any, g: Tensor) -> Tensor:
    tables, divisors, override, size = node.attrs
    return pool_avg_backward(g, tables, divisors, override, size)


def pool_avg(x: Tensor, tables: Tables, divisors: Tables, override: float | None) -> Tensor:
    """Average pooling of batched ``x`` over the windows in ``tables``."""
    out = run("pool_avg", _pool_avg_composite, x, tables, divisors, override)
    if x._rg and GRAD.enabled:
        record("AvgPoolBackward0", _bw_pool_avg, (x,), out,
               attrs=(tables, divisors, override, tuple(x.shape[2:])))
    return out


def _bw_pool_avg_backward(node: Any, gg: Tensor) -> Tensor:
    tables, divisors, override = node.attrs
    return pool_avg(gg, tables, divisors, override)


def pool_avg_backward(g: Tensor, tables: Tables, divisors: Tables, override: float | None,
                      input_size: tuple[int, ...]) -> Tensor:
    """The gradient of :func:`pool_avg`: each output's gradient spread over its window."""
    out = run("pool_avg_backward", _pool_avg_backward_composite, g, tables, divisors,
              override, tuple(input_size))
    if g._rg and GRAD.enabled:
        record("AvgPoolBackwardBackward0", _bw_pool_avg_backward, (g,), out,
               attrs=(tables, divisors, override))
    return out
