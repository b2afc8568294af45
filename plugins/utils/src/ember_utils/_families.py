"""Module classes of other families that ember-utils special-cases (transposed
convolutions, 2-d/3-d convolutions), looked up only when needed."""

from __future__ import annotations

import ember
from ember.plugins.namespace import MissingPluginError


def available_classes(*names: str) -> tuple[type, ...]:
    """The classes ``ember.nn.<name>`` that exist. A family that is not installed (e.g.
    ember-conv) contributes nothing: no module of its classes can exist then."""
    found = []
    for name in names:
        try:
            found.append(getattr(ember.nn, name))
        except MissingPluginError:
            pass
    return tuple(found)
