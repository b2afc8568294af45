"""The collectives: every rank of a group calls the same one, in the same order.

Each one checks its own arguments (torch's exception types and messages), finds its group
with ``_member`` (None: this process is not in it, and the call returns None), turns the
tensors into engine buffers, starts the engine's request and ends with
``ProcessGroup._run``: a :class:`Work` handle when ``async_op=True``, else a wait. The
``finish`` step given to ``_run`` writes the engine's result back into the tensors.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ember import Tensor

from ..work import Work
from ._buffers import _Buf, _flat, _unflat, _write_back
from ._checks import (
    _check_blocks,
    _check_op,
    _check_same_dtype,
    _check_single_tensor,
    _check_tensor_list,
    _fmt,
    _odd_shape,
    _peer_rank,
    _root_and_list,
)
from ._process_group import ProcessGroup, RedOpType, ReduceOp, _member


def _avg_over(pg: ProcessGroup, op: RedOpType) -> int:
    """What the result is divided by: the group size for ``AVG``, 0 (nothing) otherwise."""
    return pg.size() if op is RedOpType.AVG else 0


# ---------------------------------------------------------------------------------------
# Reductions and broadcast
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
    pg = _member(group, "all_reduce")
    if pg is None:
        return None
    buf = _Buf(pg, tensor, "all_reduce")
    req = pg.engine.allreduce(buf.arr, buf.op_name(op))
    return pg._run("all_reduce", [req], _write_back(buf, _avg_over(pg, op)), async_op)


def reduce(tensor: Tensor, dst: int | None = None, op: RedOpType = ReduceOp.SUM,
           group: Any = None, async_op: bool = False, group_dst: int | None = None
           ) -> Work | None:
    """Reduce ``tensor`` over the group into rank ``dst``'s ``tensor`` (others unchanged)."""
    _check_single_tensor(tensor, "tensor")
    op = _check_op(op, "reduce")
    pg = _member(group, "reduce")
    if pg is None:
        return None
    root = _peer_rank(pg, dst, group_dst, "reduce", "root")
    buf = _Buf(pg, tensor, "reduce")
    req = pg.engine.reduce(buf.arr, buf.op_name(op), root)
    finish = _write_back(buf, _avg_over(pg, op), here=root == pg.rank())
    return pg._run("reduce", [req], finish, async_op)


def broadcast(tensor: Tensor, src: int | None = None, group: Any = None,
              async_op: bool = False, group_src: int | None = None) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank of the group."""
    _check_single_tensor(tensor, "tensor")
    pg = _member(group, "broadcast")
    if pg is None:
        return None
    root = _peer_rank(pg, src, group_src, "broadcast", "root")
    buf = _Buf(pg, tensor, "broadcast")
    req = pg.engine.bcast(buf.arr, root)
    return pg._run("broadcast", [req], _write_back(buf), async_op)


# ---------------------------------------------------------------------------------------
# Gathers and scatters: one block per rank
# ---------------------------------------------------------------------------------------


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Gather ``tensor`` from every rank into ``tensor_list`` (one tensor per rank)."""
    _check_tensor_list(tensor_list, "tensor_list")
    _check_single_tensor(tensor, "tensor")
    _check_same_dtype(tensor_list, tensor)
    pg = _member(group, "all_gather")
    if pg is None:
        return None
    name = f"ProcessGroup{pg.backend.upper()}::allgather"
    if len(tensor_list) != pg.size():
        raise RuntimeError(f"{name}: invalid output tensor list at index 0 (expected length "
                           f"{pg.size()}, got {len(tensor_list)})")
    odd = _odd_shape(tensor_list, tensor)
    if odd is not None:
        raise RuntimeError(f"{name}: invalid tensor size at index 0 (expected "
                           f"{_fmt(tensor.shape)}, got {odd})")
    send = _Buf(pg, tensor, "all_gather")
    recv = send.blocks(pg.size())
    req = pg.engine.allgather(send.arr, recv)
    return pg._run("all_gather", [req], lambda: _unflat(pg, recv, tensor_list, "all_gather"),
                   async_op)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group: Any = None,
                           async_op: bool = False) -> Work | None:
    """Gather ``input_tensor`` from every rank into ``output_tensor``, concatenated along dim
    0 (or stacked, if ``output_tensor`` has one more dim of size world_size)."""
    _check_single_tensor(input_tensor, "input_tensor")
    _check_single_tensor(output_tensor, "output_tensor")
    _check_same_dtype(output_tensor, input_tensor)
    pg = _member(group, "all_gather_into_tensor")
    if pg is None:
        return None
    _check_blocks(pg, "all_gather_into_tensor", output_tensor, "output", input_tensor, "input")
    send = _Buf(pg, input_tensor, "all_gather_into_tensor")
    out = _Buf(pg, output_tensor, "all_gather_into_tensor", copy_in=False)
    req = pg.engine.allgather(send.arr, out.arr)
    return pg._run("all_gather_into_tensor", [req], _write_back(out), async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: RedOpType = ReduceOp.SUM,  # noqa: A002
                          group: Any = None, async_op: bool = False) -> Work | None:
    """Reduce ``input`` over the group and give rank ``r`` its ``r``-th block in ``output``
    (``input`` holds world_size blocks of ``output``'s size, along dim 0)."""
    _check_single_tensor(output, "output")
    _check_single_tensor(input, "input")
    _check_same_dtype(output, input)
    op = _check_op(op, "reduce_scatter_tensor")
    pg = _member(group, "reduce_scatter_tensor")
    if pg is None:
        return None
    _check_blocks(pg, "reduce_scatter_tensor", input, "input", output, "output")
    send = _Buf(pg, input, "reduce_scatter_tensor")
    out = _Buf(pg, output, "reduce_scatter_tensor", copy_in=False)
    req = pg.engine.reduce_scatter(send.arr, out.arr, send.op_name(op))
    return pg._run("reduce_scatter_tensor", [req], _write_back(out, _avg_over(pg, op)),
                   async_op)


def reduce_scatter(output: Tensor, input_list: list[Tensor], op: RedOpType = ReduceOp.SUM,
                   group: Any = None, async_op: bool = False) -> Work | None:
    """Reduce the ``r``-th tensor of ``input_list`` over the group into rank ``r``'s
    ``output``."""
    _check_single_tensor(output, "output")
    _check_tensor_list(input_list, "input_list")
    _check_same_dtype(input_list, output)
    op = _check_op(op, "reduce_scatter")
    pg = _member(group, "reduce_scatter")
    if pg is None:
        return None
    if len(input_list) != pg.size():
        raise ValueError(f"reduce_scatter: input_list must hold world_size ({pg.size()}) "
                         f"tensors, got {len(input_list)}")
    odd = _odd_shape(input_list, output)
    if odd is not None:
        raise ValueError(f"reduce_scatter: every input must have the output's shape "
                         f"{_fmt(output.shape)}, got {odd}")
    send = _flat(pg, input_list, "reduce_scatter")
    out = _Buf(pg, output, "reduce_scatter", copy_in=False)
    req = pg.engine.reduce_scatter(send, out.arr, out.op_name(op))
    return pg._run("reduce_scatter", [req], _write_back(out, _avg_over(pg, op)), async_op)


def gather(tensor: Tensor, gather_list: list[Tensor] | None = None, dst: int | None = None,
           group: Any = None, async_op: bool = False, group_dst: int | None = None
           ) -> Work | None:
    """Gather ``tensor`` from every rank into ``gather_list`` on rank ``dst`` (default 0);
    other ranks pass ``gather_list=None``."""
    _check_single_tensor(tensor, "tensor")
    if gather_list is not None:
        _check_tensor_list(gather_list, "gather_list")
    pg = _member(group, "gather")
    if pg is None:
        return None
    root, outputs = _root_and_list(pg, group, "gather", dst, group_dst, gather_list, tensor)
    send = _Buf(pg, tensor, "gather")
    recv = send.blocks(pg.size()) if root == pg.rank() else None
    req = pg.engine.gather(send.arr, recv, root)

    def finish() -> list[Tensor]:
        return _unflat(pg, recv, outputs, "gather") if recv is not None else []

    return pg._run("gather", [req], finish, async_op)


def scatter(tensor: Tensor, scatter_list: list[Tensor] | None = None, src: int | None = None,
            group: Any = None, async_op: bool = False, group_src: int | None = None
            ) -> Work | None:
    """Give rank ``r`` the ``r``-th tensor of rank ``src``'s ``scatter_list`` (default src
    0); other ranks pass ``scatter_list=None``."""
    _check_single_tensor(tensor, "tensor")
    if scatter_list is not None:
        _check_tensor_list(scatter_list, "scatter_list")
    pg = _member(group, "scatter")
    if pg is None:
        return None
    root, inputs = _root_and_list(pg, group, "scatter", src, group_src, scatter_list, tensor)
    odd = _odd_shape(inputs, tensor)
    if odd is not None:
        raise RuntimeError(f"ProcessGroup{pg.backend.upper()}::scatter: invalid tensor size "
                           f"(expected {_fmt(tensor.shape)}, got {odd})")
    out = _Buf(pg, tensor, "scatter", copy_in=False)
    send = _flat(pg, inputs, "scatter").astype(out.arr.dtype, copy=False) if inputs else None
    req = pg.engine.scatter(send, out.arr, root)
    return pg._run("scatter", [req], _write_back(out), async_op)


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes: Any = None,  # noqa: A002
                      input_split_sizes: Any = None, group: Any = None,
                      async_op: bool = False) -> Work | None:
    """Split ``input`` into world_size equal blocks along dim 0, send block ``j`` to rank
    ``j``, and concatenate the blocks received into ``output`` (equal splits only)."""
    _check_single_tensor(output, "output")
    _check_single_tensor(input, "input")
    pg = _member(group, "all_to_all_single")
    if pg is None:
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
    return pg._run("all_to_all_single", [req], _write_back(out), async_op)


# ---------------------------------------------------------------------------------------
# Barriers
# ---------------------------------------------------------------------------------------


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None,
            timeout: timedelta | None = None) -> Work | None:
    """Block until every rank of the group has entered the barrier (or raise after
    ``timeout``, default the group's)."""
    pg = _member(group, "barrier")
    if pg is None:
        return None
    return pg._run("barrier", [pg.engine.barrier()], None, async_op, timeout)


def monitored_barrier(group: Any = None, timeout: timedelta | None = None,
                      wait_all_ranks: bool = False) -> None:
    """A barrier that raises :class:`DistBackendError` after ``timeout`` (default: the
    group's)."""
    pg = _member(group, "monitored_barrier")
    if pg is not None:
        pg._work("monitored_barrier", [pg.engine.barrier()]).wait(timeout)
