"""Normalization ops: batch_norm, instance_norm, layer_norm, group_norm, rms_norm,
local_response_norm and normalize.

``layer_norm`` dispatches to a fused ``layer_norm`` kernel (returning the output, the mean
and the reciprocal standard deviation) where the backend has one, and records its backward
written with ember ops; ``batch_norm`` with batch statistics does the same with a fused
``batch_norm`` kernel (output, mean, invstd, biased variance). The others are composites
whose gradients flow through the ops they are built from; running statistics are updated in
place without recording.
"""

from __future__ import annotations

import math
from typing import Any

import ember
from ember._tensor import Tensor
from ember.autograd.grad_mode import GRAD
from ember.autograd.graph import record

from .._util import fused, needs_grad, shape_str

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
           "local_response_norm", "normalize"]


def _channel_view(t: Tensor | None, ndim: int) -> Tensor | None:
    """A per-channel vector ``(C,)`` shaped to broadcast against ``(N, C, *)``."""
    if t is None:
        return None
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def _affine(y: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    if weight is not None:
        y = y * _channel_view(weight, y.ndim)
    if bias is not None:
        y = y + _channel_view(bias, y.ndim)
    return y


def _check_stat(name: str, t: Tensor | None, channels: int) -> None:
    if t is not None and t.numel() != channels:
        raise RuntimeError(f"[batch_norm] {name} should contain {channels} elements not "
                           f"{t.numel()}")


def _update_running(running: Tensor | None, value: Tensor, momentum: float) -> None:
    if running is None:
        return
    with ember.no_grad():
        running.mul_(1 - momentum).add_(value.detach().to(running.dtype) * momentum)


def _batch_norm_composite(x: Tensor, w: Tensor | None, b: Tensor | None, eps: float
                          ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Batch statistics per channel: ``(out, mean, invstd, biased var)``, stats ``(C,)``."""
    dims = (0,) + tuple(range(2, x.ndim))
    mean = x.mean(dims)
    var = x.var(dims, unbiased=False)
    invstd = (var + eps).rsqrt()
    y = (x - _channel_view(mean, x.ndim)) * _channel_view(invstd, x.ndim)
    return _affine(y, w, b), mean, invstd, var


def _batch_norm_backward_composite(g: Tensor, x: Tensor, w: Tensor | None, mean: Tensor,
                                   invstd: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(gx, g_weight, g_bias)`` of training-mode batch norm from its saved statistics."""
    dims = (0,) + tuple(range(2, x.ndim))
    invstd_v = _channel_view(invstd, x.ndim)
    xhat = (x - _channel_view(mean, x.ndim)) * invstd_v
    gxhat = g * _channel_view(w, x.ndim) if w is not None else g
    gx = invstd_v * (gxhat - gxhat.mean(dims, keepdim=True)
                     - xhat * (gxhat * xhat).mean(dims, keepdim=True))
    return gx, (g * xhat).sum(dims), g.sum(dims)


def _bw_batch_norm(node: Any, g: Tensor) -> tuple[Tensor | None, ...]:
    x, w, mean, invstd = node.saved
    eps, has_w, has_b = node.attrs
    dims = (0,) + tuple(range(2, x.ndim))
    if not GRAD.enabled:  # no graph of the backward: the fused kernel where there is one
        gx, gw, gb = fused("batch_norm_backward", _batch_norm_backward_composite,
                           (g, x, w, mean, invstd))
        nf = node.next_functions
        grads: list[Tensor | None] = [gx if nf[0] is not None else None]
        if has_w:
            grads.append(gw if nf[1] is not None else None)
        if has_b:
            grads.append(gb if nf[-1] is not None else None)
        return tuple(grads)
    # create_graph: in ember ops, the statistics differentiable functions of x
    mean = x.mean(dims)
    invstd = (x.var(dims, unbiased=False) + eps).rsqrt()
    mean_v = _channel_view(mean, x.ndim)
    invstd_v = _channel_view(invstd, x.ndim)
    xhat = (x - mean_v) * invstd_v
    gx = None
    if node.next_functions[0] is not None:
        gxhat = g * _channel_view(w, x.ndim) if w is not None else g
        gx = invstd_v * (gxhat - gxhat.mean(dims, keepdim=True)
                         - xhat * (gxhat * xhat).mean(dims, keepdim=True))
    grads = [gx]
    if has_w:
        grads.append((g * xhat).sum(dims) if node.next_functions[1] is not None else None)
    if has_b:
        grads.append(g.sum(dims) if node.next_functions[-1] is not None else None)
    return tuple(grads)


def batch_norm(input: Tensor, running_mean: Tensor | None,  # noqa: A002
               running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalize every channel over the batch and spatial dims (Ioffe & Szegedy 2015,
    https://arxiv.org/abs/1502.03167).

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, statistics per channel ``C``
    over ``(N, *)``. In training they are the batch's (biased variance), and the running
    statistics, when given, move towards them:
    ``running = (1 - momentum) * running + momentum * batch`` (unbiased variance). In
    evaluation the running statistics are used.

    Args:
        input: ``(N, C)`` or ``(N, C, *)``.
        running_mean: ``(C,)`` or ``None``; updated in place in training.
        running_var: ``(C,)`` or ``None``; updated in place in training.
        weight: ``(C,)`` scale or ``None``. Default: ``None``.
        bias: ``(C,)`` shift or ``None``. Default: ``None``.
        training: use (and track) batch statistics. Default: ``False``.
        momentum: the running-statistics update factor. Default: 0.1.
        eps: added to the variance. Default: 1e-5.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> x = ember.tensor([[1.], [3.]])
    >>> ember.nn.functional.batch_norm(x, None, None, training=True)
    tensor([[-1.0000],
            [ 1.0000]])
    """
    if input.ndim < 2:
        raise ValueError(f"[batch_norm] expected input with at least 2 dims (N, C, *), got "
                         f"shape {shape_str(input)}")
    channels = input.shape[1]
    _check_stat("running_mean", running_mean, channels)
    _check_stat("running_var", running_var, channels)
    _check_stat("weight", weight, channels)
    _check_stat("bias", bias, channels)
    use_batch = training or running_mean is None or running_var is None
    if use_batch:
        count = input.numel() // max(channels, 1)
        if training and count == 1:
            raise ValueError("[batch_norm] Expected more than 1 value per channel when training, "
                             f"got input size {input.shape}")
        if input.numel() == 0 or any(t is not None and t.dtype != input.dtype
                                     for t in (weight, bias)):
            # empty batch (NaN statistics) or mixed dtypes (promotion): the composite,
            # recorded through its ember ops
            out, mean, _, var = _batch_norm_composite(input, weight, bias, eps)
        else:
            out, mean, invstd, var = fused("batch_norm", _batch_norm_composite,
                                           (input, weight, bias), eps)
            if needs_grad(input, weight, bias):
                inputs = (input,) + ((weight,) if weight is not None else ()) + (
                    (bias,) if bias is not None else ())
                record("NativeBatchNormBackward0", _bw_batch_norm, inputs, out,
                       save=(input, weight, mean, invstd),
                       attrs=(eps, weight is not None, bias is not None))
        if training:
            _update_running(running_mean, mean, momentum)
            unbiased = var * (count / (count - 1)) if count > 1 else var
            _update_running(running_var, unbiased, momentum)
        return out
    mean, var = running_mean, running_var  # type: ignore[assignment]
    y = (input - _channel_view(mean, input.ndim)) * _channel_view((var + eps).rsqrt(),
                                                                  input.ndim)
    return _affine(y, weight, bias)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,  # noqa: A002
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize every channel of every sample over its spatial dims (Ulyanov et al. 2016,
    https://arxiv.org/abs/1607.08022).

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, statistics per ``(N, C)`` over
    the spatial dims. With ``use_input_stats`` and running statistics given, those move
    towards the batch average of the per-instance statistics.

    Args:
        input: ``(N, C, *)`` with at least one spatial dim.
        running_mean: ``(C,)`` or ``None``. Default: ``None``.
        running_var: ``(C,)`` or ``None``. Default: ``None``.
        weight: ``(C,)`` or ``None``. Default: ``None``.
        bias: ``(C,)`` or ``None``. Default: ``None``.
        use_input_stats: normalize with the input's own statistics (else the running
            ones). Default: ``True``.
        momentum: the running-statistics update factor. Default: 0.1.
        eps: added to the variance. Default: 1e-5.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.instance_norm(ember.tensor([[[1., 3.]]]))
    tensor([[[-1.0000,  1.0000]]])
    """
    if input.ndim < 3:
        raise ValueError(f"[instance_norm] expected input with at least 3 dims (N, C, *), got "
                         f"shape {shape_str(input)}")
    channels = input.shape[1]
    _check_stat("running_mean", running_mean, channels)
    _check_stat("running_var", running_var, channels)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("[instance_norm] Expected running_mean and running_var to be "
                               "defined when use_input_stats is false")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum,
                          eps)
    spatial = math.prod(input.shape[2:])
    if spatial == 1:
        raise ValueError("[instance_norm] Expected more than 1 spatial element when training, got "
                         "input size "
                         f"{input.shape}")
    dims = tuple(range(2, input.ndim))
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, unbiased=False, keepdim=True)
    if running_mean is not None or running_var is not None:
        n = input.shape[0]
        flat = (n, channels)
        _update_running(running_mean, mean.reshape(flat).mean(0), momentum)
        unbiased = var.reshape(flat) * (spatial / (spatial - 1))
        _update_running(running_var, unbiased.mean(0), momentum)
    y = (input - mean) * (var + eps).rsqrt()
    return _affine(y, weight, bias)


def _norm_shape(normalized_shape: Any) -> tuple[int, ...]:
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


def _check_normalized(op: str, input: Tensor, shape: tuple[int, ...],  # noqa: A002
                      weight: Tensor | None, bias: Tensor | None, star: str = "*, ") -> None:
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"[{op}] Given normalized_shape={list(shape)}, expected input with "
                           f"shape [{star}{str(list(shape))[1:-1]}], but got input of "
                           f"size{shape_str(input)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"[{op}] Expected {name} to be of same shape as "
                               f"normalized_shape, but got {name} of shape {shape_str(t)} and "
                               f"normalized_shape = {list(shape)}")


def _layer_norm_composite(x: Tensor, w: Tensor | None, b: Tensor | None, k: int,
                          eps: float) -> tuple[Tensor, Tensor, Tensor]:
    dims = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(dims, keepdim=True)
    xc = x - mean
    rstd = ((xc * xc).mean(dims, keepdim=True) + eps).rsqrt()
    out = xc * rstd
    if w is not None:
        out = out * w
    if b is not None:
        out = out + b
    return out, mean, rstd


def _bw_layer_norm(node: Any, g: Tensor) -> tuple[Tensor | None, ...]:
    x, w, mean, rstd = node.saved
    k, eps, has_w, has_b = node.attrs
    dims = tuple(range(x.ndim - k, x.ndim))
    lead = tuple(range(x.ndim - k))
    if GRAD.enabled:  # create_graph: the statistics must be differentiable functions of x
        mean = x.mean(dims, keepdim=True)
        xc = x - mean
        rstd = ((xc * xc).mean(dims, keepdim=True) + eps).rsqrt()
    xhat = (x - mean) * rstd
    gxhat = g * w if w is not None else g
    gx = None
    if node.next_functions[0] is not None:
        gx = rstd * (gxhat - gxhat.mean(dims, keepdim=True)
                     - xhat * (gxhat * xhat).mean(dims, keepdim=True))
    grads: list[Tensor | None] = [gx]
    if has_w:
        grads.append((g * xhat).sum(lead) if node.next_functions[1] is not None else None)
    if has_b:
        grads.append(g.sum(lead) if node.next_functions[-1] is not None else None)
    return tuple(grads)


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims of every sample (Ba et al.
    2016, https://arxiv.org/abs/1607.06450).

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` with mean and biased variance
    over the last ``len(normalized_shape)`` dims.

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: an int or a sequence of the trailing sizes.
        weight: ``normalized_shape`` scale or ``None``. Default: ``None``.
        bias: ``normalized_shape`` shift or ``None``. Default: ``None``.
        eps: added to the variance. Default: 1e-5.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.layer_norm(ember.tensor([[1., 3.]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    shape = _norm_shape(normalized_shape)
    _check_normalized("layer_norm", input, shape, weight, bias)
    k = len(shape)
    out, mean, rstd = fused("layer_norm", _layer_norm_composite, (input, weight, bias), k, eps)
    if needs_grad(input, weight, bias):
        stat_shape = tuple(input.shape[:input.ndim - k]) + (1,) * k
        mean = mean.reshape(stat_shape)
        rstd = rstd.reshape(stat_shape)
        inputs = (input,) + ((weight,) if weight is not None else ()) + (
            (bias,) if bias is not None else ())
        record("NativeLayerNormBackward0", _bw_layer_norm, inputs, out,
               save=(input, weight, mean, rstd),
               attrs=(k, eps, weight is not None, bias is not None))
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over groups of channels of every sample (Wu & He 2018,
    https://arxiv.org/abs/1803.08494).

    The ``C`` channels are split into ``num_groups`` groups; each group of each sample is
    normalized with its own mean and biased variance, then scaled and shifted per channel.

    Args:
        input: ``(N, C, *)``.
        num_groups: how many groups; must divide ``C``.
        weight: ``(C,)`` or ``None``. Default: ``None``.
        bias: ``(C,)`` or ``None``. Default: ``None``.
        eps: added to the variance. Default: 1e-5.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.group_norm(ember.tensor([[1., 3.]]), 1)
    tensor([[-1.0000,  1.0000]])
    """
    if input.ndim < 2:
        raise RuntimeError("[group_norm] Expected at least 2 dimensions for input tensor but "
                         f"received {input.ndim}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError("[group_norm] Expected number of channels in input to be divisible "
                           f"by num_groups, but got input of shape {shape_str(input)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"[group_norm] Expected {name} to be a vector of size equal to "
                               f"the number of channels in input, but got {name} of shape "
                               f"{shape_str(t)} and input of shape {shape_str(input)}")
    grouped = input.reshape(n, num_groups, -1)
    mean = grouped.mean(-1, keepdim=True)
    var = grouped.var(-1, unbiased=False, keepdim=True)
    y = ((grouped - mean) * (var + eps).rsqrt()).reshape(input.shape)
    return _affine(y, weight, bias)


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,  # noqa: A002
             eps: float | None = None) -> Tensor:
    """Root-mean-square normalization (Zhang & Sennrich 2019,
    https://arxiv.org/abs/1910.07467).

    ``y = x / sqrt(mean(x^2) + eps) * weight``, the mean over the trailing
    ``normalized_shape`` dims.

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: an int or a sequence of the trailing sizes.
        weight: ``normalized_shape`` scale or ``None``. Default: ``None``.
        eps: added to the mean square; ``None`` means the machine epsilon of ``input``'s
            dtype. Default: ``None``.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.rms_norm(ember.tensor([[3., 4.]]), (2,), eps=0.0)
    tensor([[0.8485, 1.1314]])
    """
    shape = _norm_shape(normalized_shape)
    _check_normalized("rms_norm", input, shape, weight, None, star="*")
    if eps is None:
        eps = ember.finfo(input.dtype).eps
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * weight


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4,  # noqa: A002
                        beta: float = 0.75, k: float = 1.0) -> Tensor:
    """Normalize every element by the energy of its neighbouring channels (Krizhevsky et
    al. 2012).

    ``y_c = x_c / (k + alpha / size * sum_{c' in window(c)} x_{c'}^2) ^ beta`` with a window
    of ``size`` channels (``size // 2`` before, ``(size - 1) // 2`` after; zeros beyond the
    edges).

    Args:
        input: ``(N, C, *)`` with at least 3 dims.
        size: how many channels the window spans.
        alpha: multiplicative factor. Default: 1e-4.
        beta: exponent. Default: 0.75.
        k: additive factor. Default: 1.

    Returns:
        A tensor of ``input``'s shape.

    >>> import ember
    >>> ember.nn.functional.local_response_norm(ember.ones(1, 2, 1), 1, alpha=1., k=0.,
    ...                                         beta=1.)
    tensor([[[1.],
             [1.]]])
    """
    if input.ndim < 3:
        raise ValueError("[local_response_norm] Expected 3D or higher dimensionality input "
                         f"(got {input.ndim} dimensions, input of shape {shape_str(input)})")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = input * input
    before, after = size // 2, (size - 1) // 2
    parts = []
    if before:
        parts.append(ember.zeros((input.shape[0], before) + tuple(input.shape[2:]),
                                 dtype=input.dtype, device=input.device))
    parts.append(sq)
    if after:
        parts.append(ember.zeros((input.shape[0], after) + tuple(input.shape[2:]),
                                 dtype=input.dtype, device=input.device))
    padded = ember.cat(parts, 1) if len(parts) > 1 else sq
    window = padded.narrow(1, 0, c)
    for i in range(1, size):
        window = window + padded.narrow(1, i, c)
    div = (window * (alpha / size) + k).pow(beta)
    return input / div


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,  # noqa: A002
              out: Tensor | None = None) -> Tensor:
    """Scale vectors along ``dim`` to unit ``p``-norm: ``y = x / max(||x||_p, eps)``.

    Args:
        input: any shape.
        p: the norm's exponent. Default: 2.
        dim: the dim holding the vectors. Default: 1.
        eps: lower bound of the divisor. Default: 1e-12.
        out: if given, the result is copied into it. Default: ``None``.

    Returns:
        A tensor of ``input``'s shape (``out`` when given).

    >>> import ember
    >>> ember.nn.functional.normalize(ember.tensor([[3., 4.]]))
    tensor([[0.6000, 0.8000]])
    """
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    res = input / denom
    if out is None:
        return res
    return out.copy_(res)
