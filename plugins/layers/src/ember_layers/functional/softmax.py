"""The softmax family's functional forms: softmax, softmin, log_softmax, gumbel_softmax.

The ops themselves are the core's (``ember.softmax``, fused on backends that have a
kernel); this module adds torch's functional signatures (implicit ``dim``, ``dtype``).
"""

from __future__ import annotations

import warnings
from typing import Any

import ember
from ember._tensor import Tensor

__all__ = ["softmax", "softmin", "log_softmax", "gumbel_softmax"]


def _implicit_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
            dtype: Any = None) -> Tensor:
    """Normalize exponentials along ``dim`` into a probability distribution.

    ``y_i = exp(x_i) / sum_j exp(x_j)``, computed stably by subtracting the maximum.

    Args:
        input: any shape.
        dim: the dim whose slices sum to 1. ``None`` picks torch's legacy default (0 for
            0-, 1- and 3-dim inputs, else 1) with a deprecation warning.
        dtype: cast ``input`` to this dtype first. Default: ``None``.

    Returns:
        A tensor of ``input``'s shape, values in ``[0, 1]``.

    >>> import ember
    >>> ember.nn.functional.softmax(ember.tensor([1., 1.]), dim=0)
    tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim, _stacklevel)
    return ember.softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
            dtype: Any = None) -> Tensor:
    """Softmax of the negated input: small values get large probabilities.

    ``y_i = exp(-x_i) / sum_j exp(-x_j)``

    Args:
        input: any shape.
        dim: the dim whose slices sum to 1 (``None``: see :func:`softmax`).
        dtype: cast ``input`` to this dtype first. Default: ``None``.

    Returns:
        A tensor of ``input``'s shape, values in ``[0, 1]``.

    >>> import ember
    >>> ember.nn.functional.softmin(ember.tensor([0., 0.]), dim=0)
    tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _implicit_dim("softmin", input.ndim, _stacklevel)
    x = input if dtype is None else input.to(dtype)
    return ember.softmax(-x, dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
                dtype: Any = None) -> Tensor:
    """Logarithm of :func:`softmax`, computed without forming the softmax.

    ``y_i = x_i - log(sum_j exp(x_j))``

    Args:
        input: any shape.
        dim: the dim to normalize over (``None``: see :func:`softmax`).
        dtype: cast ``input`` to this dtype first. Default: ``None``.

    Returns:
        A tensor of ``input``'s shape, values at most 0.

    >>> import ember
    >>> ember.nn.functional.log_softmax(ember.tensor([0., 0.]), dim=0).exp()
    tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim, _stacklevel)
    return ember.log_softmax(input, dim, dtype=dtype)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """Sample from the Gumbel-softmax (concrete) distribution (Jang et al. 2016,
    https://arxiv.org/abs/1611.01144).

    ``y = softmax((logits + g) / tau)`` with ``g`` i.i.d. standard Gumbel noise
    (``-log(E)``, ``E ~ Exp(1)``). With ``hard``, the result is the one-hot vector of
    ``argmax(y)`` in the forward pass while gradients are those of ``y``
    (straight-through).

    Args:
        logits: ``(*, num_features)`` unnormalized log-probabilities.
        tau: temperature, positive. Default: 1.
        hard: return one-hot samples. Default: ``False``.
        eps: deprecated, has no effect. Default: 1e-10.
        dim: the dim holding the categories. Default: -1.

    Returns:
        A tensor of ``logits``' shape: soft samples summing to 1 along ``dim``, or one-hot.

    >>> import ember
    >>> y = ember.nn.functional.gumbel_softmax(ember.zeros(2, 5), hard=True)
    >>> y.sum(-1)
    tensor([1., 1.])
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -ember.empty_like(logits).exponential_().log()
    y_soft = ember.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = ember.zeros_like(logits).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
