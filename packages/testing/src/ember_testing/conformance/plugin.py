"""The pytest plugin behind ``pytest --pyargs ember_testing.conformance``.

Registered through the ``pytest11`` entry point, so it is active in every pytest run of an
environment where ember-testing is installed; it only adds two options and, when
conformance tests are collected, keeps score per level:

- ``--ember-device=NAME``: the device type under test (default: ``$EMBER_DEVICE`` or
  ``cpu``).
- ``--ember-report=PATH``: write a JSON report of pass rates per level to ``PATH``.

Each level is one test module of :mod:`ember_testing.conformance` with a ``LEVEL`` name and
an ``availability(device)`` function; a level that cannot run here (no optimizer plugin,
no ``ember.distributed``) has its tests deselected and is reported as not available with
the reason.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

__all__ = ["LEVELS", "device_under_test"]

#: The levels, in the order they are reported.
LEVELS = ("runtime", "primitives", "gradients", "modules", "training", "collectives")

_STATE = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--ember-device`` and ``--ember-report``."""
    group = parser.getgroup("ember", "ember backend conformance")
    group.addoption("--ember-device", default=None, metavar="NAME",
                    help="device type the ember conformance suite tests (default: "
                         "$EMBER_DEVICE or cpu)")
    group.addoption("--ember-report", default=None, metavar="PATH",
                    help="write the ember conformance report (JSON) to PATH")


def device_under_test(config: pytest.Config) -> str:
    """The device type named by ``--ember-device`` (or ``$EMBER_DEVICE``, or ``cpu``)."""
    return config.getoption("--ember-device") or os.environ.get("EMBER_DEVICE") or "cpu"


def pytest_configure(config: pytest.Config) -> None:
    """Create the per-run score sheet and register the scorer."""
    state: dict[str, Any] = {"levels": {}, "items": {}, "failures": [], "start": time.time()}
    config.stash[_STATE] = state
    config.pluginmanager.register(_Scorer(state), "ember-conformance-scorer")


def _level_of(item: pytest.Item) -> str | None:
    module = getattr(item, "module", None)
    if module is None or not getattr(module, "EMBER_CONFORMANCE", False):
        return None
    return getattr(module, "LEVEL", None)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """Ask each level whether it can run here; deselect the tests of those that cannot."""
    state = config.stash[_STATE]
    device = device_under_test(config)
    keep, drop = [], []
    reasons: dict[str, str | None] = {}
    for item in items:
        level = _level_of(item)
        if level is None:
            keep.append(item)
            continue
        if level not in reasons:
            try:
                reasons[level] = item.module.availability(device)  # type: ignore[attr-defined]
            except Exception as exc:  # an availability probe must not break collection
                reasons[level] = f"availability check failed: {type(exc).__name__}: {exc}"
        entry = state["levels"].setdefault(level, {"passed": 0, "failed": 0, "total": 0})
        if reasons[level]:
            entry["status"] = "not available"
            entry["reason"] = reasons[level]
            drop.append(item)
        else:
            entry["status"] = "available"
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """Count the tests of each level that will run."""
    # counted here, after every plugin (``-k``, ``-m``) has chosen the items that run
    state = session.config.stash[_STATE]
    for item in session.items:
        level = _level_of(item)
        if level is not None and level in state["levels"]:
            state["levels"][level]["total"] += 1
            state["items"][item.nodeid] = level


class _Scorer:
    """Counts passes and failures of conformance tests per level."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Score one test (a failure in any phase counts once)."""
        level = self.state["items"].get(report.nodeid)
        if level is None:
            return
        entry = self.state["levels"][level]
        done = entry.setdefault("_done", set())
        if report.nodeid in done:
            return
        if report.failed:
            done.add(report.nodeid)
            entry["failed"] += 1
            self.state["failures"].append({"level": level, "test": report.nodeid,
                                           "error": _short(report)})
        elif report.when == "call" and report.passed:
            done.add(report.nodeid)
            entry["passed"] += 1


def _short(report: pytest.TestReport) -> str:
    text = str(report.longrepr) if report.longrepr is not None else ""
    lines = [ln for ln in text.splitlines() if ln.startswith("E ")]
    return "\n".join(lines[:6]) or text[-500:]


def build_report(config: pytest.Config) -> dict[str, Any]:
    """The conformance report: device, versions, and per level its status, counts and
    pass rate."""
    state = config.stash[_STATE]
    device = device_under_test(config)
    levels: dict[str, Any] = {}
    for name in LEVELS:
        entry = state["levels"].get(name)
        if entry is None:
            continue
        clean = {k: v for k, v in entry.items() if not k.startswith("_")}
        if clean.get("status") == "available":
            total = clean["total"]
            if not total:
                clean["status"] = "not run"
                clean["reason"] = "all of its tests were deselected"
            clean["pass_rate"] = round(clean["passed"] / total, 4) if total else None
        levels[name] = clean
    return {"device": device, "backend": _backend_info(device), "versions": _versions(),
            "levels": levels, "failures": state["failures"],
            "duration_s": round(time.time() - state["start"], 2)}


def _backend_info(device: str) -> dict[str, Any]:
    try:
        import ember
        from ember.plugins.manager import manager

        manager.load()
        found = manager.backends.get(ember.device(device).type)
        if found is None:
            return {"distribution": None, "error": f"no backend for device '{device}'"}
        spec, dist = found
        return {"distribution": dist, "version": manager.plugins_version(dist),
                "description": spec.description}
    except Exception as exc:
        return {"distribution": None, "error": f"{type(exc).__name__}: {exc}"}


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for dist in ("ember-core", "ember-testing", "torch", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    """Print the pass rate of each level."""
    state = config.stash[_STATE]
    if not state["levels"]:
        return
    report = build_report(config)
    tr = terminalreporter
    tr.section(f"ember conformance: device '{report['device']}'")
    for name, entry in report["levels"].items():
        if entry.get("status") == "available":
            rate = entry.get("pass_rate")
            shown = "n/a" if rate is None else f"{rate:.1%}"
            tr.write_line(f"{name:12s} {entry['passed']:4d}/{entry['total']:<4d} passed "
                          f"({shown})")
        else:
            tr.write_line(f"{name:12s} {entry.get('status')}: {entry.get('reason')}")
    path = config.getoption("--ember-report")
    if path:
        tr.write_line(f"report written to {path}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the JSON report when ``--ember-report`` names a file."""
    config = session.config
    path = config.getoption("--ember-report")
    state = config.stash[_STATE]
    if path and state["levels"]:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(build_report(config), fh, indent=2, sort_keys=False)
            fh.write("\n")


@pytest.fixture(scope="session")
def ember_device(pytestconfig: pytest.Config) -> str:
    """The device type under test (``--ember-device``), as a string."""
    return device_under_test(pytestconfig)
