"""``Module``: the base class of every layer.

This file holds registration (``__setattr__``, ``register_*``), traversal (``named_*``),
conversion (``to``, ``float``, ...), the forward call with its hooks, and ``repr``. Hook
registries and the backward-hook machinery are in ``_hooks.py``; the state dict in
``_state_dict.py``.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from ... import _dtype as dt
from ..._tensor import Tensor
from ...autograd.graph import RemovableHandle
from ..parameter import Buffer, Parameter
from . import _hooks
from ._hooks import (
    BackwardHook,
    _WrappedHook,
    register_module_backward_hook,
    register_module_buffer_registration_hook,
    register_module_forward_hook,
    register_module_forward_pre_hook,
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
    register_module_module_registration_hook,
    register_module_parameter_registration_hook,
)
from ._state_dict import _StateDictMixin

__all__ = [
    "Module",
    "register_module_forward_pre_hook",
    "register_module_forward_hook",
    "register_module_backward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_full_backward_hook",
    "register_module_buffer_registration_hook",
    "register_module_module_registration_hook",
    "register_module_parameter_registration_hook",
]


def typename(obj: Any) -> str:
    """The type name torch prints in its messages (``ember.FloatTensor`` for tensors)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    if module in ("", "builtins"):
        return qualname
    return f"{module}.{qualname}"


def _addindent(text: str, num_spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    return first + "\n" + "\n".join(num_spaces * " " + line for line in lines)


def _parse_to(*args: Any, **kwargs: Any) -> tuple[Any, Any, bool, Any]:
    """Split ``Module.to``'s arguments into (device, dtype, non_blocking, memory_format)."""
    from ..._device import device as Device

    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    non_blocking = bool(kwargs.pop("non_blocking", False))
    memory_format = kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got unexpected "
                        f"keyword argument '{next(iter(kwargs))}'")
    positional = list(args)
    if positional and isinstance(positional[0], Tensor):
        other = positional.pop(0)
        device, dtype = other.device, other.dtype
    elif positional and isinstance(positional[0], dt.dtype):
        dtype = positional.pop(0)
    elif positional and (positional[0] is None or isinstance(positional[0], (str, Device, int))
                         ) and not isinstance(positional[0], bool):
        device = positional.pop(0)
        if positional and (positional[0] is None or isinstance(positional[0], dt.dtype)):
            dtype = positional.pop(0)
    if positional and isinstance(positional[0], bool):
        non_blocking = positional.pop(0)
    if positional:
        raise TypeError("to() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)})")
    if device is not None:
        device = Device(device) if not isinstance(device, int) else Device("cuda", device)
    if dtype is not None and not isinstance(dtype, dt.dtype):
        dtype = dt.to_dtype(dtype)
    return device, dtype, non_blocking, memory_format


class Module(_StateDictMixin):
    """The base class of neural-network layers and models.

    A subclass registers its state in ``__init__`` by assigning attributes: a
    :class:`~ember.nn.Parameter` becomes a parameter, a Module a submodule, an
    :class:`~ember.nn.Buffer` (or ``register_buffer``) a buffer. Calling the module runs
    ``forward`` between its forward pre-hooks and forward hooks.

    >>> import ember
    >>> class Scale(ember.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = ember.nn.Parameter(ember.ones(2))
    ...     def forward(self, x):
    ...         return x * self.w
    >>> Scale()(ember.tensor([1.0, 2.0]))
    tensor([1., 2.], grad_fn=<MulBackward0>)
    """

    dump_patches: bool = False
    _version: int = 1
    training: bool
    call_super_init: bool = False
    _compiled_call_impl: Callable[..., Any] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self.call_super_init is False and kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{next(iter(kwargs))}'")
        if self.call_super_init is False and args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        setattr_ = super().__setattr__
        setattr_("training", True)
        setattr_("_parameters", {})
        setattr_("_buffers", {})
        setattr_("_non_persistent_buffers_set", set())
        setattr_("_backward_pre_hooks", OrderedDict())
        setattr_("_backward_hooks", OrderedDict())
        setattr_("_is_full_backward_hook", None)
        setattr_("_forward_hooks", OrderedDict())
        setattr_("_forward_hooks_with_kwargs", OrderedDict())
        setattr_("_forward_hooks_always_called", OrderedDict())
        setattr_("_forward_pre_hooks", OrderedDict())
        setattr_("_forward_pre_hooks_with_kwargs", OrderedDict())
        setattr_("_state_dict_hooks", OrderedDict())
        setattr_("_state_dict_pre_hooks", OrderedDict())
        setattr_("_load_state_dict_pre_hooks", OrderedDict())
        setattr_("_load_state_dict_post_hooks", OrderedDict())
        setattr_("_modules", {})
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it.

        Call the module itself rather than ``forward`` so that hooks run.
        """
        # torch raises this exact error for a module that defines no forward.
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    # ------------------------------------------------------------------ registration
    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True
                        ) -> None:
        """Add a buffer: state that is not a parameter (e.g. running statistics).

        Args:
            name: the attribute name.
            tensor: the buffer (None is allowed and skipped by ``to`` and the state dict).
            persistent: whether the buffer is part of the state dict.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.register_buffer("count", ember.zeros(1))
        >>> [n for n, _ in m.named_buffers()]
        ['count']
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {typename(name)}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        for hook in _hooks._global_buffer_registration_hooks.values():
            output = hook(self, name, tensor)
            if output is not None:
                tensor = output
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter to the module.

        Args:
            name: the attribute name.
            param: the parameter, or None (skipped by ``parameters()`` and the state dict).

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.register_parameter("w", ember.nn.Parameter(ember.zeros(2)))
        >>> [n for n, _ in m.named_parameters()]
        ['w']
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {typename(name)}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             f"parameters must be created explicitly. To express '{name}' as "
                             "a function of another Tensor, compute the value in the forward() "
                             "method.")
        for hook in _hooks._global_parameter_registration_hooks.values():
            output = hook(self, name, param)
            if output is not None:
                param = output
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module, reachable as the attribute ``name``.

        Args:
            name: the attribute name.
            module: the child (None is allowed and skipped by traversals).

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.add_module("inner", ember.nn.Module())
        >>> [n for n, _ in m.named_children()]
        ['inner']
        """
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        for hook in _hooks._global_module_registration_hooks.values():
            output = hook(self, name, module)
            if output is not None:
                module = output
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None) -> None:
        """Same as :meth:`add_module`.

        Args:
            name: the attribute name.
            module: the child module or None.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.register_module("inner", ember.nn.Module())
        """
        self.add_module(name, module)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        if "_parameters" in d and name in d["_parameters"]:
            return d["_parameters"][name]
        if "_buffers" in d and name in d["_buffers"]:
            return d["_buffers"][name]
        if "_modules" in d and name in d["_modules"]:
            return d["_modules"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        def remove_from(*containers: Any) -> None:
            for c in containers:
                if name in c:
                    if isinstance(c, dict):
                        del c[name]
                    else:
                        c.discard(name)

        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            remove_from(self.__dict__, self._buffers, self._modules,
                        self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
            return
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            remove_from(self.__dict__, self._parameters, self._buffers,
                        self._non_persistent_buffers_set)
            for hook in _hooks._global_module_registration_hooks.values():
                output = hook(self, name, value)
                if output is not None:
                    value = output
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            for hook in _hooks._global_module_registration_hooks.values():
                output = hook(self, name, value)
                if output is not None:
                    value = output
            modules[name] = value
            return
        buffers = self.__dict__.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            if isinstance(value, Buffer):
                persistent = value.persistent
            else:
                persistent = name not in self._non_persistent_buffers_set
            self.register_buffer(name, value, persistent)
            return
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            super().__delattr__(name)

    def __dir__(self) -> list[str]:
        keys = (dir(self.__class__) + list(self.__dict__) + list(self._parameters)
                + list(self._modules) + list(self._buffers))
        return sorted(k for k in keys if not k[0].isdigit())

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
                     "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                     "_state_dict_hooks", "_state_dict_pre_hooks",
                     "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks",
                     "_backward_pre_hooks", "_backward_hooks"):
            if name not in self.__dict__:
                self.__dict__[name] = OrderedDict()
        self.__dict__.setdefault("_non_persistent_buffers_set", set())
        self.__dict__.setdefault("_is_full_backward_hook", None)

    # ------------------------------------------------------------------ lookup by path
    def _get_name(self) -> str:
        return self.__class__.__name__

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` (``""`` is the module itself).

        Args:
            target: e.g. ``"net.0"``.

        Returns:
            The submodule; raises AttributeError when the path does not name a module.

        >>> import ember
        >>> m = ember.nn.Sequential(ember.nn.Sequential())
        >>> type(m.get_submodule("0")).__name__
        'Sequential'
        """
        if target == "":
            return self
        mod: Module = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Replace (or, unless ``strict``, add) the submodule at dotted path ``target``.

        Args:
            target: e.g. ``"net.0"``.
            module: the new submodule.
            strict: refuse to add a submodule that does not exist yet.

        >>> import ember
        >>> m = ember.nn.Sequential(ember.nn.Sequential())
        >>> m.set_submodule("0", ember.nn.ModuleList())
        >>> type(m[0]).__name__
        'ModuleList'
        """
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        atoms = target.split(".")
        if not isinstance(module, Module):
            raise ValueError("`" + "module" + f"` is not an nn.Module, found {type(module)}")
        parent = self if len(atoms) == 1 else self.get_submodule(".".join(atoms[:-1]))
        if strict and not hasattr(parent, atoms[-1]):
            raise AttributeError(parent._get_name() + " has no attribute `" + atoms[-1] + "`")
        if hasattr(parent, atoms[-1]):
            mod = getattr(parent, atoms[-1])
            if not isinstance(mod, Module):
                raise AttributeError("`" + atoms[-1] + "` is not an nn.Module")
        setattr(parent, atoms[-1], module)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target``, e.g. ``"net.0.weight"``.

        Args:
            target: the path.

        Returns:
            The parameter; raises AttributeError when the path names no parameter.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(1))
        >>> m.get_parameter("w") is m.w
        True
        """
        module_path, _, param_name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, param_name):
            raise AttributeError(mod._get_name() + " has no attribute `" + param_name + "`")
        param = getattr(mod, param_name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + param_name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target``.

        Args:
            target: the path.

        Returns:
            The buffer; raises AttributeError when the path names no buffer.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.register_buffer("b", ember.zeros(1))
        >>> m.get_buffer("b") is m.b
        True
        """
        module_path, _, buffer_name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, buffer_name):
            raise AttributeError(mod._get_name() + " has no attribute `" + buffer_name + "`")
        buffer = getattr(mod, buffer_name)
        if buffer_name not in mod._buffers:
            raise AttributeError("`" + buffer_name + "` is not a buffer")
        return buffer

    # ------------------------------------------------------------------ traversal
    def _named_members(self, get_members_fn: Callable[[Module], Any], prefix: str = "",
                       recurse: bool = True, remove_duplicate: bool = True
                       ) -> Iterator[tuple[str, Any]]:
        memo: set[int] = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for k, v in get_members_fn(module):
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield module_prefix + ("." if module_prefix else "") + k, v

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Iterate over the parameters (each shared one once).

        Args:
            recurse: include the parameters of all submodules (default True).

        Returns:
            An iterator of Parameters.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(3))
        >>> [tuple(p.shape) for p in m.parameters()]
        [(3,)]
        """
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Iterate over ``(dotted name, parameter)`` pairs.

        Args:
            prefix: prepended to every name.
            recurse: include submodules' parameters.
            remove_duplicate: yield a parameter shared by several modules only once.

        Returns:
            An iterator of (name, Parameter).

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(3))
        >>> [n for n, _ in m.named_parameters(prefix="top")]
        ['top.w']
        """
        yield from self._named_members(lambda module: module._parameters.items(),
                                       prefix=prefix, recurse=recurse,
                                       remove_duplicate=remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Iterate over the buffers (each shared one once).

        Args:
            recurse: include the buffers of all submodules (default True).

        Returns:
            An iterator of tensors.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.register_buffer("b", ember.zeros(2))
        >>> len(list(m.buffers()))
        1
        """
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Iterate over ``(dotted name, buffer)`` pairs.

        Args:
            prefix: prepended to every name.
            recurse: include submodules' buffers.
            remove_duplicate: yield a buffer shared by several modules only once.

        Returns:
            An iterator of (name, Tensor).

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.register_buffer("b", ember.zeros(2))
        >>> [n for n, _ in m.named_buffers()]
        ['b']
        """
        yield from self._named_members(lambda module: module._buffers.items(),
                                       prefix=prefix, recurse=recurse,
                                       remove_duplicate=remove_duplicate)

    def children(self) -> Iterator[Module]:
        """Iterate over the direct submodules (each once).

        Returns:
            An iterator of Modules.

        >>> import ember
        >>> len(list(ember.nn.Sequential(ember.nn.Module()).children()))
        1
        """
        for _, module in self.named_children():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Iterate over ``(name, submodule)`` for the direct submodules (each once).

        Returns:
            An iterator of (name, Module).

        >>> import ember
        >>> [n for n, _ in ember.nn.Sequential(ember.nn.Module()).named_children()]
        ['0']
        """
        memo: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def modules(self, remove_duplicate: bool = True) -> Iterator[Module]:
        """Iterate over this module and all its descendants.

        Args:
            remove_duplicate: yield a module reachable by several paths only once.

        Returns:
            An iterator of Modules, parents before children.

        >>> import ember
        >>> len(list(ember.nn.Sequential(ember.nn.Module()).modules()))
        2
        """
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def named_modules(self, memo: set[Any] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Iterate over ``(dotted name, module)`` for this module and its descendants.

        Args:
            memo: modules already seen (used by the recursion).
            prefix: prepended to every name; this module itself is named ``prefix``.
            remove_duplicate: yield a module reachable by several paths only once.

        Returns:
            An iterator of (name, Module), parents before children.

        >>> import ember
        >>> [n for n, _ in ember.nn.Sequential(ember.nn.Module()).named_modules()]
        ['', '0']
        """
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub_prefix, remove_duplicate)

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on this module and all
        descendants.

        Args:
            mode: True for training, False for evaluation.

        Returns:
            ``self``.

        >>> import ember
        >>> ember.nn.Module().train(False).training
        False
        """
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode; same as ``train(False)``.

        Returns:
            ``self``.

        >>> import ember
        >>> ember.nn.Module().eval().training
        False
        """
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (e.g. to freeze a part of a model).

        Args:
            requires_grad: the new flag.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(1))
        >>> m.requires_grad_(False).w.requires_grad
        False
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters.

        Args:
            set_to_none: set ``.grad`` to None (default) instead of filling it with zeros.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.ones(1))
        >>> (m.w * 2).sum().backward()
        >>> m.zero_grad()
        >>> m.w.grad is None
        True
        """
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                g.zero_()

    # ------------------------------------------------------------------ conversion
    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> Module:
        from ...autograd.grad_mode import no_grad

        if recurse:
            for module in self.children():
                module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with no_grad():
                param_applied = fn(param)
            param.data = param_applied
            grad = param.grad
            if grad is not None:
                with no_grad():
                    grad_applied = fn(grad)
                grad.data = grad_applied
        for key, buf in self._buffers.items():
            if buf is not None:
                self._buffers[key] = fn(buf)
        return self

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on this module.

        Args:
            fn: called with each module, e.g. to initialize weights.

        Returns:
            ``self``.

        >>> import ember
        >>> seen = []
        >>> _ = ember.nn.Sequential(ember.nn.Module()).apply(lambda m: seen.append(m))
        >>> len(seen)
        2
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Move and/or cast the parameters and buffers, in place.

        Accepts ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` and
        the keywords ``device``, ``dtype``, ``non_blocking``, ``memory_format``. A dtype
        applies to floating-point tensors only and must be a floating-point dtype.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(1))
        >>> m.to(ember.float64).w.dtype
        ember.float64
        """
        device, dtype, non_blocking, memory_format = _parse_to(*args, **kwargs)
        if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")

        def convert(t: Tensor) -> Tensor:
            target = dtype if t.is_floating_point() or t.is_complex() else None
            if memory_format is not None and t.dim() in (4, 5):
                return t.to(device, target, non_blocking, memory_format=memory_format)
            return t.to(device, target, non_blocking)

        return self._apply(convert)

    def to_empty(self, *, device: Any, recurse: bool = True) -> Module:
        """Move the parameters and buffers to ``device`` without copying their values.

        Args:
            device: the target device.
            recurse: also move submodules.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(2))
        >>> m.to_empty(device="cpu").w.shape
        ember.Size([2])
        """
        from ... import ops

        return self._apply(lambda t: ops.empty_like(t, device=device), recurse=recurse)

    def cpu(self) -> Module:
        """Move all parameters and buffers to the cpu.

        Returns:
            ``self``.

        >>> import ember
        >>> ember.nn.Module().cpu().training
        True
        """
        return self._apply(lambda t: t.cpu())

    def cuda(self, device: Any = None) -> Module:
        """Move all parameters and buffers to a CUDA device.

        Args:
            device: the device index or name (default: the current CUDA device).

        Returns:
            ``self``.
        """
        return self._apply(lambda t: t.cuda(device))

    def type(self, dst_type: Any) -> Module:
        """Cast all parameters and buffers to ``dst_type``.

        Args:
            dst_type: the dtype.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(1))
        >>> m.type(ember.float64).w.dtype
        ember.float64
        """
        return self._apply(lambda t: t.type(dst_type))

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32.

        Returns:
            ``self``.

        >>> import ember
        >>> ember.nn.Module().float().training
        True
        """
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(1))
        >>> m.double().w.dtype
        ember.float64
        """
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self) -> Module:
        """Cast floating-point parameters and buffers to float16.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(1))
        >>> m.half().w.dtype
        ember.float16
        """
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self) -> Module:
        """Cast floating-point parameters and buffers to bfloat16.

        Returns:
            ``self``.

        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.w = ember.nn.Parameter(ember.zeros(1))
        >>> m.bfloat16().w.dtype
        ember.bfloat16
        """
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)

    # ------------------------------------------------------------------ hooks
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
        if _hooks._GlobalState.is_full_backward_hook is True:
            full += _hooks._global_backward_hooks.values()
        if self._is_full_backward_hook is True:
            full += self._backward_hooks.values()
        if _hooks._GlobalState.is_full_backward_hook is False:
            legacy += _hooks._global_backward_hooks.values()
        if self._is_full_backward_hook is False:
            legacy += self._backward_hooks.values()
        return full, legacy

    def _get_backward_pre_hooks(self) -> list[Any]:
        return [*_hooks._global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]

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
                or self._forward_pre_hooks or _hooks._global_backward_pre_hooks
                or _hooks._global_backward_hooks or _hooks._global_forward_hooks
                or _hooks._global_forward_pre_hooks):
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
        if self._backward_pre_hooks or _hooks._global_backward_pre_hooks:
            backward_pre_hooks = self._get_backward_pre_hooks()
        if self._backward_hooks or _hooks._global_backward_hooks:
            full_backward_hooks, legacy_backward_hooks = self._get_backward_hooks()

        for hook_id, hook in (*_hooks._global_forward_pre_hooks.items(),
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

        result = forward_call(*args, **kwargs)

        for hook_id, hook in (*_hooks._global_forward_hooks.items(),
                              *self._forward_hooks.items()):
            if (hook_id in self._forward_hooks_always_called
                    or hook_id in _hooks._global_forward_hooks_always_called):
                called.add(hook_id)
            if (hook_id in self._forward_hooks_with_kwargs
                    or hook_id in _hooks._global_forward_hooks_with_kwargs):
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
        for hook_id, hook in _hooks._global_forward_hooks.items():
            if hook_id in _hooks._global_forward_hooks_always_called and hook_id not in called:
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

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call_impl(*args, **kwargs)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """Text shown inside this module's ``repr`` parentheses; subclasses override it.

        Returns:
            A string (may span several lines); empty by default.

        >>> import ember
        >>> ember.nn.Module().extra_repr()
        ''
        """
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = []
        for key, module in self._modules.items():
            child_lines.append("(" + key + "): " + _addindent(repr(module), 2))
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
