"""nn.MultiheadAttention and F.multi_head_attention_forward against torch: outputs,
attention weights and the gradients of the inputs and of every parameter, for every
constructor and forward option; dropout in training and evaluation; errors."""

import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _transformer_parity import compare, params, rand, tensors, twin  # noqa: E402

DTYPES = ["float32", "float64"]
E, H, L, S, N = 8, 2, 4, 5, 3


def _check(dtype, ctor, q_shape=(L, N, E), k_shape=(S, N, E), v_shape=None, self_attn=False,
           same_kv=False, masks=None, **fwd):
    tm, em = twin(lambda lib: lib.nn.MultiheadAttention(E, H, **ctor), dtype)
    arrays = {"q": rand(q_shape, dtype, 0), "k": rand(k_shape, dtype, 1),
              "v": rand(v_shape or k_shape, dtype, 2)}
    e, t = tensors(arrays)
    me, mt = tensors(masks or {}, grad=False)

    def call(mod, x, m):
        q, k, v = x["q"], x["k"], x["v"]
        if self_attn:
            k = v = q
        elif same_kv:
            v = k
        return mod(q, k, v, **m, **fwd)

    e_leaves = {**e, **params(em)}
    t_leaves = {**t, **params(tm)}
    compare(lambda: call(em, e, me), lambda: call(tm, t, mt), e_leaves, t_leaves, dtype)


def _bool(shape, seed=5, p=0.3):
    m = np.random.default_rng(seed).random(shape) < p
    m[..., 0] = False  # every query keeps at least one key
    return m


def _float(shape, dtype, seed=6):
    return (np.random.default_rng(seed).standard_normal(shape) * 0.5).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [True, False])
def test_cross_attention(dtype, need_weights):
    _check(dtype, {}, need_weights=need_weights)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [True, False])
def test_self_attention_batch_first(dtype, need_weights):
    _check(dtype, {"batch_first": True}, q_shape=(N, L, E), self_attn=True,
           need_weights=need_weights)


@pytest.mark.parametrize("dtype", DTYPES)
def test_shared_key_value_batch_first(dtype):
    _check(dtype, {"batch_first": True}, q_shape=(N, L, E), k_shape=(N, S, E), same_kv=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_per_head_weights(dtype):
    _check(dtype, {}, average_attn_weights=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [True, False])
def test_kdim_vdim(dtype, need_weights):
    _check(dtype, {"kdim": 6, "vdim": 3}, k_shape=(S, N, 6), v_shape=(S, N, 3),
           need_weights=need_weights)


@pytest.mark.parametrize("dtype", DTYPES)
def test_no_bias(dtype):
    _check(dtype, {"bias": False})
    _check(dtype, {"bias": False, "kdim": 5}, k_shape=(S, N, 5), v_shape=(S, N, E))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [True, False])
def test_add_bias_kv_and_zero_attn(dtype, need_weights):
    masks = {"key_padding_mask": _bool((N, S)), "attn_mask": _bool((L, S), 7)}
    _check(dtype, {"add_bias_kv": True}, need_weights=need_weights)
    _check(dtype, {"add_zero_attn": True}, masks=masks, need_weights=need_weights)
    _check(dtype, {"add_bias_kv": True, "add_zero_attn": True}, masks=masks,
           need_weights=need_weights)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_key_padding_mask(dtype, need_weights, kind):
    m = _bool((N, S)) if kind == "bool" else _float((N, S), dtype)
    _check(dtype, {}, masks={"key_padding_mask": m}, need_weights=need_weights)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("kind", ["bool2d", "float2d", "bool3d", "float3d"])
def test_attn_mask(dtype, need_weights, kind):
    shape = (L, S) if kind.endswith("2d") else (N * H, L, S)
    m = _bool(shape) if kind.startswith("bool") else _float(shape, dtype)
    _check(dtype, {}, masks={"attn_mask": m}, need_weights=need_weights)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [True, False])
def test_both_masks(dtype, need_weights):
    masks = {"attn_mask": _float((L, S), dtype), "key_padding_mask": _float((N, S), dtype, 8)}
    _check(dtype, {"batch_first": True}, q_shape=(N, L, E), k_shape=(N, S, E),
           masks=masks, need_weights=need_weights)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("with_padding", [True, False])
def test_is_causal(dtype, need_weights, with_padding):
    causal = np.triu(np.ones((L, L), dtype=bool), 1)
    masks = {"attn_mask": causal}
    if with_padding:
        masks["key_padding_mask"] = _bool((N, L))
    _check(dtype, {}, k_shape=(L, N, E), masks=masks, is_causal=True,
           need_weights=need_weights)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [True, False])
def test_unbatched(dtype, need_weights):
    masks = {"key_padding_mask": _bool((S,)), "attn_mask": _bool((H, L, S), 9)}
    _check(dtype, {"batch_first": True}, q_shape=(L, E), k_shape=(S, E), masks=masks,
           need_weights=need_weights)


def test_fully_masked_rows_match_torch():
    """A query with every key masked: NaN through the weights path, zeros through the
    fused attention path, in both libraries."""
    tm, em = twin(lambda lib: lib.nn.MultiheadAttention(E, H), "float64")
    x = rand((L, N, E))
    m = np.zeros((L, L), dtype=bool)
    m[1] = True
    for need in (True, False):
        te = tm(*(torch.tensor(x),) * 3, attn_mask=torch.tensor(m), need_weights=need)[0]
        ee = em(*(ember.tensor(x),) * 3, attn_mask=ember.tensor(m), need_weights=need)[0]
        np.testing.assert_allclose(ee.detach().numpy(), te.detach().numpy(), rtol=1e-10,
                                   equal_nan=True)


def test_eval_mode_ignores_dropout_and_training_drops():
    tm, em = twin(lambda lib: lib.nn.MultiheadAttention(E, H, dropout=0.5), "float64")
    x = rand((L, N, E))
    tm.eval()
    em.eval()
    te = tm(*(torch.tensor(x),) * 3)
    ee = em(*(ember.tensor(x),) * 3)
    np.testing.assert_allclose(ee[0].detach().numpy(), te[0].detach().numpy(), rtol=1e-9)
    np.testing.assert_allclose(ee[1].detach().numpy(), te[1].detach().numpy(), rtol=1e-9)
    em.train()
    ember.manual_seed(0)
    w = em(*(ember.tensor(x),) * 3, average_attn_weights=False)[1].detach().numpy()
    nonzero = w[w != 0]
    assert 0.3 < (w == 0).mean() < 0.7
    # kept weights are rescaled by 1 / (1 - p): rows no longer sum to one
    assert not np.allclose(w.sum(-1), 1.0)
    assert nonzero.max() > 0


def test_functional_matches_torch():
    dtype = "float64"
    arrays = {"q": rand((L, N, E), dtype, 0), "k": rand((S, N, E), dtype, 1),
              "v": rand((S, N, E), dtype, 2), "w": rand((3 * E, E), dtype, 3),
              "b": rand((3 * E,), dtype, 4), "bk": rand((1, 1, E), dtype, 5),
              "bv": rand((1, 1, E), dtype, 6), "ow": rand((E, E), dtype, 7),
              "ob": rand((E,), dtype, 8)}
    e, t = tensors(arrays)

    def call(lib, x):
        return lib.nn.functional.multi_head_attention_forward(
            x["q"], x["k"], x["v"], E, H, x["w"], x["b"], x["bk"], x["bv"], True, 0.0,
            x["ow"], x["ob"], training=False)

    compare(lambda: call(ember, e), lambda: call(torch, t), e, t, dtype)


def test_functional_separate_weights_and_static_kv():
    dtype = "float64"
    arrays = {"q": rand((L, N, E), dtype, 0), "k": rand((S, N, 6), dtype, 1),
              "v": rand((S, N, 6), dtype, 2), "wq": rand((E, E), dtype, 3),
              "wk": rand((E, 6), dtype, 4), "wv": rand((E, 6), dtype, 5),
              "b": rand((3 * E,), dtype, 6), "ow": rand((E, E), dtype, 7),
              "sk": rand((N * H, 7, E // H), dtype, 8), "sv": rand((N * H, 7, E // H), dtype, 9)}
    e, t = tensors(arrays)

    def call(lib, x):
        return lib.nn.functional.multi_head_attention_forward(
            x["q"], x["k"], x["v"], E, H, None, x["b"], None, None, False, 0.0, x["ow"], None,
            use_separate_proj_weight=True, q_proj_weight=x["wq"], k_proj_weight=x["wk"],
            v_proj_weight=x["wv"], static_k=x["sk"], static_v=x["sv"])

    compare(lambda: call(ember, e), lambda: call(torch, t), e, t, dtype)


def test_state_dict_names_and_repr():
    for kw in ({}, {"kdim": 5, "vdim": 6, "add_bias_kv": True}, {"bias": False}):
        tm = torch.nn.MultiheadAttention(E, H, **kw)
        em = ember.nn.MultiheadAttention(E, H, **kw)
        assert list(em.state_dict()) == list(tm.state_dict())
        assert [tuple(p.shape) for p in em.parameters()] == \
            [tuple(p.shape) for p in tm.parameters()]
        assert repr(em) == repr(tm)
    em = ember.nn.MultiheadAttention(E, H)
    np.testing.assert_array_equal(em.in_proj_bias.detach().numpy(), 0)
    bound = np.sqrt(6 / (E + 3 * E))
    assert np.abs(em.in_proj_weight.detach().numpy()).max() <= bound


def _errors():
    x3, x2 = (L, N, E), (L, E)
    return [
        ("embed_dim not divisible", lambda lib: lib.nn.MultiheadAttention(10, 3), None),
        ("non-positive heads", lambda lib: lib.nn.MultiheadAttention(8, 0), None),
        ("2-D key for 3-D query", lambda lib: _mha(lib)(lib.zeros(x3), lib.zeros(x2),
                                                        lib.zeros(x2)), None),
        ("4-D query", lambda lib: _mha(lib)(*(lib.zeros(1, L, N, E),) * 3), None),
        ("padding mask rank", lambda lib: _mha(lib)(
            *(lib.zeros(x3),) * 3, key_padding_mask=lib.zeros(N, L, 1, dtype=lib.bool)), None),
        ("padding mask shape", lambda lib: _mha(lib)(
            *(lib.zeros(x3),) * 3, key_padding_mask=lib.zeros(N, L + 1, dtype=lib.bool)),
         None),
        ("padding mask batch", lambda lib: _mha(lib)(
            *(lib.zeros(x3),) * 3, key_padding_mask=lib.zeros(N + 1, L, dtype=lib.bool)),
         None),
        ("attn mask 2-D shape", lambda lib: _mha(lib)(
            *(lib.zeros(x3),) * 3, attn_mask=lib.zeros(L, L + 1, dtype=lib.bool)), None),
        ("attn mask 3-D shape", lambda lib: _mha(lib)(
            *(lib.zeros(x3),) * 3, attn_mask=lib.zeros(N, L, L)), None),
        ("attn mask 4-D", lambda lib: _mha(lib)(
            *(lib.zeros(x3),) * 3, attn_mask=lib.zeros(1, N, L, L)), None),
        ("unbatched 3-D mask shape", lambda lib: _mha(lib)(
            *(lib.zeros(x2),) * 3, attn_mask=lib.zeros(1, L, L)), None),
        ("integer mask", lambda lib: _mha(lib)(
            *(lib.zeros(x3),) * 3, attn_mask=lib.zeros(L, L, dtype=lib.int64)), None),
        ("is_causal without mask", lambda lib: _mha(lib)(*(lib.zeros(x3),) * 3,
                                                         is_causal=True), None),
        ("embed dim", lambda lib: _mha(lib)(*(lib.zeros(L, N, E + 2),) * 3), None),
        ("key value shapes", lambda lib: _mha(lib)(lib.zeros(x3), lib.zeros(S, N, E),
                                                   lib.zeros(S + 1, N, E)), None),
        ("batch_first mismatch", lambda lib: _mha(lib, batch_first=True)(
            lib.zeros(N, L, E), lib.zeros(S, N + 1, E), lib.zeros(S, N + 1, E)), None),
    ]


def _mha(lib, **kw):
    lib.manual_seed(0)
    return lib.nn.MultiheadAttention(E, H, **kw)


ERRORS = _errors()


@pytest.mark.parametrize("name,call,_", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, call, _):
    with pytest.raises(Exception) as t_err:
        call(torch)
    with pytest.raises(type(t_err.value)) as e_err:
        call(ember)
    assert str(e_err.value).replace("ember.Size", "torch.Size") == str(t_err.value)


def test_mismatched_mask_types_warn_like_torch():
    def run(lib):
        x = lib.zeros(L, N, E)
        return _mha(lib)(x, x, x, key_padding_mask=lib.zeros(N, L, dtype=lib.bool),
                         attn_mask=lib.zeros(L, L))

    with pytest.warns(UserWarning) as t_rec:
        run(torch)
    with pytest.warns(UserWarning) as e_rec:
        run(ember)
    assert [str(w.message) for w in e_rec] == [str(w.message) for w in t_rec]


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("batch_first", [True, False])
def test_inference_with_fully_padded_sequence_matches_torch(need_weights, batch_first):
    """Eval mode without autograd: torch's fused inference path gives NaN for a sequence
    whose keys are all padded, even with need_weights=False; so does ember."""
    tm, em = twin(lambda lib: lib.nn.MultiheadAttention(E, H, batch_first=batch_first),
                  "float32")
    tm.eval()
    em.eval()
    x = rand((N, L, E) if batch_first else (L, N, E), "float32")
    pad = np.zeros((N, L), dtype=bool)
    pad[0, 2:] = True
    pad[2, :] = True
    with torch.no_grad():
        to, tw = tm(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(pad),
                    need_weights=need_weights)
    with ember.no_grad():
        eo, ew = em(*(ember.tensor(x),) * 3, key_padding_mask=ember.tensor(pad),
                    need_weights=need_weights)
    np.testing.assert_allclose(eo.numpy(), to.numpy(), rtol=2e-4, atol=2e-5, equal_nan=True)
    assert (ew is None) == (tw is None)
    if tw is not None:
        np.testing.assert_allclose(ew.numpy(), tw.numpy(), rtol=2e-4, atol=2e-5,
                                   equal_nan=True)


def test_training_dropout_through_fused_attention():
    """need_weights=False in training: dropout inside scaled_dot_product_attention."""
    em = ember.nn.MultiheadAttention(E, H, dropout=0.5, batch_first=True)
    x = ember.tensor(rand((N, L, E), "float32")).requires_grad_(True)
    ember.manual_seed(0)
    a = em(x, x, x, need_weights=False)[0]
    b = em(x, x, x, need_weights=False)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    a.sum().backward()
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()
    em.eval()
    c = em(x, x, x, need_weights=False)[0]
    d = em(x, x, x, need_weights=False)[0]
    np.testing.assert_array_equal(c.detach().numpy(), d.detach().numpy())
