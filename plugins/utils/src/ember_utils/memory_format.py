"""Change the memory layout of convolution weights (``channels_last`` and friends).

ember tensors keep numpy-style strides, so a weight can really be stored channels-last:
its values, shape and results are unchanged, only ``stride()`` and
``is_contiguous(memory_format=...)`` differ. Backends may use the layout or ignore it;
results never depend on it.
"""

from __future__ import annotations

from typing import Any, TypeVar

import ember
from ember import Tensor
from ember.nn import Module

from ._families import available_classes

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]

M = TypeVar("M", bound=Module)


def _relayout(t: Tensor, memory_format: Any) -> Tensor:
    """A copy of ``t`` stored in ``memory_format`` (row-major for ``contiguous_format``)."""
    order = memory_format.order(t.ndim) if hasattr(memory_format, "order") else None
    if memory_format is ember.channels_last and t.ndim != 4:
        raise RuntimeError("required rank 4 tensor to use channels_last format")
    if memory_format is ember.channels_last_3d and t.ndim != 5:
        raise RuntimeError("required rank 5 tensor to use channels_last_3d format")
    if order is None:
        return t.detach().contiguous().clone()
    inverse = sorted(range(len(order)), key=lambda i: order[i])
    return t.detach().permute(*order).contiguous().permute(*inverse)


def _convert(module: M, memory_format: Any, classes: tuple[type, ...]) -> M:
    if isinstance(module, classes):
        conv: Any = module
        conv.weight.data = _relayout(conv.weight, memory_format)
    for child in module.children():
        _convert(child, memory_format, classes)
    return module


def convert_conv2d_weight_memory_format(module: M, memory_format: Any) -> M:
    """Store the weight of every ``Conv2d``/``ConvTranspose2d`` in ``module`` (recursively)
    in ``memory_format``.

    Args:
        module: a module or a tree of modules; changed in place.
        memory_format: ``ember.channels_last`` or ``ember.contiguous_format``.

    Returns:
        ``module`` itself. The weights keep their values and shapes; with
        ``channels_last`` they satisfy ``weight.is_contiguous(memory_format=channels_last)``.

    Example (needs ember-conv)::

        conv = ember.nn.Conv2d(3, 8, 3)
        conv = convert_conv2d_weight_memory_format(conv, ember.channels_last)
        conv.weight.is_contiguous(memory_format=ember.channels_last)   # True
    """
    return _convert(module, memory_format, available_classes("Conv2d", "ConvTranspose2d"))


def convert_conv3d_weight_memory_format(module: M, memory_format: Any) -> M:
    """Like :func:`convert_conv2d_weight_memory_format`, for ``Conv3d``/``ConvTranspose3d``
    (use ``ember.channels_last_3d``)."""
    return _convert(module, memory_format, available_classes("Conv3d", "ConvTranspose3d"))
