"""Process groups: the reduction and backend names, the default group and its subgroups, and
the questions about ranks.

:func:`init_process_group` makes the one default group of a process and
:func:`destroy_process_group` ends it; :func:`new_group` splits off subgroups. Every group
keeps its engine, its ranks and the deadline of its waits. ``_member`` turns the ``group``
argument of an operation into the group it runs on, and ``ProcessGroup._run`` ends it: a
:class:`Work` handle, or a wait.
"""

from __future__ import annotations

import enum
import os
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ..work import Work
from ._rendezvous import _engine_name, _engine_spec, _rendezvous

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

    def _work(self, name: str, requests: list[Any], finish: Callable[[], Any] | None = None,
              timeout: timedelta | None = None, cancel_on_timeout: bool = False) -> Work:
        """A :class:`Work` over the engine ``requests`` of operation ``name``, waiting against
        ``timeout`` (default: this group's); ``finish`` runs once they complete."""
        return Work(self.engine, requests, finish, name, timeout or self.timeout,
                    self._describe(), cancel_on_timeout)

    def _run(self, name: str, requests: list[Any], finish: Callable[[], Any] | None,
             async_op: bool, timeout: timedelta | None = None) -> Work | None:
        """How every collective ends: its :class:`Work` when ``async_op``, else wait for it
        and return None."""
        work = self._work(name, requests, finish, timeout)
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
    from .._mpi import mpi_available

    return mpi_available()


def is_gloo_available() -> bool:
    """Whether ``backend="gloo"`` can run (here an alias of the MPI engine)."""
    return is_mpi_available()


def is_nccl_available() -> bool:
    """Whether the NCCL library can be found (see ``ember_distributed.nccl``)."""
    from ..nccl import find_nccl_library

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
    """The default group (ValueError before :func:`init_process_group`)."""
    if GroupMember.WORLD is None:
        raise ValueError("Default process group has not been initialized, please make sure "
                         "to call init_process_group.")
    return GroupMember.WORLD


def _resolve(group: Any) -> ProcessGroup | None:
    """The group a ``group`` argument names: None is the default group; None comes back on
    a process outside the group."""
    if group is None or group is GroupMember.WORLD:
        return _default()
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup, got {type(group).__name__}")
    return group


def _member(group: Any, name: str) -> ProcessGroup | None:
    """The group the operation ``name`` runs on, as :func:`_resolve`; on a process outside
    it, None and torch's warning, attributed to the line that called the operation."""
    pg = _resolve(group)
    if pg is None:
        rank = -1 if GroupMember.WORLD is None else GroupMember.WORLD.rank()
        warnings.warn(f"Running {name} on global rank {rank} which does not belong to the "
                      "given group.", stacklevel=3)
    return pg


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
