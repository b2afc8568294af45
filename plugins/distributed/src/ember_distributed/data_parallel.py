"""``nn.DataParallel``: split a batch over the GPUs of one process.

Without a GPU (the usual case for the cpu backend) it calls the wrapped module directly,
exactly as torch does when no CUDA device exists. With GPUs, the input batch is split into
one chunk per device id along ``dim``, the module runs on each chunk and the outputs are
concatenated on ``output_device``; the chunks run one after another on the module's device
(``device_ids[0]``), which gives torch's results (per-chunk batch statistics included)
without replicating the module.
"""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor
from ember.nn import Module

__all__ = ["DataParallel", "data_parallel"]


def _device_index(d: Any) -> int:
    if isinstance(d, int):
        return d
    dev = ember.device(d)
    return 0 if dev.index is None else int(dev.index)


def _gpu_ids(device_ids: list[Any] | None) -> list[int]:
    if not ember.cuda.is_available():
        return []
    if device_ids is None:
        return list(range(ember.cuda.device_count()))
    return [_device_index(d) for d in device_ids]


def _split(obj: Any, n: int, dim: int) -> list[Any]:
    """``n`` chunks of every tensor in ``obj`` (tuples, lists and dicts recursed)."""
    if isinstance(obj, Tensor):
        chunks = list(obj.chunk(n, dim))
        return chunks
    if isinstance(obj, (list, tuple)) and obj:
        parts = [_split(x, n, dim) for x in obj]
        count = min(len(p) for p in parts)
        return [type(obj)(p[i] for p in parts) for i in range(count)]
    if isinstance(obj, dict) and obj:
        keys = list(obj)
        parts = [_split(obj[k], n, dim) for k in keys]
        count = min(len(p) for p in parts)
        return [dict(zip(keys, (p[i] for p in parts), strict=True)) for i in range(count)]
    return [obj] * n


def _gather(outputs: list[Any], device: Any, dim: int) -> Any:
    first = outputs[0]
    if isinstance(first, Tensor):
        return ember.cat([o.to(device) for o in outputs], dim)
    if first is None:
        return None
    if isinstance(first, dict):
        return type(first)((k, _gather([o[k] for o in outputs], device, dim)) for k in first)
    if isinstance(first, (list, tuple)):
        return type(first)(_gather(list(parts), device, dim) for parts in zip(*outputs,
                                                                               strict=True))
    return first


class DataParallel(Module):
    """Run ``module`` on chunks of the batch, one per device in ``device_ids``.

    Args:
        module: the module to wrap (its parameters live on ``device_ids[0]``).
        device_ids: the GPUs to split over (default: all); ignored with no GPU.
        output_device: where outputs are gathered (default ``device_ids[0]``).
        dim: the batch dimension (default 0).

    With no GPU, ``DataParallel(m)(x)`` is ``m(x)``.

    >>> net = DataParallel(ember.nn.Linear(3, 2))
    >>> net(ember.ones(4, 3)).shape
    ember.Size([4, 2])
    """

    def __init__(self, module: Module, device_ids: list[Any] | None = None,
                 output_device: Any = None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.dim = dim
        ids = _gpu_ids(device_ids)
        if not ids:
            self.device_ids: list[int] = []
            self.output_device = None
            self.src_device_obj = ember.device("cpu")
            return
        self.device_ids = ids
        self.output_device = _device_index(output_device if output_device is not None
                                           else ids[0])
        self.src_device_obj = ember.device("cuda", ids[0])
        for t in list(module.parameters()) + list(module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(f"module must have its parameters and buffers on device "
                                   f"{self.src_device_obj} (device_ids[0]) but found one of "
                                   f"them on device: {t.device}")

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Call the module on each chunk of the inputs and gather the outputs."""
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        n = len(self.device_ids)
        arg_chunks = _split(inputs, n, self.dim) if inputs else [()]
        kw_chunks = _split(kwargs, len(arg_chunks), self.dim) if kwargs else \
            [{}] * len(arg_chunks)
        if len(arg_chunks) == 1:
            return self.module(*arg_chunks[0], **kw_chunks[0])
        outputs = [self.module(*a, **k) for a, k in zip(arg_chunks, kw_chunks, strict=False)]
        return _gather(outputs, ember.device("cuda", self.output_device), self.dim)


def data_parallel(module: Module, inputs: Any, device_ids: list[Any] | None = None,
                  output_device: Any = None, dim: int = 0,
                  module_kwargs: dict[str, Any] | None = None) -> Any:
    """The functional form of :class:`DataParallel`: ``module(*inputs)`` split over
    ``device_ids`` (called directly with no GPU)."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return DataParallel(module, device_ids, output_device, dim)(*inputs,
                                                                **(module_kwargs or {}))
