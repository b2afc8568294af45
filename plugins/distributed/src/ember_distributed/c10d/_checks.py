"""Argument checks shared by the collectives, raising torch's exception types with torch's
messages."""

from __future__ import annotations

from typing import Any

from ember import Tensor

from ._process_group import ProcessGroup, RedOpType, get_global_rank


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


def _fmt(shape: Any) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"
