"""Every tensor op of the core, defined once for all devices.

The public ``ember.*`` functions and the Tensor methods are these functions.
"""

from __future__ import annotations

from . import (
    activation,
    creation,
    indexing,
    inplace,
    layout,
    linalg,
    pointwise,
    random,
    reduction,
    selection,
    shape,
)
from ._base import result_type
from .activation import log_softmax, softmax
from .creation import *  # noqa: F403
from .creation import tensor
from .indexing import *  # noqa: F403
from .inplace import INPLACE_OPS
from .layout import *  # noqa: F403
from .linalg import *  # noqa: F403
from .pointwise import *  # noqa: F403
from .pointwise import UNARY_OPS, abs, pow, round  # noqa: A004
from .random import *  # noqa: F403
from .reduction import *  # noqa: F403
from .reduction import all, any, max, min, sum  # noqa: A004
from .selection import *  # noqa: F403
from .shape import *  # noqa: F403

for _name, _fn in UNARY_OPS.items():
    if _name != "round":
        globals()[_name] = _fn

__all__ = ["activation", "creation", "indexing", "inplace", "layout", "linalg", "selection",
           "pointwise", "random", "reduction", "shape", "result_type", "softmax", "log_softmax",
           "tensor", "INPLACE_OPS", "abs", "pow", "round", "all", "any", "max", "min", "sum"]
