"""Buffers: the contiguous arrays the engines accept, made from tensors and written back into
them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ember import Tensor

from ._process_group import ProcessGroup, RedOpType

#: the dtypes the engines take as they are (bool travels as uint8, 16-bit floats as float32)
_NATIVE = {np.dtype(t) for t in (np.float32, np.float64, np.int8, np.int16, np.int32,
                                 np.int64, np.uint8, np.uint16, np.uint32, np.uint64)}


class _Buf:
    """A contiguous engine buffer for a tensor, written back into it by ``store``."""

    def __init__(self, pg: ProcessGroup, t: Tensor, name: str, copy_in: bool = True) -> None:
        if t.device.type not in pg.device_types:
            raise RuntimeError(f"No backend type associated with device type {t.device.type}")
        self.tensor = t
        if t.device.type != "cpu":
            # device engines (NCCL) move the backend's own contiguous array in place
            data = t.detach()._data
            if not data.flags.c_contiguous:
                raise ValueError("Tensors must be contiguous")
            self.view = self.arr = data
            self.kind, self.shared = "native", True
            return
        self.view = t.detach().numpy()
        dtype = self.view.dtype
        work_dtype: np.dtype[Any]
        if dtype == np.bool_:
            self.kind = "bool"
            work_dtype = np.dtype(np.uint8)
        elif dtype in _NATIVE:
            self.kind = "native"
            work_dtype = dtype
        elif dtype.kind == "f" or dtype.itemsize == 2:
            self.kind = "wide"
            work_dtype = np.dtype(np.float32)
        else:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        same = work_dtype == dtype and self.view.flags.c_contiguous
        if same:
            self.arr = self.view
        elif copy_in:
            self.arr = np.ascontiguousarray(self.view, dtype=work_dtype)
        else:
            self.arr = np.empty(self.view.shape, dtype=work_dtype)
        self.shared = same

    def op_name(self, op: RedOpType) -> str:
        """The engine reduction for ``op`` on this buffer (bool: SUM is OR, PRODUCT AND)."""
        if op is RedOpType.AVG:
            op = RedOpType.SUM
        if self.kind == "bool":
            return {RedOpType.SUM: "MAX", RedOpType.PRODUCT: "MIN"}.get(op, op.name)
        if self.kind != "bool" and op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) \
                and self.arr.dtype.kind == "f":
            raise RuntimeError(f"Cannot use ReduceOp.{op.name} with a floating-point tensor "
                               f"({self.tensor.dtype})")
        return op.name

    def store(self, avg_over: int = 0) -> None:
        """Write the engine's result back into the tensor (dividing for AVG); like any
        in-place op, this bumps the tensor's version counter."""
        self.tensor._vc.v += 1
        arr = self.arr
        if avg_over:
            if arr.dtype.kind == "f":
                arr /= avg_over
            else:
                arr //= avg_over
        if not self.shared:
            self.view[...] = arr.astype(self.view.dtype, copy=False)

    def blocks(self, count: int) -> np.ndarray:
        """An empty array of ``count`` blocks shaped like this buffer: what a gather
        receives."""
        return np.empty((count, *self.arr.shape), dtype=self.arr.dtype)


def _write_back(buf: _Buf, avg_over: int = 0, here: bool = True
                ) -> Callable[[], list[Tensor]]:
    """The ``finish`` step of a collective whose result lands in one tensor: store ``buf``
    into it (dividing by ``avg_over`` for AVG; only where ``here``, as on the root of
    ``reduce``) and return ``[tensor]``."""

    def finish() -> list[Tensor]:
        if here:
            buf.store(avg_over)
        return [buf.tensor]

    return finish


def _flat(pg: ProcessGroup, tensors: list[Tensor], name: str) -> np.ndarray:
    """One flat array of ``tensors``, one after the other, in the first one's engine dtype."""
    bufs = [_Buf(pg, t, name) for t in tensors]
    dtype = bufs[0].arr.dtype
    return np.concatenate([b.arr.reshape(-1).astype(dtype, copy=False) for b in bufs])


def _unflat(pg: ProcessGroup, flat: np.ndarray, tensors: list[Tensor], name: str
            ) -> list[Tensor]:
    """Copy consecutive pieces of ``flat`` (flattened) into ``tensors``; returns
    ``tensors``."""
    flat = flat.reshape(-1)
    offset = 0
    for t in tensors:
        buf = _Buf(pg, t, name, copy_in=False)
        n = buf.arr.size
        buf.arr[...] = flat[offset:offset + n].reshape(buf.arr.shape)
        buf.store()
        offset += n
    return tensors
