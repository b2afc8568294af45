"""Padding layers: constant, zero, reflection, replication and circular, in 1-D to 3-D."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ember.nn import Module
from ember.ops._base import Tensor

from ..padding import pad

__all__ = [f"{kind}Pad{n}d" for kind in ("Constant", "Zero", "Reflection", "Replication",
                                         "Circular") for n in (1, 2, 3)]


def _pads(padding: int | Sequence[int], n: int) -> tuple[int, ...]:
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    out = tuple(int(p) for p in padding)
    if len(out) != 2 * n:
        raise ValueError(f"padding must be an int or a tuple of {2 * n} ints, got {padding}")
    return out


class _PadNd(Module):
    """Shared machinery: ``padding`` is ``(left, right[, top, bottom[, front, back]])``."""

    _mode = "constant"
    _dims = 1

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        self.padding = _pads(padding, self._dims)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Pad the last dims of ``input`` (see :func:`ember.nn.functional.pad`)."""
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Pad the last dims of ``input`` with ``value``."""
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _layer(base: type, name: str, dims: int, mode: str, doc: str) -> type:
    cls = type(name, (base,), {"_dims": dims, "_mode": mode, "__doc__": doc,
                               "__module__": __name__})
    return cls


_SHAPES = {1: "(N, C, W) or (C, W)", 2: "(N, C, H, W) or (C, H, W)",
           3: "(N, C, D, H, W) or (C, D, H, W)"}
_ORDER = {1: "(left, right)", 2: "(left, right, top, bottom)",
          3: "(left, right, top, bottom, front, back)"}


def _doc(what: str, n: int, extra: str = "") -> str:
    return (f"Pads the last {n} dim(s) of the input {what}.\n\n"
            f"Args:\n    padding: an int for every side, or {_ORDER[n]}.{extra}\n\n"
            f"Shape:\n    input {_SHAPES[n]}; each padded dim grows by the sum of its two "
            "pads.\n")


_VALUE = "\n    value: the fill value."
ConstantPad1d: Any = _layer(_ConstantPadNd, "ConstantPad1d", 1, "constant",
                            _doc("with a constant", 1, _VALUE))
ConstantPad2d: Any = _layer(_ConstantPadNd, "ConstantPad2d", 2, "constant",
                            _doc("with a constant", 2, _VALUE))
ConstantPad3d: Any = _layer(_ConstantPadNd, "ConstantPad3d", 3, "constant",
                            _doc("with a constant", 3, _VALUE))
ZeroPad1d: Any = _layer(_ZeroPadNd, "ZeroPad1d", 1, "constant", _doc("with zeros", 1))
ZeroPad2d: Any = _layer(_ZeroPadNd, "ZeroPad2d", 2, "constant", _doc("with zeros", 2))
ZeroPad3d: Any = _layer(_ZeroPadNd, "ZeroPad3d", 3, "constant", _doc("with zeros", 3))
ReflectionPad1d: Any = _layer(_PadNd, "ReflectionPad1d", 1, "reflect",
                              _doc("by mirroring it at its edges", 1))
ReflectionPad2d: Any = _layer(_PadNd, "ReflectionPad2d", 2, "reflect",
                              _doc("by mirroring it at its edges", 2))
ReflectionPad3d: Any = _layer(_PadNd, "ReflectionPad3d", 3, "reflect",
                              _doc("by mirroring it at its edges", 3))
ReplicationPad1d: Any = _layer(_PadNd, "ReplicationPad1d", 1, "replicate",
                               _doc("by repeating its edge values", 1))
ReplicationPad2d: Any = _layer(_PadNd, "ReplicationPad2d", 2, "replicate",
                               _doc("by repeating its edge values", 2))
ReplicationPad3d: Any = _layer(_PadNd, "ReplicationPad3d", 3, "replicate",
                               _doc("by repeating its edge values", 3))
CircularPad1d: Any = _layer(_PadNd, "CircularPad1d", 1, "circular",
                            _doc("by wrapping around (periodically)", 1))
CircularPad2d: Any = _layer(_PadNd, "CircularPad2d", 2, "circular",
                            _doc("by wrapping around (periodically)", 2))
CircularPad3d: Any = _layer(_PadNd, "CircularPad3d", 3, "circular",
                            _doc("by wrapping around (periodically)", 3))
