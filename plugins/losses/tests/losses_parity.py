"""Parity helpers: run one call in ember and in torch on the same inputs and compare the
outputs and the gradients of every floating input that requires grad."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import ember

TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-7, atol=1e-9)}
GRAD_TOL = {"float32": dict(rtol=1e-3, atol=1e-5), "float64": dict(rtol=1e-6, atol=1e-9)}


class G:
    """An input that requires grad (wraps a numpy array)."""

    def __init__(self, array: Any) -> None:
        self.array = np.asarray(array)


def rand(shape: Any, dtype: str, low: float = -2.0, high: float = 2.0, seed: int = 0
         ) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape).astype(dtype)


def ints(shape: Any, high: int, low: int = 0, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(np.int64)


def _build(lib: Any, v: Any, leaves: list[Any]) -> Any:
    if isinstance(v, G):
        t = lib.tensor(v.array.copy()).requires_grad_(True)
        leaves.append(t)
        return t
    if isinstance(v, np.ndarray):
        return lib.tensor(v.copy())
    if isinstance(v, (list, tuple)) and v and any(isinstance(e, (G, np.ndarray)) for e in v):
        return type(v)(_build(lib, e, leaves) for e in v)
    return v


def _np(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.detach().numpy())


def assert_close(e: Any, t: Any, tol: dict[str, float], what: str) -> None:
    a, b = _np(e), _np(t)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch {b.shape}"
    assert str(a.dtype) == str(b.dtype), f"{what}: dtype {a.dtype} != torch {b.dtype}"
    np.testing.assert_allclose(a, b, equal_nan=True, err_msg=what, **tol)


def check(fn: Callable[..., Any], *args: Any, dtype: str | None = None, grad: bool = True,
          grad_tol: dict[str, float] | None = None, **kwargs: Any) -> Any:
    """Run ``fn(lib, *args, **kwargs)`` for ``lib`` in (ember, torch); compare the output and,
    for a floating output, the gradients of every ``G`` input for a random upstream grad."""
    e_leaves: list[Any] = []
    t_leaves: list[Any] = []
    e_args = [_build(ember, a, e_leaves) for a in args]
    t_args = [_build(torch, a, t_leaves) for a in args]
    e_kw = {k: _build(ember, v, e_leaves) for k, v in kwargs.items()}
    t_kw = {k: _build(torch, v, t_leaves) for k, v in kwargs.items()}
    e_out = fn(ember, *e_args, **e_kw)
    t_out = fn(torch, *t_args, **t_kw)
    dtype = dtype or str(t_out.dtype).replace("torch.", "")
    assert_close(e_out, t_out, TOL.get(dtype, TOL["float32"]), "output")
    if grad and t_leaves and t_out.requires_grad:
        up = np.random.default_rng(7).uniform(0.5, 1.5, size=tuple(t_out.shape))
        up = up.astype(str(t_out.dtype).replace("torch.", ""))
        t_out.backward(torch.tensor(up))
        e_out.backward(ember.tensor(up))
        for i, (el, tl) in enumerate(zip(e_leaves, t_leaves)):
            if tl.grad is None:
                assert el.grad is None or not np.any(_np(el.grad)), f"grad {i} should be None"
                continue
            assert el.grad is not None, f"grad of input {i} is missing"
            assert_close(el.grad, tl.grad, grad_tol or GRAD_TOL.get(dtype, GRAD_TOL["float32"]),
                         f"grad of input {i}")
    return e_out, t_out


def check_error(fn: Callable[..., Any], *args: Any, match: str | None = None,
                **kwargs: Any) -> None:
    """Both libraries raise the same exception type (and message, when ``match`` is None)."""
    import pytest

    with pytest.raises(Exception) as t_exc:
        fn(torch, *[_build(torch, a, []) for a in args],
           **{k: _build(torch, v, []) for k, v in kwargs.items()}).sum().backward()
    with pytest.raises(type(t_exc.value)) as e_exc:
        fn(ember, *[_build(ember, a, []) for a in args],
           **{k: _build(ember, v, []) for k, v in kwargs.items()})
    if match is not None:
        assert match in str(e_exc.value), str(e_exc.value)
    else:
        assert str(e_exc.value).replace("ember", "torch") == str(t_exc.value)
