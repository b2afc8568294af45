"""Exponential activations: the ELU family (elu, selu, celu, with their in-place forms) and
softplus.

elu, selu and celu are one op with each function's constants,
``scale * (x if x > 0 else alpha * (exp(in_scale * x) - 1))``; softplus switches to the
identity above its threshold. Their first derivatives are torch's ``elu_backward`` and
``softplus_backward``, recorded as
:class:`~ember_layers.functional._pointwise.BackwardOp` objects, so second derivatives are
torch's formulas too.
"""

from __future__ import annotations

from typing import Any

import ember
from ember._tensor import Tensor

from ._pointwise import BackwardOp, mask_product, maybe_inplace, pointwise

__all__ = ["elu", "elu_", "selu", "selu_", "celu", "celu_", "softplus"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# -- elu, selu, celu ------------------------------------------------------------------------

def _elu_composite(a: Tensor, alpha: float, scale: float, in_scale: float) -> Tensor:
    neg = (a * in_scale).expm1() * (alpha * scale)
    return ember.where(a > 0, a * scale, neg)


def _elu_backward_composite(g: Tensor, x: Tensor, alpha: float, scale: float,
                            in_scale: float) -> Tensor:
    # the exponential branch where x <= 0, the linear one elsewhere (NaN included); the
    # select keeps exp overflowing at large x out of the result
    neg = g * ((x * in_scale).exp() * (alpha * scale * in_scale))
    return ember.where(x <= 0, neg, g * scale)


def _bw_elu_backward(n: Any, gg: Tensor) -> tuple[Tensor, Tensor]:
    g, x = n.saved
    in_scale = n.attrs[2]
    # d/dx of the exponential branch is the branch again, times in_scale; torch keeps it
    # where x < 0 by a product with the mask (0 at x == 0, at +-0.0 and at NaN)
    d_x = mask_product(x < 0, _elu_backward(gg * g * in_scale, x, *n.attrs))
    return _elu_backward(gg, x, *n.attrs), d_x


_elu_backward = BackwardOp("elu_backward", "EluBackwardBackward0", _elu_backward_composite,
                           _bw_elu_backward)


def _elu(x: Tensor, alpha: float, scale: float = 1.0, in_scale: float = 1.0) -> Tensor:
    return pointwise(x, "elu", "EluBackward0", _elu_composite, _elu_backward.of_node,
                     (alpha, scale, in_scale))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """Exponential linear unit: ``y = x if x > 0 else alpha * (exp(x) - 1)``.

    Args:
        input: any shape.
        alpha: the value negative inputs saturate to (as ``-alpha``). Default: 1.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.elu(ember.tensor([0., 1.]))
    tensor([0., 1.])
    """
    return maybe_inplace(_elu, input, inplace, "elu_", alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """In-place :func:`elu`: ``input`` is overwritten with ``x if x > 0 else alpha * (exp(x) - 1)``.

    Args:
        input: any shape; must not be a leaf that requires grad.
        alpha: the negative saturation value. Default: 1.

    Returns:
        ``input`` itself.

    >>> import ember
    >>> x = ember.tensor([-1., 2.])
    >>> ember.nn.functional.elu_(x, 2.) is x
    True
    >>> x
    tensor([-1.2642,  2.0000])
    """
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """Scaled ELU with the self-normalizing constants of Klambauer et al. (2017).

    ``y = scale * (x if x > 0 else alpha * (exp(x) - 1))`` with ``alpha ~ 1.6733`` and
    ``scale ~ 1.0507`` (https://arxiv.org/abs/1706.02515).

    Args:
        input: any shape.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.selu(ember.tensor([0.]))
    tensor([0.])
    """
    return maybe_inplace(_elu, input, inplace, "selu_", SELU_ALPHA, SELU_SCALE)


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """In-place :func:`selu`: ``input`` is overwritten with ``scale * elu(x, alpha)``.

    Args:
        input: any shape; must not be a leaf that requires grad.

    Returns:
        ``input`` itself.

    >>> import ember
    >>> x = ember.tensor([-1., 2.])
    >>> ember.nn.functional.selu_(x) is x
    True
    >>> x
    tensor([-1.1113,  2.1014])
    """
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """Continuously differentiable ELU: ``y = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        input: any shape.
        alpha: the saturation value and the scale of the negative branch. Default: 1.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.celu(ember.tensor([2.]))
    tensor([2.])
    """
    if alpha == 0:
        raise RuntimeError("[celu] ZeroDivisionError: alpha cannot be 0 for CELU")
    return maybe_inplace(_elu, input, inplace, "celu_", alpha, 1.0, 1.0 / alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """In-place :func:`celu`: ``input`` is overwritten with
    ``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        input: any shape; must not be a leaf that requires grad.
        alpha: saturation value and scale. Default: 1.

    Returns:
        ``input`` itself.

    >>> import ember
    >>> x = ember.tensor([-1., 2.])
    >>> ember.nn.functional.celu_(x) is x
    True
    >>> x
    tensor([-0.6321,  2.0000])
    """
    return celu(input, alpha, inplace=True)


# -- softplus -------------------------------------------------------------------------------

def _softplus_composite(x: Tensor, beta: float, th: float) -> Tensor:
    bx = x * beta
    soft = bx.exp().log1p() / beta
    return ember.where(bx > th, x, soft)


def _softplus_backward_composite(g: Tensor, x: Tensor, beta: float, th: float) -> Tensor:
    # g * z / (z + 1) with z = exp(beta * x), as torch computes it: NaN where z overflows
    # (beta * x still below the threshold), where the result is infinite too
    bx = x * beta
    z = bx.exp()
    return ember.where(bx > th, g, g * z / (z + 1))


def _bw_softplus_backward(n: Any, gg: Tensor) -> tuple[Tensor, Tensor]:
    g, x = n.saved
    beta, th = n.attrs
    bx = x * beta
    s = bx.sigmoid()
    # sigmoid's slope, kept by a product with the mask beta * x < threshold (strictly: at
    # the threshold itself the first derivative is the smooth one, the second is 0)
    d_x = mask_product(bx < th, gg * g * (s * (1 - s))) * beta
    return _softplus_backward(gg, x, beta, th), d_x


_softplus_backward = BackwardOp("softplus_backward", "SoftplusBackwardBackward0",
                                _softplus_backward_composite, _bw_softplus_backward)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """Smooth approximation of ReLU: ``y = log(1 + exp(beta * x)) / beta``.

    Where ``beta * x > threshold`` the result is ``x`` itself, for numerical stability.

    Args:
        input: any shape.
        beta: sharpness. Default: 1.
        threshold: above this, ``beta * x`` is returned unchanged as ``x``. Default: 20.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.softplus(ember.tensor([30.]))
    tensor([30.])
    """
    return pointwise(input, "softplus", "SoftplusBackward0", _softplus_composite,
                     _softplus_backward.of_node, (beta, threshold))
