"""The core modules: Module, the containers and the lazy-module mixin."""

from __future__ import annotations

from . import module
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .module import Module

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict"]

module  # noqa: B018  (``ember.nn.modules.module`` holds the global hook functions)
