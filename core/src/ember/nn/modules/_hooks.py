"""Module hooks: the global hook registries and the machinery behind backward hooks.

Per-module hooks live in dicts on each module (see ``module.py``); the dicts here apply to
every module. Full backward hooks work by routing a module's tensor inputs and outputs
through an identity node (``BackwardHookFunctionBackward``) whose autograd hooks see the
gradients with respect to the module's outputs and inputs.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..._tensor import Tensor, _alias
from ...autograd.grad_mode import GRAD
from ...autograd.graph import Node, RemovableHandle, record

__all__ = [
    "register_module_forward_pre_hook",
    "register_module_forward_hook",
    "register_module_backward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_full_backward_hook",
    "register_module_buffer_registration_hook",
    "register_module_module_registration_hook",
    "register_module_parameter_registration_hook",
]

# The global registries, read by Module.__call__ and the registration methods.
_global_buffer_registration_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_module_registration_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_parameter_registration_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_backward_pre_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_backward_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_forward_pre_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_forward_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_forward_hooks_always_called: dict[int, bool] = OrderedDict()
_global_forward_hooks_with_kwargs: dict[int, bool] = OrderedDict()


class _GlobalState:
    """Whether the global backward hooks are full (True), legacy (False) or unset (None)."""

    is_full_backward_hook: bool | None = None


def _add(registry: dict[int, Callable[..., Any]], hook: Callable[..., Any],
         *extra: dict[int, Any]) -> RemovableHandle:
    handle = RemovableHandle(registry, *extra)
    registry[handle.id] = hook
    return handle


def register_module_buffer_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register a hook run whenever any module registers a buffer.

    Args:
        hook: ``hook(module, name, buffer) -> None or Tensor``; a returned tensor is
            registered instead of ``buffer``.

    Returns:
        A handle whose ``remove()`` unregisters the hook.

    >>> import ember
    >>> h = ember.nn.modules.module.register_module_buffer_registration_hook(
    ...     lambda m, n, b: None)
    >>> h.remove()
    """
    return _add(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register a hook run whenever any module registers a submodule.

    Args:
        hook: ``hook(module, name, submodule) -> None or Module``; a returned module is
            registered instead of ``submodule``.

    Returns:
        A handle whose ``remove()`` unregisters the hook.

    >>> import ember
    >>> h = ember.nn.modules.module.register_module_module_registration_hook(
    ...     lambda m, n, s: None)
    >>> h.remove()
    """
    return _add(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register a hook run whenever any module registers a parameter.

    Args:
        hook: ``hook(module, name, param) -> None or Parameter``; a returned parameter is
            registered instead of ``param``.

    Returns:
        A handle whose ``remove()`` unregisters the hook.

    >>> import ember
    >>> h = ember.nn.modules.module.register_module_parameter_registration_hook(
    ...     lambda m, n, p: None)
    >>> h.remove()
    """
    return _add(_global_parameter_registration_hooks, hook)


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register a forward pre-hook shared by every module; it runs before the module's own.

    Args:
        hook: ``hook(module, args) -> None or new args`` (a non-tuple result is wrapped in
            a one-element tuple).

    Returns:
        A handle whose ``remove()`` unregisters the hook.

    >>> import ember
    >>> h = ember.nn.modules.module.register_module_forward_pre_hook(lambda m, a: None)
    >>> h.remove()
    """
    return _add(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook: Callable[..., Any], *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """Register a forward hook shared by every module; it runs before the module's own.

    Args:
        hook: ``hook(module, args, output) -> None or new output``, or with
            ``with_kwargs=True``, ``hook(module, args, kwargs, output)``.
        with_kwargs: pass the forward's keyword arguments to the hook.
        always_call: run the hook even when ``forward`` raises.

    Returns:
        A handle whose ``remove()`` unregisters the hook.

    >>> import ember
    >>> h = ember.nn.modules.module.register_module_forward_hook(lambda m, a, o: None)
    >>> h.remove()
    """
    handle = _add(_global_forward_hooks, hook, _global_forward_hooks_always_called,
                  _global_forward_hooks_with_kwargs)
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register a legacy (non-full) backward hook on every module.

    Prefer :func:`register_module_full_backward_hook`: the legacy hook sees the
    gradients of the last autograd node of the module only.

    Args:
        hook: ``hook(module, grad_input, grad_output) -> None or new grad_input``.

    Returns:
        A handle whose ``remove()`` unregisters the hook.

    Registering it fixes the global backward hooks to the legacy kind for the rest of
    the process (as in torch), so this example only defines such a hook:

    >>> def show_grad_sizes(module, grad_input, grad_output):
    ...     return None
    >>> callable(show_grad_sizes)
    True
    """
    if _GlobalState.is_full_backward_hook is True:
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as "
                           "a global Module hook. Please use only one of them.")
    _GlobalState.is_full_backward_hook = False
    return _add(_global_backward_hooks, hook)


def register_module_full_backward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register a backward pre-hook on every module, run when the gradients with respect
    to a module's outputs are known.

    Args:
        hook: ``hook(module, grad_output) -> None or new grad_output``.

    Returns:
        A handle whose ``remove()`` unregisters the hook.

    >>> import ember
    >>> h = ember.nn.modules.module.register_module_full_backward_pre_hook(lambda m, g: None)
    >>> h.remove()
    """
    return _add(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register a backward hook on every module, run when the gradients with respect to
    a module's inputs are known.

    Args:
        hook: ``hook(module, grad_input, grad_output) -> None or new grad_input``.

    Returns:
        A handle whose ``remove()`` unregisters the hook.

    >>> import ember
    >>> h = ember.nn.modules.module.register_module_full_backward_hook(
    ...     lambda m, gi, go: None)
    >>> h.remove()
    """
    if _GlobalState.is_full_backward_hook is False:
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as "
                           "a global Module hook. Please use only one of them.")
    _GlobalState.is_full_backward_hook = True
    return _add(_global_backward_hooks, hook)


class _WrappedHook:
    """A hook that is called with its module prepended to the arguments.

    The module is held weakly, so a hook stored on a module does not keep it alive; a
    deep copy of the module re-targets the hook at the copy.
    """

    def __init__(self, hook: Callable[..., Any], module: Any = None) -> None:
        self.hook = hook
        self.with_module = module is not None
        if self.with_module:
            self.module = weakref.ref(module)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.with_module:
            module = self.module()
            if module is None:
                raise RuntimeError("You are trying to call the hook of a dead Module!")
            return self.hook(module, *args, **kwargs)
        return self.hook(*args, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        state = {"hook": self.hook, "with_module": self.with_module}
        if self.with_module:
            state["module"] = self.module()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.hook = state["hook"]
        self.with_module = state["with_module"]
        if self.with_module:
            if state["module"] is None:
                raise RuntimeError("You are trying to revive the hook of a dead Module!")
            self.module = weakref.ref(state["module"])


def _identity_backward(node: Node, *grads: Any) -> tuple[Any, ...]:
    return grads


def _hook_identity(tensors: list[Tensor]) -> tuple[tuple[Tensor, ...], Node | None]:
    """Route ``tensors`` through one identity node; returns the new tensors and the node.

    Tensors that do not require grad come back as plain aliases outside the graph.
    """
    outs = tuple(_alias(t) for t in tensors)
    inputs = tuple(t if t.requires_grad else None for t in tensors)
    graph_outs = tuple(o if t.requires_grad else None for o, t in zip(outs, tensors, strict=True))
    if all(t is None for t in inputs):
        return outs, None
    node = record("BackwardHookFunctionBackward", _identity_backward, inputs, graph_outs)
    return outs, node


class BackwardHook:
    """Runs a module's full backward hooks and backward pre-hooks for one forward call.

    ``setup_input_hook`` wraps the tensor arguments, ``setup_output_hook`` the tensor
    outputs; the identity node on the outputs sees ``grad_output`` (and runs the pre-hooks,
    which may replace it), the one on the inputs sees ``grad_input`` and runs the hooks.
    """

    def __init__(self, module: Any, user_hooks: list[Callable[..., Any]],
                 user_pre_hooks: list[Callable[..., Any]]) -> None:
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.module = module
        self.grad_outputs: tuple[Any, ...] | None = None
        self.n_outputs = -1
        self.output_tensors_index: list[int] | None = None
        self.n_inputs = -1
        self.input_tensors_index: list[int] | None = None

    @staticmethod
    def _pack_with_none(indices: list[int], values: Any, size: int) -> tuple[Any, ...]:
        res: list[Any] = [None] * size
        for idx, val in zip(indices, values, strict=False):
            res[idx] = val
        return tuple(res)

    def _set_user_hook(self, node: Node, tensors_index: list[int]) -> None:
        def hook(grad_input: tuple[Any, ...], _grad_output: Any) -> Any:
            if self.grad_outputs is None:
                # The gradient reached the inputs without passing through the outputs
                # (e.g. double backward): nothing to report.
                return None
            res = self._pack_with_none(tensors_index, grad_input, self.n_inputs)
            for user_hook in self.user_hooks:
                out = user_hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(out)}, but expected {len(res)}")
                res = tuple(out)
            self.grad_outputs = None
            return tuple(res[i] for i in tensors_index)

        node.register_hook(hook)

    def _set_output_hook(self, node: Node, tensors_index: list[int]) -> None:
        def prehook(grad_output: tuple[Any, ...]) -> Any:
            self.grad_outputs = self._pack_with_none(tensors_index, grad_output,
                                                     self.n_outputs)
            if self.user_pre_hooks:
                expected_len = len(self.grad_outputs)
                for user_pre_hook in self.user_pre_hooks:
                    new = user_pre_hook(self.module, self.grad_outputs)
                    if new is None:
                        continue
                    if len(new) != expected_len:
                        raise RuntimeError("Backward pre hook returned an invalid number of "
                                           f"grad_output, got {len(new)}, but expected "
                                           f"{expected_len}")
                    self.grad_outputs = tuple(new)
            local_grad_outputs = self.grad_outputs
            if self.input_tensors_index is None:
                # No input requires grad: the input-side node never runs, so the hooks
                # are called here with all-None grad_input.
                grad_inputs = self._pack_with_none([], [], self.n_inputs)
                for user_hook in self.user_hooks:
                    res = user_hook(self.module, grad_inputs, self.grad_outputs)
                    if res is not None and not (isinstance(res, tuple)
                                                and all(el is None for el in res)):
                        raise RuntimeError("Backward hook for Modules where no input requires "
                                           "gradient should always return None or None for "
                                           "all gradients.")
                self.grad_outputs = None
            return tuple(local_grad_outputs[i] for i in tensors_index)

        node.register_prehook(prehook)

    def _apply_on_tensors(self, args: tuple[Any, ...], on_node: Callable[..., None]
                          ) -> tuple[tuple[Any, ...], list[int] | None]:
        tensors_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in tensors_idx]
        if not (any(t.requires_grad for t in tensors) and GRAD.enabled):
            return args, None
        new_tensors, node = _hook_identity(tensors)
        assert node is not None
        on_node(node, tensors_idx)
        arg_list = list(args)
        for idx, val in zip(tensors_idx, new_tensors, strict=True):
            arg_list[idx] = val
        return tuple(arg_list), tensors_idx

    def setup_input_hook(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """Wrap the forward's positional arguments; returns the arguments to pass on."""
        res, idx = self._apply_on_tensors(args, self._set_user_hook)
        self.n_inputs = len(args)
        self.input_tensors_index = idx
        return res

    def setup_output_hook(self, result: Any) -> Any:
        """Wrap the forward's output (a tensor or a tuple); returns the output to give back."""
        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        res, idx = self._apply_on_tensors(args, self._set_output_hook)
        self.n_outputs = len(args)
        self.output_tensors_index = idx
        if is_tuple:
            return type(result)(*res) if hasattr(result, "_fields") else res
        return res[0]
