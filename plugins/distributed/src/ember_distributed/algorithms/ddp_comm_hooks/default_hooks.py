"""The standard DDP communication hooks: plain all-reduce, and all-reduce in 16 bits.

A hook is ``hook(state, bucket) -> Future[Tensor]``; ``state`` is the process group (or
None for the default group) and ``bucket`` a :class:`~ember_distributed.ddp.GradBucket`.
"""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from ... import c10d
from ...c10d._process_group import _resolve
from ...work import Future

__all__ = ["allreduce_hook", "fp16_compress_hook", "bf16_compress_hook"]


def _group(state: Any) -> c10d.ProcessGroup:
    pg = _resolve(state)
    if pg is None:
        raise ValueError("communication hook: this rank is not in the hook's process group")
    return pg


def _allreduce_fut(process_group: Any, tensor: Tensor) -> Future:
    """Divide ``tensor`` by the group size and start summing it over the group."""
    pg = _group(process_group)
    tensor.div_(pg.size())
    work = c10d.all_reduce(tensor, group=pg, async_op=True)
    assert work is not None
    return work.get_future().then(lambda fut: fut.value()[0])


def allreduce_hook(process_group: Any, bucket: Any) -> Future:
    """Average the bucket's gradients over the group (DDP's default behaviour).

    >>> # ddp_model.register_comm_hook(None, allreduce_hook)
    """
    return _allreduce_fut(process_group, bucket.buffer())


def _compress_hook(dtype: Any, process_group: Any, bucket: Any) -> Future:
    pg = _group(process_group)
    buffer = bucket.buffer()
    compressed = buffer.to(dtype).div_(pg.size())
    work = c10d.all_reduce(compressed, group=pg, async_op=True)
    assert work is not None

    def decompress(fut: Future) -> Tensor:
        with ember.no_grad():
            buffer.copy_(fut.value()[0])
        return buffer

    return work.get_future().then(decompress)


def fp16_compress_hook(process_group: Any, bucket: Any) -> Future:
    """Average the gradients in float16 (half the traffic), then cast back into the
    bucket's dtype."""
    return _compress_hook(ember.float16, process_group, bucket)


def bf16_compress_hook(process_group: Any, bucket: Any) -> Future:
    """Average the gradients in bfloat16, then cast back into the bucket's dtype."""
    return _compress_hook(ember.bfloat16, process_group, bucket)
