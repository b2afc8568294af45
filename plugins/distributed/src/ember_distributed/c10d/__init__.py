"""``ember.distributed``: process groups and collectives, as torch.distributed has them.

One default process group per process, made by :func:`init_process_group`; subgroups come
from :func:`new_group`. Every collective takes torch's arguments, checks them with torch's
exception types and messages, hands contiguous arrays to the group's engine (MPI for cpu
tensors, NCCL for cuda tensors; engines come from plugins through
``ember_register_comm_backends``) and returns ``None``, or a :class:`Work` handle when
``async_op=True``. Waits run against the group's timeout and raise instead of hanging.

This package is the public surface; the implementation sits in private modules:
``_process_group`` (names, groups, init/destroy, rank queries), ``_rendezvous`` (how
``init_process_group`` finds its engine, rank and size), ``_collectives``, ``_p2p`` (point
to point), ``_objects`` (pickled Python objects), and their shared ``_checks`` (arguments,
with torch's messages) and ``_buffers`` (tensors to engine arrays and back).
"""

from __future__ import annotations

from .. import plugin as _plugin
from ..work import DistBackendError, Work
from ._collectives import (
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    all_to_all_single,
    barrier,
    broadcast,
    gather,
    monitored_barrier,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
)
from ._objects import all_gather_object, broadcast_object_list
from ._p2p import P2POp, batch_isend_irecv, irecv, isend, recv, send
from ._process_group import (
    Backend,
    GroupMember,
    ProcessGroup,
    RedOpType,
    ReduceOp,
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_global_rank,
    get_group_rank,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    is_torchelastic_launched,
    new_group,
)

#: the names ``ember.distributed`` takes from here (listed once, in the plugin's entry point,
#: which must import nothing heavy), and DistBackendError
__all__ = [*_plugin.DISTRIBUTED["c10d"], "DistBackendError"]
