"""Parity helpers for ember-conv's tests: run one call in ember and in torch on the same
inputs and compare outputs, first derivatives and (optionally) second derivatives.

A test writes the call once as ``fn(lib, *inputs)`` where ``lib`` is ``ember`` or
``torch``; :class:`Arg` marks the numpy arrays that become tensors (requiring grad when
floating).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import ember

TOL = {"float32": (2e-4, 2e-5), "float64": (1e-7, 1e-9)}
GRAD_TOL = {"float32": (1e-3, 1e-4), "float64": (1e-6, 1e-8)}
DTYPES = ("float32", "float64")


class Arg:
    """A tensor input: its values and whether it requires grad (floats do by default)."""

    def __init__(self, array: Any, grad: bool | None = None) -> None:
        self.array = np.asarray(array)
        self.grad = self.array.dtype.kind == "f" if grad is None else grad

    def build(self, lib: Any) -> Any:
        t = lib.tensor(self.array.copy())
        return t.requires_grad_(True) if self.grad else t


def rand(shape: Any, dtype: str = "float32", seed: int = 0, low: float = -1.0,
         high: float = 1.0) -> np.ndarray:
    """Uniform random values of ``shape`` and ``dtype``."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape).astype(dtype)


def distinct(shape: Any, dtype: str = "float32", seed: int = 0) -> np.ndarray:
    """Values with no ties (a shuffled ramp), so max-style ops have one argmax."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) / n * 4 - 2).astype(dtype)


def _build(lib: Any, v: Any) -> Any:
    if isinstance(v, Arg):
        return v.build(lib)
    if isinstance(v, (list, tuple)):
        return type(v)(_build(lib, e) for e in v)
    return v


def _flat(v: Any, out: list[Any]) -> list[Any]:
    if isinstance(v, (list, tuple)):
        for e in v:
            _flat(e, out)
    elif v is not None:
        out.append(v)
    return out


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def assert_close(e: Any, t: Any, tol: dict[str, tuple[float, float]] = TOL,
                 what: str = "output") -> None:
    """Compare an ember result with a torch result: values, shapes and dtypes."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{what}: got {type(e).__name__}, not a Tensor"
        assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} != " \
                                                 f"{tuple(t.shape)}"
        name = str(t.dtype).split(".")[-1]
        assert str(e.dtype).split(".")[-1] == name, f"{what}: dtype {e.dtype} != {t.dtype}"
        rtol, atol = tol.get(name, (0.0, 0.0))
        np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol, err_msg=what)
    elif isinstance(t, (list, tuple)):
        assert len(e) == len(t), f"{what}: {len(e)} results != {len(t)}"
        for i, (a, b) in enumerate(zip(e, t, strict=True)):
            assert_close(a, b, tol, f"{what}[{i}]")
    else:
        assert e == t, f"{what}: {e!r} != {t!r}"


def check(fn: Callable[..., Any], *args: Any, grad: bool = True, gradgrad: bool = False,
          seed: int = 1) -> Any:
    """Run ``fn(lib, *args)`` in both libraries; compare outputs, gradients wrt every
    :class:`Arg` that requires grad (for a random upstream gradient) and, with
    ``gradgrad``, second derivatives. Returns the ember output."""
    e_in = [_build(ember, a) for a in args]
    t_in = [_build(torch, a) for a in args]
    t_out = fn(torch, *t_in)
    e_out = fn(ember, *e_in)
    assert_close(e_out, t_out)
    if not grad:
        return e_out
    t_leaf = [x for x in _flat(t_in, []) if isinstance(x, torch.Tensor) and x.requires_grad]
    e_leaf = [x for x in _flat(e_in, []) if isinstance(x, ember.Tensor) and x.requires_grad]
    pairs = [(e, t) for e, t in zip(_flat(e_out, []), _flat(t_out, []), strict=True)
             if isinstance(t, torch.Tensor) and t.requires_grad]
    assert t_leaf and pairs, "nothing to differentiate"
    rng = np.random.default_rng(seed)
    ups = [rng.uniform(-1, 1, tuple(t.shape)).astype(_np(t).dtype) for _, t in pairs]
    t_g = torch.autograd.grad([t for _, t in pairs], t_leaf, [torch.tensor(u) for u in ups],
                              allow_unused=True, create_graph=gradgrad)
    e_g = ember.autograd.grad([e for e, _ in pairs], e_leaf, [ember.tensor(u) for u in ups],
                              allow_unused=True, create_graph=gradgrad)
    t_g = [torch.zeros_like(x) if g is None else g for g, x in zip(t_g, t_leaf, strict=True)]
    e_g = [ember.zeros_like(x) if g is None else g for g, x in zip(e_g, e_leaf, strict=True)]
    assert_close(list(e_g), list(t_g), GRAD_TOL, "grad")
    if gradgrad:
        vs = [rng.uniform(-1, 1, tuple(g.shape)).astype(_np(g).dtype) for g in t_g]
        t_sum = sum((g * torch.tensor(v)).sum() for g, v in zip(t_g, vs, strict=True))
        e_sum = sum((g * ember.tensor(v)).sum() for g, v in zip(e_g, vs, strict=True))
        t_gg = torch.autograd.grad(t_sum, t_leaf, allow_unused=True)
        e_gg = ember.autograd.grad(e_sum, e_leaf, allow_unused=True)
        t_gg = [torch.zeros_like(x) if g is None else g for g, x in zip(t_gg, t_leaf,
                                                                           strict=True)]
        e_gg = [ember.zeros_like(x) if g is None else g for g, x in zip(e_gg, e_leaf,
                                                                           strict=True)]
        assert_close(list(e_gg), list(t_gg), GRAD_TOL, "gradgrad")
    return e_out


def check_error(fn: Callable[..., Any], *args: Any, match: str | None = None) -> None:
    """Assert that ``fn`` raises in torch and raises the same exception type in ember,
    with a message matching ``match`` when given."""
    try:
        fn(torch, *[_build(torch, a) for a in args])
    except Exception as exc:  # noqa: BLE001
        t_exc: BaseException = exc
    else:
        raise AssertionError("torch did not raise")
    try:
        fn(ember, *[_build(ember, a) for a in args])
    except Exception as exc:  # noqa: BLE001
        assert isinstance(exc, type(t_exc)), (f"ember raised {type(exc).__name__}: {exc}; "
                                              f"torch raised {type(t_exc).__name__}: {t_exc}")
        if match is not None:
            assert re.search(match, str(exc)), f"{str(exc)!r} does not match {match!r}"
    else:
        raise AssertionError(f"ember did not raise (torch: {type(t_exc).__name__}: {t_exc})")


def copy_params(e_mod: Any, t_mod: Any) -> None:
    """Give an ember module the parameter and buffer values of a torch module."""
    t_state = dict(t_mod.named_parameters()) | dict(t_mod.named_buffers())
    for name, p in list(e_mod.named_parameters()) + list(e_mod.named_buffers()):
        with ember.no_grad():
            p.copy_(ember.tensor(t_state[name].detach().numpy()))
