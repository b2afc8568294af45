"""Convolutions (1-D, 2-D, 3-D, transposed): three ops and the functional forms on top.

The ops, each with a composite definition and an optional fused kernel per backend:

- ``convolution(x, w, b, stride, padding, dilation, groups)``: the cross-correlation
  ``y[n, o] = b[o] + sum_{c, k} w[o, c, k] * x_pad[n, g(o) * C/groups + c, s * i + d * k]``.
- ``conv_input_grad(g, w, input_size, stride, padding, dilation, groups)``: the adjoint of
  ``convolution`` in ``x`` (a transposed convolution); returns ``(N, C, *input_size)``.
- ``conv_weight_grad(x, g, weight_size, stride, padding, dilation, groups)``: the adjoint
  in ``w``; returns ``weight_size``.

Kernels receive batched arrays (``x`` of shape ``(N, C, *S)``), tuples of ints for stride,
padding (symmetric, non-negative) and dilation, and ``b`` as an array or ``None``.

``convolution`` is bilinear in ``(x, w)``, so each op's backward is the other two ops:
``dy -> (conv_input_grad(dy, w), conv_weight_grad(x, dy))``, and likewise for the two
gradient ops. The formulas are written with these ops, so higher derivatives work on
every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ember import bool as ember_bool
from ember.amp.autocast_mode import STATE as AUTOCAST
from ember.amp.autocast_mode import autocast_args
from ember.ops._base import GRAD, Tensor, record

from ._utils import check_same_dtype, fmt_shape, needs, ntuple, pad_constant, run

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "convolution", "conv_input_grad", "conv_weight_grad",
           "conv_tbc", "conv_transpose_output_size"]

Ints = tuple[int, ...]


# -------------------------------------------------------------------------------------
# Composite definitions (ember ops only; used where the backend has no fused kernel)
# -------------------------------------------------------------------------------------


def _windows(x: Tensor, k: Sequence[int], stride: Sequence[int], dilation: Sequence[int]
             ) -> Tensor:
    """Sliding windows of a padded ``(N, C, *S)`` tensor: ``(N, C, *O, *k)``."""
    for i, (kk, s, d) in enumerate(zip(k, stride, dilation, strict=True)):
        x = x.unfold(2 + i, d * (kk - 1) + 1, s)
        if d > 1:
            x = x[..., ::d]
    return x


def _grouped_cols(x: Tensor, k: Sequence[int], stride: Sequence[int], padding: Sequence[int],
                  dilation: Sequence[int], groups: int) -> tuple[Tensor, Ints]:
    """The im2col matrix of ``x`` by group: ``(N, groups, L, C/groups * K)``, and ``O``."""
    n, c = x.shape[:2]
    nd = len(k)
    if any(padding):
        x = pad_constant(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    win = _windows(x, k, stride, dilation)
    out = tuple(win.shape[2:2 + nd])
    lsize, ksize = 1, 1
    for v in out:
        lsize *= v
    for v in k:
        ksize *= v
    cols = win.reshape(n, groups, c // groups, lsize, ksize).permute(0, 1, 3, 2, 4)
    return cols.reshape(n, groups, lsize, (c // groups) * ksize), out


def _convolution_composite(x: Tensor, w: Tensor, b: Tensor | None, stride: Ints,
                           padding: Ints, dilation: Ints, groups: int) -> Tensor:
    n = x.shape[0]
    cout = w.shape[0]
    cols, out = _grouped_cols(x, w.shape[2:], stride, padding, dilation, groups)
    wm = w.reshape(groups, cout // groups, -1).transpose(1, 2)
    y = (cols @ wm).permute(0, 1, 3, 2).reshape(n, cout, *out)
    if b is not None:
        y = y + b.reshape(1, cout, *([1] * len(out)))
    return y


def _stuff_zeros(g: Tensor, dim: int, s: int) -> Tensor:
    """Insert ``s - 1`` zeros between neighbours along ``dim`` (the inverse of striding)."""
    size = g.shape[dim]
    g = g.unsqueeze(dim + 1)
    pads = [(0, 0)] * g.ndim
    pads[dim + 1] = (0, s - 1)
    g = pad_constant(g, pads)
    shape = list(g.shape[:dim]) + [size * s] + list(g.shape[dim + 2:])
    return g.reshape(shape).narrow(dim, 0, (size - 1) * s + 1)


def _conv_input_grad_composite(g: Tensor, w: Tensor, input_size: Ints, stride: Ints,
                               padding: Ints, dilation: Ints, groups: int) -> Tensor:
    # A transposed convolution is the convolution of the zero-stuffed gradient, padded by
    # d * (k - 1) - p (cropped where that is negative), with the spatially flipped kernel
    # whose in/out channels are swapped within each group.
    nd = len(input_size)
    k = w.shape[2:]
    for i, s in enumerate(stride):
        if s > 1:
            g = _stuff_zeros(g, 2 + i, s)
    pads = [(0, 0), (0, 0)]
    crop = []
    for i in range(nd):
        left = dilation[i] * (k[i] - 1) - padding[i]
        right = input_size[i] + dilation[i] * (k[i] - 1) - g.shape[2 + i] - left
        crop.append((max(0, -left), max(0, -right)))
        pads.append((max(0, left), max(0, right)))
    for i, (a, b) in enumerate(crop):
        if a or b:
            g = g.narrow(2 + i, a, g.shape[2 + i] - a - b)
    if any(p != (0, 0) for p in pads):
        g = pad_constant(g, pads)
    cout, cg = w.shape[:2]
    wt = w.reshape(groups, cout // groups, cg, *k).transpose(1, 2)
    wt = wt.reshape(groups * cg, cout // groups, *k).flip(tuple(range(2, 2 + nd)))
    return run("convolution", _convolution_composite, g, wt, None, (1,) * nd, (0,) * nd,
               dilation, groups)


def _conv_weight_grad_composite(x: Tensor, g: Tensor, weight_size: Ints, stride: Ints,
                                padding: Ints, dilation: Ints, groups: int) -> Tensor:
    n, cout = g.shape[:2]
    cols, _ = _grouped_cols(x, weight_size[2:], stride, padding, dilation, groups)
    gm = g.reshape(n, groups, cout // groups, -1)
    return (gm @ cols).sum(0).reshape(weight_size)


# -------------------------------------------------------------------------------------
# The three ops and their backward formulas
# -------------------------------------------------------------------------------------


def _bw_convolution(node: Any, gy: Tensor) -> tuple[Tensor | None, ...]:
    x, w = node.saved
    stride, padding, dilation, groups, has_bias = node.attrs
    gx = gw = gb = None
    if needs(node, 0):
        gx = conv_input_grad(gy, w, tuple(x.shape[2:]), stride, padding, dilation, groups)
    if needs(node, 1):
        gw = conv_weight_grad(x, gy, tuple(w.shape), stride, padding, dilation, groups)
    if has_bias and needs(node, 2):
        gb = gy.sum((0, *range(2, gy.ndim)))
    return gx, gw, gb


def convolution(x: Tensor, w: Tensor, b: Tensor | None, stride: Ints, padding: Ints,
                dilation: Ints, groups: int) -> Tensor:
    """The convolution op on checked, batched arguments (see the module docstring)."""
    out = run("convolution", _convolution_composite, x, w, b, stride, padding, dilation,
              groups)
    if GRAD.enabled and (x._rg or w._rg or (b is not None and b._rg)):
        record("ConvolutionBackward0", _bw_convolution, (x, w, b), out, save=(x, w),
               attrs=(stride, padding, dilation, groups, b is not None))
    return out


def _bw_conv_input_grad(node: Any, gdx: Tensor) -> tuple[Tensor | None, ...]:
    gy, w = node.saved
    stride, padding, dilation, groups = node.attrs
    ggy = gw = None
    if needs(node, 0):
        ggy = convolution(gdx, w, None, stride, padding, dilation, groups)
    if needs(node, 1):
        gw = conv_weight_grad(gdx, gy, tuple(w.shape), stride, padding, dilation, groups)
    return ggy, gw


def conv_input_grad(gy: Tensor, w: Tensor, input_size: Ints, stride: Ints, padding: Ints,
                    dilation: Ints, groups: int) -> Tensor:
    """The gradient of ``convolution`` wrt its input (a transposed convolution)."""
    out = run("conv_input_grad", _conv_input_grad_composite, gy, w, tuple(input_size), stride,
              padding, dilation, groups)
    if GRAD.enabled and (gy._rg or w._rg):
        record("ConvolutionBackwardInput0", _bw_conv_input_grad, (gy, w), out, save=(gy, w),
               attrs=(stride, padding, dilation, groups))
    return out


def _bw_conv_weight_grad(node: Any, gdw: Tensor) -> tuple[Tensor | None, ...]:
    x, gy = node.saved
    stride, padding, dilation, groups = node.attrs
    gx = ggy = None
    if needs(node, 0):
        gx = conv_input_grad(gy, gdw, tuple(x.shape[2:]), stride, padding, dilation, groups)
    if needs(node, 1):
        ggy = convolution(x, gdw, None, stride, padding, dilation, groups)
    return gx, ggy


def conv_weight_grad(x: Tensor, gy: Tensor, weight_size: Ints, stride: Ints, padding: Ints,
                     dilation: Ints, groups: int) -> Tensor:
    """The gradient of ``convolution`` wrt its weight."""
    out = run("conv_weight_grad", _conv_weight_grad_composite, x, gy, tuple(weight_size),
              stride, padding, dilation, groups)
    if GRAD.enabled and (x._rg or gy._rg):
        record("ConvolutionBackwardWeight0", _bw_conv_weight_grad, (x, gy), out,
               save=(x, gy), attrs=(stride, padding, dilation, groups))
    return out


# -------------------------------------------------------------------------------------
# Argument checks and the functional forms
# -------------------------------------------------------------------------------------


def _batched(op: str, x: Tensor, nd: int) -> tuple[Tensor, bool]:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x.ndim == nd + 1:
        return x.unsqueeze(0), True
    if x.ndim != nd + 2:
        raise RuntimeError(f"[{op}] Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) "
                           f"input to {op}, but got input of size: {fmt_shape(x.shape)}")
    return x, False


def _check_common(op: str, x: Tensor, w: Tensor, b: Tensor | None, stride: Ints,
                  dilation: Ints, groups: int, nd: int) -> None:
    if not isinstance(w, Tensor):
        raise TypeError(f"{op}(): argument 'weight' must be Tensor, not {type(w).__name__}")
    if w.ndim != nd + 2:
        raise RuntimeError(f"[{op}] Expected {nd + 2}-dimensional weight for {nd}-d "
                           f"convolution, but got weight of size {fmt_shape(w.shape)}")
    if x.dtype == ember_bool:
        raise RuntimeError(f"[{op}] \"{op}\" not implemented for 'Bool'")
    check_same_dtype(op, x, w, b)
    if groups <= 0:
        raise RuntimeError(f"[{op}] non-positive groups is not supported, got groups={groups}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"[{op}] non-positive stride is not supported, got stride="
                           f"{list(stride)}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"[{op}] dilation should be greater than zero, got dilation="
                           f"{list(dilation)}")


def _check_bias(op: str, b: Tensor | None, w: Tensor, channels: int) -> None:
    if b is not None and (b.ndim != 1 or b.shape[0] != channels):
        raise RuntimeError(f"[{op}] Given weight of size {fmt_shape(w.shape)}, expected bias "
                           f"to be 1-dimensional with {channels} elements, but got bias of "
                           f"size {fmt_shape(b.shape)} instead")


def _conv(op: str, nd: int, input: Tensor, weight: Tensor, bias: Tensor | None,  # noqa: A002
          stride: Any, padding: Any, dilation: Any, groups: int) -> Tensor:
    if AUTOCAST.active:
        input, weight, bias = autocast_args(op, input, weight, bias)
    x, unbatched = _batched(op, input, nd)
    stride_t = ntuple(stride, nd, "stride", op)
    dilation_t = ntuple(dilation, nd, "dilation", op)
    _check_common(op, x, weight, bias, stride_t, dilation_t, groups, nd)
    k = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pad_t = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride_t):
                raise RuntimeError(f"[{op}] padding='same' is not supported for strided "
                                   "convolutions")
            total = [d * (kk - 1) for d, kk in zip(dilation_t, k, strict=True)]
            pad_t = tuple(t // 2 for t in total)
            extra = [t - 2 * (t // 2) for t in total]
            if any(extra):  # odd total padding: the extra element goes on the right
                x = pad_constant(x, [(0, 0), (0, 0)] + [(0, e) for e in extra])
        else:
            raise RuntimeError(f"[{op}] Invalid padding string '{padding}', should be one of "
                               "'valid' or 'same'")
    else:
        pad_t = ntuple(padding, nd, "padding", op)
        if any(p < 0 for p in pad_t):
            raise RuntimeError(f"[{op}] negative padding is not supported, got padding="
                               f"{list(pad_t)}")
    cout, cg = weight.shape[:2]
    if cout % groups:
        raise RuntimeError(f"[{op}] Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size "
                           f"{fmt_shape(weight.shape)} instead")
    if x.shape[1] != cg * groups:
        raise RuntimeError(f"[{op}] Given groups={groups}, weight of size "
                           f"{fmt_shape(weight.shape)}, expected input{fmt_shape(x.shape)} to "
                           f"have {cg * groups} channels, but got {x.shape[1]} channels "
                           "instead")
    _check_bias(op, bias, weight, cout)
    padded = [s + 2 * p for s, p in zip(x.shape[2:], pad_t, strict=True)]
    eff = [d * (kk - 1) + 1 for d, kk in zip(dilation_t, k, strict=True)]
    if any(p < e for p, e in zip(padded, eff, strict=True)):
        raise RuntimeError(f"[{op}] Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than "
                           "actual input size")
    out = convolution(x, weight, bias, stride_t, pad_t, dilation_t, groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose_output_size(size: Sequence[int], k: Sequence[int], stride: Sequence[int],
                               padding: Sequence[int], output_padding: Sequence[int],
                               dilation: Sequence[int]) -> Ints:
    """Spatial output size of a transposed convolution:
    ``(S - 1) s - 2p + d (k - 1) + output_padding + 1``."""
    return tuple((i - 1) * s - 2 * p + d * (kk - 1) + op + 1
                 for i, kk, s, p, op, d in zip(size, k, stride, padding, output_padding,
                                               dilation, strict=True))


def _conv_transpose(op: str, nd: int, input: Tensor, weight: Tensor,  # noqa: A002
                    bias: Tensor | None, stride: Any, padding: Any, output_padding: Any,
                    groups: int, dilation: Any) -> Tensor:
    if AUTOCAST.active:
        input, weight, bias = autocast_args(op, input, weight, bias)
    x, unbatched = _batched(op, input, nd)
    stride_t = ntuple(stride, nd, "stride", op)
    dilation_t = ntuple(dilation, nd, "dilation", op)
    if isinstance(padding, str):
        raise TypeError(f"[{op}] padding must be an int or a tuple of ints for transposed "
                        f"convolutions, got '{padding}'")
    pad_t = ntuple(padding, nd, "padding", op)
    outpad_t = ntuple(output_padding, nd, "output_padding", op)
    _check_common(op, x, weight, bias, stride_t, dilation_t, groups, nd)
    if any(p < 0 for p in pad_t):
        raise RuntimeError(f"[{op}] negative padding is not supported, got padding="
                           f"{list(pad_t)}")
    for o, s, d in zip(outpad_t, stride_t, dilation_t, strict=True):
        if o < 0 or (o >= s and o >= d):
            raise RuntimeError(f"[{op}] output padding must be smaller than either stride or "
                               f"dilation, but got output_padding={list(outpad_t)}, stride="
                               f"{list(stride_t)}, dilation={list(dilation_t)}")
    cin, cog = weight.shape[:2]
    if cin % groups:
        raise RuntimeError(f"[{op}] Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size "
                           f"{fmt_shape(weight.shape)} instead")
    if x.shape[1] != cin:
        raise RuntimeError(f"[{op}] Given transposed=1, weight of size "
                           f"{fmt_shape(weight.shape)}, expected input{fmt_shape(x.shape)} to "
                           f"have {cin} channels, but got {x.shape[1]} channels instead")
    _check_bias(op, bias, weight, cog * groups)
    k = tuple(weight.shape[2:])
    out_size = conv_transpose_output_size(x.shape[2:], k, stride_t, pad_t, outpad_t,
                                          dilation_t)
    if any(o <= 0 for o in out_size):
        raise RuntimeError(f"[{op}] Given input size per channel: "
                           f"({' x '.join(map(str, x.shape[2:]))}). Calculated output size per "
                           f"channel: ({' x '.join(map(str, out_size))}). Output size is too "
                           "small")
    out = conv_input_grad(x, weight, out_size, stride_t, pad_t, dilation_t, groups)
    if bias is not None:
        out = out + bias.reshape(1, -1, *([1] * nd))
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
           stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation) of ``input`` with ``weight``.

    ``out[n, o, l] = bias[o] + sum_{c, j} weight[o, c, j] * input_pad[n, c', s l + d j]``
    where ``c'`` runs over the input channels of ``o``'s group.

    Args:
        input: ``(N, C_in, L)`` or unbatched ``(C_in, L)``.
        weight: ``(C_out, C_in / groups, kL)``.
        bias: ``(C_out,)`` or None.
        stride: step between windows (int or 1-tuple). Default 1.
        padding: zeros added to both sides: an int, a 1-tuple, ``'valid'`` (none) or
            ``'same'`` (output as long as the input; stride 1 only). Default 0.
        dilation: spacing between kernel taps. Default 1.
        groups: split channels into this many independent groups. Default 1.

    Returns:
        ``(N, C_out, L_out)``, ``L_out = (L + 2 p - d (kL - 1) - 1) // s + 1``.

    >>> import ember
    >>> ember.nn.functional.conv1d(ember.ones(1, 1, 4), ember.ones(1, 1, 2)).tolist()
    [[[2.0, 2.0, 2.0]]]
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
           stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) of ``input`` with ``weight``.

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_out, C_in / groups, kH, kW)``.
        bias: ``(C_out,)`` or None.
        stride, padding, dilation: ints or pairs; padding may be ``'valid'`` or ``'same'``.
        groups: number of channel groups. Default 1.

    Returns:
        ``(N, C_out, H_out, W_out)`` with ``H_out = (H + 2 p - d (kH - 1) - 1) // s + 1``.

    >>> import ember
    >>> ember.nn.functional.conv2d(ember.ones(1, 1, 3, 3), ember.ones(1, 1, 2, 2)).shape
    ember.Size([1, 1, 2, 2])
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
           stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D convolution (cross-correlation) of ``input`` with ``weight``.

    Args:
        input: ``(N, C_in, D, H, W)`` or unbatched ``(C_in, D, H, W)``.
        weight: ``(C_out, C_in / groups, kD, kH, kW)``.
        bias: ``(C_out,)`` or None.
        stride, padding, dilation: ints or triples; padding may be ``'valid'`` or ``'same'``.
        groups: number of channel groups. Default 1.

    Returns:
        ``(N, C_out, D_out, H_out, W_out)``.

    >>> import ember
    >>> ember.nn.functional.conv3d(ember.ones(1, 1, 2, 2, 2), ember.ones(1, 1, 2, 2, 2)).item()
    8.0
    """
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """1-D transposed convolution: the gradient of ``conv1d`` wrt its input, as a layer.

    Args:
        input: ``(N, C_in, L)`` or ``(C_in, L)``.
        weight: ``(C_in, C_out / groups, kL)``.
        bias: ``(C_out,)`` or None.
        stride, padding, dilation: those of the convolution this transposes.
        output_padding: extra elements on one side of the output, to pick among the input
            sizes a strided convolution maps to the same output size.
        groups: number of channel groups.

    Returns:
        ``(N, C_out, L_out)``, ``L_out = (L - 1) s - 2 p + d (kL - 1) + output_padding + 1``.

    >>> import ember
    >>> ember.nn.functional.conv_transpose1d(ember.ones(1, 1, 2), ember.ones(1, 1, 2)).tolist()
    [[[1.0, 2.0, 1.0]]]
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """2-D transposed convolution (see :func:`conv_transpose1d`).

    Args:
        input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``.
        weight: ``(C_in, C_out / groups, kH, kW)``.

    Returns:
        ``(N, C_out, H_out, W_out)``.

    >>> import ember
    >>> ember.nn.functional.conv_transpose2d(ember.ones(1, 1, 2, 2), ember.ones(1, 1, 2, 2)).shape
    ember.Size([1, 1, 3, 3])
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """3-D transposed convolution (see :func:`conv_transpose1d`).

    Args:
        input: ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``.
        weight: ``(C_in, C_out / groups, kD, kH, kW)``.

    Returns:
        ``(N, C_out, D_out, H_out, W_out)``.

    >>> import ember
    >>> x, w = ember.ones(1, 1, 1, 1, 1), ember.ones(1, 2, 1, 1, 1)
    >>> ember.nn.functional.conv_transpose3d(x, w).shape
    ember.Size([1, 2, 1, 1, 1])
    """
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:  # noqa: A002
    """1-D convolution on time-batch-channel input.

    Args:
        input: ``(T, N, C_in)``.
        weight: ``(kT, C_in, C_out)``.
        bias: ``(C_out,)``.
        pad: zeros added on both ends of the time dim.

    Returns:
        ``(T_out, N, C_out)`` with ``T_out = T + 2 pad - kT + 1``.

    >>> import ember
    >>> ember.nn.functional.conv_tbc(ember.ones(3, 1, 1), ember.ones(2, 1, 1), ember.zeros(1)).shape
    ember.Size([2, 1, 1])
    """
    if input.ndim != 3 or weight.ndim != 3:
        raise RuntimeError(f"[conv_tbc] expected a 3-D input and weight, got input of size "
                           f"{fmt_shape(input.shape)} and weight of size "
                           f"{fmt_shape(weight.shape)}")
    x = input.permute(1, 2, 0)
    w = weight.permute(2, 1, 0)
    return conv1d(x, w, bias, 1, pad).permute(2, 0, 1)
