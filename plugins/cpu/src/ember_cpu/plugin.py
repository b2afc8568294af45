"""Entry point of ember-cpu: declares the ``cpu`` device and registers its kernels.

Imports nothing heavy: the kernels are imported when the cpu dispatch table is built.
"""

from __future__ import annotations

from typing import Any

from ember.plugins import hookimpl
from ember.plugins.records import BackendSpec

EMBER_PLUGIN_API = (1, 0)


@hookimpl
def ember_register_backends() -> list[BackendSpec]:
    return [BackendSpec(device_type="cpu", capabilities=frozenset({"as_strided", "dlpack"}),
                        description="numpy arrays with C++/OpenMP kernels")]


@hookimpl
def ember_register_kernels(backend: str, registry: Any) -> None:
    if backend != "cpu":
        return
    from .kernels import all_kernels

    registry.update(all_kernels())
