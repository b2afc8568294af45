"""Fused cpu kernels of the ember-recurrent gate ops: the pointwise part of an LSTM or GRU
step and its gradient, on numpy arrays.

Each kernel works in place on a few preallocated arrays so that a step is a dozen numpy
calls on the whole ``(B, G*H)`` block (numpy's SIMD ``tanh`` / ``exp``) instead of the
op-by-op composite with its tensors and graph; float16 and bfloat16 compute in float32.
Gate blocks are side by side in the last dim: LSTM ``(i, f, g, o)``, GRU ``(r, z, n)``.
The backward kernels recompute the activations from the two pre-activation parts.
"""

from __future__ import annotations

import numpy as np

_WORK = (np.float32, np.float64)


def _prep(*arrays: np.ndarray) -> tuple[np.dtype, list[np.ndarray]]:
    """The common dtype and the arrays in the dtype the math runs in."""
    dtype = np.result_type(*arrays)
    work = dtype if dtype in _WORK else np.dtype(np.float32)
    return dtype, [a.astype(work, copy=False) for a in arrays]


def _sigmoid_(a: np.ndarray) -> np.ndarray:
    """``a = 1 / (1 + exp(-a))`` in place (no overflow warning for very negative ``a``)."""
    with np.errstate(over="ignore"):
        np.negative(a, out=a)
        np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)
    return a


def _lstm_act(xg: np.ndarray, hg: np.ndarray, c: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Activated gates ``(i, f, g, o)`` (views of one block) and ``c_new``."""
    hsz = c.shape[-1]
    pre = xg + hg
    g = np.tanh(pre[..., 2 * hsz:3 * hsz])
    act = _sigmoid_(pre)
    i, f, o = act[..., :hsz], act[..., hsz:2 * hsz], act[..., 3 * hsz:]
    c_new = f * c
    c_new += i * g
    return i, f, g, o, c_new


def lstm_gates(xg: np.ndarray, hg: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(h', c')`` of one LSTM step from the two pre-activation parts and ``c``."""
    dtype, (xg, hg, c) = _prep(xg, hg, c)
    _, _, _, o, c_new = _lstm_act(xg, hg, c)
    h = np.tanh(c_new)
    h *= o
    return h.astype(dtype, copy=False), c_new.astype(dtype, copy=False)


def lstm_gates_backward(xg: np.ndarray, hg: np.ndarray, c: np.ndarray, gh: np.ndarray,
                        gc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(d_gates, d_c)``: gradients of the pre-activations and of the previous cell."""
    dtype, (xg, hg, c, gh, gc) = _prep(xg, hg, c, gh, gc)
    hsz = c.shape[-1]
    i, f, g, o, c_new = _lstm_act(xg, hg, c)
    tc = np.tanh(c_new)
    dc = tc * tc  # dc = gc + gh * o * (1 - tc^2)
    np.subtract(1, dc, out=dc)
    dc *= o
    dc *= gh
    dc += gc
    d = np.empty(xg.shape, dtype=xg.dtype)
    d_i, d_f = d[..., :hsz], d[..., hsz:2 * hsz]
    d_g, d_o = d[..., 2 * hsz:3 * hsz], d[..., 3 * hsz:]
    for out, gate, other in ((d_i, i, g), (d_f, f, c)):  # dc * other * s * (1 - s)
        np.subtract(1, gate, out=out)
        out *= gate
        out *= other
        out *= dc
    np.multiply(g, g, out=d_g)  # dc * i * (1 - g^2)
    np.subtract(1, d_g, out=d_g)
    d_g *= i
    d_g *= dc
    np.subtract(1, o, out=d_o)  # gh * tc * o * (1 - o)
    d_o *= o
    d_o *= tc
    d_o *= gh
    dc *= f
    return d.astype(dtype, copy=False), dc.astype(dtype, copy=False)


def _gru_act(xg: np.ndarray, hg: np.ndarray, hsz: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(r, z, n, h_n)`` of one GRU step (``h_n`` is the hidden part of the n block)."""
    rz = xg[..., :2 * hsz] + hg[..., :2 * hsz]
    _sigmoid_(rz)
    r, z = rz[..., :hsz], rz[..., hsz:]
    hn = hg[..., 2 * hsz:]
    n = r * hn
    n += xg[..., 2 * hsz:]
    np.tanh(n, out=n)
    return r, z, n, hn


def gru_gates(xg: np.ndarray, hg: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``h'`` of one GRU step: ``n + z * (h - n)``."""
    dtype, (xg, hg, h) = _prep(xg, hg, h)
    _, z, n, _ = _gru_act(xg, hg, h.shape[-1])
    out = h - n
    out *= z
    out += n
    return out.astype(dtype, copy=False)


def gru_gates_backward(xg: np.ndarray, hg: np.ndarray, h: np.ndarray, gh: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(d_xg, d_hg, d_h)``: gradients of the two pre-activation parts and of ``h``."""
    dtype, (xg, hg, h, gh) = _prep(xg, hg, h, gh)
    hsz = h.shape[-1]
    r, z, n, hn = _gru_act(xg, hg, hsz)
    d_x = np.empty(xg.shape, dtype=xg.dtype)
    d_r, d_z, d_n = d_x[..., :hsz], d_x[..., hsz:2 * hsz], d_x[..., 2 * hsz:]
    np.multiply(n, n, out=d_n)  # gh * (1 - z) * (1 - n^2)
    np.subtract(1, d_n, out=d_n)
    d_n *= gh
    d_n -= d_n * z
    np.subtract(1, r, out=d_r)  # d_n * h_n * r * (1 - r)
    d_r *= r
    d_r *= hn
    d_r *= d_n
    np.subtract(h, n, out=d_z)  # gh * (h - n) * z * (1 - z)
    d_z *= gh
    d_z *= z
    d_z -= d_z * z
    d_h = d_x.copy()
    d_h[..., 2 * hsz:] *= r
    d_prev = gh * z
    return (d_x.astype(dtype, copy=False), d_h.astype(dtype, copy=False),
            d_prev.astype(dtype, copy=False))


KERNELS = {
    "lstm_gates": lstm_gates,
    "lstm_gates_backward": lstm_gates_backward,
    "gru_gates": gru_gates,
    "gru_gates_backward": gru_gates_backward,
}
