"""Second derivatives: the losses' backward formulas are ember ops, so create_graph works."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from losses_parity import assert_close, ints, rand  # noqa: E402

import ember  # noqa: E402

TOL = {"rtol": 1e-6, "atol": 1e-9}


def F(lib):
    return lib.nn.functional


CASES = {
    "cross_entropy": lambda lib, x, y, t: F(lib).cross_entropy(x, t, label_smoothing=0.1),
    "nll_loss": lambda lib, x, y, t: F(lib).nll_loss(x.log_softmax(1), t),
    "mse_loss": lambda lib, x, y, t: F(lib).mse_loss(x, y),
    "huber_loss": lambda lib, x, y, t: F(lib).huber_loss(x, y, delta=0.5),
    "binary_cross_entropy": lambda lib, x, y, t: F(lib).binary_cross_entropy(
        x.sigmoid(), y.sigmoid()),
    "binary_cross_entropy_with_logits": lambda lib, x, y, t: (
        F(lib).binary_cross_entropy_with_logits(x, y.sigmoid())),
    "kl_div": lambda lib, x, y, t: F(lib).kl_div(x.log_softmax(1), y.softmax(1),
                                                  reduction="batchmean"),
    "gaussian_nll_loss": lambda lib, x, y, t: F(lib).gaussian_nll_loss(x, y, y.exp()),
    "multilabel_soft_margin_loss": lambda lib, x, y, t: F(lib).multilabel_soft_margin_loss(
        x, y.sigmoid()),
    "triplet_margin_loss": lambda lib, x, y, t: F(lib).triplet_margin_loss(x, y, x * 0.5 + 1,
                                                                           margin=3.0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_double_backward(name):
    x, y, t = rand((4, 5), "float64"), rand((4, 5), "float64", seed=2), ints(4, 5)
    v = rand((4, 5), "float64", seed=9)
    grads = []
    for lib in (ember, torch):
        xs = lib.tensor(x).requires_grad_(True)
        ys = lib.tensor(y).requires_grad_(True)
        loss = CASES[name](lib, xs, ys, lib.tensor(t))
        (gx,) = lib.autograd.grad(loss, xs, create_graph=True)
        (hv,) = lib.autograd.grad((gx * lib.tensor(v)).sum(), xs)
        grads.append((gx, hv))
    assert_close(grads[0][0], grads[1][0], TOL, "first derivative")
    assert_close(grads[0][1], grads[1][1], TOL, "second derivative")
    assert np.isfinite(grads[0][1].numpy()).all()
