"""The losses' records in ember-testing's op database.

Loaded through the ``ember_testing.opdb`` entry point, so the conformance suite checks
every loss (values, gradients, second derivatives) on any backend, including those that
run the composite definitions only. Importing this module needs ember-testing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ember_testing.opdb import Arg, OpInfo, SampleInput, register

OWNER = "ember-losses"

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


def _add(name: str, samples: Gen, gradgrad: bool = True,
         tols: dict[str, tuple[float, float]] | None = None) -> None:
    op, ref = _functional(name)
    register(OpInfo(name, op, ref, samples=samples, gradgrad=gradgrad, tols=tols or {},
                    owner=OWNER), replace=True)


def _u(rng: np.random.Generator, shape: Any, low: float = -2.0, high: float = 2.0
       ) -> np.ndarray:
    return rng.uniform(low, high, shape)


def _signs(rng: np.random.Generator, shape: Any) -> np.ndarray:
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _fixed(x: np.ndarray) -> Arg:
    return Arg(x, grad=False)


def _pair_losses(rng: np.random.Generator) -> Iterator[SampleInput]:
    for red in ("none", "mean", "sum"):
        yield SampleInput((Arg(_u(rng, (3, 4))), Arg(_u(rng, (3, 4)))), (),
                          {"reduction": red}, red)
    yield SampleInput((Arg(_u(rng, (3, 4)), "noncontig"), Arg(_u(rng, (3, 4)), "T")), (), {},
                      "non-contiguous")
    yield SampleInput((Arg(_u(rng, ())), Arg(_u(rng, ()))), (), {}, "0-d")


def _cross_entropy(rng: np.random.Generator) -> Iterator[SampleInput]:
    w = _fixed(_u(rng, 5, 0.5, 2.0))
    for red in ("none", "mean", "sum"):
        target = rng.integers(0, 5, (4, 3))
        target[0, 0] = -100
        yield SampleInput((Arg(_u(rng, (4, 5, 3))), _fixed(target), w), (),
                          {"reduction": red, "label_smoothing": 0.1}, f"K-dim {red}")
        probs = rng.dirichlet(np.ones(5), 4)
        yield SampleInput((Arg(_u(rng, (4, 5))), Arg(probs)), (), {"reduction": red},
                          f"probabilities {red}")
    yield SampleInput((Arg(_u(rng, 5)), _fixed(np.array(2))), (), {}, "unbatched")


def _nll(rng: np.random.Generator) -> Iterator[SampleInput]:
    w = _fixed(_u(rng, 4, 0.5, 2.0))
    for red in ("none", "mean", "sum"):
        yield SampleInput((Arg(_u(rng, (5, 4), -3, 0)), _fixed(rng.integers(0, 4, 5)), w), (),
                          {"reduction": red, "ignore_index": 1}, red)


def _bce(rng: np.random.Generator) -> Iterator[SampleInput]:
    for red in ("none", "mean", "sum"):
        yield SampleInput((Arg(_u(rng, (3, 4), 0.05, 0.95)), Arg(_u(rng, (3, 4), 0, 1)),
                           _fixed(_u(rng, 4, 0.5, 2))), (), {"reduction": red}, red)


def _bce_logits(rng: np.random.Generator) -> Iterator[SampleInput]:
    for red in ("none", "mean", "sum"):
        yield SampleInput((Arg(_u(rng, (3, 4), -5, 5)), Arg(_u(rng, (3, 4), 0, 1))), (),
                          {"reduction": red, "pos_weight": None}, red)


def _poisson(rng: np.random.Generator) -> Iterator[SampleInput]:
    for log_input in (True, False):
        yield SampleInput((Arg(_u(rng, (3, 4), 0.2, 2)), Arg(_u(rng, (3, 4), 0.5, 4))), (),
                          {"log_input": log_input, "full": True}, f"log_input={log_input}")


def _gaussian(rng: np.random.Generator) -> Iterator[SampleInput]:
    for shape in ((3, 4), (3, 1), (3,)):
        yield SampleInput((Arg(_u(rng, (3, 4))), Arg(_u(rng, (3, 4))),
                           Arg(_u(rng, shape, 0.1, 2))), (), {"full": True}, f"var {shape}")


def _kl(rng: np.random.Generator) -> Iterator[SampleInput]:
    for log_target in (False, True):
        y = _u(rng, (3, 4), 0.05, 1)
        yield SampleInput((Arg(np.log(_u(rng, (3, 4), 0.05, 1))),
                           Arg(np.log(y) if log_target else y)), (),
                          {"reduction": "batchmean", "log_target": log_target},
                          f"log_target={log_target}")


def _ranking(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, 6)), Arg(_u(rng, 6)), _fixed(_signs(rng, 6))), (),
                      {"margin": 0.3}, "margin")


def _hinge(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4), -1, 2)), _fixed(_signs(rng, (3, 4)))), (),
                      {"margin": 0.5}, "margin")


def _multilabel_margin(rng: np.random.Generator) -> Iterator[SampleInput]:
    target = np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 0, 0, 0]])
    yield SampleInput((Arg(_u(rng, (3, 4), -1, 1)), _fixed(target)), (),
                      {"reduction": "none"}, "none")


def _multilabel_soft(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))), Arg((rng.random((3, 4)) < 0.5) * 1.0),
                       _fixed(_u(rng, 4, 0.5, 2))), (), {}, "weight")


def _multi_margin(rng: np.random.Generator) -> Iterator[SampleInput]:
    for p in (1, 2):
        yield SampleInput((Arg(_u(rng, (5, 4), -1, 1)), _fixed(rng.integers(0, 4, 5))), (),
                          {"p": p, "margin": 0.7, "reduction": "none"}, f"p={p}")


def _cosine(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (4, 3))), Arg(_u(rng, (4, 3))), _fixed(_signs(rng, 4))),
                      (), {"margin": 0.1}, "margin")


def _triplet(rng: np.random.Generator) -> Iterator[SampleInput]:
    for p, swap in ((2.0, False), (1.0, True)):
        yield SampleInput(tuple(Arg(_u(rng, (4, 3))) for _ in range(3)), (),
                          {"p": p, "swap": swap, "margin": 2.0}, f"p={p} swap={swap}")


def _triplet_distance(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput(tuple(Arg(_u(rng, (4, 3))) for _ in range(3)), (),
                      {"swap": True, "margin": 2.0}, "default distance")


def _soft_margin(rng: np.random.Generator) -> Iterator[SampleInput]:
    yield SampleInput((Arg(_u(rng, (3, 4))), _fixed(_signs(rng, (3, 4)))), (), {}, "signs")


def _ctc(rng: np.random.Generator) -> Iterator[SampleInput]:
    x = _u(rng, (8, 3, 5))
    log_probs = x - np.log(np.exp(x).sum(2, keepdims=True))
    targets = rng.integers(1, 5, (3, 3))
    for red in ("none", "mean", "sum"):
        yield SampleInput((Arg(log_probs), _fixed(targets)), ((8, 7, 5), (3, 2, 1)),
                          {"reduction": red}, red)


def populate() -> None:
    """Register every loss."""
    for name in ("l1_loss", "mse_loss", "huber_loss", "smooth_l1_loss"):
        _add(name, _pair_losses)
    _add("cross_entropy", _cross_entropy)
    _add("nll_loss", _nll)
    _add("binary_cross_entropy", _bce)
    _add("binary_cross_entropy_with_logits", _bce_logits)
    _add("poisson_nll_loss", _poisson)
    _add("gaussian_nll_loss", _gaussian)
    _add("kl_div", _kl)
    _add("margin_ranking_loss", _ranking)
    _add("hinge_embedding_loss", _hinge)
    _add("multilabel_margin_loss", _multilabel_margin, gradgrad=False)  # torch has none
    _add("multilabel_soft_margin_loss", _multilabel_soft)
    _add("multi_margin_loss", _multi_margin, gradgrad=False)  # torch has none
    _add("cosine_embedding_loss", _cosine)
    _add("triplet_margin_loss", _triplet)
    _add("triplet_margin_with_distance_loss", _triplet_distance)
    _add("soft_margin_loss", _soft_margin)
    _add("ctc_loss", _ctc, gradgrad=False)


populate()
