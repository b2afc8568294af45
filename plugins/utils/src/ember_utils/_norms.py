"""Norm helpers shared by weight_norm and spectral_norm (torch's ``norm_except_dim`` and
``_weight_norm``), written with ember ops so gradients flow through them."""

from __future__ import annotations

import ember
from ember import Tensor


def _p_norm(x: Tensor, p: float, dims: tuple[int, ...] | None, keepdim: bool) -> Tensor:
    if p == 2:
        sq = x * x
        total = sq.sum() if dims is None else sq.sum(dims, keepdim=keepdim)
        return total.sqrt()
    a = x.abs().pow(p)
    total = a.sum() if dims is None else a.sum(dims, keepdim=keepdim)
    return total.pow(1.0 / p)


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002
    """The ``pow``-norm of ``v`` over every dim except ``dim``, kept as size-1 dims.

    ``dim=-1`` means "no dim is kept": the norm of the whole tensor, as a 0-dim tensor
    (torch's convention, used by ``weight_norm(dim=None)``). For ``v`` of shape
    ``(4, 3, 2)`` and ``dim=1`` the result has shape ``(1, 3, 1)``.
    """
    if dim == -1:
        return _p_norm(v, pow, None, False)
    nd = v.ndim
    d = dim + nd if dim < 0 else dim
    dims = tuple(i for i in range(nd) if i != d)
    if not dims:
        return _p_norm(v, pow, None, False).reshape([1])
    return _p_norm(v, pow, dims, True)


def weight_norm_op(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """``v * (g / ||v||)`` with the norm taken by :func:`norm_except_dim` (``pow=2``)."""
    return v * (g / norm_except_dim(v, 2, dim))


def normalize(x: Tensor, dim: int = 0, eps: float = 1e-12) -> Tensor:
    """``x / max(||x||_2, eps)`` along ``dim`` (``F.normalize`` with ``p=2``), from core ops
    so that ember-utils does not need ember-layers."""
    norm = ember.norm(x, 2, dim=dim, keepdim=True)
    return x / norm.clamp_min(eps).expand_as(x)
