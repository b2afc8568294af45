"""Tensor ``repr`` in torch's format: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _dtype as dt

if TYPE_CHECKING:
    from ._tensor import Tensor

PRINT_OPTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
              "sci_mode": None}


class _Formatter:
    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        finite = values[np.isfinite(values)] if floating else values
        if not floating:
            for v in values.reshape(-1):
                self.max_width = max(self.max_width, len(str(int(v))))
            return
        if finite.size == 0:
            for v in values.reshape(-1):
                self.max_width = max(self.max_width, len(str(v)))
            return
        nonzero = np.abs(finite[finite != 0])
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        prec = PRINT_OPTS["precision"]
        if self.int_mode:
            if nonzero.size and (nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8):
                self.sci_mode = True
                for v in finite:
                    self.max_width = max(self.max_width, len(f"{v:.{prec}e}"))
            else:
                for v in finite:
                    self.max_width = max(self.max_width, len(f"{v:.0f}") + 1)
        else:
            if nonzero.size and (nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8
                                 or nonzero.min() < 1e-4):
                self.sci_mode = True
                for v in finite:
                    self.max_width = max(self.max_width, len(f"{v:.{prec}e}"))
            else:
                for v in finite:
                    self.max_width = max(self.max_width, len(f"{v:.{prec}f}"))
        if PRINT_OPTS["sci_mode"] is not None:
            self.sci_mode = bool(PRINT_OPTS["sci_mode"])
        for v in values.reshape(-1):
            if not math.isfinite(v):
                self.max_width = max(self.max_width, len(str(v)))

    def width(self) -> int:
        return self.max_width

    def format(self, v: Any) -> str:
        prec = PRINT_OPTS["precision"]
        if self.floating:
            if not math.isfinite(v):
                s = str(float(v))
            elif self.sci_mode:
                s = f"{v:.{prec}e}"
            elif self.int_mode:
                s = f"{v:.0f}."
            else:
                s = f"{v:.{prec}f}"
        elif isinstance(v, (bool, np.bool_)):
            s = str(bool(v))
        else:
            s = str(int(v))
        return (self.max_width - len(s)) * " " + s


def _summarize(arr: np.ndarray) -> bool:
    return arr.size > PRINT_OPTS["threshold"]


def _format_rec(arr: np.ndarray, fmt: _Formatter, indent: int, summarize: bool) -> str:
    edge = PRINT_OPTS["edgeitems"]
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        items = arr.tolist()
        elem_w = fmt.width() + 2
        per_line = max(math.floor((PRINT_OPTS["linewidth"] - indent) / elem_w), 1)
        if summarize and len(items) > 2 * edge:
            parts = [fmt.format(v) for v in items[:edge]] + [" ..."] + \
                    [fmt.format(v) for v in items[-edge:]]
        else:
            parts = [fmt.format(v) for v in items]
        lines = [parts[i:i + per_line] for i in range(0, len(parts), per_line)]
        body = (",\n" + " " * indent).join(", ".join(line) for line in lines)
        return "[" + body + "]"
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        rows = [_format_rec(arr[i], fmt, indent + 1, summarize) for i in range(edge)] + \
               ["..."] + [_format_rec(arr[i], fmt, indent + 1, summarize)
                          for i in range(n - edge, n)]
    else:
        rows = [_format_rec(arr[i], fmt, indent + 1, summarize) for i in range(n)]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def tensor_repr(t: Tensor) -> str:
    arr = np.asarray(t._k.to_numpy(t._data))
    d = dt.FROM_NP[arr.dtype]
    floating = d.is_floating_point
    if arr.dtype == dt.bfloat16.np or arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    prefix = "tensor("
    indent = len(prefix)
    summarize = _summarize(arr)
    if arr.size == 0:
        body = "[]" if arr.ndim <= 1 else "[]"
    else:
        sample = arr
        if summarize:
            sample = _edge_values(arr)
        fmt = _Formatter(sample.astype(np.float64) if floating else sample, floating)
        body = _format_rec(arr, fmt, indent, summarize)
    suffixes = []
    if t._device.type != "cpu":
        suffixes.append(f"device='{t._device}'")
    if arr.size == 0 and arr.ndim != 1:
        suffixes.append(f"size={tuple(arr.shape)}")
    default_types = (dt.DEFAULTS.float, dt.int64, dt.bool)
    if d not in default_types or (arr.size == 0 and d is not dt.DEFAULTS.float and False):
        suffixes.append(f"dtype=ember.{d.name}")
    elif arr.size == 0 and d is dt.int64:
        suffixes.append("dtype=ember.int64")
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    if suffixes:
        body += ", " + ", ".join(suffixes)
    return prefix + body + ")"


def _edge_values(arr: np.ndarray) -> np.ndarray:
    edge = PRINT_OPTS["edgeitems"]
    slices = []
    for dim in range(arr.ndim):
        if arr.shape[dim] > 2 * edge:
            idx = list(range(edge)) + list(range(arr.shape[dim] - edge, arr.shape[dim]))
            arr = np.take(arr, idx, axis=dim)
    del slices
    return arr


def set_printoptions(precision: int | None = None, threshold: int | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print (the same options as torch)."""
    if profile == "default":
        PRINT_OPTS.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        PRINT_OPTS.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        PRINT_OPTS.update(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            PRINT_OPTS[key] = value
    PRINT_OPTS["sci_mode"] = sci_mode
