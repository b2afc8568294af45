"""Parity harness of ember-layers' tests: the same call or module in ember and torch.

- :func:`check` runs ``fn(lib, *inputs)`` with ``lib`` the ember or torch module and
  compares outputs and the gradients of every input that requires grad (optionally second
  derivatives);
- :func:`check_module` builds a module in both libraries, copies torch's parameters and
  buffers into ember's, runs forward and backward and compares outputs, input and
  parameter gradients and the buffers afterwards;
- :func:`check_error` asserts ember raises torch's exception type (and a message naming
  the op);
- :func:`special_values` and :func:`per_element` test pointwise ops at NaN, infinities,
  signed zeros and their kinks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import ember

FLOATS = ("float32", "float64")
TOL = {"float32": (1e-4, 1e-5), "float64": (1e-7, 1e-9)}
GRAD_TOL = {"float32": (1e-3, 1e-4), "float64": (1e-6, 1e-8)}


class Arg:
    """One tensor input: values, whether it requires grad, and optional non-contiguity."""

    def __init__(self, array: Any, grad: bool | None = None, noncontig: bool = False) -> None:
        self.array = np.asarray(array)
        self.grad = (self.array.dtype.kind == "f") if grad is None else grad
        self.noncontig = noncontig

    def build(self, lib: Any) -> Any:
        a = self.array
        if self.noncontig and a.ndim:
            t = lib.tensor(np.repeat(a[..., None], 2, axis=-1))[..., 0]
        else:
            t = lib.tensor(a.copy())
        if self.grad:
            t = t.detach().requires_grad_(True)
        return t


def arr(shape: Any, dtype: str = "float32", low: float = -2.0, high: float = 2.0,
        seed: int = 0) -> np.ndarray:
    """Random values of ``shape`` (uniform floats, or integers in ``[low, high)``)."""
    rng = np.random.default_rng(seed)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if dtype in ("int32", "int64"):
        return rng.integers(int(low), int(high), size=shape).astype(dtype)
    return rng.uniform(low, high, size=shape).astype(dtype)


def special_values(dtype: str, extra: tuple[float, ...] = ()) -> np.ndarray:
    """NaN, the infinities, both zeros, +-1e-30, the kinks
    and thresholds of torch's pointwise activations (+-0.1, 0.3, 0.5, 1, 1.5, 2, 3, 6, 20)
    and the points where exp overflows in float32 (88.8) and float64 (710), with their
    negatives, plus ``extra``, as a 1-d array of ``dtype``."""
    base = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30]
    for v in (0.1, 0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 6.0, 20.0, 88.8, 710.0):
        base += [v, -v]
    return np.array(base + list(extra), dtype=dtype)


def per_element(lib: Any, fn: Callable[..., Any], x: Any) -> Any:
    """``fn(lib, x)`` for a 1-d ``x``; in torch computed one element at a time, concatenated.

    torch's CPU kernels do not treat NaN alike in their SIMD main loop and in their scalar
    tail (hardtanh's gradient is 0 at a NaN in the former and passes ``g`` in the latter),
    so on a whole tensor torch's answer depends on where the NaN sits and on the machine's
    vector width. A single element always takes the scalar form, the one torch's CUDA
    kernels and decompositions use too: that is the reference ember follows.
    """
    if lib is torch:
        return torch.cat([fn(lib, xi) for xi in x.split(1)])
    return fn(lib, x)


def _build(lib: Any, v: Any) -> Any:
    if isinstance(v, Arg):
        return v.build(lib)
    if isinstance(v, list):
        return [_build(lib, e) for e in v]
    if isinstance(v, tuple):
        return tuple(_build(lib, e) for e in v)
    return v


def _leaves(v: Any, out: list[Any]) -> list[Any]:
    if isinstance(v, (list, tuple)):
        for e in v:
            _leaves(e, out)
    elif v is not None:
        out.append(v)
    return out


def np_of(t: Any) -> np.ndarray:
    """The values of an ember or torch tensor as a numpy array (torch's sparse gradients
    densified: ember's are always dense)."""
    if isinstance(t, torch.Tensor) and t.layout == torch.sparse_coo:
        t = t.to_dense()
    return np.asarray(t.detach().numpy())


def _dname(d: Any) -> str:
    return str(d).split(".")[-1]


def assert_close(e: Any, t: Any, tol: dict[str, tuple[float, float]] = TOL,
                 what: str = "output", rtol: float | None = None,
                 atol: float | None = None) -> None:
    """Assert ember result ``e`` equals torch result ``t`` (tensors or nested sequences)."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{what}: expected a Tensor, got {type(e)}"
        assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} != " \
                                                 f"{tuple(t.shape)}"
        assert _dname(e.dtype) == _dname(t.dtype), f"{what}: dtype {e.dtype} != {t.dtype}"
        r, a = tol.get(_dname(t.dtype), (0.0, 0.0))
        np.testing.assert_allclose(np_of(e), np_of(t), rtol=r if rtol is None else rtol,
                                   atol=a if atol is None else atol, equal_nan=True,
                                   err_msg=what)
    elif isinstance(t, (tuple, list)):
        assert len(e) == len(t), f"{what}: {len(e)} results != {len(t)}"
        for i, (ee, tt) in enumerate(zip(e, t, strict=True)):
            assert_close(ee, tt, tol, f"{what}[{i}]", rtol, atol)
    else:
        assert e == t or np.isclose(e, t), f"{what}: {e!r} != {t!r}"


def _compare_grads(e_outs: list[Any], t_outs: list[Any], e_leaf: list[Any],
                   t_leaf: list[Any], seed: int, gradgrad: bool, rtol: float | None,
                   atol: float | None) -> None:
    pairs = [(e, t) for e, t in zip(e_outs, t_outs, strict=True)
             if isinstance(t, torch.Tensor) and t.requires_grad]
    if not t_leaf or not pairs:
        return
    for e, _ in pairs:
        assert e.requires_grad, "ember output does not require grad where torch's does"
    rng = np.random.default_rng(seed)
    ups = [rng.uniform(-1, 1, size=tuple(t.shape)).astype(np_of(t).dtype) for _, t in pairs]
    t_g = torch.autograd.grad([t for _, t in pairs], t_leaf,
                              [torch.tensor(u) for u in ups], allow_unused=True,
                              create_graph=gradgrad)
    e_g = ember.autograd.grad([e for e, _ in pairs], e_leaf,
                              [ember.tensor(u) for u in ups], allow_unused=True,
                              create_graph=gradgrad)
    t_g = [torch.zeros_like(x) if g is None else g for g, x in zip(t_g, t_leaf, strict=True)]
    e_g = [ember.zeros_like(x) if g is None else g for g, x in zip(e_g, e_leaf, strict=True)]
    assert_close(list(e_g), list(t_g), GRAD_TOL, "grad", rtol, atol)
    if not gradgrad:
        return
    t_terms, e_terms = [], []
    for eg, tg in zip(e_g, t_g, strict=True):
        if tg.requires_grad:
            v = rng.uniform(-1, 1, size=tuple(tg.shape)).astype(np_of(tg).dtype)
            t_terms.append((tg * torch.tensor(v)).sum())
            if eg.requires_grad:  # else its second derivative is zero; torch's must be too
                e_terms.append((eg * ember.tensor(v)).sum())
    if not t_terms:
        return
    t_gg = torch.autograd.grad(sum(t_terms), t_leaf, allow_unused=True)
    e_gg = (ember.autograd.grad(sum(e_terms), e_leaf, allow_unused=True) if e_terms
            else [None] * len(e_leaf))
    t_gg = [torch.zeros_like(x) if g is None else g for g, x in zip(t_gg, t_leaf, strict=True)]
    e_gg = [ember.zeros_like(x) if g is None else g for g, x in zip(e_gg, e_leaf, strict=True)]
    assert_close(list(e_gg), list(t_gg), GRAD_TOL, "gradgrad", rtol, atol)


def check(fn: Callable[..., Any], *args: Any, grad: bool = True, gradgrad: bool = False,
          rtol: float | None = None, atol: float | None = None, seed: int = 1) -> Any:
    """Run ``fn(lib, *inputs)`` in ember and torch; compare outputs and input gradients."""
    e_in = [_build(ember, a) for a in args]
    t_in = [_build(torch, a) for a in args]
    t_out = fn(torch, *t_in)
    e_out = fn(ember, *e_in)
    assert_close(e_out, t_out, TOL, "output", rtol, atol)
    if grad:
        t_leaf = [x for x in _leaves(t_in, []) if isinstance(x, torch.Tensor)
                  and x.requires_grad]
        e_leaf = [x for x in _leaves(e_in, []) if isinstance(x, ember.Tensor)
                  and x.requires_grad]
        _compare_grads(_leaves(e_out, []), _leaves(t_out, []), e_leaf, t_leaf, seed,
                       gradgrad, rtol, atol)
    return e_out


def copy_state(e_mod: Any, t_mod: Any) -> None:
    """Copy every parameter and buffer of torch module ``t_mod`` into ``e_mod``."""
    e_params = dict(e_mod.named_parameters())
    e_bufs = dict(e_mod.named_buffers())
    with ember.no_grad():
        for name, p in t_mod.named_parameters():
            e_params[name].copy_(ember.tensor(np_of(p)))
        for name, b in t_mod.named_buffers():
            e_bufs[name].copy_(ember.tensor(np_of(b)))


def check_module(make: Callable[[Any], Any], *inputs: Any, train: bool = True,
                 grad: bool = True, steps: int = 1, rtol: float | None = None,
                 atol: float | None = None) -> tuple[Any, Any]:
    """Build ``make(lib)`` in both libraries with torch's weights, run ``steps`` forward
    and backward passes in train (or eval) mode and compare outputs, gradients of inputs
    and parameters, and buffers after each step. Returns ``(ember_module, torch_module)``."""
    t_mod = make(torch)
    e_mod = make(ember)
    copy_state(e_mod, t_mod)
    t_mod.train(train)
    e_mod.train(train)
    for step in range(steps):
        e_in = [_build(ember, a) for a in inputs]
        t_in = [_build(torch, a) for a in inputs]
        t_out = t_mod(*t_in)
        e_out = e_mod(*e_in)
        assert_close(e_out, t_out, TOL, f"output (step {step})", rtol, atol)
        if grad:
            t_leaf = [x for x in _leaves(t_in, []) if isinstance(x, torch.Tensor)
                      and x.requires_grad] + [p for p in t_mod.parameters() if p.requires_grad]
            e_leaf = [x for x in _leaves(e_in, []) if isinstance(x, ember.Tensor)
                      and x.requires_grad] + [p for p in e_mod.parameters() if p.requires_grad]
            _compare_grads(_leaves(e_out, []), _leaves(t_out, []), e_leaf, t_leaf,
                           seed=step + 1, gradgrad=False, rtol=rtol, atol=atol)
        e_bufs = dict(e_mod.named_buffers())
        for name, b in t_mod.named_buffers():
            assert_close(e_bufs[name], b, TOL, f"buffer {name} (step {step})", rtol, atol)
    return e_mod, t_mod


def check_error(fn: Callable[..., Any], *args: Any, match: str | None = None) -> BaseException:
    """Assert ``fn(lib, *inputs)`` raises in torch, and the same exception type in ember
    with a message matching the regex ``match``."""
    t_in = [_build(torch, a) for a in args]
    e_in = [_build(ember, a) for a in args]
    try:
        fn(torch, *t_in)
    except Exception as exc:  # noqa: BLE001
        t_exc: BaseException = exc
    else:
        raise AssertionError("torch did not raise")
    try:
        fn(ember, *e_in)
    except Exception as exc:  # noqa: BLE001
        e_exc = exc
    else:
        raise AssertionError(f"ember did not raise (torch raised {type(t_exc).__name__}: "
                             f"{t_exc})")
    assert isinstance(e_exc, type(t_exc)), (
        f"ember raised {type(e_exc).__name__}: {e_exc}; torch raised "
        f"{type(t_exc).__name__}: {t_exc}")
    if match is not None:
        assert re.search(match, str(e_exc)), f"message {str(e_exc)!r} does not match {match!r}"
    return e_exc


def F(lib: Any) -> Any:  # noqa: N802
    """``lib.nn.functional``."""
    return lib.nn.functional
