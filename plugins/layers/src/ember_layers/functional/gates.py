"""Sigmoid-shaped activations and the gates made of them: sigmoid, tanh, logsigmoid and
softsign; gelu, silu and mish, which scale ``x`` by a smooth step of ``x``; glu, which
scales one half of its input by the sigmoid of the other.

sigmoid and tanh are the core's ops and softsign a composite of core ops; the others record
their own backward. gelu's first derivative has a fused-kernel slot (``gelu_backward``);
glu's is torch's ``glu_backward``, with torch's second derivatives.
"""

from __future__ import annotations

import math
from typing import Any

import ember
from ember._tensor import Tensor
from ember.autograd.grad_mode import GRAD
from ember.autograd.graph import record

from .._util import fused, needs_grad, shape_str
from ._pointwise import BackwardOp, maybe_inplace, pointwise
from .exponential import _softplus_composite

__all__ = ["sigmoid", "tanh", "logsigmoid", "softsign", "gelu", "silu", "mish", "glu"]


# -- sigmoids -------------------------------------------------------------------------------

def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """Logistic function: ``y = 1 / (1 + exp(-x))``.

    Args:
        input: any shape.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.sigmoid(ember.tensor([0.]))
    tensor([0.5000])
    """
    return ember.sigmoid(input)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """Hyperbolic tangent: ``y = (exp(x) - exp(-x)) / (exp(x) + exp(-x))``.

    Args:
        input: any shape.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.tanh(ember.tensor([0.]))
    tensor([0.])
    """
    return ember.tanh(input)


def _logsigmoid_composite(x: Tensor) -> Tensor:
    return x.clamp_max(0) - (-x.abs()).exp().log1p()


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """``y = log(sigmoid(x))``, computed as ``min(x, 0) - log(1 + exp(-|x|))``.

    Args:
        input: any shape.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.logsigmoid(ember.tensor([0.])).exp()
    tensor([0.5000])
    """
    return pointwise(input, "logsigmoid", "LogSigmoidBackward0", _logsigmoid_composite,
                     lambda n, g: g * (-n.saved[0]).sigmoid())


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """``y = x / (1 + |x|)``.

    Args:
        input: any shape.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.softsign(ember.tensor([1., -3.]))
    tensor([ 0.5000, -0.7500])
    """
    return input / (input.abs() + 1)


# -- gelu -----------------------------------------------------------------------------------

_SQRT_2_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _gelu_composite(x: Tensor, approximate: str) -> Tensor:
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * _SQRT_2_PI
        return x * 0.5 * (inner.tanh() + 1)
    return x * 0.5 * ((x * _INV_SQRT_2).erf() + 1)


def _gelu_backward_composite(g: Tensor, x: Tensor, approximate: str) -> Tensor:
    if approximate == "tanh":
        x2 = x * x
        t = ((x + x2 * x * 0.044715) * _SQRT_2_PI).tanh()
        d_inner = (x2 * (3 * 0.044715) + 1) * _SQRT_2_PI
        return g * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * d_inner)
    cdf = ((x * _INV_SQRT_2).erf() + 1) * 0.5
    pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
    return g * (cdf + x * pdf)


def _bw_gelu(n: Any, g: Tensor) -> Tensor:
    (x,) = n.saved
    (approximate,) = n.attrs
    if GRAD.enabled:  # create_graph: stay differentiable
        return _gelu_backward_composite(g, x, approximate)
    return fused("gelu_backward", _gelu_backward_composite, (g, x), approximate)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """Gaussian error linear unit (Hendrycks & Gimpel, https://arxiv.org/abs/1606.08415).

    ``y = x * Phi(x)`` with ``Phi`` the standard normal CDF; with ``approximate="tanh"``,
    ``y = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))``.

    Args:
        input: any shape.
        approximate: ``"none"`` (exact) or ``"tanh"``. Default: ``"none"``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.gelu(ember.tensor([0.]))
    tensor([0.])
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"[gelu] approximate argument must be either none or tanh. (got "
                           f"{approximate!r})")
    return pointwise(input, "gelu", "GeluBackward0", _gelu_composite, _bw_gelu, (approximate,))


# -- silu, mish -----------------------------------------------------------------------------

def _bw_silu(n: Any, g: Tensor) -> Tensor:
    (x,) = n.saved
    s = x.sigmoid()
    return g * s * (x * (1 - s) + 1)


def _silu(x: Tensor) -> Tensor:
    return pointwise(x, "silu", "SiluBackward0", lambda a: a * a.sigmoid(), _bw_silu)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """Sigmoid linear unit (swish): ``y = x * sigmoid(x)``.

    Args:
        input: any shape.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.silu(ember.tensor([0.]))
    tensor([0.])
    """
    return maybe_inplace(_silu, input, inplace, "silu_")


def _bw_mish(n: Any, g: Tensor) -> Tensor:
    (x,) = n.saved
    t = _softplus_composite(x, 1.0, 20.0).tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


def _mish(x: Tensor) -> Tensor:
    return pointwise(x, "mish", "MishBackward0",
                     lambda a: a * _softplus_composite(a, 1.0, 20.0).tanh(), _bw_mish)


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """Mish (Misra 2019, https://arxiv.org/abs/1908.08681): ``y = x * tanh(softplus(x))``.

    Args:
        input: any shape.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.mish(ember.tensor([0.]))
    tensor([0.])
    """
    return maybe_inplace(_mish, input, inplace, "mish_")


# -- glu ------------------------------------------------------------------------------------

def _glu_composite(x: Tensor, dim: int) -> Tensor:
    a, b = x.chunk(2, dim)
    return a * b.sigmoid()


def _glu_backward_composite(g: Tensor, x: Tensor, dim: int) -> Tensor:
    a, b = x.chunk(2, dim)
    s = b.sigmoid()
    return ember.cat([s * g, (1 - s) * s * a * g], dim)


def _bw_glu_backward(n: Any, gg: Tensor) -> tuple[Tensor, Tensor]:
    # torch's second derivatives of glu, with s = sigmoid(b) and s' = s (1 - s): each
    # curvature term is one product, so an infinite a gives +-inf, not inf - inf
    g, x = n.saved
    (dim,) = n.attrs
    a, b = x.chunk(2, dim)
    gg_a, gg_b = gg.chunk(2, dim)
    s = b.sigmoid()
    one_minus_s = 1 - s
    slope = s * one_minus_s
    curvature = slope * one_minus_s - s * slope  # s''
    d_a = gg_b * g * slope
    d_b = gg_b * a * g * curvature + gg_a * g * slope
    d_g = gg_a * s + gg_b * (slope * a)
    return d_g, ember.cat([d_a, d_b], dim)


_glu_backward = BackwardOp("glu_backward", "GluBackwardBackward0", _glu_backward_composite,
                           _bw_glu_backward)


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """Gated linear unit (Dauphin et al. 2017, https://arxiv.org/abs/1612.08083).

    ``input`` is split in halves ``a, b`` along ``dim``; ``y = a * sigmoid(b)``.

    Args:
        input: any shape with an even size along ``dim``.
        dim: the dim to split. Default: -1.

    Returns:
        A tensor of ``input``'s shape with ``dim`` halved.

    >>> import ember
    >>> ember.nn.functional.glu(ember.tensor([2., 0.]))
    tensor([1.])
    """
    if input.ndim == 0:
        raise RuntimeError("[glu] glu does not support scalars because halving size must be even")
    d = dim + input.ndim if dim < 0 else dim
    if not 0 <= d < input.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.ndim}, {input.ndim - 1}], but got {dim})")
    size = input.shape[d]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {size} "
                           f"(glu, input of shape {shape_str(input)})")
    out = fused("glu", _glu_composite, (input,), d)
    if needs_grad(input):
        record("GluBackward0", _glu_backward.of_node, (input,), out, save=(input,),
               attrs=(d,))
    return out
