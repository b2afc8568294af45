"""ember-cpu's attention kernels against torch: the C++ kernels (gemm through numpy's
BLAS) and the numpy path kept for when no BLAS was handed over."""

import numpy as np
import pytest

from ember_cpu.kernels import attention
from ember_cpu.kernels import conv as conv_kernels

torch = pytest.importorskip("torch")


@pytest.fixture(params=[True, False], ids=["native", "numpy"])
def path(request, monkeypatch):
    monkeypatch.setitem(conv_kernels.NATIVE, "on", request.param)
    return request.param


def _reference(q, k, v, bias, keep, scale, g):
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    tb = None if bias is None else torch.tensor(bias, requires_grad=True)
    s = tq @ tk.transpose(-1, -2) * scale
    if tb is not None:
        s = s + tb
    p = torch.softmax(s, -1)
    pd = p if keep is None else p * torch.tensor(keep)
    out = pd @ tv
    out.backward(torch.tensor(g))
    grads = [t.grad.numpy() for t in (tq, tk, tv)]
    return out.detach().numpy(), p.detach().numpy(), grads, None if tb is None else tb.grad


# (q batch, k batch, L, S, E, Ev, with bias, with keep)
CASES = [((2, 3), (2, 3), 5, 7, 4, 6, False, False),
         ((2, 3), (1, 3), 8, 8, 16, 16, True, False),
         ((4,), (4,), 6, 9, 8, 5, True, True),
         ((3, 2), (3, 2), 33, 17, 8, 8, False, True)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_attention_and_gradients_match_torch(case, dtype, path):
    qb, kb, L, S, E, Ev, with_bias, with_keep = case
    rng = np.random.default_rng(0)
    q = rng.standard_normal(qb + (L, E)).astype(dtype)
    k = rng.standard_normal(kb + (S, E)).astype(dtype)
    v = rng.standard_normal(kb + (S, Ev)).astype(dtype)
    bias = keep = None
    if with_bias:
        bias = rng.standard_normal((L, S)).astype(dtype)
        bias[2, ::2] = -np.inf
    if with_keep:
        keep = ((rng.random(qb + (L, S)) > 0.3) / 0.7).astype(dtype)
    scale = 1 / np.sqrt(E)
    out, probs = attention.scaled_dot_product_attention(q, k, v, bias, keep, scale)
    g = rng.standard_normal(out.shape).astype(dtype)
    dq, dk, dv, ds = attention.scaled_dot_product_attention_backward(
        g, q, k, v, probs, keep, scale, with_bias)
    ref_out, ref_p, ref_grads, ref_db = _reference(q, k, v, bias, keep, scale, g)
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-10,
                                                                     "atol": 1e-12}
    assert out.dtype == probs.dtype == dq.dtype == dtype
    np.testing.assert_allclose(out, ref_out, **tol)
    np.testing.assert_allclose(probs, np.broadcast_to(ref_p, probs.shape), **tol)
    # the kernels return gradients over the full broadcast batch; the op sums them down
    dk_sum = dk.reshape((-1,) + dk.shape[-2:]).reshape(qb + dk.shape[-2:])
    np.testing.assert_allclose(dq, ref_grads[0], **tol)
    np.testing.assert_allclose(dk_sum.sum(axis=tuple(i for i, (a, b) in
                                                     enumerate(zip(qb, kb)) if b == 1),
                                          keepdims=True), ref_grads[1], **tol)
    np.testing.assert_allclose(dv.sum(axis=tuple(i for i, (a, b) in enumerate(zip(qb, kb))
                                                 if b == 1), keepdims=True),
                               ref_grads[2], **tol)
    if with_bias:
        np.testing.assert_allclose(ds.reshape((-1, L, S)).sum(0), ref_db.numpy(), **tol)
    else:
        assert ds is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fully_masked_rows_give_zeros_on_both_paths(dtype, monkeypatch):
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((3, 6, 4)).astype(dtype) for _ in range(3))
    bias = np.zeros((6, 6), dtype)
    bias[1, :] = -np.inf
    bias[4, 1:] = -np.inf
    g = rng.standard_normal((3, 6, 4)).astype(dtype)
    results = []
    for on in (True, False):
        monkeypatch.setitem(conv_kernels.NATIVE, "on", on)
        out, p = attention.scaled_dot_product_attention(q, k, v, bias, None, 0.5)
        grads = attention.scaled_dot_product_attention_backward(g, q, k, v, p, None, 0.5, True)
        results.append((out, p, *grads))
        assert not p[:, 1].any() and not out[:, 1].any()
        np.testing.assert_array_equal(p[:, 4], np.eye(6, dtype=dtype)[0][None].repeat(3, 0))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
