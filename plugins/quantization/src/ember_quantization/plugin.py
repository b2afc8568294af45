"""Entry point of ember-quantization: mounts the quantization functions, dtypes and schemes
on ``ember`` (``ember.quantize_per_tensor``, ``ember.qint8``, ...).

Imports nothing heavy; :mod:`ember_quantization.api` is imported the first time a name is
used.
"""

from __future__ import annotations

from ember.plugins import hookimpl
from ember.plugins.records import NamespaceEntry

EMBER_PLUGIN_API = (1, 0)

#: the names this plugin adds to the top-level ``ember`` namespace
NAMES = ("quantize_per_tensor", "quantize_per_channel", "dequantize",
         "fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine",
         "qint8", "quint8", "qint32", "qscheme", "per_tensor_affine", "per_channel_affine",
         "per_tensor_symmetric", "per_channel_symmetric", "per_channel_affine_float_qparams")


@hookimpl
def ember_register_namespace() -> list[NamespaceEntry]:
    return [NamespaceEntry(name, f"ember_quantization.api:{name}") for name in NAMES]
