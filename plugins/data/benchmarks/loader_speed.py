"""Loading speed of ember's DataLoader against torch's, side by side in one run.

Iterates a shuffled 100,000-sample TensorDataset (32 float features and an int label) in
batches of 256 with ``num_workers=0`` and prints the best of three epochs for each
library and their ratio::

    python plugins/data/benchmarks/loader_speed.py
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def best_epoch_time(lib: Any, features: np.ndarray, labels: np.ndarray, repeats: int = 3
                    ) -> float:
    """Seconds for one full epoch (best of ``repeats``) with ``lib``'s DataLoader."""
    data = lib.utils.data
    dataset = data.TensorDataset(lib.tensor(features), lib.tensor(labels))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        seen = 0
        for x, _ in data.DataLoader(dataset, batch_size=256, shuffle=True):
            seen += x.shape[0]
        best = min(best, time.perf_counter() - start)
        assert seen == len(labels)
    return best


def main() -> None:
    import torch

    import ember

    rng = np.random.default_rng(0)
    features = rng.standard_normal((100_000, 32)).astype(np.float32)
    labels = rng.integers(0, 10, 100_000)
    t_torch = best_epoch_time(torch, features, labels)
    t_ember = best_epoch_time(ember, features, labels)
    print(f"torch {t_torch:.3f} s, ember {t_ember:.3f} s per epoch; "
          f"ember/torch = {t_ember / t_torch:.2f}")


if __name__ == "__main__":
    main()
