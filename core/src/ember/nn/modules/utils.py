"""``ember.nn.modules.utils``: the argument helpers layer code imports from torch's
``torch.nn.modules.utils`` (``_single``, ``_pair``, ``_triple``, ``_ntuple``, ...)."""

from __future__ import annotations

import collections.abc
from collections.abc import Callable
from itertools import repeat
from typing import Any

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n: int, name: str = "parse") -> Callable[[Any], tuple[Any, ...]]:
    """A converter that returns an iterable argument as a tuple and repeats a scalar
    ``n`` times: ``_ntuple(2)(3) == (3, 3)``, ``_ntuple(2)((1, 2)) == (1, 2)``."""
    def parse(x: Any) -> tuple[Any, ...]:
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t: Any, n: int) -> tuple[Any, ...]:
    """Reverse ``t`` and repeat each element ``n`` times: ``((1, 2), 2) -> (2, 2, 1, 1)``
    (the padding order ``F.pad`` wants from a per-dim padding tuple)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size: Any, defaults: list[int]) -> list[int]:
    """``out_size`` with each None replaced by the matching trailing entry of
    ``defaults`` (adaptive pooling's output size)."""
    if isinstance(out_size, (int, float)):
        return [int(out_size)]
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d
            for v, d in zip(out_size, defaults[-len(out_size):], strict=True)]


def consume_prefix_in_state_dict_if_present(state_dict: dict[str, Any], prefix: str) -> None:
    """Strip ``prefix`` from every key of ``state_dict`` that starts with it, in place
    (the ``"module."`` a DataParallel wrapper adds), metadata included."""
    keys = list(state_dict.keys())
    for key in keys:
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in list(metadata.keys()):
            if len(key) == 0:
                continue
            if key == prefix.replace(".", "") or key.startswith(prefix):
                new_key = key[len(prefix):]
                metadata[new_key] = metadata.pop(key)
