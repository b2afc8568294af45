"""Conv2d 64->64 3x3 (padding 1) on 64x64 images, batch 32: forward + backward (input,
weight and bias gradients), ember vs torch on the same machine.

Run: ``python plugins/conv/benchmarks/bench_conv2d.py [repeats]``. The two libraries run
alternately so machine load affects both alike; prints the best and the median time of
each and their ratios (ember / torch).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import torch

import ember


def _time(fn: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(repeats: int = 6) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 64, 64, 64)).astype(np.float32)
    w = (rng.standard_normal((64, 64, 3, 3)) * 0.05).astype(np.float32)
    b = np.zeros(64, np.float32)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ex, ew, eb = (ember.tensor(a, requires_grad=True) for a in (x, w, b))

    def run_torch() -> None:
        y = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
        y.backward(torch.ones_like(y))

    def run_ember() -> None:
        y = ember.nn.functional.conv2d(ex, ew, eb, padding=1)
        y.backward(ember.ones_like(y))

    run_torch()
    run_ember()
    tt, te = [], []
    for _ in range(repeats):
        tt.append(_time(run_torch))
        te.append(_time(run_ember))
    best_t, best_e = min(tt), min(te)
    med_t, med_e = statistics.median(tt), statistics.median(te)
    print(f"best:   torch {best_t * 1e3:.0f} ms, ember {best_e * 1e3:.0f} ms, "
          f"ratio {best_e / best_t:.2f}")
    print(f"median: torch {med_t * 1e3:.0f} ms, ember {med_e * 1e3:.0f} ms, "
          f"ratio {med_e / med_t:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
