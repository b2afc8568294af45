"""Conformance level "modules": small modules forward and backward on the device.

Linear and a small MLP are checked against numpy computed from the module's own parameters
(no torch needed); then every installed record of :mod:`ember_testing.moduledb` (one per
layer family) against torch, or against the cpu when torch is absent. Runs when
``ember.nn.Linear`` is installed (ember-layers).
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember_testing import moduledb

from ._available import resolve

LEVEL = "modules"
EMBER_CONFORMANCE = True

TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


def availability(device: str) -> str | None:
    """Needs ``ember.nn.Linear`` and ``ember.nn.Tanh`` (ember-layers)."""
    for name in ("nn.Linear", "nn.Tanh"):
        _, reason = resolve(name)
        if reason:
            return reason
    return None


def _params(module: ember.nn.Module) -> dict[str, np.ndarray]:
    return {n: p.detach().cpu().numpy().astype(np.float64) for n, p in
            module.named_parameters()}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_forward_backward(ember_device: str, dtype: str) -> None:
    ember.manual_seed(0)
    m = ember.nn.Linear(4, 3).to(device=ember_device, dtype=getattr(ember, dtype))
    assert m.weight.device == ember.device(ember_device)
    x_np = np.random.default_rng(0).standard_normal((5, 4))
    g_np = np.random.default_rng(1).standard_normal((5, 3))
    x = ember.tensor(x_np.astype(dtype), device=ember_device, requires_grad=True)
    y = m(x)
    assert y.device == ember.device(ember_device)
    y.backward(ember.tensor(g_np.astype(dtype), device=ember_device))
    p = _params(m)
    np.testing.assert_allclose(y.detach().cpu().numpy(), x_np @ p["weight"].T + p["bias"],
                               **TOL[dtype])
    np.testing.assert_allclose(m.weight.grad.cpu().numpy(), g_np.T @ x_np, **TOL[dtype])
    np.testing.assert_allclose(m.bias.grad.cpu().numpy(), g_np.sum(0), **TOL[dtype])
    np.testing.assert_allclose(x.grad.cpu().numpy(), g_np @ p["weight"], **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mlp_forward_backward(ember_device: str, dtype: str) -> None:
    ember.manual_seed(1)
    model = ember.nn.Sequential(ember.nn.Linear(3, 5), ember.nn.Tanh(), ember.nn.Linear(5, 2))
    model = model.to(device=ember_device, dtype=getattr(ember, dtype))
    x_np = np.random.default_rng(2).standard_normal((4, 3))
    x = ember.tensor(x_np.astype(dtype), device=ember_device)
    loss = (model(x) ** 2).mean()
    loss.backward()
    p = _params(model)
    h = np.tanh(x_np @ p["0.weight"].T + p["0.bias"])
    out = h @ p["2.weight"].T + p["2.bias"]
    np.testing.assert_allclose(loss.item(), (out ** 2).mean(), **TOL[dtype])
    g_out = 2 * out / out.size
    g_w2 = g_out.T @ h
    g_h = g_out @ p["2.weight"] * (1 - h ** 2)
    g_w0 = g_h.T @ x_np
    np.testing.assert_allclose(model[2].weight.grad.cpu().numpy(), g_w2, **TOL[dtype])
    np.testing.assert_allclose(model[0].weight.grad.cpu().numpy(), g_w0, **TOL[dtype])
    np.testing.assert_allclose(model[0].bias.grad.cpu().numpy(), g_h.sum(0), **TOL[dtype])


def test_state_dict_round_trip_through_device(ember_device: str) -> None:
    ember.manual_seed(2)
    src = ember.nn.Linear(3, 2)
    dst = ember.nn.Linear(3, 2).to(ember_device)
    dst.load_state_dict(src.state_dict())
    for (name, a), b in zip(src.state_dict().items(), dst.state_dict().values()):
        assert b.device == ember.device(ember_device), name
        np.testing.assert_array_equal(a.numpy(), b.cpu().numpy())


_RECORDS = [(info.name, dtype) for info in moduledb.available() for dtype in info.dtypes]


@pytest.mark.parametrize(("name", "dtype"), _RECORDS, ids=[f"{n}-{d}" for n, d in _RECORDS])
def test_module_record(ember_device: str, name: str, dtype: str) -> None:
    kind = moduledb.check_module(moduledb.get(name), ember_device, dtype)
    assert kind in ("torch", "cpu", "finite differences")
