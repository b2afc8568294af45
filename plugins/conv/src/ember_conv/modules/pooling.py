"""Pooling layers: max, average, adaptive, LP, fractional max and max-unpooling. Each
forward calls the functional op in ``ember_conv.pooling``."""

from __future__ import annotations

from typing import Any

from ember.nn import Module
from ember.ops._base import Tensor

from .. import fractional
from .. import pooling as F

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "LPPool1d", "LPPool2d", "LPPool3d",
           "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "FractionalMaxPool2d",
           "FractionalMaxPool3d"]


def _ntuple(v: Any, n: int) -> tuple[Any, ...]:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


# -------------------------------------------------------------------------------------
# Max pooling
# -------------------------------------------------------------------------------------


class _MaxPoolNd(Module):
    _fn: Any = None

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False
                 ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        """Max-pool ``input``; returns ``(values, indices)`` when ``return_indices``."""
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding,
                              self.dilation, ceil_mode=self.ceil_mode,
                              return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                f", dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of the last dim (see :func:`ember.nn.functional.max_pool1d`).

    Args:
        kernel_size, stride (default ``kernel_size``), padding, dilation, ceil_mode.
        return_indices: forward also returns the indices (for :class:`MaxUnpool1d`).

    Shape:
        ``(N, C, L)`` or ``(C, L)`` -> ``(N, C, L_out)``.

    >>> import ember
    >>> ember.nn.MaxPool1d(2)(ember.tensor([[1., 3., 2., 5.]])).tolist()
    [[3.0, 5.0]]
    """

    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """Max over sliding 2-D windows (see :func:`ember.nn.functional.max_pool2d`).

    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, H_out, W_out)``.

    >>> import ember
    >>> ember.nn.MaxPool2d(2)(ember.ones(1, 4, 4)).shape
    ember.Size([1, 2, 2])
    """

    _fn = staticmethod(F.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """Max over sliding 3-D windows (see :func:`ember.nn.functional.max_pool3d`).

    Shape:
        ``(N, C, D, H, W)`` or ``(C, D, H, W)``.

    >>> import ember
    >>> ember.nn.MaxPool3d(2)(ember.ones(1, 2, 2, 2)).shape
    ember.Size([1, 1, 1, 1])
    """

    _fn = staticmethod(F.max_pool3d)


# -------------------------------------------------------------------------------------
# Average pooling
# -------------------------------------------------------------------------------------


class AvgPool1d(Module):
    """Mean over sliding windows of the last dim (see
    :func:`ember.nn.functional.avg_pool1d`).

    Args:
        kernel_size, stride (default ``kernel_size``), padding, ceil_mode,
        count_include_pad.

    >>> import ember
    >>> ember.nn.AvgPool1d(2)(ember.tensor([[1., 3., 2., 6.]])).tolist()
    [[2.0, 4.0]]
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 1)
        self.padding = _ntuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Average-pool ``input``."""
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AvgPoolNd(Module):
    _fn: Any = None

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Average-pool ``input``."""
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding,
                              self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """Mean over sliding 2-D windows (see :func:`ember.nn.functional.avg_pool2d`).

    Args:
        kernel_size, stride (default ``kernel_size``), padding, ceil_mode,
        count_include_pad, divisor_override.

    >>> import ember
    >>> ember.nn.AvgPool2d(2)(ember.ones(1, 4, 4)).shape
    ember.Size([1, 2, 2])
    """

    _fn = staticmethod(F.avg_pool2d)


class AvgPool3d(_AvgPoolNd):
    """Mean over sliding 3-D windows (see :func:`ember.nn.functional.avg_pool3d`).

    >>> import ember
    >>> ember.nn.AvgPool3d(2)(ember.ones(1, 2, 2, 2)).item()
    1.0
    """

    _fn = staticmethod(F.avg_pool3d)


# -------------------------------------------------------------------------------------
# Adaptive pooling
# -------------------------------------------------------------------------------------


class _AdaptiveMaxPoolNd(Module):
    _fn: Any = None

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        """Max-pool ``input`` to ``output_size``."""
        return type(self)._fn(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output length (see
    :func:`ember.nn.functional.adaptive_max_pool1d`).

    >>> import ember
    >>> ember.nn.AdaptiveMaxPool1d(2)(ember.tensor([[1., 5., 3., 4.]])).tolist()
    [[5.0, 4.0]]
    """

    _fn = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed ``(H_out, W_out)``; None keeps that input size.

    >>> import ember
    >>> ember.nn.AdaptiveMaxPool2d((1, None))(ember.ones(1, 3, 5)).shape
    ember.Size([1, 1, 5])
    """

    _fn = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed ``(D_out, H_out, W_out)``.

    >>> import ember
    >>> ember.nn.AdaptiveMaxPool3d(1)(ember.ones(1, 2, 2, 2)).shape
    ember.Size([1, 1, 1, 1])
    """

    _fn = staticmethod(F.adaptive_max_pool3d)


class _AdaptiveAvgPoolNd(Module):
    _fn: Any = None

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Average-pool ``input`` to ``output_size``."""
        return type(self)._fn(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed output length (see
    :func:`ember.nn.functional.adaptive_avg_pool1d`).

    >>> import ember
    >>> ember.nn.AdaptiveAvgPool1d(2)(ember.tensor([[1., 2., 3., 4.]])).tolist()
    [[1.5, 3.5]]
    """

    _fn = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed ``(H_out, W_out)``; None keeps that input size.

    >>> import ember
    >>> ember.nn.AdaptiveAvgPool2d(1)(ember.ones(2, 3, 5, 5)).shape
    ember.Size([2, 3, 1, 1])
    """

    _fn = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed ``(D_out, H_out, W_out)``.

    >>> import ember
    >>> ember.nn.AdaptiveAvgPool3d(1)(ember.ones(1, 2, 2, 2)).shape
    ember.Size([1, 1, 1, 1])
    """

    _fn = staticmethod(F.adaptive_avg_pool3d)


# -------------------------------------------------------------------------------------
# LP pooling
# -------------------------------------------------------------------------------------


class _LPPoolNd(Module):
    _fn: Any = None

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Power-average pool ``input``."""
        return type(self)._fn(input, float(self.norm_type), self.kernel_size, self.stride,
                              self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling ``(sum_window x^p)^(1/p)`` over the last dim (see
    :func:`ember.nn.functional.lp_pool1d`).

    >>> import ember
    >>> ember.nn.LPPool1d(2, 2)(ember.tensor([[3., 4.]])).tolist()
    [[5.0]]
    """

    _fn = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling over 2-D windows.

    >>> import ember
    >>> ember.nn.LPPool2d(1, 2)(ember.ones(1, 2, 2)).item()
    4.0
    """

    _fn = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """Power-average pooling over 3-D windows.

    >>> import ember
    >>> ember.nn.LPPool3d(1, 2)(ember.ones(1, 2, 2, 2)).item()
    8.0
    """

    _fn = staticmethod(F.lp_pool3d)


# -------------------------------------------------------------------------------------
# Max unpooling
# -------------------------------------------------------------------------------------


class _MaxUnpoolNd(Module):
    _fn: Any = None
    _dims = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        n = self._dims
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride if stride is not None else kernel_size, n)
        self.padding = _ntuple(padding, n)

    def forward(self, input: Tensor, indices: Tensor,  # noqa: A002
                output_size: Any = None) -> Tensor:
        """Put each value of ``input`` back where ``indices`` says; zeros elsewhere."""
        return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """A partial inverse of :class:`MaxPool1d` (see
    :func:`ember.nn.functional.max_unpool1d`).

    >>> import ember
    >>> ember.nn.MaxUnpool1d(2)(ember.tensor([[2., 4.]]), ember.tensor([[1, 2]])).tolist()
    [[0.0, 2.0, 4.0, 0.0]]
    """

    _fn = staticmethod(F.max_unpool1d)
    _dims = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """A partial inverse of :class:`MaxPool2d`.

    >>> import ember
    >>> ember.nn.MaxUnpool2d(2)(ember.tensor([[[5.]]]), ember.tensor([[[3]]])).shape
    ember.Size([1, 2, 2])
    """

    _fn = staticmethod(F.max_unpool2d)
    _dims = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """A partial inverse of :class:`MaxPool3d`.

    >>> import ember
    >>> ember.nn.MaxUnpool3d(2)(ember.tensor([[[[5.]]]]), ember.tensor([[[[7]]]])).shape
    ember.Size([1, 2, 2, 2])
    """

    _fn = staticmethod(F.max_unpool3d)
    _dims = 3


# -------------------------------------------------------------------------------------
# Fractional max pooling
# -------------------------------------------------------------------------------------


class _FractionalMaxPoolNd(Module):
    _fn: Any = None
    _dims = 2

    def __init__(self, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
                 return_indices: bool = False, _random_samples: Tensor | None = None) -> None:
        super().__init__()
        n = self._dims
        name = type(self).__name__
        self.kernel_size = _ntuple(kernel_size, n)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _ntuple(output_size, n) if output_size is not None else None
        self.output_ratio = _ntuple(output_ratio, n) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a "
                             "pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        """Fractional max pooling of ``input`` (fixed sequences when ``_random_samples``
        was given)."""
        return type(self)._fn(input, self.kernel_size, self.output_size, self.output_ratio,
                              self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling over 2-D windows (see
    :func:`ember.nn.functional.fractional_max_pool2d`).

    Args:
        kernel_size: window size.
        output_size: ``(H_out, W_out)``, or ``output_ratio`` in (0, 1) instead.
        return_indices: forward also returns the indices.
        _random_samples: ``(N, C, 2)`` fixed samples (random each call when None).

    >>> import ember
    >>> ember.nn.FractionalMaxPool2d(2, output_size=2)(ember.ones(1, 1, 5, 5)).shape
    ember.Size([1, 1, 2, 2])
    """

    _fn = staticmethod(fractional.fractional_max_pool2d)
    _dims = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling over 3-D windows; ``_random_samples`` is ``(N, C, 3)``.

    >>> import ember
    >>> ember.nn.FractionalMaxPool3d(2, output_ratio=0.5)(ember.ones(1, 1, 4, 4, 4)).shape
    ember.Size([1, 1, 2, 2, 2])
    """

    _fn = staticmethod(fractional.fractional_max_pool3d)
    _dims = 3



