"""Distance Modules: CosineSimilarity and PairwiseDistance, thin wrappers of
:mod:`ember_layers.functional.distance`."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.nn import Module

from .functional.distance import cosine_similarity, pairwise_distance

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """Cosine similarity of two inputs along ``dim``
    (:func:`~ember_layers.functional.distance.cosine_similarity`).

    Args:
        dim: the dim holding the vectors. Default: 1.
        eps: lower bound of each norm. Default: 1e-8.

    Shape:
        inputs ``(*, D, *)`` (broadcastable), output ``(*, *)``.

    >>> import ember
    >>> ember.nn.CosineSimilarity()(ember.ones(2, 3), ember.ones(2, 3))
    tensor([1.0000, 1.0000])
    """

    __constants__ = ["dim", "eps"]

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """p-norm distance between corresponding vectors of two inputs
    (:func:`~ember_layers.functional.distance.pairwise_distance`).

    Args:
        p: the norm degree. Default: 2.
        eps: added to the difference. Default: 1e-6.
        keepdim: keep the reduced dim. Default: ``False``.

    Shape:
        inputs ``(N, D)`` or ``(D,)``, output ``(N,)`` or ``()`` (``(N, 1)`` with keepdim).

    >>> import ember
    >>> ember.nn.PairwiseDistance(eps=0.)(ember.zeros(1, 2), ember.tensor([[3., 4.]]))
    tensor([5.])
    """

    __constants__ = ["norm", "eps", "keepdim"]

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
