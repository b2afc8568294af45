"""Probing which optional parts of ember are installed, without letting a probe fail."""

from __future__ import annotations

from typing import Any


def resolve(dotted: str) -> tuple[Any, str | None]:
    """``(object, None)`` for ``ember.<dotted>``, or ``(None, reason)`` when it is missing."""
    import importlib

    import ember

    obj: Any = ember
    path = "ember"
    for part in dotted.split("."):
        path = f"{path}.{part}"
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:
                obj = importlib.import_module(path)
            except Exception as exc:
                return None, f"{path} is not available ({type(exc).__name__}: {exc})"
        except Exception as exc:
            return None, f"{path} is not available ({type(exc).__name__}: {exc})"
    return obj, None
