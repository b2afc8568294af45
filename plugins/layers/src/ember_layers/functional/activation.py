"""Pointwise activations: their functional forms (``ember.nn.functional.relu`` ...).

Each op is a composite of ember ops (so a primitives-only backend runs it) that a backend
may replace with a fused kernel of the same name; the op records its own backward, written
with ember ops beside the forward, so gradients at kinks follow torch's conventions and
double backward works everywhere. The Modules live in :mod:`ember_layers.activation`.

Piecewise gradients are selects, not products with a mask, and test the same conditions as
torch's kernels, so NaN and infinite inputs get torch's values: where a comparison with NaN
is false the branch it guards is not taken (relu6's gradient lets ``g`` through at NaN,
elu's takes the linear branch), and an overflowing branch that is not selected never turns
into NaN. Where torch gives a first derivative an explicit derivative of its own (elu,
softplus, hardswish, prelu, glu ...), the backward is an op (:func:`_backward_op`) that
records that formula, so second derivatives agree at the kinks and at infinities too.
(torch's CPU kernels themselves differ at NaN between their SIMD main loop and their scalar
tail; ember follows the scalar form, which is also that of torch's CUDA kernels.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import ember
from ember._tensor import Tensor
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args
from ember.autograd.grad_mode import GRAD
from ember.autograd.graph import record
from ember.ops._base import sum_to

from .._util import check_float, dtype_name, fused, inplace_apply, needs_grad, shape_str

__all__ = ["threshold", "threshold_", "relu", "relu_", "relu6", "hardtanh", "hardtanh_", "elu",
           "elu_", "selu", "selu_", "celu", "celu_", "leaky_relu", "leaky_relu_", "prelu",
           "rrelu", "rrelu_", "gelu", "silu", "mish", "hardsigmoid", "hardswish", "hardshrink",
           "softshrink", "tanhshrink", "softsign", "softplus", "logsigmoid", "sigmoid", "tanh",
           "glu"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _mask(cond: Tensor, g: Tensor) -> Tensor:
    """``g`` times 0 or 1: a product, so a NaN or infinite ``g`` stays NaN where ``cond``
    fails (used only where torch multiplies by a mask too)."""
    return g * cond.to(g.dtype)


def _backward_op(name: str, node: str, composite: Callable[..., Tensor],
                 double_backward: Callable[..., Any], g: Tensor, x: Tensor,
                 args: tuple[Any, ...] = ()) -> Tensor:
    """A first derivative as an op of its own: ``composite(g, x, *args)`` (or the backend's
    fused kernel ``name`` on arrays), with ``g`` the incoming gradient and ``x`` the saved
    input.

    Under ``create_graph`` the result is recorded with ``double_backward(node, gg)``, which
    reads ``node.saved == (g, x)`` and ``node.attrs == args`` and returns the gradients for
    ``g`` and ``x`` (``None`` for zero): torch's formula for the derivative of its
    ``*_backward`` op, rather than autograd through ``composite``'s selects.
    """
    out = fused(name, composite, (g, x), *args)
    if needs_grad(g, x):
        record(node, double_backward, (g, x), out, save=(g, x), attrs=args)
    return out


def _pointwise(x: Tensor, name: str, node: str, composite: Callable[..., Tensor],
               backward: Callable[..., Any], args: tuple[Any, ...] = (),
               save_out: bool = False, floating: bool = True) -> Tensor:
    """Run pointwise op ``name`` (fused kernel or ``composite(x, *args)``) and record
    ``backward(node, g)``, which reads ``node.saved == (x,)`` (or ``(out,)`` with
    ``save_out``) and ``node.attrs == args``. ``floating`` ops reject integer inputs."""
    if floating:
        check_float(name, x)
    out = fused(name, composite, (x,), *args)
    if needs_grad(x):
        record(node, backward, (x,), out, save=(out,) if save_out else (x,), attrs=args)
    return out


def _maybe_inplace(fn: Callable[..., Tensor], x: Tensor, inplace: bool, name: str,
                   *args: Any) -> Tensor:
    if inplace:
        return inplace_apply(x, fn, name, *args)
    return fn(x, *args)


# -- threshold family --------------------------------------------------------------------

def _threshold_backward_composite(g: Tensor, x: Tensor, th: float) -> Tensor:
    # zero where x <= th, else g: a NaN input passes g through
    return ember.where(x <= th, 0.0, g)


def _bw_threshold_backward(n: Any, gg: Tensor) -> tuple[Tensor, None]:
    (_, x) = n.saved
    return _threshold_backward(gg, x, *n.attrs), None


def _threshold_backward(g: Tensor, x: Tensor, th: float) -> Tensor:
    return _backward_op("threshold_backward", "ThresholdBackwardBackward0",
                        _threshold_backward_composite, _bw_threshold_backward, g, x, (th,))


def _threshold(x: Tensor, th: float, value: float) -> Tensor:
    # replace where x <= th: NaN is kept, as in torch
    return _pointwise(x, "threshold", "ThresholdBackward0",
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
    return _maybe_inplace(_threshold, input, inplace, "threshold_", threshold, value)


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


def _relu_backward_composite(g: Tensor, out: Tensor) -> Tensor:
    # zero where the result is at most zero, else g: a NaN result passes g through
    return ember.where(out <= 0, 0.0, g)


def _bw_relu(n: Any, g: Tensor) -> Tensor:
    (out,) = n.saved
    if GRAD.enabled:  # create_graph: stay differentiable
        return _relu_backward_composite(g, out)
    return fused("relu_backward", _relu_backward_composite, (g, out))


def _relu(x: Tensor) -> Tensor:
    return _pointwise(x, "relu", "ReluBackward0", lambda a: a.clamp_min(0), _bw_relu,
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
    return _maybe_inplace(_relu, input, inplace, "relu_")


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


def _hardtanh_backward_composite(g: Tensor, x: Tensor, lo: float, hi: float) -> Tensor:
    # zero where x <= lo or x >= hi, else g: a NaN input passes g through
    return ember.where((x <= lo) | (x >= hi), 0.0, g)


def _bw_hardtanh_backward(n: Any, gg: Tensor) -> tuple[Tensor, None]:
    (_, x) = n.saved
    return _hardtanh_backward(gg, x, *n.attrs), None


def _hardtanh_backward(g: Tensor, x: Tensor, lo: float, hi: float) -> Tensor:
    return _backward_op("hardtanh_backward", "HardtanhBackwardBackward0",
                        _hardtanh_backward_composite, _bw_hardtanh_backward, g, x, (lo, hi))


def _bw_hardtanh(n: Any, g: Tensor) -> Tensor:
    return _hardtanh_backward(g, n.saved[0], *n.attrs)


def _hardtanh(x: Tensor, lo: float, hi: float) -> Tensor:
    return _pointwise(x, "hardtanh", "HardtanhBackward0",
                      lambda a, mn, mx: a.clamp(mn, mx).to(a.dtype), _bw_hardtanh, (lo, hi),
                      floating=False)


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
    return _maybe_inplace(_hardtanh, input, inplace, "hardtanh_", min_val, max_val)


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


# -- exponential linear units --------------------------------------------------------------

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
    d_x = _mask(x < 0, _elu_backward(gg * g * in_scale, x, *n.attrs))
    return _elu_backward(gg, x, *n.attrs), d_x


def _elu_backward(g: Tensor, x: Tensor, alpha: float, scale: float,
                  in_scale: float) -> Tensor:
    return _backward_op("elu_backward", "EluBackwardBackward0", _elu_backward_composite,
                        _bw_elu_backward, g, x, (alpha, scale, in_scale))


def _bw_elu(n: Any, g: Tensor) -> Tensor:
    return _elu_backward(g, n.saved[0], *n.attrs)


def _elu(x: Tensor, alpha: float, scale: float = 1.0, in_scale: float = 1.0) -> Tensor:
    return _pointwise(x, "elu", "EluBackward0", _elu_composite, _bw_elu,
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
    return _maybe_inplace(_elu, input, inplace, "elu_", alpha)


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
    return _maybe_inplace(_elu, input, inplace, "selu_", SELU_ALPHA, SELU_SCALE)


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
    return _maybe_inplace(_elu, input, inplace, "celu_", alpha, 1.0, 1.0 / alpha)


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


# -- leaky family ------------------------------------------------------------------------

def _leaky(x: Tensor, slope: float) -> Tensor:
    return _pointwise(x, "leaky_relu", "LeakyReluBackward0",
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
    return _maybe_inplace(_leaky, input, inplace, "leaky_relu_", negative_slope)


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
        return _maybe_inplace(_rrelu_train, input, inplace, "rrelu_", lower, upper)
    return _maybe_inplace(_leaky, input, inplace, "rrelu_", (lower + upper) / 2)


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


# -- smooth gates ---------------------------------------------------------------------------

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
    return _pointwise(input, "gelu", "GeluBackward0", _gelu_composite, _bw_gelu, (approximate,))


def _bw_silu(n: Any, g: Tensor) -> Tensor:
    (x,) = n.saved
    s = x.sigmoid()
    return g * s * (x * (1 - s) + 1)


def _silu(x: Tensor) -> Tensor:
    return _pointwise(x, "silu", "SiluBackward0", lambda a: a * a.sigmoid(), _bw_silu)


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
    return _maybe_inplace(_silu, input, inplace, "silu_")


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
    d_x = _mask(bx < th, gg * g * (s * (1 - s))) * beta
    return _softplus_backward(gg, x, beta, th), d_x


def _softplus_backward(g: Tensor, x: Tensor, beta: float, th: float) -> Tensor:
    return _backward_op("softplus_backward", "SoftplusBackwardBackward0",
                        _softplus_backward_composite, _bw_softplus_backward, g, x, (beta, th))


def _bw_softplus(n: Any, g: Tensor) -> Tensor:
    return _softplus_backward(g, n.saved[0], *n.attrs)


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
    return _pointwise(input, "softplus", "SoftplusBackward0", _softplus_composite,
                      _bw_softplus, (beta, threshold))


def _bw_mish(n: Any, g: Tensor) -> Tensor:
    (x,) = n.saved
    t = _softplus_composite(x, 1.0, 20.0).tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


def _mish(x: Tensor) -> Tensor:
    return _pointwise(x, "mish", "MishBackward0",
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
    return _maybe_inplace(_mish, input, inplace, "mish_")


# 1/6 rounded to float32: the constant torch's hardsigmoid gradient multiplies by, in
# float64 too
_SIXTH_F32 = 0.1666666716337204


def _bw_hardsigmoid(n: Any, g: Tensor) -> Tensor:
    (x,) = n.saved
    return ember.where((x > -3) & (x < 3), g * _SIXTH_F32, 0.0)


def _hardsigmoid(x: Tensor) -> Tensor:
    return _pointwise(x, "hardsigmoid", "HardsigmoidBackward0",
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
    return _maybe_inplace(_hardsigmoid, input, inplace, "hardsigmoid_")


def _hardswish_backward_composite(g: Tensor, x: Tensor) -> Tensor:
    # 0 up to -3, the ramp's slope below 3, else g (NaN included)
    return ember.where(x <= -3, 0.0, ember.where(x < 3, g * (x / 3 + 0.5), g))


def _bw_hardswish_backward(n: Any, gg: Tensor) -> tuple[Tensor, Tensor]:
    g, x = n.saved
    d_x = ember.where((x > -3) & (x < 3), gg * g / 3, 0.0)
    return _hardswish_backward(gg, x), d_x


def _hardswish_backward(g: Tensor, x: Tensor) -> Tensor:
    return _backward_op("hardswish_backward", "HardswishBackwardBackward0",
                        _hardswish_backward_composite, _bw_hardswish_backward, g, x)


def _bw_hardswish(n: Any, g: Tensor) -> Tensor:
    return _hardswish_backward(g, n.saved[0])


def _hardswish(x: Tensor) -> Tensor:
    return _pointwise(x, "hardswish", "HardswishBackward0",
                      lambda a: a * (a + 3).clamp(0, 6) / 6, _bw_hardswish)


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
    return _maybe_inplace(_hardswish, input, inplace, "hardswish_")


# -- shrinkage -------------------------------------------------------------------------------

def _shrink_backward_composite(g: Tensor, x: Tensor, lambd: float) -> Tensor:
    # zero inside [-lambd, lambd], else g: a NaN input passes g through
    return ember.where((x >= -lambd) & (x <= lambd), 0.0, g)


def _bw_shrink_backward(n: Any, gg: Tensor) -> tuple[Tensor, None]:
    (_, x) = n.saved
    return _shrink_backward(gg, x, *n.attrs), None


def _shrink_backward(g: Tensor, x: Tensor, lambd: float) -> Tensor:
    return _backward_op("shrink_backward", "ShrinkBackwardBackward0",
                        _shrink_backward_composite, _bw_shrink_backward, g, x, (lambd,))


def _bw_shrink(n: Any, g: Tensor) -> Tensor:
    return _shrink_backward(g, n.saved[0], *n.attrs)


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
    return _pointwise(input, "hardshrink", "HardshrinkBackward0",
                      lambda a, lam: ember.where((a >= -lam) & (a <= lam), 0.0, a),
                      _bw_shrink, (lambd,))


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
    return _pointwise(input, "softshrink", "SoftshrinkBackward0",
                      lambda a, lam: ember.where((a >= -lam) & (a <= lam), 0.0,
                                                 a - a.sign() * lam),
                      _bw_shrink, (lambd,))


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


# -- sigmoids --------------------------------------------------------------------------------

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
    return _pointwise(input, "logsigmoid", "LogSigmoidBackward0", _logsigmoid_composite,
                      lambda n, g: g * (-n.saved[0]).sigmoid())


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
        record("GluBackward0", _bw_glu, (input,), out, save=(input,), attrs=d)
    return out


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


def _bw_glu(n: Any, g: Tensor) -> Tensor:
    (x,) = n.saved
    return _backward_op("glu_backward", "GluBackwardBackward0", _glu_backward_composite,
                        _bw_glu_backward, g, x, (n.attrs,))
