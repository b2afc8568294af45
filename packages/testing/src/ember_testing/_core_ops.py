"""The core tensor ops in the op database: elementwise, reductions, shape, indexing,
linear algebra and softmax."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .opdb import (
    Arg,
    OpInfo,
    SampleInput,
    binary_samples,
    reduction_samples,
    register,
    unary_samples,
)

OWNER = "ember-core"


def _u(rng: np.random.Generator, shape: tuple[int, ...], low: float = -2.0,
       high: float = 2.0) -> np.ndarray:
    return rng.uniform(low, high, shape)


def _away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _erf(x: np.ndarray) -> np.ndarray:
    from math import erf

    return np.vectorize(erf, otypes=[x.dtype])(x) if x.size else x.copy()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    m = x.max(axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


def _logsumexp(x: np.ndarray, dim: Any, keepdim: bool = False) -> np.ndarray:
    m = x.max(axis=dim, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=dim, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=dim)


def _red(fn: Any) -> Any:
    """numpy reduction with torch's (dim, keepdim) arguments."""

    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
        return fn(x, axis=dim, keepdims=keepdim)

    return ref


# ------------------------------------------------------------------ elementwise
_UNARY: list[tuple[str, Any, dict[str, Any]]] = [
    ("neg", np.negative, {}),
    ("abs", np.abs, {"samples": unary_samples(0.2, 2.0)}),
    ("exp", np.exp, {}),
    ("expm1", np.expm1, {}),
    ("log", np.log, {"samples": unary_samples(0.2, 3.0)}),
    ("log1p", np.log1p, {"samples": unary_samples(-0.5, 2.0)}),
    ("log2", np.log2, {"samples": unary_samples(0.2, 3.0)}),
    ("sqrt", np.sqrt, {"samples": unary_samples(0.2, 3.0)}),
    ("rsqrt", lambda x: 1.0 / np.sqrt(x), {"samples": unary_samples(0.2, 3.0)}),
    ("reciprocal", np.reciprocal, {"samples": unary_samples(0.5, 2.0)}),
    ("square", np.square, {}),
    ("sin", np.sin, {}),
    ("cos", np.cos, {}),
    ("tan", np.tan, {"samples": unary_samples(-1.0, 1.0)}),
    ("tanh", np.tanh, {}),
    ("sigmoid", _sigmoid, {}),
    ("atan", np.arctan, {}),
    ("asin", np.arcsin, {"samples": unary_samples(-0.8, 0.8)}),
    ("sinh", np.sinh, {}),
    ("cosh", np.cosh, {}),
    ("erf", _erf, {}),
    ("relu", lambda x: np.maximum(x, 0), {}),
    ("floor", np.floor, {}),
    ("ceil", np.ceil, {}),
    ("trunc", np.trunc, {}),
    ("sign", np.sign, {"samples": unary_samples(0.2, 2.0)}),
]


def _binary() -> list[OpInfo]:
    pos = binary_samples(0.5, 2.0)
    return [
        OpInfo.function("add", np_ref=np.add, samples=binary_samples(), owner=OWNER),
        OpInfo.function("sub", np_ref=np.subtract, samples=binary_samples(), owner=OWNER),
        OpInfo.function("mul", np_ref=np.multiply, samples=binary_samples(), owner=OWNER),
        OpInfo.function("div", np_ref=np.divide, samples=binary_samples(-2, 2, 0.5, 2.0),
                        owner=OWNER),
        OpInfo.function("pow", np_ref=np.power, samples=binary_samples(0.5, 2.0, -1.5, 1.5),
                        owner=OWNER),
        OpInfo.function("maximum", np_ref=np.maximum, samples=binary_samples(scalar=None),
                        owner=OWNER),
        OpInfo.function("minimum", np_ref=np.minimum, samples=binary_samples(scalar=None),
                        owner=OWNER),
        OpInfo.function("atan2", np_ref=np.arctan2, samples=binary_samples(0.5, 2.0,
                                                                            scalar=None),
                        owner=OWNER),
        OpInfo.function("hypot", np_ref=np.hypot, samples=binary_samples(0.5, 2.0,
                                                                          scalar=None),
                        owner=OWNER),
        OpInfo.function("logaddexp", np_ref=np.logaddexp, samples=binary_samples(scalar=None),
                        owner=OWNER),
        OpInfo.function("xlogy", samples=binary_samples(0.5, 2.0, scalar=None), owner=OWNER),
        OpInfo.function("fmod", np_ref=np.fmod, samples=pos, differentiable=False,
                        owner=OWNER),
    ]


def _where_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(rng.random((3, 4)) > 0.5), Arg(_u(rng, (3, 4))),
                       Arg(_u(rng, (3, 4)))), desc="same shape")
    yield SampleInput((Arg(rng.random((3, 1)) > 0.5), Arg(_u(rng, (4,))),
                       Arg(_u(rng, (3, 4)), "noncontig")), desc="broadcast, non-contiguous")
    yield SampleInput((Arg(np.array(True)), Arg(_u(rng, ())), Arg(_u(rng, (2,)))),
                      desc="0-d")


def _ternary_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))), Arg(_u(rng, (3, 4))), Arg(_u(rng, (3, 4)))))
    yield SampleInput((Arg(_u(rng, (3, 4)), "noncontig"), Arg(_u(rng, (4,))),
                       Arg(_u(rng, (3, 1)))), desc="broadcast, non-contiguous")
    yield SampleInput((Arg(_u(rng, ())), Arg(_u(rng, ())), Arg(_u(rng, ()))), desc="0-d")


def _clamp_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    # values kept away from the bounds so the kinks do not matter
    x = rng.choice([-1.8, -1.2, -0.3, 0.2, 0.4, 1.3, 1.9], (3, 4))
    yield SampleInput((Arg(x),), (-1.0, 1.0))
    yield SampleInput((Arg(x, "noncontig"),), (None, 0.5), desc="max only")
    yield SampleInput((Arg(x[0, 0].copy()),), (-1.0, None), desc="0-d")


def _elementwise() -> list[OpInfo]:
    out = []
    for name, ref, extra in _UNARY:
        opts: dict[str, Any] = {"np_ref": ref, "samples": unary_samples(), "owner": OWNER}
        opts.update(extra)
        if name in ("floor", "ceil", "trunc", "sign"):
            opts["gradgrad"] = False
        out.append(OpInfo.method(name, **opts))
    out += _binary()
    out.append(OpInfo.function("where", np_ref=np.where, samples=_where_samples, owner=OWNER))
    out.append(OpInfo.function("lerp", samples=_ternary_samples, owner=OWNER,
                               np_ref=lambda a, b, w: a + w * (b - a)))
    out.append(OpInfo.function("addcmul", samples=_ternary_samples, owner=OWNER,
                               np_ref=lambda a, b, c: a + b * c))
    out.append(OpInfo.method("clamp", samples=_clamp_samples, owner=OWNER,
                             np_ref=lambda x, lo, hi: np.clip(x, lo, hi)))
    return out


# ------------------------------------------------------------------ reductions
def _cum_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4), 0.5, 1.5)),), (1,))
    yield SampleInput((Arg(_u(rng, (3, 4), 0.5, 1.5), "noncontig"),), (0,),
                      desc="non-contiguous")
    yield SampleInput((Arg(_u(rng, (), 0.5, 1.5)),), (0,), desc="0-d")
    yield SampleInput((Arg(_u(rng, (0, 3), 0.5, 1.5)),), (1,), desc="empty")


def _dim_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))),), (1,))
    yield SampleInput((Arg(_u(rng, (2, 3, 4)), "noncontig"),), (0,), desc="non-contiguous")
    yield SampleInput((Arg(_u(rng, (4, 3)), "T"),), (-1,), desc="transposed")


def _max_dim(x: Any, dim: int) -> Any:
    return x.max(dim).values


def _reductions() -> list[OpInfo]:
    return [
        OpInfo.method("sum", np_ref=_red(np.sum), samples=reduction_samples(), owner=OWNER),
        OpInfo.method("mean", np_ref=_red(np.mean), samples=reduction_samples(empty=False),
                      owner=OWNER),
        OpInfo.method("prod", samples=reduction_samples(0.5, 1.5, dims=False), owner=OWNER,
                      np_ref=_red(np.prod)),
        OpInfo.method("amax", np_ref=_red(np.amax), samples=reduction_samples(empty=False),
                      owner=OWNER),
        OpInfo.method("amin", np_ref=_red(np.amin), samples=reduction_samples(empty=False),
                      owner=OWNER),
        OpInfo.method("var", samples=reduction_samples(empty=False, zero_d=False), owner=OWNER,
                      np_ref=lambda x, dim=None, keepdim=False: np.var(
                          x, axis=dim, keepdims=keepdim, ddof=1)),
        OpInfo.method("std", samples=reduction_samples(empty=False, zero_d=False), owner=OWNER,
                      np_ref=lambda x, dim=None, keepdim=False: np.std(
                          x, axis=dim, keepdims=keepdim, ddof=1)),
        OpInfo.method("logsumexp", samples=_dim_samples, owner=OWNER, np_ref=_logsumexp),
        OpInfo.method("norm", samples=reduction_samples(0.5, 2.0, dims=False), owner=OWNER,
                      np_ref=lambda x: np.sqrt((x * x).sum())),
        OpInfo.method("cumsum", samples=_cum_samples, owner=OWNER,
                      np_ref=lambda x, dim: np.cumsum(x, axis=dim) if x.ndim else x.copy()),
        OpInfo.method("cumprod", samples=_cum_samples, owner=OWNER,
                      np_ref=lambda x, dim: np.cumprod(x, axis=dim) if x.ndim else x.copy()),
        OpInfo("max.dim", _max_dim, _max_dim, samples=_dim_samples, owner=OWNER,
               np_ref=lambda x, dim: np.max(x, axis=dim)),
        OpInfo.method("softmax", samples=_dim_samples, owner=OWNER, np_ref=_softmax),
        OpInfo.method("log_softmax", samples=_dim_samples, owner=OWNER, np_ref=_log_softmax),
    ]


# ------------------------------------------------------------------ shape
def _one(shape: tuple[int, ...], *args: Any, layout: str = "contig", desc: str = "",
         **kwargs: Any) -> Any:
    def gen(rng: np.random.Generator) -> Iterator[SampleInput]:
        yield SampleInput((Arg(_u(rng, shape), layout),), args, kwargs, desc)

    return gen


def _chain(*gens: Any) -> Any:
    def gen(rng: np.random.Generator) -> Iterator[SampleInput]:
        for g in gens:
            yield from g(rng)

    return gen


def _np_expand(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    lead = len(shape) - x.ndim
    full = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    return np.broadcast_to(x, full)


def _cat_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (2, 3))), Arg(_u(rng, (4, 3)), "noncontig")))
    yield SampleInput((Arg(_u(rng, (2, 3))), Arg(_u(rng, (2, 0)))), (1,), desc="empty part")


def _stack_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (2, 3))), Arg(_u(rng, (2, 3)), "noncontig")), (1,))
    yield SampleInput((Arg(_u(rng, ())), Arg(_u(rng, ()))), desc="0-d")


def _list_call(fn_name: str) -> tuple[Any, Any]:
    def op(*args: Any) -> Any:
        import ember

        tensors = [a for a in args if not isinstance(a, int)]
        rest = [a for a in args if isinstance(a, int)]
        return getattr(ember, fn_name)(tensors, *rest)

    def ref(*args: Any) -> Any:
        import torch

        tensors = [a for a in args if not isinstance(a, int)]
        rest = [a for a in args if isinstance(a, int)]
        return getattr(torch, fn_name)(tensors, *rest)

    return op, ref


def _shape() -> list[OpInfo]:
    cat_op, cat_ref = _list_call("cat")
    stack_op, stack_ref = _list_call("stack")
    return [
        OpInfo.method("reshape", samples=_chain(_one((3, 4), (2, 6)),
                                                _one((3, 4), (-1,), layout="T"),
                                                _one((0, 4), (4, 0)),
                                                _one((), (1, 1))), owner=OWNER,
                      np_ref=lambda x, s: x.reshape(s)),
        OpInfo.method("permute", samples=_chain(_one((2, 3, 4), (2, 0, 1)),
                                                _one((2, 3, 4), (1, 2, 0), layout="noncontig")),
                      owner=OWNER, np_ref=lambda x, d: np.transpose(x, d)),
        OpInfo.method("transpose", samples=_one((2, 3, 4), 0, 2), owner=OWNER,
                      np_ref=lambda x, a, b: np.swapaxes(x, a, b)),
        OpInfo.method("flatten", samples=_chain(_one((2, 3, 4)), _one((2, 3, 4), 1),
                                                _one((), desc="0-d")), owner=OWNER),
        OpInfo.method("squeeze", samples=_chain(_one((2, 1, 3)), _one((2, 1, 3), 1)),
                      owner=OWNER),
        OpInfo.method("unsqueeze", samples=_chain(_one((2, 3), 1), _one((), 0)), owner=OWNER,
                      np_ref=lambda x, d: np.expand_dims(x, d)),
        OpInfo.method("expand", samples=_chain(_one((3, 1), (3, 4)), _one((), (2, 2)),
                                               _one((1, 3), (2, -1, 3))), owner=OWNER,
                      np_ref=_np_expand),
        OpInfo("cat", cat_op, cat_ref, samples=_cat_samples, owner=OWNER),
        OpInfo("stack", stack_op, stack_ref, samples=_stack_samples, owner=OWNER),
        OpInfo.method("flip", samples=_chain(_one((3, 4), (0,)), _one((2, 3, 4), (0, 2),
                                                                       layout="noncontig")),
                      owner=OWNER, np_ref=lambda x, d: np.flip(x, d)),
        OpInfo.method("roll", samples=_chain(_one((3, 4), 1, 1), _one((3, 4), (1, -2), (0, 1))),
                      owner=OWNER, np_ref=lambda x, s, d: np.roll(x, s, d)),
        OpInfo.method("narrow", samples=_one((4, 5), 1, 1, 3), owner=OWNER),
        OpInfo.method("select", samples=_chain(_one((3, 4), 0, 1), _one((3, 4), 1, -1)),
                      owner=OWNER),
        OpInfo.method("repeat", samples=_chain(_one((2, 3), (2, 1)), _one((2,), (2, 2))),
                      owner=OWNER, np_ref=lambda x, r: np.tile(x, r)),
        OpInfo.method("movedim", samples=_one((2, 3, 4), 0, -1), owner=OWNER,
                      np_ref=lambda x, a, b: np.moveaxis(x, a, b)),
        OpInfo.method("split", samples=_chain(_one((5, 3), 2), _one((5, 3), [1, 2], 1)),
                      owner=OWNER),
        OpInfo.method("tril", samples=_chain(_one((4, 4)), _one((3, 5), 1)), owner=OWNER,
                      np_ref=np.tril),
        OpInfo.method("triu", samples=_chain(_one((4, 4)), _one((3, 5), -1)), owner=OWNER,
                      np_ref=np.triu),
        OpInfo.method("diagonal", samples=_chain(_one((4, 4)), _one((3, 5), 1)), owner=OWNER,
                      np_ref=lambda x, o=0: np.diagonal(x, o)),
    ]


# ------------------------------------------------------------------ indexing
def _getitem(x: Any, key: Any) -> Any:
    return x[key]


def _index_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    x = _u(rng, (4, 5))
    yield SampleInput((Arg(x),), (1,), desc="int")
    yield SampleInput((Arg(x, "noncontig"),), ((slice(1, None, 2), slice(None, -1)),),
                      desc="slices")
    yield SampleInput((Arg(x),), ((None, Ellipsis, 2),), desc="None and Ellipsis")
    yield SampleInput((Arg(x),), (([0, 2, 2], [1, 1, 4]),), desc="advanced, repeated")


def _gather_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))), Arg(rng.integers(0, 4, (3, 2)))), (1,),
                      desc="dim 1")
    yield SampleInput((Arg(_u(rng, (3, 4)), "noncontig"), Arg(rng.integers(0, 3, (2, 4)))),
                      (0,), desc="non-contiguous, dim 0")


def _gather(x: Any, index: Any, dim: int) -> Any:
    return x.gather(dim, index)


def _index_select(x: Any, index: Any, dim: int) -> Any:
    return x.index_select(dim, index)


def _index_select_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))), Arg(np.array([0, 2, 2]))), (1,))
    yield SampleInput((Arg(_u(rng, (3, 4)), "T"), Arg(np.array([1]))), (0,), desc="transposed")


def _scatter_add(x: Any, index: Any, src: Any, dim: int) -> Any:
    return x.scatter_add(dim, index, src)


def _scatter_add_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))), Arg(rng.integers(0, 4, (3, 4))),
                       Arg(_u(rng, (3, 4)))), (1,), desc="repeated indices")


def _masked_fill(x: Any, mask: Any, value: float) -> Any:
    return x.masked_fill(mask, value)


def _masked_fill_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))), Arg(rng.random((3, 4)) > 0.5)), (0.25,))
    yield SampleInput((Arg(_u(rng, (3, 4)), "noncontig"), Arg(rng.random((4,)) > 0.5)),
                      (-1.0,), desc="broadcast mask")


def _take_along_dim(x: Any, index: Any, dim: int) -> Any:
    return x.take_along_dim(index, dim)


def _indexing() -> list[OpInfo]:
    return [
        OpInfo("getitem", _getitem, _getitem, samples=_index_samples, owner=OWNER,
               np_ref=lambda x, k: x[tuple(np.asarray(i) if isinstance(i, list) else i
                                           for i in k) if isinstance(k, tuple) else k]),
        OpInfo("gather", _gather, _gather, samples=_gather_samples, owner=OWNER,
               np_ref=lambda x, i, d: np.take_along_axis(x, i, d)),
        OpInfo("index_select", _index_select, _index_select, samples=_index_select_samples,
               owner=OWNER, np_ref=lambda x, i, d: np.take(x, i, d)),
        OpInfo("scatter_add", _scatter_add, _scatter_add, samples=_scatter_add_samples,
               owner=OWNER),
        OpInfo("masked_fill", _masked_fill, _masked_fill, samples=_masked_fill_samples,
               owner=OWNER, np_ref=lambda x, m, v: np.where(m, v, x)),
        OpInfo("take_along_dim", _take_along_dim, _take_along_dim, samples=_gather_samples,
               owner=OWNER, np_ref=lambda x, i, d: np.take_along_axis(x, i, d)),
    ]


# ------------------------------------------------------------------ linear algebra
def _pairs(*shapes: tuple[tuple[int, ...], tuple[int, ...], str]) -> Any:
    def gen(rng: np.random.Generator) -> Iterator[SampleInput]:
        for sa, sb, layout in shapes:
            yield SampleInput((Arg(_u(rng, sa), layout), Arg(_u(rng, sb))),
                              desc=f"{sa} @ {sb} {layout}")

    return gen


def _addmm_samples(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (2, 4))), Arg(_u(rng, (2, 3))), Arg(_u(rng, (3, 4)))))
    yield SampleInput((Arg(_u(rng, (4,))), Arg(_u(rng, (2, 3)), "T"), Arg(_u(rng, (3, 4)))),
                      kwargs={"beta": 0.5, "alpha": 2.0}, desc="broadcast bias, scaled")


def _einsum(*tensors: Any) -> Any:
    import ember

    return ember.einsum("bij,bjk->bik", *tensors)


def _einsum_ref(*tensors: Any) -> Any:
    import torch

    return torch.einsum("bij,bjk->bik", *tensors)


def _linalg() -> list[OpInfo]:
    return [
        OpInfo.function("matmul", np_ref=np.matmul, owner=OWNER, samples=_pairs(
            ((3,), (3,), "contig"), ((2, 3), (3,), "contig"), ((3,), (3, 4), "contig"),
            ((2, 3), (3, 4), "T"), ((2, 2, 3), (3, 4), "noncontig"),
            ((2, 1, 2, 3), (3, 3, 2), "contig"), ((0, 3), (3, 2), "contig"))),
        OpInfo.function("mm", np_ref=np.matmul, owner=OWNER,
                        samples=_pairs(((2, 3), (3, 4), "contig"), ((2, 3), (3, 4), "T"))),
        OpInfo.function("bmm", np_ref=np.matmul, owner=OWNER,
                        samples=_pairs(((2, 2, 3), (2, 3, 4), "noncontig"))),
        OpInfo.function("mv", np_ref=np.matmul, owner=OWNER,
                        samples=_pairs(((2, 3), (3,), "T"))),
        OpInfo.function("dot", np_ref=np.dot, owner=OWNER, samples=_pairs(((4,), (4,), "contig"),
                                                                        ((0,), (0,), "contig"))),
        OpInfo.function("outer", np_ref=np.outer, owner=OWNER,
                        samples=_pairs(((3,), (4,), "noncontig"))),
        OpInfo.function("addmm", owner=OWNER, samples=_addmm_samples),
        OpInfo("einsum", _einsum, _einsum_ref, owner=OWNER,
               samples=_pairs(((2, 2, 3), (2, 3, 4), "contig")),
               np_ref=lambda a, b: np.einsum("bij,bjk->bik", a, b)),
        OpInfo.method("trace", owner=OWNER, samples=_one((3, 3)), np_ref=np.trace),
    ]


def populate() -> None:
    """Register every core record (called once, on first use of the database)."""
    for group in (_elementwise, _reductions, _shape, _indexing, _linalg):
        for info in group():
            register(info, replace=True)
