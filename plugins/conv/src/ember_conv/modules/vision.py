"""Vision layers: PixelShuffle, PixelUnshuffle, Upsample and its two fixed-mode forms,
and ChannelShuffle. Each forward calls the functional op in ``ember_conv.vision``."""

from __future__ import annotations

from typing import Any

from ember.nn import Module
from ember.ops._base import Tensor

from .. import vision as F

__all__ = ["PixelShuffle", "PixelUnshuffle", "Upsample", "UpsamplingNearest2d",
           "UpsamplingBilinear2d", "ChannelShuffle"]


class PixelShuffle(Module):
    """Trade channels for resolution: ``(*, C r^2, H, W) -> (*, C, H r, W r)`` (see
    :func:`ember.nn.functional.pixel_shuffle`).

    >>> import ember
    >>> ember.nn.PixelShuffle(2)(ember.zeros(1, 8, 3, 3)).shape
    ember.Size([1, 2, 6, 6])
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Shuffle channel groups into pixel blocks."""
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Trade resolution for channels: ``(*, C, H r, W r) -> (*, C r^2, H, W)``.

    >>> import ember
    >>> ember.nn.PixelUnshuffle(2)(ember.zeros(1, 2, 6, 6)).shape
    ember.Size([1, 8, 3, 3])
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Fold pixel blocks into channels."""
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class Upsample(Module):
    """Resize the spatial dims (see :func:`ember.nn.functional.interpolate`).

    Args:
        size: the output spatial size, or
        scale_factor: multiplier(s) of the input size.
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'``, ``'bilinear'``,
            ``'bicubic'``, ``'trilinear'`` or ``'area'``.
        align_corners: for the interpolating modes.
        recompute_scale_factor: sample from the rounded output size.

    >>> import ember
    >>> ember.nn.Upsample(scale_factor=2)(ember.zeros(1, 1, 2, 3)).shape
    ember.Size([1, 1, 4, 6])
    """

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor: Any = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Resize ``input``."""
        return F.interpolate(input, self.size, self.scale_factor, self.mode,
                             self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """2-D nearest-neighbour upsampling (``Upsample(mode='nearest')``).

    >>> import ember
    >>> ember.nn.UpsamplingNearest2d(scale_factor=2)(ember.zeros(1, 1, 2, 2)).shape
    ember.Size([1, 1, 4, 4])
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """2-D bilinear upsampling with aligned corners
    (``Upsample(mode='bilinear', align_corners=True)``).

    >>> import ember
    >>> ember.nn.UpsamplingBilinear2d(size=(3, 3))(ember.zeros(1, 1, 2, 2)).shape
    ember.Size([1, 1, 3, 3])
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class ChannelShuffle(Module):
    """Interleave the channels of ``groups`` groups (see
    :func:`ember.nn.functional.channel_shuffle`).

    >>> import ember
    >>> ember.nn.ChannelShuffle(2)(ember.arange(4.).reshape(1, 4, 1)).flatten().tolist()
    [0.0, 2.0, 1.0, 3.0]
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Shuffle the channels of ``input``."""
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
