"""Conv2d 64->64 3x3 on 64x64 images, batch 32: forward + backward, ember vs torch.

Run: ``python plugins/conv/benchmarks/bench_conv2d.py``; prints the best of a few runs of
each and the ratio ember / torch.
"""

from __future__ import annotations

import time

import numpy as np
import torch

import ember


def _best(fn, repeat: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
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

    tt = _best(run_torch)
    te = _best(run_ember)
    print(f"torch {tt * 1e3:.1f} ms, ember {te * 1e3:.1f} ms, ratio {te / tt:.2f}")


if __name__ == "__main__":
    main()
