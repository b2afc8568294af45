"""DistributedSampler: each process of a distributed job reads its own share of a dataset."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import ember

from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _default_world() -> tuple[int, int]:
    """``(world_size, rank)`` of the initialized process group (needs ember-distributed)."""
    try:
        dist = ember.distributed
        available = dist.is_available()
    except AttributeError:
        available = False
    if not available:
        raise RuntimeError("Requires distributed package to be available")
    return dist.get_world_size(), dist.get_rank()


class DistributedSampler(Sampler[int]):
    """The indices of replica ``rank`` out of ``num_replicas``.

    The (optionally shuffled) index list is padded by repeating its start so every
    replica gets ``ceil(len / num_replicas)`` indices (or trimmed with ``drop_last``),
    then replica ``r`` takes every ``num_replicas``-th index from position ``r``.
    Shuffling is seeded with ``seed + epoch``: call :meth:`set_epoch` each epoch.

    Args:
        dataset: the dataset (only its length is used).
        num_replicas: number of processes (default: the process group's world size).
        rank: this process's rank (default: from the process group).
        shuffle: shuffle the indices (default True).
        seed: shuffling seed, identical on every replica (default 0).
        drop_last: drop the tail instead of padding (default False).

    >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
    [1, 3, 0]
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            world, my_rank = _default_world()
            num_replicas = world if num_replicas is None else num_replicas
            rank = my_rank if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas)
                                         / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            g = ember.Generator().manual_seed(self.seed + self.epoch)
            indices = ember.randperm(len(self.dataset), generator=g).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            padding_size = self.total_size - len(indices)
            if padding_size <= len(indices):
                indices += indices[:padding_size]
            else:
                indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        else:
            indices = indices[:self.total_size]
        if len(indices) != self.total_size:
            raise AssertionError(f"Number of indices ({len(indices)}) does not match "
                                 f"total_size ({self.total_size})")
        indices = indices[self.rank:self.total_size:self.num_replicas]
        if len(indices) != self.num_samples:
            raise AssertionError(f"Number of subsampled indices ({len(indices)}) does not match "
                                 f"num_samples ({self.num_samples})")
        return iter(indices)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which changes the shuffle (same on every replica)."""
        self.epoch = epoch
