"""Pooling forward + backward on (32, 64, 64, 64) float32, ember vs torch on the same
machine (alternating runs; prints the median time of each and the ratio ember / torch).

Run: ``python plugins/conv/benchmarks/bench_pool.py``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import ember

CASES: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("max_pool2d 2x2", lambda lib, x: lib.nn.functional.max_pool2d(x, 2)),
    ("max_pool2d 3x3 s2 p1", lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 2, 1)),
    ("avg_pool2d 3x3 s2 p1", lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 2, 1)),
    ("adaptive_avg_pool2d 1", lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 1)),
]


def _median(fn: Callable[[], None], repeats: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    x = np.random.default_rng(0).standard_normal((32, 64, 64, 64)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ex = ember.tensor(x, requires_grad=True)
    for name, call in CASES:
        tt = _median(lambda c=call: c(torch, tx).sum().backward())
        te = _median(lambda c=call: c(ember, ex).sum().backward())
        print(f"{name:24s} torch {tt * 1e3:7.1f} ms  ember {te * 1e3:7.1f} ms  "
              f"ratio {te / tt:.2f}")


if __name__ == "__main__":
    main()
