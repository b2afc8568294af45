"""Vision functions: pixel (un)shuffle, channel shuffle, ``interpolate`` (nearest,
nearest-exact, linear, bilinear, bicubic, trilinear, area; antialiasing),
``grid_sample`` and ``affine_grid``.

All are composites of ember ops, so gradients (wrt the input, the sampling grid and the
affine matrices) and higher derivatives come from the core's autograd. Interpolation is
separable: each spatial dim is resampled by a gather of ``T`` taps per output position
and a weighted sum, with tap indices and weights computed on the host as torch computes
them (in float32 for float32 inputs, so nearest indices agree exactly).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

import ember
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args
from ember.ops._base import Tensor

from ._utils import fmt_shape
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
           "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "grid_sample",
           "affine_grid"]


# -------------------------------------------------------------------------------------
# Shuffles
# -------------------------------------------------------------------------------------


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """Rearrange ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)``: each group of ``r^2``
    channels becomes an ``r x r`` block of pixels (Shi et al., 2016,
    https://arxiv.org/abs/1609.05158).

    >>> import ember
    >>> ember.nn.functional.pixel_shuffle(ember.arange(4.).reshape(4, 1, 1), 2).tolist()
    [[[0.0, 1.0], [2.0, 3.0]]]
    """
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"[pixel_shuffle] pixel_shuffle expects input to have at least 3 "
                           f"dimensions, but got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"[pixel_shuffle] pixel_shuffle expects a positive upscale_factor, "
                           f"but got {r}")
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"[pixel_shuffle] pixel_shuffle expects its input's 'channel' "
                           f"dimension to be divisible by the square of upscale_factor, but "
                           f"input.size(-3)={c} is not divisible by {r * r}")
    nb = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """The inverse of :func:`pixel_shuffle`: ``(*, C, H r, W r)`` into
    ``(*, C r^2, H, W)``.

    >>> import ember
    >>> ember.nn.functional.pixel_unshuffle(ember.arange(4.).reshape(1, 2, 2), 2).flatten().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"[pixel_unshuffle] pixel_unshuffle expects input to have at least "
                           f"3 dimensions, but got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"[pixel_unshuffle] pixel_unshuffle expects a positive "
                           f"downscale_factor, but got {r}")
    *batch, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"[pixel_unshuffle] pixel_unshuffle expects height to be divisible "
                           f"by downscale_factor, but input.size(-2)={h} is not divisible by "
                           f"{r}")
    if w % r:
        raise RuntimeError(f"[pixel_unshuffle] pixel_unshuffle expects width to be divisible "
                           f"by downscale_factor, but input.size(-1)={w} is not divisible by "
                           f"{r}")
    nb = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    """Interleave the channels of ``groups`` groups: ``(N, g * k, *)`` seen as
    ``(N, g, k, *)`` is transposed to ``(N, k, g, *)`` (Zhang et al., ShuffleNet,
    https://arxiv.org/abs/1707.01083).

    >>> import ember
    >>> ember.nn.functional.channel_shuffle(ember.arange(4.).reshape(1, 4, 1), 2).flatten().tolist()
    [0.0, 2.0, 1.0, 3.0]
    """
    g = int(groups)
    if input.ndim < 3:
        raise RuntimeError(f"[channel_shuffle] channel_shuffle expects input to have at least "
                           f"3 dimensions, but got input with {input.ndim} dimension(s)")
    if g <= 0:
        raise RuntimeError(f"[channel_shuffle] Number of groups to divide channels in must be "
                           f"positive. Value of groups:{g}")
    n, c = input.shape[:2]
    if c % g:
        raise RuntimeError(f"[channel_shuffle] Number of channels must be divisible by groups. "
                           f"Got {c} channels and {g} groups.")
    rest = tuple(input.shape[2:])
    x = input.reshape(n, g, c // g, *rest).transpose(1, 2)
    return x.reshape(n, c, *rest)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    """The same as :func:`channel_shuffle` (torch's name for its native kernel).

    >>> import ember
    >>> ember.nn.functional.native_channel_shuffle(ember.zeros(1, 4, 2), 2).shape
    ember.Size([1, 4, 2])
    """
    return channel_shuffle(input, groups)


# -------------------------------------------------------------------------------------
# Interpolation tables (host side, per spatial dim)
# -------------------------------------------------------------------------------------


def _scale_value(scale: float | None, size: int, out: int, ftype: Any) -> Any:
    """torch's ``compute_scales_value``: ``1 / scale`` when given, else ``in / out``."""
    if scale is not None and scale > 0:
        return ftype(1.0 / scale)
    return ftype(size) / ftype(out)


def _area_scale(size: int, out: int, align_corners: bool, scale: float | None,
                ftype: Any) -> Any:
    if align_corners:
        return ftype(size - 1) / ftype(out - 1) if out > 1 else ftype(0)
    return _scale_value(scale, size, out, ftype)


def _nearest_table(size: int, out: int, scale: float | None, exact: bool
                   ) -> tuple[np.ndarray, None]:
    o = np.arange(out)
    s = _scale_value(scale, size, out, np.float32)
    if exact:
        src = np.floor(((o + 0.5) * np.float64(s)).astype(np.float32)).astype(np.int64)
    elif out == size:
        src = o
    elif out == 2 * size:
        src = o >> 1
    else:
        src = np.floor(o.astype(np.float32) * s).astype(np.int64)
    return np.minimum(src, size - 1)[:, None], None


def _linear_table(size: int, out: int, align_corners: bool, scale: float | None,
                  ftype: Any) -> tuple[np.ndarray, np.ndarray]:
    s = _area_scale(size, out, align_corners, scale, ftype)
    o = np.arange(out).astype(ftype)
    if align_corners:
        src = s * o
    else:
        src = np.maximum(s * (o + ftype(0.5)) - ftype(0.5), ftype(0))
    i0 = src.astype(np.int64)
    i1 = i0 + (i0 < size - 1)
    l1 = (src - i0.astype(ftype)).astype(ftype)
    return np.stack([i0, i1], 1), np.stack([ftype(1) - l1, l1], 1)


def _cubic_weights(t: np.ndarray, a: float, ftype: Any) -> np.ndarray:
    def conv1(x: np.ndarray) -> np.ndarray:
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def conv2(x: np.ndarray) -> np.ndarray:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([conv2(t + 1), conv1(t), conv1(1 - t), conv2(2 - t)], 1).astype(ftype)


def _cubic_table(size: int, out: int, align_corners: bool, scale: float | None,
                 ftype: Any) -> tuple[np.ndarray, np.ndarray]:
    s = _area_scale(size, out, align_corners, scale, ftype)
    o = np.arange(out).astype(ftype)
    src = s * o if align_corners else s * (o + ftype(0.5)) - ftype(0.5)
    i = np.floor(src)
    t = (src - i).astype(ftype)
    idx = np.clip(i.astype(np.int64)[:, None] + np.arange(-1, 3)[None, :], 0, size - 1)
    return idx, _cubic_weights(t, -0.75, ftype)


def _aa_table(size: int, out: int, align_corners: bool, scale: float | None, cubic: bool,
              ftype: Any) -> tuple[np.ndarray, np.ndarray]:
    """Antialiased (area-weighted) taps: the filter is stretched by the downscale factor."""
    s = float(_area_scale(size, out, align_corners, scale, ftype))
    interp = 4 if cubic else 2
    support = interp * 0.5 * s if s >= 1.0 else interp * 0.5
    invscale = 1.0 / s if s >= 1.0 else 1.0
    taps = int(math.ceil(support)) * 2 + 1
    idx = np.zeros((out, taps), dtype=np.int64)
    w = np.zeros((out, taps), dtype=np.float64)
    for i in range(out):
        center = s * (i + 0.5)
        xmin = max(int(center - support + 0.5), 0)
        xsize = min(int(center + support + 0.5), size) - xmin
        x = (np.arange(xsize) + xmin - center + 0.5) * invscale
        if cubic:
            ax = np.abs(x)
            a = -0.5
            wt = np.where(ax < 1, ((a + 2) * ax - (a + 3)) * ax * ax + 1,
                          np.where(ax < 2, (((ax - 5) * ax + 8) * ax - 4) * a, 0.0))
        else:
            wt = np.maximum(0.0, 1.0 - np.abs(x))
        total = wt.sum()
        if total != 0:
            wt = wt / total
        idx[i, :xsize] = np.arange(xsize) + xmin
        w[i, :xsize] = wt
    return idx, w.astype(ftype)


def _resample_dim(x: Tensor, dim: int, idx: np.ndarray, w: np.ndarray | None) -> Tensor:
    """Resample dim ``dim`` of ``x``: ``out[o] = sum_t w[o, t] * x[idx[o, t]]``."""
    out, taps = idx.shape
    picked = x.index_select(dim, ember.tensor(idx.reshape(-1), device=x.device))
    if w is None:
        return picked
    shape = list(x.shape)
    shape[dim:dim + 1] = [out, taps]
    picked = picked.reshape(shape)
    wt = ember.tensor(w, dtype=x.dtype, device=x.device).reshape(
        out, taps, *([1] * (x.ndim - dim - 1)))
    return (picked * wt).sum(dim + 1)


# -------------------------------------------------------------------------------------
# interpolate
# -------------------------------------------------------------------------------------

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_NEEDS = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}


def _output_size(input: Tensor, size: Any, scale_factor: Any,  # noqa: A002
                 recompute_scale_factor: bool | None, mode: str, dim: int
                 ) -> tuple[list[int], list[float | None]]:
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(f"Input and output must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of "
                                 f"{list(input.shape[2:])} and output size of {size}. Please "
                                 "provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "output size in (o1, o2, ...,oK) format.")
            if not all(isinstance(v, (int, np.integer)) for v in size):
                raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, "
                                f"int] or Tuple[int, int, int], but got size with types "
                                f"{[type(v) for v in size]}")
            out = [int(v) for v in size]
        else:
            out = [int(size)] * dim
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return out, [None] * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(f"Input and scale_factor must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(input.shape[2:])} and scale_factor of shape "
                             f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, "
                             "...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * dim
    out = [int(math.floor(input.shape[2 + i] * scales[i])) for i in range(dim)]
    if recompute_scale_factor or mode == "area":
        return out, [None] * dim
    return out, list(scales)


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,  # noqa: A002
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False
                ) -> Tensor:
    """Resize the spatial dims of ``input`` to ``size`` (or by ``scale_factor``).

    Modes: ``nearest`` (torch's legacy rounding-down rule), ``nearest-exact`` (pixel
    centers), ``linear`` (3-D input), ``bilinear`` (4-D), ``bicubic`` (4-D, a = -0.75),
    ``trilinear`` (5-D) and ``area`` (adaptive average pooling).

    Args:
        input: ``(N, C, *S)`` with 1 to 3 spatial dims.
        size: output spatial size (int or tuple), or
        scale_factor: multiplier(s) of the spatial size.
        mode: the algorithm, see above. Default ``'nearest'``.
        align_corners: for the (bi/tri)linear and bicubic modes, map the corner pixel
            centers of input and output onto each other (default False).
        recompute_scale_factor: compute the sampling from the rounded output size instead
            of the given scale factor.
        antialias: low-pass filter when downsampling (bilinear and bicubic, 4-D input).

    Returns:
        ``(N, C, *size)``.

    >>> import ember
    >>> x = ember.tensor([[[1., 2.]]])
    >>> ember.nn.functional.interpolate(x, scale_factor=2, mode="linear").tolist()
    [[[1.0, 1.25, 1.75, 2.0]]]
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.ndim - 2
    if mode not in _MODES or input.ndim not in (3, 4, 5):
        raise NotImplementedError(f"[interpolate] Input Error: Only 3D, 4D and 5D input "
                                  f"Tensors supported (got {input.ndim}D) for the modes: "
                                  f"nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    if mode in _NEEDS and input.ndim != _NEEDS[mode]:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{_NEEDS[mode]}D input")
    out, scales = _output_size(input, size, scale_factor, recompute_scale_factor, mode, dim)
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    if any(o <= 0 for o in out):
        raise RuntimeError(f"[interpolate] Input and output sizes should be greater than 0, "
                           f"but got input {list(input.shape[2:])} and output {out}")
    if mode == "area":
        pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dim - 1]
        return pool(input, out)
    if not input.dtype.is_floating_point and mode not in ("nearest", "nearest-exact"):
        raise RuntimeError(f"[interpolate] \"{mode}\" is not implemented for "
                           f"'{input.dtype}'")
    ftype = np.float64 if input.dtype == ember.float64 else np.float32
    x = input
    for i in range(dim):
        n_in, n_out, sc = input.shape[2 + i], out[i], scales[i]
        if mode in ("nearest", "nearest-exact"):
            idx, w = _nearest_table(n_in, n_out, sc, mode == "nearest-exact")
        elif antialias:
            idx, w = _aa_table(n_in, n_out, bool(align_corners), sc, mode == "bicubic", ftype)
        elif mode == "bicubic":
            idx, w = _cubic_table(n_in, n_out, bool(align_corners), sc, ftype)
        else:
            idx, w = _linear_table(n_in, n_out, bool(align_corners), sc, ftype)
        x = _resample_dim(x, 2 + i, idx, w)
    return x


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None,  # noqa: A002
             mode: str = "nearest", align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`interpolate` (kept for torch compatibility).

    >>> import ember
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the deprecation note
    ...     y = ember.nn.functional.upsample(ember.ones(1, 1, 2), scale_factor=2)
    >>> y.shape
    ember.Size([1, 1, 4])
    """
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None  # noqa: A002
                     ) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``.

    >>> import ember
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the deprecation note
    ...     y = ember.nn.functional.upsample_nearest(ember.ones(1, 1, 2, 2), scale_factor=2)
    >>> y.shape
    ember.Size([1, 1, 4, 4])
    """
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None  # noqa: A002
                      ) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear',
    align_corners=True)``.

    >>> import ember
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the deprecation note
    ...     y = ember.nn.functional.upsample_bilinear(ember.ones(1, 1, 2, 2), scale_factor=2)
    >>> y.shape
    ember.Size([1, 1, 4, 4])
    """
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -------------------------------------------------------------------------------------
# grid_sample and affine_grid
# -------------------------------------------------------------------------------------


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    if twice_low == twice_high:
        return coord * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = (coord - low).abs()
    extra = c.fmod(span)
    flips = (c / span).floor()
    even = flips.remainder(2) == 0
    return ember.where(even, extra + low, span - extra + low)


def _fix_coords(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """torch's ``compute_coordinates``: clip (border) or reflect then clip (reflection)."""
    if padding_mode == "border":
        return coord.clamp(0, size - 1)
    if padding_mode == "reflection":
        if align_corners:
            coord = _reflect(coord, 0, 2 * (size - 1))
        else:
            coord = _reflect(coord, -1, 2 * size - 1)
        return coord.clamp(0, size - 1)
    return coord


def _pick(xf: Tensor, coords: Sequence[Tensor], sizes: Sequence[int]) -> Tensor:
    """Values of ``xf`` (N, C, prod(sizes)) at integer-valued float coordinates (N, *out),
    zero where a coordinate falls outside the input."""
    n, c = xf.shape[:2]
    valid = None
    lin = None
    for coord, size in zip(coords, sizes, strict=True):
        ok = (coord >= 0) & (coord <= size - 1)
        valid = ok if valid is None else valid & ok
        ci = coord.clamp(0, size - 1).to(ember.int64)
        lin = ci if lin is None else lin * size + ci
    assert lin is not None and valid is not None
    out_shape = tuple(lin.shape[1:])
    vals = xf.gather(2, lin.reshape(n, 1, -1).expand(n, c, lin[0].numel()))
    vals = vals.reshape(n, c, *out_shape)
    return vals * valid.unsqueeze(1).to(xf.dtype)


def _cubic_coeffs(t: Tensor) -> list[Tensor]:
    a = -0.75

    def conv1(x: Tensor) -> Tensor:
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def conv2(x: Tensor) -> Tensor:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [conv2(t + 1), conv1(t), conv1(1 - t), conv2(2 - t)]


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",  # noqa: A002
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample ``input`` at the normalized positions in ``grid`` (``-1`` and ``1`` are the
    input's edges; with ``align_corners`` the edge pixels' centers).

    Args:
        input: ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        grid: ``(N, H_out, W_out, 2)`` holding ``(x, y)``, or ``(N, D_out, H_out, W_out, 3)``
            holding ``(x, y, z)``.
        mode: ``'bilinear'`` (trilinear for 5-D), ``'nearest'`` or ``'bicubic'`` (4-D).
        padding_mode: what lies outside: ``'zeros'``, ``'border'`` (edge values) or
            ``'reflection'`` (mirrored input).
        align_corners: see above; default False (with torch's warning).

    Returns:
        ``(N, C, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``; differentiable in both
        ``input`` and ``grid``.

    >>> import ember
    >>> x = ember.arange(4.).reshape(1, 1, 2, 2)
    >>> g = ember.zeros(1, 1, 1, 2)
    >>> ember.nn.functional.grid_sample(x, g, align_corners=False).item()
    1.5
    """
    if AUTOCAST.active:
        input, grid = autocast_args("grid_sample", input, grid)
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True if "
                      "the old behavior is desired. See the documentation of grid_sample for "
                      "details.", stacklevel=2)
        align_corners = False
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"[grid_sample] grid_sampler(): expected 4D or 5D input and grid "
                           f"with same number of dimensions, but got input with sizes "
                           f"{fmt_shape(input.shape)} and grid with sizes "
                           f"{fmt_shape(grid.shape)}")
    nd = input.ndim - 2
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"[grid_sample] grid_sampler(): expected grid and input to have "
                           f"same batch size, but got input with sizes "
                           f"{fmt_shape(input.shape)} and grid with sizes "
                           f"{fmt_shape(grid.shape)}")
    if grid.shape[-1] != nd:
        raise RuntimeError(f"[grid_sample] grid_sampler(): expected grid to have size {nd} in "
                           f"last dimension, but got grid with sizes {fmt_shape(grid.shape)}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("[grid_sample] grid_sampler(): bicubic interpolation only supports "
                           "4D input")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"[grid_sample] grid_sampler(): expected input and grid to have "
                           f"same dtype, but input has {input.dtype} and grid has {grid.dtype}")
    n, c = input.shape[:2]
    sizes = list(input.shape[2:])  # (H, W) or (D, H, W)
    xf = input.reshape(n, c, -1)
    # grid's last dim lists (x, y[, z]), i.e. the spatial dims from last to first
    raw = [grid.select(-1, nd - 1 - i) for i in range(nd)]
    coords = [_unnormalize(raw[i], sizes[i], align_corners) for i in range(nd)]
    if mode == "bicubic":
        base = [co.floor() for co in coords]
        ts = [co - b for co, b in zip(coords, base, strict=True)]
        wy, wx = _cubic_coeffs(ts[0]), _cubic_coeffs(ts[1])
        out = None
        for i in range(4):
            yy = _fix_coords(base[0] - 1 + i, sizes[0], padding_mode, align_corners)
            for j in range(4):
                xx = _fix_coords(base[1] - 1 + j, sizes[1], padding_mode, align_corners)
                term = _pick(xf, [yy, xx], sizes) * (wy[i] * wx[j]).unsqueeze(1)
                out = term if out is None else out + term
        assert out is not None
        return out
    coords = [_fix_coords(co, s, padding_mode, align_corners)
              for co, s in zip(coords, sizes, strict=True)]
    if mode == "nearest":
        return _pick(xf, [co.round() for co in coords], sizes)
    lows = [co.floor() for co in coords]
    fracs = [co - lo for co, lo in zip(coords, lows, strict=True)]
    out = None
    for corner in range(2 ** nd):
        bits = [(corner >> (nd - 1 - i)) & 1 for i in range(nd)]
        pts = [lo + b for lo, b in zip(lows, bits, strict=True)]
        weight = None
        for f, b in zip(fracs, bits, strict=True):
            wt = f if b else 1 - f
            weight = wt if weight is None else weight * wt
        assert weight is not None
        term = _pick(xf, pts, sizes) * weight.unsqueeze(1)
        out = term if out is None else out + term
    assert out is not None
    return out


def _base_coords(steps: int, align_corners: bool, like: Tensor) -> Tensor:
    if steps <= 1:
        return ember.zeros(max(steps, 1), dtype=like.dtype, device=like.device)
    r = ember.linspace(-1, 1, steps, dtype=like.dtype, device=like.device)
    return r if align_corners else r * ((steps - 1) / steps)


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None
                ) -> Tensor:
    """The sampling grid of an affine transform, for :func:`grid_sample`: each output
    position's normalized coordinates ``(x, y[, z], 1)`` multiplied by ``theta``.

    Args:
        theta: ``(N, 2, 3)`` (2-D) or ``(N, 3, 4)`` (3-D) affine matrices.
        size: the output size ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        align_corners: as in :func:`grid_sample` (default False, with torch's warning).

    Returns:
        ``(N, H, W, 2)`` or ``(N, D, H, W, 3)``.

    >>> import ember
    >>> theta = ember.tensor([[[1., 0., 0.], [0., 1., 0.]]])
    >>> ember.nn.functional.affine_grid(theta, (1, 1, 2, 2), align_corners=True)[0, 0].tolist()
    [[-1.0, -1.0], [1.0, -1.0]]
    """
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True if "
                      "the old behavior is desired. See the documentation of grid_sample for "
                      "details.", stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {fmt_shape(theta.shape)}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {fmt_shape(theta.shape)}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    nd = len(spatial)
    axes = [_base_coords(s, bool(align_corners), theta) for s in spatial]  # (D,) H, W
    grids = ember.meshgrid(*axes, indexing="ij")
    cols = [grids[nd - 1 - i] for i in range(nd)]  # x (width) first
    base = ember.stack([*cols, ember.ones_like(grids[0])], -1)  # (*spatial, nd + 1)
    n = theta.shape[0]
    flat = base.reshape(1, -1, nd + 1)
    out = flat @ theta.transpose(1, 2)  # (N, L, nd)
    return out.reshape(n, *spatial, nd)
