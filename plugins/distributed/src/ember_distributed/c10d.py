"""``ember.distributed``: process groups and collectives, as torch.distributed has them.

One default process group per process, made by :func:`init_process_group`; subgroups come
from :func:`new_group`. Every collective takes torch's arguments, checks them with torch's
exception types and messages, hands contiguous arrays to the group's engine (MPI for cpu
tensors, NCCL for cuda tensors; engines come from plugins through
``ember_register_comm_backends``) and returns ``None``, or a :class:`Work` handle when
``async_op=True``. Waits run against the group's timeout and raise instead of hanging.
"""

from __future__ import annotations

import enum
import os
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np

import ember
from ember import Tensor

from .work import DistBackendError, Work

__all__ = ["ReduceOp", "Backend", "ProcessGroup", "GroupMember", "group", "P2POp",
           "default_pg_timeout", "init_process_group", "destroy_process_group",
           "is_initialized", "is_mpi_available", "is_nccl_available",
           "is_gloo_available", "is_torchelastic_launched", "get_rank", "get_world_size",
           "get_backend", "new_group", "get_group_rank", "get_global_rank",
           "get_process_group_ranks", "all_reduce", "broadcast", "all_gather",
           "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "reduce",
           "gather", "scatter", "all_to_all_single", "barrier", "send", "recv", "isend",
           "irecv", "batch_isend_irecv", "all_gather_object", "broadcast_object_list",
           "monitored_barrier"]

#: the default deadline of every wait (torch's default for cpu process groups)
default_pg_timeout = timedelta(minutes=30)


# ---------------------------------------------------------------------------------------
# Reduction operations and backend names
# ---------------------------------------------------------------------------------------


class RedOpType(enum.Enum):
    """The element-wise reductions collectives can apply."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7

    def __repr__(self) -> str:
        return f"<RedOpType.{self.name}: {self.value}>"

    def __str__(self) -> str:
        return f"RedOpType.{self.name}"


class ReduceOp:
    """The reductions of ``all_reduce``, ``reduce`` and ``reduce_scatter``.

    ``ReduceOp.SUM``, ``AVG`` (sum divided by the group size), ``PRODUCT``, ``MIN``,
    ``MAX`` and the bitwise ``BAND``, ``BOR``, ``BXOR`` (integer tensors).
    """

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


class Backend(str):
    """A backend name, lower-cased: ``Backend("MPI") == "mpi"``; constants ``Backend.MPI``,
    ``Backend.GLOO`` (an alias of the MPI engine here) and ``Backend.NCCL``."""

    UNDEFINED = "undefined"
    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"

    def __new__(cls, name: str) -> Backend:
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: "
                             f"{type(name)}")
        return super().__new__(cls, name.lower())


#: backend names served by another engine
_ALIASES = {"gloo": "mpi"}


# ---------------------------------------------------------------------------------------
# Process groups
# ---------------------------------------------------------------------------------------


class ProcessGroup:
    """A set of ranks that run collectives together, with the engine that moves the data.

    Args:
        engine: the communication engine (its ``rank`` and ``size`` are this group's).
        backend: the backend name it was made with.
        ranks: the global rank of each group rank.
        timeout: the default deadline of every wait on this group.
    """

    def __init__(self, engine: Any, backend: str, ranks: list[int],
                 timeout: timedelta, device_types: tuple[str, ...] = ("cpu",)) -> None:
        self.engine = engine
        self.backend = Backend(backend)
        self.ranks = ranks
        self.timeout = timeout
        self.device_types = device_types
        self._p2p_tag = 0

    def rank(self) -> int:
        """This process's rank in the group."""
        return int(self.engine.rank)

    def size(self) -> int:
        """The number of ranks in the group."""
        return int(self.engine.size)

    def name(self) -> str:
        """The backend's name."""
        return str(self.backend)

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self.backend}, rank={self.rank()}, size={self.size()})"

    def _describe(self) -> str:
        return f"rank {self.rank()} of {self.size()}, backend {self.backend}"

    def _run(self, name: str, requests: list[Any], finish: Callable[[], Any] | None,
             async_op: bool, cancel_on_timeout: bool = False) -> Work | None:
        work = Work(self.engine, requests, finish, name, self.timeout, self._describe(),
                    cancel_on_timeout)
        if async_op:
            return work
        work.wait()
        return None


class GroupMember:
    """``GroupMember.WORLD`` is the default group (``None`` before init);
    ``GroupMember.NON_GROUP_MEMBER`` is what ``new_group`` returns on a process outside the
    group."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = object()


class _GroupNamespace:
    """``ember.distributed.group.WORLD``: the default process group."""

    @property
    def WORLD(self) -> ProcessGroup | None:  # noqa: N802  (torch's name)
        return GroupMember.WORLD


group = _GroupNamespace()

_groups: list[ProcessGroup] = []


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


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: timedelta | None = None, world_size: int = -1,
                       rank: int = -1, store: Any = None, group_name: str = "",
                       pg_options: Any = None, device_id: Any = None,
                       _ranks: list[int] | None = None) -> None:
    """Join the default process group.

    The ranks are the processes of the MPI world (started by ``python -m
    ember_distributed.run`` or ``mpiexec``). ``init_method="env://"`` (the default when
    ``RANK`` is set) reads ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``
    and checks them against that world.

    Args:
        backend: ``"mpi"`` (cpu tensors; ``"gloo"`` is an alias), ``"nccl"`` (cuda tensors),
            or torch's ``"cpu:gloo,cuda:nccl"`` form; default ``"mpi"``.
        init_method: ``"env://"``, ``"tcp://host:port"``, ``"file://path"`` or None.
        timeout: the deadline of every wait on this group (default 30 minutes).
        world_size: the number of processes (-1: from the environment or the MPI world).
        rank: this process's rank (-1: from the environment or the MPI world).
        store: unsupported here beyond ``None`` (the MPI world is the rendezvous).
        group_name, pg_options, device_id, _ranks: accepted for torch compatibility.

    Raises:
        ValueError: a missing environment variable, or a rank/size the world does not have.
        RuntimeError: called twice, or the engine is unavailable.
    """
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None and init_method is not None:
        raise AssertionError("Cannot specify both init_method and store.")
    if timeout is not None and not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{type(timeout)}")
    name = Backend(backend or Backend.MPI)
    spec = _engine_spec(_engine_name(name))
    rank, world_size = _rendezvous(init_method, rank, world_size)
    if world_size != -1 and world_size <= 0:
        raise ValueError(f"world_size must be positive, got {world_size}")
    if rank != -1 and world_size != -1 and not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} is out of range for world_size {world_size}")
    engine = spec.factory(rank, world_size)
    pg = ProcessGroup(engine, name, list(range(engine.size)), timeout or default_pg_timeout,
                      spec.device_types)
    GroupMember.WORLD = pg
    _groups.append(pg)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave ``group`` (default: every group, including the default one).

    Raises:
        AssertionError: there is no default group to destroy (as torch).
        ValueError: ``group`` is not a live process group.
    """
    if group is GroupMember.NON_GROUP_MEMBER:
        return
    if group is None and GroupMember.WORLD is None:
        raise AssertionError("destroy_process_group: the default process group has not been "
                             "initialized")
    if group is None or group is GroupMember.WORLD:
        for pg in reversed(_groups):
            if pg is not GroupMember.WORLD:
                pg.engine.free()
        _groups.clear()
        GroupMember.WORLD = None
        return
    if group not in _groups:
        raise ValueError("Invalid process group specified")
    _groups.remove(group)
    group.engine.free()


def is_initialized() -> bool:
    """Whether the default process group exists."""
    return GroupMember.WORLD is not None


def is_mpi_available() -> bool:
    """Whether the MPI engine can run (mpi4py is installed)."""
    from ._mpi import mpi_available

    return mpi_available()


def is_gloo_available() -> bool:
    """Whether ``backend="gloo"`` can run (here an alias of the MPI engine)."""
    return is_mpi_available()


def is_nccl_available() -> bool:
    """Whether the NCCL library can be found (see ``ember_distributed.nccl``)."""
    from .nccl import find_nccl_library

    try:
        find_nccl_library()
    except RuntimeError:
        return False
    return True


def is_torchelastic_launched() -> bool:
    """Whether this process was started by the launcher (``python -m ember_distributed.run``
    sets ``TORCHELASTIC_RUN_ID``)."""
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def _default() -> ProcessGroup:
    if GroupMember.WORLD is None:
        raise ValueError("Default process group has not been initialized, please make sure "
                         "to call init_process_group.")
    return GroupMember.WORLD


def _resolve(group: Any) -> ProcessGroup | None:
    if group is None or group is GroupMember.WORLD:
        return _default()
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup, got {type(group).__name__}")
    return group


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (default group); -1 outside the group."""
    pg = _resolve(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of ranks in ``group`` (default group); -1 outside the group."""
    pg = _resolve(group)
    return -1 if pg is None else pg.size()


def get_backend(group: ProcessGroup | None = None) -> Backend:
    """The backend name of ``group`` (default group)."""
    pg = _resolve(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return pg.backend


def new_group(ranks: list[int] | None = None, timeout: timedelta | None = None,
              backend: str | None = None, pg_options: Any = None,
              use_local_synchronization: bool = False, group_desc: str | None = None,
              device_id: Any = None, sort_ranks: bool = True) -> Any:
    """Make a process group of some ranks; every rank of the default group must call it.

    Args:
        ranks: the global ranks of the group (default: all); group rank ``i`` is the
            ``i``-th of them, sorted unless ``sort_ranks=False``.
        timeout: the group's wait deadline (default: the default group's).
        backend: must match the default group's engine here.

    Returns:
        The new group, or ``GroupMember.NON_GROUP_MEMBER`` on ranks not in it.
    """
    world = _default()
    size = world.size()
    members = list(range(size) if ranks is None else ranks)
    if sort_ranks:
        members.sort()
    if len(set(members)) != len(members):
        raise ValueError(f"ranks must be unique, got {ranks}")
    for r in members:
        if not 0 <= r < size:
            raise ValueError(f"The new group's rank should be within the world_size set by "
                             f"init_process_group: got rank {r} for world_size {size}")
    if backend is not None and _ALIASES.get(Backend(backend), Backend(backend)) != \
            _ALIASES.get(world.backend, world.backend):
        raise ValueError(f"new_group: backend {backend!r} differs from the default group's "
                         f"({world.backend}); ember runs one engine per process")
    engine = world.engine.split(members)
    if engine is None:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(engine, world.backend, members, timeout or world.timeout,
                      world.device_types)
    _groups.append(pg)
    return pg


def get_process_group_ranks(group: ProcessGroup | None) -> list[int]:
    """The global ranks of ``group``, in group-rank order."""
    pg = _resolve(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return list(pg.ranks)


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    """The rank in ``group`` of global rank ``global_rank`` (ValueError if not a member)."""
    pg = _resolve(group)
    if pg is None or global_rank not in pg.ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return pg.ranks.index(global_rank)


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    """The global rank of rank ``group_rank`` of ``group`` (ValueError if out of range)."""
    pg = _resolve(group)
    if pg is None or not 0 <= group_rank < len(pg.ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return pg.ranks[group_rank]


# ---------------------------------------------------------------------------------------
# Argument checks (torch's messages)
# ---------------------------------------------------------------------------------------


def _check_single_tensor(param: Any, param_name: str) -> None:
    if not isinstance(param, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{param_name}` of "
                        f"type torch.Tensor\n             but got {type(param)} instead.")


def _check_tensor_list(param: Any, param_name: str) -> None:
    if not isinstance(param, list):
        raise TypeError(f"Invalid function argument. Expected parameter `{param_name}` of "
                        f"type List[torch.Tensor]\n             but got {type(param)} instead.")
    if not all(isinstance(p, Tensor) for p in param):
        raise TypeError(f"Invalid function argument. Expected parameter `{param_name}` of "
                        f"type List[torch.Tensor]\n             but got {type(param)} with "
                        f"elements of type {[type(p) for p in param]}.")


def _check_same_dtype(*groups: Any) -> None:
    tensors = [t for g in groups for t in (g if isinstance(g, list) else [g])]
    for t in tensors[1:]:
        if t.dtype != tensors[0].dtype:
            raise ValueError(f"Invalid usage of tensors with different dtypesFound "
                             f"{tensors[0].dtype} and  {t.dtype}")


def _check_op(op: Any, name: str) -> RedOpType:
    if not isinstance(op, RedOpType):
        raise TypeError(f"{name}(): incompatible function arguments: op must be a "
                        f"torch.distributed.ReduceOp, got {op!r}")
    return op


def _check_rank(pg: ProcessGroup, name: str, what: str, rank: int) -> int:
    """Global rank -> group rank, with the engine's range check."""
    if not isinstance(rank, int) or isinstance(rank, bool):
        raise TypeError(f"{name}(): {what} rank must be an int, got {type(rank).__name__}")
    if rank not in pg.ranks:
        raise RuntimeError(f"ProcessGroup{pg.backend.upper()}::{name}: invalid {what} rank: "
                           f"{rank}")
    return pg.ranks.index(rank)


def _peer_rank(pg: ProcessGroup, peer: int | None, group_peer: int | None, name: str,
               what: str) -> int:
    if peer is not None and group_peer is not None:
        raise ValueError("Can't specify both group_rank and global_rank")
    if group_peer is not None:
        peer = get_global_rank(pg, group_peer)
    if peer is None:
        raise ValueError("Must specify global_rank or group_rank")
    return _check_rank(pg, name, what, peer)


# ---------------------------------------------------------------------------------------
# Buffers: tensors <-> contiguous arrays the engines accept
# ---------------------------------------------------------------------------------------

_NATIVE = {np.dtype(t) for t in (np.float32, np.float64, np.int8, np.int16, np.int32,
                                 np.int64, np.uint8, np.uint16, np.uint32, np.uint64)}


class _Buf:
    """A contiguous engine buffer for a tensor, written back into it by ``store``."""

    def __init__(self, pg: ProcessGroup, t: Tensor, name: str, copy_in: bool = True) -> None:
        if t.device.type not in pg.device_types:
            raise RuntimeError(f"No backend type associated with device type {t.device.type}")
        self.tensor = t
        if t.device.type != "cpu":
            # device engines (NCCL) move the backend's own contiguous array in place
            data = t.detach()._data
            if not data.flags.c_contiguous:
                raise ValueError("Tensors must be contiguous")
            self.view = self.arr = data
            self.kind, self.shared = "native", True
            return
        self.view = t.detach().numpy()
        dtype = self.view.dtype
        work_dtype: np.dtype[Any]
        if dtype == np.bool_:
            self.kind = "bool"
            work_dtype = np.dtype(np.uint8)
        elif dtype in _NATIVE:
            self.kind = "native"
            work_dtype = dtype
        elif dtype.kind == "f" or dtype.itemsize == 2:
            self.kind = "wide"
            work_dtype = np.dtype(np.float32)
        else:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        same = work_dtype == dtype and self.view.flags.c_contiguous
        if same:
            self.arr = self.view
        elif copy_in:
            self.arr = np.ascontiguousarray(self.view, dtype=work_dtype)
        else:
            self.arr = np.empty(self.view.shape, dtype=work_dtype)
        self.shared = same

    def op_name(self, op: RedOpType) -> str:
        """The engine reduction for ``op`` on this buffer (bool: SUM is OR, PRODUCT AND)."""
        if op is RedOpType.AVG:
            op = RedOpType.SUM
        if self.kind == "bool":
            return {RedOpType.SUM: "MAX", RedOpType.PRODUCT: "MIN"}.get(op, op.name)
        if self.kind != "bool" and op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) \
                and self.arr.dtype.kind == "f":
            raise RuntimeError(f"Cannot use ReduceOp.{op.name} with a floating-point tensor "
                               f"({self.tensor.dtype})")
        return op.name

    def store(self, avg_over: int = 0) -> None:
        """Write the engine's result back into the tensor (dividing for AVG); like any
        in-place op, this bumps the tensor's version counter."""
        self.tensor._vc.v += 1
        arr = self.arr
        if avg_over:
            if arr.dtype.kind == "f":
                arr /= avg_over
            else:
                arr //= avg_over
        if not self.shared:
            self.view[...] = arr.astype(self.view.dtype, copy=False)


def _flat(pg: ProcessGroup, tensors: list[Tensor], name: str) -> np.ndarray:
    bufs = [_Buf(pg, t, name) for t in tensors]
    dtype = bufs[0].arr.dtype
    return np.concatenate([b.arr.reshape(-1).astype(dtype, copy=False) for b in bufs])


def _unflat(pg: ProcessGroup, flat: np.ndarray, tensors: list[Tensor], name: str) -> None:
    offset = 0
    for t in tensors:
        buf = _Buf(pg, t, name, copy_in=False)
        n = buf.arr.size
        buf.arr[...] = flat[offset:offset + n].reshape(buf.arr.shape)
        buf.store()
        offset += n


def _not_member(name: str) -> None:
    rank = -1 if GroupMember.WORLD is None else GroupMember.WORLD.rank()
    warnings.warn(f"Running {name} on global rank {rank} which does not belong to the given "
                  "group.", stacklevel=3)


# ---------------------------------------------------------------------------------------
# Collectives
# ---------------------------------------------------------------------------------------


def all_reduce(tensor: Tensor, op: RedOpType = ReduceOp.SUM, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` over every rank of ``group``; every rank gets the result in place.

    Args:
        tensor: input and output, same shape and dtype on every rank.
        op: a :class:`ReduceOp` (``AVG`` is the sum divided by the group size).
        group: the process group (default group if None).
        async_op: return a :class:`Work` handle instead of waiting.
    """
    _check_single_tensor(tensor, "tensor")
    op = _check_op(op, "all_reduce")
    pg = _resolve(group)
    if pg is None:
        _not_member("all_reduce")
        return None
    buf = _Buf(pg, tensor, "all_reduce")
    req = pg.engine.allreduce(buf.arr, buf.op_name(op))
    avg = pg.size() if op is RedOpType.AVG else 0

    def finish() -> list[Tensor]:
        buf.store(avg)
        return [tensor]

    return pg._run("all_reduce", [req], finish, async_op)


def reduce(tensor: Tensor, dst: int | None = None, op: RedOpType = ReduceOp.SUM,
           group: Any = None, async_op: bool = False, group_dst: int | None = None
           ) -> Work | None:
    """Reduce ``tensor`` over the group into rank ``dst``'s ``tensor`` (others unchanged)."""
    _check_single_tensor(tensor, "tensor")
    op = _check_op(op, "reduce")
    pg = _resolve(group)
    if pg is None:
        _not_member("reduce")
        return None
    root = _peer_rank(pg, dst, group_dst, "reduce", "root")
    buf = _Buf(pg, tensor, "reduce")
    req = pg.engine.reduce(buf.arr, buf.op_name(op), root)
    is_root = root == pg.rank()
    avg = pg.size() if op is RedOpType.AVG else 0

    def finish() -> list[Tensor]:
        if is_root:
            buf.store(avg)
        return [tensor]

    return pg._run("reduce", [req], finish, async_op)


def broadcast(tensor: Tensor, src: int | None = None, group: Any = None,
              async_op: bool = False, group_src: int | None = None) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank of the group."""
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        _not_member("broadcast")
        return None
    root = _peer_rank(pg, src, group_src, "broadcast", "root")
    buf = _Buf(pg, tensor, "broadcast")
    req = pg.engine.bcast(buf.arr, root)

    def finish() -> list[Tensor]:
        buf.store()
        return [tensor]

    return pg._run("broadcast", [req], finish, async_op)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Gather ``tensor`` from every rank into ``tensor_list`` (one tensor per rank)."""
    _check_tensor_list(tensor_list, "tensor_list")
    _check_single_tensor(tensor, "tensor")
    _check_same_dtype(tensor_list, tensor)
    pg = _resolve(group)
    if pg is None:
        _not_member("all_gather")
        return None
    name = f"ProcessGroup{pg.backend.upper()}::allgather"
    if len(tensor_list) != pg.size():
        raise RuntimeError(f"{name}: invalid output tensor list at index 0 (expected length "
                           f"{pg.size()}, got {len(tensor_list)})")
    for t in tensor_list:
        if tuple(t.shape) != tuple(tensor.shape):
            raise RuntimeError(f"{name}: invalid tensor size at index 0 (expected "
                               f"{_fmt(tensor.shape)}, got {_fmt(t.shape)})")
    send = _Buf(pg, tensor, "all_gather")
    recv = np.empty((pg.size(), *send.arr.shape), dtype=send.arr.dtype)
    req = pg.engine.allgather(send.arr, recv)

    def finish() -> list[Tensor]:
        _unflat(pg, recv.reshape(-1), tensor_list, "all_gather")
        return tensor_list

    return pg._run("all_gather", [req], finish, async_op)


def _fmt(shape: Any) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group: Any = None,
                           async_op: bool = False) -> Work | None:
    """Gather ``input_tensor`` from every rank into ``output_tensor``, concatenated along dim
    0 (or stacked, if ``output_tensor`` has one more dim of size world_size)."""
    _check_single_tensor(input_tensor, "input_tensor")
    _check_single_tensor(output_tensor, "output_tensor")
    _check_same_dtype(output_tensor, input_tensor)
    pg = _resolve(group)
    if pg is None:
        _not_member("all_gather_into_tensor")
        return None
    if output_tensor.numel() != input_tensor.numel() * pg.size():
        raise ValueError(f"all_gather_into_tensor: output tensor size must be equal to "
                         f"world_size times input tensor size (output {output_tensor.numel()}"
                         f" elements, input {input_tensor.numel()}, world_size {pg.size()})")
    send = _Buf(pg, input_tensor, "all_gather_into_tensor")
    out = _Buf(pg, output_tensor, "all_gather_into_tensor", copy_in=False)
    req = pg.engine.allgather(send.arr, out.arr)

    def finish() -> list[Tensor]:
        out.store()
        return [output_tensor]

    return pg._run("all_gather_into_tensor", [req], finish, async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: RedOpType = ReduceOp.SUM,  # noqa: A002
                          group: Any = None, async_op: bool = False) -> Work | None:
    """Reduce ``input`` over the group and give rank ``r`` its ``r``-th block in ``output``
    (``input`` holds world_size blocks of ``output``'s size, along dim 0)."""
    _check_single_tensor(output, "output")
    _check_single_tensor(input, "input")
    _check_same_dtype(output, input)
    op = _check_op(op, "reduce_scatter_tensor")
    pg = _resolve(group)
    if pg is None:
        _not_member("reduce_scatter_tensor")
        return None
    if input.numel() != output.numel() * pg.size():
        raise ValueError(f"reduce_scatter_tensor: input tensor size must be equal to "
                         f"world_size times output tensor size (input {input.numel()} "
                         f"elements, output {output.numel()}, world_size {pg.size()})")
    send = _Buf(pg, input, "reduce_scatter_tensor")
    out = _Buf(pg, output, "reduce_scatter_tensor", copy_in=False)
    req = pg.engine.reduce_scatter(send.arr, out.arr, send.op_name(op))
    avg = pg.size() if op is RedOpType.AVG else 0

    def finish() -> list[Tensor]:
        out.store(avg)
        return [output]

    return pg._run("reduce_scatter_tensor", [req], finish, async_op)


def reduce_scatter(output: Tensor, input_list: list[Tensor], op: RedOpType = ReduceOp.SUM,
                   group: Any = None, async_op: bool = False) -> Work | None:
    """Reduce the ``r``-th tensor of ``input_list`` over the group into rank ``r``'s
    ``output``."""
    _check_single_tensor(output, "output")
    _check_tensor_list(input_list, "input_list")
    _check_same_dtype(input_list, output)
    op = _check_op(op, "reduce_scatter")
    pg = _resolve(group)
    if pg is None:
        _not_member("reduce_scatter")
        return None
    if len(input_list) != pg.size():
        raise ValueError(f"reduce_scatter: input_list must hold world_size ({pg.size()}) "
                         f"tensors, got {len(input_list)}")
    for t in input_list:
        if tuple(t.shape) != tuple(output.shape):
            raise ValueError(f"reduce_scatter: every input must have the output's shape "
                             f"{_fmt(output.shape)}, got {_fmt(t.shape)}")
    send = _flat(pg, input_list, "reduce_scatter")
    out = _Buf(pg, output, "reduce_scatter", copy_in=False)
    req = pg.engine.reduce_scatter(send, out.arr, out.op_name(op))
    avg = pg.size() if op is RedOpType.AVG else 0

    def finish() -> list[Tensor]:
        out.store(avg)
        return [output]

    return pg._run("reduce_scatter", [req], finish, async_op)


def gather(tensor: Tensor, gather_list: list[Tensor] | None = None, dst: int | None = None,
           group: Any = None, async_op: bool = False, group_dst: int | None = None
           ) -> Work | None:
    """Gather ``tensor`` from every rank into ``gather_list`` on rank ``dst`` (default 0);
    other ranks pass ``gather_list=None``."""
    _check_single_tensor(tensor, "tensor")
    if gather_list is not None:
        _check_tensor_list(gather_list, "gather_list")
    pg = _resolve(group)
    if pg is None:
        _not_member("gather")
        return None
    if dst is None and group_dst is None:
        dst = 0 if group is None else pg.ranks[0]
    root = _peer_rank(pg, dst, group_dst, "gather", "root")
    is_root = root == pg.rank()
    if is_root:
        if not gather_list:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        if len(gather_list) != pg.size():
            raise RuntimeError(f"ProcessGroup{pg.backend.upper()}::gather: Incorrect output "
                               f"list size {len(gather_list)}. Output list size should be "
                               f"{pg.size()}, same as size of the process group.")
        _check_same_dtype(gather_list, tensor)
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                         "ranks.")
    send = _Buf(pg, tensor, "gather")
    recv = np.empty((pg.size(), *send.arr.shape), dtype=send.arr.dtype) if is_root else None
    req = pg.engine.gather(send.arr, recv, root)

    def finish() -> list[Tensor]:
        if is_root and recv is not None and gather_list:
            _unflat(pg, recv.reshape(-1), gather_list, "gather")
            return gather_list
        return []

    return pg._run("gather", [req], finish, async_op)


def scatter(tensor: Tensor, scatter_list: list[Tensor] | None = None, src: int | None = None,
            group: Any = None, async_op: bool = False, group_src: int | None = None
            ) -> Work | None:
    """Give rank ``r`` the ``r``-th tensor of rank ``src``'s ``scatter_list`` (default src
    0); other ranks pass ``scatter_list=None``."""
    _check_single_tensor(tensor, "tensor")
    if scatter_list is not None:
        _check_tensor_list(scatter_list, "scatter_list")
    pg = _resolve(group)
    if pg is None:
        _not_member("scatter")
        return None
    if src is None and group_src is None:
        src = 0 if group is None else pg.ranks[0]
    root = _peer_rank(pg, src, group_src, "scatter", "root")
    is_root = root == pg.rank()
    if is_root:
        if not scatter_list:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        if len(scatter_list) != pg.size():
            raise RuntimeError(f"ProcessGroup{pg.backend.upper()}::scatter: Incorrect input "
                               f"list size {len(scatter_list)}. Input list size should be "
                               f"{pg.size()}, same as size of the process group.")
        _check_same_dtype(scatter_list, tensor)
        for t in scatter_list:
            if tuple(t.shape) != tuple(tensor.shape):
                raise RuntimeError(f"ProcessGroup{pg.backend.upper()}::scatter: invalid "
                                   f"tensor size (expected {_fmt(tensor.shape)}, got "
                                   f"{_fmt(t.shape)})")
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    out = _Buf(pg, tensor, "scatter", copy_in=False)
    send = _flat(pg, scatter_list, "scatter") if is_root and scatter_list else None
    if send is not None:
        send = send.astype(out.arr.dtype, copy=False)
    req = pg.engine.scatter(send, out.arr, root)

    def finish() -> list[Tensor]:
        out.store()
        return [tensor]

    return pg._run("scatter", [req], finish, async_op)


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes: Any = None,  # noqa: A002
                      input_split_sizes: Any = None, group: Any = None,
                      async_op: bool = False) -> Work | None:
    """Split ``input`` into world_size equal blocks along dim 0, send block ``j`` to rank
    ``j``, and concatenate the blocks received into ``output`` (equal splits only)."""
    _check_single_tensor(output, "output")
    _check_single_tensor(input, "input")
    pg = _resolve(group)
    if pg is None:
        _not_member("all_to_all_single")
        return None
    if output_split_sizes or input_split_sizes:
        raise ValueError("all_to_all_single: uneven split sizes are not supported by the MPI "
                         "engine; pass equal blocks")
    if input.shape[0] % pg.size() or input.numel() != output.numel():
        raise ValueError("all_to_all_single: input and output must have equal sizes whose "
                         f"dim 0 divides by world_size {pg.size()}")
    send = _Buf(pg, input, "all_to_all_single")
    out = _Buf(pg, output, "all_to_all_single", copy_in=False)
    req = pg.engine.alltoall(send.arr, out.arr)

    def finish() -> list[Tensor]:
        out.store()
        return [output]

    return pg._run("all_to_all_single", [req], finish, async_op)


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None,
            timeout: timedelta | None = None) -> Work | None:
    """Block until every rank of the group has entered the barrier (or raise after
    ``timeout``, default the group's)."""
    pg = _resolve(group)
    if pg is None:
        _not_member("barrier")
        return None
    work = Work(pg.engine, [pg.engine.barrier()], None, "barrier", timeout or pg.timeout,
                pg._describe())
    if async_op:
        return work
    work.wait()
    return None


def monitored_barrier(group: Any = None, timeout: timedelta | None = None,
                      wait_all_ranks: bool = False) -> None:
    """A barrier that raises :class:`DistBackendError` after ``timeout`` (default: the
    group's)."""
    pg = _resolve(group)
    if pg is None:
        _not_member("monitored_barrier")
        return
    work = Work(pg.engine, [pg.engine.barrier()], None, "monitored_barrier", pg.timeout,
                pg._describe())
    work.wait(timeout)


# ---------------------------------------------------------------------------------------
# Point to point
# ---------------------------------------------------------------------------------------


def _check_p2p(pg: ProcessGroup, peer: int, name: str, what: str) -> int:
    group_peer = _check_rank(pg, name, what, peer)
    if group_peer == pg.rank():
        raise ValueError(f"Invalid {what} rank: {what} rank should not be the same as the "
                         "rank of the current process.")
    return group_peer


def isend(tensor: Tensor, dst: int | None = None, group: Any = None, tag: int = 0,
          group_dst: int | None = None) -> Work | None:
    """Send ``tensor`` to rank ``dst`` without waiting; returns a :class:`Work`."""
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        _not_member("isend")
        return None
    if group_dst is not None:
        dst = get_global_rank(pg, group_dst)
    if dst is None:
        raise ValueError("Must specify global_rank or group_rank")
    peer = _check_p2p(pg, dst, "send", "destination")
    buf = _Buf(pg, tensor, "send")
    req = pg.engine.send(buf.arr, peer, tag)
    return pg._run("send", [req], lambda: [tensor] if buf else [], True,
                   cancel_on_timeout=True)


def irecv(tensor: Tensor, src: int | None = None, group: Any = None, tag: int = 0,
          group_src: int | None = None) -> Work | None:
    """Receive into ``tensor`` from rank ``src`` (any rank when None) without waiting."""
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        _not_member("irecv")
        return None
    if group_src is not None:
        src = get_global_rank(pg, group_src)
    peer = None if src is None else _check_p2p(pg, src, "recv", "source")
    buf = _Buf(pg, tensor, "recv", copy_in=False)
    req, status = pg.engine.recv(buf.arr, peer, tag)
    work = Work(pg.engine, [req], None, "recv", pg.timeout, pg._describe(), True)

    def finish() -> list[Tensor]:
        buf.store()
        sender = pg.ranks[int(status.Get_source())]
        work.source_rank = lambda: sender  # type: ignore[attr-defined]
        return [tensor]

    work._finish = finish
    return work


def send(tensor: Tensor, dst: int | None = None, group: Any = None, tag: int = 0,
         group_dst: int | None = None) -> None:
    """Send ``tensor`` to rank ``dst`` and wait until it has been handed over."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor: Tensor, src: int | None = None, group: Any = None, tag: int = 0,
         group_src: int | None = None) -> int:
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender's
    rank (-1 outside the group)."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return int(work.source_rank())  # type: ignore[attr-defined]


class P2POp:
    """One ``isend`` or ``irecv`` for :func:`batch_isend_irecv`."""

    def __init__(self, op: Callable[..., Any], tensor: Tensor, peer: int | None = None,
                 group: Any = None, tag: int = 0, group_peer: int | None = None) -> None:
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type "
                             "``torch.distributed.isend`` or ``torch.distributed.irecv``.")
        _check_single_tensor(tensor, "tensor")
        self.op, self.tensor, self.peer = op, tensor, peer
        self.group, self.tag, self.group_peer = group, tag, group_peer


def batch_isend_irecv(p2p_op_list: list[P2POp]) -> list[Work]:
    """Start every send and receive of ``p2p_op_list``; returns their Work handles."""
    if not isinstance(p2p_op_list, list) or not all(isinstance(p, P2POp)
                                                     for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``torch.distributed.P2POp``.")
    if not all(p.group == p2p_op_list[0].group for p in p2p_op_list):
        raise ValueError("All ops need to use the same group.")
    works = []
    for p in p2p_op_list:
        if p.op is isend:
            work = isend(p.tensor, p.peer, p.group, p.tag, p.group_peer)
        else:
            work = irecv(p.tensor, p.peer, p.group, p.tag, p.group_peer)
        if work is not None:
            works.append(work)
    return works


# ---------------------------------------------------------------------------------------
# Python objects (pickled into byte tensors)
# ---------------------------------------------------------------------------------------


def _to_bytes(obj: Any) -> np.ndarray:
    import pickle

    return np.frombuffer(pickle.dumps(obj), dtype=np.uint8).copy()


def all_gather_object(object_list: list[Any], obj: Any, group: Any = None) -> None:
    """Gather a picklable ``obj`` from every rank into ``object_list`` (world_size long)."""
    import pickle

    pg = _resolve(group)
    if pg is None:
        _not_member("all_gather_object")
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
    import pickle

    pg = _resolve(group)
    if pg is None:
        _not_member("broadcast_object_list")
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


__all__ += ["DistBackendError"]
