"""User-defined differentiable operations: ``ember.autograd.Function``.

A subclass states its forward computation and its backward formula as static methods;
``MyFn.apply(*args)`` runs the forward with recording off and, when an input requires
grad, attaches one graph node whose backward calls ``MyFn.backward``. The context object
``ctx`` handed to both methods *is* that node (``out.grad_fn``), as in torch.

>>> import ember
>>> class Square(ember.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x * x
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved_tensors
...         return 2 * x * g
>>> x = ember.tensor([1.0, 2.0], requires_grad=True)
>>> Square.apply(x).sum().backward()
>>> x.grad
tensor([2., 4.])
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor, _alias
from .anomaly_mode import ANOMALY, remember_trace
from .grad_mode import GRAD
from .graph import Node, edge_of, record

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable",
           "InplaceFunction", "NestedIOFunction"]


class FunctionCtx:
    """The context API shared by the graph node of a custom Function (``ctx``).

    Methods are called from ``forward`` (or ``setup_context``) to tell autograd what to keep
    and how the outputs relate to the inputs; ``backward`` reads the saved state back.
    """

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep ``tensors`` (inputs, outputs or intermediates, or None) for ``backward``.

        They are read back with ``ctx.saved_tensors``, which raises if any of them was
        modified in place after being saved.
        """
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        """Keep ``tensors`` for a forward-mode rule (kept as given; ember has no jvp rules)."""
        self.saved_for_forward = tensors

    def mark_dirty(self, *args: Tensor) -> None:
        """Declare that ``forward`` modified these input tensors in place.

        Each must also be returned as an output; it then takes this node as its history.
        """
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args: Tensor) -> None:
        """Declare outputs that are not differentiable (e.g. indices).

        They do not require grad; ``backward`` still receives a gradient for each of them
        (zeros, unless ``set_materialize_grads(False)``).
        """
        self.non_differentiable = args

    def set_materialize_grads(self, value: bool) -> None:
        """Whether missing output gradients reach ``backward`` as zeros (True, the default)
        or as None (False)."""
        self.materialize_grads = bool(value)

    def mark_shared_storage(self, *pairs: Any) -> None:
        """Accepted for compatibility with old code; storage sharing needs no declaration."""


class BackwardCFunction(Node, FunctionCtx):
    """The graph node of one call of a custom Function; also its ``ctx``.

    Attributes:
        needs_input_grad: one bool per forward argument: whether it is a tensor that
            requires grad (so ``backward`` may skip the others).
        saved_tensors: the tensors given to ``save_for_backward``.
    """

    _forward_cls: type[Function]

    def __init__(self, name: str, edges: tuple[tuple[Node, int] | None, ...]) -> None:
        Node.__init__(self, name, _run_custom_backward, edges)
        self.to_save: tuple[Tensor | None, ...] = ()
        self.dirty_tensors: tuple[Tensor, ...] = ()
        self.non_differentiable: tuple[Tensor, ...] = ()
        self.materialize_grads = True
        self.needs_input_grad: tuple[bool, ...] = ()

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        """The tensors saved with ``save_for_backward`` (checked for in-place changes)."""
        return self.saved

    @property
    def _materialize(self) -> bool:  # read by the engine
        return self.materialize_grads

    def apply(self, *grads: Any) -> tuple[Any, ...]:
        """Run the Function's ``backward`` on output gradients; one gradient per input."""
        if self._freed:
            from .graph import _freed_msg

            raise RuntimeError(_freed_msg)
        return _run_custom_backward(self, *grads)


def _run_custom_backward(node: BackwardCFunction, *grads: Any) -> tuple[Any, ...]:
    cls = node._forward_cls
    backward_fn = cls.backward
    vjp_fn = cls.vjp
    if vjp_fn is not Function.vjp:
        if backward_fn is not Function.backward:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function "
                               "is not allowed. You should only implement one of them.")
        backward_fn = vjp_fn
    result = backward_fn(node, *grads)
    if type(result) is not tuple:
        result = (result,)
    n_in = len(node.next_functions)
    if len(result) != n_in:
        extra = result[n_in:]
        if len(result) < n_in or any(g is not None for g in extra):
            raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                               f"gradients (expected {n_in}, got {len(result)})")
        result = result[:n_in]
    metas = node.attrs
    out = []
    for i, (g, meta) in enumerate(zip(result, metas, strict=True)):
        if g is None or meta is None:
            if meta is None and isinstance(g, Tensor) and node.next_functions[i] is not None:
                raise RuntimeError(f"function {node.name()} returned a gradient different "
                                   f"than None at position {i + 1}, but the corresponding "
                                   "forward input was not a Variable")
            out.append(None if meta is None else g)
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"function {node.name()} returned a gradient of type "
                            f"{type(g).__name__} at position {i + 1}; expected a Tensor or "
                            "None")
        out.append(_validate_grad(node, i, g, meta))
    return tuple(out)


def _validate_grad(node: Node, i: int, g: Tensor, meta: tuple[Any, ...]) -> Tensor:
    """Bring a returned gradient to its input's shape and dtype, as torch's engine does."""
    shape, dtype = meta
    if tuple(g.shape) != shape:
        try:
            import numpy as np

            ok = np.broadcast_shapes(shape, tuple(g.shape)) == tuple(g.shape)
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index "
                               f"{i} - got {list(g.shape)} but expected shape compatible "
                               f"with {list(shape)}")
        from ..ops._base import sum_to

        g = sum_to(g, shape)
    if g.dtype is not dtype:
        g = g.to(dtype)
    return g


class _FunctionMeta(type):
    """Gives every Function subclass its own node class, named ``<Name>Backward``."""

    def __init__(cls, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> None:
        backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        cls._backward_cls = backward_cls
        super().__init__(name, bases, attrs)
        cls._signature = None  # the forward's signature, computed on the first keyword call


class Function(metaclass=_FunctionMeta):
    """Base class of custom differentiable operations.

    Subclass it and define two static methods:

    - ``forward(ctx, *args, **kwargs)``: compute the outputs (tensors, or a tuple that may
      also hold non-tensors) with any ember ops; recording is off inside. Alternatively
      define ``forward(*args)`` without ``ctx`` and a separate
      ``setup_context(ctx, inputs, output)``.
    - ``backward(ctx, *grad_outputs)``: one gradient per output in, one gradient (or None)
      per forward argument out, written with ember ops (so it is itself differentiable
      unless decorated with :func:`once_differentiable`).

    Call it with ``MyFn.apply(*args)``, never by instantiating it.
    """

    _backward_cls: type[BackwardCFunction]
    _signature: inspect.Signature | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(f"{self.__class__} should not be instantiated. Methods on autograd "
                      "functions are all static, so you should invoke them on the class "
                      "itself. Instantiating an autograd function will raise an error in a "
                      "future version of ember.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Legacy autograd function with non-static forward method is "
                           "deprecated. Please use new-style autograd function with static "
                           "forward method. (Example: https://pytorch.org/docs/stable/"
                           "autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        """Compute the outputs; override in a subclass."""
        raise RuntimeError("You must implement the forward function for custom "
                           "autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> Any:
        """Optionally override to fill ``ctx`` from ``inputs`` and ``output`` when
        ``forward`` does not take ``ctx``."""
        raise RuntimeError("setup_context is not overridden for this Function")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        """Compute the gradient of each input from the output gradients; override it."""
        raise RuntimeError("You must implement either the backward or vjp method for your "
                           "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        """Forward-mode rule; ember computes forward-mode products with double backward."""
        raise RuntimeError("You must implement the jvp function for custom autograd.Function "
                           "to use it with forward mode AD.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run the Function on ``args`` and record it for autograd when needed."""
        if kwargs or (_uses_setup_context(cls) and cls._has_defaults()):
            args, kwargs = _bind(cls, args, kwargs)
        return _apply(cls, args, kwargs)

    @classmethod
    def _has_defaults(cls) -> bool:
        sig = _signature_of(cls)
        return any(p.default is not inspect.Parameter.empty for p in sig.parameters.values())


def _uses_setup_context(cls: type[Function]) -> bool:
    return getattr(cls.setup_context, "__func__", cls.setup_context) is not \
        Function.__dict__["setup_context"].__func__


def _signature_of(cls: type[Function]) -> inspect.Signature:
    """The forward's signature without ``ctx`` (cached on the class)."""
    sig = cls.__dict__.get("_signature")
    if sig is None:
        sig = inspect.signature(cls.forward)
        params = list(sig.parameters.values())
        if not _uses_setup_context(cls):
            params = params[1:]
        sig = sig.replace(parameters=params)
        cls._signature = sig
    return sig


def _bind(cls: type[Function], args: tuple[Any, ...], kwargs: dict[str, Any]
          ) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Turn keyword arguments and defaults into positional ones (the node has one input
    slot per positional forward parameter); keyword-only parameters stay keywords."""
    sig = _signature_of(cls)
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{cls.__name__}.apply(): {exc}") from None
    bound.apply_defaults()
    return tuple(bound.args), dict(bound.kwargs)


def _apply(cls: type[Function], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    tensor_args = [a if isinstance(a, Tensor) else None for a in args]
    recording = GRAD.enabled and any(t is not None and t._rg for t in tensor_args)
    edges = tuple(edge_of(t) if t is not None and recording else None for t in tensor_args)
    ctx = cls._backward_cls(cls.__name__ + "Backward", edges)
    ctx.needs_input_grad = tuple(t is not None and t._rg for t in tensor_args)
    ctx.attrs = tuple(None if t is None else (tuple(t.shape), t.dtype) for t in tensor_args)

    setup = _uses_setup_context(cls)
    prev = GRAD.enabled
    GRAD.enabled = False
    try:
        if setup:
            outputs = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, outputs)
        else:
            outputs = cls.forward(ctx, *args, **kwargs)
    finally:
        GRAD.enabled = prev

    is_tuple = isinstance(outputs, tuple)
    outs = list(outputs) if is_tuple else [outputs]
    dirty = {id(t) for t in ctx.dirty_tensors}
    if dirty:
        returned = {id(o) for o in outs if isinstance(o, Tensor)}
        if not dirty <= returned:
            raise RuntimeError("Some elements marked as dirty during the forward method were "
                               "not returned as output. The inputs that are modified inplace "
                               "must all be outputs of the Function.")
    non_diff = {id(t) for t in ctx.non_differentiable}
    input_ids = {id(t) for t in tensor_args if t is not None}

    if not recording:
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and id(o) in input_ids and id(o) not in dirty:
                outs[i] = _alias(o)
        ctx.to_save = ()
        ctx.dirty_tensors = ()
        ctx.non_differentiable = ()
        return tuple(outs) if is_tuple else outs[0]

    metas: list[Any] = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            metas.append(None)
            continue
        through_view = False
        if id(o) in dirty:
            through_view = _take_dirty(ctx, o, i)
        elif id(o) in input_ids or o._grad_fn is not None or o._rg:
            o = _alias(o)  # an input (or a graph tensor) returned as is gets a fresh alias
            outs[i] = o
        metas.append((o.shape, o.dtype, o.device))
        differentiable = id(o) not in non_diff and o.dtype.is_floating_point
        if differentiable and not through_view:
            o._grad_fn = ctx
            o._out_nr = i
            o._rg = True
        elif id(o) not in dirty:
            o._rg = False
    ctx._out_meta = tuple(metas)
    if ctx.to_save:
        ctx.save(*ctx.to_save)
        ctx.to_save = ()
    # these hold outputs, which hold this node: drop them so no cycle outlives the step
    ctx.dirty_tensors = ()
    ctx.non_differentiable = ()
    if ANOMALY.enabled:
        remember_trace(ctx)
    return tuple(outs) if is_tuple else outs[0]


def _take_dirty(ctx: BackwardCFunction, t: Tensor, i: int) -> bool:
    """Give a tensor the Function modified in place the Function's node as history.

    Returns True when ``t`` is a view whose base took the new history (``t`` then already
    has its regenerated view history)."""
    if t._grad_fn is None and t._rg:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                           "operation.")
    t._vc.v += 1  # torch counts the Function's in-place write once more
    base = t._base
    if base is not None and (base._rg or base._grad_fn is not None):
        if base._grad_fn is None and base._rg:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        # Route the view region of the base through a fresh output of this node.
        from ..ops.shape import view_scatter_record

        res = _alias(t)
        res._grad_fn = ctx
        res._out_nr = i
        res._rg = True
        view_scatter_record(base, t, res)
        return True
    return False


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a ``backward`` that is not itself differentiable.

    The backward runs with recording off. When a higher-order gradient is requested
    (``create_graph=True``), the returned gradients carry a node that raises if anything
    tries to differentiate through them.
    """

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        prev = GRAD.enabled
        GRAD.enabled = False
        try:
            outputs = fn(ctx, *args)
        finally:
            GRAD.enabled = prev
        if not GRAD.enabled:
            return outputs
        needing = tuple(a for a in args if isinstance(a, Tensor) and a._rg)
        if not needing:
            return outputs
        is_tuple = isinstance(outputs, tuple)
        outs = list(outputs) if is_tuple else [outputs]
        fresh = tuple(_alias(o) if isinstance(o, Tensor) else None for o in outs)
        if any(o is not None for o in fresh):
            record("DelayedError", _delayed_error, needing, fresh)
        outs = [f if f is not None else o for f, o in zip(fresh, outs, strict=True)]
        return tuple(outs) if is_tuple else outs[0]

    return wrapper


def _delayed_error(node: Node, *grads: Any) -> Any:
    raise RuntimeError("trying to differentiate twice a function that was marked with "
                       "@once_differentiable")


class InplaceFunction(Function):
    """A Function that takes an ``inplace`` flag (kept for compatibility with torch)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


class NestedIOFunction(Function):
    """Kept for compatibility: legacy Functions with nested inputs are not supported by
    ember, and calling one raises the legacy-Function error."""
