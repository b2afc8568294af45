"""Attention ops: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

``scaled_dot_product_attention`` is one op with its own graph node. Its forward runs the
backend's fused ``scaled_dot_product_attention`` kernel when there is one, else the
composite below (two matmuls, a masked softmax, the dropout scaling); either way the
forward also returns the attention probabilities, which the backward formula reuses:

    P  = softmax(Q K^T * scale + bias)          (rows with no allowed key are all zero)
    O  = (P * keep) V
    dV = (P * keep)^T dO
    dP = (dO V^T) * keep
    dS = P * (dP - rowsum(dP * P))
    dQ = dS K * scale,   dK = dS^T Q * scale,   d bias = dS

A backend may also fuse the backward (kernel ``scaled_dot_product_attention_backward``,
used when the backward is not itself recorded). When it is (``create_graph=True``) the
formula runs with ember ops and recomputes ``P`` from ``Q``, ``K`` and ``bias``, so second
derivatives are exact.

``multi_head_attention_forward`` composes the in-projections, the masks, the attention
and the out-projection from ember ops, in torch's order of operations and with torch's
checks and messages.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import ember
from ember._tensor import Tensor, wrap
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args
from ember.autograd.grad_mode import GRAD
from ember.autograd.graph import record
from ember.ops._base import broadcast_error, no_grad_call, sum_to

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

#: dtype names as torch's C++ messages print them
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}


def _cname(t: Tensor) -> str:
    name = str(t.dtype).split(".")[-1]
    return _C_NAMES.get(name, name)


def _needs_grad(*ts: Any) -> bool:
    if not GRAD.enabled:
        return False
    return any(isinstance(t, Tensor) and t._rg for t in ts)


# --------------------------------------------------------------------------------------
# scaled_dot_product_attention: the op
# --------------------------------------------------------------------------------------

def _masked_softmax(s: Tensor) -> Tensor:
    """Softmax over the last dim where rows whose scores are all ``-inf`` give zeros
    (torch's math backend does the same instead of producing NaN)."""
    p = s.softmax(-1)
    empty = (s == float("-inf")).all(-1, keepdim=True)
    return p.masked_fill(empty, 0.0)


def _probs(q: Tensor, k: Tensor, bias: Tensor | None, scale: float) -> Tensor:
    s = q.matmul(k.transpose(-2, -1)) * scale
    if bias is not None:
        s = s + bias
    return _masked_softmax(s)


def _sdpa_composite(q: Tensor, k: Tensor, v: Tensor, bias: Tensor | None,
                    keep: Tensor | None, scale: float) -> tuple[Tensor, Tensor]:
    p = _probs(q, k, bias, scale)
    pd = p if keep is None else p * keep
    return pd.matmul(v), p


def _sdpa_run(q: Tensor, k: Tensor, v: Tensor, bias: Tensor | None, keep: Tensor | None,
              scale: float) -> tuple[Tensor, Tensor]:
    """The fused kernel on arrays when the backend has one, else the composite."""
    kern = q._k.scaled_dot_product_attention
    if kern is None:
        return no_grad_call(_sdpa_composite, q, k, v, bias, keep, scale)
    out, p = kern(q._data, k._data, v._data, None if bias is None else bias._data,
                  None if keep is None else keep._data, scale)
    return wrap(out, q._device, q._k), wrap(p, q._device, q._k)


def _bw_sdpa(node: Any, g: Tensor) -> tuple[Tensor | None, ...]:
    q, k, v, bias, keep, p = node.saved
    scale = node.attrs
    want_q, want_k, want_v, want_b = (e is not None for e in node.next_functions)
    kern = q._k.scaled_dot_product_attention_backward
    if kern is not None and not GRAD.enabled:
        res = kern(g._data, q._data, k._data, v._data, p._data,
                   None if keep is None else keep._data, scale, want_b)
        dq, dk, dv, db = (None if r is None else wrap(r, q._device, q._k) for r in res)
        return (sum_to(dq, q.shape) if want_q else None,
                sum_to(dk, k.shape) if want_k else None,
                sum_to(dv, v.shape) if want_v else None,
                sum_to(db, bias.shape) if want_b else None)
    if GRAD.enabled:  # create_graph: rebuild P with recorded ops for exact second derivatives
        p = _probs(q, k, bias, scale)
    g = g.contiguous()  # often a permuted view; strided operands make batched GEMMs slow
    pd = p if keep is None else p * keep
    dv = sum_to(pd.transpose(-2, -1).matmul(g), v.shape) if want_v else None
    if not (want_q or want_k or want_b):
        return None, None, dv, None
    dp = g.matmul(v.transpose(-2, -1))
    if keep is not None:
        dp = dp * keep
    ds = p * (dp - (dp * p).sum(-1, keepdim=True))
    dq = sum_to(ds.matmul(k) * scale, q.shape) if want_q else None
    dk = sum_to(ds.transpose(-2, -1).matmul(q) * scale, k.shape) if want_k else None
    db = sum_to(ds, bias.shape) if want_b else None
    return dq, dk, dv, db


def _check_sdpa(q: Tensor, k: Tensor, v: Tensor, attn_mask: Tensor | None,
                dropout_p: float, is_causal: bool) -> None:
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {q.ndim} key.dim: {k.ndim} and value.dim: "
                           f"{v.ndim} instead.")
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_cname(q)} key.dtype: {_cname(k)} and value.dtype: "
                           f"{_cname(v)} instead.")
    if not q.dtype.is_floating_point:
        raise RuntimeError(f"[scaled_dot_product_attention] expected a floating point query, "
                           f"key and value, got dtype {_cname(q)}")
    # As torch: a bool mask, a float32 mask (whatever the query's dtype), or the query's.
    if attn_mask is not None and attn_mask.dtype not in (ember.bool, ember.float32) \
            and attn_mask.dtype != q.dtype:
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: {_cname(attn_mask)} and  "
                           f"query.dtype: {_cname(q)} instead.")
    if attn_mask is not None and is_causal:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got "
                           f"{dropout_p}")
    if k.shape[-1] != q.shape[-1]:
        batch = math.prod(q.shape[:-2])
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch}, {q.shape[-1]}] but got: [{batch}, {k.shape[-1]}].")
    if v.shape[-2] != k.shape[-2]:
        batch = math.prod(q.shape[:-2])
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch}, {k.shape[-2]}] but got: [{batch}, {v.shape[-2]}].")


def _repeat_heads(q: Tensor, t: Tensor) -> Tensor:
    """Grouped-query attention: repeat each key/value head for the query heads it serves."""
    if q.ndim < 3 or t.ndim < 3 or t.shape[-3] == q.shape[-3]:
        return t
    hq, hk = q.shape[-3], t.shape[-3]
    if hq % hk:
        raise RuntimeError("Number of heads in key and value must divide the number of heads "
                           "in ")
    return t.repeat_interleave(hq // hk, -3)


def _mask_bias(attn_mask: Tensor | None, is_causal: bool, q: Tensor, k: Tensor
               ) -> Tensor | None:
    """The mask as an additive float bias: ``True``/causal positions 0, others ``-inf``."""
    if is_causal:
        L, S = q.shape[-2], k.shape[-2]
        allowed = ember.ones((L, S), dtype=ember.bool, device=q.device).tril()
        attn_mask = allowed
    if attn_mask is None:
        return None
    if attn_mask.dtype == ember.bool:
        return ember.zeros(tuple(attn_mask.shape), dtype=q.dtype, device=q.device) \
            .masked_fill(attn_mask.logical_not(), float("-inf"))
    if attn_mask.dtype != q.dtype:  # a float32 mask added to float64 scores
        return attn_mask.to(q.dtype)
    return attn_mask


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """Attention of each query over the keys: ``softmax(Q K^T * scale + mask) V``.

    Batch dims (all but the last two) broadcast between query, key, value and the mask.
    Query rows whose keys are all masked out produce zeros.

    Args:
        query: ``(..., L, E)``.
        key: ``(..., S, E)``.
        value: ``(..., S, Ev)``.
        attn_mask: broadcastable to ``(..., L, S)``. A bool mask marks with ``True`` the
            keys a query may attend to; a float mask (query's dtype, or float32) is added
            to the scores. Default: ``None``.
        dropout_p: probability of dropping an attention weight (the rest are rescaled by
            ``1 / (1 - dropout_p)``). Default: 0.0.
        is_causal: let query ``i`` attend to keys ``0..i`` only (the top-left aligned lower
            triangle); excludes ``attn_mask``. Default: ``False``.
        scale: factor on the scores. Default: ``1 / sqrt(E)``.
        enable_gqa: grouped-query attention: with ``Hq`` query heads and ``Hk`` key/value
            heads (dim -3), each key/value head serves ``Hq / Hk`` query heads.
            Default: ``False``.

    Returns:
        ``(..., L, Ev)``.

    Vaswani et al. 2017, https://arxiv.org/abs/1706.03762.

    >>> import ember
    >>> q = k = v = ember.ones(2, 3, 4)
    >>> ember.nn.functional.scaled_dot_product_attention(q, k, v).shape
    ember.Size([2, 3, 4])
    """
    if AUTOCAST.active:
        query, key, value = autocast_args("scaled_dot_product_attention", query, key, value)
    _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal)
    if enable_gqa:
        key, value = _repeat_heads(query, key), _repeat_heads(query, value)
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    bias = _mask_bias(attn_mask, is_causal, query, key)
    batch = _broadcast_batch(query, key, value)
    if bias is not None:
        scores = batch + (query.shape[-2], key.shape[-2])
        try:
            full = _broadcast(scores, tuple(bias.shape))
        except ValueError:
            raise broadcast_error(scores, tuple(bias.shape)) from None
        if full != scores:
            raise broadcast_error(scores, tuple(bias.shape))
    keep = None
    if dropout_p > 0.0:
        shape = batch + (query.shape[-2], key.shape[-2])
        if dropout_p == 1.0:
            keep = ember.zeros(shape, dtype=query.dtype, device=query.device)
        else:
            keep = ember.empty(shape, dtype=query.dtype, device=query.device) \
                .bernoulli_(1.0 - dropout_p) / (1.0 - dropout_p)
    out, p = _sdpa_run(query, key, value, bias, keep, factor)
    if _needs_grad(query, key, value, bias):
        record("ScaledDotProductAttentionBackward0", _bw_sdpa, (query, key, value, bias),
               out, save=(query, key, value, bias, keep, p), attrs=factor)
    return out


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(pa, pb, strict=True):
        if x != y and x != 1 and y != 1:
            raise ValueError
        out.append(max(x, y) if min(x, y) != 0 else 0)
    return tuple(out)


def _broadcast_batch(q: Tensor, k: Tensor, v: Tensor) -> tuple[int, ...]:
    qb, kb, vb = tuple(q.shape[:-2]), tuple(k.shape[:-2]), tuple(v.shape[:-2])
    try:
        return _broadcast(_broadcast(qb, kb), vb)
    except ValueError:
        bad = kb if _compatible(qb, vb) else vb
        raise broadcast_error(qb, bad) from None


def _compatible(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        _broadcast(a, b)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------------------
# masks shared by MultiheadAttention and the Transformer layers
# --------------------------------------------------------------------------------------

def _none_or_dtype(t: Tensor | None) -> Any:
    if t is None:
        return None
    if isinstance(t, Tensor):
        return t.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask: Tensor | None, mask_name: str, other_type: Any, other_name: str,
                    target_type: Any, check_other: bool = True) -> Tensor | None:
    """A bool mask as an additive float mask of ``target_type`` (``True`` -> ``-inf``);
    float masks pass through. Warns when two masks of one call have different dtypes."""
    if mask is None:
        return None
    is_float = mask.dtype.is_floating_point
    if mask.dtype != ember.bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=3)
    if not is_float:
        mask = ember.zeros(tuple(mask.shape), dtype=target_type, device=mask.device) \
            .masked_fill(mask, float("-inf"))
    return mask


def _shape_check(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None,
                 attn_mask: Tensor | None, num_heads: int) -> bool:
    """Validate the ranks of the inputs and masks; return whether the call is batched."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be "
                                 f"3-D but found {key.ndim}-D and {value.ndim}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be "
                                 f"`None`, 2-D or 3-D but found {attn_mask.ndim}-D tensor "
                                 "instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to "
                                 f"be 2-D but found {key.ndim}-D and {value.ndim}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to "
                                 f"be `None` or 1-D but found {key_padding_mask.ndim}-D "
                                 "tensor instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.ndim}-D tensor "
                                     "instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.ndim}-D query tensor")


def _pad_last(t: Tensor) -> Tensor:
    """Append one zero column along the last dim (room for an extra key)."""
    zero = ember.zeros(tuple(t.shape[:-1]) + (1,), dtype=t.dtype, device=t.device)
    return ember.cat([t, zero], -1)


# --------------------------------------------------------------------------------------
# multi_head_attention_forward
# --------------------------------------------------------------------------------------

def _in_projection_packed(q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | None
                          ) -> tuple[Tensor, Tensor, Tensor]:
    F = ember.nn.functional
    E = q.shape[-1]
    if k is v and q is k:  # self-attention: one projection, split three ways
        proj = F.linear(q, w, b).unflatten(-1, (3, E))
        return proj.select(-2, 0), proj.select(-2, 1), proj.select(-2, 2)
    if k is v:  # encoder-decoder attention: key and value share one projection
        w_q, w_kv = w.split([E, 2 * E])
        b_q, b_kv = (None, None) if b is None else b.split([E, 2 * E])
        kv = F.linear(k, w_kv, b_kv).unflatten(-1, (2, E))
        return F.linear(q, w_q, b_q), kv.select(-2, 0), kv.select(-2, 1)
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return F.linear(q, w_q, b_q), F.linear(k, w_k, b_k), F.linear(v, w_v, b_v)


def _in_projection(q: Tensor, k: Tensor, v: Tensor, w_q: Tensor, w_k: Tensor, w_v: Tensor,
                   b: Tensor | None) -> tuple[Tensor, Tensor, Tensor]:
    F = ember.nn.functional
    Eq, Ek, Ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for name, w, want in (("query", w_q, (Eq, Eq)), ("key", w_k, (Eq, Ek)),
                          ("value", w_v, (Eq, Ev))):
        if tuple(w.shape) != want:
            raise AssertionError(f"expecting {name} weights shape of {want}, but got "
                                 f"{w.shape}")
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    for name, bb in (("query", b_q), ("key", b_k), ("value", b_v)):
        if bb is not None and tuple(bb.shape) != (Eq,):
            raise AssertionError(f"expecting {name} bias shape of {(Eq,)}, but got "
                                 f"{bb.shape}")
    return F.linear(q, w_q, b_q), F.linear(k, w_k, b_k), F.linear(v, w_v, b_v)


def _check_static(name: str, t: Tensor, rows: int, head_dim: int) -> None:
    if t.shape[0] != rows:
        raise AssertionError(f"expecting {name}.size(0) of {rows}, but got {t.shape[0]}")
    if t.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t.shape[2]}")


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
        out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention with explicit weights (what ``nn.MultiheadAttention`` runs).

    Each of ``num_heads`` heads attends with its own slice of the projected query, key and
    value; the heads' outputs are concatenated and projected by ``out_proj_weight``:
    ``out = concat_h(softmax(Q_h K_h^T / sqrt(d) + mask) V_h) W_o^T + b_o``.

    Args:
        query: ``(L, N, E)`` or unbatched ``(L, E)`` (sequence first).
        key: ``(S, N, Ek)`` or ``(S, Ek)``.
        value: ``(S, N, Ev)`` or ``(S, Ev)``.
        embed_dim_to_check: ``E``; the query's last dim must equal it.
        num_heads: number of heads; must divide ``E``.
        in_proj_weight: ``(3E, E)`` packed q/k/v projection (when not
            ``use_separate_proj_weight``).
        in_proj_bias: ``(3E,)`` or ``None``.
        bias_k, bias_v: ``(1, 1, E)`` extra key/value appended to the sequence, or ``None``.
        add_zero_attn: append an all-zero key and value after the projections.
        dropout_p: dropout on the attention weights (only when ``training``).
        out_proj_weight: ``(E, E)``; out_proj_bias: ``(E,)`` or ``None``.
        training: apply dropout. Default: ``True``.
        key_padding_mask: ``(N, S)`` (or ``(S,)``): ``True``/``-inf`` marks padded keys.
        need_weights: also return the attention weights. Default: ``True``.
        attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``; bool ``True`` forbids, float is
            added to the scores.
        use_separate_proj_weight: use ``q/k/v_proj_weight`` (``(E, E)``, ``(E, Ek)``,
            ``(E, Ev)``) instead of ``in_proj_weight``.
        static_k, static_v: ``(N * num_heads, S, E / num_heads)`` already projected keys
            and values to use as they are.
        average_attn_weights: average the returned weights over heads. Default: ``True``.
        is_causal: hint that ``attn_mask`` is the causal mask (which must still be given).

    Returns:
        ``(output, weights)``: ``output`` like ``query``; ``weights`` ``(N, L, S)``
        (``(N, num_heads, L, S)`` without averaging; no ``N`` when unbatched) or ``None``.

    >>> import ember
    >>> x = ember.ones(3, 2, 4)
    >>> w, b = ember.ones(12, 4) / 4, ember.zeros(12)
    >>> out, attn = ember.nn.functional.multi_head_attention_forward(
    ...     x, x, x, 4, 2, w, b, None, None, False, 0.0, ember.eye(4), None)
    >>> out.shape, attn.shape
    (ember.Size([3, 2, 4]), ember.Size([2, 3, 3]))
    """
    F = ember.nn.functional
    batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the attention applies the causal pattern itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer purely causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape "
                             f"{value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight "
                                     "is None")
        assert q_proj_weight is not None and k_proj_weight is not None
        assert v_proj_weight is not None
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight,
                                 v_proj_weight, in_proj_bias)

    if attn_mask is not None:
        if attn_mask.ndim == 2:
            want: tuple[int, ...] = (tgt_len, src_len)
            if tuple(attn_mask.shape) != want:
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {want}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            want = (bsz * num_heads, tgt_len, src_len)
            if tuple(attn_mask.shape) != want:
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {want}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = ember.cat([k, bias_k.repeat(1, bsz, 1)])
        v = ember.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    # heads become part of the batch: (L, N, E) -> (N * H, L, d), contiguous so that the
    # batched matmuls below run as plain GEMMs
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1).contiguous()
    if static_k is None:
        k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1).contiguous()
    else:
        _check_static("static_k", static_k, bsz * num_heads, head_dim)
        k = static_k
    if static_v is None:
        v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1).contiguous()
    else:
        _check_static("static_v", static_v, bsz * num_heads, head_dim)
        v = static_v

    if add_zero_attn:
        zeros = ember.zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k = ember.cat([k, zeros], 1)
        v = ember.cat([v, zeros.to(v.dtype)], 1)
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1) \
            .reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm

    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = (q * math.sqrt(1.0 / float(q.shape[-1]))).matmul(k.transpose(-2, -1))
        if attn_mask is not None:
            scores = attn_mask + scores
        weights = F.softmax(scores, dim=-1)
        if dropout_p > 0.0:
            weights = F.dropout(weights, p=dropout_p)
        out = weights.matmul(v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = F.linear(out, out_proj_weight, out_proj_bias)
        out = out.reshape(tgt_len, bsz, out.shape[1])
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.ndim == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = F.linear(out, out_proj_weight, out_proj_bias)
    out = out.reshape(tgt_len, bsz, out.shape[1])
    if not batched:
        out = out.squeeze(1)
    return out, None
