"""ember-transformer: attention and the Transformer family for ember.

The public surface is reached through ember's namespace (``ember.nn.MultiheadAttention``,
``ember.nn.Transformer``, ``ember.nn.functional.scaled_dot_product_attention``); this
package re-exports the same objects for direct imports.
"""

from __future__ import annotations

from .activation import MultiheadAttention
from .functional import multi_head_attention_forward, scaled_dot_product_attention
from .transformer import (
                          Transformer,
                          TransformerDecoder,
                          TransformerDecoderLayer,
                          TransformerEncoder,
                          TransformerEncoderLayer,
)

__version__ = "0.1.0"

__all__ = ["MultiheadAttention", "Transformer", "TransformerEncoder", "TransformerDecoder",
           "TransformerEncoderLayer", "TransformerDecoderLayer",
           "scaled_dot_product_attention", "multi_head_attention_forward"]
