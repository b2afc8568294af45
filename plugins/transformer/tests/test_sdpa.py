"""scaled_dot_product_attention against torch: values and gradients (query, key, value and
a float mask) for every mask kind, causal, scale, GQA and broadcasting; dropout by its
statistics; errors with torch's types and messages."""

import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _transformer_parity import compare, rand, tensors  # noqa: E402

DTYPES = ["float32", "float64"]


def _sdpa(lib):
    return lib.nn.functional.scaled_dot_product_attention


def _run(dtype, q_shape, k_shape, v_shape, mask=None, **kw):
    arrays = {"q": rand(q_shape, dtype, 0), "k": rand(k_shape, dtype, 1),
              "v": rand(v_shape, dtype, 2), "mask": mask}
    e, t = tensors(arrays)
    compare(lambda: _sdpa(ember)(e["q"], e["k"], e["v"], e["mask"], **kw),
            lambda: _sdpa(torch)(t["q"], t["k"], t["v"], t["mask"], **kw), e, t, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_plain(dtype):
    _run(dtype, (2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6))


@pytest.mark.parametrize("dtype", DTYPES)
def test_three_dims_and_two_dims(dtype):
    _run(dtype, (3, 4, 8), (3, 5, 8), (3, 5, 8))
    _run(dtype, (4, 8), (5, 8), (5, 3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_bool_mask_2d(dtype):
    m = np.random.default_rng(3).random((4, 5)) > 0.4
    m[:, 0] = True
    _run(dtype, (2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), m)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bool_mask_broadcast_with_fully_masked_row(dtype):
    m = np.random.default_rng(4).random((2, 1, 4, 5)) > 0.3
    m[0, 0, 1] = False  # a query with no allowed key: zeros, like torch
    _run(dtype, (2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), m)


@pytest.mark.parametrize("dtype", DTYPES)
def test_float_mask_gets_a_gradient(dtype):
    m = rand((3, 4, 5), dtype, 5)
    _run(dtype, (2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), m)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("L,S", [(5, 5), (3, 6), (6, 3)])
def test_is_causal(dtype, L, S):
    _run(dtype, (2, 2, L, 4), (2, 2, S, 4), (2, 2, S, 4), is_causal=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_scale(dtype):
    _run(dtype, (2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), scale=0.3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_enable_gqa(dtype):
    _run(dtype, (2, 6, 4, 8), (2, 2, 5, 8), (2, 3, 5, 6), enable_gqa=True)
    _run(dtype, (6, 4, 8), (3, 5, 8), (1, 5, 8), enable_gqa=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_batch_dims(dtype):
    _run(dtype, (2, 3, 4, 8), (1, 3, 5, 8), (2, 1, 5, 6))
    _run(dtype, (5, 2, 3, 4, 8), (2, 3, 5, 8), (3, 5, 8))


def test_second_derivatives():
    arrays = {"q": rand((2, 3, 4), "float64", 0), "k": rand((2, 5, 4), "float64", 1),
              "v": rand((2, 5, 3), "float64", 2), "m": rand((3, 5), "float64", 3)}
    results = []
    for lib in (ember, torch):
        ts = {k: lib.tensor(a.copy()).requires_grad_(True) for k, a in arrays.items()}
        out = _sdpa(lib)(ts["q"], ts["k"], ts["v"], ts["m"], scale=0.7)
        grads = lib.autograd.grad(out.pow(2).sum(), list(ts.values()), create_graph=True)
        total = sum((g * g).sum() for g in grads)
        results.append([g.detach().numpy() for g in
                        lib.autograd.grad(total, list(ts.values()))])
    for e, t in zip(*results, strict=True):
        np.testing.assert_allclose(e, t, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("fused", [True, False])
def test_dropout_statistics_and_gradients(fused, monkeypatch):
    if not fused:
        table = ember.ones(1)._k
        monkeypatch.setattr(table, "scaled_dot_product_attention", None)
        monkeypatch.setattr(table, "scaled_dot_product_attention_backward", None)
    ember.manual_seed(0)
    q = ember.zeros(1, 1, 2000, 4)
    k = ember.zeros(1, 1, 10, 4)
    v = ember.ones(1, 1, 10, 1, requires_grad=True)
    out = _sdpa(ember)(q, k, v, dropout_p=0.3)
    # uniform weights 0.1 each: the output is 0.1 / 0.7 * (number of kept keys)
    kept = out.detach().numpy().ravel() * 7.0
    np.testing.assert_allclose(kept, np.round(kept), atol=1e-4)
    assert abs(kept.mean() / 10 - 0.7) < 0.02
    out.sum().backward()
    np.testing.assert_allclose(v.grad.numpy().sum(), out.detach().numpy().sum(), rtol=1e-5)
    zero = _sdpa(ember)(q, k, v, dropout_p=1.0)
    assert float(zero.abs().sum()) == 0.0


ERRORS = [
    ("attn_mask with is_causal", lambda lib, q, k, v: _sdpa(lib)(
        q, k, v, lib.ones(4, 5, dtype=lib.bool), is_causal=True)),
    ("key feature size", lambda lib, q, k, v: _sdpa(lib)(q, k[..., :7], v)),
    ("value length", lambda lib, q, k, v: _sdpa(lib)(q, k, v[:, :, :4])),
    ("mask shape", lambda lib, q, k, v: _sdpa(lib)(q, k, v, lib.ones(3, 5))),
    ("mask dtype", lambda lib, q, k, v: _sdpa(lib)(q, k, v, lib.ones(4, 5, dtype=lib.int64))),
    ("dtypes", lambda lib, q, k, v: _sdpa(lib)(q, k.double(), v)),
    ("heads without gqa", lambda lib, q, k, v: _sdpa(lib)(q, k[:, :2], v[:, :2])),
    ("gqa heads", lambda lib, q, k, v: _sdpa(lib)(q, k[:, :2], v[:, :2], enable_gqa=True)),
    ("1-D", lambda lib, q, k, v: _sdpa(lib)(q[0, 0, 0], k[0, 0, 0], v[0, 0, 0])),
    ("dropout_p", lambda lib, q, k, v: _sdpa(lib)(q, k, v, dropout_p=1.5)),
]


@pytest.mark.parametrize("name,call", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, call):
    shapes = [(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)]
    with pytest.raises(Exception) as t_err:
        call(torch, *(torch.zeros(s) for s in shapes))
    with pytest.raises(type(t_err.value)) as e_err:
        call(ember, *(ember.zeros(s) for s in shapes))
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_stack_runs_in_chunks(dtype):
    """Big enough for the cpu kernel to split the stack over threads."""
    m = np.random.default_rng(8).random((1, 4, 64, 64)) > 0.2
    m[..., 0] = True
    _run(dtype, (4, 4, 64, 32), (4, 4, 64, 32), (4, 4, 64, 32), m)
    _run(dtype, (4, 4, 64, 32), (4, 4, 64, 32), (4, 4, 64, 32), is_causal=True)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("shapes", [((2, 0, 4), (2, 3, 4), (2, 3, 5)),
                                    ((2, 3, 4), (2, 0, 4), (2, 0, 5)),
                                    ((0, 3, 4), (0, 3, 4), (0, 3, 5))],
                         ids=["no queries", "no keys", "empty batch"])
def test_empty_shapes(shapes, fused, monkeypatch):
    if not fused:
        table = ember.ones(1)._k
        monkeypatch.setattr(table, "scaled_dot_product_attention", None)
        monkeypatch.setattr(table, "scaled_dot_product_attention_backward", None)
    arrays = {n: np.ones(s) for n, s in zip("qkv", shapes, strict=True)}
    e, t = tensors(arrays)
    e_out = _sdpa(ember)(e["q"], e["k"], e["v"])
    t_out = _sdpa(torch)(t["q"], t["k"], t["v"])
    e_out.sum().backward()
    t_out.sum().backward()
    for name in "qkv":
        assert tuple(e[name].grad.shape) == tuple(t[name].grad.shape)
        np.testing.assert_array_equal(e[name].grad.numpy(), t[name].grad.numpy())
    np.testing.assert_array_equal(e_out.detach().numpy(), t_out.detach().numpy())
