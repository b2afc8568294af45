"""Dropout Modules: active in training, the identity in evaluation. Thin wrappers of
:mod:`ember_layers.functional.dropout`."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.nn import Module

from .functional import dropout as D

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]


class _DropoutNd(Module):
    __constants__ = ["p", "inplace"]

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` in training, scaling the rest by
    ``1 / (1 - p)`` (:func:`~ember_layers.functional.dropout.dropout`).

    Args:
        p: probability of zeroing an element. Default: 0.5.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.Dropout(p=0.2).eval()(ember.ones(3))
    tensor([1., 1., 1.])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return D.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole 1-D channels with probability ``p`` in training
    (:func:`~ember_layers.functional.dropout.dropout1d`).

    Args:
        p: probability of zeroing a channel. Default: 0.5.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(N, C, L)`` or ``(C, L)``, output the same.

    >>> import ember
    >>> ember.nn.Dropout1d(p=0.2).eval()(ember.ones(2, 3)).shape
    ember.Size([2, 3])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return D.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole 2-D channels with probability ``p`` in training
    (:func:`~ember_layers.functional.dropout.dropout2d`).

    Args:
        p: probability of zeroing a channel. Default: 0.5.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(N, C, H, W)``, output the same.

    >>> import ember
    >>> ember.nn.Dropout2d(p=0.2).eval()(ember.ones(1, 2, 3, 3)).shape
    ember.Size([1, 2, 3, 3])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return D.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole 3-D channels with probability ``p`` in training
    (:func:`~ember_layers.functional.dropout.dropout3d`).

    Args:
        p: probability of zeroing a channel. Default: 0.5.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(N, C, D, H, W)`` or ``(C, D, H, W)``, output the same.

    >>> import ember
    >>> ember.nn.Dropout3d(p=0.2).eval()(ember.ones(1, 2, 1, 3, 3)).shape
    ember.Size([1, 2, 1, 3, 3])
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return D.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Alpha dropout in training: keeps zero mean and unit variance of SELU activations
    (:func:`~ember_layers.functional.dropout.alpha_dropout`).

    Args:
        p: probability of dropping an element. Default: 0.5.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(*)``, output ``(*)``.

    >>> import ember
    >>> ember.nn.AlphaDropout(p=0.2)
    AlphaDropout(p=0.2, inplace=False)
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return D.alpha_dropout(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels in training
    (:func:`~ember_layers.functional.dropout.feature_alpha_dropout`).

    Args:
        p: probability of dropping a channel. Default: 0.5.
        inplace: overwrite the input. Default: ``False``.

    Shape:
        input ``(N, C, *)``, output the same.

    >>> import ember
    >>> ember.nn.FeatureAlphaDropout(p=0.2)
    FeatureAlphaDropout(p=0.2, inplace=False)
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return D.feature_alpha_dropout(input, self.p, self.training, self.inplace)
