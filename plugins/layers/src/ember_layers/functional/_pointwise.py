"""What the pointwise activations share: running an op with its recorded backward, torch's
``*_backward`` ops as recorded ops of their own, and the in-place switch.

Every activation is a composite of ember ops (so a primitives-only backend runs it) that a
backend may replace with a fused kernel of the same name. The op records its own backward,
written with ember ops next to the forward, so gradients at kinks follow torch's
conventions and double backward works on every backend.

Piecewise gradients are selects, not products with a mask, and they test the conditions
torch's kernels test, so NaN and infinite inputs get torch's values: a comparison with NaN
is false, so the branch it guards is not taken (relu6's gradient lets ``g`` through at NaN,
elu's takes the linear branch), and an overflowing branch that is not selected never turns
into NaN. Where torch gives a first derivative an explicit derivative of its own (elu,
softplus, hardswish, prelu, glu ...), that first derivative is a :class:`BackwardOp`,
which records torch's formula, so second derivatives agree at the kinks and at infinities
too. (torch's CPU kernels differ at NaN between their SIMD main loop and their scalar tail;
ember follows the scalar form, which is also that of torch's CUDA kernels.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember._tensor import Tensor
from ember.autograd.graph import record

from .._util import check_float, fused, inplace_apply, needs_grad

__all__ = ["BackwardOp", "mask_product", "maybe_inplace", "pointwise"]


def mask_product(cond: Tensor, g: Tensor) -> Tensor:
    """``g`` times 0 or 1 where ``cond`` fails or holds.

    A product, not a select: a NaN or infinite ``g`` gives NaN where ``cond`` fails. Used
    only where torch's formula multiplies by a mask too.
    """
    return g * cond.to(g.dtype)


def pointwise(x: Tensor, name: str, node: str, composite: Callable[..., Tensor],
              backward: Callable[..., Any], args: tuple[Any, ...] = (),
              save_out: bool = False, floating: bool = True) -> Tensor:
    """Run the pointwise op ``name`` and record its backward.

    The op is the backend's fused kernel ``name`` when it has one, else
    ``composite(x, *args)``. When ``x`` needs a gradient, graph node ``node`` is recorded
    with ``backward(n, g)``, which reads ``n.saved == (x,)`` (``(out,)`` with ``save_out``)
    and ``n.attrs == args``.

    Args:
        x: the input, any shape.
        name: the op (and fused-kernel) name, also used in error messages.
        node: the graph node's name, torch's (``"ReluBackward0"``).
        composite: the op written with ember ops.
        backward: the gradient for ``x``, given the node and the incoming gradient.
        args: the op's non-tensor arguments, passed after ``x``.
        save_out: save the result instead of the input for the backward.
        floating: reject integer inputs with torch's error.

    Returns:
        The op's result, of ``x``'s shape.
    """
    if floating:
        check_float(name, x)
    out = fused(name, composite, (x,), *args)
    if needs_grad(x):
        record(node, backward, (x,), out, save=(out,) if save_out else (x,), attrs=args)
    return out


def maybe_inplace(fn: Callable[..., Tensor], x: Tensor, inplace: bool, name: str,
                  *args: Any) -> Tensor:
    """``fn(x, *args)``, written into ``x`` when ``inplace`` (``name``, the in-place op's
    name such as ``"relu_"``, goes to :func:`~ember_layers._util.inplace_apply`)."""
    if inplace:
        return inplace_apply(x, fn, name, *args)
    return fn(x, *args)


class BackwardOp:
    """An activation's first derivative as an op of its own, like torch's
    ``threshold_backward`` or ``elu_backward``.

    Calling it with the incoming gradient ``g``, the forward's saved input ``x`` and the
    op's arguments returns ``composite(g, x, *args)`` (or the backend's fused kernel
    ``name`` on arrays). Under ``create_graph`` the result is recorded as node ``node``
    whose backward is torch's formula for the derivative of its ``*_backward`` op, rather
    than autograd through the composite's selects.

    Args:
        name: the op (and fused-kernel) name.
        node: the graph node's name, torch's (``"EluBackwardBackward0"``).
        composite: ``composite(g, x, *args)``, written with ember ops.
        double_backward: ``double_backward(n, gg)`` reads ``n.saved == (g, x)`` and
            ``n.attrs == args`` and returns the gradients for ``g`` and ``x`` (``None`` for
            zero). Default: for a derivative that selects ``g`` or 0 by conditions on ``x``
            (threshold, hardtanh, shrink): the same select of ``gg`` for ``g``, nothing for
            ``x``.
    """

    def __init__(self, name: str, node: str, composite: Callable[..., Tensor],
                 double_backward: Callable[..., Any] | None = None) -> None:
        self.name = name
        self.node = node
        self.composite = composite
        if double_backward is None:
            double_backward = self._same_select
        self.double_backward = double_backward

    def __call__(self, g: Tensor, x: Tensor, *args: Any) -> Tensor:
        out = fused(self.name, self.composite, (g, x), *args)
        if needs_grad(g, x):
            record(self.node, self.double_backward, (g, x), out, save=(g, x), attrs=args)
        return out

    def of_node(self, n: Any, g: Tensor) -> Tensor:
        """The forward op's backward, for :func:`pointwise`: this op on ``g``, the node's
        saved input and its attributes."""
        return self(g, n.saved[0], *n.attrs)

    def _same_select(self, n: Any, gg: Tensor) -> tuple[Tensor, None]:
        (_, x) = n.saved
        return self(gg, x, *n.attrs), None
