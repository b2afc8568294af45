"""``ember.nn``: modules, parameters and the layer families.

The core defines Parameter, Module and the containers; layer classes (``nn.Linear``,
``nn.Conv2d``, ...) come from family plugins and are imported on first use.
"""

from __future__ import annotations

from typing import Any

from . import functional, init, parallel, utils
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer", "Buffer",
           "functional", "init", "utils", "parallel", *_modules_all]


def __getattr__(name: str) -> Any:
    from ..plugins.namespace import lazy_getattr

    return lazy_getattr(__name__, "nn", name)


def __dir__() -> list[str]:
    from ..plugins.namespace import provided_names

    return sorted(set(globals()) | set(provided_names("nn")))
