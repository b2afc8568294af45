"""Fused CTC loss (C++ with OpenMP): the forward (log-space alpha) and the backward (beta,
gradient with respect to log_probs) as two ops, ``ctc_loss`` and ``ctc_loss_backward``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _native


def _pick(name: str, dtype: np.dtype) -> Any:
    if dtype == np.float32:
        return getattr(_native, f"{name}_f32")
    if dtype == np.float64:
        return getattr(_native, f"{name}_f64")
    return None


def _lengths(v: Sequence[int]) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(v, dtype=np.int64).reshape(-1))


def ctc_loss(log_probs: np.ndarray, targets: np.ndarray, input_lengths: Sequence[int],
             target_lengths: Sequence[int], blank: int) -> tuple[np.ndarray, np.ndarray]:
    """``(nll (N,), log_alpha (N, T, 2S+1))`` for ``log_probs`` ``(T, N, C)`` and padded
    ``targets`` ``(N, S)``."""
    fn = _pick("ctc_loss", log_probs.dtype)
    if fn is None:  # half precision: compute in float32
        nll, alpha = ctc_loss(log_probs.astype(np.float32), targets, input_lengths,
                              target_lengths, blank)
        return nll.astype(log_probs.dtype), alpha
    return fn(np.ascontiguousarray(log_probs), np.ascontiguousarray(targets, dtype=np.int64),
              _lengths(input_lengths), _lengths(target_lengths), int(blank))


def ctc_loss_backward(log_probs: np.ndarray, grad: np.ndarray, targets: np.ndarray,
                      input_lengths: Sequence[int], target_lengths: Sequence[int],
                      nll: np.ndarray, log_alpha: np.ndarray, blank: int,
                      zero_infinity: bool) -> np.ndarray:
    """Gradient ``(T, N, C)`` of the per-sequence losses with respect to ``log_probs``."""
    fn = _pick("ctc_loss_backward", log_probs.dtype)
    if fn is None:
        f32 = np.float32
        out = ctc_loss_backward(log_probs.astype(f32), grad.astype(f32), targets,
                                input_lengths, target_lengths, nll.astype(f32),
                                log_alpha.astype(f32), blank, zero_infinity)
        return out.astype(log_probs.dtype)
    dt = log_probs.dtype
    return fn(np.ascontiguousarray(grad, dtype=dt), np.ascontiguousarray(log_probs),
              np.ascontiguousarray(targets, dtype=np.int64), _lengths(input_lengths),
              _lengths(target_lengths), np.ascontiguousarray(nll, dtype=dt),
              np.ascontiguousarray(log_alpha, dtype=dt), int(blank), bool(zero_infinity))


KERNELS = {"ctc_loss": ctc_loss, "ctc_loss_backward": ctc_loss_backward}
