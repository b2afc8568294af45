"""Entry point of ember-data: mounts the package at ``ember.utils.data``.

Imports nothing heavy: ``ember_data`` is imported on first use of ``ember.utils.data``.
"""

from __future__ import annotations

from ember.plugins import hookimpl
from ember.plugins.records import NamespaceEntry

EMBER_PLUGIN_API = (1, 0)

_SUBMODULES = ("dataset", "sampler", "distributed", "dataloader")


@hookimpl
def ember_register_namespace() -> list[NamespaceEntry]:
    """``ember.utils.data`` and its torch-named submodules."""
    entries = [NamespaceEntry("utils.data", "ember_data")]
    entries += [NamespaceEntry(f"utils.data.{name}", f"ember_data.{name}")
                for name in _SUBMODULES]
    return entries
