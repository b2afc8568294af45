"""The :class:`Optimizer` base class: parameter groups, per-parameter state, hooks and
state dicts, with torch's behaviour and error messages.

A subclass passes its hyper-parameter ``defaults`` to ``Optimizer.__init__`` and
implements ``step``; ``self.param_groups`` (a list of dicts, each with a ``"params"``
list) and ``self.state`` (a ``defaultdict(dict)`` keyed by parameter) are its working
data, exactly as in torch.
"""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any, TypeVar

import ember
from ember import Tensor
from ember.autograd.graph import RemovableHandle

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]

_T = TypeVar("_T")

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]

#: Device types on which ``capturable=True`` is allowed (torch's list).
_CAPTURABLE_DEVICES = ["cuda", "xpu", "hpu", "privateuseone", "xla"]
#: Device types with fused optimizer kernels in torch (torch's list, for the message).
_FUSED_DEVICES = ["mps", "cuda", "xpu", "hpu", "cpu", "mtia", "privateuseone"]


class _RequiredParameter:
    """Marks a hyper-parameter every parameter group must set (``lr`` of plain SGD)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_optimizer_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
_global_optimizer_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` to run before every optimizer's step.

    The hook may return ``(new_args, new_kwargs)`` to replace the step's arguments.

    Returns:
        a handle whose ``remove()`` unregisters the hook.
    """
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` to run after every optimizer's step.

    Returns:
        a handle whose ``remove()`` unregisters the hook.
    """
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


# -- helpers shared by the optimizers ---------------------------------------------------------

def _get_scalar_dtype(is_fused: bool | None = None) -> Any:
    """The dtype of the ``step`` counters: float64 under a float64 default, else float32."""
    if is_fused:
        return ember.float32
    return ember.float64 if ember.get_default_dtype() == ember.float64 else ember.float32


def _get_value(x: Any) -> Any:
    """A Python number from a 0-dim tensor (other values pass through)."""
    return x.item() if isinstance(x, Tensor) else x


def _to_scalar(x: Any) -> Any:
    """A one-element tensor hyper-parameter as a 0-dim tensor; numbers pass through."""
    if isinstance(x, Tensor) and x.dim() != 0:
        return x.squeeze()
    return x


def _scalar(x: Any) -> Any:
    """A hyper-parameter as a Python float for ``alpha=``/``value=`` arguments."""
    return float(x.item()) if isinstance(x, Tensor) else x


def _check_lr(lr: Any) -> None:
    """torch's checks of ``lr``: a one-element tensor or a number, not negative."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_non_negative(**values: Any) -> None:
    """torch's ``Invalid <name> value: <value>`` checks of hyper-parameters that must not be
    negative, made in the order given (``eps`` is named ``epsilon`` in the message)."""
    for name, value in values.items():
        if not 0.0 <= value:
            label = "epsilon" if name == "eps" else name
            raise ValueError(f"Invalid {label} value: {value}")


def _check_betas(betas: tuple[Any, Any]) -> None:
    """torch's checks of Adam-style ``betas``: each in [0, 1)."""
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _check_adam_args(lr: Any, eps: float, betas: tuple[Any, Any], weight_decay: float
                     ) -> None:
    """The checks Adam, Adamax, NAdam and RAdam share, in torch's order: ``lr``, ``eps``,
    ``betas``, ``weight_decay``."""
    _check_lr(lr)
    _check_non_negative(eps=eps)
    _check_betas(betas)
    _check_non_negative(weight_decay=weight_decay)


def _check_capturable(param: Tensor, step: Tensor, what: str = "params and state_steps"
                      ) -> None:
    """``capturable=True`` needs graph-capturable devices (torch raises on cpu)."""
    if not (param.device.type == step.device.type
            and param.device.type in _CAPTURABLE_DEVICES):
        raise AssertionError(f"If capturable=True, {what} must be on supported devices: "
                             f"{_CAPTURABLE_DEVICES}.")


def _device_dtype_check_for_fused(p: Tensor) -> None:
    """``fused=True`` needs floating-point parameters."""
    if not p.is_floating_point():
        raise RuntimeError("`fused=True` requires all the params to be floating point "
                           f"Tensors of supported devices: {_FUSED_DEVICES} but {p.dtype} "
                           f"and {p.device.type}")


def _check_fused_flags(fused: Any, foreach: Any, differentiable: bool) -> None:
    """torch's constraints between ``fused``, ``foreach`` and ``differentiable``."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _zero_state(p: Tensor) -> Tensor:
    """A zero buffer shaped and typed like parameter ``p``."""
    return ember.zeros_like(p, memory_format=ember.preserve_format)


def _new_step(group: dict[str, Any], p: Tensor, value: float = 0.0) -> Tensor:
    """A fresh 0-dim ``step`` counter as torch makes it (on the parameter's device when
    ``capturable`` or ``fused``, else on the cpu)."""
    on_device = group.get("capturable", False) or group.get("fused", False)
    dtype = _get_scalar_dtype(is_fused=group.get("fused"))
    return ember.tensor(value, dtype=dtype, device=p.device if on_device else "cpu")


def _closure_loss(closure: Callable[[], Any] | None) -> Any:
    """The loss ``closure`` returns, evaluated with gradients on; None without a closure."""
    if closure is None:
        return None
    with ember.enable_grad():
        return closure()


def _set_group_defaults(optimizer: Optimizer, **defaults: Any) -> None:
    """Give every parameter group the options it lacks (states saved by older versions)."""
    for group in optimizer.param_groups:
        for key, value in defaults.items():
            group.setdefault(key, value)


def _state_list(states: list[dict[str, Any]], key: str) -> list[Tensor]:
    """Buffer ``key`` of each state, in order: one list argument of a functional update."""
    return [state[key] for state in states]


def _use_grad_for_differentiable(func: Callable[..., _T]) -> Callable[..., _T]:
    """Run ``step`` with gradients recorded only when the optimizer is ``differentiable``."""

    @functools.wraps(func)
    def _use_grad(self: Optimizer, *args: Any, **kwargs: Any) -> _T:
        with ember.set_grad_enabled(bool(self.defaults.get("differentiable", False))):
            return func(self, *args, **kwargs)

    return _use_grad


# The step of the optimizers that have a functional form (Adam, RMSprop, ...). Such a class
# sets ``step = _functional_step`` and defines two methods: ``_init_state(group, p, state)``
# fills the empty state of a parameter before its first step, and
# ``_update(group, params, grads, states)`` reads its buffer lists from the states with
# ``_state_list`` and calls the functional form (``adam(...)``), which holds the formula.

@_use_grad_for_differentiable
def _functional_step(self, closure: Callable[[], Any] | None = None) -> Any:
    """Perform one optimization step.

    Args:
        closure: re-evaluates the model and returns the loss (optional).

    Returns:
        the closure's loss, or None without a closure.
    """
    loss = _closure_loss(closure)
    for group in self.param_groups:
        # the parameters that have a gradient, their gradients and states, in one order
        params: list[Tensor] = []
        grads: list[Tensor] = []
        states: list[dict[str, Any]] = []
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            state = self.state[p]
            if not state:
                self._init_state(group, p, state)
            params.append(p)
            grads.append(grad)
            states.append(state)
        self._update(group, params, grads, states)
    return loss


# -- the base class ----------------------------------------------------------------------------

class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts each
            holding ``"params"`` and per-group hyper-parameters (parameter groups).
        defaults: the hyper-parameters a group gets when it does not set them.

    A subclass implements :meth:`step`; it reads hyper-parameters from
    ``self.param_groups`` and keeps its per-parameter buffers in ``self.state[p]``.

    >>> import ember
    >>> w = ember.nn.Parameter(ember.ones(2))
    >>> opt = ember.optim.SGD([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> _ = opt.step()
    >>> w
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict[int, Callable[..., Any]] = (
            OrderedDict())
        self._optimizer_state_dict_post_hooks: OrderedDict[int, Callable[..., Any]] = (
            OrderedDict())
        self._optimizer_load_state_dict_pre_hooks: OrderedDict[int, Callable[..., Any]] = (
            OrderedDict())
        self._optimizer_load_state_dict_post_hooks: OrderedDict[int, Callable[..., Any]] = (
            OrderedDict())
        self._patch_step_function()

        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state: defaultdict[Any, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # -- pickling and repr -------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += "\n"
            text += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        text += ")"
        return text

    # -- step and its hooks ------------------------------------------------------------------
    @staticmethod
    def profile_hook_step(func: Callable[..., _T]) -> Callable[..., _T]:
        """Wrap a ``step`` method so the global and per-optimizer step hooks run around it."""

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> _T:
            self = args[0]
            for pre_hook in chain(_global_optimizer_pre_hooks.values(),
                                  self._optimizer_step_pre_hooks.values()):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(f"{func} must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {result}.")
            out = func(*args, **kwargs)
            for post_hook in chain(self._optimizer_step_post_hooks.values(),
                                   _global_optimizer_post_hooks.values()):
                post_hook(self, args, kwargs)
            return out

        wrapper.hooked = True  # type: ignore[attr-defined]
        return wrapper

    def _patch_step_function(self) -> None:
        """Wrap the class's ``step`` with the hook runner (once per class)."""
        cls = self.__class__
        if not getattr(cls.step, "hooked", False):
            cls.step = self.profile_hook_step(cls.step)  # type: ignore[method-assign]

    def register_step_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``,
        called before each :meth:`step` of this optimizer.

        Returns:
            a handle whose ``remove()`` unregisters the hook.
        """
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None``, called after each
        :meth:`step` of this optimizer.

        Returns:
            a handle whose ``remove()`` unregisters the hook.
        """
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step (each optimizer class defines it).

        Args:
            closure: re-evaluates the model and returns the loss; needed by LBFGS,
                optional for the others.
        """
        raise RuntimeError(f"{type(self).__name__} does not define step(); an Optimizer "
                           "subclass must implement it")

    # -- state dicts -------------------------------------------------------------------------
    def _register(self, store: OrderedDict[int, Any], hook: Callable[..., Any],
                  prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(store)
        store[handle.id] = hook
        if prepend:
            store.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook: Callable[..., Any], prepend: bool = False
                                     ) -> RemovableHandle:
        """Register ``hook(optimizer) -> None``, called before :meth:`state_dict` builds
        its result (first if ``prepend``)."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable[..., Any], prepend: bool = False
                                      ) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> state_dict or None``, called on the
        result of :meth:`state_dict`; a returned dict replaces it."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any],
                                          prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> state_dict or None``, called on a
        shallow copy of the dict given to :meth:`load_state_dict` before it is loaded."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any],
                                           prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer) -> None``, called after :meth:`load_state_dict`."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as a dict of plain containers.

        ``"state"`` maps a parameter's index (its position across all groups) to its
        buffers; ``"param_groups"`` lists each group's hyper-parameters with ``"params"``
        replaced by those indices. The parameters themselves are not saved.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        param_mappings: dict[int, int] = {}
        start_index = 0

        def pack_group(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update({id(p): i for i, p in enumerate(group["params"], start_index)
                                   if id(p) not in param_mappings})
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param: Tensor, value: Tensor, param_id: Any,
                                                 param_groups: list[dict[str, Any]],
                                                 key: Hashable = None) -> Tensor:
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            if capturable or fused:
                return value.to(dtype=ember.float32, device=param.device)
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a dict made by :meth:`state_dict` (of an optimizer over parameters of the
        same shapes, grouped the same way).

        Saved buffers are cast to their parameter's dtype and device (the ``step``
        counters keep theirs). Raises ``ValueError`` when the number of groups or a
        group's size differs.
        """
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't "
                             "match the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def _cast(param: Tensor, value: Any, param_id: Any = None,
                  param_groups: Any = None, key: Any = None) -> Any:
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, param_groups, key)
            if isinstance(value, dict):
                return {k: _cast(param, v, param_id=param_id, param_groups=param_groups, key=k)
                        for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(_cast(param, v, param_id=param_id,
                                         param_groups=param_groups) for v in value)
            return value

        state: defaultdict[Any, Any] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v, param_id=k,
                                     param_groups=state_dict["param_groups"])
            else:
                state[k] = v

        def update_group(group: dict[str, Any], new_group: dict[str, Any]) -> dict[str, Any]:
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # -- gradients and groups ----------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every optimized tensor.

        Args:
            set_to_none: set ``.grad`` to None (default) instead of filling it with
                zeros. Optimizers skip parameters whose grad is None, but step with a
                zero gradient (weight decay, momentum still act).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (missing ones take
        the optimizer's defaults), e.g. to unfreeze layers while fine-tuning.

        Raises ``ValueError`` if a parameter is already in another group.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors: list[Any] = []
        names: list[Any] = []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) == len(tensors):
                param_group["param_names"] = names
            else:
                raise ValueError("all optimizer params should be with/without names. Some "
                                 "param names are missing")

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    param.is_leaf or getattr(param, "retains_grad", False)):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                current = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {current} to the optimizer")
        if not seen.isdisjoint(id(p) for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)


def _typename(obj: Any) -> str:
    """torch.typename: ``ember.FloatTensor`` style names for tensors, else the class path."""
    if isinstance(obj, Tensor):
        return type(obj).__module__.split(".")[0] + "." + type(obj).__name__
    module = type(obj).__module__
    qual = type(obj).__qualname__
    return qual if module in ("builtins", None) else f"{module}.{qual}"
