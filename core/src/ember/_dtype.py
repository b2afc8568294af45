"""Data types: ember's dtype objects, their numpy storage types, and torch's promotion rules.

Every tensor's elements have one of ten dtypes. Each dtype is backed by a numpy dtype
(bfloat16 by ``ml_dtypes``); backends store arrays whose ``.dtype`` is that numpy dtype.
"""

from __future__ import annotations

import builtins

import ml_dtypes
import numpy as np

__all__ = [
    "dtype", "float16", "half", "bfloat16", "float32", "float", "float64", "double",
    "int8", "int16", "int32", "int", "int64", "long", "uint8", "bool",
    "promote_types", "get_default_dtype", "set_default_dtype", "finfo", "iinfo", "can_cast",
]

# Promotion category: bool < integer < floating.
_BOOL, _INT, _FLOAT = 0, 1, 2


class dtype:
    """The element type of a tensor.

    Instances are singletons: compare them with ``is`` or ``==``.

    >>> import ember
    >>> ember.float32.is_floating_point, ember.float32.itemsize
    (True, 4)
    """

    __slots__ = ("name", "np", "itemsize", "category", "is_signed", "_rank", "__weakref__")

    def __init__(self, name: str, np_dtype: np.dtype, category: int, rank: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category
        self.is_signed = name not in ("uint8", "bool")
        self._rank = rank

    @property
    def scalar_name(self) -> str:
        """The name torch's error messages use for this dtype (``Float``, ``Long``, ...)."""
        return _SCALAR_NAMES[self.name]

    @property
    def is_floating_point(self) -> builtins.bool:
        """Whether this is a floating-point dtype."""
        return self.category == _FLOAT

    @property
    def is_complex(self) -> builtins.bool:
        """Always False: ember has no complex dtypes."""
        return False

    def to_real(self) -> dtype:
        """The real counterpart of this dtype (itself, as ember has no complex dtypes)."""
        return self

    def __repr__(self) -> str:
        return "ember." + self.name

    def __reduce__(self) -> str:
        return self.name


bool = dtype("bool", np.bool_, _BOOL, 0)  # noqa: A001
uint8 = dtype("uint8", np.uint8, _INT, 1)
int8 = dtype("int8", np.int8, _INT, 1)
int16 = dtype("int16", np.int16, _INT, 2)
int32 = dtype("int32", np.int32, _INT, 3)
int64 = dtype("int64", np.int64, _INT, 4)
float16 = dtype("float16", np.float16, _FLOAT, 1)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, _FLOAT, 1)
float32 = dtype("float32", np.float32, _FLOAT, 2)
float64 = dtype("float64", np.float64, _FLOAT, 3)

_SCALAR_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                 "int32": "Int", "int64": "Long", "float16": "Half", "bfloat16": "BFloat16",
                 "float32": "Float", "float64": "Double"}

half = float16
float = float32  # noqa: A001
double = float64
int = int32  # noqa: A001
long = int64

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
FLOAT_DTYPES = (float16, bfloat16, float32, float64)

#: numpy dtype -> ember dtype
FROM_NP: dict[np.dtype, dtype] = {d.np: d for d in ALL_DTYPES}
for _extra, _target in ((np.dtype(np.uint16), int32), (np.dtype(np.uint32), int64),
                        (np.dtype(np.uint64), int64)):
    FROM_NP.setdefault(_extra, _target)

_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NAME.update(half=float16, float=float32, double=float64, int=int32, long=int64)


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == _FLOAT:
        if a._rank == b._rank:  # float16 with bfloat16
            return float32
        return a if a._rank > b._rank else b
    if a.category == _INT:
        if uint8 in (a, b):
            other = b if a is uint8 else a
            return int16 if other is int8 else other
        return a if a._rank > b._rank else b
    return a


_PROMOTE: dict[tuple[dtype, dtype], dtype] = {
    (a, b): _promote_pair(a, b) for a in ALL_DTYPES for b in ALL_DTYPES
}


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """The smallest dtype both ``type1`` and ``type2`` can be converted to, by torch's rules.

    >>> import ember
    >>> ember.promote_types(ember.uint8, ember.int8)
    ember.int16
    """
    return _PROMOTE[(type1, type2)]


class _Defaults:
    __slots__ = ("float",)

    def __init__(self) -> None:
        self.float = float32


DEFAULTS = _Defaults()


def get_default_dtype() -> dtype:
    """The dtype of floating-point tensors created from Python floats (float32 at start)."""
    return DEFAULTS.float


def set_default_dtype(d: dtype) -> None:
    """Set the default floating-point dtype; ``d`` must be a floating-point dtype."""
    if not isinstance(d, dtype) or d not in (float16, bfloat16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    DEFAULTS.float = d


def to_dtype(obj: object) -> dtype:
    """Resolve ``obj`` (an ember dtype, a numpy dtype, a Python type or a name) to a dtype."""
    if isinstance(obj, dtype):
        return obj
    if obj is builtins.float:
        return DEFAULTS.float
    if obj is builtins.int:
        return int64
    if obj is builtins.bool:
        return bool
    if isinstance(obj, str):
        found = _BY_NAME.get(obj.removeprefix("torch.").removeprefix("ember."))
        if found is not None:
            return found
    try:
        return FROM_NP[np.dtype(obj)]  # type: ignore[call-overload]
    except (TypeError, KeyError):
        pass
    raise TypeError(f"cannot interpret {obj!r} as an ember dtype")


def can_cast(from_: dtype, to: dtype) -> builtins.bool:
    """Whether torch's casting rules allow ``from_`` to be cast to ``to`` in an in-place op.

    Casting to a lower category (float to int, int to bool) is not allowed.
    """
    return from_.category <= to.category


class finfo:
    """Machine limits of a floating-point dtype: ``bits``, ``eps``, ``max``, ``min``, ``tiny``,
    ``smallest_normal``, ``resolution``.

    >>> import ember
    >>> ember.finfo(ember.float32).eps
    1.1920928955078125e-07
    """

    def __init__(self, type: dtype | None = None) -> None:  # noqa: A002
        d = DEFAULTS.float if type is None else type
        if not d.is_floating_point:
            raise TypeError(f"finfo() requires a floating point input type, got {d}")
        info = ml_dtypes.finfo(d.np)
        self.dtype = d.name
        self.bits = info.bits
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = builtins.float(info.tiny)
        self.smallest_normal = self.tiny
        self.resolution = builtins.float(info.resolution)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype: ``bits``, ``max``, ``min``."""

    def __init__(self, type: dtype) -> None:  # noqa: A002
        if type.category == _FLOAT:
            raise TypeError(f"iinfo() requires an integer input type, got {type}")
        if type is bool:
            self.bits, self.min, self.max = 8, 0, 1
        else:
            info = np.iinfo(type.np)
            self.bits = info.bits
            self.min, self.max = builtins.int(info.min), builtins.int(info.max)
        self.dtype = type.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
