"""``ember.random``: the default generator's seed and state, as ``torch.random``."""

from __future__ import annotations

import contextlib
from collections.abc import Generator as _Gen
from typing import Any

from .ops.random import (
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

__all__ = ["manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "fork_rng", "default_generator"]


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str | None = None) -> _Gen[None]:
    """Run a block with the random state restored on exit.

    On entry the cpu generator's state is saved (and the CUDA generators' when ember-cuda
    provides devices and ``devices`` names them); on exit, however the block ends, it is
    put back, so random numbers drawn inside do not advance the stream outside.

    Args:
        devices: CUDA device indices whose generators to fork (none without CUDA).
        enabled: False makes the context manager do nothing.
        device_type: the accelerator type (``"cuda"``); accepted as torch does.

    >>> import ember
    >>> _ = ember.manual_seed(0)
    >>> with ember.random.fork_rng():
    ...     _ = ember.rand(3)
    >>> a = ember.rand(1)
    >>> _ = ember.manual_seed(0)
    >>> bool((ember.rand(1) == a).all())
    True
    """
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


(default_generator, initial_seed, manual_seed, seed)  # noqa: B018
