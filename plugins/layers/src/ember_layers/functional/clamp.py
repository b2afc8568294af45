"""Activations made of a threshold or a clamp: threshold, relu, relu6, hardtanh,
hardsigmoid and hardswish, with their in-place forms.

Their gradients select ``g`` or 0 by the conditions torch's kernels test, so a NaN input
lets the gradient through where torch's does (see :mod:`ember_layers.functional._pointwise`).
"""

from __future__ import annotations

from typing import Any

import ember
from ember._tensor import Tensor
from ember.autograd.grad_mode import GRAD

from .._util import fused, inplace_apply
from ._pointwise import BackwardOp, maybe_inplace, pointwise

__all__ = ["threshold", "threshold_", "relu", "relu_", "relu6", "hardtanh", "hardtanh_",
           "hardsigmoid", "hardswish"]


# -- threshold ------------------------------------------------------------------------------

def _threshold_backward_composite(g: Tensor, x: Tensor, th: float) -> Tensor:
    # zero where x <= th, else g: a NaN input passes g through
    return ember.where(x <= th, 0.0, g)


_threshold_backward = BackwardOp("threshold_backward", "ThresholdBackwardBackward0",
                                 _threshold_backward_composite)


def _threshold(x: Tensor, th: float, value: float) -> Tensor:
    # replace where x <= th: NaN is kept, as in torch
    return pointwise(x, "threshold", "ThresholdBackward0",
                     lambda a, t, v: ember.where(a <= t, ember.full_like(a, v), a),
                     lambda n, g: _threshold_backward(g, n.saved[0], n.attrs[0]), (th, value),
                     floating=False)


def threshold(input: Tensor, threshold: float, value: float,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Keep elements above ``threshold``; replace the others with ``value``.

    ``y = value if x <= threshold else x`` (NaN stays NaN).

    Args:
        input: any shape.
        threshold: the cut-off.
        value: what elements at or below the cut-off become.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.threshold(ember.tensor([-1., 2.]), 0.5, 9.)
    tensor([9., 2.])
    """
    return maybe_inplace(_threshold, input, inplace, "threshold_", threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """In-place :func:`threshold`: ``input`` is overwritten with ``x if x > threshold else value``.

    Args:
        input: any shape; must not be a leaf that requires grad.
        threshold: the cut-off.
        value: the replacement.

    Returns:
        ``input`` itself.

    >>> import ember
    >>> x = ember.tensor([-1., 2.])
    >>> ember.nn.functional.threshold_(x, 0., 5.) is x
    True
    >>> x
    tensor([5., 2.])
    """
    return inplace_apply(input, _threshold, "threshold_", threshold, value)


# -- relu -----------------------------------------------------------------------------------

def _relu_backward_composite(g: Tensor, out: Tensor) -> Tensor:
    # zero where the result is at most zero, else g: a NaN result passes g through
    return ember.where(out <= 0, 0.0, g)


def _bw_relu(n: Any, g: Tensor) -> Tensor:
    (out,) = n.saved
    if GRAD.enabled:  # create_graph: stay differentiable
        return _relu_backward_composite(g, out)
    return fused("relu_backward", _relu_backward_composite, (g, out))


def _relu(x: Tensor) -> Tensor:
    return pointwise(x, "relu", "ReluBackward0", lambda a: a.clamp_min(0), _bw_relu,
                     save_out=True, floating=False)


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """Rectified linear unit: ``y = max(x, 0)``.

    Args:
        input: any shape.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.relu(ember.tensor([-1., 2.]))
    tensor([0., 2.])
    """
    return maybe_inplace(_relu, input, inplace, "relu_")


def relu_(input: Tensor) -> Tensor:  # noqa: A002
    """In-place :func:`relu`: ``input`` is overwritten with ``max(x, 0)``.

    Args:
        input: any shape; must not be a leaf that requires grad.

    Returns:
        ``input`` itself.

    >>> import ember
    >>> x = ember.tensor([-1., 2.])
    >>> ember.nn.functional.relu_(x) is x
    True
    >>> x
    tensor([0., 2.])
    """
    return inplace_apply(input, _relu, "relu_")


# -- hardtanh, relu6 ------------------------------------------------------------------------

def _hardtanh_backward_composite(g: Tensor, x: Tensor, lo: float, hi: float) -> Tensor:
    # zero where x <= lo or x >= hi, else g: a NaN input passes g through
    return ember.where((x <= lo) | (x >= hi), 0.0, g)


_hardtanh_backward = BackwardOp("hardtanh_backward", "HardtanhBackwardBackward0",
                                _hardtanh_backward_composite)


def _hardtanh(x: Tensor, lo: float, hi: float) -> Tensor:
    return pointwise(x, "hardtanh", "HardtanhBackward0",
                     lambda a, mn, mx: a.clamp(mn, mx).to(a.dtype), _hardtanh_backward.of_node,
                     (lo, hi), floating=False)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,  # noqa: A002
             inplace: bool = False) -> Tensor:
    """Clip to ``[min_val, max_val]``: ``y = min(max(x, min_val), max_val)``.

    Args:
        input: any shape.
        min_val: lower bound. Default: -1.
        max_val: upper bound. Default: 1.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.hardtanh(ember.tensor([-3., 0.5, 3.]))
    tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError(f"[hardtanh] min_val cannot be greater than max_val (got "
                         f"min_val={min_val}, max_val={max_val})")
    return maybe_inplace(_hardtanh, input, inplace, "hardtanh_", min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """In-place :func:`hardtanh`: ``input`` is overwritten with ``min(max(x, min_val), max_val)``.

    Args:
        input: any shape; must not be a leaf that requires grad.
        min_val: lower bound. Default: -1.
        max_val: upper bound. Default: 1.

    Returns:
        ``input`` itself.

    >>> import ember
    >>> x = ember.tensor([-1., 2.])
    >>> ember.nn.functional.hardtanh_(x) is x
    True
    >>> x
    tensor([-1.,  1.])
    """
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """ReLU capped at 6: ``y = min(max(x, 0), 6)``.

    Args:
        input: any shape.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.relu6(ember.tensor([-1., 3., 9.]))
    tensor([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


# -- hardsigmoid, hardswish -----------------------------------------------------------------

# 1/6 rounded to float32: the constant torch's hardsigmoid gradient multiplies by, in
# float64 too
_SIXTH_F32 = 0.1666666716337204


def _bw_hardsigmoid(n: Any, g: Tensor) -> Tensor:
    (x,) = n.saved
    return ember.where((x > -3) & (x < 3), g * _SIXTH_F32, 0.0)


def _hardsigmoid(x: Tensor) -> Tensor:
    return pointwise(x, "hardsigmoid", "HardsigmoidBackward0",
                     lambda a: (a + 3).clamp(0, 6) / 6, _bw_hardsigmoid)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """Piecewise-linear sigmoid: ``y = min(max(x + 3, 0), 6) / 6``.

    Args:
        input: any shape.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.hardsigmoid(ember.tensor([-4., 0., 4.]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    return maybe_inplace(_hardsigmoid, input, inplace, "hardsigmoid_")


def _hardswish_backward_composite(g: Tensor, x: Tensor) -> Tensor:
    # 0 up to -3, the ramp's slope below 3, else g (NaN included)
    return ember.where(x <= -3, 0.0, ember.where(x < 3, g * (x / 3 + 0.5), g))


def _bw_hardswish_backward(n: Any, gg: Tensor) -> tuple[Tensor, Tensor]:
    g, x = n.saved
    d_x = ember.where((x > -3) & (x < 3), gg * g / 3, 0.0)
    return _hardswish_backward(gg, x), d_x


_hardswish_backward = BackwardOp("hardswish_backward", "HardswishBackwardBackward0",
                                 _hardswish_backward_composite, _bw_hardswish_backward)


def _hardswish(x: Tensor) -> Tensor:
    return pointwise(x, "hardswish", "HardswishBackward0",
                     lambda a: a * (a + 3).clamp(0, 6) / 6, _hardswish_backward.of_node)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """Hard swish (Howard et al. 2019, https://arxiv.org/abs/1905.02244):
    ``y = x * min(max(x + 3, 0), 6) / 6``.

    Args:
        input: any shape.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.hardswish(ember.tensor([-4., 4.]))
    tensor([-0., 4.])
    """
    return maybe_inplace(_hardswish, input, inplace, "hardswish_")
