"""Module hooks: the global registries, per-module registration, and the hooked call.

The global dicts here apply to every module; each module keeps its own dicts (created in
``Module.__init__``). ``_HooksMixin`` (a base of Module) registers per-module hooks and
implements ``__call__``: global then per-module forward pre-hooks, the backward-hook
set-up (``_backward_hook.py``), ``forward``, then forward hooks.
"""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..._tensor import Tensor
from ...autograd.graph import RemovableHandle
from ._backward_hook import BackwardHook

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


class _HooksMixin:
    """Per-module hook registration and the hooked forward call of Module."""

    _forward_pre_hooks: OrderedDict[int, Any]
    _forward_pre_hooks_with_kwargs: OrderedDict[int, bool]
    _forward_hooks: OrderedDict[int, Any]
    _forward_hooks_with_kwargs: OrderedDict[int, bool]
    _forward_hooks_always_called: OrderedDict[int, bool]
    _backward_pre_hooks: OrderedDict[int, Any]
    _backward_hooks: OrderedDict[int, Any]
    _is_full_backward_hook: bool | None
    forward: Callable[..., Any]

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Register a hook run before every ``forward`` call.

        Args:
            hook: ``hook(module, args) -> None or new args`` (a non-tuple result is wrapped
                in a tuple); with ``with_kwargs``, ``hook(module, args, kwargs) -> None or
                (new_args, new_kwargs)``.
            prepend: run before the hooks already registered.
            with_kwargs: pass the keyword arguments too.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        >>> import ember
        >>> h = ember.nn.Module().register_forward_pre_hook(lambda m, a: None)
        >>> h.remove()
        """
        handle = RemovableHandle(self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False, always_call: bool = False
                              ) -> RemovableHandle:
        """Register a hook run after every ``forward`` call.

        Args:
            hook: ``hook(module, args, output) -> None or new output``; with
                ``with_kwargs``, ``hook(module, args, kwargs, output)``.
            prepend: run before the hooks already registered.
            with_kwargs: pass the keyword arguments too.
            always_call: run the hook even when ``forward`` raises.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        >>> import ember
        >>> h = ember.nn.Module().register_forward_hook(lambda m, a, o: None)
        >>> h.remove()
        """
        handle = RemovableHandle(self._forward_hooks, self._forward_hooks_with_kwargs,
                                 self._forward_hooks_always_called)
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook: Callable[..., Any], prepend: bool = False
                                        ) -> RemovableHandle:
        """Register a hook run when the gradients with respect to the module's outputs are
        computed.

        Args:
            hook: ``hook(module, grad_output) -> None or new grad_output`` (a tuple with one
                entry per output, None for non-tensor outputs).
            prepend: run before the hooks already registered.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        >>> import ember
        >>> h = ember.nn.Module().register_full_backward_pre_hook(lambda m, g: None)
        >>> h.remove()
        """
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Register a legacy backward hook on the last autograd node of the forward.

        Prefer :meth:`register_full_backward_hook`, which sees the gradients with respect
        to the module's actual inputs and outputs.

        Args:
            hook: ``hook(module, grad_input, grad_output) -> None or new grad_input``.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        if self._is_full_backward_hook is True:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self._is_full_backward_hook = False
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False
                                    ) -> RemovableHandle:
        """Register a hook run when the gradients with respect to the module's inputs are
        computed.

        Args:
            hook: ``hook(module, grad_input, grad_output) -> None or new grad_input``; both
                are tuples with one entry per positional input / output (None where no
                gradient flows).
            prepend: run before the hooks already registered.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        >>> import ember
        >>> h = ember.nn.Module().register_full_backward_hook(lambda m, gi, go: None)
        >>> h.remove()
        """
        if self._is_full_backward_hook is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self._is_full_backward_hook = True
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def _get_backward_hooks(self) -> tuple[list[Any], list[Any]]:
        full: list[Any] = []
        legacy: list[Any] = []
        if _GlobalState.is_full_backward_hook is True:
            full += _global_backward_hooks.values()
        if self._is_full_backward_hook is True:
            full += self._backward_hooks.values()
        if _GlobalState.is_full_backward_hook is False:
            legacy += _global_backward_hooks.values()
        if self._is_full_backward_hook is False:
            legacy += self._backward_hooks.values()
        return full, legacy

    def _get_backward_pre_hooks(self) -> list[Any]:
        return [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]

    def _maybe_warn_non_full_backward_hook(self, inputs: Any, result: Any, grad_fn: Any
                                           ) -> None:
        if not isinstance(result, Tensor):
            if not (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result)):
                warnings.warn("Using non-full backward hooks on a Module that does not return a "
                              "single Tensor or a tuple of Tensors is deprecated and will be "
                              "removed in future versions. This hook will be missing some of "
                              "the grad_output. Please use register_full_backward_hook to get "
                              "the documented behavior.", FutureWarning, stacklevel=3)
                return
        else:
            result = (result,)
        if not isinstance(inputs, Tensor):
            if not (isinstance(inputs, tuple) and all(isinstance(i, Tensor) for i in inputs)):
                warnings.warn("Using non-full backward hooks on a Module that does not take as "
                              "input a single Tensor or a tuple of Tensors is deprecated and "
                              "will be removed in future versions. This hook will be missing "
                              "some of the grad_input. Please use register_full_backward_hook "
                              "to get the documented behavior.", FutureWarning, stacklevel=3)
                return
        else:
            inputs = (inputs,)
        out_grad_fn = {id(r.grad_fn) for r in result if r.grad_fn is not None}
        if len(out_grad_fn) == 0 or (len(out_grad_fn) == 1 and id(grad_fn) not in out_grad_fn):
            warnings.warn("Using a non-full backward hook when outputs are nested in python data "
                          "structure is deprecated and will be removed in future versions. This "
                          "hook will be missing some grad_output.", FutureWarning, stacklevel=3)
        elif len(out_grad_fn) > 1:
            warnings.warn("Using a non-full backward hook when outputs are generated by different "
                          "autograd Nodes is deprecated and will be removed in future versions. "
                          "This hook will be missing some grad_output. Please use "
                          "register_full_backward_hook to get the documented behavior.",
                          FutureWarning, stacklevel=3)
        else:
            inputs_grad_fn = {id(i.grad_fn) for i in inputs if i.grad_fn is not None}
            next_functions = {id(e[0]) if e is not None else id(None)
                              for e in grad_fn.next_functions}
            if inputs_grad_fn != next_functions:
                warnings.warn("Using a non-full backward hook when the forward contains multiple "
                              "autograd Nodes is deprecated and will be removed in future "
                              "versions. This hook will be missing some grad_input. Please use "
                              "register_full_backward_hook to get the documented behavior.",
                              FutureWarning, stacklevel=3)

    # ------------------------------------------------------------------ calling
    def _call_impl(self, *args: Any, **kwargs: Any) -> Any:
        forward_call = self.forward
        if not (self._backward_hooks or self._backward_pre_hooks or self._forward_hooks
                or self._forward_pre_hooks or _global_backward_pre_hooks
                or _global_backward_hooks or _global_forward_hooks
                or _global_forward_pre_hooks):
            return forward_call(*args, **kwargs)

        # ``call`` carries the (possibly hook-modified) arguments and the ids of the
        # always-call forward hooks already run, for the error path below.
        call: dict[str, Any] = {"args": args, "kwargs": kwargs, "called": set()}
        try:
            return self._call_with_hooks(forward_call, call)
        except Exception:
            self._run_always_called_hooks(call)
            raise

    def _call_with_hooks(self, forward_call: Callable[..., Any], call: dict[str, Any]) -> Any:
        args, kwargs, called = call["args"], call["kwargs"], call["called"]
        full_backward_hooks: list[Any] = []
        legacy_backward_hooks: list[Any] = []
        backward_pre_hooks: list[Any] = []
        if self._backward_pre_hooks or _global_backward_pre_hooks:
            backward_pre_hooks = self._get_backward_pre_hooks()
        if self._backward_hooks or _global_backward_hooks:
            full_backward_hooks, legacy_backward_hooks = self._get_backward_hooks()

        for hook_id, hook in (*_global_forward_pre_hooks.items(),
                              *self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {result}.")
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
            call["args"], call["kwargs"] = args, kwargs

        bw_hook = None
        if full_backward_hooks or backward_pre_hooks:
            bw_hook = BackwardHook(self, full_backward_hooks, backward_pre_hooks)
            args = bw_hook.setup_input_hook(args)
            call["args"] = args

        result = forward_call(*args, **kwargs)

        for hook_id, hook in (*_global_forward_hooks.items(),
                              *self._forward_hooks.items()):
            if (hook_id in self._forward_hooks_always_called
                    or hook_id in _global_forward_hooks_always_called):
                called.add(hook_id)
            if (hook_id in self._forward_hooks_with_kwargs
                    or hook_id in _global_forward_hooks_with_kwargs):
                hook_result = hook(self, args, kwargs, result)
            else:
                hook_result = hook(self, args, result)
            if hook_result is not None:
                result = hook_result

        if bw_hook is not None:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a "
                              f"Tensor or a tuple of Tensors but received {type(result)}",
                              stacklevel=3)
            result = bw_hook.setup_output_hook(result)

        if legacy_backward_hooks:
            var = result
            while not isinstance(var, Tensor):
                if isinstance(var, dict):
                    var = next(v for v in var.values() if isinstance(v, Tensor))
                else:
                    var = var[0]
            grad_fn = var.grad_fn
            if grad_fn is not None:
                for hook in legacy_backward_hooks:
                    grad_fn.register_hook(_WrappedHook(hook, self))
                self._maybe_warn_non_full_backward_hook(args, result, grad_fn)
        return result

    def _run_always_called_hooks(self, call: dict[str, Any]) -> None:
        args, kwargs, called = call["args"], call["kwargs"], call["called"]
        for hook_id, hook in _global_forward_hooks.items():
            if hook_id in _global_forward_hooks_always_called and hook_id not in called:
                try:
                    hook(self, args, None)
                except Exception as e:
                    warnings.warn("global module forward hook with ``always_call=True`` raised "
                                  "an exception that was silenced as another error was raised "
                                  f"in forward: {e}", stacklevel=3)
        for hook_id, hook in self._forward_hooks.items():
            if hook_id in self._forward_hooks_always_called and hook_id not in called:
                try:
                    if hook_id in self._forward_hooks_with_kwargs:
                        hook(self, args, kwargs, None)
                    else:
                        hook(self, args, None)
                except Exception as e:
                    warnings.warn("module forward hook with ``always_call=True`` raised an "
                                  "exception that was silenced as another error was raised in "
                                  f"forward: {e}", stacklevel=3)

    # ``module(...)`` runs the hooked call; the alias keeps torch's internal name.
    __call__ = _call_impl
    _wrapped_call_impl = _call_impl

