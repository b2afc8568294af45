"""The hook specification every ember plugin implements against.

ember finds plugins through the ``ember.plugins`` entry-point group; each entry point names
a module (conventionally ``<package>/plugin.py``, importing nothing heavy) whose functions
decorated with :data:`hookimpl` implement the hooks below. First-party backends and layer
families use exactly these hooks.

Call semantics: every hook is called with keyword arguments, and an implementation may
take any subset of a spec's arguments, so a spec may gain arguments in a later plugin-API
version without breaking plugins that do not take them. The core calls the collecting
hooks plugin by plugin (so it knows which distribution declared what) and concatenates the
lists they return; a device type, name, op, kernel or engine claimed by two distributions
is a :class:`~ember.plugins.records.PluginConflictError` naming both. An exception raised
by a plugin's hook while it loads is recorded as that plugin's load failure (raised under
``EMBER_STRICT_PLUGINS=1``), and nothing the plugin declared is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .records import BackendSpec, CommBackendSpec, KernelRegistry, NamespaceEntry, OpRegistry

__all__ = ["hookspec", "hookimpl", "PLUGIN_API_VERSION"]

#: The plugin API this core speaks. A plugin declares the version it was built for in a
#: module-level ``EMBER_PLUGIN_API`` (major, minor); the core skips one whose major
#: differs, or whose minor is newer than this, with a warning that says what to upgrade.
PLUGIN_API_VERSION = (1, 0)

hookspec = pluggy.HookspecMarker("ember")
#: Decorator marking a plugin function as the implementation of a hook.
hookimpl = pluggy.HookimplMarker("ember")


# -------------------------------------------------------------------------------------
# Devices and kernels
# -------------------------------------------------------------------------------------


@hookspec
def ember_register_backends() -> list[BackendSpec]:
    """Declare the devices this plugin provides.

    :returns: one :class:`~ember.plugins.records.BackendSpec` per device type. A device
        type claimed by two distributions is an error naming both.

    Called once per plugin, when it is registered (for installed plugins: the first time
    ember needs its plugins, not at ``import ember``). Every result is collected.
    """


@hookspec
def ember_register_kernels(backend: str, registry: KernelRegistry) -> None:
    """Add kernels for device type ``backend`` to ``registry``.

    :param backend: the device type whose dispatch table is being built (``"cpu"``, ...).
    :param registry: ``registry.add(op_name, kernel)`` registers one kernel; names are the
        primitives of :mod:`ember.primitives` or any op's name (a fused kernel).

    Called on every loaded plugin, once per device type, when that device type's dispatch
    table is built: the first time a tensor on that device is created, and again if the set
    of plugins changes. A plugin adds kernels only for device types it knows (a fused kernel
    for another plugin's device is allowed); registering one op name twice for the same
    device from two distributions is an error naming both. A plugin whose hook raises is
    recorded as failed and its kernels are left out.
    """


@hookspec
def ember_register_ops(registry: OpRegistry) -> None:
    """Declare the ops this plugin defines (their names and one-line descriptions).

    :param registry: ``registry.declare(name, summary)`` records one op.

    Called once per plugin, when it is registered. Used by ``python -m ember info`` and
    the conformance kit; the op's code itself lives in the plugin's modules. One op name
    declared by two distributions is an error naming both.
    """


# -------------------------------------------------------------------------------------
# Public names
# -------------------------------------------------------------------------------------


@hookspec
def ember_register_namespace() -> list[NamespaceEntry]:
    """Declare the public names this plugin provides.

    :returns: :class:`~ember.plugins.records.NamespaceEntry` records mapping a dotted name
        below ``ember`` (``"nn.Conv2d"``, ``"nn.functional.conv2d"``, ``"optim.SGD"``) to a
        ``"module:attribute"`` string, imported the first time the name is used.

    Called once per plugin, when it is registered. Every result is collected; one name
    from two distributions is an error naming both. A name the plugin declares but whose
    target cannot be imported fails where it is first used, with the import error.
    """


@hookspec
def ember_register_comm_backends() -> list[CommBackendSpec]:
    """Declare collective-communication engines (for ``ember.distributed``).

    :returns: :class:`~ember.plugins.records.CommBackendSpec` records.

    Called on every loaded plugin when ``ember.distributed`` first needs its engines (see
    ``manager.comm_backends()``). One engine name from two distributions is an error
    naming both.
    """


# -------------------------------------------------------------------------------------
# Configuration
# -------------------------------------------------------------------------------------


@hookspec(historic=True)
def ember_configure(config: dict[str, Any]) -> None:
    """React to ember's configuration once every plugin has loaded.

    :param config: read-only settings: ``"strict"`` (bool), ``"plugins"`` (names loaded).

    Called once, after the installed plugins have loaded. Historic: a plugin registered
    later (by hand) receives the same call when it is registered.
    """
