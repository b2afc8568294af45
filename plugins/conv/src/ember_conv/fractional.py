"""Fractional max pooling (Graham, 2014, https://arxiv.org/abs/1412.6071): max over
fixed-size windows whose starts follow a pseudo-random sequence, so the output can shrink
by any ratio. A composite (per-plane window indices built on the host, then a gather and
an argmax), so its gradient comes from the core's gather."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import ember
from ember.ops._base import Tensor

from ._utils import fmt_shape
from .pooling import _batched, _tuple, _unbatch

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]


def _intervals(sample: np.ndarray, size: int, out: int, k: int, dtype: Any) -> np.ndarray:
    """Window starts of fractional max pooling, (planes, out), as torch computes them (in
    the input's precision)."""
    planes = sample.shape[0]
    starts = np.empty((planes, out), dtype=np.int64)
    if out > 1:
        alpha = dtype(size - k) / dtype(out - 1)
        i = np.arange(out - 1, dtype=dtype)
        s = sample.astype(dtype)[:, None]
        starts[:, :-1] = ((i[None, :] + s) * alpha).astype(np.int64) - \
            (s * alpha).astype(np.int64)
    starts[:, -1] = size - k
    return starts


def _fractional(op: str, nd: int, input: Tensor, kernel_size: Any,  # noqa: A002
                output_size: Any, output_ratio: Any, samples: Tensor | None
                ) -> tuple[Tensor, Tensor]:
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    x, unbatched = _batched(op, input, nd)
    k = _tuple(op, "kernel_size", kernel_size, nd)
    size = list(x.shape[2:])
    if output_size is None:
        ratio = _ratio(output_ratio, nd)
        out = [int(s * r) for s, r in zip(size, ratio, strict=True)]
    else:
        out = [int(v) for v in (output_size if isinstance(output_size, (list, tuple))
                                else [output_size] * nd)]
    names = ("time", "height", "width")[3 - nd:]
    for i in range(nd):
        if out[i] + k[i] - 1 > size[i]:
            raise RuntimeError(f"[{op}] pool {names[i]} {k[i]} too large relative to input "
                               f"{names[i]} {size[i]} and output {names[i]} {out[i]}")
    n, c = x.shape[:2]
    if samples is None:
        samples = ember.rand(n, c, nd, dtype=x.dtype, device=x.device)
    elif tuple(samples.shape) != (n, c, nd):
        raise RuntimeError(f"[{op}] expected _random_samples of size {[n, c, nd]}, got "
                           f"{fmt_shape(samples.shape)}")
    smp = samples.detach().cpu().numpy().reshape(n * c, nd)
    np_dtype = np.float32 if x.dtype != ember.float64 else np.float64
    # torch reads the samples as (w, h) in 2-D and (t, h, w) in 3-D.
    order = [1, 0] if nd == 2 else [0, 1, 2]
    flat = np.zeros([n * c] + [1] * (2 * nd), dtype=np.int64)
    stride = 1
    for d in range(nd - 1, -1, -1):
        starts = _intervals(smp[:, order[d]], size[d], out[d], k[d], np_dtype)
        coords = starts[:, :, None] + np.arange(k[d])[None, None, :]  # (P, O_d, K_d)
        shape = [n * c] + [1] * (2 * nd)
        shape[1 + d], shape[1 + nd + d] = out[d], k[d]
        flat = flat + coords.reshape(shape) * stride
        stride *= size[d]
    flat = flat.reshape(n, c, math.prod(out), math.prod(k))
    idx_t = ember.tensor(np.ascontiguousarray(flat), device=x.device)
    vals = x.reshape(n, c, 1, -1).expand(n, c, flat.shape[2], stride).gather(3, idx_t)
    arg = vals.argmax(-1, keepdim=True)
    values = vals.gather(-1, arg).reshape(n, c, *out)
    indices = idx_t.gather(-1, arg).reshape(n, c, *out)
    return _unbatch(values, unbatched), _unbatch(indices, unbatched)


def _ratio(output_ratio: Any, nd: int) -> tuple[float, ...]:
    if isinstance(output_ratio, (list, tuple)):
        return tuple(float(r) for r in output_ratio)
    return (float(output_ratio),) * nd


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size: Any,  # noqa: A002
                                       output_size: Any = None, output_ratio: Any = None,
                                       return_indices: bool = False,
                                       _random_samples: Tensor | None = None
                                       ) -> tuple[Tensor, Tensor]:
    """:func:`fractional_max_pool2d` that always returns ``(values, indices)``."""
    return _fractional("fractional_max_pool2d", 2, input, kernel_size, output_size,
                       output_ratio, _random_samples)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size: Any,  # noqa: A002
                                       output_size: Any = None, output_ratio: Any = None,
                                       return_indices: bool = False,
                                       _random_samples: Tensor | None = None
                                       ) -> tuple[Tensor, Tensor]:
    """:func:`fractional_max_pool3d` that always returns ``(values, indices)``."""
    return _fractional("fractional_max_pool3d", 3, input, kernel_size, output_size,
                       output_ratio, _random_samples)


def fractional_max_pool2d(input: Tensor, kernel_size: Any, output_size: Any = None,  # noqa: A002
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Tensor | None = None) -> Any:
    """Fractional max pooling (Graham, 2014, https://arxiv.org/abs/1412.6071): max over
    ``kernel_size`` windows whose starts follow a pseudo-random sequence with a
    non-integer mean step, so the output may shrink by any ratio.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        kernel_size: window size (int or pair).
        output_size: ``(H_out, W_out)``, or give ``output_ratio`` (in (0, 1)) instead.
        return_indices: also return the flat indices of the maxima.
        _random_samples: ``(N, C, 2)`` numbers in [0, 1) fixing the sequences (random
            when None).

    Returns:
        ``(N, C, H_out, W_out)`` (and the indices).

    >>> import ember
    >>> x = ember.arange(16.).reshape(1, 1, 4, 4)
    >>> s = ember.full((1, 1, 2), 0.5)
    >>> ember.nn.functional.fractional_max_pool2d(x, 2, 2, _random_samples=s).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    out, idx = fractional_max_pool2d_with_indices(input, kernel_size, output_size,
                                                  output_ratio, False, _random_samples)
    return (out, idx) if return_indices else out


def fractional_max_pool3d(input: Tensor, kernel_size: Any, output_size: Any = None,  # noqa: A002
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Tensor | None = None) -> Any:
    """Fractional max pooling over 3-D windows (see :func:`fractional_max_pool2d`);
    ``_random_samples`` is ``(N, C, 3)``.

    >>> import ember
    >>> x = ember.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> ember.nn.functional.fractional_max_pool3d(x, 2, 1).item()
    7.0
    """
    out, idx = fractional_max_pool3d_with_indices(input, kernel_size, output_size,
                                                  output_ratio, False, _random_samples)
    return (out, idx) if return_indices else out
