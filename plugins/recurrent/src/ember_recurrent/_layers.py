"""The multi-layer recurrence shared by RNN, LSTM and GRU.

Every input is handled in packed form: ``rows`` is ``(N, I)`` with the time steps one after
another and ``batch_sizes[t]`` rows at step ``t`` (a padded ``(T, B, I)`` input is the case
where every step has ``B`` rows). For each layer and direction:

1. the input part of every step's gates comes from one matmul over all ``N`` rows;
2. it is cut into per-step slices by one op (:func:`_split_rows`) whose backward is a single
   concatenation, so the graph does not grow with a zero-filled gradient per step;
3. each step does one matmul with ``W_hh`` and one pointwise gate op (fused kernel where
   the backend has one), then, for an LSTM with ``proj_size``, one matmul with ``W_hr``;
4. the gradient of a weight used at every step (``W_hh``, ``W_hr``) is not summed from one
   small product per step: :class:`_SharedWeight` gathers the steps' output gradients and
   forms it with one matmul over the whole sequence.

Between layers the output goes through dropout in training mode.

Under autocast (what torch 2.13 does on the cpu) the input part is a ``linear`` over all
rows and each step's hidden part a ``linear`` of the running state, both in the autocast
dtype; the pointwise step then promotes against the state. So an Elman RNN's state turns
bfloat16 after the first step, while a GRU's state, and an LSTM's cell state, stay in the
dtype they start in (float32 unless the caller cast them, see ``RNNBase._forward``), and an
LSTM's projection is a lower-precision matmul again. The running state is cast to the
autocast dtype for each hidden-part product, the weights once per layer and direction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ember
from ember._tensor import Tensor, wrap
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args
from ember.autograd.grad_mode import GRAD
from ember.autograd.graph import record
from ember.ops.shape import cat, stack

from .functional import gru_gates, lstm_gates

__all__ = ["run_rnn"]


def _bw_split_rows(node: Any, *grads: Tensor) -> tuple[Tensor]:
    if node.attrs is None:
        return (stack(grads, 0),)
    return (cat(grads, 0),)


def _split_rows(x: Tensor, sizes: Sequence[int] | None) -> list[Tensor]:
    """Cut ``x`` along dim 0 into consecutive pieces of ``sizes`` rows (``None``: one
    piece per index, with dim 0 removed). The pieces share ``x``'s memory; the op records
    one node whose backward joins the pieces' gradients."""
    a, k, dev = x._data, x._k, x._device
    index = k.index
    if sizes is None:
        parts = [wrap(index(a, (i,)), dev, k) for i in range(a.shape[0])]
    else:
        parts = []
        start = 0
        for s in sizes:
            parts.append(wrap(index(a, (slice(start, start + s),)), dev, k))
            start += s
    if GRAD.enabled and x._rg:
        record("SplitWithSizesBackward0", _bw_split_rows, (x,), tuple(parts),
               attrs=None if sizes is None else tuple(sizes))
    return parts


def _bw_step_product(node: Any, g: Tensor) -> tuple[Tensor | None, Tensor]:
    (w,) = node.saved
    return (g.matmul(w) if node.next_functions[0] is not None else None), g


def _bw_shared_weight(node: Any, *grads: Tensor) -> tuple[Tensor]:
    inputs = node.saved
    return (cat(grads, 0).t().matmul(cat(inputs, 0)),)


class _SharedWeight:
    """``x_t @ w^T`` for every step ``t`` of a sequence, with ``w``'s gradient formed once.

    While recording, one node ``W`` (input ``w``) is created up front with one placeholder
    output ("token") per step; step ``t``'s product records a node with inputs
    ``(x_t, token_t)`` whose backward returns ``g_t @ w`` for ``x_t`` and ``g_t`` itself for
    the token. ``W``'s backward then receives every ``g_t`` and returns
    ``cat(g)^T @ cat(x)`` -- one matmul instead of one per step and a running sum. Both
    backward formulas are ember ops, so higher derivatives work. Without recording (or when
    ``w`` needs no gradient) each step is a plain matmul.
    """

    def __init__(self, w: Tensor, rows: list[int]) -> None:
        self.w = w
        self.w_t = w.t()
        self.inputs: list[Tensor] = []
        self.node: Any = None
        self.tokens: list[Tensor] = []
        if GRAD.enabled and w._rg and rows:
            k, dev = w._k, w._device
            zero = k.full((), 0, w._data.dtype, dev)
            width = w._data.shape[0]
            self.tokens = [wrap(k.expand(zero, (r, width)), dev, k) for r in rows]
            self.node = record("SharedWeightMmBackward", _bw_shared_weight, (w,),
                               tuple(self.tokens))

    def product(self, x: Tensor, step: int) -> Tensor:
        """``x @ w^T`` for the ``step``-th call (steps in the order of ``rows``)."""
        if self.node is None:
            return x.matmul(self.w_t)
        out = wrap(x._k.matmul(x._data, self.w_t._data), x._device, x._k)
        self.inputs.append(x)
        record("MmBackward0", _bw_step_product, (x, self.tokens[step]), out, save=(self.w,))
        return out

    def finish(self) -> None:
        """Keep the steps' inputs for ``w``'s gradient (call after the last step)."""
        if self.node is not None:
            self.node.save(*self.inputs)
            self.tokens = []


def _dropout(x: Tensor, p: float) -> Tensor:
    if p == 1.0:
        return x * 0
    keep = ember.empty_like(x).bernoulli_(1 - p)
    return x * keep * (1.0 / (1 - p))


def _input_part(mode: str, rows: Tensor, w_ih: Tensor, b_ih: Tensor | None,
                b_hh: Tensor | None) -> Tensor:
    if AUTOCAST.active:
        rows, w_ih, b_ih, b_hh = autocast_args("linear", rows, w_ih, b_ih, b_hh)
    out = rows.matmul(w_ih.t())
    if b_ih is None:
        return out
    if mode == "GRU":  # b_hh is gated by r on the n block: it stays in the hidden part
        return out + b_ih
    return out + (b_ih + b_hh)


def _lower(h: Tensor) -> Tensor:
    """The running state as autocast's ``linear`` takes it (unchanged when not eligible)."""
    return autocast_args("linear", h)[0]


def _direction(mode: str, steps: list[Tensor], sizes: list[int], h0: Tensor,
               c0: Tensor | None, w: tuple[Tensor | None, ...], reverse: bool
               ) -> tuple[list[Tensor], Tensor, Tensor | None]:
    """Run one direction of one layer over the per-step input parts ``steps``.

    Returns the per-step outputs (in time order), the final hidden state and, for an LSTM,
    the final cell state, each with ``sizes[0]`` rows.
    """
    _, w_hh, _, b_hh, w_hr = w
    cast = AUTOCAST.active
    if cast:
        w_hh, b_hh, w_hr = autocast_args("linear", w_hh, b_hh, w_hr)
    run_rows = [sizes[t] for t in (range(len(sizes) - 1, -1, -1) if reverse
                                   else range(len(sizes)))]
    rec = _SharedWeight(w_hh, run_rows)  # type: ignore[arg-type]
    proj = None if w_hr is None else _SharedWeight(w_hr, run_rows)
    gru_bias = b_hh if mode == "GRU" else None
    act = "tanh" if mode == "RNN_TANH" else "relu"
    n_steps = len(steps)
    order = range(n_steps - 1, -1, -1) if reverse else range(n_steps)
    outs: list[Tensor] = [None] * n_steps  # type: ignore[list-item]
    full = sizes[0] if n_steps else h0.shape[0]
    # rows of finished sequences (forward direction), collected as the batch shrinks
    done_h: list[Tensor] = []
    done_c: list[Tensor] = []
    if reverse and n_steps:
        cur = sizes[-1]
        h = h0[:cur] if cur != full else h0
        c = None if c0 is None else (c0[:cur] if cur != full else c0)
    else:
        cur = full
        h, c = h0, c0
    for n, t in enumerate(order):
        bs = sizes[t]
        if bs != cur:
            if bs < cur:  # forward: sequences bs..cur end here
                done_h.append(h[bs:cur])
                h = h[:bs]
                if c is not None:
                    done_c.append(c[bs:cur])
                    c = c[:bs]
            else:  # reverse: sequences cur..bs start here
                start = h0[cur:bs]
                if start.dtype is not h.dtype:
                    # autocast: a lower-precision state meets float32 initial rows; the
                    # state only feeds the next product, which takes it in the autocast
                    # dtype either way, so join them in that dtype
                    start = start.to(h.dtype)
                h = cat((h, start), 0)
                if c is not None and c0 is not None:
                    c = cat((c, c0[cur:bs]), 0)
            cur = bs
        hg = rec.product(_lower(h) if cast else h, n)
        if mode == "LSTM":
            h, c = lstm_gates(steps[t], hg, c)  # type: ignore[arg-type]
            if proj is not None:
                h = proj.product(_lower(h) if cast else h, n)
        elif mode == "GRU":
            if gru_bias is not None:
                hg = hg + gru_bias
            h = gru_gates(steps[t], hg, h)
        else:
            pre = steps[t] + hg
            h = pre.tanh() if act == "tanh" else pre.relu()
        outs[t] = h
    rec.finish()
    if proj is not None:
        proj.finish()
    if done_h:
        h = cat((h, *reversed(done_h)), 0)
        if c is not None:
            c = cat((c, *reversed(done_c)), 0)
    return outs, h, c


def run_rnn(mode: str, rows: Tensor, batch_sizes: list[int], hx: Tensor,
            cx: Tensor | None, weights: Sequence[tuple[Tensor | None, ...]],
            num_layers: int, dropout: float, training: bool, bidirectional: bool
            ) -> tuple[Tensor, Tensor, Tensor | None]:
    """The whole stack of layers over a packed input.

    Args:
        mode: ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``.
        rows: ``(N, I)`` the packed steps, ``N = sum(batch_sizes)``.
        batch_sizes: rows per step, non-increasing.
        hx: ``(L * D, B, H_out)`` initial hidden states (``B = batch_sizes[0]``).
        cx: ``(L * D, B, H)`` initial cell states (LSTM) or ``None``.
        weights: per layer and direction ``(w_ih, w_hh, b_ih, b_hh, w_hr)`` (absent ones
            ``None``), in the order layer 0 forward, layer 0 reverse, layer 1 forward, ...
        num_layers, dropout, training, bidirectional: as the module's attributes.

    Returns:
        ``(output (N, D * H_out), h_n (L * D, B, H_out), c_n (L * D, B, H) or None)``.
    """
    dirs = 2 if bidirectional else 1
    h0s = _split_rows(hx, None)
    c0s = _split_rows(cx, None) if cx is not None else None
    hn: list[Tensor] = []
    cn: list[Tensor] = []
    layer_in = rows
    for layer in range(num_layers):
        results = []
        for d in range(dirs):
            idx = layer * dirs + d
            w = weights[idx]
            xp = _input_part(mode, layer_in, w[0], w[2], w[3])  # type: ignore[arg-type]
            steps = _split_rows(xp, batch_sizes)
            outs, h, c = _direction(mode, steps, batch_sizes, h0s[idx],
                                    None if c0s is None else c0s[idx], w, reverse=d == 1)
            results.append(cat(outs, 0))
            hn.append(h)
            if c is not None:
                cn.append(c)
        layer_out = results[0] if dirs == 1 else cat(results, 1)
        if dropout > 0 and training and layer < num_layers - 1:
            layer_out = _dropout(layer_out, dropout)
        layer_in = layer_out
    return layer_in, stack(hn, 0), (stack(cn, 0) if cn else None)
