"""Entry point of ember-npdev: declares the ``npdev`` device and its primitive kernels."""

from __future__ import annotations

from typing import Any

from ember.plugins import hookimpl
from ember.plugins.records import BackendSpec

EMBER_PLUGIN_API = (1, 0)


@hookimpl
def ember_register_backends() -> list[BackendSpec]:
    """Declare the ``npdev`` device."""
    return [BackendSpec(device_type="npdev", capabilities=frozenset({"as_strided"}),
                        description="pure numpy reference backend (primitives only)")]


@hookimpl
def ember_register_kernels(backend: str, registry: Any) -> None:
    """Register the primitive kernels for ``npdev``."""
    if backend != "npdev":
        return
    from .kernels import KERNELS

    registry.update(KERNELS)
