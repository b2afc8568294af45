"""Parity helpers of ember-transformer's tests: the same module or call in torch and
ember, compared on outputs and on the gradients of every input and parameter.

- :func:`tensors` builds matching leaf tensors in both libraries from numpy arrays;
- :func:`twin` builds a module in both libraries and copies torch's state into ember's;
- :func:`compare` runs a forward in both, backpropagates the same random cotangents and
  compares outputs, input gradients and parameter gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import ember

TOL = {"float32": (2e-4, 2e-5), "float64": (1e-9, 1e-11)}
GRAD_TOL = {"float32": (2e-3, 2e-4), "float64": (1e-8, 1e-10)}


def rand(shape: Any, dtype: str = "float64", seed: int = 0) -> np.ndarray:
    """Standard-normal values of ``shape``."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def tensors(arrays: dict[str, Any], grad: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """Matching ember and torch tensors (leaves requiring grad when floating)."""
    e, t = {}, {}
    for k, a in arrays.items():
        if a is None or not isinstance(a, np.ndarray):
            e[k] = t[k] = a
            continue
        floating = a.dtype.kind == "f"
        e[k] = ember.tensor(a.copy()).requires_grad_(grad and floating)
        t[k] = torch.tensor(a.copy()).requires_grad_(grad and floating)
    return e, t


def twin(factory: Callable[[Any], Any], dtype: str = "float64") -> tuple[Any, Any]:
    """``factory(lib)`` in torch and ember with torch's parameters and buffers in both."""
    torch.manual_seed(0)
    tm = factory(torch)
    em = factory(ember)
    tm = tm.double() if dtype == "float64" else tm.float()
    em = em.double() if dtype == "float64" else em.float()
    state = {k: ember.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    em.load_state_dict(state)
    return tm, em


def np_of(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def assert_close(e: Any, t: Any, dtype: str, what: str, grad: bool = False) -> None:
    """Compare an ember and a torch tensor (or two ``None``)."""
    if t is None:
        assert e is None, f"{what}: expected None, got {type(e)}"
        return
    assert e is not None, f"{what}: ember gave None where torch gave a tensor"
    assert tuple(e.shape) == tuple(t.shape), f"{what}: {tuple(e.shape)} != {tuple(t.shape)}"
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], what
    rtol, atol = (GRAD_TOL if grad else TOL)[dtype]
    np.testing.assert_allclose(np_of(e), np_of(t), rtol=rtol, atol=atol, equal_nan=True,
                               err_msg=what)


def _flat(out: Any) -> list[Any]:
    if isinstance(out, (tuple, list)):
        return [o for o in out if o is not None]
    return [out]


def compare(e_call: Callable[[], Any], t_call: Callable[[], Any], e_leaves: dict[str, Any],
            t_leaves: dict[str, Any], dtype: str, seed: int = 1) -> None:
    """Run both calls, compare every output, backpropagate the same cotangents through all
    outputs that require grad and compare the gradients of ``*_leaves`` (inputs and
    parameters by name)."""
    e_out, t_out = _flat(e_call()), _flat(t_call())
    assert len(e_out) == len(t_out), f"{len(e_out)} outputs != {len(t_out)}"
    for i, (eo, to) in enumerate(zip(e_out, t_out, strict=True)):
        assert_close(eo, to, dtype, f"output {i}")
    rng = np.random.default_rng(seed)
    e_loss = t_loss = None
    for eo, to in zip(e_out, t_out, strict=True):
        if not to.requires_grad:
            continue
        up = rng.uniform(-1, 1, tuple(to.shape)).astype(np_of(to).dtype)
        et = (eo * ember.tensor(up)).sum()
        tt = (to * torch.tensor(up)).sum()
        e_loss = et if e_loss is None else e_loss + et
        t_loss = tt if t_loss is None else t_loss + tt
    assert e_loss is not None, "nothing to differentiate"
    t_loss.backward()
    e_loss.backward()
    checked = 0
    for name, tl in t_leaves.items():
        if not isinstance(tl, torch.Tensor) or not tl.requires_grad:
            continue
        assert_close(e_leaves[name].grad, tl.grad, dtype, f"grad of {name}", grad=True)
        checked += tl.grad is not None
    assert checked, "no gradient was compared"


def params(module: Any) -> dict[str, Any]:
    """A module's parameters by name."""
    return dict(module.named_parameters())
