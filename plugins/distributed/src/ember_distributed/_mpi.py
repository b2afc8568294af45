"""The MPI engine: collectives on cpu tensors through mpi4py.

The engine works on contiguous numpy arrays and returns MPI requests; it never blocks.
:mod:`ember_distributed.c10d` turns tensors into arrays, wraps the requests in
:class:`~ember_distributed.work.Work` handles and waits on them with a deadline, so that
a peer that never arrives makes the wait raise instead of hanging.

Every operation is a non-blocking MPI call (``Iallreduce``, ``Ibcast``, ...), issued in the
same order on every rank of a communicator, as MPI requires.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["MPIEngine", "mpi_available", "mpi_world"]


def mpi_available() -> bool:
    """Whether mpi4py (and an MPI library under it) can be imported."""
    try:
        from mpi4py import MPI  # noqa: F401
    except ImportError:
        return False
    return True


def _import_mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise RuntimeError("the 'mpi' backend needs mpi4py and an MPI library: "
                           "pip install 'ember-distributed[mpi]' (mpi4py, mpich)") from exc
    return MPI


def mpi_world() -> tuple[int, int]:
    """(rank, size) of the MPI world this process belongs to (initializing MPI)."""
    MPI = _import_mpi()
    comm = MPI.COMM_WORLD
    return comm.Get_rank(), comm.Get_size()


class MPIEngine:
    """Non-blocking collectives and point-to-point transfers on one MPI communicator.

    Args:
        comm: the mpi4py communicator (``MPI.COMM_WORLD`` or one made by ``split``).
    """

    def __init__(self, comm: Any) -> None:
        self.MPI = _import_mpi()
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        MPI = self.MPI
        self._status: dict[int, Any] = {}
        self._ops = {"SUM": MPI.SUM, "PRODUCT": MPI.PROD, "MIN": MPI.MIN, "MAX": MPI.MAX,
                     "BAND": MPI.BAND, "BOR": MPI.BOR, "BXOR": MPI.BXOR}

    # -- helpers ------------------------------------------------------------------------
    def mpi_op(self, name: str) -> Any:
        """The MPI reduction for a ReduceOp name (``"SUM"``, ``"MAX"``, ...)."""
        return self._ops[name]

    def split(self, ranks: list[int]) -> MPIEngine | None:
        """A new engine over ``ranks`` (collective over this communicator); ``None`` on a
        process that is not one of them."""
        member = self.rank in ranks
        color = 0 if member else self.MPI.UNDEFINED
        key = ranks.index(self.rank) if member else 0
        sub = self.comm.Split(color, key)
        if sub == self.MPI.COMM_NULL:
            return None
        return MPIEngine(sub)

    def test(self, requests: list[Any]) -> bool:
        """Whether every request has completed (drives MPI progress); the status of a
        completed receive is kept for the receive's ``Get_source``."""
        statuses = [self._status.get(id(r)) or self.MPI.Status() for r in requests]
        return bool(self.MPI.Request.Testall(requests, statuses))

    def cancel(self, requests: list[Any]) -> None:
        """Cancel the pending point-to-point requests of a timed-out wait."""
        for req in requests:
            if req != self.MPI.REQUEST_NULL:
                try:
                    req.Cancel()
                    req.Free()
                except self.MPI.Exception:
                    pass

    def free(self) -> None:
        """Release the communicator (not the world's)."""
        if self.comm != self.MPI.COMM_WORLD:
            self.comm.Free()

    # -- collectives (arrays are C-contiguous numpy arrays) -----------------------------
    def allreduce(self, buf: np.ndarray, op: str) -> Any:
        """In-place all-reduce of ``buf``."""
        return self.comm.Iallreduce(self.MPI.IN_PLACE, buf, op=self.mpi_op(op))

    def reduce(self, buf: np.ndarray, op: str, root: int) -> Any:
        """Reduce ``buf`` into rank ``root``'s ``buf`` (in place there)."""
        if self.rank == root:
            return self.comm.Ireduce(self.MPI.IN_PLACE, buf, op=self.mpi_op(op), root=root)
        return self.comm.Ireduce(buf, None, op=self.mpi_op(op), root=root)

    def bcast(self, buf: np.ndarray, root: int) -> Any:
        """Broadcast ``buf`` from ``root`` into everyone's ``buf``."""
        return self.comm.Ibcast(buf, root=root)

    def allgather(self, send: np.ndarray, recv: np.ndarray) -> Any:
        """Gather ``send`` of every rank into ``recv`` (``size`` times as long)."""
        return self.comm.Iallgather(send, recv)

    def reduce_scatter(self, send: np.ndarray, recv: np.ndarray, op: str) -> Any:
        """Reduce ``send`` (``size`` equal blocks) and leave block ``rank`` in ``recv``."""
        return self.comm.Ireduce_scatter_block(send, recv, op=self.mpi_op(op))

    def gather(self, send: np.ndarray, recv: np.ndarray | None, root: int) -> Any:
        """Gather ``send`` into ``recv`` on ``root``."""
        return self.comm.Igather(send, recv, root=root)

    def scatter(self, send: np.ndarray | None, recv: np.ndarray, root: int) -> Any:
        """Scatter the blocks of ``send`` on ``root`` into each rank's ``recv``."""
        return self.comm.Iscatter(send, recv, root=root)

    def alltoall(self, send: np.ndarray, recv: np.ndarray) -> Any:
        """Block ``j`` of ``send`` goes to rank ``j``; ``recv`` gets one block per rank."""
        return self.comm.Ialltoall(send, recv)

    def barrier(self) -> Any:
        """A request that completes when every rank has entered the barrier."""
        return self.comm.Ibarrier()

    def send(self, buf: np.ndarray, dst: int, tag: int) -> Any:
        """Send ``buf`` to ``dst``."""
        return self.comm.Isend(buf, dest=dst, tag=tag)

    def recv(self, buf: np.ndarray, src: int | None, tag: int) -> tuple[Any, Any]:
        """Receive into ``buf`` from ``src`` (any rank when None); returns the request and
        an ``MPI.Status`` that names the sender once the request completes."""
        source = self.MPI.ANY_SOURCE if src is None else src
        status = self.MPI.Status()
        request = self.comm.Irecv(buf, source=source, tag=tag)
        self._status[id(request)] = status
        return request, _SourceOf(self._status, id(request), status)


class _SourceOf:
    """The sender of a receive, read once :meth:`MPIEngine.test` has filled its status."""

    def __init__(self, table: dict[int, Any], key: int, status: Any) -> None:
        self._table, self._key, self._status = table, key, status

    def Get_source(self) -> int:  # noqa: N802  (MPI.Status's spelling)
        self._table.pop(self._key, None)
        return int(self._status.Get_source())

