"""Lookup-table ops: embedding, embedding_bag and one_hot.

``embedding`` gathers rows of the weight and records its own backward,
``embedding_backward``: the output gradient rows accumulated into a zero weight-shaped
tensor with ``index_put(accumulate=True)`` (scaled by inverse index frequency on request,
zero at ``padding_idx``). A backend may provide a fused ``embedding_backward`` kernel;
under ``create_graph`` the composite runs so second derivatives stay available.
``embedding_bag`` is a composite over ``embedding``.
"""

from __future__ import annotations

from typing import Any

import ember
from ember._tensor import Tensor
from ember.autograd.grad_mode import GRAD
from ember.autograd.graph import record
from ember.ops._base import no_grad_call

from .._util import dtype_name, fused, needs_grad, shape_str

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _check_indices(op: str, idx: Tensor, num: int) -> Tensor:
    if idx.dtype not in (ember.int64, ember.int32):
        raise RuntimeError(f"[{op}] Expected tensor for argument #1 'indices' to have one of "
                           "the following scalar types: Long, Int; but got "
                           f"{dtype_name(idx)} tensor of shape {shape_str(idx)} instead")
    if idx.numel():
        lo, hi = int(idx.min().item()), int(idx.max().item())
        if lo < 0 or hi >= num:
            raise IndexError(f"index out of range in self ([{op}] indices must be in "
                             f"[0, {num}), got values in [{lo}, {hi}])")
    return idx.to(ember.int64)


def _resolve_padding(padding_idx: int | None, num: int, op: str) -> int:
    if padding_idx is None:
        return -1
    if padding_idx >= num or padding_idx < -num:
        raise AssertionError(f"Padding_idx must be within num_embeddings ([{op}] got "
                             f"padding_idx={padding_idx} for {num} embeddings)")
    return padding_idx + num if padding_idx < 0 else padding_idx


def _embedding_backward_composite(g: Tensor, idx: Tensor, num: int, padding_idx: int,
                                  scale: bool) -> Tensor:
    """Gradient of the weight: ``g`` rows ``(n, D)`` summed into rows ``idx`` ``(n,)``."""
    if padding_idx >= 0:
        g = g * (idx != padding_idx).to(g.dtype).unsqueeze(1)
    if scale:
        counts = ember.zeros(num, dtype=g.dtype, device=g.device).index_put(
            (idx,), ember.ones(idx.shape, dtype=g.dtype, device=g.device), accumulate=True)
        g = g / counts.index_select(0, idx).unsqueeze(1)
    out = ember.zeros((num, g.shape[1]), dtype=g.dtype, device=g.device)
    return out.index_put((idx,), g, accumulate=True)


def _bw_embedding(node: Any, g: Tensor) -> Tensor:
    (idx,) = node.saved
    num, dim, padding_idx, scale = node.attrs
    g2 = g.reshape(-1, dim)
    flat = idx.reshape(-1)
    if GRAD.enabled:  # create_graph: the composite records its own graph
        return _embedding_backward_composite(g2, flat, num, padding_idx, scale)
    return fused("embedding_backward", _embedding_backward_composite, (g2, flat), num,
                 padding_idx, scale)


def _renorm_(weight: Tensor, idx: Tensor, max_norm: float, norm_type: float) -> None:
    """Scale the rows of ``weight`` used by ``idx`` whose norm exceeds ``max_norm`` down to
    ``max_norm`` (in place, not recorded)."""
    with ember.no_grad():
        flat = idx.reshape(-1)
        rows = weight.index_select(0, flat)
        norms = rows.norm(norm_type, 1, keepdim=True)
        scale = ember.where(norms > max_norm, max_norm / (norms + 1e-7), ember.ones_like(norms))
        weight.index_put_((flat,), rows * scale)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,  # noqa: A002
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight``: ``y[..., :] = weight[x[...], :]``.

    Args:
        input: integer indices of any shape, values in ``[0, num_embeddings)``.
        weight: ``(num_embeddings, embedding_dim)``.
        padding_idx: a row that receives no gradient (negative counts from the end).
            Default: ``None``.
        max_norm: rows used by ``input`` with a larger ``norm_type``-norm are rescaled in
            place to this norm before the lookup. Default: ``None``.
        norm_type: the p of that norm. Default: 2.
        scale_grad_by_freq: divide each row's gradient by how often its index occurs in
            ``input``. Default: ``False``.
        sparse: accepted for torch compatibility; ember's weight gradient is always a dense
            tensor. Default: ``False``.

    Returns:
        ``(*input.shape, embedding_dim)``.

    >>> import ember
    >>> w = ember.tensor([[0., 0.], [1., 2.]])
    >>> ember.nn.functional.embedding(ember.tensor([1, 0]), w)
    tensor([[1., 2.],
            [0., 0.]])
    """
    if weight.ndim != 2:
        raise RuntimeError(f"[embedding] 'weight' must be 2-D, got shape {shape_str(weight)}")
    num, dim = weight.shape
    pad = _resolve_padding(padding_idx, num, "embedding")
    idx = _check_indices("embedding", input, num)
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    out = no_grad_call(lambda: weight.index_select(0, idx.reshape(-1))
                       .reshape(*idx.shape, dim))
    if needs_grad(weight):
        record("EmbeddingBackward0", _bw_embedding, (weight,), out, save=(idx,),
               attrs=(num, dim, pad, scale_grad_by_freq))
    return out


def _bag_ids(offsets: Tensor, n: int, include_last: bool) -> tuple[Tensor, Tensor, int]:
    """For every input position: its bag (``(n,)`` int64) and whether it belongs to one;
    and the number of bags."""
    offs = offsets.to(ember.int64)
    if offs.ndim != 1:
        raise ValueError("[embedding_bag] offsets has to be a 1D Tensor")
    starts = offs[:-1] if include_last else offs
    bags = starts.shape[0]
    end = int(offs[-1].item()) if include_last and offs.shape[0] else n
    if starts.shape[0] and int(starts[0].item()) != 0:
        raise RuntimeError("[embedding_bag] offsets[0] has to be 0, i.e., the first sequence in "
                           f"the mini-batch has to start from position 0. However, got "
                           f"{int(starts[0].item())}")
    if offs.shape[0] and int(offs.max().item()) > n:
        raise RuntimeError(f"[embedding_bag] offsets[-1] can not be greater than input's length "
                           f"({n}), but got offsets of max {int(offs.max().item())}")
    dev = offs.device
    marks = ember.zeros(n + 1, dtype=ember.int64, device=dev).index_put(
        (starts,), ember.ones(bags, dtype=ember.int64, device=dev), accumulate=True)
    ids = marks.cumsum(0)[:n] - 1
    valid = ember.arange(n, device=dev) < end
    return ids.clamp(0, max(bags - 1, 0)), valid, bags


def _bag_max(rows: Tensor, ids: Tensor, keep: Tensor, bags: int) -> Tensor:
    """Per-bag maximum of ``rows`` ``(n, D)``: bags laid out as a padded ``(B, L, D)``."""
    n, d = rows.shape
    dev = rows.device
    counts = ember.zeros(bags, dtype=ember.int64, device=dev)
    if n:
        counts = counts.index_put((ids,), ember.ones(n, dtype=ember.int64, device=dev),
                                  accumulate=True)
    longest = int(counts.max().item()) if bags else 0
    if longest == 0 or n == 0:
        return ember.zeros((bags, d), dtype=rows.dtype, device=dev)
    starts = counts.cumsum(0) - counts
    steps = ember.arange(longest, device=dev).unsqueeze(0)
    pos = starts.unsqueeze(1) + steps  # (B, L)
    inside = steps < counts.unsqueeze(1)
    pos = pos.clamp(0, n - 1)
    keep_pad = inside & keep.index_select(0, pos.reshape(-1)).reshape(bags, longest)
    padded = rows.index_select(0, pos.reshape(-1)).reshape(bags, longest, d)
    neg = ember.full((), float("-inf"), dtype=rows.dtype, device=dev)
    masked = ember.where(keep_pad.unsqueeze(-1), padded, neg)
    best = masked.max(1).values
    return ember.where(keep_pad.any(1).unsqueeze(-1), best,
                       ember.zeros((), dtype=rows.dtype, device=dev))


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,  # noqa: A002
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sum, mean or max of bags of embeddings, without materializing the lookups per bag.

    ``y[b] = reduce_{i in bag b} w_i * weight[x_i]`` with ``w_i`` the per-sample weights
    (``sum`` mode only, else 1). Entries equal to ``padding_idx`` are left out (and not
    counted by ``mean``); an empty bag gives zeros.

    Args:
        input: ``(B, L)`` (B bags of L indices) or ``(N,)`` with ``offsets``.
        weight: ``(num_embeddings, embedding_dim)``.
        offsets: ``(B,)`` start of each bag in a 1-D ``input`` (``(B + 1,)`` with
            ``include_last_offset``). Default: ``None``.
        max_norm: renormalize used rows to this norm first (see :func:`embedding`).
        norm_type: the p of that norm. Default: 2.
        scale_grad_by_freq: scale gradients by inverse index frequency (not in ``max``
            mode). Default: ``False``.
        mode: ``"sum"``, ``"mean"`` or ``"max"``. Default: ``"mean"``.
        sparse: accepted for torch compatibility; gradients are dense. Default: ``False``.
        per_sample_weights: ``input``-shaped weights, ``sum`` mode only. Default: ``None``.
        include_last_offset: ``offsets`` has a final entry marking the end of the last bag.
            Default: ``False``.
        padding_idx: an index left out of every bag. Default: ``None``.

    Returns:
        ``(B, embedding_dim)``.

    >>> import ember
    >>> w = ember.tensor([[1., 1.], [3., 5.]])
    >>> ember.nn.functional.embedding_bag(ember.tensor([[0, 1]]), w)
    tensor([[2., 3.]])
    """
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is "
                         f"not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"[embedding_bag] weight has to be a 2D Tensor, but got Tensor of "
                         f"dimension {weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("[embedding_bag] if input is 2D, then offsets has to be None, as "
                             "input is treated "
                             "is a mini-batch of fixed length sequences. However, found offsets "
                             f"of type {type(offsets)}")
        offsets = ember.arange(0, input.numel(), max(input.shape[1], 1), device=input.device)
        if input.shape[1] == 0:
            offsets = ember.zeros(input.shape[0], dtype=ember.int64, device=input.device)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("[embedding_bag] offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("[embedding_bag] offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"[embedding_bag] input has to be 1D or 2D Tensor, but got Tensor of "
                         f"dimension {input.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"[embedding_bag] mode has to be one of sum, mean or max (got {mode!r})")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("[embedding_bag] max mode does not support scaling the gradient by the "
                         "frequency")
    if mode == "max" and sparse:
        raise ValueError("[embedding_bag] max mode does not support sparse weights")
    num = weight.shape[0]
    pad = _resolve_padding(padding_idx, num, "embedding_bag")
    idx = _check_indices("embedding_bag", input, num)
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    n = idx.shape[0]
    ids, valid, bags = _bag_ids(offsets, n, include_last_offset)
    keep = valid & (idx != pad) if pad >= 0 else valid
    rows = embedding(idx, weight, pad if pad >= 0 else None,
                     scale_grad_by_freq=scale_grad_by_freq)
    if mode == "max":
        return _bag_max(rows, ids, keep, bags)
    w = keep.to(rows.dtype)
    if per_sample_weights is not None:
        w = w * per_sample_weights
    out = ember.zeros((bags, weight.shape[1]), dtype=rows.dtype, device=rows.device)
    counts = ember.zeros(bags, dtype=rows.dtype, device=rows.device)
    if n:
        out = out.index_add(0, ids, rows * w.unsqueeze(1))
        counts = counts.index_add(0, ids, keep.to(rows.dtype))
    if mode == "mean":
        out = out / counts.clamp_min(1).unsqueeze(1)
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """One-hot encode integer class labels: ``y[..., c] = 1 if x[...] == c else 0``.

    Args:
        tensor: int64 class labels of any shape, values in ``[0, num_classes)``.
        num_classes: the number of classes; -1 means ``max(tensor) + 1``. Default: -1.

    Returns:
        An int64 tensor of shape ``(*tensor.shape, num_classes)``.

    >>> import ember
    >>> ember.nn.functional.one_hot(ember.tensor([0, 2]))
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    if tensor.dtype is not ember.int64:
        raise RuntimeError("[one_hot] one_hot is only applicable to index tensor of type "
                           f"LongTensor. (got {dtype_name(tensor)} tensor of shape "
                           f"{shape_str(tensor)})")
    if tensor.numel() == 0:
        if num_classes == -1:
            raise RuntimeError("[one_hot] Can not infer total number of classes from empty tensor.")
    else:
        if int(tensor.min().item()) < 0:
            raise RuntimeError(f"[one_hot] Class values must be non-negative. (got a minimum of "
                               f"{int(tensor.min().item())})")
        top = int(tensor.max().item())
        if num_classes == -1:
            num_classes = top + 1
        elif top >= num_classes:
            raise RuntimeError(f"[one_hot] Class values must be smaller than num_classes. (got "
                               f"{top} with num_classes={num_classes})")
    classes = ember.arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).to(ember.int64)
