"""ember-transformer's records in ember-testing's op database.

Loaded through the ``ember_testing.opdb`` entry point, so the conformance suite checks
``scaled_dot_product_attention`` and ``multi_head_attention_forward`` (values, gradients,
second derivatives) on any backend, including one that runs only composite definitions.
Dropout inside attention is random and is tested by its statistics in this package's own
tests instead. Importing this module needs ember-testing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ember_testing.opdb import Arg, OpInfo, SampleInput, register

OWNER = "ember-transformer"


def _lib(name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def op(*args: Any, **kw: Any) -> Any:
        import ember

        return getattr(ember.nn.functional, name)(*args, **kw)

    def ref(*args: Any, **kw: Any) -> Any:
        import torch

        return getattr(torch.nn.functional, name)(*args, **kw)

    op.__name__ = ref.__name__ = name
    return op, ref


def _n(rng: np.random.Generator, shape: Any) -> np.ndarray:
    return rng.standard_normal(shape)


def _sdpa(rng: np.random.Generator) -> Iterator[SampleInput]:
    q, k, v = _n(rng, (2, 2, 3, 4)), _n(rng, (2, 2, 5, 4)), _n(rng, (2, 2, 5, 3))
    yield SampleInput((Arg(q), Arg(k), Arg(v)), desc="plain")
    allowed = rng.random((3, 5)) > 0.4
    allowed[:, 0] = True
    yield SampleInput((Arg(q), Arg(k), Arg(v), Arg(allowed)), desc="bool mask")
    yield SampleInput((Arg(q), Arg(k), Arg(v), Arg(_n(rng, (2, 1, 3, 5)))),
                      desc="float mask, broadcast")
    yield SampleInput((Arg(q), Arg(k[:, :, :3]), Arg(v[:, :, :3])), (None, 0.0, True),
                      desc="causal")
    yield SampleInput((Arg(q), Arg(k), Arg(v)), (), {"scale": 0.5}, desc="scale")
    yield SampleInput((Arg(_n(rng, (1, 4, 3, 4))), Arg(k[:1]), Arg(v[:1])), (),
                      {"enable_gqa": True}, desc="grouped-query")
    yield SampleInput((Arg(q[0, 0], "T"), Arg(k[0, 0]), Arg(v[0, 0], "noncontig")),
                      desc="2-d, strided")


_E, _H = 4, 2


def _mha_call(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``(q, k, v, in_w, in_b, out_w, out_b, *masks, **kw)`` -> torch's positional order."""
    def call(q: Any, k: Any, v: Any, in_w: Any, in_b: Any, out_w: Any, out_b: Any,
             *masks: Any, **kw: Any) -> Any:
        if masks:
            kw = {**kw, "attn_mask": masks[0]}
        return fn(q, k, v, _E, _H, in_w, in_b, None, None, False, 0.0, out_w, out_b,
                  **kw)

    call.__name__ = fn.__name__
    return call


def _mha(rng: np.random.Generator) -> Iterator[SampleInput]:
    weights = (Arg(_n(rng, (3 * _E, _E)) * 0.5), Arg(_n(rng, (3 * _E,))),
               Arg(_n(rng, (_E, _E)) * 0.5), Arg(_n(rng, (_E,))))
    q, kv = _n(rng, (3, 2, _E)), _n(rng, (5, 2, _E))
    yield SampleInput((Arg(q), Arg(kv), Arg(kv), *weights), desc="weights")
    yield SampleInput((Arg(q), Arg(kv), Arg(kv), *weights, Arg(_n(rng, (3, 5)))), (),
                      {"average_attn_weights": False}, desc="float mask, per head")


def _mha_fused(rng: np.random.Generator) -> Iterator[SampleInput]:
    for sample in _mha(rng):
        sample.kwargs = {**sample.kwargs, "need_weights": False}
        sample.kwargs.pop("average_attn_weights", None)
        yield sample


def populate() -> None:
    """Register every record (idempotent)."""
    op, ref = _lib("scaled_dot_product_attention")
    register(OpInfo("nn.functional.scaled_dot_product_attention", op, ref, samples=_sdpa,
                    owner=OWNER), replace=True)
    op, ref = _lib("multi_head_attention_forward")
    register(OpInfo("nn.functional.multi_head_attention_forward", _mha_call(op),
                    _mha_call(ref), samples=_mha, owner=OWNER), replace=True)
    # need_weights=False runs scaled_dot_product_attention; torch's CPU kernel for it has
    # no second derivative, so this variant is checked to first order
    register(OpInfo("nn.functional.multi_head_attention_forward.fused", _mha_call(op),
                    _mha_call(ref), samples=_mha_fused, gradgrad=False, owner=OWNER),
             replace=True)


populate()
