"""Softmax-family Modules (Softmax, Softmin, LogSoftmax, Softmax2d): thin wrappers of
:mod:`ember_layers.functional.softmax`. Reprs match torch's."""

from __future__ import annotations

from typing import Any

from ember._tensor import Tensor
from ember.nn import Module

from .functional.softmax import log_softmax, softmax, softmin

__all__ = ["Softmax", "Softmin", "Softmax2d", "LogSoftmax"]


class _DimModule(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if not hasattr(self, "dim"):
            self.dim = None

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_DimModule):
    """Applies :func:`softmax` along ``dim``.

    Args:
        dim: the dim whose slices sum to 1. Default: ``None`` (legacy choice, warns).

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Softmax(dim=-1)(ember.zeros(1, 4))
    tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return softmax(input, self.dim, _stacklevel=5)


class Softmin(_DimModule):
    """Applies :func:`softmin` along ``dim``.

    Args:
        dim: the dim whose slices sum to 1. Default: ``None`` (legacy choice, warns).

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Softmin(dim=0)(ember.tensor([0., 0.]))
    tensor([0.5000, 0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return softmin(input, self.dim, _stacklevel=5)


class LogSoftmax(_DimModule):
    """Applies :func:`log_softmax` along ``dim``.

    Args:
        dim: the dim to normalize over. Default: ``None`` (legacy choice, warns).

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.LogSoftmax(dim=0)(ember.tensor([0., 0.])).exp()
    tensor([0.5000, 0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return log_softmax(input, self.dim, _stacklevel=5)


class Softmax2d(Module):
    """Softmax over the channels of every spatial location.

    ``y[n, :, h, w] = softmax(x[n, :, h, w])``

    Shape:
        input ``(N, C, H, W)`` or ``(C, H, W)``; output the same.

    >>> import ember
    >>> ember.nn.Softmax2d()(ember.zeros(2, 1, 1)).flatten()
    tensor([0.5000, 0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D "
                             "instead")
        return softmax(input, -3, _stacklevel=5)
