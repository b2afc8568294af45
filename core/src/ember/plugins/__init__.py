"""The plugin system: hook specification, records, loader and namespace."""

from __future__ import annotations

from .hookspec import PLUGIN_API_VERSION, hookimpl, hookspec
from .records import (
    BackendSpec,
    CommBackendSpec,
    KernelRegistry,
    NamespaceEntry,
    OpRegistry,
    PluginConflictError,
)

__all__ = ["hookimpl", "hookspec", "PLUGIN_API_VERSION", "BackendSpec", "CommBackendSpec",
           "KernelRegistry", "NamespaceEntry", "OpRegistry", "PluginConflictError"]
