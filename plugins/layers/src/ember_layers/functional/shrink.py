"""Shrinkage: hardshrink and softshrink, which zero a band around 0, and tanhshrink.

hardshrink and softshrink share their first derivative, torch's ``shrink_backward``
(``g`` outside ``[-lambd, lambd]``, 0 inside; NaN is outside).
"""

from __future__ import annotations

import ember
from ember._tensor import Tensor

from .._util import dtype_name
from ._pointwise import BackwardOp, pointwise

__all__ = ["hardshrink", "softshrink", "tanhshrink"]


def _shrink_backward_composite(g: Tensor, x: Tensor, lambd: float) -> Tensor:
    # zero inside [-lambd, lambd], else g: a NaN input passes g through
    return ember.where((x >= -lambd) & (x <= lambd), 0.0, g)


_shrink_backward = BackwardOp("shrink_backward", "ShrinkBackwardBackward0",
                              _shrink_backward_composite)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """Zero the elements within ``[-lambd, lambd]``: ``y = 0 if |x| <= lambd else x`` (NaN
    stays NaN).

    Args:
        input: any shape.
        lambd: the half-width of the zeroed band. Default: 0.5.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.hardshrink(ember.tensor([-1., 0.2, 1.]))
    tensor([-1.,  0.,  1.])
    """
    return pointwise(input, "hardshrink", "HardshrinkBackward0",
                     lambda a, lam: ember.where((a >= -lam) & (a <= lam), 0.0, a),
                     _shrink_backward.of_node, (lambd,))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """Soft thresholding: ``y = x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``,
    0 between (NaN stays NaN).

    Args:
        input: any shape.
        lambd: the shrinkage, at least 0. Default: 0.5.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.softshrink(ember.tensor([-1., 0.2, 1.]))
    tensor([-0.5000,  0.0000,  0.5000])
    """
    if lambd < 0:
        raise RuntimeError(f"[softshrink] lambda must be in range [0, inf) for input dtype "
                           f"{dtype_name(input)}, but found {lambd}")
    # 0 inside the band, else x moved towards 0 by lambd: NaN is outside, and stays NaN
    return pointwise(input, "softshrink", "SoftshrinkBackward0",
                     lambda a, lam: ember.where((a >= -lam) & (a <= lam), 0.0,
                                                 a - a.sign() * lam),
                     _shrink_backward.of_node, (lambd,))


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """``y = x - tanh(x)``.

    Args:
        input: any shape.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.tanhshrink(ember.tensor([0.]))
    tensor([0.])
    """
    return input - input.tanh()
