"""ReLUs with a slope for negative inputs: fixed (leaky_relu), random in training (rrelu)
or learned per channel (prelu), with the in-place forms of the first two."""

from __future__ import annotations

from typing import Any

import ember
from ember._tensor import Tensor
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args
from ember.autograd.graph import record
from ember.ops._base import sum_to

from .._util import fused, needs_grad
from ._pointwise import maybe_inplace, pointwise

__all__ = ["leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_"]


# -- leaky_relu -----------------------------------------------------------------------------

def _leaky(x: Tensor, slope: float) -> Tensor:
    return pointwise(x, "leaky_relu", "LeakyReluBackward0",
                     lambda a, s: ember.where(a > 0, a, a * s),
                     lambda n, g: ember.where(n.saved[0] > 0, g, g * n.attrs[0]), (slope,))


def leaky_relu(input: Tensor, negative_slope: float = 0.01,  # noqa: A002
               inplace: bool = False) -> Tensor:
    """Leaky ReLU: ``y = x if x > 0 else negative_slope * x``.

    Args:
        input: any shape.
        negative_slope: the slope for negative inputs. Default: 0.01.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.leaky_relu(ember.tensor([-100., 1.]))
    tensor([-1.,  1.])
    """
    return maybe_inplace(_leaky, input, inplace, "leaky_relu_", negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """In-place :func:`leaky_relu`: ``input`` is overwritten with
    ``x if x > 0 else negative_slope * x``.

    Args:
        input: any shape; must not be a leaf that requires grad.
        negative_slope: the slope for negative inputs. Default: 0.01.

    Returns:
        ``input`` itself.

    >>> import ember
    >>> x = ember.tensor([-1., 2.])
    >>> ember.nn.functional.leaky_relu_(x, 0.5) is x
    True
    >>> x
    tensor([-0.5000,  2.0000])
    """
    return leaky_relu(input, negative_slope, inplace=True)


# -- prelu ----------------------------------------------------------------------------------

def _prelu_composite(x: Tensor, w: Tensor) -> Tensor:
    return ember.where(x > 0, x, w * x)


def _prelu_input_grad_composite(g: Tensor, x: Tensor, w: Tensor) -> Tensor:
    # a select: an infinite or NaN slope does not reach the positive side
    return ember.where(x > 0, g, w * g)


def _prelu_weight_grad_composite(g: Tensor, x: Tensor) -> Tensor:
    # per element, before summing to the weight's shape: x * g on the negative side only
    return ember.where(x > 0, 0.0, x * g)


# torch's second derivatives of prelu test ``x >= 0`` where the first ones test ``x > 0``:
# at x == 0 they are those of the positive side.

def _bw_prelu_input_grad(n: Any, gg: Tensor) -> tuple[Tensor, None, Tensor | None]:
    g, x, w = n.saved
    d_g = ember.where(x >= 0, gg, gg * w)
    d_w = None
    if n.next_functions[2] is not None:
        d_w = sum_to(ember.where(x >= 0, 0.0, g * gg), w.shape)
    return d_g, None, d_w


def _bw_prelu_weight_grad(n: Any, gg: Tensor) -> tuple[Tensor, Tensor]:
    g, x = n.saved
    return ember.where(x >= 0, 0.0, gg * x), ember.where(x >= 0, 0.0, g * gg)


def _bw_prelu(n: Any, g: Tensor) -> tuple[Tensor, Tensor | None]:
    x, w = n.saved
    d_x = fused("prelu_input_grad", _prelu_input_grad_composite, (g, x, w))
    if needs_grad(g, x, w):
        record("PreluKernelBackwardBackward0", _bw_prelu_input_grad, (g, x, w), d_x,
               save=(g, x, w))
    if n.next_functions[1] is None:  # the weight needs no gradient
        return d_x, None
    d_w = fused("prelu_weight_grad", _prelu_weight_grad_composite, (g, x))
    if needs_grad(g, x):
        record("PreluKernelBackwardBackward1", _bw_prelu_weight_grad, (g, x), d_w,
               save=(g, x))
    return d_x, sum_to(d_w, w.shape)


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """Leaky ReLU with a learned slope per channel: ``y = x if x > 0 else a_c * x``.

    Args:
        input: ``(N, C, *)``, ``(C,)`` or any shape when ``weight`` has one element.
        weight: the slopes, shape ``(1,)`` or ``(C,)`` (``C`` is ``input``'s dim 1).

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.prelu(ember.tensor([-2., 2.]), ember.tensor([0.25]))
    tensor([-0.5000,  2.0000])
    """
    if AUTOCAST.active:
        input, weight = autocast_args("prelu", input, weight)
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    n = weight.numel()
    if n != 1 and n != channels:
        raise RuntimeError("[prelu] Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {n} and channel size = {channels}.")
    if n == 1 or input.ndim < 2:
        w = weight.reshape(())
    else:
        w = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    out = fused("prelu", _prelu_composite, (input, w))
    if needs_grad(input, w):
        record("PreluKernelBackward0", _bw_prelu, (input, w), out, save=(input, w))
    return out


# -- rrelu ----------------------------------------------------------------------------------

def _rrelu_train(x: Tensor, lower: float, upper: float) -> Tensor:
    noise = ember.empty_like(x).uniform_(lower, upper)
    # a random slope where x <= 0; elsewhere (NaN included) the slope 1, as in torch
    noise = ember.where(x <= 0, noise, 1.0)
    out = x * noise
    if needs_grad(x):
        record("RreluWithNoiseBackward0", lambda n, g: g * n.saved[0], (x,), out,
               save=(noise,))
    return out


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
          training: bool = False, inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU (Xu et al. 2015, https://arxiv.org/abs/1505.00853).

    In training, each negative element is multiplied by its own slope drawn uniformly from
    ``[lower, upper]``; in evaluation the slope is ``(lower + upper) / 2``.

    Args:
        input: any shape.
        lower: lower bound of the slope. Default: 1/8.
        upper: upper bound of the slope. Default: 1/3.
        training: draw random slopes. Default: ``False``.
        inplace: overwrite ``input``. Default: ``False``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.rrelu(ember.tensor([-3., 3.]), 0.5, 0.5)
    tensor([-1.5000,  3.0000])
    """
    if training:
        return maybe_inplace(_rrelu_train, input, inplace, "rrelu_", lower, upper)
    return maybe_inplace(_leaky, input, inplace, "rrelu_", (lower + upper) / 2)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
           training: bool = False) -> Tensor:
    """In-place :func:`rrelu`: ``input`` is overwritten with ``x if x >= 0 else a * x``.

    Args:
        input: any shape; must not be a leaf that requires grad.
        lower: lower bound of the slope ``a``. Default: 1/8.
        upper: upper bound of the slope. Default: 1/3.
        training: draw a random slope per element (else use their mean). Default: False.

    Returns:
        ``input`` itself.

    >>> import ember
    >>> x = ember.tensor([-1., 2.])
    >>> ember.nn.functional.rrelu_(x, 0.5, 0.5) is x
    True
    >>> x
    tensor([-0.5000,  2.0000])
    """
    return rrelu(input, lower, upper, training, inplace=True)
