"""Normalization Modules: BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d and their lazy forms,
LayerNorm, GroupNorm, RMSNorm and LocalResponseNorm.

The Modules hold the affine parameters and the running statistics; ``forward`` decides
which statistics to use (as torch does) and calls the ops of
:mod:`ember_layers.functional.normalization`.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import ember
from ember._tensor import Tensor
from ember.nn import Module, Parameter, UninitializedBuffer, UninitializedParameter, init
from ember.nn.modules.lazy import LazyModuleMixin

from .functional import normalization as N

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
           "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LayerNorm",
           "GroupNorm", "RMSNorm", "LocalResponseNorm"]


def _register_affine(module: Module, shape: int | tuple[int, ...], affine: bool, bias: bool,
                     device: Any, dtype: Any) -> None:
    """Give ``module`` the parameters ``weight`` and ``bias`` of ``shape`` (uninitialized:
    ``reset_parameters`` fills them); without ``affine`` both are ``None``, without
    ``bias`` the bias is."""
    kw = {"device": device, "dtype": dtype}
    if affine:
        module.weight = Parameter(ember.empty(shape, **kw))
        if bias:
            module.bias = Parameter(ember.empty(shape, **kw))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def _reset_affine(module: Module) -> None:
    """``weight`` to 1 and ``bias`` (when there is one) to 0."""
    init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _NormBase(Module):
    """Parameters (``weight``, ``bias``) and running statistics (``running_mean``,
    ``running_var``, ``num_batches_tracked``) shared by batch and instance norm."""

    _version = 2
    __constants__ = ["track_running_stats", "momentum", "eps", "num_features", "affine"]

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, num_features, affine, bias, device, dtype)
        kw = {"device": device, "dtype": dtype}
        if track_running_stats:
            self.register_buffer("running_mean", ember.zeros(num_features, **kw))
            self.register_buffer("running_var", ember.ones(num_features, **kw))
            self.register_buffer("num_batches_tracked",
                                 ember.tensor(0, dtype=ember.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean to 0, running variance to 1, batch count to 0."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics; weight to 1 and bias to 0."""
        self.reset_running_stats()
        if self.affine:
            _reset_affine(self)

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        raise TypeError(f"{type(self).__name__} does not define the input dims it accepts")

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return N.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class _LazyNormBase(LazyModuleMixin, _NormBase):
    """Batch/instance norm whose ``num_features`` is read from the first input's dim 1."""

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        kw = {"device": device, "dtype": dtype}
        if affine:
            self.weight = UninitializedParameter(**kw)
            if bias:
                self.bias = UninitializedParameter(**kw)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(**kw)
            self.running_var = UninitializedBuffer(**kw)
            self.num_batches_tracked = ember.tensor(0, dtype=ember.int64, device=device)

    def reset_parameters(self) -> None:
        """Reset once the shapes are known (see :class:`_NormBase`)."""
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        """Materialize parameters and buffers with ``num_features = input.shape[1]``."""
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            shape = (self.num_features,)
            if self.affine:
                self.weight.materialize(shape)
                if self.bias is not None:
                    self.bias.materialize(shape)
            if self.track_running_stats:
                self.running_mean.materialize(shape)
                self.running_var.materialize(shape)
            self.reset_parameters()


def _dims_check(name: str, allowed: tuple[int, ...]) -> Any:
    words = " or ".join(f"{d}D" for d in allowed)

    def check(self: Any, input: Tensor) -> None:  # noqa: A002
        if input.ndim not in allowed:
            raise ValueError(f"[{name}] expected {words} input (got {input.ndim}D input of "
                             f"shape {list(input.shape)})")

    check.__name__ = "_check_input_dim"
    return check


_BN_DOC = """Batch normalization over {what}
    (:func:`~ember_layers.functional.normalization.batch_norm`).

    In training, each channel is normalized with the batch's mean and biased variance, and
    the running statistics move towards them with ``momentum`` (``None``: a cumulative
    average over ``num_batches_tracked``); in evaluation the running statistics are used
    (the batch's when ``track_running_stats=False``).

    Args:
        num_features: ``C``, the channel count.
        eps: added to the variance. Default: 1e-5.
        momentum: running-statistics update factor, or ``None``. Default: 0.1.
        affine: learn ``weight`` and ``bias``. Default: ``True``.
        track_running_stats: keep running statistics. Default: ``True``.
        device, dtype: of the parameters and buffers.
        bias: learn the bias (keyword only). Default: ``True``.

    Shape:
        input {shape}, output the same.

    >>> import ember
    >>> ember.nn.{name}(3)
    {name}(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

_LAZY_DOC = """:class:`{base}` whose ``num_features`` is inferred from the first input's dim 1;
    it becomes a ``{base}`` after that call.

    Args: as :class:`{base}`, without ``num_features``.

    >>> import ember
    >>> m = ember.nn.{name}()
    >>> _ = m(ember.randn({example}))
    >>> type(m).__name__, m.num_features
    ('{base}', 3)
    """


class BatchNorm1d(_BatchNorm):
    __doc__ = _BN_DOC.format(what="``(N, C)`` or ``(N, C, L)`` inputs", name="BatchNorm1d",
                             shape="``(N, C)`` or ``(N, C, L)``")
    _check_input_dim = _dims_check("BatchNorm1d", (2, 3))


class BatchNorm2d(_BatchNorm):
    __doc__ = _BN_DOC.format(what="``(N, C, H, W)`` inputs", name="BatchNorm2d",
                             shape="``(N, C, H, W)``")
    _check_input_dim = _dims_check("BatchNorm2d", (4,))


class BatchNorm3d(_BatchNorm):
    __doc__ = _BN_DOC.format(what="``(N, C, D, H, W)`` inputs", name="BatchNorm3d",
                             shape="``(N, C, D, H, W)``")
    _check_input_dim = _dims_check("BatchNorm3d", (5,))


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    __doc__ = _LAZY_DOC.format(base="BatchNorm1d", name="LazyBatchNorm1d", example="4, 3")
    cls_to_become = BatchNorm1d
    _check_input_dim = _dims_check("LazyBatchNorm1d", (2, 3))


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    __doc__ = _LAZY_DOC.format(base="BatchNorm2d", name="LazyBatchNorm2d",
                               example="4, 3, 2, 2")
    cls_to_become = BatchNorm2d
    _check_input_dim = _dims_check("LazyBatchNorm2d", (4,))


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    __doc__ = _LAZY_DOC.format(base="BatchNorm3d", name="LazyBatchNorm3d",
                               example="4, 3, 2, 2, 2")
    cls_to_become = BatchNorm3d
    _check_input_dim = _dims_check("LazyBatchNorm3d", (5,))


class _InstanceNorm(_NormBase):
    _no_batch_dim = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def _apply_instance_norm(self, input: Tensor) -> Tensor:  # noqa: A002
        return N.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0, self.eps)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input_dim(input)
        feature_dim = input.ndim - self._no_batch_dim
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"[{type(self).__name__}] expected input's size at "
                                 f"dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. "
                          "You can silence this warning by not passing in num_features, which "
                          "is not used because affine=False", stacklevel=2)
        if input.ndim == self._no_batch_dim:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)


class _LazyInstanceNorm(_LazyNormBase, _InstanceNorm):
    """Instance norm whose ``num_features`` is read from the first input; the constructor is
    :class:`_LazyNormBase`'s (``affine`` and ``track_running_stats`` default to ``True``,
    as in torch)."""


_IN_DOC = """Instance normalization over {what}
    (:func:`~ember_layers.functional.normalization.instance_norm`).

    Every channel of every sample is normalized with its own spatial mean and biased
    variance. With ``track_running_stats`` the running statistics follow the batch average
    of those and are used in evaluation.

    Args:
        num_features: ``C``, the channel count.
        eps: added to the variance. Default: 1e-5.
        momentum: running-statistics update factor. Default: 0.1.
        affine: learn ``weight`` and ``bias``. Default: ``False``.
        track_running_stats: keep running statistics. Default: ``False``.
        device, dtype: of the parameters and buffers.

    Shape:
        input {shape}, output the same.

    >>> import ember
    >>> ember.nn.{name}(3)
    {name}(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
    """


class InstanceNorm1d(_InstanceNorm):
    __doc__ = _IN_DOC.format(what="``(N, C, L)`` inputs", name="InstanceNorm1d",
                             shape="``(N, C, L)`` or ``(C, L)``")
    _no_batch_dim = 2
    _check_input_dim = _dims_check("InstanceNorm1d", (2, 3))


class InstanceNorm2d(_InstanceNorm):
    __doc__ = _IN_DOC.format(what="``(N, C, H, W)`` inputs", name="InstanceNorm2d",
                             shape="``(N, C, H, W)`` or ``(C, H, W)``")
    _no_batch_dim = 3
    _check_input_dim = _dims_check("InstanceNorm2d", (3, 4))


class InstanceNorm3d(_InstanceNorm):
    __doc__ = _IN_DOC.format(what="``(N, C, D, H, W)`` inputs", name="InstanceNorm3d",
                             shape="``(N, C, D, H, W)`` or ``(C, D, H, W)``")
    _no_batch_dim = 4
    _check_input_dim = _dims_check("InstanceNorm3d", (4, 5))


class LazyInstanceNorm1d(_LazyInstanceNorm):
    __doc__ = _LAZY_DOC.format(base="InstanceNorm1d", name="LazyInstanceNorm1d",
                               example="4, 3, 5")
    cls_to_become = InstanceNorm1d
    _no_batch_dim = 2
    _check_input_dim = _dims_check("LazyInstanceNorm1d", (2, 3))


class LazyInstanceNorm2d(_LazyInstanceNorm):
    __doc__ = _LAZY_DOC.format(base="InstanceNorm2d", name="LazyInstanceNorm2d",
                               example="4, 3, 2, 2")
    cls_to_become = InstanceNorm2d
    _no_batch_dim = 3
    _check_input_dim = _dims_check("LazyInstanceNorm2d", (3, 4))


class LazyInstanceNorm3d(_LazyInstanceNorm):
    __doc__ = _LAZY_DOC.format(base="InstanceNorm3d", name="LazyInstanceNorm3d",
                               example="4, 3, 2, 2, 2")
    cls_to_become = InstanceNorm3d
    _no_batch_dim = 4
    _check_input_dim = _dims_check("LazyInstanceNorm3d", (4, 5))


def _as_shape(normalized_shape: Any) -> tuple[int, ...]:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(normalized_shape)


class LayerNorm(Module):
    """Layer normalization over the trailing ``normalized_shape`` dims
    (:func:`~ember_layers.functional.normalization.layer_norm`).

    Args:
        normalized_shape: an int or the trailing sizes to normalize over.
        eps: added to the variance. Default: 1e-5.
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros) of
            ``normalized_shape``. Default: ``True``.
        bias: learn the bias. Default: ``True``.
        device, dtype: of the parameters.

    Shape:
        input ``(*, *normalized_shape)``, output the same.

    >>> import ember
    >>> ember.nn.LayerNorm(10)
    LayerNorm((10,), eps=1e-05, elementwise_affine=True, bias=True)
    """

    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, self.normalized_shape, elementwise_affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to 1, bias to 0."""
        if self.elementwise_affine:
            _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return N.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalization (:func:`~ember_layers.functional.normalization.group_norm`).

    Args:
        num_groups: how many groups the channels are split into.
        num_channels: ``C``, divisible by ``num_groups``.
        eps: added to the variance. Default: 1e-5.
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros). Default: ``True``.
        device, dtype: of the parameters.
        bias: learn the bias (keyword only). Default: ``True``.

    Shape:
        input ``(N, C, *)``, output the same.

    >>> import ember
    >>> ember.nn.GroupNorm(2, 6)
    GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)
    """

    __constants__ = ["num_groups", "num_channels", "eps", "affine"]

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, num_channels, affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to 1, bias to 0."""
        if self.affine:
            _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return N.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """Root-mean-square normalization
    (:func:`~ember_layers.functional.normalization.rms_norm`).

    Args:
        normalized_shape: an int or the trailing sizes to normalize over.
        eps: added to the mean square; ``None`` uses the input dtype's epsilon.
            Default: ``None``.
        elementwise_affine: learn a ``weight`` (ones). Default: ``True``.
        device, dtype: of the weight.

    Shape:
        input ``(*, *normalized_shape)``, output the same.

    >>> import ember
    >>> ember.nn.RMSNorm([2, 3])
    RMSNorm((2, 3), eps=None, elementwise_affine=True)
    """

    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape: Any, eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ember.empty(self.normalized_shape, device=device,
                                                dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to 1."""
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        return N.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """Local response normalization across channels
    (:func:`~ember_layers.functional.normalization.local_response_norm`).

    Args:
        size: channels in the window.
        alpha: multiplicative factor. Default: 1e-4.
        beta: exponent. Default: 0.75.
        k: additive factor. Default: 1.

    Shape:
        input ``(N, C, *)``, output the same.

    >>> import ember
    >>> ember.nn.LocalResponseNorm(2)
    LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
    """

    __constants__ = ["size", "alpha", "beta", "k"]

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return N.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
