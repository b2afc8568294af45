"""``skip_init``: build a module without running its parameter initialisation."""

from __future__ import annotations

import inspect
from typing import Any

import ember

__all__ = ["skip_init"]


def skip_init(module_cls: type, *args: Any, **kwargs: Any) -> Any:
    """Instantiate ``module_cls(*args, **kwargs)`` with uninitialised parameters and buffers.

    torch builds the module on its ``meta`` device, where initialisation costs nothing, and
    then allocates empty storage. ember has no backend for ``meta``, so here the module is
    built on ``kwargs['device']`` (default ``'cpu'``) and ``to_empty`` then swaps every
    parameter and buffer for fresh uninitialised storage: the values are unspecified, as in
    torch, though the time of the initialisers is not saved. ``module_cls`` must accept
    ``device``.

    >>> import ember
    >>> class Scale(ember.nn.Module):
    ...     def __init__(self, n, device=None):
    ...         super().__init__()
    ...         self.weight = ember.nn.Parameter(ember.ones(n, device=device))
    >>> skip_init(Scale, 3).weight.shape
    ember.Size([3])
    """
    if not issubclass(module_cls, ember.nn.Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    kwargs["device"] = final_device
    return module_cls(*args, **kwargs).to_empty(device=final_device)
