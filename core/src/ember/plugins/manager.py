"""Finding, loading and asking plugins.

The core loops over the ``ember.plugins`` entry points itself, so one broken plugin never
breaks ``import ember``: its failure (distribution, version, traceback) is recorded and
reported where the user touches what it would have provided, and by ``python -m ember info``.

Environment variables (read when plugins first load):
    EMBER_STRICT_PLUGINS=1   a plugin that fails to load raises :class:`PluginLoadError`
                             instead of being recorded.
    EMBER_PLUGINS=a,b        load only these plugins (entry-point or distribution names).
    EMBER_DISABLE_PLUGINS=a  never load these (wins over ``EMBER_PLUGINS``).
    EMBER_PLUGIN_AUTOLOAD=0  load no entry points (plugins can still be registered by hand
                             with :meth:`PluginManager.register`).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from .hookspec import PLUGIN_API_VERSION, hookimpl
from .records import (
    BackendSpec,
    CommBackendSpec,
    KernelRegistry,
    NamespaceEntry,
    OpRegistry,
    PluginConflictError,
)

__all__ = ["PluginInfo", "PluginFailure", "SkippedPlugin", "PluginManager", "PluginLoadError",
           "PluginConflictError", "manager", "hookimpl", "canonical_name"]

ENTRY_POINT_GROUP = "ember.plugins"


class PluginLoadError(RuntimeError):
    """A plugin failed to load while ``EMBER_STRICT_PLUGINS=1`` was set."""


@dataclass
class PluginFailure:
    """A plugin that could not be loaded, kept for error messages and ``ember info``.

    Attributes:
        name: the entry-point name (``"cpu"``).
        distribution: the distribution that declared the entry point (``"ember-cpu"``).
        version: that distribution's installed version.
        error: ``"ExceptionType: message"``, one line.
        traceback: the full formatted traceback.
    """

    name: str
    distribution: str
    version: str
    error: str
    traceback: str


@dataclass
class SkippedPlugin:
    """A plugin not loaded because it was built for an incompatible plugin API."""

    name: str
    distribution: str
    version: str
    api: tuple[int, ...]
    reason: str


@dataclass
class PluginInfo:
    """A loaded plugin and what it provides.

    Attributes:
        name: the entry-point (or hand-registered) name.
        distribution: the distribution it belongs to.
        version: that distribution's version.
        module: the plugin object whose hook implementations were registered.
        api: the plugin-API version it declared.
        backends: device types it provides.
        names: public dotted names it provides (``"nn.Conv2d"``).
        kernels: device type -> number of kernels it registered (filled as tables build).
        ops: op names it declared.
        comm_backends: collective engines it provides.
    """

    name: str
    distribution: str
    version: str
    module: Any
    api: tuple[int, ...] = PLUGIN_API_VERSION
    backends: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    kernels: dict[str, int] = field(default_factory=dict)
    ops: list[str] = field(default_factory=list)
    comm_backends: list[str] = field(default_factory=list)


def canonical_name(name: str) -> str:
    """Normalize a distribution or plugin name as pip does (``Ember_CPU`` -> ``ember-cpu``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _env_list(var: str) -> set[str] | None:
    raw = os.environ.get(var)
    if raw is None:
        return None
    return {canonical_name(p.strip()) for p in raw.split(",") if p.strip()}


def _truthy(var: str, default: str = "0") -> bool:
    return os.environ.get(var, default).strip().lower() not in ("0", "", "false", "no", "off")


def _api_of(module: Any) -> tuple[int, ...]:
    api = getattr(module, "EMBER_PLUGIN_API", PLUGIN_API_VERSION)
    if isinstance(api, str):
        api = tuple(int(p) for p in api.split("."))
    api = tuple(int(p) for p in api)
    if len(api) < 2:
        raise TypeError(f"EMBER_PLUGIN_API must be (major, minor), got {api!r}")
    return api


class PluginManager:
    """Loads plugins and keeps what they registered.

    One instance, :data:`manager`, serves the process. It holds the pluggy manager of
    project ``"ember"``, the loaded plugins, the recorded failures, and the tables built
    from the collecting hooks: device types, public names and declared ops.
    """

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("ember")
        self.pm.add_hookspecs(sys.modules[__package__ + ".hookspec"])
        self.plugins: dict[str, PluginInfo] = {}
        self.failures: list[PluginFailure] = []
        self.skipped: list[SkippedPlugin] = []
        self.backends: dict[str, tuple[BackendSpec, str]] = {}
        self.namespace: dict[str, tuple[str, str]] = {}
        self.ops = OpRegistry()
        self.loaded = False
        self.strict = False
        self.autoload = True
        self._comm: dict[str, tuple[CommBackendSpec, str]] | None = None

    # -- loading -------------------------------------------------------------------------
    @staticmethod
    def strict_requested() -> bool:
        """Whether ``EMBER_STRICT_PLUGINS`` asks for load failures to be errors."""
        return _truthy("EMBER_STRICT_PLUGINS")

    def load(self) -> None:
        """Load every allowed entry point of group ``ember.plugins`` (once per process).

        Entry points are loaded in name order. A failure is recorded (or raised under
        ``EMBER_STRICT_PLUGINS=1``) and the next entry point is tried.
        """
        if self.loaded:
            return
        self.loaded = True
        self.strict = _truthy("EMBER_STRICT_PLUGINS")
        self.autoload = _truthy("EMBER_PLUGIN_AUTOLOAD", "1")
        if self.autoload:
            allow = _env_list("EMBER_PLUGINS")
            deny = _env_list("EMBER_DISABLE_PLUGINS") or set()
            for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP),
                             key=lambda e: e.name):
                dist = ep.dist.name if ep.dist is not None else "?"
                version = ep.dist.version if ep.dist is not None else "?"
                keys = {canonical_name(ep.name), canonical_name(dist)}
                if keys & deny or (allow is not None and not keys & allow):
                    continue
                if ep.name in self.plugins:
                    continue
                try:
                    module = ep.load()
                    self.register(module, name=ep.name, distribution=dist, version=version)
                except Exception as exc:  # a broken plugin must not break `import ember`
                    self._fail(ep.name, dist, version, exc)
        self.pm.hook.ember_configure.call_historic(
            kwargs={"config": {"strict": self.strict, "plugins": sorted(self.plugins)}})

    def _fail(self, name: str, dist: str, version: str, exc: BaseException) -> None:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        failure = PluginFailure(name, dist, version, f"{type(exc).__name__}: {exc}", tb)
        if self.strict:
            raise PluginLoadError(f"ember plugin '{name}' ({dist} {version}) failed to load: "
                                  f"{failure.error}\n{tb}") from exc
        self.failures.append(failure)

    def register(self, module: ModuleType | Any, name: str, distribution: str,
                 version: str = "0") -> PluginInfo | None:
        """Register a plugin object and collect the devices, names and ops it declares.

        Args:
            module: an object (usually the plugin's ``plugin.py`` module) whose functions
                marked with :data:`~ember.plugins.hookimpl` implement the hooks.
            name: the plugin's name (the entry-point name for installed plugins).
            distribution: the distribution it belongs to, used in every message.
            version: that distribution's version.

        Returns:
            The :class:`PluginInfo`, or ``None`` when the plugin was skipped with a
            ``RuntimeWarning`` because it targets an incompatible plugin API.

        Raises:
            PluginConflictError: a device type, public name or op is already provided by
                another distribution (the message names both). Nothing is registered.
            ValueError: ``name`` is already registered.
        """
        if name in self.plugins:
            raise ValueError(f"an ember plugin named '{name}' is already registered "
                             f"(from {self.plugins[name].distribution})")
        api = _api_of(module)
        core = PLUGIN_API_VERSION
        if api[0] != core[0] or api[1] > core[1]:
            upgrade = "ember-core" if api > core else distribution
            reason = (f"ember plugin '{name}' ({distribution} {version}) was built for plugin "
                      f"API {api[0]}.{api[1]}, but this ember-core {_core_version()} speaks "
                      f"{core[0]}.{core[1]}; it was skipped. Upgrade {upgrade} to a release "
                      "with a matching plugin API.")
            self.skipped.append(SkippedPlugin(name, distribution, version, api, reason))
            warnings.warn(reason, RuntimeWarning, stacklevel=2)
            return None
        info = PluginInfo(name, distribution, version, module, api=api)
        self.pm.register(module, name=name)  # validates hook implementations
        ops_before = dict(self.ops.ops)
        try:
            backends = self._collect(module, "ember_register_backends")
            entries = self._collect(module, "ember_register_namespace")
            self._check_backends(backends, distribution)
            self._check_names(entries, distribution)
            self.ops.current_owner = distribution
            self._call_own(module, "ember_register_ops", registry=self.ops)
        except Exception:
            self.ops.ops = ops_before
            self.pm.unregister(name=name)
            raise
        info.ops = sorted(set(self.ops.ops) - set(ops_before))
        for spec in backends:
            self.backends[spec.device_type] = (spec, distribution)
            info.backends.append(spec.device_type)
        for entry in entries:
            self.namespace[entry.name] = (entry.target, distribution)
            info.names.append(entry.name)
        self.plugins[name] = info
        self._comm = None
        self._reset_dispatch()
        return info

    def _check_backends(self, backends: list[BackendSpec], distribution: str) -> None:
        seen: set[str] = set()
        for spec in backends:
            if not isinstance(spec, BackendSpec):
                raise TypeError(f"{distribution}: ember_register_backends must return "
                                f"BackendSpec records, got {type(spec).__name__}")
            prev = self.backends.get(spec.device_type)
            if prev is not None:
                raise PluginConflictError(f"device type '{spec.device_type}' is provided by "
                                          f"both {prev[1]} and {distribution}")
            if spec.device_type in seen:
                raise PluginConflictError(f"device type '{spec.device_type}' is declared "
                                          f"twice by {distribution}")
            seen.add(spec.device_type)

    def _check_names(self, entries: list[NamespaceEntry], distribution: str) -> None:
        for entry in entries:
            if not isinstance(entry, NamespaceEntry):
                raise TypeError(f"{distribution}: ember_register_namespace must return "
                                f"NamespaceEntry records, got {type(entry).__name__}")
            prev = self.namespace.get(entry.name)
            if prev is not None and prev[1] != distribution:
                raise PluginConflictError(f"ember.{entry.name} is provided by both {prev[1]} "
                                          f"and {distribution}")

    def _impls(self, module: Any, hook: str) -> list[pluggy.HookImpl]:
        caller = getattr(self.pm.hook, hook)
        return [impl for impl in caller.get_hookimpls() if impl.plugin is module]

    def _call_own(self, module: Any, hook: str, **kwargs: Any) -> list[Any]:
        """Call ``module``'s own implementations of ``hook`` with the keywords they take."""
        results = []
        for impl in self._impls(module, hook):
            args = {k: v for k, v in kwargs.items() if k in impl.argnames}
            results.append(impl.function(**args))
        return results

    def _collect(self, module: Any, hook: str, **kwargs: Any) -> list[Any]:
        out: list[Any] = []
        for result in self._call_own(module, hook, **kwargs):
            if result is not None:
                out.extend(result)
        return out

    @staticmethod
    def _reset_dispatch() -> None:
        dispatch = sys.modules.get("ember._dispatch")
        if dispatch is not None:
            dispatch.reset_tables()

    def unregister(self, name: str) -> None:
        """Remove a registered plugin and everything it provided (tests use it)."""
        info = self.plugins.pop(name)
        self.pm.unregister(name=name)
        for dt in info.backends:
            self.backends.pop(dt, None)
        for n in info.names:
            self.namespace.pop(n, None)
        for op in info.ops:
            self.ops.ops.pop(op, None)
        self._comm = None
        self._reset_dispatch()

    # -- queries ---------------------------------------------------------------------------
    def collect_kernels(self, device_type: str) -> KernelRegistry:
        """Ask every loaded plugin for its kernels on ``device_type``.

        A plugin whose hook raises is recorded as a failure (or raises under strict mode)
        and its kernels are left out. The per-plugin kernel counts of
        ``python -m ember info`` are updated.
        """
        registry = KernelRegistry(device_type)
        for info in list(self.plugins.values()):
            impls = self._impls(info.module, "ember_register_kernels")
            if not impls:
                continue
            registry.current_owner = info.distribution
            before = dict(registry.kernels), dict(registry.owners)
            try:
                self._call_own(info.module, "ember_register_kernels", backend=device_type,
                               registry=registry)
            except PluginConflictError:
                raise
            except Exception as exc:
                registry.kernels, registry.owners = before
                self._fail(info.name, info.distribution, info.version, exc)
                continue
            count = sum(1 for owner in registry.owners.values() if owner == info.distribution)
            if count:
                info.kernels[device_type] = count
        return registry

    def comm_backends(self) -> dict[str, tuple[CommBackendSpec, str]]:
        """The collective engines plugins provide: name -> (spec, distribution)."""
        if self._comm is None:
            self.load()
            found: dict[str, tuple[CommBackendSpec, str]] = {}
            for info in self.plugins.values():
                specs = self._collect(info.module, "ember_register_comm_backends")
                for spec in specs:
                    prev = found.get(spec.name)
                    if prev is not None:
                        raise PluginConflictError(f"communication backend '{spec.name}' is "
                                                  f"provided by both {prev[1]} and "
                                                  f"{info.distribution}")
                    found[spec.name] = (spec, info.distribution)
                info.comm_backends = [s.name for s in specs]
            self._comm = found
        return self._comm

    def plugins_version(self, distribution: str) -> str:
        """The installed version of a loaded plugin distribution (``"?"`` if unknown)."""
        key = canonical_name(distribution)
        for info in self.plugins.values():
            if canonical_name(info.distribution) == key:
                return info.version
        return "?"

    def is_loaded(self, distribution: str) -> bool:
        """Whether a plugin of ``distribution`` is loaded."""
        key = canonical_name(distribution)
        return any(canonical_name(i.distribution) == key for i in self.plugins.values())

    def failure_for(self, distribution: str) -> PluginFailure | None:
        """The recorded load failure of ``distribution`` (or plugin name), if any."""
        key = canonical_name(distribution)
        for f in self.failures:
            if key in (canonical_name(f.distribution), canonical_name(f.name)):
                return f
        return None

    def skipped_for(self, distribution: str) -> SkippedPlugin | None:
        """The record of ``distribution`` if it was skipped for its plugin API."""
        key = canonical_name(distribution)
        for s in self.skipped:
            if key in (canonical_name(s.distribution), canonical_name(s.name)):
                return s
        return None

    def resolve(self, dotted: str) -> Any:
        """Import and return the object behind public name ``dotted`` (e.g. ``nn.Conv2d``)."""
        target, _dist = self.namespace[dotted]
        mod_name, _, attr = target.partition(":")
        module = importlib.import_module(mod_name)
        obj: Any = module
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
        return obj


def _core_version() -> str:
    from .._version import __version__

    return __version__


manager = PluginManager()


def register_entries(entries: list[NamespaceEntry],
                     distribution: str = "test") -> Callable[[], None]:
    """Add namespace entries directly, without a plugin; returns a function removing them."""
    for e in entries:
        manager.namespace[e.name] = (e.target, distribution)

    def remove() -> None:
        for e in entries:
            manager.namespace.pop(e.name, None)

    return remove
