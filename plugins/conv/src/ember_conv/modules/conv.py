"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d (and their lazy forms in
``lazy.py``). Each forward calls the functional op."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import ember
from ember.nn import Module, Parameter
from ember.ops._base import Tensor

from .. import conv as F
from ..padding import pad

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(v: Any, n: int) -> tuple[Any, ...]:
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return (v,) * n


class _ConvNd(Module):
    """State and checks shared by every convolution layer.

    ``weight`` is ``(out, in / groups, *kernel_size)`` for a convolution and
    ``(in, out / groups, *kernel_size)`` for a transposed one; ``bias`` is ``(out,)``.
    """

    _dims = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", output_padding: Any = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        n = self._dims
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.kernel_size = _tuple(kernel_size, n)
        self.stride = _tuple(stride, n)
        self.dilation = _tuple(dilation, n)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: Any = padding
        else:
            self.padding = _tuple(padding, n)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.transposed = self._transposed
        self.output_padding = _tuple(output_padding, n)
        self.groups = groups
        self.padding_mode = padding_mode
        if isinstance(self.padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * n
            if padding == "same":
                for d, k, i in zip(self.dilation, self.kernel_size, range(n - 1, -1, -1),
                                   strict=True):
                    total = d * (k - 1)
                    left = total // 2
                    self._reversed_padding_repeated_twice[2 * i] = left
                    self._reversed_padding_repeated_twice[2 * i + 1] = total - left
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(self.padding)
                                                     for _ in range(2)]
        if self._transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(ember.empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(ember.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw weight and bias uniformly from ``(-1/sqrt(fan_in), 1/sqrt(fan_in))``.

        This is torch's default: ``kaiming_uniform_(weight, a=sqrt(5))`` has exactly that
        bound, and the bias uses the same one. ``fan_in`` is ``weight.shape[1] * prod(k)``.
        """
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        with ember.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def extra_repr(self) -> str:
        n = self._dims
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _fn: Any = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, device, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor,  # noqa: A002
                      bias: Tensor | None) -> Tensor:
        fn = type(self)._fn
        if self.padding_mode != "zeros":
            padded = pad(input, self._reversed_padding_repeated_twice, self.padding_mode)
            return fn(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Convolve ``input`` with the layer's weight and add its bias."""
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution layer: ``y = conv1d(x, weight, bias)``.

    Args:
        in_channels, out_channels: channels of input and output.
        kernel_size: the window length.
        stride, padding, dilation, groups: as in :func:`ember.nn.functional.conv1d`.
        bias: learn an additive bias. Default True.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Shape:
        input ``(N, C_in, L)`` or ``(C_in, L)``; output ``(N, C_out, L_out)``.

    >>> import ember
    >>> ember.nn.Conv1d(2, 4, 3)(ember.zeros(1, 2, 8)).shape
    ember.Size([1, 4, 6])
    """

    _dims = 1
    _fn = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-D convolution layer: ``y = conv2d(x, weight, bias)``.

    Args:
        in_channels, out_channels: channels of input and output.
        kernel_size: an int or ``(kH, kW)``.
        stride, padding, dilation, groups: as in :func:`ember.nn.functional.conv2d`.
        bias: learn an additive bias. Default True.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Shape:
        input ``(N, C_in, H, W)`` or ``(C_in, H, W)``; output ``(N, C_out, H_out, W_out)``.

    >>> import ember
    >>> ember.nn.Conv2d(3, 8, 3, padding=1)(ember.zeros(2, 3, 5, 5)).shape
    ember.Size([2, 8, 5, 5])
    """

    _dims = 2
    _fn = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-D convolution layer: ``y = conv3d(x, weight, bias)``.

    Args:
        in_channels, out_channels: channels of input and output.
        kernel_size: an int or ``(kD, kH, kW)``.
        stride, padding, dilation, groups: as in :func:`ember.nn.functional.conv3d`.
        bias: learn an additive bias. Default True.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Shape:
        input ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``.

    >>> import ember
    >>> ember.nn.Conv3d(1, 2, 2)(ember.zeros(1, 1, 3, 3, 3)).shape
    ember.Size([1, 2, 2, 2, 2])
    """

    _dims = 3
    _fn = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    _transposed = True
    _fn: Any = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{type(self).__name__}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype)

    def _output_padding(self, input: Tensor, output_size: Sequence[int] | None  # noqa: A002
                        ) -> tuple[int, ...]:
        """The output_padding that makes the output ``output_size`` (spatial dims, or the
        full shape); the layer's own ``output_padding`` when it is None."""
        if output_size is None:
            return self.output_padding
        n = self._dims
        non_spatial = 2 if input.ndim == n + 2 else 1
        size = [int(s) for s in output_size]
        if len(size) == non_spatial + n:
            size = size[non_spatial:]
        if len(size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.ndim}D input, output_size must "
                             f"have {n} or {non_spatial + n} elements (got {len(size)})")
        lo = [(input.shape[non_spatial + d] - 1) * self.stride[d] - 2 * self.padding[d]
              + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(n)]
        hi = [lo[d] + self.stride[d] - 1 for d in range(n)]
        for d in range(n):
            if not lo[d] <= size[d] <= hi[d]:
                raise ValueError(f"requested an output size of {size}, but valid sizes range "
                                 f"from {lo} to {hi} (for an input of "
                                 f"{list(input.shape[non_spatial:])})")
        return tuple(size[d] - lo[d] for d in range(n))

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None  # noqa: A002
                ) -> Tensor:
        """Transposed convolution of ``input``; ``output_size`` picks among the output
        sizes a strided layer can produce."""
        out_pad = self._output_padding(input, output_size)
        return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding,
                              out_pad, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution layer (the gradient of Conv1d wrt its input, as a layer).

    Args:
        in_channels, out_channels, kernel_size, stride, padding, groups, dilation: as in
            :func:`ember.nn.functional.conv_transpose1d`.
        output_padding: extra size added to one side of the output.
        bias: learn an additive bias. Default True.

    Shape:
        input ``(N, C_in, L)``; output ``(N, C_out, (L - 1) s - 2 p + d (k - 1) + op + 1)``.

    >>> import ember
    >>> ember.nn.ConvTranspose1d(2, 3, 3, stride=2)(ember.zeros(1, 2, 4)).shape
    ember.Size([1, 3, 9])
    """

    _dims = 1
    _fn = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution layer (see :class:`ConvTranspose1d`).

    Shape:
        input ``(N, C_in, H, W)``; output ``(N, C_out, H_out, W_out)``.

    >>> import ember
    >>> ember.nn.ConvTranspose2d(2, 3, 2, stride=2)(ember.zeros(1, 2, 4, 4)).shape
    ember.Size([1, 3, 8, 8])
    """

    _dims = 2
    _fn = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution layer (see :class:`ConvTranspose1d`).

    Shape:
        input ``(N, C_in, D, H, W)``; output ``(N, C_out, D_out, H_out, W_out)``.

    >>> import ember
    >>> ember.nn.ConvTranspose3d(1, 1, 2)(ember.zeros(1, 1, 2, 2, 2)).shape
    ember.Size([1, 1, 3, 3, 3])
    """

    _dims = 3
    _fn = staticmethod(F.conv_transpose3d)
