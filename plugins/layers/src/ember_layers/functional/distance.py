"""Distance ops: cosine_similarity, pairwise_distance and pdist, composites of ember ops
whose gradients flow through the norms they are built from."""

from __future__ import annotations

import ember
from ember._tensor import Tensor

from .._util import shape_str

__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]


def _broadcast(op: str, x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
    try:
        shape = ember.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except (RuntimeError, ValueError):
        a, b = tuple(x1.shape), tuple(x2.shape)
        n = max(len(a), len(b))
        pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
        dim = next(i for i in range(n - 1, -1, -1) if pa[i] != pb[i] and 1 not in (pa[i], pb[i]))
        raise RuntimeError(f"The size of tensor a ({pa[dim]}) must match the size of tensor b "
                           f"({pb[dim]}) at non-singleton dimension {dim} ([{op}] x1 of shape "
                           f"{shape_str(x1)}, x2 of shape {shape_str(x2)})") from None
    dtype = ember.result_type(x1, x2)
    return x1.to(dtype).expand(shape), x2.to(dtype).expand(shape)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between vectors along ``dim``:
    ``y = sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))``.

    The clamp by ``eps`` only guards the value: gradients are those of the unclamped norms,
    as in torch.

    Args:
        x1: any shape broadcastable with ``x2``.
        x2: any shape broadcastable with ``x1``.
        dim: the dim holding the vectors. Default: 1.
        eps: lower bound of each norm. Default: 1e-8.

    Returns:
        The broadcast shape without ``dim``.

    >>> import ember
    >>> ember.nn.functional.cosine_similarity(ember.tensor([[1., 0.]]), ember.tensor([[1., 1.]]))
    tensor([0.7071])
    """
    a, b = _broadcast("cosine_similarity", x1, x2)
    na = a.norm(2, dim, keepdim=True)
    nb = b.norm(2, dim, keepdim=True)
    na = na + (na.clamp_min(eps) - na).detach()
    nb = nb + (nb.clamp_min(eps) - nb).detach()
    return ((a / na) * (b / nb)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """p-norm distance between corresponding vectors (last dim):
    ``y = ||x1 - x2 + eps||_p``.

    Args:
        x1: ``(N, D)`` or ``(D,)``, broadcastable with ``x2``.
        x2: ``(N, D)`` or ``(D,)``.
        p: the norm degree. Default: 2.
        eps: added to the difference to avoid a zero norm. Default: 1e-6.
        keepdim: keep the reduced last dim. Default: ``False``.

    Returns:
        ``(N,)`` (``(N, 1)`` with ``keepdim``).

    >>> import ember
    >>> ember.nn.functional.pairwise_distance(ember.tensor([[3., 0.]]), ember.tensor([[0., 4.]]),
    ...                                       eps=0.)
    tensor([5.])
    """
    a, b = _broadcast("pairwise_distance", x1, x2)
    return (a - b + eps).norm(p, max(a.ndim - 1, 0), keepdim=keepdim)


def pdist(input: Tensor, p: float = 2) -> Tensor:  # noqa: A002
    """p-norm distance between every pair of rows ``i < j``, in row-major pair order (the
    upper triangle of the distance matrix, flattened).

    Args:
        input: ``(N, M)``.
        p: the norm degree. Default: 2.

    Returns:
        ``(N * (N - 1) / 2,)``.

    >>> import ember
    >>> ember.nn.functional.pdist(ember.tensor([[0., 0.], [3., 4.], [0., 1.]]))
    tensor([5.0000, 1.0000, 4.2426])
    """
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D (input of shape "
                           f"{shape_str(input)})")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got {p}")
    n = input.shape[0]
    rows, cols = ember.triu_indices(n, n, 1, device=input.device)
    diff = input.index_select(0, rows) - input.index_select(0, cols)
    return diff.norm(p, 1)
