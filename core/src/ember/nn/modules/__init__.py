"""The core modules: Module, the containers and the lazy-module mixin."""

from __future__ import annotations

from . import lazy, module
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .module import Module

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict"]

(lazy, module)  # noqa: B018  (submodules: global hook functions, LazyModuleMixin)
