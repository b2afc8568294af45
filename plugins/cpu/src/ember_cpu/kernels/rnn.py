"""Fused cpu kernels of the ember-recurrent gate ops (C++ with OpenMP, float32 and float64;
other float dtypes compute in float32): the pointwise part of an LSTM or GRU step and its
gradient, each in one pass over the rows instead of a dozen numpy calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _native


def _fused(name: str, gates: int) -> Callable[..., Any]:
    """Kernel ``name(xg, hg, state, *grads)``: the arrays are brought to a common float
    dtype and shape ``(rows, gates * H)`` / ``(rows, H)``; results take the state's leading
    shape back."""
    f32 = getattr(_native, f"{name}_f32")
    f64 = getattr(_native, f"{name}_f64")

    def kernel(xg: np.ndarray, hg: np.ndarray, state: np.ndarray, *grads: np.ndarray) -> Any:
        dtype = state.dtype
        fn = f32 if dtype == np.float32 else f64 if dtype == np.float64 else None
        work = dtype if fn is not None else np.dtype(np.float32)
        fn = fn or f32
        h = state.shape[-1]
        lead = state.shape[:-1]
        if xg.shape != hg.shape:
            xg, hg = np.broadcast_arrays(xg, hg)

        def rows(a: np.ndarray, width: int) -> np.ndarray:
            return np.ascontiguousarray(a.astype(work, copy=False).reshape(-1, width))

        res = fn(rows(xg, gates * h), rows(hg, gates * h), rows(state, h),
                 *(rows(g, h) for g in grads))
        outs = res if isinstance(res, tuple) else (res,)
        shaped = tuple(o.reshape(*lead, o.shape[-1]).astype(dtype, copy=False) for o in outs)
        return shaped if isinstance(res, tuple) else shaped[0]

    kernel.__name__ = name
    return kernel


KERNELS = {
    "lstm_gates": _fused("lstm_gates", 4),
    "lstm_gates_backward": _fused("lstm_gates_backward", 4),
    "gru_gates": _fused("gru_gates", 3),
    "gru_gates_backward": _fused("gru_gates_backward", 3),
}
