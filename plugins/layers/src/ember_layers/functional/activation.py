"""Pointwise activations: their functional forms (``ember.nn.functional.relu`` ...).

The ops live in one module per family, and this module gathers them under the name torch
uses (``torch.nn.functional`` keeps them together too):

- :mod:`~ember_layers.functional.clamp`: threshold, relu, relu6, hardtanh, hardsigmoid,
  hardswish;
- :mod:`~ember_layers.functional.leaky`: leaky_relu, rrelu, prelu;
- :mod:`~ember_layers.functional.exponential`: elu, selu, celu, softplus;
- :mod:`~ember_layers.functional.gates`: sigmoid, tanh, logsigmoid, softsign, gelu, silu,
  mish, glu;
- :mod:`~ember_layers.functional.shrink`: hardshrink, softshrink, tanhshrink.

What they share (a composite that a fused kernel may replace, a recorded backward, torch's
conventions at NaN, infinities and kinks) is in :mod:`ember_layers.functional._pointwise`.
The Modules live in :mod:`ember_layers.activation`.
"""

from __future__ import annotations

from .clamp import (
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    relu,
    relu6,
    relu_,
    threshold,
    threshold_,
)
from .exponential import SELU_ALPHA as SELU_ALPHA  # selu's constants, public as before
from .exponential import SELU_SCALE as SELU_SCALE
from .exponential import celu, celu_, elu, elu_, selu, selu_, softplus
from .gates import gelu, glu, logsigmoid, mish, sigmoid, silu, softsign, tanh
from .leaky import leaky_relu, leaky_relu_, prelu, rrelu, rrelu_
from .shrink import hardshrink, softshrink, tanhshrink

__all__ = ["threshold", "threshold_", "relu", "relu_", "relu6", "hardtanh", "hardtanh_", "elu",
           "elu_", "selu", "selu_", "celu", "celu_", "leaky_relu", "leaky_relu_", "prelu",
           "rrelu", "rrelu_", "gelu", "silu", "mish", "hardsigmoid", "hardswish", "hardshrink",
           "softshrink", "tanhshrink", "softsign", "softplus", "logsigmoid", "sigmoid", "tanh",
           "glu"]
