"""The autograd graph: nodes recorded as ops run, the edges between them, saved tensors.

Every differentiable op that runs while recording is on creates one :class:`Node` whose
``next_functions`` point at the nodes that produced its inputs (or at an
:class:`AccumulateGrad` for a leaf). The node keeps the tensors its backward needs and a
backward function written with ember ops, so the backward pass is itself recordable
(``create_graph=True``) and works on every backend.
"""

from __future__ import annotations

import itertools
import sys
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .anomaly_mode import ANOMALY, remember_trace
from .grad_mode import GRAD

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["Node", "AccumulateGrad", "RemovableHandle", "record", "edge_of",
           "saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]

_seq = itertools.count()
_freed_msg = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class RemovableHandle:
    """Handle returned by ``register_*hook`` calls; ``remove()`` unregisters the hook.

    Also a context manager that removes the hook on exit.
    """

    _ids = itertools.count()

    def __init__(self, hooks_dict: dict[int, Any], *extra_dicts: dict[int, Any]) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._ids)
        self.extra_dict_refs = tuple(weakref.ref(d) for d in extra_dicts)

    def remove(self) -> None:
        """Unregister the hook; calling it twice is harmless."""
        for ref in (self.hooks_dict_ref, *self.extra_dict_refs):
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class Node:
    """One recorded operation in the autograd graph (what ``tensor.grad_fn`` returns).

    Attributes:
        next_functions: one ``(node, input_nr)`` pair per input of the op, or ``None`` for
            inputs that do not require grad.
        metadata: a dict for the user's own annotations.
    """

    __slots__ = ("_fn", "next_functions", "_saved", "_versions", "attrs", "_seq", "_name",
                 "_freed", "__dict__", "__weakref__")

    #: Whether missing output gradients are passed to the backward as zeros (custom
    #: Functions can turn it off with ``ctx.set_materialize_grads(False)``).
    _materialize = True

    # State most nodes never have lives on the class: a node that gets a hook, output
    # metadata or an anomaly trace keeps its own value in its ``__dict__``, so recording a
    # node sets only the slots above.
    _pre_hooks: OrderedDict[int, Callable[..., Any]] | None = None
    _hooks: OrderedDict[int, Callable[..., Any]] | None = None
    _tensor_hooks: dict[int, OrderedDict[int, Callable[..., Any]]] | None = None
    _retain_hooks: dict[int, Callable[..., Any]] | None = None
    _out_meta: tuple[Any, ...] | None = None
    _metadata: dict[str, Any] | None = None
    _anomaly: str | None = None

    def __init__(self, name: str, fn: Callable[..., Any] | None,
                 next_functions: tuple[tuple[Node, int] | None, ...], attrs: Any = None
                 ) -> None:
        self._name = name
        self._fn = fn
        self.next_functions = next_functions
        self._saved: tuple[Any, ...] = ()
        self._versions: tuple[int, ...] = ()
        self.attrs = attrs
        self._seq = next(_seq)
        self._freed = False

    # -- inspection ------------------------------------------------------------------
    def name(self) -> str:
        """The node's class-like name, e.g. ``"MulBackward0"``."""
        return self._name

    @property
    def metadata(self) -> dict[str, Any]:
        """A dict for the user's own annotations of this node."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def __repr__(self) -> str:
        return f"<{self._name} object at {hex(id(self))}>"

    # -- saved tensors -----------------------------------------------------------------
    def save(self, *tensors: Tensor | None) -> None:
        """Keep ``tensors`` for backward, remembering their versions for in-place checks;
        under :class:`saved_tensors_hooks`, keep what the pack hook makes of each instead."""
        saved: list[Any] = []
        versions = []
        hooks = _HOOKS.stack[-1] if _HOOKS.stack else None
        for t in tensors:
            if t is None:
                saved.append(None)
                versions.append(0)
                continue
            if hooks is not None:
                # where the tensor sits in the graph, so the unpacked one can take its place
                edge = (None, t._out_nr) if t._grad_fn is self else edge_of(t)
                saved.append(_Packed(hooks, hooks.pack_hook(t), edge))
                versions.append(0)
                continue
            if t._grad_fn is self:
                # An output of this node: keep an alias without the graph edge so the node
                # and its output do not refer to each other.
                from .._tensor import _alias

                saved.append((_alias(t), t._out_nr))
            else:
                saved.append(t)
            versions.append(t._vc.v)
        self._saved = tuple(saved)
        self._versions = tuple(versions)

    @property
    def saved(self) -> tuple[Any, ...]:
        """The saved tensors, checked against in-place modification since they were saved."""
        if self._freed:
            raise RuntimeError(_freed_msg)
        out = []
        for item, version in zip(self._saved, self._versions, strict=True):
            if item is None:
                out.append(None)
                continue
            if type(item) is _Packed:
                out.append(item.unpack(self))
                continue
            t = item[0] if type(item) is tuple else item
            if t._vc.v != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [{t.type()} {list(t.shape)}], which is output "
                    f"0 of {self._name}, is at version {t._vc.v}; expected version {version} "
                    "instead. Hint: the backtrace further above shows the operation that "
                    "failed to compute its gradient. The variable in question was changed in "
                    "there or anywhere later. Good luck!")
            if type(item) is tuple:
                t = item[0]
                if GRAD.enabled:  # reattach the output to this node for double backward
                    from .._tensor import _alias

                    t = _alias(t)
                    t._grad_fn = self
                    t._out_nr = item[1]
                    t._rg = True
            out.append(t)
        return tuple(out)

    def protect_saved(self, t: Tensor) -> None:
        """Keep a private copy of any saved tensor sharing memory with ``t``.

        Called just before ``t`` is overwritten by an in-place op whose out-of-place result
        this node produced (``h.mul_(x)`` saves the old ``h``): the node needs the values
        from before the write, as torch keeps the original ``self``.
        """
        if not self._saved:
            return
        from .._tensor import wrap

        vc = t._vc
        saved = list(self._saved)
        versions = list(self._versions)
        for i, item in enumerate(saved):
            if item is None or type(item) in (tuple, _Packed) or item._vc is not vc:
                continue
            keep = wrap(item._k.copy(item._data), item._device, item._k)
            keep._rg = item._rg
            if item._grad_fn is not None:
                keep._grad_fn = item._grad_fn
                keep._out_nr = item._out_nr
            saved[i] = keep
            versions[i] = 0
        self._saved = tuple(saved)
        self._versions = tuple(versions)

    def release(self) -> None:
        """Free the saved tensors (after a backward pass without ``retain_graph``)."""
        if self._saved:
            self._saved = ()
            self._freed = True

    # -- hooks ---------------------------------------------------------------------------
    def register_hook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """Register ``fn(grad_inputs, grad_outputs)`` to run after this node's backward.

        It may return a replacement tuple of ``grad_inputs``.
        """
        if self._hooks is None:
            self._hooks = OrderedDict()
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = fn
        return handle

    def register_prehook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """Register ``fn(grad_outputs)`` to run before this node's backward.

        It may return a replacement tuple of ``grad_outputs``.
        """
        if self._pre_hooks is None:
            self._pre_hooks = OrderedDict()
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = fn
        return handle

    def _add_tensor_hook(self, out_nr: int, fn: Callable[..., Any]) -> RemovableHandle:
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        hooks = self._tensor_hooks.setdefault(out_nr, OrderedDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    # -- running -------------------------------------------------------------------------
    def apply(self, *grads: Any) -> tuple[Any, ...]:
        """Run the backward function on the output gradients; returns input gradients."""
        if self._freed:
            raise RuntimeError(_freed_msg)
        result = self._fn(self, *grads)  # type: ignore[misc]
        if type(result) is not tuple:
            result = (result,)
        return result

    def __call__(self, *grads: Any) -> Any:
        result = self.apply(*grads)
        return result[0] if len(result) == 1 else result


class AccumulateGrad(Node):
    """The node that adds incoming gradients into a leaf tensor's ``.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        super().__init__("AccumulateGrad", None, ())
        self.variable = variable
        self._seq = sys.maxsize  # as in torch: leaves run as soon as they are ready


def accumulator(t: Tensor) -> AccumulateGrad:
    """The (cached) AccumulateGrad node of leaf tensor ``t``."""
    ref = t._acc
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(t)
        t._acc = weakref.ref(node)
    return node


def edge_of(t: Tensor) -> tuple[Node, int] | None:
    """The graph edge a new node should point at for input ``t``."""
    fn = t._grad_fn
    if fn is not None:
        return (fn, t._out_nr)
    if t._rg:
        return (accumulator(t), 0)
    return None


# ----------------------------------------------------------------------------- saved-tensor hooks


class _Hooks:
    """The active :class:`saved_tensors_hooks` (innermost last) and, inside
    :func:`disable_saved_tensors_hooks`, the message to raise when one is entered."""

    def __init__(self) -> None:
        self.stack: list[saved_tensors_hooks] = []
        self.disabled: str | None = None


_HOOKS = _Hooks()


class _Packed:
    """A saved tensor in the form its pack hook gave it, with the hooks to unpack it."""

    __slots__ = ("hooks", "packed", "edge")

    def __init__(self, hooks: saved_tensors_hooks, packed: Any,
                 edge: tuple[Node | None, int] | None) -> None:
        self.hooks = hooks
        self.packed = packed
        # the saved tensor's graph edge ((None, nr): output nr of the saving node itself)
        self.edge = edge

    def unpack(self, node: Node) -> Tensor:
        from .._tensor import Tensor, _alias

        t = self.hooks.unpack_hook(self.packed)
        if not isinstance(t, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but "
                            f"got result of type {type(t).__name__}")
        if self.edge is not None and GRAD.enabled:  # double backward: the original's place
            fn, nr = self.edge
            t = _alias(t)
            t._grad_fn = node if fn is None else fn
            t._out_nr = nr
            t._rg = True
        return t


class saved_tensors_hooks:
    """Context manager: every tensor an op saves for its backward while it is active is
    handed to ``pack_hook`` and only what that returns is kept; the backward pass gets the
    tensor back from ``unpack_hook(packed)``.

    The hooks decide how saved tensors live between the forward and backward passes (kept
    elsewhere, compressed, recomputed); tensors saved this way are not checked for in-place
    changes made after saving. The innermost active pair applies.

    Args:
        pack_hook: ``pack_hook(tensor) -> anything``, called once per saved tensor.
        unpack_hook: ``unpack_hook(packed) -> Tensor``, called each time the backward pass
            reads the tensor; it must give a tensor equal to the one packed.

    >>> import ember
    >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
    >>> with ember.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda p: p):
    ...     y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4.])
    """

    def __init__(self, pack_hook: Callable[[Tensor], Any],
                 unpack_hook: Callable[[Any], Tensor]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        if _HOOKS.disabled is not None:
            raise RuntimeError(_HOOKS.disabled)
        _HOOKS.stack.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _HOOKS.stack.remove(self)


class save_on_cpu(saved_tensors_hooks):
    """Context manager: tensors saved for backward are kept as copies on the cpu and moved
    back to their device when the backward pass needs them (GPU memory for host memory).

    Args:
        pin_memory: accepted for compatibility; the copies are ordinary cpu tensors.
            Default: ``False``.
        device_type: the device type whose tensors are moved. Default: ``"cuda"``.

    >>> import ember
    >>> x = ember.ones(3, requires_grad=True)
    >>> with ember.autograd.graph.save_on_cpu():
    ...     y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 2., 2.])
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack(t: Tensor) -> tuple[Any, Tensor]:
            return t.device, t.detach().to("cpu", copy=True)

        def unpack(packed: tuple[Any, Tensor]) -> Tensor:
            dev, t = packed
            return t.to(dev)

        super().__init__(pack, unpack)
        self.pin_memory = pin_memory
        self.device_type = device_type


class disable_saved_tensors_hooks:
    """Context manager: entering :class:`saved_tensors_hooks` inside it raises
    ``RuntimeError(error_message)`` (for code that must not have its saved tensors
    repacked). Also usable as a decorator.

    Args:
        error_message: the message of the error.
    """

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message
        self._prev: list[str | None] = []

    def __enter__(self) -> None:
        self._prev.append(_HOOKS.disabled)
        _HOOKS.disabled = self.error_message

    def __exit__(self, *exc: Any) -> None:
        _HOOKS.disabled = self._prev.pop()

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        import functools

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return run


def record(name: str, fn: Callable[..., Any], inputs: tuple[Any, ...], outputs: Any,
           save: tuple[Tensor | None, ...] = (), attrs: Any = None) -> Node:
    """Attach a new node to ``outputs`` (a tensor or a tuple of tensors).

    Args:
        name: the node's name, e.g. ``"MulBackward0"``.
        fn: ``fn(node, *grad_outputs) -> grad per input`` written with ember ops.
        inputs: the op's inputs, tensors or ``None`` (non-tensor inputs must be left out).
        outputs: the output tensor, or a tuple of them for a multi-output op.
        save: tensors ``fn`` reads through ``node.saved``.
        attrs: anything else ``fn`` needs, read through ``node.attrs``.
    """
    edges: list[tuple[Node, int] | None] = []
    for t in inputs:
        if t is None:
            edges.append(None)
        elif t._grad_fn is not None:
            edges.append((t._grad_fn, t._out_nr))
        elif t._rg:
            edges.append((accumulator(t), 0))
        else:
            edges.append(None)
    node = Node(name, fn, tuple(edges), attrs)
    if type(outputs) is tuple:
        meta = []
        for i, out in enumerate(outputs):
            if out is None:
                meta.append(None)
                continue
            out._grad_fn = node
            out._out_nr = i
            out._rg = True
            meta.append(out)
        node._out_meta = tuple(None if o is None else (o.shape, o.dtype, o.device)
                               for o in meta)
    else:
        outputs._grad_fn = node
        outputs._out_nr = 0
        outputs._rg = True
    if save:
        node.save(*save)
    if ANOMALY.enabled:
        remember_trace(node)
    return node
