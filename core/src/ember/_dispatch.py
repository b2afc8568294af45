"""The dispatch table: (op name, device type) -> kernel, built once per device type.

Each device type gets one :class:`KernelTable` whose attributes are its kernels, so an op
finds its kernel with a single attribute read on the tensor's table (``x._k.add``). A
primitive the backend lacks resolves to a function that raises with the op, dtype and
device; a fused-op name the backend lacks resolves to ``None`` and the op runs its
composite definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._device import device as Device
from .primitives import PRIMITIVES

__all__ = ["KernelTable", "table_for", "reset_tables", "NoKernelError", "NoBackendError"]


class NoKernelError(NotImplementedError):
    """A backend has no kernel for an op it was asked to run."""


class NoBackendError(RuntimeError):
    """No installed plugin provides the requested device type."""


def _missing(name: str, device_type: str, owner: str) -> Callable[..., Any]:
    def raise_missing(*args: Any, **kwargs: Any) -> Any:
        dtypes = sorted({str(a.dtype) for a in args if hasattr(a, "dtype")})
        raise NoKernelError(f"[{name}] the '{device_type}' backend ({owner}) has no kernel "
                            f"for this op (dtypes: {', '.join(dtypes) or 'n/a'})")

    return raise_missing


class KernelTable:
    """The kernels of one device type, as attributes."""

    def __init__(self, device_type: str, distribution: str,
                 kernels: dict[str, Callable[..., Any]], spec: Any) -> None:
        self.device_type = device_type
        self.distribution = distribution
        self.spec = spec
        self.fused: frozenset[str] = frozenset(set(kernels) - set(PRIMITIVES))
        for name in PRIMITIVES:
            setattr(self, name, kernels.get(name) or _missing(name, device_type, distribution))
        for name, kernel in kernels.items():
            setattr(self, name, kernel)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names never registered: a fused op this backend lacks.
        if name.startswith("__"):
            raise AttributeError(name)
        setattr(self, name, None)
        return None

    def __repr__(self) -> str:
        return f"<KernelTable {self.device_type} ({self.distribution})>"


_TABLES: dict[str, KernelTable] = {}


def reset_tables() -> None:
    """Forget every built table (after plugins change; tests use it)."""
    _TABLES.clear()


def _no_backend(device_type: str) -> NoBackendError:
    from .plugins.manager import manager

    installed = ", ".join(f"{dt} ({dist} {manager.plugins_version(dist)})"
                          for dt, (_, dist) in sorted(manager.backends.items())) or "none"
    hint = {"cpu": "ember-cpu", "cuda": "ember-cuda"}.get(device_type)
    msg = f"no backend for device '{device_type}'; installed: {installed}"
    failure = manager.failure_for(hint) if hint else None
    if failure is not None:
        msg += f"; {hint} {failure.version} failed to load: {failure.error}"
    elif hint:
        msg += f"; pip install {hint}"
    return NoBackendError(msg)


def table_for(dev: Device) -> KernelTable:
    """The kernel table of ``dev``'s type, built on first use."""
    table = _TABLES.get(dev.type)
    if table is not None:
        return table
    from .plugins.manager import manager

    manager.load()
    found = manager.backends.get(dev.type)
    if found is None:
        raise _no_backend(dev.type)
    spec, dist = found
    registry = manager.collect_kernels(dev.type)
    table = KernelTable(dev.type, dist, registry.kernels, spec)
    _TABLES[dev.type] = table
    return table
