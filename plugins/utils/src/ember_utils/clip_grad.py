"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_`` and their helpers.

Every function here works on ``.grad`` in place, without recording autograd history, and
accepts ``foreach`` like torch: ember has one code path, so ``foreach=True`` and
``foreach=False`` give the same numbers (torch's foreach kernels are only a speed-up).
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable
from typing import Union

import ember
from ember import Tensor

_TensorOrTensors = Union[Tensor, Iterable[Tensor]]

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def vector_norm(x: Tensor, ord: float) -> Tensor:  # noqa: A002
    """The ``ord``-norm of ``x`` seen as one flat vector (``torch.linalg.vector_norm``).

    ``ord`` may be ``inf`` (largest magnitude), ``-inf`` (smallest), ``0`` (number of
    non-zeros) or any other real number ``p`` (``(sum |x|^p)^(1/p)``). The result is a
    0-dim tensor of ``x``'s dtype.
    """
    flat = x.reshape(-1)
    if ord == math.inf:
        return flat.abs().amax()
    if ord == -math.inf:
        return flat.abs().amin()
    if ord == 0:
        return (flat != 0).sum().to(x.dtype)
    if ord == 1:
        return flat.abs().sum()
    if ord == 2:
        return (flat * flat).sum().sqrt()
    return flat.abs().pow(ord).sum().pow(1.0 / ord)


def _as_list(tensors: _TensorOrTensors) -> list[Tensor]:
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def get_total_norm(tensors: _TensorOrTensors, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Norm of all ``tensors`` together, as if they were concatenated into one vector.

    Args:
        tensors: a tensor or an iterable of tensors (usually gradients).
        norm_type: the ``p`` of the p-norm; ``float('inf')`` (or ``'inf'``) for the max norm.
        error_if_nonfinite: raise ``RuntimeError`` when the result is nan or +-inf.
        foreach: accepted for torch compatibility; every value gives the same result.

    Returns:
        A 0-dim tensor (``ember.tensor(0.)`` when ``tensors`` is empty).

    >>> import ember
    >>> get_total_norm([ember.tensor([3.0]), ember.tensor([4.0])])
    tensor(5.)
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return ember.tensor(0.0)
    with ember.no_grad():
        first_device = tensors[0].device
        norms = [vector_norm(t, norm_type).to(first_device) for t in tensors]
        dtypes = {n.dtype for n in norms}
        if len(dtypes) > 1:
            common = norms[0].dtype
            for n in norms[1:]:
                common = ember.promote_types(common, n.dtype)
            norms = [n.to(common) for n in norms]
        total_norm = vector_norm(ember.stack(norms), norm_type)
    if error_if_nonfinite and bool(total_norm.isnan() | total_norm.isinf()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return total_norm


def clip_grads_with_norm_(parameters: _TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Scale every gradient by ``min(1, max_norm / (total_norm + 1e-6))``, in place.

    Args:
        parameters: tensors whose ``.grad`` is scaled (those without a grad are skipped).
        max_norm: the largest norm the gradients may have afterwards.
        total_norm: their norm, as :func:`get_total_norm` computes it.
        foreach: accepted for torch compatibility.
    """
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    if len(grads) == 0:
        return
    with ember.no_grad():
        clip_coef = float(max_norm) / (total_norm + 1e-6)
        clip_coef_clamped = clip_coef.clamp(max=1.0)
        for g in grads:
            g.mul_(clip_coef_clamped.to(g.device))


def clip_grad_norm_(parameters: _TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Rescale the gradients of ``parameters`` so that their total norm is at most
    ``max_norm``.

    The total norm is taken over all gradients together (see :func:`get_total_norm`);
    every gradient is then multiplied in place by ``min(1, max_norm / (total + 1e-6))``.

    Args:
        parameters: a tensor or an iterable of tensors with gradients.
        max_norm: the largest allowed total norm.
        norm_type: the ``p`` of the p-norm; ``float('inf')`` for the max norm. Default 2.
        error_if_nonfinite: raise ``RuntimeError`` if the total norm is nan or +-inf
            (default False: the gradients are scaled by the non-finite norm).
        foreach: accepted for torch compatibility; every value gives the same result.

    Returns:
        The total norm of the gradients before clipping (0-dim tensor).

    >>> import ember
    >>> p = ember.nn.Parameter(ember.zeros(2)); p.grad = ember.tensor([3.0, 4.0])
    >>> clip_grad_norm_([p], 1.0)
    tensor(5.)
    >>> p.grad
    tensor([0.6000, 0.8000])
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters: _TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`clip_grad_norm_` (emits a ``FutureWarning``)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: _TensorOrTensors, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient of ``parameters`` into ``[-clip_value, clip_value]``, in place.

    Args:
        parameters: a tensor or an iterable of tensors with gradients.
        clip_value: the bound on the magnitude of each gradient entry.
        foreach: accepted for torch compatibility; every value gives the same result.

    >>> import ember
    >>> p = ember.nn.Parameter(ember.zeros(2)); p.grad = ember.tensor([3.0, -0.5])
    >>> clip_grad_value_(p, 1.0); p.grad
    tensor([ 1.0000, -0.5000])
    """
    parameters = _as_list(parameters)
    clip_value = float(clip_value)
    with ember.no_grad():
        for p in parameters:
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
