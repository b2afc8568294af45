"""Lazy convolution layers: ``in_channels`` is read from the first input, then the layer
becomes the plain Conv/ConvTranspose class."""

from __future__ import annotations

from typing import Any

from ember.nn import UninitializedParameter
from ember.nn.modules.lazy import LazyModuleMixin
from ember.ops._base import Tensor

from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

__all__ = ["LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d"]


class _LazyConvMixin(LazyModuleMixin):
    """Materializes weight and bias from the first input's channel count."""

    def reset_parameters(self) -> None:
        """Initialize weight and bias once they have shapes (a no-op before)."""
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()  # type: ignore[misc]

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any  # noqa: A002
                              ) -> None:
        """Read ``in_channels`` from ``input`` and give weight and bias their shapes."""
        if not self.has_uninitialized_params():
            return
        n = self._dims  # type: ignore[attr-defined]
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: "
                               f"{list(input.shape)}")
        self.in_channels = input.shape[1] if input.ndim == n + 2 else input.shape[0]
        if self.in_channels % self.groups != 0:  # type: ignore[attr-defined]
            raise ValueError("in_channels must be divisible by groups")
        groups, k = self.groups, self.kernel_size  # type: ignore[attr-defined]
        if self.transposed:  # type: ignore[attr-defined]
            shape = (self.in_channels, self.out_channels // groups, *k)  # type: ignore[attr-defined]
        else:
            shape = (self.out_channels, self.in_channels // groups, *k)  # type: ignore[attr-defined]
        self.weight.materialize(shape)  # type: ignore[attr-defined]
        if self.bias is not None:  # type: ignore[attr-defined]
            self.bias.materialize((self.out_channels,))  # type: ignore[attr-defined]
        self.reset_parameters()


def _lazy_conv_init(self: Any, out_channels: int, bias: bool, device: Any, dtype: Any) -> None:
    self.weight = UninitializedParameter(device=device, dtype=dtype)
    self.out_channels = out_channels
    if bias:
        self.bias = UninitializedParameter(device=device, dtype=dtype)


class _LazyConv(_LazyConvMixin):
    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device, dtype)
        _lazy_conv_init(self, out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvMixin):
    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, device, dtype)
        _lazy_conv_init(self, out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """:class:`Conv1d` whose ``in_channels`` comes from the first input.

    >>> import ember
    >>> m = ember.nn.LazyConv1d(4, 3)
    >>> m(ember.zeros(1, 2, 5)).shape, type(m).__name__
    (ember.Size([1, 4, 3]), 'Conv1d')
    """

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """:class:`Conv2d` whose ``in_channels`` comes from the first input.

    >>> import ember
    >>> ember.nn.LazyConv2d(4, 3)(ember.zeros(1, 2, 5, 5)).shape
    ember.Size([1, 4, 3, 3])
    """

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """:class:`Conv3d` whose ``in_channels`` comes from the first input.

    >>> import ember
    >>> ember.nn.LazyConv3d(1, 2)(ember.zeros(1, 2, 3, 3, 3)).shape
    ember.Size([1, 1, 2, 2, 2])
    """

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """:class:`ConvTranspose1d` whose ``in_channels`` comes from the first input.

    >>> import ember
    >>> ember.nn.LazyConvTranspose1d(4, 3)(ember.zeros(1, 2, 5)).shape
    ember.Size([1, 4, 7])
    """

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """:class:`ConvTranspose2d` whose ``in_channels`` comes from the first input.

    >>> import ember
    >>> ember.nn.LazyConvTranspose2d(4, 2, stride=2)(ember.zeros(1, 2, 3, 3)).shape
    ember.Size([1, 4, 6, 6])
    """

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """:class:`ConvTranspose3d` whose ``in_channels`` comes from the first input.

    >>> import ember
    >>> ember.nn.LazyConvTranspose3d(1, 2)(ember.zeros(1, 2, 2, 2, 2)).shape
    ember.Size([1, 1, 3, 3, 3])
    """

    cls_to_become = ConvTranspose3d
