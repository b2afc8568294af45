"""Devices: where a tensor's memory lives (``cpu``, ``cuda:0``, a third-party device)."""

from __future__ import annotations

__all__ = ["device", "get_default_device", "set_default_device"]


class device:
    """A device: a type (``"cpu"``, ``"cuda"``, or a plugin's name) and an optional index.

    Instances are interned, so ``device("cpu") is device("cpu")``.

    >>> import ember
    >>> ember.device("cuda:1")
    device(type='cuda', index=1)
    """

    __slots__ = ("type", "index", "_str", "__weakref__")
    _cache: dict[tuple[str, int | None], device] = {}

    def __new__(cls, type: str | device, index: int | None = None) -> device:  # noqa: A002
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device(): an index cannot be given with a device object")
            return type
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # torch treats a bare ordinal as a CUDA device
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string or device, got {type!r}")
        key = (type, index)
        found = cls._cache.get(key)
        if found is not None:
            return found
        name = type
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index "
                                   f"was passed explicitly: {type}")
            name, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if not name or not name.replace("_", "").isalnum():
            raise RuntimeError(f"Invalid device string: '{type}'")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self = object.__new__(cls)
        self.type = name
        self.index = index
        self._str = name if index is None else f"{name}:{index}"
        cls._cache[key] = self
        return self

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self._str

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self) -> tuple[type[device], tuple[str, int | None]]:
        return (device, (self.type, self.index))


CPU = device("cpu")


class _DefaultDevice:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = CPU


DEFAULT = _DefaultDevice()


def get_default_device() -> device:
    """The device new tensors are created on when no ``device`` is given."""
    return DEFAULT.value


def set_default_device(dev: str | device | None) -> None:
    """Set the device factory functions use by default (``None`` restores ``cpu``)."""
    DEFAULT.value = CPU if dev is None else device(dev)
