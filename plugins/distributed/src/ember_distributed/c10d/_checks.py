"""Argument checks shared by the collectives, raising torch's exception types with torch's
messages."""

from __future__ import annotations

from typing import Any

from ember import Tensor

from ._process_group import ProcessGroup, RedOpType, get_global_rank

# ---------------------------------------------------------------------------------------
# Tensors, dtypes, reductions
# ---------------------------------------------------------------------------------------


def _invalid_argument(param_name: str, expected: str, got: str) -> TypeError:
    """torch's error for an argument of the wrong type: ``got`` describes what came."""
    return TypeError(f"Invalid function argument. Expected parameter `{param_name}` of type "
                     f"{expected}\n             but got {got}.")


def _check_single_tensor(param: Any, param_name: str) -> None:
    """``param`` (the argument ``param_name``) must be a Tensor."""
    if not isinstance(param, Tensor):
        raise _invalid_argument(param_name, "torch.Tensor", f"{type(param)} instead")


def _check_tensor_list(param: Any, param_name: str) -> None:
    """``param`` (the argument ``param_name``) must be a list of Tensors."""
    if not isinstance(param, list):
        raise _invalid_argument(param_name, "List[torch.Tensor]", f"{type(param)} instead")
    if not all(isinstance(p, Tensor) for p in param):
        raise _invalid_argument(param_name, "List[torch.Tensor]", f"{type(param)} with "
                                f"elements of type {[type(p) for p in param]}")


def _check_same_dtype(*groups: Any) -> None:
    """Every tensor of ``groups`` (tensors, or lists of them) has the first one's dtype."""
    tensors = [t for g in groups for t in (g if isinstance(g, list) else [g])]
    for t in tensors[1:]:
        if t.dtype != tensors[0].dtype:
            raise ValueError(f"Invalid usage of tensors with different dtypesFound "
                             f"{tensors[0].dtype} and  {t.dtype}")


def _check_op(op: Any, name: str) -> RedOpType:
    """``op``, checked to be a :class:`ReduceOp` member for the collective ``name``."""
    if not isinstance(op, RedOpType):
        raise TypeError(f"{name}(): incompatible function arguments: op must be a "
                        f"torch.distributed.ReduceOp, got {op!r}")
    return op


def _fmt(shape: Any) -> str:
    """A shape as torch's messages print it: ``(2, 3)``."""
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _odd_shape(tensors: list[Tensor], like: Tensor) -> str | None:
    """The shape (printed) of the first of ``tensors`` whose shape is not ``like``'s."""
    for t in tensors:
        if tuple(t.shape) != tuple(like.shape):
            return _fmt(t.shape)
    return None


def _check_blocks(pg: ProcessGroup, name: str, whole: Tensor, whole_name: str, block: Tensor,
                  block_name: str) -> None:
    """``whole`` must hold one ``block`` per rank: the output of ``all_gather_into_tensor``,
    the input of ``reduce_scatter_tensor``."""
    if whole.numel() != block.numel() * pg.size():
        raise ValueError(f"{name}: {whole_name} tensor size must be equal to world_size times "
                         f"{block_name} tensor size ({whole_name} {whole.numel()} elements, "
                         f"{block_name} {block.numel()}, world_size {pg.size()})")


# ---------------------------------------------------------------------------------------
# Ranks
# ---------------------------------------------------------------------------------------


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
    """The group rank of a peer given as a global rank (``peer``) or a group rank
    (``group_peer``): exactly one of them."""
    if peer is not None and group_peer is not None:
        raise ValueError("Can't specify both group_rank and global_rank")
    if group_peer is not None:
        peer = get_global_rank(pg, group_peer)
    if peer is None:
        raise ValueError("Must specify global_rank or group_rank")
    return _check_rank(pg, name, what, peer)


#: what torch's messages call the root of gather and scatter, and the list only it passes
_ROOT_WORDS = {"gather": ("destination", "output"), "scatter": ("source", "input")}


def _root_and_list(pg: ProcessGroup, group: Any, name: str, rank: int | None,
                   group_rank: int | None, tensors: list[Tensor] | None, like: Tensor
                   ) -> tuple[int, list[Tensor]]:
    """The root of ``gather`` or ``scatter``, and ``<name>_list``, the list only it passes.

    The root is ``rank`` (global) or ``group_rank``; given neither, global rank 0 on the
    default group and the group's first rank on others. The list must hold one tensor per
    rank, with ``like``'s dtype, on the root, and be None or empty on the other ranks.

    Returns:
        The root's group rank, and ``tensors`` on the root (``[]`` on the other ranks).
    """
    if rank is None and group_rank is None:
        rank = 0 if group is None else pg.ranks[0]
    root = _peer_rank(pg, rank, group_rank, name, "root")
    where, side = _ROOT_WORDS[name]
    if root != pg.rank():
        if tensors:
            raise ValueError(f"Argument ``{name}_list`` must NOT be specified on non-{where} "
                             "ranks.")
        return root, []
    if not tensors:
        raise ValueError(f"Argument ``{name}_list`` must be specified on {where} rank.")
    if len(tensors) != pg.size():
        raise RuntimeError(f"ProcessGroup{pg.backend.upper()}::{name}: Incorrect {side} list "
                           f"size {len(tensors)}. {side.capitalize()} list size should be "
                           f"{pg.size()}, same as size of the process group.")
    _check_same_dtype(tensors, like)
    return root, tensors
