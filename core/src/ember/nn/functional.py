"""``ember.nn.functional``: the functional form of every layer.

Every function here comes from the family plugin that owns it (``relu`` from ember-layers,
``conv2d`` from ember-conv, ``cross_entropy`` from ember-losses) and is imported on first
use; a function whose plugin is not installed raises an error naming the distribution.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    from ..plugins.namespace import lazy_getattr

    return lazy_getattr(__name__, "nn.functional", name)


def __dir__() -> list[str]:
    from ..plugins.namespace import provided_names

    return sorted(set(globals()) | set(provided_names("nn.functional")))
