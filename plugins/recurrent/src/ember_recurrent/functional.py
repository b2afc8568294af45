"""The recurrent cell ops: one time step of an Elman RNN, an LSTM and a GRU.

Each cell is split the way the layers use it: the two affine maps (``x W_ih^T + b_ih`` and
``h W_hh^T + b_hh``) are plain matmuls, and the pointwise part that turns the two gate
pre-activations into the new state is its own op (``lstm_gates``, ``gru_gates``) with

* a composite definition written with ember ops (sigmoid, tanh, mul, add), so a backend
  that has only the primitive set runs it;
* an optional fused kernel of the same name (``lstm_gates(xg, hg, c) -> (h, c)``,
  ``gru_gates(xg, hg, h) -> h``) that replaces the composite on that device;
* its backward formula, itself an op (``lstm_gates_backward``, ``gru_gates_backward``)
  with a composite of ember ops and an optional fused kernel. The backward recomputes the
  activations from the saved pre-activations, so nothing but the op's inputs is kept; under
  ``create_graph`` it runs the composite with recording on, so higher derivatives work.

Gate layouts follow torch: LSTM rows are ``(i, f, g, o)``, GRU rows ``(r, z, n)``.

Under CPU autocast the two affine maps of a cell run as torch's ``linear`` does: input,
weight and bias in the autocast dtype. The gate ops then see lower-precision
pre-activations next to a state that may still be float32; with mixed dtypes they run their
composite, so the result follows type promotion exactly as torch's cells do (an LSTM cell
with a float32 ``c`` returns float32 ``h'`` and ``c'``, a GRU cell with a float32 ``h``
returns float32), and their backward hands each input a gradient of its own dtype.
"""

from __future__ import annotations

from typing import Any

from ember._tensor import Tensor, wrap
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args
from ember.autograd.grad_mode import GRAD
from ember.autograd.graph import record
from ember.ops._base import no_grad_call
from ember.ops.shape import cat

__all__ = ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell", "lstm_gates",
           "gru_gates", "lstm_gates_backward", "gru_gates_backward"]


# ----------------------------------------------------------------------------- dispatch


def _same_dtype(tensors: tuple[Tensor, ...]) -> bool:
    dtype = tensors[0]._data.dtype
    for t in tensors:
        if t._data.dtype != dtype:
            return False
    return True


def _run(name: str, composite: Any, tensors: tuple[Tensor, ...]) -> Any:
    """Op ``name`` on ``tensors``: the backend's fused kernel on arrays when it has one and
    the tensors share one dtype, else ``composite`` with recording off (mixed dtypes, as
    autocast produces, are promoted op by op there; kernels never promote). Returns a
    tensor or a tuple of tensors."""
    x = tensors[0]
    kern = getattr(x._k, name)
    if kern is None or not _same_dtype(tensors):
        return no_grad_call(composite, *tensors)
    res = kern(*(t._data for t in tensors))
    dev, k = x._device, x._k
    if type(res) is tuple:
        return tuple(wrap(r, dev, k) for r in res)
    return wrap(res, dev, k)


def _like(g: Tensor, t: Tensor) -> Tensor:
    """Gradient ``g`` in the dtype of the input ``t`` it belongs to (they differ when the
    op's inputs had mixed dtypes and its backward ran in the promoted one)."""
    return g if g._data.dtype == t._data.dtype else g.to(t.dtype)


def _wants_grad(*ts: Tensor | None) -> bool:
    if not GRAD.enabled:
        return False
    for t in ts:
        if t is not None and t._rg:
            return True
    return False


# ----------------------------------------------------------------------------- LSTM gates


def _lstm_gates_composite(xg: Tensor, hg: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
    i, f, g, o = (xg + hg).chunk(4, -1)
    c_new = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c_new.tanh(), c_new


def _lstm_gates_backward_composite(xg: Tensor, hg: Tensor, c: Tensor, gh: Tensor,
                                   gc: Tensor) -> tuple[Tensor, Tensor]:
    pi, pf, pg, po = (xg + hg).chunk(4, -1)
    i, f, g, o = pi.sigmoid(), pf.sigmoid(), pg.tanh(), po.sigmoid()
    tc = (f * c + i * g).tanh()
    dc = gc + gh * o * (1 - tc * tc)
    d_i = dc * g * i * (1 - i)
    d_f = dc * c * f * (1 - f)
    d_g = dc * i * (1 - g * g)
    d_o = gh * tc * o * (1 - o)
    return cat((d_i, d_f, d_g, d_o), -1), dc * f


def lstm_gates_backward(xg: Tensor, hg: Tensor, c: Tensor, gh: Tensor, gc: Tensor
                        ) -> tuple[Tensor, Tensor]:
    """Gradient of :func:`lstm_gates` with respect to the gate pre-activations and ``c``.

    Args:
        xg, hg: ``(B, 4H)`` the two pre-activation parts (their sum is used).
        c: ``(B, H)`` the previous cell state.
        gh, gc: ``(B, H)`` gradients of the new hidden and cell states.

    Returns:
        ``(d_gates (B, 4H), d_c (B, H))``. Differentiable (composite of ember ops) while
        recording is on; otherwise the backend's fused kernel when it has one.
    """
    if GRAD.enabled:
        return _lstm_gates_backward_composite(xg, hg, c, gh, gc)
    return _run("lstm_gates_backward", _lstm_gates_backward_composite, (xg, hg, c, gh, gc))


def _bw_lstm_gates(node: Any, gh: Tensor, gc: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    xg, hg, c = node.saved
    d_gates, d_c = lstm_gates_backward(xg, hg, c, gh, gc)
    d_xg = _like(d_gates, xg)
    return d_xg, (d_xg if hg._data.dtype == xg._data.dtype else _like(d_gates, hg)), \
        _like(d_c, c)


def lstm_gates(xg: Tensor, hg: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
    """The pointwise part of an LSTM step.

    With ``(i, f, g, o)`` the four ``H``-wide blocks of ``xg + hg``::

        c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h' = sigmoid(o) * tanh(c')

    Args:
        xg: ``(B, 4H)`` input part of the gate pre-activations (``x W_ih^T + b_ih``).
        hg: ``(B, 4H)`` hidden part (``h W_hh^T + b_hh``).
        c: ``(B, H)`` previous cell state.

    Returns:
        ``(h', c')``, each ``(B, H)``.

    >>> import ember
    >>> h, c = lstm_gates(ember.zeros(1, 4), ember.zeros(1, 4), ember.ones(1, 1))
    >>> c
    tensor([[0.5000]])
    """
    h, c_new = _run("lstm_gates", _lstm_gates_composite, (xg, hg, c))
    if _wants_grad(xg, hg, c):
        record("LstmGatesBackward0", _bw_lstm_gates, (xg, hg, c), (h, c_new),
               save=(xg, hg, c))
    return h, c_new


# ----------------------------------------------------------------------------- GRU gates


def _gru_gates_composite(xg: Tensor, hg: Tensor, h: Tensor) -> Tensor:
    xr, xz, xn = xg.chunk(3, -1)
    hr, hz, hn = hg.chunk(3, -1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return n + z * (h - n)


def _gru_gates_backward_composite(xg: Tensor, hg: Tensor, h: Tensor, gh: Tensor
                                  ) -> tuple[Tensor, Tensor, Tensor]:
    xr, xz, xn = xg.chunk(3, -1)
    hr, hz, hn = hg.chunk(3, -1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    d_pre_n = gh * (1 - z) * (1 - n * n)
    d_r = d_pre_n * hn * r * (1 - r)
    d_z = gh * (h - n) * z * (1 - z)
    return cat((d_r, d_z, d_pre_n), -1), cat((d_r, d_z, d_pre_n * r), -1), gh * z


def gru_gates_backward(xg: Tensor, hg: Tensor, h: Tensor, gh: Tensor
                       ) -> tuple[Tensor, Tensor, Tensor]:
    """Gradient of :func:`gru_gates` with respect to ``xg``, ``hg`` and ``h``.

    Args:
        xg, hg: ``(B, 3H)`` the two pre-activation parts.
        h: ``(B, H)`` the previous hidden state.
        gh: ``(B, H)`` gradient of the new hidden state.

    Returns:
        ``(d_xg (B, 3H), d_hg (B, 3H), d_h (B, H))``; differentiable while recording is on.
    """
    if GRAD.enabled:
        return _gru_gates_backward_composite(xg, hg, h, gh)
    return _run("gru_gates_backward", _gru_gates_backward_composite, (xg, hg, h, gh))


def _bw_gru_gates(node: Any, gh: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    xg, hg, h = node.saved
    d_xg, d_hg, d_h = gru_gates_backward(xg, hg, h, gh)
    return _like(d_xg, xg), _like(d_hg, hg), _like(d_h, h)


def gru_gates(xg: Tensor, hg: Tensor, h: Tensor) -> Tensor:
    """The pointwise part of a GRU step.

    With ``(r, z, n)`` the three ``H``-wide blocks of ``xg`` and of ``hg``::

        r = sigmoid(x_r + h_r)
        z = sigmoid(x_z + h_z)
        n = tanh(x_n + r * h_n)
        h' = (1 - z) * n + z * h

    Args:
        xg: ``(B, 3H)`` input part (``x W_ih^T + b_ih``).
        hg: ``(B, 3H)`` hidden part (``h W_hh^T + b_hh``); its ``n`` block is gated by ``r``.
        h: ``(B, H)`` previous hidden state.

    Returns:
        ``h'``, ``(B, H)``.

    >>> import ember
    >>> gru_gates(ember.zeros(1, 3), ember.zeros(1, 3), ember.ones(1, 1))
    tensor([[0.5000]])
    """
    out = _run("gru_gates", _gru_gates_composite, (xg, hg, h))
    if _wants_grad(xg, hg, h):
        record("GruGatesBackward0", _bw_gru_gates, (xg, hg, h), out, save=(xg, hg, h))
    return out


# ----------------------------------------------------------------------------- cells


def _affine(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """``x @ w^T + b``, under autocast in its lower-precision dtype (torch's cells call
    ``linear``, an op on autocast's lower-precision list)."""
    if AUTOCAST.active:
        x, w, b = autocast_args("linear", x, w, b)
    out = x.matmul(w.t())
    return out if b is None else out + b


def _check_cell(x: Tensor, hs: tuple[Tensor, ...], w_ih: Tensor, w_hh: Tensor) -> None:
    """torch's argument checks of the cell functions (names and wording as torch's)."""
    if x.shape[-1] != w_ih.shape[-1]:
        raise RuntimeError(f"input has inconsistent input_size: got {x.shape[-1]} expected "
                           f"{w_ih.shape[-1]}")
    for i, h in enumerate(hs):
        if x.shape[0] != h.shape[0]:
            raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{i} batch "
                               f"size {h.shape[0]}")
        if h.shape[-1] != w_hh.shape[-1]:
            raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[-1]}, "
                               f"expected {w_hh.shape[-1]}")
    if x.dtype != w_ih.dtype:
        names = {"float32": "Float", "float64": "Double", "float16": "Half",
                 "bfloat16": "BFloat16"}
        a = names.get(str(x.dtype).split(".")[-1], str(x.dtype))
        b = names.get(str(w_ih.dtype).split(".")[-1], str(w_ih.dtype))
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {a} and {b}")


def lstm_cell(input: Tensor, hx: tuple[Tensor, Tensor] | list[Tensor], w_ih: Tensor,  # noqa: A002
              w_hh: Tensor, b_ih: Tensor | None = None, b_hh: Tensor | None = None
              ) -> tuple[Tensor, Tensor]:
    """One LSTM step (torch's ``torch.lstm_cell``)::

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)
        f = sigmoid(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        o = sigmoid(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g
        h' = o * tanh(c')

    Args:
        input: ``(B, I)``.
        hx: ``(h, c)``, each ``(B, H)``.
        w_ih: ``(4H, I)``; w_hh: ``(4H, H)``; b_ih, b_hh: ``(4H,)`` or ``None``.

    Returns:
        ``(h', c')``, each ``(B, H)``.

    >>> import ember
    >>> h, c = lstm_cell(ember.ones(2, 3), (ember.zeros(2, 5), ember.zeros(2, 5)),
    ...                  ember.zeros(20, 3), ember.zeros(20, 5))
    >>> h.shape
    ember.Size([2, 5])
    """
    h, c = hx
    _check_cell(input, (h, c), w_ih, w_hh)
    return lstm_gates(_affine(input, w_ih, b_ih), _affine(h, w_hh, b_hh), c)


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
             b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One GRU step (torch's ``torch.gru_cell``)::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    Args:
        input: ``(B, I)``; hx: ``(B, H)``.
        w_ih: ``(3H, I)``; w_hh: ``(3H, H)``; b_ih, b_hh: ``(3H,)`` or ``None``.

    Returns:
        ``h'``, ``(B, H)``.

    >>> import ember
    >>> gru_cell(ember.ones(2, 3), ember.zeros(2, 5), ember.zeros(15, 3),
    ...          ember.zeros(15, 5)).shape
    ember.Size([2, 5])
    """
    _check_cell(input, (hx,), w_ih, w_hh)
    return gru_gates(_affine(input, w_ih, b_ih), _affine(hx, w_hh, b_hh), hx)


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman RNN step with tanh: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``.

    Args:
        input: ``(B, I)``; hx: ``(B, H)``; w_ih: ``(H, I)``; w_hh: ``(H, H)``;
        b_ih, b_hh: ``(H,)`` or ``None``.

    Returns:
        ``h'``, ``(B, H)``.

    >>> import ember
    >>> rnn_tanh_cell(ember.ones(1, 2), ember.zeros(1, 1), ember.ones(1, 2), ember.ones(1, 1))
    tensor([[0.9640]])
    """
    _check_cell(input, (hx,), w_ih, w_hh)
    return (_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh)).tanh()


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman RNN step with ReLU: ``h' = relu(W_ih x + b_ih + W_hh h + b_hh)``.

    Args:
        input: ``(B, I)``; hx: ``(B, H)``; w_ih: ``(H, I)``; w_hh: ``(H, H)``;
        b_ih, b_hh: ``(H,)`` or ``None``.

    Returns:
        ``h'``, ``(B, H)``.

    >>> import ember
    >>> rnn_relu_cell(ember.ones(1, 2), ember.zeros(1, 1), -ember.ones(1, 2),
    ...               ember.ones(1, 1))
    tensor([[0.]])
    """
    _check_cell(input, (hx,), w_ih, w_hh)
    return (_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh)).relu()
