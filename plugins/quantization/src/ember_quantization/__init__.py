"""ember-quantization: per-tensor and per-channel affine quantization for ember.

The functions and dtypes are mounted on ``ember`` (``ember.quantize_per_tensor``,
``ember.qint8``, ...); they are importable from here too.
"""

from __future__ import annotations

from .api import (
    QuantizedTensor,
    dequantize,
    fake_quantize_per_channel_affine,
    fake_quantize_per_tensor_affine,
    per_channel_affine,
    per_channel_affine_float_qparams,
    per_channel_symmetric,
    per_tensor_affine,
    per_tensor_symmetric,
    qint8,
    qint32,
    qscheme,
    quantize_per_channel,
    quantize_per_tensor,
    quint8,
)

__version__ = "0.1.0"

__all__ = ["QuantizedTensor", "quantize_per_tensor", "quantize_per_channel", "dequantize",
           "fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine", "qint8",
           "quint8", "qint32", "qscheme", "per_tensor_affine", "per_channel_affine",
           "per_tensor_symmetric", "per_channel_symmetric", "per_channel_affine_float_qparams"]
