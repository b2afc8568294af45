"""Entry point of ember-transformer: declares its public names and ops.

Imports nothing heavy: each name is a ``"module:attribute"`` string that the core imports
the first time the name is used (``ember.nn.MultiheadAttention``,
``ember.nn.functional.scaled_dot_product_attention``).
"""

from __future__ import annotations

from ember.plugins import hookimpl
from ember.plugins.records import NamespaceEntry, OpRegistry

EMBER_PLUGIN_API = (1, 0)

_PKG = "ember_transformer"

#: module below ember_transformer -> the Module classes it defines (public as ``nn.<name>``)
MODULES: dict[str, tuple[str, ...]] = {
    "activation": ("MultiheadAttention",),
    "transformer": ("Transformer", "TransformerEncoder", "TransformerDecoder",
                    "TransformerEncoderLayer", "TransformerDecoderLayer"),
}

#: module below ember_transformer -> its functions (public as ``nn.functional.<name>``)
FUNCTIONS: dict[str, tuple[str, ...]] = {
    "functional": ("scaled_dot_product_attention", "multi_head_attention_forward"),
}

#: ops with a fused-kernel slot, for ``python -m ember info`` and the conformance kit
OPS: dict[str, str] = {
    "scaled_dot_product_attention": (
        "softmax(q k^T * scale + bias) (dropout-scaled) @ v (kernel: "
        "scaled_dot_product_attention(q, k, v, bias|None, keep|None, scale) -> (out, probs))"),
    "scaled_dot_product_attention_backward": (
        "gradient of attention (kernel: scaled_dot_product_attention_backward(g, q, k, v, "
        "probs, keep|None, scale, want_bias) -> (dq, dk, dv, dbias|None), full batch shape)"),
}


@hookimpl
def ember_register_namespace() -> list[NamespaceEntry]:
    out = [NamespaceEntry(f"nn.{name}", f"{_PKG}.{mod}:{name}")
           for mod, names in MODULES.items() for name in names]
    out += [NamespaceEntry(f"nn.functional.{name}", f"{_PKG}.{mod}:{name}")
            for mod, names in FUNCTIONS.items() for name in names]
    out.append(NamespaceEntry("nn.modules.transformer", f"{_PKG}.transformer"))
    return out


@hookimpl
def ember_register_ops(registry: OpRegistry) -> None:
    for name, summary in OPS.items():
        registry.declare(name, summary)
