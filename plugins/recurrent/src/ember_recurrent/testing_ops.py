"""ember-recurrent's records in ember-testing's op database.

Loaded through the ``ember_testing.opdb`` entry point, so the conformance suite checks the
cell ops (values, gradients, second derivatives) on any backend, including one that runs
only their composite definitions. Each record calls the ember op and torch's op of the same
name (``torch.lstm_cell``, ``torch.gru_cell``, ``torch.rnn_tanh_cell``,
``torch.rnn_relu_cell``) with the tensors first. Importing this module needs ember-testing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ember_testing.opdb import Arg, OpInfo, SampleInput, register

OWNER = "ember-recurrent"


def _u(rng: np.random.Generator, *shape: int) -> Arg:
    return Arg(rng.uniform(-1.0, 1.0, shape))


def _samples(gates: int, with_c: bool) -> Callable[[np.random.Generator], Iterator[SampleInput]]:
    """(x, h[, c], w_ih, w_hh[, b_ih, b_hh]) for batch 3, input 4, hidden 5."""

    def gen(rng: np.random.Generator) -> Iterator[SampleInput]:
        b, i, h = 3, 4, 5
        state = (_u(rng, b, h), _u(rng, b, h)) if with_c else (_u(rng, b, h),)
        weights = (_u(rng, gates * h, i), _u(rng, gates * h, h))
        biases = (_u(rng, gates * h), _u(rng, gates * h))
        yield SampleInput((_u(rng, b, i), *state, *weights, *biases), desc="with bias")
        state = (_u(rng, 2, h), _u(rng, 2, h)) if with_c else (_u(rng, 2, h),)
        yield SampleInput((Arg(rng.uniform(-1, 1, (2, i)), "noncontig"), *state,
                           Arg(rng.uniform(-1, 1, (gates * h, i)), "noncontig"),
                           _u(rng, gates * h, h)), desc="no bias, strided operands")

    return gen


def _caller(lib_name: str, name: str, with_c: bool) -> Callable[..., Any]:
    def call(x: Any, *rest: Any) -> Any:
        import importlib

        if lib_name == "ember":
            fn = getattr(importlib.import_module("ember_recurrent.functional"), name)
        else:
            fn = getattr(importlib.import_module("torch"), name)
        if with_c:
            h, c, *weights = rest
            return fn(x, (h, c), *weights)
        h, *weights = rest
        return fn(x, h, *weights)

    call.__name__ = name
    return call


def populate() -> None:
    """Register every record (idempotent)."""
    for name, gates, with_c in (("lstm_cell", 4, True), ("gru_cell", 3, False),
                                ("rnn_tanh_cell", 1, False), ("rnn_relu_cell", 1, False)):
        register(OpInfo(name, _caller("ember", name, with_c), _caller("torch", name, with_c),
                        samples=_samples(gates, with_c), owner=OWNER), replace=True)


populate()
