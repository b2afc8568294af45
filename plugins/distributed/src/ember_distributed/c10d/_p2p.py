"""Point to point: one rank sends a tensor, another receives it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember import Tensor

from ..work import Work
from ._buffers import _Buf
from ._checks import _check_rank, _check_single_tensor
from ._process_group import ProcessGroup, _member, get_global_rank


def _peer(pg: ProcessGroup, peer: int | None, group_peer: int | None, name: str,
          what: str) -> int | None:
    """The group rank of a send's destination or a receive's source, given as a global rank
    (``peer``) or a group rank (``group_peer``, which wins); None when neither is given.
    Sending to oneself is refused."""
    if group_peer is not None:
        peer = get_global_rank(pg, group_peer)
    if peer is None:
        return None
    rank = _check_rank(pg, name, what, peer)
    if rank == pg.rank():
        raise ValueError(f"Invalid {what} rank: {what} rank should not be the same as the "
                         "rank of the current process.")
    return rank


def isend(tensor: Tensor, dst: int | None = None, group: Any = None, tag: int = 0,
          group_dst: int | None = None) -> Work | None:
    """Send ``tensor`` to rank ``dst`` without waiting; returns a :class:`Work`."""
    _check_single_tensor(tensor, "tensor")
    pg = _member(group, "isend")
    if pg is None:
        return None
    peer = _peer(pg, dst, group_dst, "send", "destination")
    if peer is None:
        raise ValueError("Must specify global_rank or group_rank")
    buf = _Buf(pg, tensor, "send")
    req = pg.engine.send(buf.arr, peer, tag)
    # the finish step holds ``buf``, so that a converted copy lives until the send is done
    return pg._work("send", [req], lambda: [buf.tensor], cancel_on_timeout=True)


def irecv(tensor: Tensor, src: int | None = None, group: Any = None, tag: int = 0,
          group_src: int | None = None) -> Work | None:
    """Receive into ``tensor`` from rank ``src`` (any rank when None) without waiting."""
    _check_single_tensor(tensor, "tensor")
    pg = _member(group, "irecv")
    if pg is None:
        return None
    peer = _peer(pg, src, group_src, "recv", "source")
    buf = _Buf(pg, tensor, "recv", copy_in=False)
    req, status = pg.engine.recv(buf.arr, peer, tag)
    work = pg._work("recv", [req], cancel_on_timeout=True)

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
        work = p.op(p.tensor, p.peer, p.group, p.tag, p.group_peer)
        if work is not None:
            works.append(work)
    return works
