"""Linear layers: Identity, Linear, Bilinear and LazyLinear.

``forward`` calls :func:`~ember_layers.functional.linear.linear` or ``bilinear``; the
Modules hold the parameters and initialize them as torch does.
"""

from __future__ import annotations

import math
from typing import Any

import ember
from ember._tensor import Tensor
from ember.nn import Module, Parameter, UninitializedParameter, init
from ember.nn.modules.lazy import LazyModuleMixin

from .functional.linear import bilinear, linear

__all__ = ["Identity", "Linear", "Bilinear", "LazyLinear"]


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are ignored.

    Shape:
        input ``(*)``, output ``(*)`` (the same tensor).

    >>> import ember
    >>> x = ember.ones(2)
    >>> ember.nn.Identity(54, unused="x")(x) is x
    True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input


class Linear(Module):
    """Affine map of the last dim: ``y = x W^T + b``.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias. Default: ``True``.
        device, dtype: of the parameters.

    Attributes:
        weight: ``(out_features, in_features)``, initialized from
            ``U(-1/sqrt(in_features), 1/sqrt(in_features))``.
        bias: ``(out_features,)``, same initialization, or ``None``.

    Shape:
        input ``(*, in_features)``, output ``(*, out_features)``.

    >>> import ember
    >>> ember.nn.Linear(20, 30)(ember.randn(128, 20)).shape
    ember.Size([128, 30])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(ember.empty((out_features, in_features), device=device,
                                            dtype=dtype))
        if bias:
            self.bias = Parameter(ember.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight with Kaiming-uniform (``a = sqrt(5)``) and the bias uniformly
        in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``, as torch does."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """Bilinear map of two inputs: ``y = x1^T A x2 + b``.

    Args:
        in1_features: size of each first input sample.
        in2_features: size of each second input sample.
        out_features: size of each output sample.
        bias: learn an additive bias. Default: ``True``.
        device, dtype: of the parameters.

    Attributes:
        weight: ``(out_features, in1_features, in2_features)``, initialized from
            ``U(-1/sqrt(in1_features), 1/sqrt(in1_features))``.
        bias: ``(out_features,)``, same initialization, or ``None``.

    Shape:
        inputs ``(*, in1_features)`` and ``(*, in2_features)``, output
        ``(*, out_features)``.

    >>> import ember
    >>> m = ember.nn.Bilinear(20, 30, 40)
    >>> m(ember.randn(128, 20), ember.randn(128, 30)).shape
    ember.Size([128, 40])
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(ember.empty((out_features, in1_features, in2_features),
                                            device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(ember.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw weight and bias uniformly in ``[-1/sqrt(in1), 1/sqrt(in1)]``."""
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class LazyLinear(LazyModuleMixin, Linear):
    """A :class:`Linear` whose ``in_features`` is inferred from the first input's last dim;
    it becomes a ``Linear`` after that call.

    Args:
        out_features: size of each output sample.
        bias: learn an additive bias. Default: ``True``.
        device, dtype: of the parameters.

    Shape:
        input ``(*, H_in)``, output ``(*, out_features)``.

    >>> import ember
    >>> m = ember.nn.LazyLinear(4)
    >>> _ = m(ember.ones(2, 3))
    >>> m
    Linear(in_features=3, out_features=4, bias=True)
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(0, 0, False)
        kw = {"device": device, "dtype": dtype}
        self.weight = UninitializedParameter(**kw)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(**kw)

    def reset_parameters(self) -> None:
        """Initialize as :class:`Linear` once the shapes are known."""
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        """Materialize ``weight`` ``(out_features, input.shape[-1])`` and ``bias``."""
        if self.has_uninitialized_params():
            with ember.no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
