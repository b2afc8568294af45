"""``nn.MultiheadAttention``: parameters and initialization; the math is
:func:`ember_transformer.functional.multi_head_attention_forward`."""

from __future__ import annotations

from typing import Any

import ember
from ember._tensor import Tensor
from ember.nn import Module, Parameter, init

from . import functional as AF

__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear"]


class NonDynamicallyQuantizableLinear(ember.nn.Linear):  # type: ignore[name-defined,misc]
    """The ``Linear`` used as ``MultiheadAttention.out_proj``; a distinct class so that
    quantization tooling can tell it apart from ordinary ``Linear`` layers. It computes
    exactly what ``Linear`` does."""


class MultiheadAttention(Module):
    """Attention with ``num_heads`` parallel heads (Vaswani et al. 2017,
    https://arxiv.org/abs/1706.03762).

    ``MultiHead(Q, K, V) = concat(head_1, ..., head_h) W_o^T + b_o`` with
    ``head_i = softmax(Q W_qi^T (K W_ki^T)^T / sqrt(d) + mask) V W_vi^T`` and
    ``d = embed_dim / num_heads``.

    Args:
        embed_dim: ``E``, the query's feature size and the model width.
        num_heads: number of heads; must divide ``embed_dim``.
        dropout: dropout on the attention weights in training. Default: 0.0.
        bias: biases on the input and output projections. Default: ``True``.
        add_bias_kv: learn one extra key and value appended to every sequence.
            Default: ``False``.
        add_zero_attn: append an all-zero key and value to every sequence.
            Default: ``False``.
        kdim, vdim: feature sizes of key and value. Default: ``embed_dim`` (then the three
            projections are packed in ``in_proj_weight``; otherwise they are
            ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``).
        batch_first: inputs and output are ``(N, L, E)`` instead of ``(L, N, E)``.
            Default: ``False``.
        device, dtype: of the parameters.

    Shapes (``forward``): query ``(L, N, E)``, key ``(S, N, kdim)``, value
    ``(S, N, vdim)`` (batch first when ``batch_first``; unbatched ``(L, E)`` too).
    Returns ``(output, weights)``: output like query; weights ``(N, L, S)`` averaged over
    heads, ``(N, num_heads, L, S)`` otherwise, or ``None`` when ``need_weights=False``.

    >>> import ember
    >>> mha = ember.nn.MultiheadAttention(8, 2)
    >>> x = ember.randn(5, 3, 8)
    >>> out, w = mha(x, x, x)
    >>> out.shape, w.shape
    (ember.Size([5, 3, 8]), ember.Size([3, 5, 5]))
    """

    bias_k: Tensor | None
    bias_v: Tensor | None

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")

        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(ember.empty((3 * embed_dim, embed_dim), **factory))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(ember.empty((embed_dim, embed_dim), **factory))
            self.k_proj_weight = Parameter(ember.empty((embed_dim, self.kdim), **factory))
            self.v_proj_weight = Parameter(ember.empty((embed_dim, self.vdim), **factory))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(ember.empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        **factory)
        if add_bias_kv:
            self.bias_k = Parameter(ember.empty((1, 1, embed_dim), **factory))
            self.bias_v = Parameter(ember.empty((1, 1, embed_dim), **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """torch's initialization: Xavier-uniform projections, zero biases, Xavier-normal
        ``bias_k``/``bias_v``."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("_qkv_same_embed_dim", True)
        super().__setstate__(state)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` over ``key``/``value``.

        Args:
            query, key, value: see the class docstring for shapes.
            key_padding_mask: ``(N, S)`` (``(S,)`` unbatched); ``True`` or a float added to
                the scores marks padded keys.
            need_weights: also return the attention weights. Default: ``True``.
            attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``; bool ``True`` forbids a
                position, a float mask is added to the scores.
            average_attn_weights: average the weights over heads. Default: ``True``.
            is_causal: hint that ``attn_mask`` is the causal mask.

        Returns:
            ``(output, weights or None)``.
        """
        batched = query.ndim == 3
        # torch's inference fast path returns NaN for a query whose keys are all masked,
        # as the explicit-weights computation does (the fused attention gives zeros)
        fast = not need_weights and self._torch_fast_path(query, key, value, attn_mask,
                                                          key_padding_mask)
        key_padding_mask = AF._canonical_mask(key_padding_mask, "key_padding_mask",
                                              AF._none_or_dtype(attn_mask), "attn_mask",
                                              query.dtype)
        attn_mask = AF._canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                       check_other=False)
        if self.batch_first and batched:
            # keep the identities of query/key/value: they select the packed projection
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = query.transpose(1, 0), key.transpose(1, 0)
                    value = key
            else:
                query, key, value = (t.transpose(1, 0) for t in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = AF.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights or fast,
            attn_mask=attn_mask,
            use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and batched:
            out = out.transpose(1, 0)
        return out, (weights if need_weights else None)

    def _torch_fast_path(self, query: Tensor, key: Tensor, value: Tensor,
                         attn_mask: Tensor | None, key_padding_mask: Tensor | None) -> bool:
        """Whether torch would run this call through its fused inference kernel."""
        if (attn_mask is not None and attn_mask.dtype.is_floating_point) or \
                (key_padding_mask is not None and key_padding_mask.dtype.is_floating_point):
            return False
        if query.ndim != 3 or query is not key or key is not value or self.training:
            return False
        if self.in_proj_weight is None or self.in_proj_bias is None:
            return False
        if query.dtype != self.in_proj_weight.dtype or query.dtype != self.in_proj_bias.dtype:
            return False
        if self.num_heads % 2 or not self.batch_first or self.bias_k is not None \
                or self.bias_v is not None or self.add_zero_attn:
            return False
        tensors = (query, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight,
                   self.out_proj.bias)
        return not (ember.is_grad_enabled()
                    and any(t is not None and t.requires_grad for t in tensors))

    def merge_masks(self, attn_mask: Tensor | None, key_padding_mask: Tensor | None,
                    query: Tensor) -> tuple[Tensor | None, int | None]:
        """Combine float ``attn_mask`` and ``key_padding_mask`` into one
        ``(N, num_heads, L, S)`` mask for a batch-first ``query``.

        Returns:
            ``(mask, kind)``: kind 1 for a padding mask alone, 2 when an attention mask
            takes part, ``(None, None)`` without masks.
        """
        kind: int | None = None
        merged: Tensor | None = None
        if key_padding_mask is not None:
            kind, merged = 1, key_padding_mask
        if attn_mask is not None:
            n, seq, _ = query.shape
            kind = 2
            if attn_mask.ndim == 3:
                full = attn_mask.reshape(n, -1, seq, seq)
            else:
                full = attn_mask.reshape(1, 1, seq, seq).expand(n, self.num_heads, -1, -1)
            merged = full
            if key_padding_mask is not None:
                merged = full + key_padding_mask.reshape(n, 1, 1, seq) \
                    .expand(-1, self.num_heads, -1, -1)
        return merged, kind
