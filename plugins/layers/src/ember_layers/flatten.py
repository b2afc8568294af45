"""Flatten and Unflatten: reshape a range of dims into one, or one dim into several."""

from __future__ import annotations

from typing import Any

from ember._tensor import Tensor
from ember.nn import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merge dims ``start_dim`` .. ``end_dim`` into one (``Tensor.flatten``).

    Args:
        start_dim: first dim to merge. Default: 1 (keeps the batch dim).
        end_dim: last dim to merge. Default: -1.

    Shape:
        input ``(*, S_start, ..., S_end, *)``, output ``(*, prod(S_start..S_end), *)``.

    >>> import ember
    >>> ember.nn.Flatten()(ember.zeros(32, 1, 5, 5)).shape
    ember.Size([32, 25])
    """

    __constants__ = ["start_dim", "end_dim"]

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (``Tensor.unflatten``).

    Args:
        dim: the dim to split.
        unflattened_size: the new sizes (a tuple or list of ints; one may be -1); their
            product must equal the size of ``dim``.

    Shape:
        input ``(*, S_dim, *)``, output ``(*, U_1, ..., U_n, *)``.

    >>> import ember
    >>> ember.nn.Unflatten(1, (2, 5, 5))(ember.zeros(2, 50)).shape
    ember.Size([2, 2, 5, 5])
    """

    __constants__ = ["dim", "unflattened_size"]

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        if isinstance(dim, int):
            self._require_tuple_int(unflattened_size)
        else:
            raise TypeError("invalid argument type for dim parameter")
        self.dim = dim
        self.unflattened_size = unflattened_size

    @staticmethod
    def _require_tuple_int(size: Any) -> None:
        if isinstance(size, (tuple, list)):
            for idx, elem in enumerate(size):
                if not isinstance(elem, int):
                    raise TypeError("unflattened_size must be tuple of ints, but found element "
                                    f"of type {type(elem).__name__} at pos {idx}")
            return
        raise TypeError(f"unflattened_size must be a tuple of ints, but found type "
                        f"{type(size).__name__}")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
