"""``F.pad`` in its four modes: constant, reflect, replicate and circular.

Constant padding uses the ``pad_constant`` primitive (through the op in ``_utils``);
negative pads crop. The other modes gather each padded dim with one ``index_select``
whose indices map every output position to its source element, so their gradients
(scatter-adds) and second derivatives come from the core's ops.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import ember
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args
from ember.ops._base import Tensor

from ._utils import fmt_shape, pad_constant

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(n: int, before: int, after: int, mode: str, dim: int, shape: Any
                  ) -> np.ndarray:
    """For each output position along a dim of size ``n``, the input position it copies."""
    j = np.arange(-before, n + after)
    if mode == "reflect":
        if before >= n or after >= n:
            raise RuntimeError(f"[pad] Argument #4: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({before}, "
                               f"{after}) at dimension {dim} of input {fmt_shape(shape)}")
        j = np.abs(j)
        j = np.where(j >= n, 2 * (n - 1) - j, j)
    elif mode == "replicate":
        j = np.clip(j, 0, n - 1)
    else:
        if before > n or after > n:
            raise RuntimeError("[pad] Padding value causes wrapping around more than once "
                               f"(padding ({before}, {after}) at dimension {dim} of input "
                               f"{fmt_shape(shape)})")
        j = np.mod(j, n)
    return j.astype(np.int64)


def _check_non_constant(input: Tensor, npairs: int, mode: str) -> None:  # noqa: A002
    nd = input.ndim
    if npairs not in (1, 2, 3) or nd not in (npairs + 1, npairs + 2):
        raise NotImplementedError(
            f"[pad] Padding size {2 * npairs} is not supported for {nd}D input tensor "
            f"(mode '{mode}', input of size {fmt_shape(input.shape)}). Supported "
            "combinations for non-constant padding: 2D or 3D input with padding size 2, 3D "
            "or 4D input with padding size 4, 4D or 5D input with padding size 6")
    batch = input.shape[:nd - npairs]
    if any(s == 0 for s in input.shape[nd - npairs:]) or (len(batch) == 2 and batch[1] == 0):
        raise RuntimeError(f"[pad] Expected {nd}D tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {fmt_shape(input.shape)}")


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",  # noqa: A002
        value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims of ``input``.

    ``pad`` lists (before, after) amounts starting from the last dim:
    ``(left, right)`` pads the last dim, ``(left, right, top, bottom)`` the last two, and
    so on. Negative amounts crop.

    Args:
        input: any shape (non-constant modes: 2-D to 5-D, padding 1 to 3 trailing dims).
        pad: an even number of ints.
        mode: ``'constant'`` (fill with ``value``), ``'reflect'`` (mirror without repeating
            the edge), ``'replicate'`` (repeat the edge), ``'circular'`` (wrap around).
        value: the fill of constant mode (default 0).

    Returns:
        The padded tensor; each padded dim grows by ``before + after``.

    >>> import ember
    >>> ember.nn.functional.pad(ember.tensor([[1., 2., 3.]]), (2, 1), mode="reflect").tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    """
    # torch autocasts reflection_pad1d/2d and replication_pad1d/2d/3d to float32
    if AUTOCAST.active and (mode == "replicate" or (mode == "reflect" and len(pad) <= 4)):
        (input,) = autocast_args("replication_pad" if mode == "replicate" else
                                 "reflection_pad", input)
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' must be Tensor, not {type(input).__name__}")
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError(f"[pad] Padding length must be divisible by 2, got {len(pad)} values")
    npairs = len(pad) // 2
    if npairs > input.ndim:
        raise RuntimeError(f"[pad] Padding length too large: {len(pad)} values for an input "
                           f"with {input.ndim} dims")
    if mode not in _MODES:
        raise NotImplementedError(f"[pad] Unrecognised padding mode {mode}; expected one of "
                                  f"{', '.join(_MODES)}")
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(npairs)]  # last dim first
    nd = input.ndim
    if mode == "constant":
        x = input
        for i, (before, after) in enumerate(pairs):
            dim = nd - 1 - i
            size = x.shape[dim]
            lo, hi = max(0, -before), max(0, -after)
            if lo or hi:
                if size + min(0, before) + min(0, after) < 0:
                    raise RuntimeError(f"[pad] The input size {size}, plus negative padding "
                                       f"{before} and {after} resulted in a negative output "
                                       f"size at dimension {dim}")
                x = x.narrow(dim, lo, size - lo - hi)
        widths = [(0, 0)] * nd
        for i, (before, after) in enumerate(pairs):
            widths[nd - 1 - i] = (max(0, before), max(0, after))
        if any(w != (0, 0) for w in widths):
            x = pad_constant(x, widths, 0.0 if value is None else value)
        elif x is input:
            x = x.clone()
        return x
    if value is not None and value != 0:
        raise RuntimeError(f"[pad] Padding mode \"{mode}\" doesn't take in value argument")
    _check_non_constant(input, npairs, mode)
    x = input
    for i, (before, after) in enumerate(pairs):
        dim = nd - 1 - i
        lo, hi = max(0, -before), max(0, -after)
        if lo or hi:  # negative pads crop first; the rest pads the cropped tensor
            x = x.narrow(dim, lo, x.shape[dim] - lo - hi)
        before, after = max(0, before), max(0, after)
        idx = _source_index(x.shape[dim], before, after, mode, dim, input.shape)
        x = x.index_select(dim, ember.tensor(idx, device=x.device))
    return x
