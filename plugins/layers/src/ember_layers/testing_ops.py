"""ember-layers' records in ember-testing's op database.

Loaded through the ``ember_testing.opdb`` entry point, so the conformance suite checks every
deterministic layer op (values, gradients, second derivatives) on any backend, including
one that runs only the composite definitions. Random ops (dropout, rrelu in training,
gumbel_softmax) are tested by their statistics in this package's own tests instead.
Importing this module needs ember-testing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ember_testing.opdb import Arg, OpInfo, SampleInput, register, unary_samples

OWNER = "ember-layers"

Gen = Callable[[np.random.Generator], Iterator[SampleInput]]


def _functional(name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def op(*args: Any, **kw: Any) -> Any:
        import ember

        return getattr(ember.nn.functional, name)(*args, **kw)

    def ref(*args: Any, **kw: Any) -> Any:
        import torch

        return getattr(torch.nn.functional, name)(*args, **kw)

    op.__name__ = ref.__name__ = name
    return op, ref


def _add(name: str, samples: Gen, gradgrad: bool = True, variant: str = "",
         order: Callable[..., tuple[tuple[Any, ...], dict[str, Any]]] | None = None) -> None:
    """Register ``nn.functional.<name><variant>``; ``order(*args, **kw)`` maps the harness's
    call (tensors first) to the op's positional order when they differ."""
    op, ref = _functional(name)
    if order is not None:
        op, ref = _reordered(op, order), _reordered(ref, order)
    register(OpInfo(f"nn.functional.{name}{variant}", op, ref, samples=samples,
                    gradgrad=gradgrad, owner=OWNER), replace=True)


def _reordered(fn: Callable[..., Any], order: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kw: Any) -> Any:
        a, k = order(*args, **kw)
        return fn(*a, **k)

    call.__name__ = fn.__name__
    return call


def _weights_last(*args: Any, **kw: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``(x, *weights, shape_or_groups)`` -> ``(x, shape_or_groups, *weights)``."""
    return (args[0], args[-1], *args[1:-1]), kw


def _u(rng: np.random.Generator, shape: Any, low: float = -2.0, high: float = 2.0
       ) -> np.ndarray:
    return rng.uniform(low, high, shape)


def _idx(values: Any) -> Arg:
    return Arg(np.asarray(values, dtype=np.int64), grad=False)


# name -> (low, high, kwargs, has second derivative in torch)
_POINTWISE: dict[str, tuple[float, float, dict[str, Any], bool]] = {
    "relu": (-2, 2, {}, True), "relu6": (-2, 8, {}, True), "elu": (-3, 3, {"alpha": 0.7}, True),
    "selu": (-3, 3, {}, True), "celu": (-3, 3, {"alpha": 1.5}, True),
    "gelu": (-3, 3, {}, True), "silu": (-4, 4, {}, True), "mish": (-4, 4, {}, True),
    "hardtanh": (-2, 2, {"min_val": -0.5, "max_val": 1.5}, True),
    "hardsigmoid": (-4, 4, {}, False), "hardswish": (-4, 4, {}, False),
    "hardshrink": (-2, 2, {"lambd": 0.7}, True), "softshrink": (-2, 2, {"lambd": 0.7}, True),
    "tanhshrink": (-2, 2, {}, True), "softsign": (-3, 3, {}, True),
    "softplus": (-3, 3, {"beta": 2.0, "threshold": 4.0}, True),
    "leaky_relu": (-2, 2, {"negative_slope": 0.1}, True), "logsigmoid": (-4, 4, {}, True),
    "sigmoid": (-3, 3, {}, True), "tanh": (-2, 2, {}, True),
    "threshold": (-2, 2, {"threshold": 0.4, "value": -1.0}, True),
}


def _linear(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 5))), Arg(_u(rng, (4, 5))), Arg(_u(rng, (4,)))),
                      desc="2-d with bias")
    yield SampleInput((Arg(_u(rng, (2, 3, 5))), Arg(_u(rng, (4, 5)))), desc="3-d, no bias")
    yield SampleInput((Arg(_u(rng, (5,))), Arg(_u(rng, (4, 5))), Arg(_u(rng, (4,)))),
                      desc="1-d input")
    yield SampleInput((Arg(_u(rng, (3, 5)), "noncontig"), Arg(_u(rng, (4, 5)), "T")),
                      desc="strided operands")


def _bilinear(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))), Arg(_u(rng, (3, 5))), Arg(_u(rng, (2, 4, 5))),
                       Arg(_u(rng, (2,)))))
    yield SampleInput((Arg(_u(rng, (2, 3, 4))), Arg(_u(rng, (2, 3, 5))),
                       Arg(_u(rng, (2, 4, 5)))), desc="3-d, no bias")


def _prelu(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (2, 3, 4))), Arg(rng.uniform(0.1, 0.5, (3,)))))
    yield SampleInput((Arg(_u(rng, (2, 3))), Arg(rng.uniform(0.1, 0.5, (1,)))))


def _glu(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))),))
    yield SampleInput((Arg(_u(rng, (4, 3, 2))),), (0,))


def _softmaxes(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))),), (1,))
    yield SampleInput((Arg(_u(rng, (2, 3, 4)), "noncontig"),), (0,))


def _batch_norm(rng: np.random.Generator) -> Iterator[SampleInput]:
    c = 3
    rm, rv = Arg(_u(rng, (c,)), grad=False), Arg(rng.uniform(0.5, 2, (c,)), grad=False)
    w, b = Arg(_u(rng, (c,))), Arg(_u(rng, (c,)))
    yield SampleInput((Arg(_u(rng, (4, c, 5))), rm, rv, w, b), (False,), desc="eval")
    yield SampleInput((Arg(_u(rng, (4, c))),), (None, None), {"training": True},
                      desc="train, batch statistics")


def _instance_norm(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (2, 3, 5))),))
    yield SampleInput((Arg(_u(rng, (2, 3, 2, 3))),), (), {"eps": 1e-3})


def _layer_norm(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4, 5))), Arg(_u(rng, (4, 5))), Arg(_u(rng, (4, 5)))),
                      ((4, 5),), desc="affine")
    yield SampleInput((Arg(_u(rng, (3, 5))),), ((5,),), desc="plain")


def _group_norm(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (2, 6, 4))), Arg(_u(rng, (6,))), Arg(_u(rng, (6,)))), (3,))


def _rms_norm(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4, 5))), Arg(_u(rng, (5,)))), ((5,),))
    yield SampleInput((Arg(_u(rng, (3, 5))),), ((5,),), {"eps": 1e-3})


def _lrn(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (2, 5, 4))),), (3,), {"alpha": 0.3, "k": 1.5})


def _normalize(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))),))
    yield SampleInput((Arg(_u(rng, (3, 4, 2))),), (1.0, 2))


def _embedding(rng: np.random.Generator) -> Iterator[SampleInput]:
    idx = _idx([[1, 2, 2], [0, 4, 1]])
    yield SampleInput((idx, Arg(_u(rng, (5, 3)))))
    yield SampleInput((idx, Arg(_u(rng, (5, 3)))), (), {"padding_idx": 2,
                                                          "scale_grad_by_freq": True})


def _embedding_bag(rng: np.random.Generator) -> Iterator[SampleInput]:
    flat, offs = _idx([1, 2, 4, 3, 2, 0]), _idx([0, 2, 2])
    for mode in ("sum", "mean", "max"):
        yield SampleInput((flat, Arg(_u(rng, (5, 3))), offs), (), {"mode": mode}, mode)
    yield SampleInput((_idx([[1, 2], [4, 2]]), Arg(_u(rng, (5, 3)))), (),
                      {"mode": "mean", "padding_idx": 2}, "2-d, padding")


def _one_hot(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((_idx([[0, 3], [2, 1]]),))
    yield SampleInput((_idx([1, 0]),), (4,))


def _cosine(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))), Arg(_u(rng, (3, 4)))))
    yield SampleInput((Arg(_u(rng, (2, 3, 4))), Arg(_u(rng, (3, 4)))), (-1,), desc="broadcast")


def _pairwise(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))), Arg(_u(rng, (3, 4)))))
    yield SampleInput((Arg(_u(rng, (3, 4))), Arg(_u(rng, (3, 4)))), (1.0,), {"keepdim": True})


def _pdist(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (5, 3))),))
    yield SampleInput((Arg(_u(rng, (4, 3))),), (3.0,))


def populate() -> None:
    """Register every record (idempotent)."""
    for name, (low, high, kw, gg) in _POINTWISE.items():
        _add(name, unary_samples(low, high, **kw), gradgrad=gg)
    _add("gelu", unary_samples(-3, 3, approximate="tanh"), variant=".tanh")
    _add("linear", _linear)
    _add("bilinear", _bilinear)
    _add("prelu", _prelu)
    _add("glu", _glu)
    for name in ("softmax", "softmin", "log_softmax"):
        _add(name, _softmaxes)
    _add("batch_norm", _batch_norm)
    _add("instance_norm", _instance_norm)
    _add("layer_norm", _layer_norm, order=_weights_last)
    _add("group_norm", _group_norm, order=_weights_last)
    _add("rms_norm", _rms_norm, order=_weights_last)
    _add("local_response_norm", _lrn)
    _add("normalize", _normalize)
    _add("embedding", _embedding)
    _add("embedding_bag", _embedding_bag)
    op, ref = _functional("one_hot")
    register(OpInfo("nn.functional.one_hot", op, ref, samples=_one_hot, differentiable=False,
                    owner=OWNER), replace=True)
    _add("cosine_similarity", _cosine)
    _add("pairwise_distance", _pairwise)
    _add("pdist", _pdist, gradgrad=False)


populate()
