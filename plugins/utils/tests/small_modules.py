"""Small modules built from ember-core alone, so these tests run with only ember-core,
ember-cpu and ember-utils installed (the tox ``utils`` environment). They have torch's
attribute and state-dict names: ``Linear`` matches ``torch.nn.Linear``, ``ConvLike`` the
parameters of ``torch.nn.Conv2d`` and ``BatchNormLike`` the state of
``torch.nn.BatchNorm2d``."""

from __future__ import annotations

import math

import ember
from ember.nn import Module, Parameter


class Linear(Module):
    """``y = x @ weight.T + bias`` with torch.nn.Linear's parameters and init."""

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = Parameter(ember.empty(out_features, in_features, dtype=dtype)
                                .uniform_(-bound, bound))
        if bias:
            self.bias = Parameter(ember.empty(out_features, dtype=dtype).uniform_(-bound, bound))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):  # noqa: A002 - torch's argument name
        y = ember.matmul(input, self.weight.mT)
        return y if self.bias is None else y + self.bias


class Tanh(Module):
    """Elementwise tanh."""

    def forward(self, x):
        return ember.tanh(x)


class ConvLike(Module):
    """Holds a convolution's ``weight`` ``(d0, d1, *kernel)`` and ``bias`` (one per output
    channel: ``d0``, or ``d1`` when ``transposed``)."""

    def __init__(self, d0, d1, kernel, bias=True, dtype=None, transposed=False):
        super().__init__()
        self.weight = Parameter(ember.randn(d0, d1, *kernel, dtype=dtype))
        if bias:
            self.bias = Parameter(ember.randn(d1 if transposed else d0, dtype=dtype))
        else:
            self.register_parameter("bias", None)


class BatchNormLike(Module):
    """Holds a batch norm's state: ``weight``, ``bias``, ``running_mean``,
    ``running_var``, ``num_batches_tracked``, and ``eps``/``num_features``."""

    def __init__(self, num_features, affine=True, dtype=None):
        super().__init__()
        self.num_features = num_features
        self.eps = 1e-5
        if affine:
            self.weight = Parameter(ember.ones(num_features, dtype=dtype))
            self.bias = Parameter(ember.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.register_buffer("running_mean", ember.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", ember.ones(num_features, dtype=dtype))
        self.register_buffer("num_batches_tracked", ember.tensor(0))


class Holder(Module):
    """A module with a single parameter ``weight`` of any shape."""

    def __init__(self, *shape, dtype=None):
        super().__init__()
        self.weight = Parameter(ember.zeros(*shape, dtype=dtype))
