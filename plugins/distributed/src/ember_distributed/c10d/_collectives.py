"""The collectives: every rank of a group calls the same one, in the same order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from ember import Tensor

from ..work import Work
from ._buffers import _Buf, _flat, _unflat
from ._checks import (
    _check_op,
    _check_same_dtype,
    _check_single_tensor,
    _check_tensor_list,
    _fmt,
    _peer_rank,
)
from ._process_group import RedOpType, ReduceOp, _not_member, _resolve


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
