"""Entry point of ember-distributed: its public names and its communication engines.

Imports nothing heavy: names are ``"module:attribute"`` strings imported on first use
(``ember.distributed.all_reduce``, ``ember.nn.parallel.DistributedDataParallel``), and the
engine factories import mpi4py / the NCCL library only when a process group is made.
"""

from __future__ import annotations

from typing import Any

from ember.plugins import hookimpl
from ember.plugins.records import CommBackendSpec, NamespaceEntry

EMBER_PLUGIN_API = (1, 0)

_PKG = "ember_distributed"

#: ``ember.distributed.<name>`` -> module below ember_distributed
DISTRIBUTED: dict[str, tuple[str, ...]] = {
    "c10d": ("ReduceOp", "Backend", "ProcessGroup", "GroupMember", "group", "P2POp",
             "default_pg_timeout", "init_process_group", "destroy_process_group",
             "is_initialized", "is_mpi_available", "is_nccl_available",
             "is_gloo_available", "is_torchelastic_launched", "get_rank", "get_world_size",
             "get_backend", "new_group", "get_group_rank", "get_global_rank",
             "get_process_group_ranks", "all_reduce", "broadcast", "all_gather",
             "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "reduce",
             "gather", "scatter", "all_to_all_single", "barrier", "send", "recv", "isend",
             "irecv", "batch_isend_irecv", "all_gather_object", "broadcast_object_list",
             "monitored_barrier"),
    "work": ("Work", "Future", "DistError", "DistBackendError", "DistNetworkError",
             "DistStoreError"),
}

#: submodules reachable as ``ember.distributed.<name>``
SUBMODULES: dict[str, str] = {
    "distributed.algorithms": f"{_PKG}.algorithms",
    "distributed.algorithms.ddp_comm_hooks": f"{_PKG}.algorithms.ddp_comm_hooks",
    "distributed.algorithms.ddp_comm_hooks.default_hooks":
        f"{_PKG}.algorithms.ddp_comm_hooks.default_hooks",
    "distributed.run": f"{_PKG}.run",
}

NN: dict[str, str] = {
    "nn.SyncBatchNorm": f"{_PKG}.sync_batchnorm:SyncBatchNorm",
    "nn.DataParallel": f"{_PKG}.data_parallel:DataParallel",
    "nn.parallel.DataParallel": f"{_PKG}.data_parallel:DataParallel",
    "nn.parallel.data_parallel": f"{_PKG}.data_parallel:data_parallel",
    "nn.parallel.DistributedDataParallel": f"{_PKG}.ddp:DistributedDataParallel",
}


@hookimpl
def ember_register_namespace() -> list[NamespaceEntry]:
    """The public names of ember.distributed, its submodules, and the nn wrappers."""
    out = [NamespaceEntry(f"distributed.{name}", f"{_PKG}.{mod}:{name}")
           for mod, names in DISTRIBUTED.items() for name in names]
    out += [NamespaceEntry(name, target) for name, target in SUBMODULES.items()]
    out += [NamespaceEntry(name, target) for name, target in NN.items()]
    return out


def _mpi(rank: int, world_size: int, **options: Any) -> Any:
    from .engines import make_mpi_engine

    return make_mpi_engine(rank, world_size, **options)


def _nccl(rank: int, world_size: int, **options: Any) -> Any:
    from .engines import make_nccl_engine

    return make_nccl_engine(rank, world_size, **options)


@hookimpl
def ember_register_comm_backends() -> list[CommBackendSpec]:
    """The engines: ``mpi`` (and its alias ``gloo``) for cpu tensors, ``nccl`` for cuda."""
    return [CommBackendSpec("mpi", _mpi, ("cpu",)),
            CommBackendSpec("gloo", _mpi, ("cpu",)),
            CommBackendSpec("nccl", _nccl, ("cuda",))]
