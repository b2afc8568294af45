"""``ember.nn.utils``: clipping, parameter vectors, fusion, weight norms, pruning,
parametrizations, packed sequences (from ember-utils).

Names are provided by plugins and imported on first use.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    from ...plugins.namespace import lazy_getattr

    return lazy_getattr(__name__, "nn.utils", name)


def __dir__() -> list[str]:
    from ...plugins.namespace import provided_names

    return sorted(set(globals()) | set(provided_names("nn.utils")))
