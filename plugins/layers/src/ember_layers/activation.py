"""Activation Modules: thin wrappers whose ``forward`` calls the functional form in
:mod:`ember_layers.functional.activation`. Reprs match torch's."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import ember
from ember._tensor import Tensor
from ember.nn import Module, Parameter, init

from .functional import activation as A

__all__ = ["Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh",
           "SiLU", "Mish", "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink",
           "LeakyReLU", "LogSigmoid", "Softplus", "Softshrink", "PReLU", "Softsign",
           "Tanhshrink"]


class _Activation(Module):
    """Base of the activation Modules. A subclass stores its options as attributes and its
    ``forward`` calls the functional form with them; ``_repr_fields`` names the options
    that its repr shows, as torch's does: ``name=value`` (strings quoted), and ``inplace``
    only when set, as ``inplace=True``."""

    _repr_fields: ClassVar[tuple[str, ...]] = ()

    def extra_repr(self) -> str:
        parts = []
        for name in self._repr_fields:
            value = getattr(self, name)
            if name != "inplace":
                parts.append(f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}")
            elif value:
                parts.append("inplace=True")
        return ", ".join(parts)


class _Inplace(_Activation):
    """Base of the activations whose one option is ``inplace``."""

    _repr_fields: ClassVar[tuple[str, ...]] = ("inplace",)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


class Threshold(_Activation):
    """Keep elements above ``threshold`` and replace the rest with ``value``
    (:func:`~ember_layers.functional.activation.threshold`).

    Args:
        threshold: the cut-off.
        value: the replacement.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Threshold(0.1, 20.)(ember.tensor([0., 1.]))
    tensor([20.,  1.])
    """

    _repr_fields = ("threshold", "value", "inplace")

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.threshold(input, self.threshold, self.value, self.inplace)


class ReLU(_Inplace):
    """``y = max(x, 0)`` (:func:`~ember_layers.functional.activation.relu`).

    Args:
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.ReLU()(ember.tensor([-1., 1.]))
    tensor([0., 1.])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.relu(input, self.inplace)


class RReLU(_Activation):
    """Randomized leaky ReLU: random negative slopes in ``[lower, upper]`` in training,
    their mean in evaluation (:func:`~ember_layers.functional.activation.rrelu`).

    Args:
        lower: lower bound of the slope. Default: 1/8.
        upper: upper bound of the slope. Default: 1/3.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.RReLU(0.5, 0.5)(ember.tensor([-2., 2.]))
    tensor([-1.,  2.])
    """

    _repr_fields = ("lower", "upper", "inplace")

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 inplace: bool = False) -> None:
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.rrelu(input, self.lower, self.upper, self.training, self.inplace)


class Hardtanh(_Activation):
    """Clip to ``[min_val, max_val]`` (:func:`~ember_layers.functional.activation.hardtanh`).

    Args:
        min_val: lower bound. Default: -1.
        max_val: upper bound, greater than ``min_val``. Default: 1.
        inplace: overwrite the input. Default: ``False``.
        min_value, max_value: deprecated spellings of ``min_val``/``max_val``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Hardtanh()(ember.tensor([-2., 2.]))
    tensor([-1.,  1.])
    """

    _repr_fields: ClassVar[tuple[str, ...]] = ("min_val", "max_val", "inplace")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise AssertionError(f"max_val ({self.max_val}) must be greater than min_val "
                                 f"({self.min_val})")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.hardtanh(input, self.min_val, self.max_val, self.inplace)


class ReLU6(Hardtanh):
    """``y = min(max(x, 0), 6)`` (:func:`~ember_layers.functional.activation.relu6`).

    Args:
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.ReLU6()(ember.tensor([-1., 9.]))
    tensor([0., 6.])
    """

    _repr_fields: ClassVar[tuple[str, ...]] = ("inplace",)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)


class Sigmoid(_Activation):
    """``y = 1 / (1 + exp(-x))``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Sigmoid()(ember.tensor([0.]))
    tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return ember.sigmoid(input)


class Hardsigmoid(_Inplace):
    """``y = min(max(x + 3, 0), 6) / 6``
    (:func:`~ember_layers.functional.activation.hardsigmoid`).

    Args:
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Hardsigmoid()(ember.tensor([0.]))
    tensor([0.5000])
    """

    _repr_fields = ()  # torch's repr leaves out inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.hardsigmoid(input, self.inplace)


class Tanh(_Activation):
    """``y = tanh(x)``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Tanh()(ember.tensor([0.]))
    tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return ember.tanh(input)


class SiLU(_Inplace):
    """``y = x * sigmoid(x)`` (:func:`~ember_layers.functional.activation.silu`).

    Args:
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.SiLU()(ember.tensor([0.]))
    tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.silu(input, self.inplace)


class Mish(_Inplace):
    """``y = x * tanh(softplus(x))`` (:func:`~ember_layers.functional.activation.mish`).

    Args:
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Mish()(ember.tensor([0.]))
    tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.mish(input, self.inplace)


class Hardswish(_Inplace):
    """``y = x * min(max(x + 3, 0), 6) / 6``
    (:func:`~ember_layers.functional.activation.hardswish`).

    Args:
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Hardswish()(ember.tensor([4.]))
    tensor([4.])
    """

    _repr_fields = ()  # torch's repr leaves out inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.hardswish(input, self.inplace)


class ELU(_Activation):
    """``y = x if x > 0 else alpha * (exp(x) - 1)``
    (:func:`~ember_layers.functional.activation.elu`).

    Args:
        alpha: the negative saturation value. Default: 1.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.ELU()(ember.tensor([1.]))
    tensor([1.])
    """

    _repr_fields = ("alpha", "inplace")

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.elu(input, self.alpha, self.inplace)


class CELU(ELU):
    """``y = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``
    (:func:`~ember_layers.functional.activation.celu`).

    Args:
        alpha: the negative saturation value and scale. Default: 1.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.CELU()(ember.tensor([1.]))
    tensor([1.])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.celu(input, self.alpha, self.inplace)


class SELU(_Inplace):
    """Self-normalizing ELU (:func:`~ember_layers.functional.activation.selu`).

    Args:
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.SELU()(ember.tensor([0.]))
    tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.selu(input, self.inplace)


class GLU(_Activation):
    """Gated linear unit along ``dim``: ``a * sigmoid(b)`` for the halves ``a, b``
    (:func:`~ember_layers.functional.activation.glu`).

    Args:
        dim: the dim to split. Default: -1.

    Shape:
        input ``(*, 2M, *)``, output ``(*, M, *)``.

    >>> import ember
    >>> ember.nn.GLU()(ember.zeros(3, 4)).shape
    ember.Size([3, 2])
    """

    _repr_fields = ("dim",)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.glu(input, self.dim)


class GELU(_Activation):
    """Gaussian error linear unit (:func:`~ember_layers.functional.activation.gelu`).

    Args:
        approximate: ``"none"`` (exact, with erf) or ``"tanh"``. Default: ``"none"``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.GELU(approximate="tanh")
    GELU(approximate='tanh')
    """

    _repr_fields = ("approximate",)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.gelu(input, approximate=self.approximate)


class Hardshrink(_Activation):
    """Zero the elements within ``[-lambd, lambd]``
    (:func:`~ember_layers.functional.activation.hardshrink`).

    Args:
        lambd: the half-width of the zeroed band. Default: 0.5.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Hardshrink()(ember.tensor([0.2, 1.]))
    tensor([0., 1.])
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """Soft thresholding by ``lambd``
    (:func:`~ember_layers.functional.activation.softshrink`).

    Args:
        lambd: the shrinkage, at least 0. Default: 0.5.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Softshrink()(ember.tensor([0.2, 1.]))
    tensor([0.0000, 0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.softshrink(input, self.lambd)


class LeakyReLU(_Activation):
    """``y = x if x > 0 else negative_slope * x``
    (:func:`~ember_layers.functional.activation.leaky_relu`).

    Args:
        negative_slope: the slope for negative inputs. Default: 0.01.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.LeakyReLU(0.1)(ember.tensor([-10., 1.]))
    tensor([-1.,  1.])
    """

    _repr_fields = ("negative_slope", "inplace")

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.leaky_relu(input, self.negative_slope, self.inplace)


class LogSigmoid(_Activation):
    """``y = log(sigmoid(x))`` (:func:`~ember_layers.functional.activation.logsigmoid`).

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.LogSigmoid()(ember.tensor([0.])).exp()
    tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.logsigmoid(input)


class Softplus(_Activation):
    """``y = log(1 + exp(beta * x)) / beta``, linear above ``threshold``
    (:func:`~ember_layers.functional.activation.softplus`).

    Args:
        beta: sharpness. Default: 1.
        threshold: where the op switches to the identity. Default: 20.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Softplus()(ember.tensor([30.]))
    tensor([30.])
    """

    _repr_fields = ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.softplus(input, self.beta, self.threshold)


class PReLU(_Activation):
    """Leaky ReLU with learned slopes, one shared or one per channel
    (:func:`~ember_layers.functional.activation.prelu`).

    Args:
        num_parameters: 1 (shared) or the number of channels. Default: 1.
        init: the initial slope. Default: 0.25.
        device, dtype: of the weight.

    Attributes:
        weight: ``(num_parameters,)``.

    Shape:
        input ``(*)`` or ``(N, C, *)``, output the same.

    >>> import ember
    >>> ember.nn.PReLU()(ember.tensor([-4., 4.]))
    tensor([-1.,  4.], grad_fn=<PreluKernelBackward0>)
    """

    _repr_fields = ("num_parameters",)

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(ember.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Fill the weight with ``init``."""
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.prelu(input, self.weight)


class Softsign(_Activation):
    """``y = x / (1 + |x|)``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Softsign()(ember.tensor([1.]))
    tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.softsign(input)


class Tanhshrink(_Activation):
    """``y = x - tanh(x)``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Tanhshrink()(ember.tensor([0.]))
    tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.tanhshrink(input)
