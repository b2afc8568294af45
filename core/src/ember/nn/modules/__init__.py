"""The core modules: Module, the containers and the lazy-module mixin."""

from __future__ import annotations

from typing import Any

from . import lazy, module, utils
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .module import Module

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict"]

(lazy, module, utils)  # noqa: B018  (submodules: global hook functions, LazyModuleMixin)


def __getattr__(name: str) -> Any:
    """torch's per-family files (``ember.nn.modules.loss``, ``.conv``, ...), mounted by the
    plugins that own them."""
    from ...plugins.namespace import lazy_getattr

    return lazy_getattr(__name__, "nn.modules", name)
