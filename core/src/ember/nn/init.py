"""``ember.nn.init``: fill parameters in place with the standard initial values.

Every function runs without recording autograd history and draws from ember's default
generator (seeded with ``ember.manual_seed``) unless a ``generator`` is given. Random
results are reproducible in ember, not bit-identical to torch.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

from .. import ops
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops.random import Generator

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
    "uniform",
    "normal",
    "constant",
    "eye",
    "dirac",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "orthogonal",
    "sparse",
]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale of initial weights for a layer followed by ``nonlinearity``.

    linear/conv/sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu:
    sqrt(2 / (1 + negative_slope^2)); selu: 3/4.

    Args:
        nonlinearity: the function's name, e.g. ``"relu"``.
        param: the negative slope for ``"leaky_relu"`` (default 0.01).

    Returns:
        The gain.

    >>> import ember
    >>> ember.nn.init.calculate_gain("tanh")
    1.6666666666666667
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param,
                                                                                     float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: Generator | None = None) -> Tensor:
    """Fill ``tensor`` with values drawn uniformly from ``[a, b)``.

    Args:
        tensor: the tensor to fill (any shape).
        a: the lower bound.
        b: the upper bound.
        generator: the random generator (default: ember's default generator).

    Returns:
        ``tensor``.

    >>> import ember
    >>> w = ember.nn.init.uniform_(ember.empty(3, 5), -1.0, 1.0)
    >>> bool((w >= -1).all() and (w < 1).all())
    True
    """
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Generator | None = None) -> Tensor:
    """Fill ``tensor`` with values drawn from the normal distribution N(mean, std^2).

    Args:
        tensor: the tensor to fill.
        mean: the mean.
        std: the standard deviation.
        generator: the random generator.

    Returns:
        ``tensor``.

    >>> import ember
    >>> ember.nn.init.normal_(ember.empty(3, 5)).shape
    ember.Size([3, 5])
    """
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Generator | None = None) -> Tensor:
    """Fill ``tensor`` from N(mean, std^2) restricted to ``[a, b]``.

    Values outside the bounds are redrawn until every value lies inside, so the result
    follows the truncated normal distribution exactly.

    Args:
        tensor: the tensor to fill.
        mean: the mean of the untruncated normal.
        std: its standard deviation.
        a: the lower cut-off.
        b: the upper cut-off.
        generator: the random generator.

    Returns:
        ``tensor``.

    >>> import ember
    >>> w = ember.nn.init.trunc_normal_(ember.empty(100), a=-1.0, b=1.0)
    >>> bool((w.abs() <= 1).all())
    True
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    with no_grad():
        p = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
        if p > 0.3:
            # Redraw the out-of-range values from the normal itself.
            result = ops.empty_like(tensor).normal_(mean, std, generator=generator)
            mask = (result < a) | (result > b)
            while bool(mask.any()):
                fresh = ops.empty_like(result).normal_(mean, std, generator=generator)
                result = ops.where(mask, fresh, result)
                mask = (result < a) | (result > b)
        else:
            # A narrow window far in a tail: rejection sampling from the uniform on
            # [a, b], accepting x with probability exp(-(x-mean)^2/(2 std^2)) / peak.
            mode = max(a, min(mean, b))
            log_peak = -0.5 * ((mode - mean) / std) ** 2
            result = ops.empty_like(tensor).uniform_(a, b, generator=generator)
            pending = _rejected(result, mean, std, log_peak, generator)
            while bool(pending.any()):
                fresh = ops.empty_like(result).uniform_(a, b, generator=generator)
                result = ops.where(pending, fresh, result)
                pending = pending & _rejected(result, mean, std, log_peak, generator)
        tensor.copy_(result)
    return tensor


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def _rejected(x: Tensor, mean: float, std: float, log_peak: float,
              generator: Generator | None) -> Tensor:
    log_density = ((x - mean) / std) ** 2 * -0.5 - log_peak
    return ops.empty_like(x).uniform_(generator=generator).log() > log_density


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val``.

    Args:
        tensor: the tensor to fill.
        val: the value.

    Returns:
        ``tensor``.

    >>> import ember
    >>> ember.nn.init.constant_(ember.empty(2), 0.5)
    tensor([0.5000, 0.5000])
    """
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with ones.

    Args:
        tensor: the tensor to fill.

    Returns:
        ``tensor``.

    >>> import ember
    >>> ember.nn.init.ones_(ember.empty(2))
    tensor([1., 1.])
    """
    with no_grad():
        return tensor.fill_(1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with zeros.

    Args:
        tensor: the tensor to fill.

    Returns:
        ``tensor``.

    >>> import ember
    >>> ember.nn.init.zeros_(ember.empty(2))
    tensor([0., 0.])
    """
    with no_grad():
        return tensor.zero_()


def eye_(tensor: Tensor) -> Tensor:
    """Fill the 2-D ``tensor`` with the identity matrix (ones on the main diagonal).

    Args:
        tensor: a matrix of shape (n, m).

    Returns:
        ``tensor``.

    >>> import ember
    >>> ember.nn.init.eye_(ember.empty(2, 3))
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with no_grad():
        tensor.copy_(ops.eye(*tensor.shape, dtype=tensor.dtype, device=tensor.device))
    return tensor


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta, so that the
    convolution passes its input channels through unchanged.

    Args:
        tensor: a weight of shape (out_channels, in_channels, *kernel).
        groups: the number of groups; each group of output channels keeps its own copy
            of the identity.

    Returns:
        ``tensor``.

    >>> import ember
    >>> w = ember.nn.init.dirac_(ember.empty(2, 2, 3))
    >>> w[:, :, 1]
    tensor([[1., 0.],
            [0., 1.]])
    """
    dims = tensor.ndimension()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.size()
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    centre = tuple(s // 2 for s in sizes[2:])
    with no_grad():
        tensor.zero_()
        for g in range(groups):
            for d in range(min_dim):
                tensor[(g * out_per_group + d, d, *centre)] = 1
    return tensor


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """The fan-in and fan-out of a weight of shape (out, in, *kernel).

    fan_in = in * prod(kernel), fan_out = out * prod(kernel).

    Args:
        tensor: a tensor with at least 2 dimensions.

    Returns:
        ``(fan_in, fan_out)``.

    >>> import ember
    >>> ember.nn.init._calculate_fan_in_and_fan_out(ember.empty(4, 3, 5))
    (15, 20)
    """
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive_field = 1
    for s in tensor.shape[2:]:
        receptive_field *= s
    return tensor.size(1) * receptive_field, tensor.size(0) * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
                    ) -> Tensor:
    """Glorot initialization: uniform on [-a, a] with a = gain * sqrt(6 / (fan_in + fan_out)).

    From Glorot & Bengio, "Understanding the difficulty of training deep feedforward
    neural networks" (2010).

    Args:
        tensor: a weight with at least 2 dimensions.
        gain: a scale factor (see :func:`calculate_gain`).
        generator: the random generator.

    Returns:
        ``tensor``.

    >>> import ember
    >>> w = ember.nn.init.xavier_uniform_(ember.empty(3, 5))
    >>> bool((w.abs() <= 0.8661).all())
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
                   ) -> Tensor:
    """Glorot initialization: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Args:
        tensor: a weight with at least 2 dimensions.
        gain: a scale factor.
        generator: the random generator.

    Returns:
        ``tensor``.

    >>> import ember
    >>> ember.nn.init.xavier_normal_(ember.empty(3, 5)).shape
    ember.Size([3, 5])
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Generator | None = None
                     ) -> Tensor:
    """He initialization: uniform on [-bound, bound], bound = gain * sqrt(3 / fan).

    From He et al., "Delving deep into rectifiers" (2015).

    Args:
        tensor: a weight with at least 2 dimensions.
        a: the negative slope of the following leaky_relu.
        mode: ``"fan_in"`` (keeps the forward variance) or ``"fan_out"`` (the backward).
        nonlinearity: the following non-linearity's name, for :func:`calculate_gain`.
        generator: the random generator.

    Returns:
        ``tensor``.

    >>> import ember
    >>> ember.nn.init.kaiming_uniform_(ember.empty(3, 5), nonlinearity="relu").shape
    ember.Size([3, 5])
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Generator | None = None
                    ) -> Tensor:
    """He initialization: N(0, std^2) with std = gain / sqrt(fan).

    Args:
        tensor: a weight with at least 2 dimensions.
        a: the negative slope of the following leaky_relu.
        mode: ``"fan_in"`` or ``"fan_out"``.
        nonlinearity: the following non-linearity's name.
        generator: the random generator.

    Returns:
        ``tensor``.

    >>> import ember
    >>> ember.nn.init.kaiming_normal_(ember.empty(3, 5), mode="fan_out").shape
    ember.Size([3, 5])
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def _householder_q(a: Tensor) -> tuple[Tensor, Tensor]:
    """Reduced QR of the tall matrix ``a`` (m >= n) by Householder reflections.

    Returns ``(q, diag_r)``: q of shape (m, n) with orthonormal columns and the diagonal
    of R, written with ember ops so it runs on every backend.
    """
    m, n = a.shape
    r = a.clone()
    reflectors: list[Tensor | None] = []
    for k in range(n):
        x = r[k:, k]
        norm = x.norm()
        alpha = -norm if float(x[0]) >= 0 else norm
        v = x.clone()
        v[0] = v[0] - alpha
        v_norm = v.norm()
        if float(v_norm) == 0.0:
            reflectors.append(None)
            continue
        v = v / v_norm
        r[k:, k:] = r[k:, k:] - 2.0 * ops.outer(v, v @ r[k:, k:])
        reflectors.append(v)
    q = ops.eye(m, n, dtype=a.dtype, device=a.device)
    for k in range(n - 1, -1, -1):
        v = reflectors[k]
        if v is not None:
            q[k:, :] = q[k:, :] - 2.0 * ops.outer(v, v @ q[k:, :])
    return q, ops.diagonal(r[:n, :n])


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None
                ) -> Tensor:
    """Fill ``tensor`` with a (semi-)orthogonal matrix, scaled by ``gain``.

    The tensor is viewed as a (rows, numel / rows) matrix; its rows (or columns, whichever
    are fewer) come out orthonormal. From Saxe et al., "Exact solutions to the nonlinear
    dynamics of learning in deep linear neural networks" (2013).

    Args:
        tensor: a tensor with at least 2 dimensions.
        gain: the scale factor.
        generator: the random generator.

    Returns:
        ``tensor``.

    >>> import ember
    >>> w = ember.nn.init.orthogonal_(ember.empty(3, 3))
    >>> bool(((w @ w.T) - ember.eye(3)).abs().max() < 1e-5)
    True
    """
    if tensor.ndimension() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    with no_grad():
        flat = tensor.new_empty((rows, cols)).normal_(0, 1, generator=generator)
        if rows < cols:
            flat = flat.t()
        q, d = _householder_q(flat)
        q = q * d.sign()
        if rows < cols:
            q = q.t()
        tensor.copy_(q.reshape(tensor.shape) * gain)
    return tensor


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: Generator | None = None) -> Tensor:
    """Fill the 2-D ``tensor`` from N(0, std^2), then zero ``ceil(sparsity * rows)``
    randomly chosen entries in every column.

    From Martens, "Deep learning via Hessian-free optimization" (2010).

    Args:
        tensor: a matrix of shape (rows, cols).
        sparsity: the fraction of each column set to zero.
        std: the standard deviation of the non-zero values.
        generator: the random generator.

    Returns:
        ``tensor``.

    >>> import ember
    >>> w = ember.nn.init.sparse_(ember.empty(10, 4), sparsity=0.3)
    >>> int((w == 0).sum())
    12
    """
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    with no_grad():
        tensor.normal_(0, std, generator=generator)
        for col in range(cols):
            zero_rows = ops.randperm(rows, generator=generator)[:num_zeros]
            tensor[zero_rows, col] = 0
    return tensor


def _make_deprecated(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    new_name = fn.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)

    deprecated_init.__doc__ = (f"Deprecated alias of :func:`{new_name}` (warns when "
                               f"called).\n\n    See :func:`{new_name}` for the arguments.")
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecated(uniform_)
normal = _make_deprecated(normal_)
constant = _make_deprecated(constant_)
eye = _make_deprecated(eye_)
dirac = _make_deprecated(dirac_)
xavier_uniform = _make_deprecated(xavier_uniform_)
xavier_normal = _make_deprecated(xavier_normal_)
kaiming_uniform = _make_deprecated(kaiming_uniform_)
kaiming_normal = _make_deprecated(kaiming_normal_)
orthogonal = _make_deprecated(orthogonal_)
sparse = _make_deprecated(sparse_)
