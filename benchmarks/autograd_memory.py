"""Memory over a long training loop: does autograd keep anything alive between steps?

Runs the same small training step (matmul, tanh, sigmoid, backward, SGD update) 10,000
times in ember and in torch, and reports the Python heap traced by tracemalloc and the
process's resident memory at checkpoints. A flat line is the expected result; the unit
test ``core/tests/test_autograd_engine.py::test_memory_stays_flat_over_many_steps`` runs
the same loop for 2,000 steps.

    python benchmarks/autograd_memory.py [--steps 10000]
"""

from __future__ import annotations

import argparse
import gc
import resource
import tracemalloc
from typing import Any

import numpy as np


def _step(lib: Any, x: Any, w: Any) -> None:
    loss = ((x @ w).tanh() * (x @ w).sigmoid()).sum()
    loss.backward()
    with lib.no_grad():
        w.sub_(w.grad * 0.01)
    w.grad = None


def run(lib: Any, steps: int, checkpoints: int = 5) -> list[tuple[int, int, int]]:
    """(step, traced bytes, max RSS in KiB) at evenly spaced checkpoints."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((8, 4)))
    w = lib.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    for _ in range(100):
        _step(lib, x, w)
    gc.collect()
    tracemalloc.start()
    out = []
    every = max(steps // checkpoints, 1)
    try:
        for i in range(1, steps + 1):
            _step(lib, x, w)
            if i % every == 0:
                traced, _ = tracemalloc.get_traced_memory()
                out.append((i, traced, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
    finally:
        tracemalloc.stop()
    return out


def main() -> None:
    """Print the memory checkpoints of ember and torch."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    args = parser.parse_args()
    import ember

    libs = [("ember", ember)]
    try:
        import torch

        libs.append(("torch", torch))
    except ImportError:
        pass
    for name, lib in libs:
        points = run(lib, args.steps)
        print(f"{name}: step, traced KiB, max RSS MiB")
        for step, traced, rss in points:
            print(f"  {step:7d} {traced / 1024:10.1f} {rss / 1024:10.1f}")
        growth = (points[-1][1] - points[0][1]) / 1024
        print(f"  traced growth from the first checkpoint to the last: {growth:.1f} KiB")


if __name__ == "__main__":
    main()
