"""``ember.distributed``: process groups, collectives and the launcher (from ember-distributed).

Names are provided by plugins and imported on first use.
"""

from __future__ import annotations

from typing import Any


def is_available() -> bool:
    """Whether ``ember.distributed`` can be used: a plugin (ember-distributed) provides it.

    Like ``torch.distributed.is_available()``, this never raises, so code can guard with
    ``if dist.is_available() and dist.is_initialized():``.
    """
    from ..plugins.namespace import provided_names

    return "init_process_group" in provided_names("distributed")


def __getattr__(name: str) -> Any:
    from ..plugins.namespace import lazy_getattr

    return lazy_getattr(__name__, "distributed", name)


def __dir__() -> list[str]:
    from ..plugins.namespace import provided_names

    return sorted(set(globals()) | set(provided_names("distributed")))
