"""The Transformer family: encoder/decoder layers, their stacks, and the full
encoder-decoder model (Vaswani et al. 2017, https://arxiv.org/abs/1706.03762).

Layers are post-norm by default (``x = norm(x + block(x))``) and pre-norm with
``norm_first=True`` (``x = x + block(norm(x))``, Xiong et al. 2020,
https://arxiv.org/abs/2002.04745).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import ember
from ember._tensor import Tensor
from ember.nn import Module, ModuleList, init

from .activation import MultiheadAttention
from .functional import _canonical_mask, _none_or_dtype

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder",
           "TransformerEncoderLayer", "TransformerDecoderLayer"]

_F = ember.nn.functional
_relu: Callable[[Tensor], Tensor] = _F.relu
_gelu: Callable[[Tensor], Tensor] = _F.gelu


def _square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
    return ember.full((sz, sz), float("-inf"), dtype=dtype, device=device).triu(1)


def _seq_len(src: Tensor, batch_first: bool) -> int:
    if src.ndim == 2:
        return src.shape[0]
    return src.shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask: Tensor | None, is_causal: bool | None = None,
                           size: int | None = None) -> bool:
    """``is_causal`` when given; otherwise whether ``mask`` is exactly the causal float mask
    of ``size`` (so the attention may treat it as a causal hint)."""
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.shape[-2]
        causal = _square_subsequent_mask(sz, device=mask.device, dtype=mask.dtype)
        if tuple(mask.shape) != tuple(causal.shape):
            return False
        return bool((mask == causal).all())
    return is_causal is True


def _activation_fn(activation: str) -> Callable[[Tensor], Tensor]:
    if activation == "relu":
        return _relu
    if activation == "gelu":
        return _gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _clones(module: Module, n: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


class TransformerEncoderLayer(Module):
    """Self-attention followed by a two-layer feed-forward block, each with a residual
    connection, dropout and layer normalization.

    Post-norm: ``x = norm1(x + sa(x)); x = norm2(x + ff(x))``; pre-norm (``norm_first``):
    ``x = x + sa(norm1(x)); x = x + ff(norm2(x))`` with
    ``ff(x) = linear2(dropout(activation(linear1(x))))``.

    Args:
        d_model: feature size ``E``.
        nhead: attention heads.
        dim_feedforward: hidden size of the feed-forward block. Default: 2048.
        dropout: dropout probability everywhere. Default: 0.1.
        activation: ``"relu"``, ``"gelu"`` or a callable. Default: ``relu``.
        layer_norm_eps: epsilon of the layer norms. Default: 1e-5.
        batch_first: inputs ``(N, S, E)`` instead of ``(S, N, E)``. Default: ``False``.
        norm_first: pre-norm instead of post-norm. Default: ``False``.
        bias: biases in the linear layers and layer norms. Default: ``True``.
        device, dtype: of the parameters.

    Shapes: ``src`` ``(S, N, E)`` (``(N, S, E)`` batch first, ``(S, E)`` unbatched);
    the output has the same shape.

    >>> import ember
    >>> layer = ember.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    >>> layer(ember.randn(3, 5, 8)).shape
    ember.Size([3, 5, 8])
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = _relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        super().__init__()
        nn = ember.nn
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **factory)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        if isinstance(activation, str):
            activation = _activation_fn(activation)
        if activation is _relu or isinstance(activation, nn.ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is _gelu or isinstance(activation, nn.GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if not hasattr(self, "activation"):
            self.activation = _relu

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False
                ) -> Tensor:
        """Run the layer on ``src``.

        Args:
            src: the sequence.
            src_mask: ``(S, S)`` or ``(N * nhead, S, S)`` attention mask (bool ``True``
                forbids; float is added).
            src_key_padding_mask: ``(N, S)``, ``True`` (or ``-inf``) at padded positions.
            is_causal: hint that ``src_mask`` is the causal mask.

        Returns:
            A tensor shaped like ``src``.
        """
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _none_or_dtype(src_mask), "src_mask", src.dtype)
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.dtype,
                                   check_other=False)
        # torch's fused inference kernel for this layer gives NaN for a query whose keys
        # are all masked, like the explicit-weights attention (the fused one gives zeros)
        exact = self._torch_fast_path(src)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal,
                                   _weights_path=exact)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal,
                                              _weights_path=exact))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _torch_fast_path(self, src: Tensor) -> bool:
        """Whether torch would run this call through its fused inference kernel."""
        attn = self.self_attn
        if src.ndim != 3 or self.training or not attn.batch_first \
                or attn.in_proj_bias is None or not attn._qkv_same_embed_dim \
                or not self.activation_relu_or_gelu or self.norm1.eps != self.norm2.eps \
                or attn.num_heads % 2:
            return False
        if any(len(getattr(m, "_forward_hooks", {})) + len(getattr(m, "_forward_pre_hooks", {}))
               for m in self.modules()):
            return False
        tensors = (src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight,
                   attn.out_proj.bias, self.norm1.weight, self.norm1.bias, self.norm2.weight,
                   self.norm2.bias, self.linear1.weight, self.linear1.bias,
                   self.linear2.weight, self.linear2.bias)
        return not (ember.is_grad_enabled()
                    and any(t is not None and t.requires_grad for t in tensors))

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None,
                  key_padding_mask: Tensor | None, is_causal: bool = False,
                  _weights_path: bool = False) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=_weights_path, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's output (``memory``) and a feed-forward
    block, each with a residual connection, dropout and layer normalization.

    Post-norm: ``x = norm1(x + sa(x)); x = norm2(x + mha(x, memory));
    x = norm3(x + ff(x))``; pre-norm (``norm_first``) normalizes each block's input instead.

    Args: as :class:`TransformerEncoderLayer` (``d_model``, ``nhead``, ``dim_feedforward``,
    ``dropout``, ``activation``, ``layer_norm_eps``, ``batch_first``, ``norm_first``,
    ``bias``, ``device``, ``dtype``).

    Shapes: ``tgt`` ``(T, N, E)``, ``memory`` ``(S, N, E)`` (batch first when
    ``batch_first``; unbatched without ``N``); the output is shaped like ``tgt``.

    >>> import ember
    >>> layer = ember.nn.TransformerDecoderLayer(8, 2, 16)
    >>> layer(ember.randn(4, 2, 8), ember.randn(6, 2, 8)).shape
    ember.Size([4, 2, 8])
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = _relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        super().__init__()
        nn = ember.nn
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                            batch_first=batch_first, bias=bias, **factory)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                                 batch_first=batch_first, bias=bias, **factory)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        if isinstance(activation, str):
            activation = _activation_fn(activation)
        self.activation = activation

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("activation", _relu)
        super().__setstate__(state)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        """Run the layer on ``tgt`` attending over ``memory``.

        Args:
            tgt: the target sequence.
            memory: the encoder's output.
            tgt_mask: ``(T, T)`` or ``(N * nhead, T, T)`` self-attention mask.
            memory_mask: ``(T, S)`` or ``(N * nhead, T, S)`` mask over the memory.
            tgt_key_padding_mask: ``(N, T)`` padding of ``tgt``.
            memory_key_padding_mask: ``(N, S)`` padding of ``memory``.
            tgt_is_causal, memory_is_causal: hints that the masks are causal.

        Returns:
            A tensor shaped like ``tgt``.
        """
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                   tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask,
                                              tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask,
                                               memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None,
                  key_padding_mask: Tensor | None, is_causal: bool = False) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x: Tensor, mem: Tensor, attn_mask: Tensor | None,
                   key_padding_mask: Tensor | None, is_causal: bool = False) -> Tensor:
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


def _why_no_nested(layer: Any) -> str:
    """The reason torch gives for not using nested tensors with this encoder layer (ember
    never uses them; the warning keeps torch's behaviour for code that checks it)."""
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    if layer.norm_first:
        return f"{name}.norm_first was True"
    if not layer.self_attn.batch_first:
        return (f"{name}.self_attn.batch_first was not True"
                "(use batch_first for better inference performance)")
    if not layer.self_attn._qkv_same_embed_dim:
        return f"{name}.self_attn._qkv_same_embed_dim was not True"
    if layer.self_attn.in_proj_bias is None:
        return f"{name}.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return f"{name}.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
    if layer.self_attn.num_heads % 2 == 1:
        return f"{name}.self_attn.num_heads is odd"
    return ""


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer``, optionally followed by a
    final normalization.

    Args:
        encoder_layer: the layer to copy (deep copies: the layers do not share weights).
        num_layers: number of layers.
        norm: a module applied to the last layer's output, or ``None``. Default: ``None``.
        enable_nested_tensor: where torch would run inference on nested tensors (eval
            mode, no autograd, batch-first layers, a left-aligned ``src_key_padding_mask``,
            no ``mask``), the output is zero at padded positions as torch's is; ember
            computes them densely and masks. Like torch, a warning says when the layer
            could not use nested tensors. Default: ``True``.
        mask_check: check that the padding mask is left-aligned before treating the call
            as torch's nested-tensor case. Default: ``True``.

    >>> import ember
    >>> layer = ember.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    >>> enc = ember.nn.TransformerEncoder(layer, 2)
    >>> enc(ember.randn(3, 5, 8)).shape
    ember.Size([3, 5, 8])
    """

    __constants__ = ["norm"]

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why = _why_no_nested(encoder_layer)
        if enable_nested_tensor and why:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False "
                          f"because {why}", stacklevel=2)
            self.use_nested_tensor = False

    def forward(self, src: Tensor, mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool | None = None
                ) -> Tensor:
        """Pass ``src`` through every layer, then ``norm``.

        Args:
            src: ``(S, N, E)`` (``(N, S, E)`` batch first, ``(S, E)`` unbatched).
            mask: ``(S, S)`` or ``(N * nhead, S, S)`` attention mask.
            src_key_padding_mask: ``(N, S)`` padding mask.
            is_causal: whether ``mask`` is the causal mask; ``None`` detects it.

        Returns:
            A tensor shaped like ``src``.
        """
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _none_or_dtype(mask), "mask", src.dtype)
        mask = _canonical_mask(mask, "mask", None, "", src.dtype, check_other=False)
        first = self.layers[0]
        seq = _seq_len(src, first.self_attn.batch_first)
        is_causal = _detect_is_causal_mask(mask, is_causal, seq)
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal,
                         src_key_padding_mask=src_key_padding_mask)
        padded = self._nested_padding(src, mask, src_key_padding_mask)
        if padded is not None:
            # torch runs this case on nested tensors and pads the result back with zeros
            output = output.masked_fill(padded.unsqueeze(-1), 0.0)
        if self.norm is not None:
            output = self.norm(output)
        return output


    def _nested_padding(self, src: Tensor, mask: Tensor | None,
                        key_padding_mask: Tensor | None) -> Tensor | None:
        """The ``(N, S)`` padded positions when torch would run this call on nested
        tensors (inference without autograd, batch-first input, a left-aligned padding
        mask and no attention mask), whose output is zero there; else ``None``."""
        first = self.layers[0]
        if not getattr(self, "use_nested_tensor", False) or first.training or src.ndim != 3 \
                or key_padding_mask is None or mask is not None:
            return None
        padded = key_padding_mask != 0
        if getattr(self, "mask_check", True) and \
                bool((padded[:, :-1] & padded[:, 1:].logical_not()).any()):
            return None  # not left-aligned: torch keeps dense tensors
        attn = first.self_attn
        tensors = (src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight,
                   attn.out_proj.bias, first.norm1.weight, first.norm1.bias, first.norm2.weight,
                   first.norm2.bias, first.linear1.weight, first.linear1.bias,
                   first.linear2.weight, first.linear2.bias)
        if ember.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors):
            return None
        return padded


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer``, optionally followed by a
    final normalization.

    Args:
        decoder_layer: the layer to copy (deep copies).
        num_layers: number of layers.
        norm: a module applied to the last layer's output, or ``None``. Default: ``None``.

    >>> import ember
    >>> dec = ember.nn.TransformerDecoder(ember.nn.TransformerDecoderLayer(8, 2, 16), 2)
    >>> dec(ember.randn(4, 2, 8), ember.randn(6, 2, 8)).shape
    ember.Size([4, 2, 8])
    """

    __constants__ = ["norm"]

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None
                 ) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        """Pass ``tgt`` through every layer (each attending over ``memory``), then ``norm``.

        Args: as :meth:`TransformerDecoderLayer.forward`; ``tgt_is_causal=None`` detects
        whether ``tgt_mask`` is the causal mask.

        Returns:
            A tensor shaped like ``tgt``.
        """
        seq = _seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq)
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask,
                         memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder Transformer: an encoder stack over ``src`` and a decoder stack
    over ``tgt`` attending to the encoder's output, each ending in a layer norm.

    Args:
        d_model: feature size. Default: 512.
        nhead: attention heads. Default: 8.
        num_encoder_layers, num_decoder_layers: stack depths. Default: 6 each.
        dim_feedforward: hidden size of the feed-forward blocks. Default: 2048.
        dropout: dropout probability. Default: 0.1.
        activation: ``"relu"``, ``"gelu"`` or a callable. Default: ``relu``.
        custom_encoder, custom_decoder: modules to use instead of the default stacks.
        layer_norm_eps: epsilon of the layer norms. Default: 1e-5.
        batch_first: ``(N, S, E)`` inputs instead of ``(S, N, E)``. Default: ``False``.
        norm_first: pre-norm layers. Default: ``False``.
        bias: biases in linear layers and layer norms. Default: ``True``.
        device, dtype: of the parameters.

    Every parameter with more than one dim is re-initialized Xavier-uniform.

    >>> import ember
    >>> model = ember.nn.Transformer(8, 2, 1, 1, 16, batch_first=True)
    >>> model(ember.randn(2, 5, 8), ember.randn(2, 4, 8)).shape
    ember.Size([2, 4, 8])
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = _relu,
                 custom_encoder: Any | None = None, custom_decoder: Any | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
        super().__init__()
        nn = ember.nn
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            enc_layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                activation, layer_norm_eps, batch_first,
                                                norm_first, bias, **factory)
            enc_norm = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            self.encoder = TransformerEncoder(enc_layer, num_encoder_layers, enc_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            dec_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                activation, layer_norm_eps, batch_first,
                                                norm_first, bias, **factory)
            dec_norm = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            self.decoder = TransformerDecoder(dec_layer, num_decoder_layers, dec_norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None,
                tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        """Encode ``src`` and decode ``tgt`` against it.

        Args:
            src: ``(S, N, E)`` (``(N, S, E)`` batch first, ``(S, E)`` unbatched).
            tgt: ``(T, N, E)`` (``(N, T, E)`` batch first, ``(T, E)`` unbatched).
            src_mask, tgt_mask, memory_mask: ``(S, S)``, ``(T, T)``, ``(T, S)`` masks (or
                per batch-and-head 3-D ones).
            src_key_padding_mask, tgt_key_padding_mask, memory_key_padding_mask: ``(N, S)``,
                ``(N, T)``, ``(N, S)`` padding masks.
            src_is_causal, tgt_is_causal, memory_is_causal: causal hints.

        Returns:
            ``(T, N, E)`` (batch first ``(N, T, E)``).
        """
        batched = src.ndim == 3
        if batched and src.shape[0 if self.batch_first else 1] != \
                tgt.shape[0 if self.batch_first else 1]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None
                                        ) -> Tensor:
        """The ``(sz, sz)`` causal float mask: 0 on and below the diagonal, ``-inf`` above
        (position ``i`` may attend to positions ``0..i``).

        >>> import ember
        >>> ember.nn.Transformer.generate_square_subsequent_mask(2)
        tensor([[0., -inf],
                [0., 0.]])
        """
        return _square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
