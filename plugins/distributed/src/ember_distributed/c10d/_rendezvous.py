"""How :func:`~ember.distributed.init_process_group` finds its engine and its rank and size:
the backend string, the ``init_method`` and the ``env://`` variables."""

from __future__ import annotations

import os
from typing import Any


def _engine_spec(name: str) -> Any:
    from ember.plugins.manager import manager

    backends = manager.comm_backends()
    entry = backends.get(name)
    if entry is None:
        raise ValueError(f"Unknown backend type {name}: ember.distributed knows "
                         f"{', '.join(sorted(backends)) or 'none'}")
    return entry[0]


def _engine_name(backend: str) -> str:
    """The engine of a backend string: ``"mpi"``, or torch's per-device form
    ``"cpu:gloo,cuda:nccl"`` (the cpu entry wins: one engine per process here)."""
    if ":" not in backend:
        return backend
    pairs = {}
    for item in backend.split(","):
        device, sep, engine = item.partition(":")
        if not sep or not device.strip() or not engine.strip():
            raise ValueError(f"The custom backend string argument is invalid: {backend}. "
                             "Custom backend string is an experimental feature where the "
                             "backend string must be in the format: "
                             "\"<device_type1>:<backend1>,<device_type2>:<backend2>...\". "
                             "e.g. 'cpu:gloo,cuda:nccl'")
        pairs[device.strip()] = engine.strip()
    return pairs.get("cpu", next(iter(pairs.values())))


def _env_int(key: str) -> int | None:
    value = os.environ.get(key)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: "
                         f"environment variable {key} must be an integer, got {value!r}"
                         ) from None


def _rendezvous(init_method: str | None, rank: int, world_size: int) -> tuple[int, int]:
    """The (rank, world_size) that the init method asks for; -1 where it leaves it open."""
    method = init_method
    if method is None:
        method = "env://" if "RANK" in os.environ or "MASTER_ADDR" in os.environ else None
    if method is None:
        return rank, world_size
    if method.startswith("env://"):
        for key in ("MASTER_ADDR", "MASTER_PORT"):
            if key not in os.environ:
                raise ValueError("Error initializing torch.distributed using env:// "
                                 f"rendezvous: environment variable {key} expected, but not "
                                 "set")
        if rank == -1:
            env_rank = _env_int("RANK")
            if env_rank is None:
                raise ValueError("Error initializing torch.distributed using env:// "
                                 "rendezvous: environment variable RANK expected, but not set")
            rank = env_rank
        if world_size == -1:
            env_size = _env_int("WORLD_SIZE")
            if env_size is None:
                raise ValueError("Error initializing torch.distributed using env:// "
                                 "rendezvous: environment variable WORLD_SIZE expected, but "
                                 "not set")
            world_size = env_size
        return rank, world_size
    if method.startswith(("tcp://", "file://")):
        return rank, world_size
    raise ValueError(f"No rendezvous handler for {method.split('://')[0]}://")
