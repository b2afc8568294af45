"""Tensor ``repr`` in torch's format: ``tensor([1., 2.], requires_grad=True)``.

The layout follows torch's printing rules exactly: one formatter per tensor picks integer
mode (``1.``), fixed point (``1.2500``) or scientific notation (``1.2500e+05``) from the
non-zero finite values; columns are padded to a common width; rows wrap at the line width;
tensors with more than ``threshold`` elements print only ``edgeitems`` items at each end of
every dim; suffixes (dtype, size, device, grad_fn) wrap onto a new line when too long.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _dtype as dt

if TYPE_CHECKING:
    from ._tensor import Tensor

__all__ = ["tensor_repr", "set_printoptions", "get_printoptions", "printoptions"]

PRINT_OPTS: dict[str, Any] = {"precision": 4, "threshold": 1000, "edgeitems": 3,
                              "linewidth": 80, "sci_mode": None}


class _Formatter:
    """Chooses the number format and the column width of one tensor's elements."""

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        with np.errstate(all="ignore"):
            finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        absval = np.abs(finite).astype(np.float64)
        lo, hi = float(absval.min()), float(absval.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        opt_sci = PRINT_OPTS["sci_mode"]
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
                         if opt_sci is None else bool(opt_sci))
        prec = PRINT_OPTS["precision"]
        for v in finite.tolist():
            if self.sci_mode:
                s = f"{v:.{prec}e}"
            elif self.int_mode:
                s = f"{v:.0f}" + " "
            else:
                s = f"{v:.{prec}f}"
            self.max_width = max(self.max_width, len(s))

    def width(self) -> int:
        return self.max_width

    def format(self, v: Any) -> str:
        prec = PRINT_OPTS["precision"]
        if self.floating:
            if self.sci_mode:
                s = f"{v:{self.max_width}.{prec}e}"
            elif self.int_mode:
                s = f"{v:.0f}"
                if not (math.isinf(v) or math.isnan(v)):
                    s += "."
            else:
                s = f"{v:.{prec}f}"
        else:
            s = f"{v}"
        return (self.max_width - len(s)) * " " + s


def _vector_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    edge = PRINT_OPTS["edgeitems"]
    per_line = max(1, math.floor((PRINT_OPTS["linewidth"] - indent) / (fmt.width() + 2)))
    if summarize and not edge:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * edge:
        data = ([fmt.format(v) for v in arr[:edge].tolist()] + [" ..."]
                + [fmt.format(v) for v in arr[-edge:].tolist()])
    else:
        data = [fmt.format(v) for v in arr.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    edge = PRINT_OPTS["edgeitems"]
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        rows = ([_tensor_str_with(arr[i], indent + 1, summarize, fmt) for i in range(edge)]
                + ["..."]
                + [_tensor_str_with(arr[i], indent + 1, summarize, fmt)
                   for i in range(n - edge, n)])
    else:
        rows = [_tensor_str_with(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _summarized(arr: np.ndarray) -> np.ndarray:
    """The elements that will be printed: ``edgeitems`` at each end of every long dim."""
    edge = PRINT_OPTS["edgeitems"]
    if arr.ndim == 0:
        return arr
    if arr.ndim > 1 and not edge:
        return arr[(slice(0, 0),) * arr.ndim]
    for d in range(arr.ndim):
        if arr.shape[d] > 2 * edge:
            idx = list(range(edge)) + list(range(arr.shape[d] - edge, arr.shape[d]))
            arr = np.take(arr, idx, axis=d)
    return arr


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t: Tensor) -> str:
    """The text torch prints for ``t``, with ``ember.`` in place of ``torch.``."""
    from ._tensor import Tensor

    arr = np.asarray(t._k.to_numpy(t._data))
    d = dt.FROM_NP[arr.dtype]
    if arr.dtype == dt.bfloat16.np:
        arr = arr.astype(np.float32)
    cls = type(t)
    plain = cls is Tensor or cls.__name__ in ("Parameter", "Buffer")
    prefix = "tensor(" if plain else f"{cls.__name__}("
    indent = len(prefix)
    suffixes = []
    if t._device.type != "cpu":
        suffixes.append(f"device='{t._device}'")
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if d is not dt.DEFAULTS.float:
            suffixes.append(f"dtype=ember.{d.name}")
        body = "[]"
    else:
        if not PRINT_OPTS["edgeitems"]:
            suffixes.append(f"size={tuple(arr.shape)}")
        if d not in (dt.DEFAULTS.float, dt.int64, dt.bool):
            suffixes.append(f"dtype=ember.{d.name}")
        summarize = arr.size > PRINT_OPTS["threshold"]
        fmt = _Formatter(_summarized(arr) if summarize else arr, d.is_floating_point)
        body = _tensor_str_with(arr, indent, summarize, fmt)
    fn = t._grad_fn
    if fn is not None:
        suffixes.append(f"grad_fn=<{fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print, with torch's options.

    Args:
        precision: digits after the decimal point (default 4).
        threshold: element count above which tensors are summarized (default 1000).
        edgeitems: items shown at each end of a summarized dim (default 3).
        linewidth: characters per line (default 80).
        profile: ``"default"``, ``"short"`` or ``"full"`` presets.
        sci_mode: force (True) or forbid (False) scientific notation; None decides per
            tensor.
    """
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


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for ``set_printoptions``."""
    return dict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change print options (the arguments of ``set_printoptions``)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        PRINT_OPTS.update(old)
