"""``ember.backends.cudnn``: torch's cuDNN switches.

ember has no cuDNN: :func:`is_available` is False and :func:`version` is None. The flags
``enabled``, ``benchmark``, ``deterministic`` and ``allow_tf32`` keep torch's defaults
(True, False, False, True), accept only bools (a ``RuntimeError`` otherwise, as in
torch) and change nothing: ember's convolutions are deterministic and run in the input's
full precision whatever they say.
"""

from __future__ import annotations

import sys
import types
from typing import Any

_FLAGS = {"enabled": ("set_enabled_cudnn", True),
          "benchmark": ("set_benchmark_cudnn", False),
          "deterministic": ("set_deterministic_cudnn", False),
          "allow_tf32": ("set_allow_tf32_cudnn", True)}


def is_available() -> bool:
    """Whether cuDNN can be used: never in ember (it has no cuDNN binding)."""
    return False


def is_acceptable(tensor: Any) -> bool:
    """Whether cuDNN would run on ``tensor``: never in ember."""
    return False


def version() -> int | None:
    """The cuDNN version: None, as torch reports without cuDNN."""
    return None


class _CudnnModule(types.ModuleType):
    """This module, with the four flags validated on assignment."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FLAGS and not isinstance(value, bool):
            raise RuntimeError(f"{_FLAGS[name][0]} expects a bool, but got "
                               f"{type(value).__name__}")
        super().__setattr__(name, value)


enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10

sys.modules[__name__].__class__ = _CudnnModule
