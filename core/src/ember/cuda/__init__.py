"""``ember.cuda``: CUDA device queries. Answers come from the CUDA backend plugin
(ember-cuda) when it is installed; without it there are no CUDA devices."""

from __future__ import annotations

from typing import Any


def _spec() -> Any:
    from ..plugins.manager import manager

    manager.load()
    found = manager.backends.get("cuda")
    return found[0] if found is not None else None


def is_available() -> bool:
    """Whether a CUDA device can be used."""
    spec = _spec()
    try:
        return bool(spec is not None and spec.is_available())
    except Exception:
        return False


def device_count() -> int:
    """The number of CUDA devices (0 without ember-cuda or a GPU)."""
    spec = _spec()
    if spec is None or not is_available():
        return 0
    return int(spec.device_count())


def synchronize(device: Any = None) -> None:
    """Wait for all queued work on ``device`` (a no-op without CUDA devices)."""
    spec = _spec()
    if spec is not None and is_available():
        index = None if device is None else getattr(device, "index", device)
        spec.synchronize(index)


def manual_seed(seed: int) -> None:
    """Seed the random generators of every CUDA device (a no-op without them)."""
    from ..ops.random import default_generator

    default_generator.manual_seed(seed)


manual_seed_all = manual_seed


def current_device() -> int:
    return 0


def is_initialized() -> bool:
    return is_available()


from . import amp  # noqa: E402  (ember.cuda.amp: the deprecated autocast/GradScaler names)
