"""Fused activation kernels on numpy arrays: ``relu`` and its gradient in one pass over the
data (a C++ loop for float32/float64), and ``clamp`` with number bounds in one ``np.clip``,
instead of the composites' several ops."""

from __future__ import annotations

import numpy as np

from .. import _native
from .primitives import _quiet

_RELU = {np.dtype(np.float32): (_native.relu_f32, _native.relu_backward_f32),
         np.dtype(np.float64): (_native.relu_f64, _native.relu_backward_f64)}


def relu(a: np.ndarray) -> np.ndarray:
    """``max(a, 0)`` as the composite ``clamp_min(0)`` computes it: NaN and -0.0 are kept
    (both compare as not below zero)."""
    fns = _RELU.get(a.dtype)
    if fns is not None:
        return fns[0](np.ascontiguousarray(a)).reshape(a.shape)
    if a.dtype == np.bool_:  # the composite promotes bool with the integer bound 0
        return a.astype(np.int64)
    return np.where(a < 0, np.zeros((), a.dtype), a)


def relu_backward(g: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The gradient of relu from its result ``out``: 0 where ``out <= 0``, else ``g`` (a
    NaN result lets the gradient through)."""
    fns = _RELU.get(out.dtype)
    if fns is not None and g.dtype == out.dtype:
        return fns[1](np.ascontiguousarray(g), np.ascontiguousarray(out)).reshape(out.shape)
    return np.where(out <= 0, np.zeros((), g.dtype), g)


def clamp(a: np.ndarray, lo: float | None, hi: float | None) -> np.ndarray:
    """Every element limited to ``[lo, hi]`` (either may be ``None``); NaN stays NaN, and
    ``lo > hi`` gives ``hi`` everywhere. Floats are clipped against infinite stand-ins for
    a missing bound, which keeps signed zeros as torch does."""
    if a.dtype.kind in "iub":
        return np.clip(a, lo, hi).astype(a.dtype, copy=False)
    out = np.clip(a, -np.inf if lo is None else lo, np.inf if hi is None else hi)
    return out.astype(a.dtype, copy=False)  # bfloat16 clips in a wider type


KERNELS = {"relu": _quiet(relu), "relu_backward": _quiet(relu_backward), "clamp": _quiet(clamp)}
