"""Fetchers: turn the index (or batch of indices) a sampler gives into collated data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember

from ._collate import default_collate
from .dataset import TensorDataset


class _MapDatasetFetcher:
    """Fetch from a map-style dataset: ``dataset[i]`` per index, or ``__getitems__``."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[..., Any],
                 drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        # A TensorDataset batched by default_collate is one gather per tensor: the same
        # result as stacking the rows, without building them one by one.
        self.gather = (auto_collation and collate_fn is default_collate
                       and type(dataset) is TensorDataset)

    def fetch(self, possibly_batched_index: Any) -> Any:
        if self.gather:
            index = ember.tensor(possibly_batched_index, dtype=ember.int64)
            return [t[index] for t in self.dataset.tensors]
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            if getitems:
                data = getitems(possibly_batched_index)
            else:
                data = [self.dataset[idx] for idx in possibly_batched_index]
        else:
            data = self.dataset[possibly_batched_index]
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    """Fetch from an iterable dataset: the next ``len(batch)`` items of its iterator."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[..., Any],
                 drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, possibly_batched_index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in possibly_batched_index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if len(data) == 0 or (self.drop_last and len(data) < len(possibly_batched_index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def create_fetcher(iterable: bool, dataset: Any, auto_collation: bool,
                   collate_fn: Callable[..., Any], drop_last: bool) -> Any:
    """The fetcher for a map-style or an iterable dataset."""
    cls = _IterableDatasetFetcher if iterable else _MapDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)
