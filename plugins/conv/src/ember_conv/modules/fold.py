"""Fold and Unfold layers (col2im and im2col)."""

from __future__ import annotations

from typing import Any

from ember.nn import Module
from ember.ops._base import Tensor

from .. import fold as F

__all__ = ["Fold", "Unfold"]


class Unfold(Module):
    """Extract sliding blocks as columns (see :func:`ember.nn.functional.unfold`).

    Args:
        kernel_size, dilation, padding, stride: ints or pairs.

    Shape:
        ``(N, C, H, W)`` -> ``(N, C * kH * kW, L)``.

    >>> import ember
    >>> ember.nn.Unfold(2)(ember.zeros(1, 3, 4, 4)).shape
    ember.Size([1, 12, 9])
    """

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """The columns of ``input``'s sliding blocks."""
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Sum sliding-block columns into an image (see :func:`ember.nn.functional.fold`).

    Args:
        output_size: the image size ``(H, W)``.
        kernel_size, dilation, padding, stride: ints or pairs.

    Shape:
        ``(N, C * kH * kW, L)`` -> ``(N, C, H, W)``.

    >>> import ember
    >>> ember.nn.Fold((3, 3), 2)(ember.ones(1, 4, 4)).shape
    ember.Size([1, 1, 3, 3])
    """

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1,
                 padding: Any = 0, stride: Any = 1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """The image whose blocks sum to ``input``'s columns."""
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
