"""Flatten parameters into one vector and write a vector back into parameters."""

from __future__ import annotations

from collections.abc import Iterable

import ember
from ember import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _typename(obj: object) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", "__builtin__", None) else f"{module}.{name}"


def _check_same_device(param: Tensor, first: Tensor | None) -> Tensor:
    if first is not None and param.device != first.device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return param if first is None else first


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenate ``parameters``, each flattened, into one 1-D tensor.

    The result is differentiable with respect to every parameter.

    >>> import ember
    >>> parameters_to_vector([ember.ones(2, 2), ember.zeros(3)]).shape
    ember.Size([7])
    """
    first = None
    vec = []
    for param in parameters:
        first = _check_same_device(param, first)
        vec.append(param.reshape(-1))
    return ember.cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D tensor ``vec`` into ``parameters`` (their ``.data``).

    Args:
        vec: a vector holding at least as many values as the parameters together.
        parameters: the tensors to overwrite, in the order used by
            :func:`parameters_to_vector`.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    first = None
    pointer = 0
    for param in parameters:
        first = _check_same_device(param, first)
        num = param.numel()
        param.data = vec[pointer:pointer + num].view_as(param).data
        pointer += num
