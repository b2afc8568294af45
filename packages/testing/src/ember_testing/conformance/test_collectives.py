"""Conformance level "collectives": collective communication of device tensors.

Runs a one-process group (world size 1) when ``ember.distributed`` provides
``init_process_group`` and the collectives, with a communication backend registered for the
device type (``$EMBER_CONFORMANCE_COMM`` picks one by name).
"""

from __future__ import annotations

import os
import socket

import numpy as np
import pytest

import ember

from ._available import resolve

LEVEL = "collectives"
EMBER_CONFORMANCE = True

NEEDED = ("init_process_group", "all_reduce", "broadcast", "all_gather", "barrier",
          "destroy_process_group")


def availability(device: str) -> str | None:
    """Needs ``ember.distributed`` (ember-distributed) with the collectives."""
    dist, reason = resolve("distributed")
    if reason:
        return reason
    missing = [n for n in NEEDED if not hasattr(dist, n)]
    if missing:
        return f"ember.distributed lacks {', '.join(missing)}"
    if hasattr(dist, "is_available") and not dist.is_available():
        return "ember.distributed.is_available() is False"
    return None if _comm_backend(device) else (
        f"no communication backend registered for device type '{device.split(':')[0]}'")


def _comm_backend(device: str) -> str | None:
    """The name of a registered comm backend that moves tensors of ``device``'s type
    (``$EMBER_CONFORMANCE_COMM`` when set)."""
    from ember.plugins.manager import manager

    wanted = os.environ.get("EMBER_CONFORMANCE_COMM")
    dtype = device.split(":")[0]
    for name, (spec, _dist) in sorted(manager.comm_backends().items()):
        if dtype in spec.device_types and (wanted is None or wanted == name):
            return name
    return None


@pytest.fixture
def group(ember_device: str):
    import ember.distributed as dist

    backend = _comm_backend(ember_device)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dist.init_process_group(backend=backend, init_method=f"tcp://127.0.0.1:{port}", rank=0,
                            world_size=1)
    try:
        yield dist
    finally:
        dist.destroy_process_group()


def test_single_rank_collectives(ember_device: str, group) -> None:
    t = ember.tensor([1.0, 2.0, 3.0], device=ember_device)
    group.all_reduce(t)
    np.testing.assert_array_equal(t.cpu().numpy(), [1.0, 2.0, 3.0])
    group.broadcast(t, src=0)
    out = [ember.zeros(3, device=ember_device)]
    group.all_gather(out, t)
    np.testing.assert_array_equal(out[0].cpu().numpy(), [1.0, 2.0, 3.0])
    group.barrier()
