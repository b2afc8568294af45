"""Collectives of picklable Python objects, sent as byte tensors."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np

import ember

from ._checks import _peer_rank
from ._collectives import all_gather_into_tensor, broadcast
from ._process_group import _member


def _to_bytes(obj: Any) -> np.ndarray:
    return np.frombuffer(pickle.dumps(obj), dtype=np.uint8).copy()


def all_gather_object(object_list: list[Any], obj: Any, group: Any = None) -> None:
    """Gather a picklable ``obj`` from every rank into ``object_list`` (world_size long)."""
    pg = _member(group, "all_gather_object")
    if pg is None:
        return
    data = _to_bytes(obj)
    sizes = ember.zeros(pg.size(), dtype=ember.int64)
    all_gather_into_tensor(sizes, ember.tensor([data.size], dtype=ember.int64), group=group)
    longest = int(sizes.max().item())
    padded = np.zeros(longest, dtype=np.uint8)
    padded[:data.size] = data
    out = ember.zeros(longest * pg.size(), dtype=ember.uint8)
    all_gather_into_tensor(out, ember.from_numpy(padded), group=group)
    raw = out.numpy().reshape(pg.size(), longest)
    for i, n in enumerate(sizes.tolist()):
        object_list[i] = pickle.loads(raw[i, :n].tobytes())


def broadcast_object_list(object_list: list[Any], src: int | None = None, group: Any = None,
                          device: Any = None, group_src: int | None = None) -> None:
    """Replace ``object_list`` on every rank by rank ``src``'s (picklable objects)."""
    pg = _member(group, "broadcast_object_list")
    if pg is None:
        return
    if src is None and group_src is None:
        src = 0
    root = _peer_rank(pg, src, group_src, "broadcast", "root")
    size = ember.zeros(1, dtype=ember.int64)
    data = _to_bytes(list(object_list)) if root == pg.rank() else None
    if data is not None:
        size.fill_(data.size)
    broadcast(size, group=pg, group_src=root)
    payload = ember.from_numpy(data) if data is not None else \
        ember.zeros(int(size.item()), dtype=ember.uint8)
    broadcast(payload, group=pg, group_src=root)
    values = pickle.loads(payload.numpy().tobytes())
    object_list[:] = values
