"""Anomaly detection: remember where each node was created and flag NaN gradients."""

from __future__ import annotations

import traceback
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .graph import Node

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]


class _State:
    __slots__ = ("enabled", "check_nan")

    def __init__(self) -> None:
        self.enabled = False
        self.check_nan = True


ANOMALY = _State()


def remember_trace(node: Node) -> None:
    """Store the creation stack of ``node`` so a failing backward can show it."""
    node._anomaly = "".join(traceback.format_stack()[:-3])


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return ANOMALY.enabled


class detect_anomaly:
    """Context manager that turns on anomaly detection for the autograd engine.

    While on, every node remembers the stack trace of the forward op that created it; a
    backward that fails, or that returns NaN when ``check_nan`` is true, raises an error
    that names the node and prints that trace.

    Args:
        check_nan: raise when a backward function returns NaN values (default True).
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._prev: tuple[bool, bool] = (False, True)
        if type(self) is detect_anomaly:
            warnings.warn("Anomaly Detection has been enabled. This mode will increase the "
                          "runtime and should only be enabled for debugging.", UserWarning,
                          stacklevel=2)

    def __enter__(self) -> None:
        self._prev = (ANOMALY.enabled, ANOMALY.check_nan)
        ANOMALY.enabled = True
        ANOMALY.check_nan = self.check_nan

    def __exit__(self, *exc: object) -> None:
        ANOMALY.enabled, ANOMALY.check_nan = self._prev


class set_detect_anomaly(detect_anomaly):
    """Turn anomaly detection on or off; usable as a function or a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        super().__init__(check_nan)
        self._prev = (ANOMALY.enabled, ANOMALY.check_nan)
        ANOMALY.enabled = bool(mode)
        ANOMALY.check_nan = check_nan

    def __enter__(self) -> None:
        pass


def describe(node: Node) -> str:
    """The remembered creation trace of ``node`` (empty when none was recorded)."""
    trace: Any = node._anomaly
    if not trace:
        return ""
    return f"Traceback of forward call that caused the error:\n{trace}"
