"""``nn.SyncBatchNorm``: batch normalization with statistics over every rank's batch.

In training, with a process group of more than one rank, the per-channel mean and
variance are those of the concatenation of every rank's batch:

    sum_c, sumsq_c, count  --all_reduce-->  mean = S / n,  var = Q / n - mean^2
    y = (x - mean) / sqrt(var + eps) * weight + bias

and backward all-reduces ``sum(dy)`` and ``sum(dy * (x - mean))`` so that input gradients
are those of the full batch. Weight and bias gradients stay local (DDP averages them), as
in torch. Otherwise (eval mode, one rank, no process group) it is plain ``F.batch_norm``.
Unlike torch 2.13, cpu tensors are accepted (the MPI engine moves them).
"""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor
from ember.autograd import Function
from ember_layers.normalization import _BatchNorm

from . import c10d

__all__ = ["SyncBatchNorm"]


def _shape(x: Tensor) -> tuple[int, ...]:
    return (1, x.shape[1]) + (1,) * (x.dim() - 2)


def _dims(x: Tensor) -> list[int]:
    return [0, *range(2, x.dim())]


class _SyncBatchNormFunction(Function):
    """Forward and backward of synchronized batch norm (see the module docstring)."""

    @staticmethod
    def forward(ctx: Any, input: Tensor, weight: Tensor | None, bias: Tensor | None,  # noqa: A002
                running_mean: Tensor | None, running_var: Tensor | None, eps: float,
                momentum: float, group: Any) -> Tensor:
        dims = _dims(input)
        channels = input.shape[1]
        local = ember.cat([input.sum(dims), (input * input).sum(dims),
                           ember.tensor([input.numel() // channels], dtype=input.dtype)])
        stats = local.double()
        c10d.all_reduce(stats, group=group)
        count = float(stats[-1].item())
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got "
                             f"input size {list(input.shape)} on every rank together")
        mean64 = stats[:channels] / count
        var64 = (stats[channels:2 * channels] / count - mean64 * mean64).clamp(min=0)
        mean = mean64.to(input.dtype)
        invstd = (var64 + eps).rsqrt().to(input.dtype)
        if running_mean is not None and running_var is not None:
            unbiased = var64 * (count / (count - 1))
            running_mean.mul_(1 - momentum).add_(mean64.to(running_mean.dtype) * momentum)
            running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype) * momentum)
        xhat = (input - mean.view(_shape(input))) * invstd.view(_shape(input))
        out = xhat
        if weight is not None:
            out = out * weight.view(_shape(input))
        if bias is not None:
            out = out + bias.view(_shape(input))
        ctx.save_for_backward(input, weight, mean, invstd)
        ctx.group = group
        ctx.count = count
        ctx.has_bias = bias is not None
        return out

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Any, ...]:
        input, weight, mean, invstd = ctx.saved_tensors  # noqa: A001
        shape, dims = _shape(input), _dims(input)
        channels = input.shape[1]
        xmu = input - mean.view(shape)
        sum_dy = grad_output.sum(dims)
        sum_dy_xmu = (grad_output * xmu).sum(dims)
        grad_weight = (sum_dy_xmu * invstd) if weight is not None else None
        grad_bias = sum_dy if ctx.has_bias else None
        combined = ember.cat([sum_dy, sum_dy_xmu]).double()
        c10d.all_reduce(combined, group=ctx.group)
        mean_dy = (combined[:channels] / ctx.count).to(input.dtype)
        mean_dy_xmu = (combined[channels:] / ctx.count).to(input.dtype)
        scale = invstd if weight is None else invstd * weight
        grad_input = (grad_output - mean_dy.view(shape)
                      - xmu * (invstd * invstd * mean_dy_xmu).view(shape)) * scale.view(shape)
        return grad_input, grad_weight, grad_bias, None, None, None, None, None


class SyncBatchNorm(_BatchNorm):
    """Batch normalization whose batch statistics span every rank of a process group.

    Same arguments and state as ``BatchNorm1d/2d/3d`` (input ``(N, C, *)``), plus
    ``process_group`` (default: the default group). Use :meth:`convert_sync_batchnorm` to
    swap the BatchNorm layers of an existing model.

    Args:
        num_features: ``C``.
        eps: added to the variance (default 1e-5).
        momentum: running-statistics factor (None: cumulative average).
        affine: learnable ``weight`` and ``bias``.
        track_running_stats: keep ``running_mean``/``running_var``.
        process_group: the ranks to synchronize over.
        bias: with ``affine``, whether to learn ``bias`` (keyword only).

    >>> bn = SyncBatchNorm(3)
    >>> bn(ember.ones(4, 3, 2)).shape   # no process group: plain batch norm
    ember.Size([4, 3, 2])
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group: Any = None, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Normalize ``input`` ``(N, C, *)`` with the statistics of every rank's batch."""
        self._check_input_dim(input)
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        need_sync = self.training and c10d.is_initialized()
        group = None
        if need_sync:
            group = self.process_group if self.process_group is not None else c10d.group.WORLD
            need_sync = c10d.get_world_size(group) > 1
        if not need_sync:
            return super().forward(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        running_mean = self.running_mean if self.track_running_stats else None
        running_var = self.running_var if self.track_running_stats else None
        return _SyncBatchNormFunction.apply(input, self.weight, self.bias, running_mean,
                                            running_var, self.eps, factor, group)

    @classmethod
    def convert_sync_batchnorm(cls, module: Any, process_group: Any = None) -> Any:
        """Return ``module`` with every BatchNorm layer replaced by a SyncBatchNorm that
        shares its parameters and copies its running statistics (recursively).

        >>> net = ember.nn.Sequential(ember.nn.Linear(4, 4), ember.nn.BatchNorm1d(4))
        >>> type(SyncBatchNorm.convert_sync_batchnorm(net)[1]).__name__
        'SyncBatchNorm'
        """
        output = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            output = cls(module.num_features, module.eps, module.momentum, module.affine,
                         module.track_running_stats, process_group,
                         bias=getattr(module, "bias", None) is not None)
            if module.affine:
                with ember.no_grad():
                    output.weight = module.weight
                    output.bias = module.bias
            output.running_mean = module.running_mean
            output.running_var = module.running_var
            output.num_batches_tracked = module.num_batches_tracked
            output.training = module.training
            if hasattr(module, "qconfig"):
                output.qconfig = module.qconfig
        for name, child in module.named_children():
            output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return output
