"""Finding, loading and asking plugins.

The core loops over the ``ember.plugins`` entry points itself, so one broken plugin never
breaks ``import ember``: its failure (distribution, version, traceback) is recorded and
reported where the user touches what it would have provided, and by ``python -m ember info``.

Environment variables:
    EMBER_STRICT_PLUGINS=1   a plugin that fails to load raises instead of being recorded.
    EMBER_PLUGINS=a,b        load only these plugins (entry-point or distribution names).
    EMBER_DISABLE_PLUGINS=a  never load these.
    EMBER_PLUGIN_AUTOLOAD=0  load no entry points (plugins can still be registered by hand).
"""

from __future__ import annotations

import importlib
import os
import traceback
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

import sys

from .hookspec import PLUGIN_API_VERSION, hookimpl
from .records import BackendSpec, KernelRegistry, NamespaceEntry, OpRegistry

__all__ = ["PluginInfo", "PluginFailure", "PluginManager", "manager", "hookimpl"]



@dataclass
class PluginFailure:
    """A plugin that could not be loaded."""

    name: str
    distribution: str
    version: str
    error: str
    traceback: str


@dataclass
class PluginInfo:
    """A loaded plugin and what it provides."""

    name: str
    distribution: str
    version: str
    module: ModuleType
    backends: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    kernels: dict[str, int] = field(default_factory=dict)
    ops: list[str] = field(default_factory=list)


def _env_list(var: str) -> set[str] | None:
    raw = os.environ.get(var)
    if raw is None:
        return None
    return {p.strip() for p in raw.split(",") if p.strip()}


def _truthy(var: str, default: str = "0") -> bool:
    return os.environ.get(var, default).strip().lower() not in ("0", "", "false", "no", "off")


class PluginManager:
    """Loads plugins and keeps what they registered."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("ember")
        self.pm.add_hookspecs(sys.modules[__package__ + ".hookspec"])
        self.plugins: dict[str, PluginInfo] = {}
        self.failures: list[PluginFailure] = []
        self.backends: dict[str, tuple[BackendSpec, str]] = {}
        self.namespace: dict[str, tuple[str, str]] = {}
        self.ops = OpRegistry()
        self.loaded = False
        self.strict = False

    # -- loading -------------------------------------------------------------------------
    def load(self) -> None:
        """Load every allowed entry point of group ``ember.plugins`` (once)."""
        if self.loaded:
            return
        self.loaded = True
        self.strict = _truthy("EMBER_STRICT_PLUGINS")
        if not _truthy("EMBER_PLUGIN_AUTOLOAD", "1"):
            return
        allow = _env_list("EMBER_PLUGINS")
        deny = _env_list("EMBER_DISABLE_PLUGINS") or set()
        for ep in sorted(metadata.entry_points(group="ember.plugins"), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist is not None else "?"
            names = {ep.name, dist}
            if names & deny or (allow is not None and not names & allow):
                continue
            version = ep.dist.version if ep.dist is not None else "?"
            try:
                module = ep.load()
                self.register(module, name=ep.name, distribution=dist, version=version)
            except Exception as exc:  # a broken plugin must not break `import ember`
                self._fail(ep.name, dist, version, exc)
        self.pm.hook.ember_configure.call_historic(
            kwargs={"config": {"strict": self.strict, "plugins": sorted(self.plugins)}})

    def _fail(self, name: str, dist: str, version: str, exc: BaseException) -> None:
        failure = PluginFailure(name, dist, version, f"{type(exc).__name__}: {exc}",
                                traceback.format_exc())
        if self.strict:
            raise RuntimeError(f"ember plugin '{name}' ({dist} {version}) failed to load: "
                               f"{failure.error}\n{failure.traceback}") from exc
        self.failures.append(failure)

    def register(self, module: ModuleType | Any, name: str, distribution: str,
                 version: str = "0") -> None:
        """Register a plugin object (a module with hook implementations) and collect
        what it declares. Raises on an incompatible API version or a duplicate name."""
        api = getattr(module, "EMBER_PLUGIN_API", PLUGIN_API_VERSION)
        core = PLUGIN_API_VERSION
        if api[0] != core[0] or api[1] > core[1]:
            warnings.warn(
                f"ember plugin '{name}' ({distribution} {version}) was built for plugin API "
                f"{api[0]}.{api[1]}, but this ember-core speaks {core[0]}.{core[1]}; it was "
                f"skipped. Upgrade {'ember-core' if api > core else distribution} to a "
                "release with a matching plugin API.", RuntimeWarning, stacklevel=2)
            return
        info = PluginInfo(name, distribution, version, module)
        backends = self._call_one(module, "ember_register_backends") or []
        entries = self._call_one(module, "ember_register_namespace") or []
        for spec in backends:
            prev = self.backends.get(spec.device_type)
            if prev is not None:
                raise RuntimeError(f"device type '{spec.device_type}' is provided by both "
                                   f"{prev[1]} and {distribution}")
        for entry in entries:
            prev_ns = self.namespace.get(entry.name)
            if prev_ns is not None and prev_ns[1] != distribution:
                raise RuntimeError(f"ember.{entry.name} is provided by both {prev_ns[1]} and "
                                   f"{distribution}")
        self.ops.current_owner = distribution
        impl = getattr(module, "ember_register_ops", None)
        if impl is not None:
            before = set(self.ops.ops)
            impl(registry=self.ops)
            info.ops = sorted(set(self.ops.ops) - before)
        for spec in backends:
            self.backends[spec.device_type] = (spec, distribution)
            info.backends.append(spec.device_type)
        for entry in entries:
            self.namespace[entry.name] = (entry.target, distribution)
            info.names.append(entry.name)
        self.pm.register(module, name=name)
        self.plugins[name] = info

    @staticmethod
    def _call_one(module: Any, hook: str) -> list[Any] | None:
        impl = getattr(module, hook, None)
        return list(impl()) if impl is not None else None

    def unregister(self, name: str) -> None:
        """Remove a plugin registered by hand (tests use it)."""
        info = self.plugins.pop(name)
        self.pm.unregister(name=name)
        for dt in info.backends:
            self.backends.pop(dt, None)
        for n in info.names:
            self.namespace.pop(n, None)
        for op in info.ops:
            self.ops.ops.pop(op, None)
        from .. import _dispatch

        _dispatch.reset_tables()

    # -- queries ---------------------------------------------------------------------------
    def collect_kernels(self, device_type: str) -> KernelRegistry:
        """Ask every plugin for its kernels on ``device_type``."""
        registry = KernelRegistry(device_type)
        for info in self.plugins.values():
            impl = getattr(info.module, "ember_register_kernels", None)
            if impl is None:
                continue
            registry.current_owner = info.distribution
            before = len(registry.kernels)
            impl(backend=device_type, registry=registry)
            if len(registry.kernels) != before:
                info.kernels[device_type] = info.kernels.get(device_type, 0) + (
                    len(registry.kernels) - before)
        return registry

    def plugins_version(self, distribution: str) -> str:
        """The installed version of a loaded plugin distribution ("?" if unknown)."""
        for info in self.plugins.values():
            if info.distribution == distribution:
                return info.version
        return "?"

    def failure_for(self, distribution: str) -> PluginFailure | None:
        """The recorded load failure of ``distribution``, if any."""
        for f in self.failures:
            if f.distribution == distribution or f.name == distribution:
                return f
        return None

    def resolve(self, dotted: str) -> Any:
        """Import and return the object behind public name ``dotted`` (e.g. ``nn.Conv2d``)."""
        target, _dist = self.namespace[dotted]
        mod_name, _, attr = target.partition(":")
        module = importlib.import_module(mod_name)
        return getattr(module, attr) if attr else module


manager = PluginManager()


def register_entries(entries: list[NamespaceEntry]) -> None:
    """Add namespace entries directly (used by tests)."""
    for e in entries:
        manager.namespace[e.name] = (e.target, "test")
