"""ctc_loss: Connectionist Temporal Classification (Graves et al., 2006,
https://www.cs.toronto.edu/~graves/icml_2006.pdf).

The op has two halves, each a fused kernel where the backend has one and a composite of
ember ops (a loop over time, vectorized over the batch and the target states) otherwise:

- ``ctc_loss(log_probs, targets, input_lengths, target_lengths, blank)`` ->
  ``(nll (N,), log_alpha (N, T, 2S+1))``: the log-space forward (alpha) recursion.
- ``ctc_loss_backward(log_probs, grad, targets, input_lengths, target_lengths, nll,
  log_alpha, blank, zero_infinity)`` -> ``grad (T, N, C)``: the beta recursion and torch's
  gradient with respect to ``log_probs``.

Targets reach both halves padded to ``(N, S)`` int64, lengths as tuples of ints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ember
from ember import Tensor
from ember._dispatch import NoKernelError
from ember.autograd.grad_mode import GRAD
from ember.autograd.graph import record
from ember.ops._base import no_grad_call, wrap

from ._reduction import check_reduction

__all__ = ["ctc_loss"]

_WHERE = "(while checking arguments for ctc_loss_allocate_outputs)"


# ---------------------------------------------------------------------------------------
# composite definitions
# ---------------------------------------------------------------------------------------


def _lse(*xs: Tensor) -> Tensor:
    """Elementwise ``log(sum(exp(x)))`` over the tensors ``xs``; -inf when all are -inf."""
    m = xs[0]
    for x in xs[1:]:
        m = ember.maximum(m, x)
    m = ember.where(m == float("-inf"), ember.zeros_like(m), m)
    total = (xs[0] - m).exp()
    for x in xs[1:]:
        total = total + (x - m).exp()
    return m + total.log()


def _shift(x: Tensor, by: int) -> Tensor:
    """Shift ``x`` (N, L) along the states: ``by > 0`` moves right (pads -inf in front),
    ``by < 0`` moves left (pads at the end)."""
    n, length = x.shape
    pad = ember.full((n, min(abs(by), length)), float("-inf"), dtype=x.dtype, device=x.device)
    if abs(by) >= length:
        return pad
    if by > 0:
        return ember.cat([pad, x[:, :length - by]], 1)
    return ember.cat([x[:, -by:], pad], 1)


class _Extended:
    """The extended targets ``blank, l1, blank, ..., lS, blank`` of every sequence and the
    masks the recursions need, shape (N, L) with ``L = 2S + 1``."""

    def __init__(self, targets: Tensor, target_lengths: Sequence[int], blank: int) -> None:
        n, s = targets.shape
        dev = targets.device
        blanks = ember.full((n, s), blank, dtype=ember.int64, device=dev)
        pairs = ember.stack([blanks, targets], 2).reshape(n, 2 * s)
        self.labels = ember.cat([pairs, blanks[:, :1] if s else
                                 ember.full((n, 1), blank, dtype=ember.int64, device=dev)], 1)
        length = 2 * s + 1
        states = ember.arange(length, device=dev).reshape(1, length)
        n_states = ember.tensor([2 * t + 1 for t in target_lengths], device=dev).reshape(n, 1)
        self.valid = states < n_states
        self.final = (states == n_states - 1) | (states == n_states - 2)
        # torch's backward keeps only the second-last state's term in the last frame when
        # that state's label is the blank (a target wrongly holding the blank label)
        before_last = self.labels.gather(1, (n_states - 2).clamp_min(0))
        self.drop_last = (states == n_states - 1) & (n_states > 1) & (before_last == blank)
        lab = self.labels
        if length > 2:
            differs = lab[:, 2:] != lab[:, :-2]         # never true for blank states
            no = ember.zeros((n, 2), dtype=ember.bool, device=dev)
            self.skip_from = ember.cat([no, differs], 1)        # s may come from s - 2
            self.skip_to = ember.cat([differs, no], 1)          # s may go to s + 2
        else:
            self.skip_from = self.skip_to = ember.zeros((n, length), dtype=ember.bool,
                                                        device=dev)

    def gather(self, log_probs: Tensor) -> Tensor:
        """``log_probs[t, b, labels[b, s]]`` as (T, N, L)."""
        t = log_probs.shape[0]
        return log_probs.gather(2, self.labels.unsqueeze(0).expand(t, *self.labels.shape))


def ctc_forward_composite(log_probs: Tensor, targets: Tensor, input_lengths: Sequence[int],
                          target_lengths: Sequence[int], blank: int
                          ) -> tuple[Tensor, Tensor]:
    """The forward recursion in ember ops: ``(nll (N,), log_alpha (N, T, 2S+1))``."""
    t_max, n, _ = log_probs.shape
    ext = _Extended(targets, target_lengths, blank)
    lp = ext.gather(log_probs)
    neg = ember.full(ext.labels.shape, float("-inf"), dtype=log_probs.dtype,
                     device=log_probs.device)
    lengths = ember.tensor(list(input_lengths), device=log_probs.device).reshape(n, 1)
    first = ember.arange(ext.labels.shape[1], device=log_probs.device).reshape(1, -1) < 2
    alpha = ember.where(first & ext.valid, lp[0], neg)
    alphas = [alpha]
    for t in range(1, t_max):
        from_skip = ember.where(ext.skip_from, _shift(alpha, 2), neg)
        new = ember.where(ext.valid, _lse(alpha, _shift(alpha, 1), from_skip) + lp[t], neg)
        alpha = ember.where(lengths > t, new, alpha)
        alphas.append(alpha)
    end = ember.where(ext.final, alpha, neg)
    nll = -_lse(*[end[:, i] for i in range(end.shape[1])]) if end.shape[1] > 1 else -end[:, 0]
    zero_len = lengths.reshape(n) == 0
    empty_target = ember.tensor([t == 0 for t in target_lengths], device=log_probs.device)
    nll = ember.where(zero_len & empty_target, ember.zeros_like(nll), nll)
    nll = ember.where(zero_len & ~empty_target, ember.full_like(nll, float("inf")), nll)
    return nll, ember.stack(alphas, 1)


def ctc_backward_composite(log_probs: Tensor, grad: Tensor, targets: Tensor,
                           input_lengths: Sequence[int], target_lengths: Sequence[int],
                           nll: Tensor, log_alpha: Tensor, blank: int, zero_infinity: bool
                           ) -> Tensor:
    """The backward (beta) recursion in ember ops: the gradient (T, N, C) of the losses
    ``nll`` (weighted by ``grad``) with respect to ``log_probs``, in torch's convention
    ``exp(lp) - exp(log sum_{s: l'_s = c} alpha beta + nll - lp)``."""
    t_max, n, c = log_probs.shape
    dev = log_probs.device
    ext = _Extended(targets, target_lengths, blank)
    lp = ext.gather(log_probs)
    neg = ember.full(ext.labels.shape, float("-inf"), dtype=log_probs.dtype, device=dev)
    last = ember.tensor([int(v) - 1 for v in input_lengths], device=dev).reshape(n, 1)
    betas: list[Tensor] = [neg] * t_max
    beta = neg
    for t in range(t_max - 1, -1, -1):
        to_skip = ember.where(ext.skip_to, _shift(beta, -2), neg)
        rec = ember.where(ext.valid, _lse(beta, _shift(beta, -1), to_skip) + lp[t], neg)
        init = ember.where(ext.final & ext.valid, lp[t], neg)
        beta = ember.where(last == t, init, ember.where(last > t, rec, neg))
        betas[t] = beta
    ab = log_alpha.permute(1, 0, 2) + ember.stack(betas, 0)                  # (T, N, L)
    steps = ember.arange(t_max, device=dev).reshape(t_max, 1, 1)
    drop = (steps == last.reshape(1, n, 1)) & ext.drop_last.unsqueeze(0)
    ab = ember.where(drop, ember.full_like(ab, float("-inf")), ab)
    m = ab.amax(2, keepdim=True)
    m = ember.where(m == float("-inf"), ember.zeros_like(m), m)
    index = ext.labels.unsqueeze(0).expand(t_max, *ext.labels.shape)
    sums = ember.zeros((t_max, n, c), dtype=log_probs.dtype, device=dev)
    lcab = sums.scatter_add(2, index, (ab - m).exp()).log() + m
    nll3 = nll.reshape(1, n, 1)
    impossible = nll3 == float("inf")
    finite_nll = ember.where(impossible, ember.zeros_like(nll3), nll3)
    out = (log_probs.exp() - (lcab + finite_nll - log_probs).exp()) * grad.reshape(1, n, 1)
    # an impossible alignment has no finite alpha * beta: torch's formula gives NaN there
    out = ember.where(impossible, ember.full_like(out, float("nan")), out)
    keep = steps <= last.reshape(1, n, 1)
    if zero_infinity:
        keep = keep & ~impossible
    return ember.where(keep, out, ember.zeros_like(out))


# ---------------------------------------------------------------------------------------
# the op
# ---------------------------------------------------------------------------------------


def _forward(log_probs: Tensor, targets: Tensor, il: tuple[int, ...], tl: tuple[int, ...],
             blank: int) -> tuple[Tensor, Tensor]:
    kern = log_probs._k.ctc_loss
    if kern is not None:
        nll, alpha = kern(log_probs._data, targets._data, il, tl, blank)
        return (wrap(nll, log_probs._device, log_probs._k),
                wrap(alpha, log_probs._device, log_probs._k))
    return no_grad_call(ctc_forward_composite, log_probs.detach(), targets, il, tl, blank)


def _bw_ctc(node: Any, g: Tensor) -> Tensor:
    log_probs, targets, nll, alpha = node.saved
    il, tl, blank, zero_infinity = node.attrs
    kern = log_probs._k.ctc_loss_backward
    if kern is not None:
        out = kern(log_probs._data, g.contiguous()._data, targets._data, il, tl, nll._data,
                   alpha._data, blank, zero_infinity)
        return wrap(out, log_probs._device, log_probs._k)
    return ctc_backward_composite(log_probs, g, targets, il, tl, nll, alpha, blank,
                                  zero_infinity)


def _lengths(v: Any, name: str) -> tuple[int, ...]:
    if isinstance(v, Tensor):
        if v.dtype.is_floating_point or v.dtype == ember.bool:
            raise RuntimeError(f"{name} must be integral")
        return tuple(int(x) for x in v.reshape(-1).tolist())
    if isinstance(v, (list, tuple)):
        return tuple(int(x) for x in v)
    raise TypeError(f"ctc_loss(): argument '{name}' must be a Tensor or a tuple of ints, not "
                    f"{type(v).__name__}")


def _padded_targets(targets: Tensor, tl: tuple[int, ...], n: int) -> Tensor:
    """Targets as (N, max(tl)) int64 (positions past each length hold 0), after torch's
    checks of the concatenated (1-d) or padded (2-d) layout."""
    for v in tl:
        if v < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got "
                               f"value {v} {_WHERE}")
    s = max(tl) if tl else 0
    t = targets.long()
    if targets.ndim == 1:
        if targets.shape[0] != sum(tl):
            raise RuntimeError(f"Expected tensor to have size {sum(tl)} at dimension 0, but got "
                               f"size {targets.shape[0]} for argument #2 'targets' {_WHERE}")
        offsets, pos, last = [], 0, max(sum(tl) - 1, 0)
        for v in tl:
            offsets.append([min(pos + min(j, max(v - 1, 0)), last) for j in range(s)])
            pos += v
        if s == 0 or t.numel() == 0:
            return ember.zeros((n, s), dtype=ember.int64, device=targets.device)
        idx = ember.tensor(offsets, dtype=ember.int64, device=targets.device)
        t = t.index_select(0, idx.reshape(-1)).reshape(n, s)
    else:
        if targets.shape[0] != n:
            raise RuntimeError(f"Expected tensor to have size {n} at dimension 0, but got size "
                               f"{targets.shape[0]} for argument #2 'targets' {_WHERE}")
        if targets.shape[1] < s:
            raise RuntimeError(f"Expected tensor to have size at least {s} at dimension 1, but "
                               f"got size {targets.shape[1]} for argument #2 'targets' "
                               f"{_WHERE}")
        t = t[:, :s]
    inside = (ember.arange(s, device=targets.device).reshape(1, s)
              < ember.tensor(list(tl), device=targets.device).reshape(n, 1))
    return ember.where(inside, t, ember.zeros_like(t))


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Tensor | Sequence[int],
             target_lengths: Tensor | Sequence[int], blank: int = 0, reduction: str = "mean",
             zero_infinity: bool = False) -> Tensor:
    """Connectionist Temporal Classification loss.

    The loss of one sequence is ``-log p(l | x) = -log sum_{a in B^-1(l)} prod_t
    y_t[a_t]``: every frame-level alignment ``a`` that collapses (repeats merged, blanks
    dropped) to the target ``l`` counts. It is computed with the alpha recursion over the
    extended target ``blank, l1, blank, l2, ..., blank`` in log space, so long sequences
    stay finite.

    Args:
        log_probs: ``(T, N, C)`` or unbatched ``(T, C)`` log-probabilities (e.g. from
            ``log_softmax``).
        targets: ``(N, S)`` padded, or ``(sum(target_lengths),)`` concatenated class
            indices (not ``blank``).
        input_lengths: ``(N)`` tensor or tuple of ints, each ``<= T``.
        target_lengths: ``(N)`` tensor or tuple of ints, each ``<= S``.
        blank: the blank label (default 0).
        reduction: ``'none'`` (per sequence), ``'mean'`` (each loss divided by its target
            length, then averaged over the batch) or ``'sum'``.
        zero_infinity: replace infinite losses (impossible alignments) and their gradients
            by zero.

    Returns:
        ``(N)`` (or a scalar when unbatched) for ``'none'``, else a scalar.

    >>> import ember
    >>> from ember_losses import ctc_loss
    >>> lp = ember.zeros(2, 1, 2).log_softmax(2)
    >>> ctc_loss(lp, ember.tensor([[1]]), (2,), (1,), reduction="sum")
    tensor(0.2877)
    """
    reduction = check_reduction(reduction)
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    if lp.ndim != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp.ndim}-dimensional "
                           f"tensor for argument #1 'log_probs' {_WHERE}")
    if targets.ndim not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.ndim}-dimensional "
                           f"tensor for argument #2 'targets' {_WHERE}")
    if lp.dtype not in (ember.float32, ember.float64):
        names = {"int64": "Long", "int32": "Int", "float16": "Half", "bfloat16": "BFloat16"}
        raise NoKernelError(f'"ctc_loss_cpu" not implemented for '
                            f"'{names.get(lp.dtype.name, lp.dtype.name)}'")
    t_max, n, n_classes = lp.shape
    if not 0 <= blank < n_classes:
        raise RuntimeError("blank must be in label range")
    if len(il) != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(tl) != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    padded = _padded_targets(targets, tl, n)
    for v in il:
        if v < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got "
                               f"value {v} {_WHERE}")
        if v > t_max:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                               f"value {v} {_WHERE}")
    if padded.numel() and bool(((padded < 0) | (padded >= n_classes)).any()):
        raise IndexError(f"[ctc_loss] target labels must be in [0, {n_classes}), got "
                         f"{int(padded.min().item())}..{int(padded.max().item())}")
    nll, alpha = _forward(lp, padded, il, tl, blank)
    if GRAD.enabled and lp.requires_grad:
        record("CtcLossBackward0", _bw_ctc, (lp,), nll, save=(lp.detach(), padded, nll.detach(),
                                                               alpha),
               attrs=(il, tl, blank, zero_infinity))
    if zero_infinity:
        nll = ember.where(nll == float("inf"), ember.zeros_like(nll), nll)
    if reduction == "mean":
        lengths = ember.tensor(list(tl), dtype=nll.dtype, device=nll.device).clamp_min(1)
        return (nll / lengths).mean()
    if reduction == "sum":
        return nll.sum()
    return nll if batched else nll.squeeze(0)
