"""RNN, LSTM and GRU against torch: outputs, final states and gradients with respect to
inputs, initial states and every parameter, for every option (layers, bias, batch_first,
bidirectional, proj_size, unbatched inputs, initial states, dropout) in float32 and
float64."""

import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _rnn_parity import build_pair, check_parity, leaf_pair  # noqa: E402

FLOATS = ["float32", "float64"]
# torch (the reference) warns that it falls back from oneDNN for projections
pytestmark = pytest.mark.filterwarnings(
    "ignore:LSTM with projections is not supported with oneDNN:UserWarning")
I, H, T, B = 4, 5, 6, 3

CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bidirectional": True, "bias": False}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 3}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True, "bias": False}),
    ("GRU", {}),
    ("GRU", {"num_layers": 3, "bidirectional": True}),
    ("GRU", {"bias": False, "num_layers": 2}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for n, kw in CONFIGS]


def _state_shapes(name, kw, batch):
    dirs = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    h_out = kw.get("proj_size", 0) or H
    lead = (layers * dirs,) + (() if batch is None else (batch,))
    if name == "LSTM":
        return [lead + (h_out,), lead + (H,)]
    return [lead + (h_out,)]


def _run(name, kw, dtype, batch_first=False, batched=True, with_state=False):
    tm, em = build_pair(name, dtype, I, H, batch_first=batch_first, **kw)
    rng = np.random.default_rng(1)
    if batched:
        shape = (B, T, I) if batch_first else (T, B, I)
    else:
        shape = (T, I)
    tx, ex = leaf_pair(rng.standard_normal(shape).astype(dtype))
    t_in, e_in, t_leaves, e_leaves = [tx], [ex], [tx], [ex]
    if with_state:
        pairs = [leaf_pair(rng.standard_normal(s).astype(dtype))
                 for s in _state_shapes(name, kw, B if batched else None)]
        t_state = tuple(p[0] for p in pairs)
        e_state = tuple(p[1] for p in pairs)
        t_in.append(t_state if name == "LSTM" else t_state[0])
        e_in.append(e_state if name == "LSTM" else e_state[0])
        t_leaves += list(t_state)
        e_leaves += list(e_state)
    check_parity(tm, em, t_in, e_in, t_leaves, e_leaves, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=IDS)
def test_parity_default_state(name, kw, dtype):
    _run(name, kw, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=IDS)
def test_parity_initial_state_batch_first(name, kw, dtype):
    _run(name, kw, dtype, batch_first=True, with_state=True)


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize(("name", "kw"), CONFIGS[::2], ids=IDS[::2])
def test_parity_unbatched(name, kw, with_state):
    _run(name, kw, "float64", batch_first=True, batched=False, with_state=with_state)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_dropout_one_zeroes_between_layers_in_training(name):
    # p = 1 is deterministic: every layer above the first sees zeros, as in torch
    with pytest.warns(UserWarning, match="dropout option adds dropout"):
        torch.nn.LSTM(2, 3, dropout=0.5)
    tm, em = build_pair(name, "float64", I, H, num_layers=3, dropout=1.0)
    tx, ex = leaf_pair(np.random.default_rng(2).standard_normal((T, B, I)))
    check_parity(tm.train(), em.train(), [tx], [ex], [tx], [ex], "float64")


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_dropout_is_random_in_training_and_off_in_eval(name):
    tm, em = build_pair(name, "float64", I, H, num_layers=2, dropout=0.5)
    x = np.random.default_rng(3).standard_normal((T, B, I))
    ex = ember.tensor(x)
    ember.manual_seed(0)
    out1 = em.train()(ex)[0].detach().numpy()
    out2 = em(ex)[0].detach().numpy()
    assert not np.allclose(out1, out2)
    eval_out = em.eval()(ex)[0].detach().numpy()
    np.testing.assert_allclose(eval_out, tm.eval()(torch.tensor(x))[0].detach().numpy(),
                               rtol=1e-9, atol=1e-11)
    assert not np.allclose(out1, eval_out)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_no_grad_forward_matches(name):
    tm, em = build_pair(name, "float32", I, H, num_layers=2)
    x = np.random.default_rng(4).standard_normal((T, B, I)).astype("float32")
    with ember.no_grad():
        out, _ = em(ember.tensor(x))
    assert not out.requires_grad
    np.testing.assert_allclose(out.detach().numpy(), tm(torch.tensor(x))[0].detach().numpy(),
                               rtol=2e-4, atol=2e-5)


def test_double_backward_through_lstm():
    tm, em = build_pair("LSTM", "float64", I, H, num_layers=2, bidirectional=True)
    x = np.random.default_rng(5).standard_normal((T, B, I))
    grads = []
    for lib, m in ((torch, tm), (ember, em)):
        xx = lib.tensor(x.copy(), requires_grad=True)
        out = m(xx)[0]
        (g,) = lib.autograd.grad((out * out).sum(), xx, create_graph=True)
        (g * g).sum().backward()
        grads.append((xx.grad.detach().numpy(), m.weight_hh_l0.grad.detach().numpy()))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-8, atol=1e-10)


def test_double_backward_through_gru():
    tm, em = build_pair("GRU", "float64", I, H)
    x = np.random.default_rng(6).standard_normal((T, B, I))
    grads = []
    for lib, m in ((torch, tm), (ember, em)):
        xx = lib.tensor(x.copy(), requires_grad=True)
        out = m(xx)[0]
        (g,) = lib.autograd.grad((out * out).sum(), xx, create_graph=True)
        (g * g).sum().backward()
        grads.append(xx.grad.detach().numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=IDS)
def test_composites_only_match_torch(name, kw, monkeypatch):
    table = ember.ones(1)._k
    for kernel in ("lstm_gates", "lstm_gates_backward", "gru_gates", "gru_gates_backward"):
        monkeypatch.setattr(table, kernel, None)
    _run(name, kw, "float64", with_state=True)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_gradient_of_an_early_output_only(name):
    # later steps do not reach the loss: their share of W_hh's gradient must be zero
    kw = {"proj_size": 2} if name == "LSTM" else {}
    tm, em = build_pair(name, "float64", I, H, **kw)
    x = np.random.default_rng(8).standard_normal((T, B, I))
    got = []
    for lib, m in ((torch, tm), (ember, em)):
        out = m(lib.tensor(x))[0]
        params = [p for _, p in sorted(m.named_parameters())]
        got.append(lib.autograd.grad(out[1].sum(), params, retain_graph=True))
        again = lib.autograd.grad(out[1].sum(), params)
        for a, b in zip(got[-1], again, strict=True):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    for a, b in zip(got[0], got[1], strict=True):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-9,
                                   atol=1e-11)


def test_frozen_weights_and_state_gradient_only():
    tm, em = build_pair("LSTM", "float64", I, H, num_layers=2)
    for m in (tm, em):
        m.requires_grad_(False)
    rng = np.random.default_rng(9)
    tx, ex = leaf_pair(rng.standard_normal((T, B, I)))
    th, eh = leaf_pair(rng.standard_normal((2, B, H)))
    tc, ec = leaf_pair(rng.standard_normal((2, B, H)))
    tm(tx, (th, tc))[0].sum().backward()
    em(ex, (eh, ec))[0].sum().backward()
    for a, b in ((tx, ex), (th, eh), (tc, ec)):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-9, atol=1e-11)
    assert all(p.grad is None for p in em.parameters())


def test_functional_call_with_substituted_weights():
    tm, em = build_pair("GRU", "float64", I, H, num_layers=2)
    rng = np.random.default_rng(10)
    x = rng.standard_normal((T, B, I))
    subst = {k: rng.uniform(-1, 1, tuple(v.shape)) for k, v in tm.named_parameters()}
    t_out = torch.func.functional_call(tm, {k: torch.tensor(v) for k, v in subst.items()},
                                       (torch.tensor(x),))
    with pytest.warns(FutureWarning, match="functional_call"):  # deprecated, as in torch
        e_out = ember.nn.utils.stateless.functional_call(
            em, {k: ember.tensor(v) for k, v in subst.items()}, (ember.tensor(x),))
    for a, b in zip(t_out, e_out, strict=True):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-9,
                                   atol=1e-11)
    # the module's own weights are back in place afterwards
    np.testing.assert_allclose(em(ember.tensor(x))[0].detach().numpy(),
                               tm(torch.tensor(x))[0].detach().numpy(), rtol=1e-9, atol=1e-11)
