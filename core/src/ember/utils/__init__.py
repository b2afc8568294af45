"""``ember.utils``: ``ember.utils.data`` (from ember-data), ``ember.utils.checkpoint`` and
other utilities.

Names are provided by plugins and imported on first use.
"""

from __future__ import annotations

from typing import Any

from . import checkpoint


def __getattr__(name: str) -> Any:
    from ..plugins.namespace import lazy_getattr

    return lazy_getattr(__name__, "utils", name)


def __dir__() -> list[str]:
    from ..plugins.namespace import provided_names

    return sorted(set(globals()) | set(provided_names("utils")))
