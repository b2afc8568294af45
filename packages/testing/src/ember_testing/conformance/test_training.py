"""Conformance level "training": a short run of a tiny model with an optimizer.

The same run is replayed in numpy (float64 SGD on a linear model) and the losses and
final weights must agree. Runs when ``ember.optim.SGD`` and ``ember.nn.Linear`` exist.
"""

from __future__ import annotations

import numpy as np

import ember

from ._available import resolve

LEVEL = "training"
EMBER_CONFORMANCE = True

STEPS = 25
LR = 0.1


def availability(device: str) -> str | None:
    """Needs an optimizer (ember-optim) and ``ember.nn.Linear`` (ember-layers)."""
    for name in ("optim.SGD", "nn.Linear"):
        _, reason = resolve(name)
        if reason:
            return reason
    return None


def _problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3))
    y = x @ np.array([[1.5], [-2.0], [0.5]]) + 0.25
    return x, y


def test_sgd_linear_regression_matches_numpy(ember_device: str) -> None:
    x_np, y_np = _problem()
    ember.manual_seed(0)
    model = ember.nn.Linear(3, 1).to(device=ember_device, dtype=ember.float64)
    w = model.weight.detach().cpu().numpy().copy()
    b = model.bias.detach().cpu().numpy().copy()
    opt = ember.optim.SGD(model.parameters(), lr=LR)
    x = ember.tensor(x_np, device=ember_device)
    y = ember.tensor(y_np, device=ember_device)
    losses, ref_losses = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        pred = x_np @ w.T + b
        ref_losses.append(float(((pred - y_np) ** 2).mean()))
        g = 2 * (pred - y_np) / pred.size
        w = w - LR * (g.T @ x_np)
        b = b - LR * g.sum(0)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.weight.detach().cpu().numpy(), w, rtol=1e-9, atol=1e-12)
    assert losses[-1] < 0.1 * losses[0], "the loss did not go down"
    assert model.weight.device == ember.device(ember_device)


def test_mlp_training_reduces_loss(ember_device: str) -> None:
    x_np, y_np = _problem()
    ember.manual_seed(3)
    model = ember.nn.Sequential(ember.nn.Linear(3, 8), ember.nn.Tanh(), ember.nn.Linear(8, 1))
    model = model.to(ember_device)
    opt = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = ember.tensor(x_np.astype(np.float32), device=ember_device)
    y = ember.tensor(y_np.astype(np.float32), device=ember_device)
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.2 * first
