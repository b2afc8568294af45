"""CPU autocast: which ops run in the lower-precision dtype, which in float32, and the
region's state, compared with torch 2.13."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as TF  # noqa: E402

import ember  # noqa: E402
import ember.nn.functional as EF  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 8)).astype(np.float32)
W = RNG.standard_normal((8, 8)).astype(np.float32)
IMG = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
K = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
T = np.array([1, 0, 3, 2, 7, 5])


def _name(dt):
    return str(dt).split(".")[-1]


CASES = {
    "matmul": lambda L, F, x, w: x @ w,
    "mm": lambda L, F, x, w: L.mm(x, w),
    "bmm": lambda L, F, x, w: L.bmm(x[None], w[None]),
    "mv": lambda L, F, x, w: L.mv(w, x[0]),
    "dot": lambda L, F, x, w: L.dot(x[0], x[1]),
    "matmul_f64": lambda L, F, x, w: x.double() @ w.double(),
    "addmm": lambda L, F, x, w: L.addmm(x, x, w),
    "baddbmm": lambda L, F, x, w: L.baddbmm(x[None], x[None], w[None]),
    "addbmm": lambda L, F, x, w: L.addbmm(x, x[None], w[None]),
    "einsum": lambda L, F, x, w: L.einsum("ij,jk->ik", x, w),
    "linear": lambda L, F, x, w: F.linear(x, w, w[0]),
    "linear_module": lambda L, F, x, w: L.nn.Linear(8, 3)(x),
    "prelu": lambda L, F, x, w: F.prelu(x, L.ones(1)),
    "conv2d": lambda L, F, x, w: F.conv2d(L.from_numpy(IMG), L.from_numpy(K), padding=1),
    "conv_transpose2d": lambda L, F, x, w: F.conv_transpose2d(L.from_numpy(IMG),
                                                              L.from_numpy(K).transpose(0, 1)),
    "sdpa": lambda L, F, x, w: F.scaled_dot_product_attention(x[None], x[None], x[None]),
    "add_mixed": lambda L, F, x, w: x.bfloat16() + x,
    "softmax_bf16": lambda L, F, x, w: F.softmax(x.bfloat16(), -1),
    "relu": lambda L, F, x, w: F.relu(x),
    "cross_entropy": lambda L, F, x, w: F.cross_entropy(x.bfloat16(), L.from_numpy(T)),
    "nll_loss": lambda L, F, x, w: F.nll_loss(x.bfloat16(), L.from_numpy(T)),
    "mse_loss": lambda L, F, x, w: F.mse_loss(x.bfloat16(), x),
    "l1_loss": lambda L, F, x, w: F.l1_loss(x.bfloat16(), x.bfloat16()),
    "bce_logits": lambda L, F, x, w: F.binary_cross_entropy_with_logits(x.bfloat16(),
                                                                        x.sigmoid()),
    "hinge": lambda L, F, x, w: F.hinge_embedding_loss(x.bfloat16(), x.sign().bfloat16()),
    "margin_ranking": lambda L, F, x, w: F.margin_ranking_loss(x.bfloat16(), w[:6].bfloat16(),
                                                               x.sign().bfloat16()),
    "soft_margin": lambda L, F, x, w: F.soft_margin_loss(x.bfloat16(), x.sign().bfloat16()),
    "cosine_embedding": lambda L, F, x, w: F.cosine_embedding_loss(
        x.bfloat16(), w[:6].bfloat16(), x[:, 0].sign().bfloat16()),
    "triplet": lambda L, F, x, w: F.triplet_margin_loss(x.bfloat16(), w[:6].bfloat16(),
                                                        x.flip(0).bfloat16()),
    "multi_margin": lambda L, F, x, w: F.multi_margin_loss(x.bfloat16(), L.from_numpy(T)),
    "poisson_nll": lambda L, F, x, w: F.poisson_nll_loss(x.bfloat16(), x.abs().bfloat16()),
    "max_pool3d": lambda L, F, x, w: F.max_pool3d(x.bfloat16().view(1, 1, 3, 4, 4), 2),
    "max_pool3d_indices": lambda L, F, x, w: F.max_pool3d(x.bfloat16().view(1, 1, 3, 4, 4), 2,
                                                          return_indices=True)[0],
    "avg_pool3d": lambda L, F, x, w: F.avg_pool3d(x.bfloat16().view(1, 1, 3, 4, 4), 2),
    "adaptive_avg_pool3d": lambda L, F, x, w: F.adaptive_avg_pool3d(
        x.bfloat16().view(1, 1, 3, 4, 4), 2),
    "max_unpool2d": lambda L, F, x, w: F.max_unpool2d(
        *F.max_pool2d(x.bfloat16().view(1, 3, 4, 4), 2, return_indices=True), 2),
    "grid_sample": lambda L, F, x, w: F.grid_sample(
        x.bfloat16().view(1, 3, 4, 4), (x[:4].reshape(1, 4, 4, 2) * 0.3).bfloat16(),
        align_corners=False),
    "pad_reflect1d": lambda L, F, x, w: F.pad(x.bfloat16()[None], (1, 2), mode="reflect"),
    "pad_reflect2d": lambda L, F, x, w: F.pad(x.bfloat16()[None], (1, 1, 2, 1), mode="reflect"),
    "pad_reflect3d": lambda L, F, x, w: F.pad(x.bfloat16().view(1, 1, 3, 4, 4),
                                              (1, 1, 1, 1, 1, 1), mode="reflect"),
    "pad_replicate3d": lambda L, F, x, w: F.pad(x.bfloat16().view(1, 1, 3, 4, 4),
                                                (1, 1, 1, 1, 1, 1), mode="replicate"),
    "pad_circular": lambda L, F, x, w: F.pad(x.bfloat16()[None], (1, 1), mode="circular"),
    "prod": lambda L, F, x, w: x.bfloat16()[0].prod(),
    "cdist": lambda L, F, x, w: L.cdist(x.bfloat16(), x.bfloat16()),
    "cat_mixed": lambda L, F, x, w: L.cat([x.to(L.get_autocast_dtype("cpu")), x]),
    "int_matmul": lambda L, F, x, w: L.ones(2, 2, dtype=L.long) @ L.ones(2, 2, dtype=L.long),
}


def _run(lib, F, fn, dtype):
    x, w = lib.from_numpy(X.copy()), lib.from_numpy(W.copy())
    if lib is torch:
        torch.manual_seed(0)
    with lib.autocast("cpu", dtype=dtype):
        return fn(lib, F, x, w)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_op_dtype_and_values_under_autocast(case, dtype):
    fn = CASES[case]
    if case == "linear_module":  # same weights in both libraries
        t_lin, e_lin = torch.nn.Linear(8, 3), ember.nn.Linear(8, 3)
        e_lin.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                               for k, v in t_lin.state_dict().items()})

        def fn(L, F, x, w):
            return (t_lin if L is torch else e_lin)(x)

    t = _run(torch, TF, fn, getattr(torch, dtype))
    e = _run(ember, EF, fn, getattr(ember, dtype))
    assert _name(e.dtype) == _name(t.dtype)
    ref = t.detach().float().numpy()
    got = e.detach().float().numpy()
    np.testing.assert_allclose(got, ref, rtol=3e-2, atol=3e-2 * max(1.0, np.abs(ref).max()))


def test_gradients_flow_back_in_float32():
    results = []
    for lib, F in ((torch, TF), (ember, EF)):
        x = lib.from_numpy(X.copy()).requires_grad_()
        w = lib.from_numpy(W.copy()).requires_grad_()
        with lib.autocast("cpu"):
            y = F.linear(x, w)
            loss = F.cross_entropy(y, lib.from_numpy(T))
        assert _name(y.dtype) == "bfloat16" and _name(loss.dtype) == "float32"
        loss.backward()
        assert _name(x.grad.dtype) == _name(w.grad.dtype) == "float32"
        results.append((loss.item(), x.grad.numpy(), w.grad.numpy()))
    (tl, tgx, tgw), (el, egx, egw) = results
    assert abs(tl - el) < 2e-2 * max(1.0, abs(tl))
    np.testing.assert_allclose(egx, tgx, rtol=5e-2, atol=5e-3)
    np.testing.assert_allclose(egw, tgw, rtol=5e-2, atol=5e-3)


def test_disabled_region_changes_nothing():
    x, w = ember.from_numpy(X.copy()), ember.from_numpy(W.copy())
    ref = (x @ w).numpy()
    with ember.autocast(device_type="cpu", dtype=ember.bfloat16, enabled=False):
        assert ember.is_autocast_enabled("cpu") is False
        out = x @ w
        y = EF.linear(x, w)
    assert out.dtype is ember.float32 and y.dtype is ember.float32
    np.testing.assert_array_equal(out.numpy(), ref)


def test_region_state_nesting_and_restore():
    for lib in (torch, ember):
        assert lib.is_autocast_enabled("cpu") is False
        assert _name(lib.get_autocast_dtype("cpu")) == "bfloat16"
        with lib.autocast("cpu", dtype=lib.float16):
            assert lib.is_autocast_enabled("cpu") is True
            assert _name(lib.get_autocast_dtype("cpu")) == "float16"
            assert lib.is_autocast_enabled() is False  # the legacy form asks about cuda
            with lib.autocast("cpu", enabled=False):
                assert lib.is_autocast_enabled("cpu") is False
            assert lib.is_autocast_enabled("cpu") is True
        assert lib.is_autocast_enabled("cpu") is False
        assert _name(lib.get_autocast_dtype("cpu")) == "bfloat16"
        assert lib.amp.autocast is lib.autocast


def test_decorator_form():
    @ember.autocast("cpu")
    def f(a, b):
        return a @ b

    assert f(ember.ones(2, 2), ember.ones(2, 2)).dtype is ember.bfloat16
    assert ember.is_autocast_enabled("cpu") is False


def test_unsupported_dtype_and_device_warn_and_disable_like_torch():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="CPU Autocast only supports dtypes of"):
            with lib.autocast("cpu", dtype=lib.float32):
                assert lib.is_autocast_enabled("cpu") is False
        with pytest.warns(UserWarning, match="CUDA is not available"):
            with lib.autocast("cuda"):
                assert lib.is_autocast_enabled("cuda") is False
                assert _name((lib.ones(2, 2) @ lib.ones(2, 2)).dtype) == "float32"
        with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
            lib.autocast(3)
        with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
            lib.autocast("xyz")


def test_cuda_amp_aliases_warn_deprecated_like_torch():
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.cuda.amp.autocast()
            lib.cuda.amp.GradScaler()
        kinds = sorted((w.category.__name__, str(w.message).split("(")[0]) for w in caught)
        assert ("FutureWarning", "`torch.cuda.amp.autocast") in kinds
        assert ("FutureWarning", "`torch.cuda.amp.GradScaler") in kinds


def test_weight_cast_cache_within_region():
    w = ember.nn.Parameter(ember.from_numpy(W.copy()))
    x = ember.from_numpy(X.copy())
    with ember.autocast("cpu"):
        a = EF.linear(x, w)
        b = EF.linear(x, w)
        assert ember.amp.autocast_mode.STATE.cache  # the bf16 copy of w was cached
    assert not ember.amp.autocast_mode.STATE.cache  # dropped on leaving the region
    np.testing.assert_array_equal(a.float().detach().numpy(), b.float().detach().numpy())
