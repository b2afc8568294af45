"""A small parity harness: run one op in ember and in torch on the same inputs and compare.

A test states the inputs (numpy arrays wrapped in :class:`Arg`, or plain Python values) and
the call as ``fn(lib, *inputs)`` where ``lib`` is the ``ember`` or the ``torch`` module.
:func:`check` then compares, for both libraries:

- the outputs (values, shapes, dtypes; nested tuples and named tuples too);
- the input gradients of every floating output, for one random upstream gradient;
- optionally the second derivatives (gradient of ``sum(grad * v)`` for a random ``v``).

:func:`check_error` asserts that ember raises torch's exception type for a bad call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import ember

FLOATS = ("float32", "float64")

# (rtol, atol) for values and for gradients, per dtype.
TOL = {"float16": (1e-2, 1e-2), "bfloat16": (2e-2, 2e-2), "float32": (1e-4, 1e-5),
       "float64": (1e-7, 1e-9)}
GRAD_TOL = {"float16": (2e-2, 2e-2), "bfloat16": (5e-2, 5e-2), "float32": (1e-3, 1e-4),
            "float64": (1e-6, 1e-8)}


class Arg:
    """One tensor input: its values, whether it requires grad, and its memory layout.

    ``layout="noncontig"`` builds the tensor as a strided slice of a larger one, so ops see a
    non-contiguous input; ``layout="T"`` as the transpose of a contiguous tensor.
    """

    def __init__(self, array: Any, grad: bool | None = None, layout: str = "contig") -> None:
        self.array = np.asarray(array)
        kind = self.array.dtype.kind
        self.grad = (kind == "f") if grad is None else grad
        self.layout = layout

    def build(self, lib: Any) -> Any:
        """The tensor in ``lib`` (ember or torch)."""
        a = self.array
        bf16 = a.dtype.name == "bfloat16"
        if bf16:  # torch cannot read ml_dtypes arrays: go through float32
            a = a.astype(np.float32)
        if self.layout == "noncontig" and a.ndim:
            t = lib.tensor(np.repeat(a[..., None], 2, axis=-1))[..., 0]
        elif self.layout == "T" and a.ndim >= 2:
            t = lib.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)
        else:
            t = lib.tensor(a.copy())
        if bf16:
            t = t.to(lib.bfloat16)
        if self.grad:
            t = t.detach().requires_grad_(True)
        return t


def arr(shape: Any, dtype: str = "float32", low: float = -2.0, high: float = 2.0,
        seed: int = 0) -> np.ndarray:
    """Random values of ``shape``: uniform in [low, high) for floats, integers in
    [low, high) for int dtypes, random bools for ``"bool"``."""
    rng = np.random.default_rng(seed)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in ("int8", "int16", "int32", "int64", "uint8"):
        return rng.integers(int(low), int(high), size=shape).astype(dtype)
    return rng.uniform(low, high, size=shape).astype(dtype)


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


def _dtype_name(d: Any) -> str:
    return str(d).split(".")[-1]


def _as_np(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy(force=True)
    a = np.asarray(t.detach().numpy())
    return a.astype(np.float32) if a.dtype.name == "bfloat16" else a


def assert_close(e: Any, t: Any, tol: dict[str, tuple[float, float]] = TOL,
                 what: str = "output", rtol: float | None = None,
                 atol: float | None = None) -> None:
    """Assert that ember result ``e`` equals torch result ``t`` (nested structures of
    tensors and Python values) in values, shapes and dtypes."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{what}: expected a Tensor, got {type(e)}"
        assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} != " \
                                                 f"{tuple(t.shape)}"
        dn = _dtype_name(t.dtype)
        assert _dtype_name(e.dtype) == dn, f"{what}: dtype {e.dtype} != {t.dtype}"
        r, a = tol.get(dn, (0.0, 0.0))
        np.testing.assert_allclose(_as_np(e), _as_np(t), rtol=r if rtol is None else rtol,
                                   atol=a if atol is None else atol, equal_nan=True,
                                   err_msg=what)
    elif isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)), f"{what}: expected a sequence, got {type(e)}"
        assert len(e) == len(t), f"{what}: {len(e)} results != {len(t)}"
        if hasattr(t, "_fields"):
            assert tuple(getattr(e, "_fields", ())) == t._fields, f"{what}: field names"
        for i, (ee, tt) in enumerate(zip(e, t, strict=True)):
            assert_close(ee, tt, tol, f"{what}[{i}]", rtol, atol)
    elif isinstance(t, float) and np.isnan(t):
        assert np.isnan(e), f"{what}: {e} != nan"
    else:
        assert type(e) is type(t) or isinstance(t, (int, float)), f"{what}: {e!r} vs {t!r}"
        assert e == t or np.isclose(e, t), f"{what}: {e!r} != {t!r}"


def _zeros_for(lib: Any, x: Any) -> Any:
    return lib.zeros_like(x)


def check(fn: Callable[..., Any], *args: Any, grad: bool = True, gradgrad: bool = False,
          rtol: float | None = None, atol: float | None = None, seed: int = 1) -> Any:
    """Run ``fn(lib, *inputs)`` in ember and torch and compare outputs and gradients.

    Args:
        fn: the call, written once for both libraries.
        args: :class:`Arg` inputs (or lists/tuples of them) and plain Python values.
        grad: compare input gradients of the floating outputs.
        gradgrad: also compare second derivatives.
        rtol, atol: override the per-dtype tolerances (values and gradients).

    Returns:
        The ember output.
    """
    e_in = [_build(ember, a) for a in args]
    t_in = [_build(torch, a) for a in args]
    t_out = fn(torch, *t_in)
    e_out = fn(ember, *e_in)
    assert_close(e_out, t_out, TOL, "output", rtol, atol)
    if not grad:
        return e_out
    t_leaf = [x for x in _leaves(t_in, []) if isinstance(x, torch.Tensor) and x.requires_grad]
    e_leaf = [x for x in _leaves(e_in, []) if isinstance(x, ember.Tensor) and x.requires_grad]
    t_res = [o for o in _leaves(t_out, []) if isinstance(o, torch.Tensor)]
    e_res = [o for o in _leaves(e_out, []) if isinstance(o, ember.Tensor)]
    pairs = [(e, t) for e, t in zip(e_res, t_res, strict=True) if t.requires_grad]
    if not t_leaf or not pairs:
        return e_out
    for e, _t in pairs:
        assert e.requires_grad, "ember output does not require grad where torch's does"
    rng = np.random.default_rng(seed)
    ups = [rng.uniform(-1, 1, size=tuple(t.shape)).astype(_as_np(t).dtype) for _, t in pairs]
    t_up = [torch.tensor(u, dtype=t.dtype) for u, (_, t) in zip(ups, pairs, strict=True)]
    e_up = [ember.tensor(u, dtype=e.dtype) for u, (e, _) in zip(ups, pairs, strict=True)]
    t_g = torch.autograd.grad([t for _, t in pairs], t_leaf, t_up, allow_unused=True,
                              create_graph=gradgrad)
    e_g = ember.autograd.grad([e for e, _ in pairs], e_leaf, e_up, allow_unused=True,
                              create_graph=gradgrad)
    t_g = [_zeros_for(torch, x) if g is None else g for g, x in zip(t_g, t_leaf, strict=True)]
    e_g = [_zeros_for(ember, x) if g is None else g for g, x in zip(e_g, e_leaf, strict=True)]
    assert_close(list(e_g), list(t_g), GRAD_TOL, "grad", rtol, atol)
    if gradgrad:
        _check_gradgrad(e_g, t_g, e_leaf, t_leaf, rng, rtol, atol)
    return e_out


def _check_gradgrad(e_g: list[Any], t_g: list[Any], e_leaf: list[Any], t_leaf: list[Any],
                    rng: np.random.Generator, rtol: float | None, atol: float | None) -> None:
    t_terms, e_terms = [], []
    for eg, tg in zip(e_g, t_g, strict=True):
        if not tg.requires_grad:
            continue
        v = rng.uniform(-1, 1, size=tuple(tg.shape)).astype(_as_np(tg).dtype)
        t_terms.append((tg * torch.tensor(v)).sum())
        if eg.requires_grad:
            e_terms.append((eg * ember.tensor(v)).sum())
    if not t_terms:
        return
    t_gg = torch.autograd.grad(sum(t_terms), t_leaf, allow_unused=True)
    if e_terms:
        e_gg = ember.autograd.grad(sum(e_terms), e_leaf, allow_unused=True)
    else:
        e_gg = [None] * len(e_leaf)
    t_gg = [torch.zeros_like(x) if g is None else g for g, x in zip(t_gg, t_leaf, strict=True)]
    e_gg = [ember.zeros_like(x) if g is None else g for g, x in zip(e_gg, e_leaf, strict=True)]
    assert_close(list(e_gg), list(t_gg), GRAD_TOL, "gradgrad", rtol, atol)


def check_error(fn: Callable[..., Any], *args: Any, match: str | None = None) -> BaseException:
    """Assert ``fn(lib, *inputs)`` raises in torch and raises the same exception type in
    ember (whose message must match the regex ``match`` when given)."""
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
