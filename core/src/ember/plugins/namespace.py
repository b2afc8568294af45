"""Public names provided by plugins: lazy attribute lookup and the install hints.

Modules of the torch-shaped skeleton (``ember.nn``, ``ember.nn.functional``,
``ember.optim``, ...) call :func:`lazy_getattr` from their ``__getattr__``. A name a
loaded plugin registered is imported on first use and cached in the module; a name a
first-party distribution would provide, but which is not installed (or failed to load),
raises :class:`MissingPluginError` saying what to install.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from importlib import metadata
from types import ModuleType
from typing import Any

from .catalog import provider
from .manager import manager

__all__ = ["MissingPluginError", "lazy_getattr", "install_finder", "missing_name_error",
           "provided_names"]


class MissingPluginError(AttributeError):
    """A public name whose providing distribution is not installed or failed to load."""


def _installed(dist: str) -> bool:
    try:
        metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


def missing_name_error(dotted: str) -> AttributeError:
    """The error for public name ``ember.<dotted>`` that no loaded plugin provides.

    It says which distribution provides the name and why that one is not serving it: not
    installed (with the ``pip install`` line), failed to load, skipped for its plugin API,
    or left out by the ``EMBER_*`` plugin settings. Unknown names get Python's usual
    :class:`AttributeError` message.
    """
    parent, _, attr = dotted.rpartition(".")
    plain = AttributeError(f"module 'ember{'.' + parent if parent else ''}' has no attribute "
                           f"'{attr}'")
    dist = provider(dotted)
    if dist is None or dist == "ember-core" or manager.is_loaded(dist):
        return plain
    failure = manager.failure_for(dist)
    if failure is not None:
        return MissingPluginError(f"ember.{dotted} is provided by {dist}, which failed to load "
                                  f"({failure.error}); run `python -m ember info` for the "
                                  "traceback")
    skipped = manager.skipped_for(dist)
    if skipped is not None:
        return MissingPluginError(f"ember.{dotted} is provided by {dist}, which was not "
                                  f"loaded: {skipped.reason}")
    if _installed(dist):
        return MissingPluginError(f"ember.{dotted} is provided by {dist}, which is installed "
                                  "but was not loaded (see EMBER_PLUGINS, "
                                  "EMBER_DISABLE_PLUGINS and EMBER_PLUGIN_AUTOLOAD)")
    return MissingPluginError(f"ember.{dotted} is provided by {dist}, which is not installed: "
                              f"pip install {dist}")


def lazy_getattr(module: ModuleType | str, prefix: str, name: str) -> Any:
    """Resolve ``name`` in the skeleton module ``module`` (public path ``prefix``).

    ``module`` is the module object or its name in :data:`sys.modules`; the resolved
    object is cached on it, so the lookup runs once per name.
    """
    if name.startswith("__"):
        raise AttributeError(name)
    if isinstance(module, str):
        module = sys.modules[module]
    dotted = f"{prefix}.{name}" if prefix else name
    manager.load()
    if dotted in manager.namespace:
        value = manager.resolve(dotted)
        setattr(module, name, value)
        return value
    raise missing_name_error(dotted)


def provided_names(prefix: str) -> list[str]:
    """The names plugins registered directly below ``prefix`` (for ``dir()``)."""
    manager.load()
    start = prefix + "." if prefix else ""
    out = []
    for dotted in manager.namespace:
        if dotted.startswith(start):
            rest = dotted[len(start):]
            if "." not in rest:
                out.append(rest)
    return out


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the alias spec on the module; give it back its own so
        # the plugin module keeps its identity (reload, pickling by module path).
        module.__spec__ = self._own_spec


class _PluginModuleFinder(importlib.abc.MetaPathFinder):
    """Makes ``import ember.nn.utils.prune`` work when a plugin provides that module."""

    def find_spec(self, fullname: str, path: Any, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith("ember.") or fullname in sys.modules:
            return None
        parent_name, _, leaf = fullname.rpartition(".")
        parent = sys.modules.get(parent_name)
        if parent is not None and parent.__name__ != parent_name:
            # A submodule of a plugin module mounted here (``ember.utils.data.sampler``):
            # alias the plugin's own submodule so there is one copy of each class.
            return importlib.machinery.ModuleSpec(fullname,
                                                  _AliasLoader(f"{parent.__name__}.{leaf}"))
        if path is not None and importlib.machinery.PathFinder.find_spec(fullname, path):
            return None  # one of the core's own modules
        dotted = fullname[len("ember."):]
        manager.load()
        entry = manager.namespace.get(dotted)
        if entry is None:
            error = missing_name_error(dotted)
            if isinstance(error, MissingPluginError):
                raise ModuleNotFoundError(str(error), name=fullname)
            return None
        if ":" in entry[0]:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(entry[0]))


_FINDER = _PluginModuleFinder()


def install_finder() -> None:
    """Put the plugin-module finder first on ``sys.meta_path`` (once), ahead of the path
    finder, so submodules of mounted plugin modules are aliased rather than loaded twice."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
