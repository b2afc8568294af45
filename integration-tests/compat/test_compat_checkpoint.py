"""ember.utils.checkpoint and ember.random: recomputation in backward gives torch's
gradients; the random-state helpers behave like torch.random's."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.utils.checkpoint as tcheckpoint  # noqa: E402

import ember  # noqa: E402
import ember.utils.checkpoint as echeckpoint  # noqa: E402

RNG = np.random.default_rng(3)
X = RNG.standard_normal((4, 6)).astype(np.float32)


def _block(lib, seed=0):
    """Linear-GELU-Linear with the same weights in both libraries."""
    torch.manual_seed(seed)
    ref = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.GELU(), torch.nn.Linear(8, 6),
                              torch.nn.Tanh())
    if lib is torch:
        return ref
    mod = ember.nn.Sequential(ember.nn.Linear(6, 8), ember.nn.GELU(), ember.nn.Linear(8, 6),
                              ember.nn.Tanh())
    mod.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                         for k, v in ref.state_dict().items()})
    return mod


def _grads(lib, ck, use_reentrant, input_grad=True):
    block = _block(lib)
    x = lib.from_numpy(X.copy()).requires_grad_(input_grad)
    y = ck.checkpoint(block, x, use_reentrant=use_reentrant)
    (y * y).sum().backward()
    grads = [p.grad.numpy() if p.grad is not None else None for p in block.parameters()]
    return y.detach().numpy(), (x.grad.numpy() if input_grad else None), grads


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gradients_match_torch(use_reentrant):
    ty, tgx, tg = _grads(torch, tcheckpoint, use_reentrant)
    ey, egx, eg = _grads(ember, echeckpoint, use_reentrant)
    np.testing.assert_allclose(ey, ty, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(egx, tgx, rtol=1e-4, atol=1e-6)
    for a, b in zip(eg, tg, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_non_reentrant_reaches_parameters_without_input_grad():
    _, _, tg = _grads(torch, tcheckpoint, False, input_grad=False)
    _, _, eg = _grads(ember, echeckpoint, False, input_grad=False)
    assert all(g is not None for g in eg)
    for a, b in zip(eg, tg, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_reentrant_without_input_grad_warns_and_leaves_parameters_alone():
    for lib, ck in ((torch, tcheckpoint), (ember, echeckpoint)):
        block = _block(lib)
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            y = ck.checkpoint(block, lib.from_numpy(X.copy()), use_reentrant=True)
        assert y.requires_grad is False


def test_missing_use_reentrant_warns_like_torch():
    for lib, ck in ((torch, tcheckpoint), (ember, echeckpoint)):
        x = lib.ones(3, requires_grad=True)
        with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
            ck.checkpoint(lambda t: t * 2, x)
        with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
            ck.checkpoint(lambda t, scale=1: t * scale, x, use_reentrant=True, scale=2)
        out = ck.checkpoint(lambda t, scale=1: t * scale, x, use_reentrant=False, scale=3)
        out.sum().backward()
        assert x.grad.tolist() == [3.0, 3.0, 3.0]


def test_recomputation_runs_the_function_again():
    calls = []

    def fn(t):
        calls.append(1)
        return t.exp()

    x = ember.ones(3, requires_grad=True)
    y = echeckpoint.checkpoint(fn, x, use_reentrant=False)
    assert y.grad_fn is not None and len(calls) == 1
    y.sum().backward()
    assert len(calls) == 2
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, np.e, np.float32), rtol=1e-6)


def test_rng_state_is_replayed_for_dropout():
    ember.manual_seed(5)
    x = ember.ones(64, requires_grad=True)
    drop = ember.nn.Dropout(0.5)
    y = echeckpoint.checkpoint(drop, x, use_reentrant=True)
    y.sum().backward()
    # the recomputed mask is the forward's mask: grad is 2 exactly where y is nonzero
    np.testing.assert_array_equal(x.grad.numpy(), (y.detach().numpy() != 0) * 2.0)


def test_multiple_outputs_and_non_tensor_args():
    def fn(a, k, b):
        return a * k + b, a * b

    res = []
    for lib, ck in ((torch, tcheckpoint), (ember, echeckpoint)):
        a = lib.from_numpy(X[0].copy()).requires_grad_()
        b = lib.from_numpy(X[1].copy()).requires_grad_()
        p, q = ck.checkpoint(fn, a, 3.0, b, use_reentrant=True)
        (p.sum() + (q * q).sum()).backward()
        res.append((a.grad.numpy(), b.grad.numpy()))
    for e, t in zip(res[1], res[0], strict=True):
        np.testing.assert_allclose(e, t, rtol=1e-5)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_sequential_matches_torch(use_reentrant):
    out = []
    for lib, ck in ((torch, tcheckpoint), (ember, echeckpoint)):
        seq = _block(lib)
        x = lib.from_numpy(X.copy()).requires_grad_()
        y = ck.checkpoint_sequential(seq, 2, x, use_reentrant=use_reentrant)
        y.pow(2).sum().backward()
        out.append([y.detach().numpy(), x.grad.numpy()]
                   + [p.grad.numpy() for p in seq.parameters()])
    for e, t in zip(out[1], out[0], strict=True):
        np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-6)


def test_checkpoint_is_reachable_as_in_torch():
    assert ember.utils.checkpoint.checkpoint is echeckpoint.checkpoint


def test_random_module():
    for lib in (torch, ember):
        lib.random.manual_seed(11)
        assert lib.random.initial_seed() == 11
        state = lib.random.get_rng_state()
        a = lib.rand(4)
        lib.random.set_rng_state(state)
        assert (lib.rand(4) == a).all()
        with lib.random.fork_rng():
            lib.rand(100)
        b = lib.rand(3)
        lib.random.set_rng_state(state)
        lib.rand(4)
        assert (lib.rand(3) == b).all()
        with lib.random.fork_rng(enabled=False):
            lib.rand(2)
        assert isinstance(lib.random.seed(), int)
