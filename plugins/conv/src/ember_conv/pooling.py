"""Pooling: max, average, adaptive, power-average (LP) pooling and max-unpooling, as
functional forms over the window-table ops of :mod:`ember_conv.pool_ops`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import ember
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args
from ember.ops._base import Tensor

from ._utils import fmt_shape
from .pool_ops import (
    Tables,
    _adaptive_table,
    _avg_divisor,
    _sliding_table,
    pool_avg,
    pool_max,
    pooling_output_size,
)

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d",
           "max_unpool1d", "max_unpool2d", "max_unpool3d"]


# -------------------------------------------------------------------------------------
# Argument handling
# -------------------------------------------------------------------------------------


def _tuple(op: str, name: str, v: Any, nd: int) -> tuple[int, ...]:
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            v = tuple(v) * nd
        if len(v) != nd:
            raise RuntimeError(f"[{op}] {name} must either be a single int, or a tuple of "
                               f"{nd} ints, got {list(v)}")
        return tuple(int(e) for e in v)
    return (int(v),) * nd


def _batched(op: str, x: Tensor, nd: int, integers: bool = False) -> tuple[Tensor, bool]:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"[{op}] Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) "
                           f"input, but got input of size: {fmt_shape(x.shape)}")
    if any(s == 0 for s in x.shape[-nd - 1:]):
        raise RuntimeError(f"[{op}] Expected input with non-zero channel and spatial sizes, "
                           f"but got input of size: {fmt_shape(x.shape)}")
    if not x.dtype.is_floating_point and not (integers and x.dtype != ember.bool):
        name = str(x.dtype).split(".")[-1]
        raise NotImplementedError(f"[{op}] \"{op}\" not implemented for '{name}'")
    return (x.unsqueeze(0), True) if x.ndim == nd + 1 else (x, False)


def _unbatch(t: Tensor, unbatched: bool) -> Tensor:
    return t.squeeze(0) if unbatched else t


def _window_args(op: str, nd: int, kernel_size: Any, stride: Any, padding: Any,
                 dilation: Any) -> tuple[tuple[int, ...], ...]:
    k = _tuple(op, "kernel_size", kernel_size, nd)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else _tuple(op, "stride", stride, nd)
    p = _tuple(op, "padding", padding, nd)
    d = _tuple(op, "dilation", dilation, nd)
    if any(v <= 0 for v in k):
        raise RuntimeError(f"[{op}] kernel size should be greater than zero, but got "
                           f"kernel_size={list(k)}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"[{op}] stride should be greater than zero, but got stride="
                           f"{list(s)}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"[{op}] dilation should be greater than zero, but got dilation="
                           f"{list(d)}")
    for kk, pp in zip(k, p, strict=True):
        if pp < 0 or pp > kk // 2:
            raise RuntimeError(f"[{op}] pad should be smaller than or equal to half of kernel "
                               f"size, but got padding={list(p)}, kernel_size={list(k)}")
    return k, s, p, d


def _sliding(op: str, x: Tensor, k: Sequence[int], s: Sequence[int], p: Sequence[int],
             d: Sequence[int], ceil_mode: bool) -> tuple[list[int], Tables]:
    size = list(x.shape[2:])
    out = [pooling_output_size(i, kk, ss, pp, dd, ceil_mode)
           for i, kk, ss, pp, dd in zip(size, k, s, p, d, strict=True)]
    if any(o <= 0 for o in out):
        raise RuntimeError(f"[{op}] Given input size: ({'x'.join(map(str, x.shape[1:]))}). "
                           f"Calculated output size: ({x.shape[1]}x{'x'.join(map(str, out))}"
                           "). Output size is too small")
    tables = tuple(_sliding_table(i, o, kk, ss, pp, dd)
                   for i, o, kk, ss, pp, dd in zip(size, out, k, s, p, d, strict=True))
    return out, tables


# -------------------------------------------------------------------------------------
# Max and average pooling
# -------------------------------------------------------------------------------------


def _max_pool(op: str, nd: int, input: Tensor, kernel_size: Any, stride: Any,  # noqa: A002
              padding: Any, dilation: Any, ceil_mode: bool) -> tuple[Tensor, Tensor]:
    x, unbatched = _batched(op, input, nd, integers=True)
    k, s, p, d = _window_args(op, nd, kernel_size, stride, padding, dilation)
    _, tables = _sliding(op, x, k, s, p, d, ceil_mode)
    out, indices = pool_max(x, tables)
    return _unbatch(out, unbatched), _unbatch(indices, unbatched)


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """:func:`max_pool1d` that always returns ``(values, indices)``."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """:func:`max_pool2d` that always returns ``(values, indices)``."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool3d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """:func:`max_pool3d` that always returns ``(values, indices)``."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """Maximum over sliding windows of the last dim.

    ``out[n, c, l] = max_j input_pad[n, c, s l + d j]`` (padding counts as -inf).

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        kernel_size: window length.
        stride: step between windows (default: ``kernel_size``).
        padding: implicit -inf on both sides, at most half the dilated window.
        dilation: spacing of window taps.
        ceil_mode: round the output length up (keeping a last partial window).
        return_indices: also return the flat index of each maximum (for max_unpool1d).

    Returns:
        ``(N, C, L_out)`` (and the int64 indices of the same shape).

    >>> import ember
    >>> ember.nn.functional.max_pool1d(ember.tensor([[1., 3., 2., 5.]]), 2).tolist()
    [[3.0, 5.0]]
    """
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation,
                                       ceil_mode)
    return (out, idx) if return_indices else out


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """Maximum over sliding 2-D windows (see :func:`max_pool1d`).

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.

    Returns:
        ``(N, C, H_out, W_out)`` (and the flat ``h * W + w`` indices when asked).

    >>> import ember
    >>> ember.nn.functional.max_pool2d(ember.arange(16.).reshape(1, 4, 4), 2).tolist()
    [[[5.0, 7.0], [13.0, 15.0]]]
    """
    out, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation,
                                       ceil_mode)
    return (out, idx) if return_indices else out


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """Maximum over sliding 3-D windows (see :func:`max_pool1d`).

    Args:
        input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``.

    Returns:
        ``(N, C, D_out, H_out, W_out)`` (and flat indices when asked).

    >>> import ember
    >>> ember.nn.functional.max_pool3d(ember.arange(8.).reshape(1, 2, 2, 2), 2).item()
    7.0
    """
    if AUTOCAST.active and not return_indices:  # the indices form is not on the list
        (input,) = autocast_args("max_pool3d", input)
    out, idx = max_pool3d_with_indices(input, kernel_size, stride, padding, dilation,
                                       ceil_mode)
    return (out, idx) if return_indices else out


def _avg_pool(op: str, nd: int, input: Tensor, kernel_size: Any, stride: Any,  # noqa: A002
              padding: Any, ceil_mode: bool, count_include_pad: bool,
              divisor_override: int | None) -> Tensor:
    x, unbatched = _batched(op, input, nd, integers=True)
    k, s, p, d = _window_args(op, nd, kernel_size, stride, padding, 1)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"[{op}] divisor must be not zero")
    if nd == 3 and any(i < kk for i, kk in zip(x.shape[2:], k, strict=True)):
        # torch's avg_pool3d (alone among the poolings) wants every window to fit in the
        # unpadded input, whatever the padding or ceil_mode.
        (t, h, w), (kt, kh, kw) = x.shape[2:], k
        raise RuntimeError(f"[{op}] input image (T: {t} H: {h} W: {w}) smaller than kernel "
                           f"size (kT: {kt} kH: {kh} kW: {kw})")
    out, tables = _sliding(op, x, k, s, p, d, ceil_mode)
    divisors = tuple(_avg_divisor(i, o, kk, ss, pp, count_include_pad)
                     for i, o, kk, ss, pp in zip(x.shape[2:], out, k, s, p, strict=True))
    return _unbatch(pool_avg(x, tables, divisors, divisor_override), unbatched)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, ceil_mode: bool = False, count_include_pad: bool = True
               ) -> Tensor:
    """Mean over sliding windows of the last dim.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        kernel_size: window length.
        stride: step between windows (default: ``kernel_size``).
        padding: zeros on both sides, at most half the window.
        ceil_mode: round the output length up.
        count_include_pad: divide by the window length including padding (else by the
            number of input elements in the window).

    Returns:
        ``(N, C, L_out)``.

    >>> import ember
    >>> ember.nn.functional.avg_pool1d(ember.tensor([[1., 3., 2., 6.]]), 2).tolist()
    [[2.0, 4.0]]
    """
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over sliding 2-D windows (see :func:`avg_pool1d`).

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        divisor_override: divide every window sum by this instead.

    Returns:
        ``(N, C, H_out, W_out)``.

    >>> import ember
    >>> ember.nn.functional.avg_pool2d(ember.ones(1, 4, 4), 2).tolist()
    [[[1.0, 1.0], [1.0, 1.0]]]
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over sliding 3-D windows (see :func:`avg_pool2d`).

    Args:
        input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``.

    Returns:
        ``(N, C, D_out, H_out, W_out)``.

    >>> import ember
    >>> ember.nn.functional.avg_pool3d(ember.ones(1, 2, 2, 2), 2).item()
    1.0
    """
    if AUTOCAST.active:
        (input,) = autocast_args("avg_pool3d", input)
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


# -------------------------------------------------------------------------------------
# Adaptive pooling
# -------------------------------------------------------------------------------------


def _adaptive_tables(op: str, x: Tensor, output_size: Any, nd: int) -> tuple[Tables, Tables]:
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != nd:
            raise RuntimeError(f"[{op}] output_size must be {nd}, got {list(output_size)}")
        sizes = list(output_size)
    else:
        sizes = [output_size] * nd
    sizes = [x.shape[2 + i] if v is None else int(v) for i, v in enumerate(sizes)]
    if any(v < 0 for v in sizes):
        raise RuntimeError(f"[{op}] elements of output_size must be greater than or equal to "
                           f"0 but received {sizes}")
    pairs = [_adaptive_table(x.shape[2 + i], o) for i, o in enumerate(sizes)]
    return tuple(t for t, _ in pairs), tuple(dv for _, dv in pairs)


def _adaptive_avg(op: str, nd: int, input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    x, unbatched = _batched(op, input, nd)
    tables, divisors = _adaptive_tables(op, x, output_size, nd)
    return _unbatch(pool_avg(x, tables, divisors, None), unbatched)


def _adaptive_max(op: str, nd: int, input: Tensor, output_size: Any  # noqa: A002
                  ) -> tuple[Tensor, Tensor]:
    x, unbatched = _batched(op, input, nd)
    tables, _ = _adaptive_tables(op, x, output_size, nd)
    out, idx = pool_max(x, tables)
    return _unbatch(out, unbatched), _unbatch(idx, unbatched)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Average pooling to a fixed output length: output ``i`` averages input elements
    ``floor(i L / O)`` to ``ceil((i + 1) L / O)``.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        output_size: the output length ``O``.

    Returns:
        ``(N, C, O)``.

    >>> import ember
    >>> ember.nn.functional.adaptive_avg_pool1d(ember.tensor([[1., 2., 3., 4.]]), 2).tolist()
    [[1.5, 3.5]]
    """
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Adaptive average pooling over the last two dims (see :func:`adaptive_avg_pool1d`).

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        output_size: an int or ``(H_out, W_out)``; None keeps that input size.

    >>> import ember
    >>> ember.nn.functional.adaptive_avg_pool2d(ember.ones(1, 5, 7), 1).tolist()
    [[[1.0]]]
    """
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Adaptive average pooling over the last three dims (see
    :func:`adaptive_avg_pool1d`).

    >>> import ember
    >>> ember.nn.functional.adaptive_avg_pool3d(ember.ones(1, 2, 3, 4), 1).shape
    ember.Size([1, 1, 1, 1])
    """
    if AUTOCAST.active:
        (input,) = autocast_args("adaptive_avg_pool3d", input)
    return _adaptive_avg("adaptive_avg_pool3d", 3, input, output_size)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,  # noqa: A002
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """:func:`adaptive_max_pool1d` that always returns ``(values, indices)``."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,  # noqa: A002
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """:func:`adaptive_max_pool2d` that always returns ``(values, indices)``."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any,  # noqa: A002
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """:func:`adaptive_max_pool3d` that always returns ``(values, indices)``."""
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size)


def adaptive_max_pool1d(input: Tensor, output_size: Any,  # noqa: A002
                        return_indices: bool = False) -> Any:
    """Max pooling to a fixed output length (windows as in :func:`adaptive_avg_pool1d`).

    Returns:
        ``(N, C, O)``, and the flat indices of the maxima when ``return_indices``.

    >>> import ember
    >>> ember.nn.functional.adaptive_max_pool1d(ember.tensor([[1., 5., 3., 4.]]), 2).tolist()
    [[5.0, 4.0]]
    """
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool2d(input: Tensor, output_size: Any,  # noqa: A002
                        return_indices: bool = False) -> Any:
    """Adaptive max pooling over the last two dims.

    >>> import ember
    >>> ember.nn.functional.adaptive_max_pool2d(ember.arange(9.).reshape(1, 3, 3), 1).item()
    8.0
    """
    out, idx = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool3d(input: Tensor, output_size: Any,  # noqa: A002
                        return_indices: bool = False) -> Any:
    """Adaptive max pooling over the last three dims.

    >>> import ember
    >>> ember.nn.functional.adaptive_max_pool3d(ember.arange(8.).reshape(1, 2, 2, 2), 1).item()
    7.0
    """
    out, idx = adaptive_max_pool3d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


# -------------------------------------------------------------------------------------
# Power-average pooling
# -------------------------------------------------------------------------------------


def _lp_pool(op: str, nd: int, input: Tensor, norm_type: float, kernel_size: Any,  # noqa: A002
             stride: Any, ceil_mode: bool) -> Tensor:
    k = _tuple(op, "kernel_size", kernel_size, nd)
    if norm_type in (math.inf, -math.inf):  # the limits: max pooling of |x| (or -min)
        sign = 1 if norm_type > 0 else -1
        out, _ = _max_pool(op, nd, sign * input.abs(), k, stride, 0, 1, ceil_mode)
        return sign * out
    out = _avg_pool(op, nd, input.pow(norm_type), k, stride, 0, ceil_mode, True, None)
    return (out.sign() * out.abs().relu()).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: Any,  # noqa: A002
              stride: Any = None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: ``(sum_window x^p)^(1/p)`` over windows of the last dim.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        norm_type: the power ``p`` (inf gives max pooling, 1 sum pooling).
        kernel_size, stride, ceil_mode: as in :func:`avg_pool1d` (no padding).

    >>> import ember
    >>> ember.nn.functional.lp_pool1d(ember.tensor([[3., 4.]]), 2, 2).tolist()
    [[5.0]]
    """
    return _lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any,  # noqa: A002
              stride: Any = None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over 2-D windows (see :func:`lp_pool1d`).

    >>> import ember
    >>> ember.nn.functional.lp_pool2d(ember.ones(1, 2, 2), 1, 2).item()
    4.0
    """
    return _lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any,  # noqa: A002
              stride: Any = None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over 3-D windows (see :func:`lp_pool1d`).

    >>> import ember
    >>> ember.nn.functional.lp_pool3d(ember.ones(1, 2, 2, 2), 1, 2).item()
    8.0
    """
    return _lp_pool("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode)


# -------------------------------------------------------------------------------------
# Max unpooling
# -------------------------------------------------------------------------------------


def _unpool_size(op: str, x: Tensor, k: Sequence[int], s: Sequence[int], p: Sequence[int],
                 output_size: Any, nd: int) -> list[int]:
    default = [(x.shape[-nd + i] - 1) * s[i] + k[i] - 2 * p[i] for i in range(nd)]
    if output_size is None:
        return default
    size = [int(v) for v in output_size]
    if len(size) == nd + 2 or (len(size) == nd + 1 and x.ndim == nd + 1):
        size = size[-nd:]
    if len(size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                         f"elements, but it has a length of '{len(size)}'")
    for d in range(nd):
        lo, hi = default[d] - s[d], default[d] + s[d]
        if not lo < size[d] < hi:
            raise ValueError(f'invalid output_size "{size}" (dim {d} must be between {lo} and '
                             f"{hi})")
    return size


def _max_unpool(op: str, nd: int, input: Tensor, indices: Tensor, kernel_size: Any,  # noqa: A002
                stride: Any, padding: Any, output_size: Any) -> Tensor:
    k = _tuple(op, "kernel_size", kernel_size, nd)
    s = k if stride is None else _tuple(op, "stride", stride, nd)
    p = _tuple(op, "padding", padding, nd)
    size = _unpool_size(op, input, k, s, p, output_size, nd)
    x, unbatched = _batched(op, input, nd)
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"[{op}] Expected shape of indices to be same as that of the input "
                           f"tensor ({fmt_shape(input.shape)}) but got indices tensor with "
                           f"shape: {fmt_shape(indices.shape)}")
    if indices.dtype != ember.int64:
        raise RuntimeError(f"[{op}] elements in indices should be type int64 but got: "
                           f"{indices.dtype}")
    idx = indices.unsqueeze(0) if unbatched else indices
    n, c = x.shape[:2]
    total = math.prod(size)
    flat_idx = idx.reshape(n, c, -1)
    if flat_idx.numel() and (int(flat_idx.max()) >= total or int(flat_idx.min()) < 0):
        bad = int(flat_idx.max()) if int(flat_idx.max()) >= total else int(flat_idx.min())
        raise RuntimeError(f"[{op}] Found an invalid max index: {bad} (output volumes are of "
                           f"size {'x'.join(map(str, size))})")
    z = ember.zeros((n, c, total), dtype=x.dtype, device=x.device)
    out = z.scatter(2, flat_idx, x.reshape(n, c, -1)).reshape(n, c, *size)
    return _unbatch(out, unbatched)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any,  # noqa: A002
                 stride: Any = None, padding: Any = 0, output_size: Any = None) -> Tensor:
    """A partial inverse of :func:`max_pool1d`: each value goes back to the position its
    index names; every other output element is zero.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``, the pooled values.
        indices: the indices :func:`max_pool1d` returned with them.
        kernel_size, stride, padding: those of the pooling.
        output_size: the exact output length, when the pooling input length is ambiguous.

    Returns:
        ``(N, C, L_out)`` with ``L_out = (L - 1) s - 2 p + k`` unless ``output_size``.

    >>> import ember
    >>> x, i = ember.tensor([[2., 4.]]), ember.tensor([[1, 2]])
    >>> ember.nn.functional.max_unpool1d(x, i, 2).tolist()
    [[0.0, 2.0, 4.0, 0.0]]
    """
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any,  # noqa: A002
                 stride: Any = None, padding: Any = 0, output_size: Any = None) -> Tensor:
    """A partial inverse of :func:`max_pool2d` (see :func:`max_unpool1d`).

    >>> import ember
    >>> x, i = ember.tensor([[[5.]]]), ember.tensor([[[3]]])
    >>> ember.nn.functional.max_unpool2d(x, i, 2).tolist()
    [[[0.0, 0.0], [0.0, 5.0]]]
    """
    if AUTOCAST.active:
        (input,) = autocast_args("max_unpool2d", input)
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: Any,  # noqa: A002
                 stride: Any = None, padding: Any = 0, output_size: Any = None) -> Tensor:
    """A partial inverse of :func:`max_pool3d` (see :func:`max_unpool1d`).

    >>> import ember
    >>> x, i = ember.tensor([[[[5.]]]]), ember.tensor([[[[7]]]])
    >>> ember.nn.functional.max_unpool3d(x, i, 2).sum().item()
    5.0
    """
    if AUTOCAST.active:
        (input,) = autocast_args("max_unpool3d", input)
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                       output_size)
