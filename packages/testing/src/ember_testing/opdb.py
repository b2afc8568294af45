"""The op database: one :class:`OpInfo` record per op, shared by every test suite.

A record names the op, gives the ember callable and the matching torch callable (the same
function works for both when it is written as a method call, see :meth:`OpInfo.method`),
a generator of sample inputs, an optional numpy reference, tolerances per dtype and whether
the op is differentiable. The harness (:mod:`ember_testing.harness`) runs every record on
any device and dtype; the conformance suite runs the whole database against a backend.

Samples are stored as numpy arrays plus a layout, so the same sample builds identical
tensors in ember (on any device) and in torch::

    from ember_testing.opdb import OpInfo, register, unary_samples
    register(OpInfo.method("exp", np_ref=np.exp, samples=unary_samples()))

Plugins add their own ops the same way, from their tests or from a module they import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["OpInfo", "SampleInput", "Arg", "register", "get", "all_ops", "op_names",
           "load_plugin_ops", "LOAD_ERRORS",
           "unary_samples", "binary_samples", "reduction_samples", "DEFAULT_TOLS",
           "FLOAT_DTYPES"]

FLOAT_DTYPES = ("float32", "float64")

#: (rtol, atol) per dtype for forward values; gradients get ten times as much.
DEFAULT_TOLS: dict[str, tuple[float, float]] = {
    "float16": (1e-2, 1e-2), "bfloat16": (2e-2, 2e-2), "float32": (1e-4, 1e-5),
    "float64": (1e-7, 1e-9),
}


@dataclass
class Arg:
    """One tensor argument of a sample.

    Attributes:
        array: the values (float arrays take the dtype under test; integer and bool arrays
            keep theirs and never require grad).
        layout: ``"contig"``; ``"noncontig"`` (a strided slice of a larger tensor);
            ``"T"`` (the transpose of a contiguous tensor; needs 2 or more dims).
        grad: whether it requires grad when the op is checked for gradients (defaults to
            True for float arrays).
    """

    array: np.ndarray
    layout: str = "contig"
    grad: bool | None = None

    def __post_init__(self) -> None:
        self.array = np.asarray(self.array)
        if self.grad is None:
            self.grad = self.array.dtype.kind == "f"

    @property
    def is_float(self) -> bool:
        """Whether the values are floating point (they then take the dtype under test)."""
        return self.array.dtype.kind == "f"

    def values(self, dtype: str) -> np.ndarray:
        """The values in the dtype under test (floats) or their own dtype."""
        return self.array.astype(dtype) if self.is_float else self.array

    def build(self, lib: Any, dtype: str, device: Any = None, requires_grad: bool = False
              ) -> Any:
        """The tensor in ``lib`` (``ember`` or ``torch``), with this layout.

        The returned tensor is a leaf when contiguous, else a view of a leaf; either way
        gradients can be taken with respect to it with ``autograd.grad``.
        """
        a = self.values(dtype)
        kwargs = {} if device is None else {"device": device}
        rg = bool(requires_grad and self.grad and self.is_float)
        if self.layout == "noncontig" and a.ndim:
            base = lib.tensor(np.repeat(a[..., None], 2, axis=-1), **kwargs)
            base.requires_grad_(rg)
            return base[..., 0]
        if self.layout == "T" and a.ndim >= 2:
            base = lib.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2)), **kwargs)
            base.requires_grad_(rg)
            return base.transpose(-1, -2)
        return lib.tensor(a.copy(), **kwargs).requires_grad_(rg)


@dataclass
class SampleInput:
    """One call of an op: tensor arguments first, then plain arguments and keywords.

    The op is called as ``op(*tensors, *args, **kwargs)``.
    """

    tensors: tuple[Arg, ...]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    desc: str = ""

    def __repr__(self) -> str:
        shapes = ", ".join(f"{tuple(a.array.shape)}{'' if a.layout == 'contig' else a.layout}"
                           for a in self.tensors)
        extra = f" args={self.args}" if self.args else ""
        extra += f" kwargs={self.kwargs}" if self.kwargs else ""
        return f"Sample({self.desc or shapes}{extra})"


SampleGen = Callable[[np.random.Generator], Iterable[SampleInput]]


@dataclass
class OpInfo:
    """Everything the harness needs to test one op.

    Attributes:
        name: unique name (the op's public name, with a variant suffix if needed:
            ``"sum.dim"``).
        op: the ember callable.
        ref: the matching torch callable (None if torch has no equivalent).
        samples: ``samples(rng) -> iterable of SampleInput``.
        np_ref: a numpy reference taking numpy arrays (optional).
        dtypes: the dtypes to test.
        differentiable: whether gradients are checked.
        gradgrad: whether second derivatives are checked.
        tols: (rtol, atol) overrides per dtype for values.
        owner: the distribution that defines the op (``"ember-core"``, ``"ember-conv"``).
    """

    name: str
    op: Callable[..., Any]
    ref: Callable[..., Any] | None
    samples: SampleGen
    np_ref: Callable[..., Any] | None = None
    dtypes: tuple[str, ...] = FLOAT_DTYPES
    differentiable: bool = True
    gradgrad: bool = True
    tols: dict[str, tuple[float, float]] = field(default_factory=dict)
    owner: str = "ember-core"

    @classmethod
    def method(cls, name: str, *, method: str | None = None, **kwargs: Any) -> OpInfo:
        """A record for a Tensor method: the same call works on ember and torch tensors."""
        meth = method or name.split(".")[0]

        def call(x: Any, *args: Any, **kw: Any) -> Any:
            return getattr(x, meth)(*args, **kw)

        call.__name__ = meth
        return cls(name, call, call, **kwargs)

    @classmethod
    def function(cls, name: str, *, function: str | None = None, **kwargs: Any) -> OpInfo:
        """A record for a module-level function (``ember.X`` and ``torch.X``)."""
        fname = function or name.split(".")[0]

        def op(*args: Any, **kw: Any) -> Any:
            import ember

            return getattr(ember, fname)(*args, **kw)

        def ref(*args: Any, **kw: Any) -> Any:
            import torch

            return getattr(torch, fname)(*args, **kw)

        op.__name__ = ref.__name__ = fname
        return cls(name, op, ref, **kwargs)

    def tolerance(self, dtype: str, grad: bool = False) -> tuple[float, float]:
        """(rtol, atol) for this op in ``dtype`` (looser for gradients)."""
        rtol, atol = self.tols.get(dtype, DEFAULT_TOLS.get(dtype, (1e-5, 1e-8)))
        if grad:
            return rtol * 10, atol * 10
        return rtol, atol

    def sample_inputs(self, seed: int = 0) -> list[SampleInput]:
        """The samples, generated from a fixed seed."""
        return list(self.samples(np.random.default_rng(seed)))


_DB: dict[str, OpInfo] = {}


def register(info: OpInfo, *, replace: bool = False) -> OpInfo:
    """Add ``info`` to the database; a second record with the same name is an error
    unless ``replace``."""
    prev = _DB.get(info.name)
    if prev is not None and not replace:
        raise ValueError(f"op '{info.name}' is already in the op database (from "
                         f"{prev.owner}); pass replace=True to override it")
    _DB[info.name] = info
    return info


def get(name: str) -> OpInfo:
    """The record named ``name``."""
    _ensure_core()
    try:
        return _DB[name]
    except KeyError:
        raise KeyError(f"no op '{name}' in the op database") from None


def all_ops(owner: str | None = None) -> list[OpInfo]:
    """Every record (of one owner when given), in name order."""
    _ensure_core()
    return [info for _, info in sorted(_DB.items()) if owner is None or info.owner == owner]


def op_names() -> list[str]:
    """The names of every record."""
    return [info.name for info in all_ops()]


_core_loaded = False

#: Entry points of group ``ember_testing.opdb`` that failed to import: (name, error).
LOAD_ERRORS: list[tuple[str, str]] = []
_plugins_loaded = False


def load_plugin_ops() -> list[str]:
    """Import every module declared under the ``ember_testing.opdb`` entry-point group.

    A plugin that wants its ops in every backend's conformance run declares, in its
    ``pyproject.toml``, ``[project.entry-points."ember_testing.opdb"]`` ``conv =
    "ember_conv.testing_ops"``; importing that module registers its records. Import
    failures are kept in :data:`LOAD_ERRORS`.

    Returns:
        The names of the entry points loaded.
    """
    global _plugins_loaded
    from importlib import metadata

    loaded = []
    if _plugins_loaded:
        return loaded
    _plugins_loaded = True
    _ensure_core()
    for ep in sorted(metadata.entry_points(group="ember_testing.opdb"), key=lambda e: e.name):
        try:
            ep.load()
            loaded.append(ep.name)
        except Exception as exc:  # reported by the conformance suite
            LOAD_ERRORS.append((ep.name, f"{type(exc).__name__}: {exc}"))
    return loaded


def _ensure_core() -> None:
    global _core_loaded
    if not _core_loaded:
        _core_loaded = True
        from . import _core_ops

        _core_ops.populate()


# ------------------------------------------------------------------ sample generators
def _uniform(rng: np.random.Generator, shape: tuple[int, ...], low: float, high: float
             ) -> np.ndarray:
    return rng.uniform(low, high, shape)


def unary_samples(low: float = -2.0, high: float = 2.0, extra: tuple[Any, ...] = (),
                  **kwargs: Any) -> SampleGen:
    """Shapes (), (0,), (5,), (3, 4), a non-contiguous (3, 4), a transposed (4, 3) and
    (2, 3, 4), with values uniform in [low, high); ``extra`` and ``kwargs`` are passed
    to every call."""

    def gen(rng: np.random.Generator) -> Iterator[SampleInput]:
        cases = [((), "contig", "0-d"), ((0,), "contig", "empty"), ((5,), "contig", "1-d"),
                 ((3, 4), "contig", "2-d"), ((3, 4), "noncontig", "non-contiguous"),
                 ((4, 3), "T", "transposed"), ((2, 3, 4), "contig", "3-d")]
        for shape, layout, desc in cases:
            yield SampleInput((Arg(_uniform(rng, shape, low, high), layout),), extra,
                              dict(kwargs), desc)

    return gen


def binary_samples(low: float = -2.0, high: float = 2.0, low2: float | None = None,
                   high2: float | None = None, scalar: float | None = 1.5) -> SampleGen:
    """Pairs: same shape, broadcast (3, 4) & (4,), (3, 1) & (1, 4), 0-d & (3,),
    non-contiguous, empty (0, 3) & (3,); plus a Python scalar second operand."""
    lo2 = low if low2 is None else low2
    hi2 = high if high2 is None else high2

    def gen(rng: np.random.Generator) -> Iterator[SampleInput]:
        pairs = [((3, 4), (3, 4), "contig", "same shape"),
                 ((3, 4), (4,), "contig", "broadcast"),
                 ((3, 1), (1, 4), "contig", "broadcast both"),
                 ((), (3,), "contig", "0-d with 1-d"),
                 ((3, 4), (3, 4), "noncontig", "non-contiguous"),
                 ((4, 3), (4, 3), "T", "transposed"),
                 ((0, 3), (3,), "contig", "empty")]
        for sa, sb, layout, desc in pairs:
            yield SampleInput((Arg(_uniform(rng, sa, low, high), layout),
                               Arg(_uniform(rng, sb, lo2, hi2), layout)), desc=desc)

    def with_scalar(rng: np.random.Generator) -> Iterator[SampleInput]:
        yield from gen(rng)
        if scalar is not None:
            yield SampleInput((Arg(_uniform(rng, (2, 3), low, high)),), (scalar,),
                              desc="tensor and scalar")

    return with_scalar


def reduction_samples(low: float = -2.0, high: float = 2.0, keepdim: bool = True,
                      dims: bool = True, empty: bool = True, zero_d: bool = True) -> SampleGen:
    """Full reductions of (3, 4) and 0-d tensors; over one dim, a negative dim and a tuple
    of dims, with and without ``keepdim``; a non-contiguous input; an empty one."""

    def gen(rng: np.random.Generator) -> Iterator[SampleInput]:
        yield SampleInput((Arg(_uniform(rng, (3, 4), low, high)),), desc="all")
        if zero_d:
            yield SampleInput((Arg(_uniform(rng, (), low, high)),), desc="0-d")
        if not dims:
            yield SampleInput((Arg(_uniform(rng, (3, 4), low, high), "noncontig"),),
                              desc="non-contiguous")
            return
        yield SampleInput((Arg(_uniform(rng, (3, 4), low, high)),), (1,), desc="dim 1")
        yield SampleInput((Arg(_uniform(rng, (2, 3, 4), low, high), "noncontig"),), (-1,),
                          desc="non-contiguous, dim -1")
        yield SampleInput((Arg(_uniform(rng, (2, 3, 4), low, high)),), ((0, 2),),
                          desc="dims (0, 2)")
        if keepdim:
            yield SampleInput((Arg(_uniform(rng, (3, 4), low, high), "T"),), (0,),
                              {"keepdim": True}, desc="keepdim")
        if empty:
            yield SampleInput((Arg(_uniform(rng, (0, 4), low, high)),), (1,),
                              desc="empty along kept dim")

    return gen
