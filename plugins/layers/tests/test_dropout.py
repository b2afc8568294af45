"""Dropout ops and Modules: statistics in training (keep rate, scaling, whole-channel
zeroing, alpha variants preserving mean and variance), gradients through the mask, the
identity in evaluation, in-place behaviour, reprs and errors."""

import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _layers_parity import FLOATS, Arg, F, arr, check, check_error, check_module  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(0)


MODULES = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]
SHAPES = {"Dropout": (4, 5, 6), "Dropout1d": (4, 5, 6), "Dropout2d": (4, 5, 6, 2),
          "Dropout3d": (4, 5, 2, 3, 2), "AlphaDropout": (4, 5, 6),
          "FeatureAlphaDropout": (4, 5, 6)}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_keep_rate_scaling_and_grad(p, dtype):
    x = ember.ones(200, 500, dtype=getattr(ember, dtype), requires_grad=True)
    y = F(ember).dropout(x, p)
    vals = y.detach().numpy()
    kept = vals != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    np.testing.assert_allclose(vals[kept], 1 / (1 - p), rtol=1e-6)
    assert abs(vals.mean() - 1) < 0.03  # expectation preserved
    y.backward(ember.ones_like(y))
    np.testing.assert_allclose(x.grad.numpy(), vals)  # gradient is the scaled mask


@pytest.mark.parametrize("name,shape", [("dropout1d", (50, 40, 7)), ("dropout2d", (50, 40, 3, 3)),
                                        ("dropout3d", (50, 40, 2, 2, 2)),
                                        ("dropout1d", (400, 7)), ("dropout3d", (400, 2, 2, 2))])
def test_channel_dropout_zeroes_whole_channels(name, shape):
    x = ember.ones(*shape)
    fn = getattr(F(ember), name)
    y = fn(x, 0.4).numpy()
    batched = len(shape) in (3, 4, 5) and not (name == "dropout3d" and len(shape) == 4) \
        and not (name == "dropout1d" and len(shape) == 2)
    flat = y.reshape(shape[0] * shape[1], -1) if batched else y.reshape(shape[0], -1)
    per_channel = flat[:, :1]
    assert (flat == per_channel).all()  # one decision per channel
    kept = per_channel[:, 0] != 0
    assert abs(kept.mean() - 0.6) < 4 * np.sqrt(0.24 / kept.size)  # within 4 sigma
    np.testing.assert_allclose(flat[kept], 1 / 0.6, rtol=1e-6)


@pytest.mark.parametrize("p", [0.1, 0.5])
@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_preserves_mean_and_variance(p, feature):
    x = ember.randn(400, 300, 4, dtype=ember.float64) if feature else \
        ember.randn(200000, dtype=ember.float64)
    fn = F(ember).feature_alpha_dropout if feature else F(ember).alpha_dropout
    y = fn(x, p, training=True).numpy()
    assert abs(y.mean()) < 0.02
    assert abs(y.std() - 1) < 0.02
    xs = x.numpy()
    alpha = 1.7580993408473766
    a = 1 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    dropped = np.isclose(y, -alpha * a * (1 - p), rtol=0, atol=1e-12)
    assert abs(dropped.mean() - p) < 4 * np.sqrt(p * (1 - p) / (y.size if not feature
                                                              else 400 * 300))
    np.testing.assert_allclose(y[~dropped], a * xs[~dropped] + a * alpha * p)


@pytest.mark.parametrize("name", ["dropout", "alpha_dropout", "feature_alpha_dropout",
                                  "dropout1d", "dropout2d", "dropout3d"])
def test_identity_when_not_training_or_p0(name):
    shapes = {"dropout2d": (2, 3, 4, 4), "dropout3d": (2, 3, 2, 2, 2)}
    x = ember.randn(*shapes.get(name, (2, 3, 4)))
    assert getattr(F(ember), name)(x, 0.5, training=False) is x
    assert getattr(F(ember), name)(x, 0.0, training=True) is x


def test_p_one_zeroes_everything():
    for name in ("dropout", "alpha_dropout", "feature_alpha_dropout", "dropout3d"):
        check(lambda lib, x, n=name: getattr(F(lib), n)(x, 1.0, True),
              Arg(arr((2, 3, 4, 5))))


def test_inplace_dropout():
    x = ember.ones(1000)
    y = F(ember).dropout(x, 0.5, inplace=True)
    assert y is x and (x.numpy() == 0).any()
    x = ember.ones(10, 100, 3)
    assert F(ember).dropout1d(x, 0.5, inplace=True) is x
    x = ember.ones(10, 3)
    assert F(ember).alpha_dropout(x, 0.5, True, inplace=True) is x
    w = ember.ones(50, 4, requires_grad=True)
    h = w * 2
    out = F(ember).dropout2d(h.reshape(50, 4, 1, 1), 0.5, inplace=True)
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), out.detach().numpy()[..., 0, 0])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", MODULES)
def test_modules_eval_identity_and_repr(name, dtype):
    for args in ((), (0.3,), (0.3, True)):
        e_mod, t_mod = check_module(lambda lib, a=args: getattr(lib.nn, name)(*a),
                                    Arg(arr(SHAPES[name], dtype)), train=False)
        assert repr(e_mod) == repr(t_mod)


@pytest.mark.parametrize("name", MODULES)
def test_modules_train_randomness(name):
    m = getattr(ember.nn, name)(0.5)
    x = ember.ones(*SHAPES[name])
    assert not np.allclose(m(x).numpy(), 1.0)
    m.eval()
    assert m(x) is x


def test_errors_and_warnings():
    for name in ("dropout", "alpha_dropout", "dropout1d"):
        check_error(lambda lib, x, n=name: getattr(F(lib), n)(x, 1.5), Arg(arr((2, 3, 4))),
                    match="dropout probability has to be between 0 and 1, but got 1.5")
    check_error(lambda lib: lib.nn.Dropout(-0.1), match="between 0 and 1")
    check_error(lambda lib, x: F(lib).dropout1d(x), Arg(arr(3)),
                match="dropout1d: Expected 2D or 3D input, but received a 1D input")
    check_error(lambda lib, x: F(lib).feature_alpha_dropout(x, 0.5, True), Arg(arr(3)),
                match="Feature dropout requires at least 2 dimensions")
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F(ember).dropout2d(ember.ones(2, 3, 4))
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout3d"):
        F(ember).dropout3d(ember.ones(2, 3))


def test_gumbel_softmax_statistics_and_straight_through():
    logits = ember.tensor(np.log(np.array([0.1, 0.2, 0.7])), dtype=ember.float64)
    batch = logits.unsqueeze(0).expand(20000, 3).clone().requires_grad_(True)
    hard = F(ember).gumbel_softmax(batch, tau=0.5, hard=True)
    vals = hard.detach().numpy()
    assert set(np.unique(vals)) == {0.0, 1.0} and (vals.sum(1) == 1).all()
    np.testing.assert_allclose(vals.mean(0), [0.1, 0.2, 0.7], atol=0.015)  # Gumbel-max
    w = ember.tensor(np.array([1.0, 2.0, 3.0]))
    (hard * w).sum().backward()  # straight-through: the gradient of the soft sample
    soft_grad = batch.grad.numpy()
    assert np.isfinite(soft_grad).all() and np.abs(soft_grad).sum() > 0
    np.testing.assert_allclose(soft_grad.sum(1), 0, atol=1e-9)  # softmax Jacobian rows
    soft = F(ember).gumbel_softmax(batch, tau=2.0, dim=1).detach().numpy()
    np.testing.assert_allclose(soft.sum(1), 1, rtol=1e-12)
    assert (soft > 0).all() and (soft < 1).all()
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F(ember).gumbel_softmax(logits, eps=1e-5)
