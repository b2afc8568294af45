"""Weight normalisation with a forward pre-hook (the deprecated torch API).

``w = g * v / ||v||``: the parameter ``name`` is replaced by ``name + '_g'`` (magnitude)
and ``name + '_v'`` (direction), and recomputed before every forward. See
https://arxiv.org/abs/1602.07868. The parametrization-based version is
:func:`ember.nn.utils.parametrizations.weight_norm`.
"""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

from ember import Tensor
from ember.nn import Module, Parameter, UninitializedParameter

from ._norms import norm_except_dim, weight_norm_op

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]

M = TypeVar("M", bound=Module)


class WeightNorm:
    """The forward pre-hook behind :func:`weight_norm`: recomputes ``name`` from
    ``name_g`` and ``name_v``."""

    name: str
    dim: int

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Any) -> Tensor:
        """``g * v / ||v||`` from the module's current ``name_g`` and ``name_v``."""
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return weight_norm_op(v, g, self.dim)

    @staticmethod
    def apply(module: Any, name: str, dim: int | None) -> WeightNorm:
        """Split ``module.<name>`` into ``<name>_g``/``<name>_v`` and install the hook."""
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError("Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before applying "
                             "weight normalization")
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Any) -> None:
        """Put back ``name`` as a plain parameter holding the current normalised weight."""
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module: Any, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: M, name: str = "weight", dim: int | None = 0) -> M:
    """Reparametrise ``module.<name>`` as ``g * v / ||v||`` (deprecated; emits a
    ``FutureWarning`` like torch).

    Args:
        module: the module holding the parameter.
        name: the parameter to normalise.
        dim: the dim kept by the norm (one magnitude per slice along it; 0 = one per
            output channel); ``None`` takes the norm of the whole tensor.

    Returns:
        ``module``, now with parameters ``<name>_g`` (shape: ``dim`` kept, the rest 1) and
        ``<name>_v`` (the original shape), and ``<name>`` recomputed before each forward.

    >>> import ember, warnings
    >>> m = ember.nn.Module()
    >>> m.weight = ember.nn.Parameter(ember.randn(40, 20))
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = weight_norm(m)
    >>> m.weight_g.shape, m.weight_v.shape
    (ember.Size([40, 1]), ember.Size([40, 20]))
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: M, name: str = "weight") -> M:
    """Undo :func:`weight_norm`: ``<name>`` becomes a plain parameter again, holding the
    normalised weight; raises ``ValueError`` if ``module`` has no such weight norm."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
