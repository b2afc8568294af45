"""The public surface of ember-quantization, as mounted on ``ember``.

``ember.quantize_per_tensor``, ``ember.qint8`` and the other names resolve here through the
plugin's namespace entries.
"""

from __future__ import annotations

from ._dtypes import (
    per_channel_affine,
    per_channel_affine_float_qparams,
    per_channel_symmetric,
    per_tensor_affine,
    per_tensor_symmetric,
    qint8,
    qint32,
    qscheme,
    quint8,
)
from ._fake import fake_quantize_per_channel_affine, fake_quantize_per_tensor_affine
from ._qtensor import QuantizedTensor
from ._quantize import dequantize, quantize_per_channel, quantize_per_tensor

__all__ = ["QuantizedTensor", "quantize_per_tensor", "quantize_per_channel", "dequantize",
           "fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine", "qint8",
           "quint8", "qint32", "qscheme", "per_tensor_affine", "per_channel_affine",
           "per_tensor_symmetric", "per_channel_symmetric", "per_channel_affine_float_qparams"]
