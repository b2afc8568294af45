"""A small two-layer model built the same way in torch and ember, for parity tests."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

SHAPES = [(4, 8), (8,), (8, 3), (3,)]


def init_arrays(dtype: str, seed: int = 0) -> list[np.ndarray]:
    """Initial weights for the model, as numpy arrays."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s) * 0.5).astype(dtype) for s in SHAPES]


def batches(dtype: str, n: int = 20, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` (input, target) batches."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((16, 4)).astype(dtype),
             rng.standard_normal((16, 3)).astype(dtype)) for _ in range(n)]


def loss_fn(lib: Any, params: list[Any], x: Any, y: Any) -> Any:
    """Mean squared error of ``tanh(x W1 + b1) W2 + b2`` against ``y``, in ``lib``."""
    w1, b1, w2, b2 = params
    h = lib.tanh(lib.matmul(x, w1) + b1)
    out = lib.matmul(h, w2) + b2
    return ((out - y) ** 2).mean()


def make_params(lib: Any, arrays: list[np.ndarray]) -> list[Any]:
    """Leaf parameters of ``lib`` (torch or ember) holding copies of ``arrays``."""
    return [lib.nn.Parameter(lib.tensor(a.copy())) for a in arrays]


def to_numpy(t: Any) -> np.ndarray:
    """A numpy copy of a torch or ember tensor."""
    return np.array(t.detach().numpy(), copy=True)


def ember_module() -> Any:
    return ember
