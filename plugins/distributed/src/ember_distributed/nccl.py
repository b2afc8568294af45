"""The NCCL engine: collectives on cuda tensors through ``libnccl.so.2`` loaded with ctypes.

The library comes from the optional ``nvidia-nccl-cu12`` wheel (``pip install
'ember-distributed[nccl]'``), found through ``importlib.util.find_spec("nvidia.nccl")``;
``EMBER_NCCL_LIBRARY`` names another ``libnccl.so`` to load instead. The ranks exchange
NCCL's unique id over the MPI world the launcher starts. Device buffers are cupy arrays
(the ``ember-cuda`` backend's); every call is issued on cupy's current stream and
completion is tested with a CUDA event, so waits keep their deadline.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
from pathlib import Path
from typing import Any

__all__ = ["NCCL_LIBRARY_ENV", "find_nccl_library", "load_nccl", "nccl_version",
           "NCCLEngine"]

#: the environment variable that overrides where libnccl is loaded from
NCCL_LIBRARY_ENV = "EMBER_NCCL_LIBRARY"

_INSTALL_HINT = ("pip install 'ember-distributed[nccl]' (the nvidia-nccl-cu12 wheel), or "
                 f"set {NCCL_LIBRARY_ENV} to the path of libnccl.so.2")

# ncclDataType_t and ncclRedOp_t values (nccl.h)
_DTYPES = {"int8": 0, "uint8": 1, "int32": 2, "uint32": 3, "int64": 4, "uint64": 5,
           "float16": 6, "float32": 7, "float64": 8, "bfloat16": 9}
_OPS = {"SUM": 0, "PRODUCT": 1, "MAX": 2, "MIN": 3, "AVG": 4}


def find_nccl_library() -> Path:
    """The path of the NCCL shared library to load.

    ``$EMBER_NCCL_LIBRARY`` if set (it must exist), else ``nvidia/nccl/lib/libnccl.so.2`` of
    the installed ``nvidia-nccl-cu12`` wheel.

    Raises:
        RuntimeError: no library found; the message says how to install one.
    """
    override = os.environ.get(NCCL_LIBRARY_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise RuntimeError(f"[ember.distributed] {NCCL_LIBRARY_ENV}={override} does not "
                               "name a file; point it at libnccl.so.2")
        return path
    try:
        spec = importlib.util.find_spec("nvidia.nccl")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in locations:
        path = Path(folder) / "lib" / "libnccl.so.2"
        if path.is_file():
            return path
    raise RuntimeError(f"[ember.distributed] the NCCL library was not found: {_INSTALL_HINT}")


def load_nccl(path: Path | None = None) -> ctypes.CDLL:
    """Load libnccl with ctypes and check it is NCCL (it must export ``ncclGetVersion``).

    Raises:
        RuntimeError: the file cannot be loaded or is not an NCCL library.
    """
    path = find_nccl_library() if path is None else path
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as exc:
        raise RuntimeError(f"[ember.distributed] cannot load the NCCL library {path}: {exc}"
                           ) from exc
    if not hasattr(lib, "ncclGetVersion"):
        raise RuntimeError(f"[ember.distributed] {path} is not an NCCL library (it has no "
                           f"ncclGetVersion): {_INSTALL_HINT}")
    return lib


def nccl_version(lib: ctypes.CDLL) -> tuple[int, int, int]:
    """NCCL's (major, minor, patch) as the loaded library reports it."""
    code = ctypes.c_int()
    _check(lib, lib.ncclGetVersion(ctypes.byref(code)), "ncclGetVersion")
    v = code.value
    return (v // 10000, (v % 10000) // 100, v % 100) if v >= 10000 else \
        (v // 1000, (v % 1000) // 100, v % 100)


def _check(lib: ctypes.CDLL, result: int, what: str) -> None:
    if result != 0:
        lib.ncclGetErrorString.restype = ctypes.c_char_p
        message = lib.ncclGetErrorString(result).decode()
        raise RuntimeError(f"[ember.distributed] {what} failed: NCCL error {result} "
                           f"({message})")


def _gpu_count() -> int:
    try:
        import ember

        return int(ember.cuda.device_count()) if ember.cuda.is_available() else 0
    except Exception:
        return 0


class _UniqueId(ctypes.Structure):
    _fields_ = [("internal", ctypes.c_byte * 128)]


class _Request:
    """A CUDA event recorded after an NCCL call; complete once the event is."""

    def __init__(self, stream: Any) -> None:
        import cupy

        self.event = cupy.cuda.Event(disable_timing=True)
        self.event.record(stream)

    def done(self) -> bool:
        return bool(self.event.done)


class NCCLEngine:
    """Collectives on cupy device arrays through NCCL (one communicator per group).

    Made by :meth:`create`, which checks for a GPU and the library first and raises a
    clear :class:`RuntimeError` when either is missing.
    """

    def __init__(self, lib: ctypes.CDLL, comm: ctypes.c_void_p, rank: int, size: int,
                 mpi_comm: Any) -> None:
        self.lib = lib
        self.comm = comm
        self.rank = rank
        self.size = size
        self._mpi_comm = mpi_comm

    @classmethod
    def create(cls, rank: int, world_size: int) -> NCCLEngine:
        """Join the NCCL communicator of the MPI world (rank/world_size as the init method
        asked, -1 when open).

        Raises:
            RuntimeError: no GPU ("ProcessGroupNCCL is only supported with GPUs, no GPUs
                found!"), no NCCL library, or an NCCL error.
        """
        if _gpu_count() == 0:
            raise RuntimeError("ProcessGroupNCCL is only supported with GPUs, no GPUs found!")
        lib = load_nccl()
        from .engines import make_mpi_engine

        mpi = make_mpi_engine(rank, world_size)
        return cls._init_comm(lib, mpi.comm, mpi.rank, mpi.size)

    @classmethod
    def _init_comm(cls, lib: ctypes.CDLL, mpi_comm: Any, rank: int, size: int
                   ) -> NCCLEngine:
        import numpy as np

        uid = _UniqueId()
        if rank == 0:
            _check(lib, lib.ncclGetUniqueId(ctypes.byref(uid)), "ncclGetUniqueId")
        raw = np.frombuffer(bytearray(bytes(uid)), dtype=np.uint8).copy()
        mpi_comm.Bcast(raw, root=0)
        ctypes.memmove(ctypes.byref(uid), raw.tobytes(), ctypes.sizeof(uid))
        comm = ctypes.c_void_p()
        _check(lib, lib.ncclCommInitRank(ctypes.byref(comm), size, uid, rank),
               "ncclCommInitRank")
        return cls(lib, comm, rank, size, mpi_comm)

    # -- helpers ------------------------------------------------------------------------
    @staticmethod
    def _stream() -> Any:
        import cupy

        return cupy.cuda.get_current_stream()

    @staticmethod
    def _dtype(arr: Any) -> int:
        name = str(arr.dtype)
        if name not in _DTYPES:
            raise TypeError(f"[ember.distributed] NCCL cannot move dtype {name}")
        return _DTYPES[name]

    def _op(self, name: str) -> int:
        if name not in _OPS:
            raise ValueError(f"[ember.distributed] NCCL has no reduction {name}")
        return _OPS[name]

    def _call(self, what: str, fn: Any, *args: Any) -> _Request:
        stream = self._stream()
        _check(self.lib, fn(*args, self.comm, ctypes.c_void_p(stream.ptr)), what)
        return _Request(stream)

    @staticmethod
    def _ptr(arr: Any) -> ctypes.c_void_p:
        return ctypes.c_void_p(arr.data.ptr)

    def test(self, requests: list[_Request]) -> bool:
        """Whether every recorded event has completed."""
        return all(r.done() for r in requests)

    def cancel(self, requests: list[Any]) -> None:
        """NCCL calls cannot be cancelled one by one; abort the communicator."""
        self.lib.ncclCommAbort(self.comm)

    def free(self) -> None:
        """Destroy the communicator."""
        self.lib.ncclCommDestroy(self.comm)

    def split(self, ranks: list[int]) -> NCCLEngine | None:
        """A communicator over ``ranks`` (collective over this one)."""
        MPI = __import__("mpi4py.MPI", fromlist=["MPI"])
        member = self.rank in ranks
        sub = self._mpi_comm.Split(0 if member else MPI.UNDEFINED,
                                   ranks.index(self.rank) if member else 0)
        if sub == MPI.COMM_NULL:
            return None
        return self._init_comm(self.lib, sub, sub.Get_rank(), sub.Get_size())

    # -- collectives --------------------------------------------------------------------
    def allreduce(self, buf: Any, op: str) -> _Request:
        """In-place all-reduce."""
        return self._call("ncclAllReduce", self.lib.ncclAllReduce, self._ptr(buf),
                          self._ptr(buf), ctypes.c_size_t(buf.size), self._dtype(buf),
                          self._op(op))

    def reduce(self, buf: Any, op: str, root: int) -> _Request:
        """In-place reduce into ``root``."""
        return self._call("ncclReduce", self.lib.ncclReduce, self._ptr(buf), self._ptr(buf),
                          ctypes.c_size_t(buf.size), self._dtype(buf), self._op(op), root)

    def bcast(self, buf: Any, root: int) -> _Request:
        """In-place broadcast from ``root``."""
        return self._call("ncclBroadcast", self.lib.ncclBroadcast, self._ptr(buf),
                          self._ptr(buf), ctypes.c_size_t(buf.size), self._dtype(buf), root)

    def allgather(self, send: Any, recv: Any) -> _Request:
        """Gather every rank's ``send`` into ``recv``."""
        return self._call("ncclAllGather", self.lib.ncclAllGather, self._ptr(send),
                          self._ptr(recv), ctypes.c_size_t(send.size), self._dtype(send))

    def reduce_scatter(self, send: Any, recv: Any, op: str) -> _Request:
        """Reduce ``send`` and keep block ``rank`` in ``recv``."""
        return self._call("ncclReduceScatter", self.lib.ncclReduceScatter, self._ptr(send),
                          self._ptr(recv), ctypes.c_size_t(recv.size), self._dtype(send),
                          self._op(op))

    def barrier(self) -> _Request:
        """An all-reduce of one element, as ProcessGroupNCCL does."""
        import cupy

        one = cupy.zeros(1, dtype=cupy.float32)
        return self.allreduce(one, "SUM")

    def send(self, buf: Any, dst: int, tag: int) -> _Request:
        """Send ``buf`` to ``dst``."""
        return self._call("ncclSend", self.lib.ncclSend, self._ptr(buf),
                          ctypes.c_size_t(buf.size), self._dtype(buf), dst)

    def recv(self, buf: Any, src: int | None, tag: int) -> tuple[_Request, Any]:
        """Receive into ``buf`` from ``src`` (NCCL needs a named source)."""
        if src is None:
            raise ValueError("[ember.distributed] NCCL cannot receive from any source: pass "
                             "src")
        req = self._call("ncclRecv", self.lib.ncclRecv, self._ptr(buf),
                         ctypes.c_size_t(buf.size), self._dtype(buf), src)
        return req, _FixedSource(src)

    def gather(self, send: Any, recv: Any, root: int) -> Any:
        """Not an NCCL collective."""
        raise RuntimeError("ProcessGroupNCCL::gather is not provided by the ember NCCL engine;"
                           " use all_gather")

    scatter = gather
    alltoall = gather


class _FixedSource:
    def __init__(self, src: int) -> None:
        self.src = src

    def Get_source(self) -> int:  # noqa: N802  (the MPI.Status spelling)
        return self.src
