"""Records exchanged between plugins and the core through the hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BackendSpec", "NamespaceEntry", "CommBackendSpec", "KernelRegistry", "OpRegistry",
           "PluginConflictError"]


class PluginConflictError(RuntimeError):
    """Two distributions claim the same device type, public name, op, kernel or engine."""


@dataclass(frozen=True)
class BackendSpec:
    """A device type a plugin provides.

    Attributes:
        device_type: the name tensors use (``"cpu"``, ``"cuda"``, ``"mydev"``).
        is_available: returns whether the device can be used on this machine.
        device_count: returns how many devices of this type exist.
        synchronize: waits for queued work on a device index (a no-op for eager backends).
        capabilities: optional features, e.g. ``"as_strided"``, ``"dlpack"``.
        description: one line for ``python -m ember info``.
    """

    device_type: str
    is_available: Callable[[], bool] = lambda: True
    device_count: Callable[[], int] = lambda: 1
    synchronize: Callable[[int | None], None] = lambda index=None: None
    capabilities: frozenset[str] = field(default_factory=frozenset)
    description: str = ""


@dataclass(frozen=True)
class NamespaceEntry:
    """A public name below ``ember`` and where it is implemented.

    Attributes:
        name: dotted name below ``ember``, e.g. ``"nn.Conv2d"``.
        target: ``"module:attribute"`` (or ``"module"`` for a whole module such as
            ``"nn.utils.prune"``).
    """

    name: str
    target: str


@dataclass(frozen=True)
class CommBackendSpec:
    """A collective-communication engine for ``ember.distributed``.

    Attributes:
        name: the ``backend=`` string of ``init_process_group`` (``"mpi"``, ``"nccl"``).
        factory: builds the engine: ``factory(rank, world_size, **options)``.
        device_types: the tensor device types it can move.
    """

    name: str
    factory: Callable[..., Any]
    device_types: tuple[str, ...] = ("cpu",)


class KernelRegistry:
    """Collects the kernels of one device type; passed to ``ember_register_kernels``."""

    def __init__(self, device_type: str) -> None:
        self.device_type = device_type
        self.kernels: dict[str, Callable[..., Any]] = {}
        self.owners: dict[str, str] = {}
        self.current_owner = "?"

    def add(self, name: str, kernel: Callable[..., Any]) -> None:
        """Register ``kernel`` for op ``name`` on this device type."""
        prev = self.owners.get(name)
        if prev is not None and prev != self.current_owner:
            raise PluginConflictError(f"kernel '{name}' for device '{self.device_type}' is "
                                      f"registered by both {prev} and {self.current_owner}")
        self.kernels[name] = kernel
        self.owners[name] = self.current_owner

    def update(self, kernels: dict[str, Callable[..., Any]]) -> None:
        """Register several kernels at once."""
        for name, kernel in kernels.items():
            self.add(name, kernel)


class OpRegistry:
    """Collects op declarations; passed to ``ember_register_ops``."""

    def __init__(self) -> None:
        self.ops: dict[str, tuple[str, str]] = {}
        self.current_owner = "?"

    def declare(self, name: str, summary: str = "") -> None:
        """Record op ``name`` as defined by the plugin being loaded."""
        prev = self.ops.get(name)
        if prev is not None and prev[0] != self.current_owner:
            raise PluginConflictError(f"op '{name}' is declared by both {prev[0]} and "
                               f"{self.current_owner}")
        self.ops[name] = (self.current_owner, summary)
