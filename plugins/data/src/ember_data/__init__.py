"""ember-data: ``ember.utils.data`` — datasets, samplers and the DataLoader.

Mirrors ``torch.utils.data``: map-style and iterable datasets, samplers (including
:class:`DistributedSampler`), :func:`random_split`, and a :class:`DataLoader` that
batches with :func:`default_collate` and can load in worker processes.
"""

from __future__ import annotations

import sys

from . import dataloader, dataset, distributed, sampler
from ._collate import default_collate, default_convert
from ._worker import WorkerInfo, get_worker_info
from .dataloader import DataLoader
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__version__ = "0.1.0"

# ``import ember.utils.data.sampler`` must give this package's module, not a second copy
# of the file loaded under the public name (the import system would find it through this
# package's ``__path__``), so the public names are aliases of the loaded modules.
for _name, _module in (("dataloader", dataloader), ("dataset", dataset),
                       ("distributed", distributed), ("sampler", sampler)):
    sys.modules.setdefault(f"ember.utils.data.{_name}", _module)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
           "DistributedSampler", "DataLoader", "default_collate", "default_convert",
           "get_worker_info", "WorkerInfo", "dataloader", "dataset", "distributed", "sampler"]
