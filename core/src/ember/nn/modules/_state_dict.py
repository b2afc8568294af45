"""The state dict of a Module: saving, loading, and the hooks around both.

``_StateDictMixin`` is a base of :class:`~ember.nn.Module`; its methods use the module's
``_parameters``, ``_buffers``, ``_modules`` and hook dicts.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Mapping
from typing import Any

from ..._tensor import Tensor
from ...autograd.graph import RemovableHandle
from ..parameter import Parameter, is_lazy
from ._hooks import _WrappedHook

__all__ = ["_IncompatibleKeys", "_StateDictMixin"]

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys the module expected but did not get, and
    the keys it got but did not expect."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class _StateDictMixin:
    """State-dict methods of Module (``state_dict``, ``load_state_dict`` and their hooks)."""

    _parameters: dict[str, Any]
    _buffers: dict[str, Any]
    _modules: dict[str, Any]
    _non_persistent_buffers_set: set[str]
    _state_dict_hooks: OrderedDict[int, Any]
    _state_dict_pre_hooks: OrderedDict[int, Any]
    _load_state_dict_pre_hooks: OrderedDict[int, Any]
    _load_state_dict_post_hooks: OrderedDict[int, Any]
    _version: int

    # ------------------------------------------------------------------ hooks
    def register_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Register a hook run before ``state_dict`` collects this module's entries.

        Args:
            hook: ``hook(module, prefix, keep_vars) -> None``.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        >>> import ember
        >>> h = ember.nn.Module().register_state_dict_pre_hook(lambda m, p, k: None)
        >>> h.remove()
        """
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Register a hook run after ``state_dict`` collected this module's entries.

        Args:
            hook: ``hook(module, state_dict, prefix, local_metadata) -> None``; it may edit
                ``state_dict`` in place but must return None.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        >>> import ember
        >>> h = ember.nn.Module().register_state_dict_post_hook(lambda m, sd, p, md: None)
        >>> h.remove()
        """
        hook._from_public_api = True  # type: ignore[attr-defined]
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def _register_state_dict_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Register a post hook that may return a replacement state dict (the older,
        private form of :meth:`register_state_dict_post_hook`)."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError("Cannot register the same function as the state dict post hook "
                               "that was previously registered via "
                               "register_state_dict_post_hook")
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def _register_load_state_dict_pre_hook(self, hook: Callable[..., Any],
                                           with_module: bool = False) -> RemovableHandle:
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = _WrappedHook(
            hook, self if with_module else None)
        return handle

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Register a hook run before this module loads its entries in ``load_state_dict``.

        Args:
            hook: ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
                unexpected_keys, error_msgs) -> None``; it may edit ``state_dict`` in place.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        >>> import ember
        >>> h = ember.nn.Module().register_load_state_dict_pre_hook(lambda *a: None)
        >>> h.remove()
        """
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Register a hook run after this module (and its children) loaded a state dict.

        Args:
            hook: ``hook(module, incompatible_keys) -> None``; it may edit the
                ``missing_keys`` / ``unexpected_keys`` lists in place.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        >>> import ember
        >>> h = ember.nn.Module().register_load_state_dict_post_hook(lambda m, k: None)
        >>> h.remove()
        """
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ extra state
    def get_extra_state(self) -> Any:
        """The extra (non-tensor) state to store under ``<prefix>_extra_state``.

        Override together with :meth:`set_extra_state`; a module that does not override
        it stores no extra state.

        Returns:
            Any picklable object.
        """
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called: only a module that overrides it stores extra state.")

    def set_extra_state(self, state: Any) -> None:
        """Restore the extra state returned by :meth:`get_extra_state`.

        Args:
            state: the stored object.
        """
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called: only a module that overrides it stores extra state.")

    def _has_extra_state(self, method: str) -> bool:
        base = getattr(_StateDictMixin, method)
        return getattr(type(self), method, base) is not base

    # ------------------------------------------------------------------ saving
    def _save_to_state_dict(self, destination: dict[str, Any], prefix: str, keep_vars: bool
                            ) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        if self._has_extra_state("get_extra_state"):
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> Any:
        """A dict of every persistent parameter and buffer, keyed by dotted name.

        Args:
            destination: a mapping to fill instead of a new OrderedDict.
            prefix: prepended to every key.
            keep_vars: keep the parameters themselves instead of detached tensors.

        Returns:
            The OrderedDict (or ``destination``), with a ``_metadata`` attribute holding
            each module's version.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(2))
        >>> list(m.state_dict())
        ['w']
        """
        if args:
            import warnings

            warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                          "the documentation of ember.nn.Module.state_dict for details.",
                          FutureWarning, stacklevel=2)
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            hook_result = hook(self, destination, prefix, local_metadata)
            if not getattr(hook, "_from_public_api", False):
                if hook_result is not None:
                    destination = hook_result
            elif hook_result is not None:
                raise RuntimeError("state_dict post-hook must return None")
        return destination

    # ------------------------------------------------------------------ loading
    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str,
                              local_metadata: dict[str, Any], strict: bool,
                              missing_keys: list[str], unexpected_keys: list[str],
                              error_msgs: list[str]) -> None:
        """Copy this module's own entries (not its children's) from ``state_dict``."""
        from ...autograd.grad_mode import no_grad

        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                 error_msgs)
        persistent = {k: v for k, v in self._buffers.items()
                      if k not in self._non_persistent_buffers_set}
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(),
                                                        persistent.items()) if v is not None}
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            input_param = state_dict[key]
            if not isinstance(input_param, Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected '
                                  "ember.Tensor or Tensor-like object from checkpoint but "
                                  f"received {type(input_param)}")
                continue
            lazy = is_lazy(param)
            if (not lazy and len(param.shape) == 0 and len(input_param.shape) == 1
                    and input_param.shape[0] == 1):
                input_param = input_param[0]
            if not lazy and input_param.shape != param.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{input_param.shape} from checkpoint, the shape in current "
                                  f"model is {param.shape}.")
                continue
            try:
                with no_grad():
                    if assign:
                        if isinstance(param, Parameter):
                            if not isinstance(input_param, Parameter):
                                input_param = Parameter(input_param,
                                                        requires_grad=param.requires_grad)
                            else:
                                input_param.requires_grad_(param.requires_grad)
                        setattr(self, name, input_param)
                    else:
                        param.copy_(input_param)
            except Exception as ex:
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions '
                                  f"in the model are {param.size()} and whose dimensions in the "
                                  f"checkpoint are {input_param.size()}, an exception occurred "
                                  f": {ex.args}.")
        extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if self._has_extra_state("set_extra_state"):
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    input_name = key[len(prefix):].split(".", 1)
                    if len(input_name) > 1:
                        if input_name[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif input_name[0] not in local_state:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy parameters and buffers from ``state_dict`` into this module and its children.

        Args:
            state_dict: a mapping as returned by :meth:`state_dict`.
            strict: raise when keys are missing or unexpected (default True).
            assign: replace the module's tensors with the dict's instead of copying values
                into them (parameters keep their ``requires_grad``).

        Returns:
            A named tuple ``(missing_keys, unexpected_keys)``. Raises RuntimeError listing
            every problem (missing or unexpected keys when ``strict``, size mismatches).

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(2))
        >>> m.load_state_dict({"w": ember.ones(2)})
        <All keys matched successfully>
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys: list[str] = []
        unexpected_keys: list[str] = []
        error_msgs: list[str] = []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        if metadata is not None:
            state_dict._metadata = metadata  # type: ignore[attr-defined]

        def load(module: Any, local_state_dict: dict[str, Any], prefix: str = "") -> None:
            local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state_dict, prefix, local_metadata, True,
                                         missing_keys, unexpected_keys, error_msgs)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state = {k: v for k, v in local_state_dict.items()
                                   if k.startswith(child_prefix)}
                    load(child, child_state, child_prefix)
            incompatible = _IncompatibleKeys(missing_keys, unexpected_keys)
            for hook in module._load_state_dict_post_hooks.values():
                out = hook(module, incompatible)
                if out is not None:
                    raise AssertionError("Hooks registered with "
                                       "``register_load_state_dict_post_hook`` are not expected "
                                       "to return new values, if incompatible_keys need to be "
                                         "modified, it should be done inplace.")

        load(self, state_dict)
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if error_msgs:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(error_msgs)))
        return _IncompatibleKeys(missing_keys, unexpected_keys)
