"""``LazyModuleMixin``: modules whose parameter shapes are inferred from the first input.

A lazy module creates :class:`~ember.nn.UninitializedParameter` (or
:class:`~ember.nn.UninitializedBuffer`) objects in ``__init__``. Before its first forward
a pre-hook calls ``initialize_parameters(*args, **kwargs)``, which materializes them from
the input's shape; then the hooks are removed and, if ``cls_to_become`` is set, the module
turns into that (non-lazy) class. Loading a state dict into a lazy module materializes
the parameters from the saved shapes.
"""

from __future__ import annotations

import itertools
from typing import Any

from ...autograd.grad_mode import no_grad
from ..parameter import is_lazy

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    """Mixin (placed before the Module base) for modules with lazily shaped parameters.

    A subclass creates uninitialized parameters in ``__init__`` and implements
    ``initialize_parameters(*args, **kwargs)`` to materialize them from the forward's
    arguments.

    Attributes:
        cls_to_become: the class the module turns into once initialized (None keeps it).

    >>> import ember
    >>> class LazyScale(ember.nn.modules.lazy.LazyModuleMixin, ember.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = ember.nn.UninitializedParameter()
    ...     def initialize_parameters(self, x):
    ...         if self.has_uninitialized_params():
    ...             with ember.no_grad():
    ...                 self.w.materialize(x.shape[-1:])
    ...                 self.w.fill_(2.0)
    ...     def forward(self, x):
    ...         return x * self.w
    >>> m = LazyScale()
    >>> m(ember.ones(3)).shape, m.has_uninitialized_params()
    (ember.Size([3]), False)
    """

    cls_to_become: type[Any] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self._load_hook = self._register_load_state_dict_pre_hook(  # type: ignore[attr-defined]
            self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(  # type: ignore[attr-defined]
            self._infer_parameters, with_kwargs=True)

    def _save_to_state_dict(self, destination: dict[str, Any], prefix: str, keep_vars: bool
                            ) -> None:
        # Uninitialized tensors are stored as they are (they cannot be detached).
        for name, param in self._parameters.items():  # type: ignore[attr-defined]
            if param is not None:
                if not (is_lazy(param) or keep_vars):
                    param = param.detach()
                destination[prefix + name] = param
        for name, buf in self._buffers.items():  # type: ignore[attr-defined]
            if buf is not None and name not in self._non_persistent_buffers_set:  # type: ignore[attr-defined]
                if not (is_lazy(buf) or keep_vars):
                    buf = buf.detach()
                destination[prefix + name] = buf

    def _lazy_load_hook(self, state_dict: dict[str, Any], prefix: str,
                        local_metadata: dict[str, Any], strict: bool, missing_keys: list[str],
                        unexpected_keys: list[str], error_msgs: list[str]) -> None:
        """Materialize uninitialized tensors to the shapes found in ``state_dict``."""
        for name, param in itertools.chain(self._parameters.items(),  # type: ignore[attr-defined]
                                           self._buffers.items()):  # type: ignore[attr-defined]
            key = prefix + name
            if key in state_dict and param is not None:
                input_param = state_dict[key]
                if is_lazy(param) and not is_lazy(input_param):
                    with no_grad():
                        param.materialize(input_param.shape)

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        """Materialize the uninitialized parameters from the forward's arguments; every
        lazy module implements it.

        Args:
            *args: the positional arguments of the first forward call.
            **kwargs: its keyword arguments.
        """
        # torch raises this error for a lazy module that does not implement the method.
        raise NotImplementedError("initialize_parameters is not implemented for "
                                  f"{self.__class__.__name__}")

    def has_uninitialized_params(self) -> bool:
        """Whether any of this module's own parameters or buffers is still uninitialized.

        Returns:
            True until every one is materialized.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> ember.nn.modules.lazy.LazyModuleMixin.has_uninitialized_params(m)
        False
        """
        for t in itertools.chain(self._parameters.values(),  # type: ignore[attr-defined]
                                 self._buffers.values()):  # type: ignore[attr-defined]
            if is_lazy(t):
                return True
        return False

    def _infer_parameters(self, module: Any, args: tuple[Any, ...],
                          kwargs: dict[str, Any] | None = None) -> None:
        """The forward pre-hook: initialize, check, remove the hooks, change class."""
        kwargs = kwargs if kwargs else {}
        module.initialize_parameters(*args, **kwargs)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")  # type: ignore[attr-defined]
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self) -> Any:
        raise RuntimeError("Modules with uninitialized parameters can't be used with "
                           "`DataParallel`. Run a dummy forward pass to correctly initialize "
                           "the modules")
