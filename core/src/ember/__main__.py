"""``python -m ember``: command-line tools of ember-core.

``python -m ember info`` prints the core's version, every plugin with its distribution and
version, the devices, what each plugin provides (public names, ops, kernel counts per
device), the plugins that were skipped or failed to load (with tracebacks), and the plugin
settings taken from the environment. It exits with status 1 when a plugin failed to load,
so scripts can use it as a health check.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

__all__ = ["info", "main"]

_SETTINGS = ("EMBER_STRICT_PLUGINS", "EMBER_PLUGINS", "EMBER_DISABLE_PLUGINS",
             "EMBER_PLUGIN_AUTOLOAD")


def _wrap(label: str, items: Sequence[str], indent: str = "    ") -> str:
    text = f"{label} ({len(items)}): " + (", ".join(items) if items else "-")
    return textwrap.fill(text, width=100, initial_indent=indent,
                         subsequent_indent=indent + "  ", break_on_hyphens=False)


def _kernel_counts() -> dict[str, str]:
    """Build the dispatch table of every available device so kernel counts are known."""
    from ._device import device
    from ._dispatch import table_for
    from .plugins.manager import manager

    problems: dict[str, str] = {}
    for device_type, (spec, _dist) in sorted(manager.backends.items()):
        try:
            if spec.is_available():
                table_for(device(device_type))
            else:
                problems[device_type] = "not available on this machine"
        except Exception as exc:  # report, never crash the report
            problems[device_type] = f"{type(exc).__name__}: {exc}"
    return problems


def info(out: TextIO | None = None, tracebacks: bool = True) -> int:
    """Write the plugin report to ``out`` (standard output by default).

    Args:
        out: a text stream.
        tracebacks: include the full traceback of each plugin that failed to load.

    Returns:
        ``0`` when every plugin loaded, ``1`` when at least one failed.
    """
    stream = out if out is not None else sys.stdout
    from ._version import __version__
    from .plugins.hookspec import PLUGIN_API_VERSION
    from .plugins.manager import manager

    manager.load()
    problems = _kernel_counts()

    def say(line: str = "") -> None:
        stream.write(line + "\n")

    api = ".".join(map(str, PLUGIN_API_VERSION))
    say(f"ember-core {__version__} (plugin API {api})")
    say(f"  python {platform.python_version()} on {platform.system()} {platform.machine()}")
    say(f"  numpy {_version_of('numpy')}, pluggy {_version_of('pluggy')}")
    settings = [f"{k}={os.environ[k]}" for k in _SETTINGS if k in os.environ]
    say(f"  settings: {', '.join(settings) if settings else 'defaults'}")
    say()

    say("Devices:")
    if not manager.backends:
        say("  none (install a backend: pip install ember-cpu)")
    for device_type, (spec, dist) in sorted(manager.backends.items()):
        status = problems.get(device_type)
        if status is None:
            status = f"available, {spec.device_count()} device(s)"
        desc = f" - {spec.description}" if spec.description else ""
        say(f"  {device_type}: {dist} {manager.plugins_version(dist)}; {status}{desc}")
    say()

    say("Plugins:")
    if not manager.plugins:
        say("  none loaded")
    for name, plugin in sorted(manager.plugins.items()):
        api_s = ".".join(map(str, plugin.api))
        say(f"  {name}: {plugin.distribution} {plugin.version} (plugin API {api_s})")
        if plugin.backends:
            say(f"    devices: {', '.join(plugin.backends)}")
        kernels = ", ".join(f"{dt}: {n}" for dt, n in sorted(plugin.kernels.items()))
        say(f"    kernels: {kernels or '-'}")
        say(_wrap("ops", sorted(plugin.ops)))
        say(_wrap("names", sorted(plugin.names)))
    say()

    if manager.skipped:
        say("Skipped (incompatible plugin API):")
        for skipped in manager.skipped:
            say(f"  {skipped.name}: {skipped.distribution} {skipped.version}")
            say(textwrap.indent(textwrap.fill(skipped.reason, 96), "    "))
        say()

    say("Load errors:" if manager.failures else "Load errors: none")
    for failure in manager.failures:
        say(f"  {failure.name}: {failure.distribution} {failure.version}: {failure.error}")
        if tracebacks:
            say(textwrap.indent(failure.traceback.rstrip(), "    | "))
    return 1 if manager.failures else 0


def _version_of(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``python -m ember`` command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m ember",
                                     description="ember command-line tools")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("info", help="list the core, plugins, devices and load errors")
    cmd.add_argument("--no-tracebacks", action="store_true",
                     help="show one line per load error instead of the traceback")
    args = parser.parse_args(argv)
    if args.command == "info":
        return info(tracebacks=not args.no_tracebacks)
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
