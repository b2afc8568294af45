"""The Transformer family against torch: encoder and decoder layers (post/pre-norm,
activations as strings, functions and Modules, layer_norm_eps, bias, batch_first, masks,
causal hints), the stacks with and without a final norm, the full model; outputs and the
gradients of inputs and every parameter in float32 and float64; dropout in training and
evaluation; the causal mask helper; errors and warnings."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _transformer_parity import compare, params, rand, tensors, twin  # noqa: E402

DTYPES = ["float32", "float64"]
D, H, FF, S, T, N = 8, 2, 16, 5, 4, 3


def _shape(seq, batch_first, batched=True):
    if not batched:
        return (seq, D)
    return (N, seq, D) if batch_first else (seq, N, D)


def _run(dtype, factory, arrays, call, masks=None):
    tm, em = twin(factory, dtype)
    e, t = tensors(arrays)
    me, mt = tensors(masks or {}, grad=False)
    compare(lambda: call(em, e, me), lambda: call(tm, t, mt), {**e, **params(em)},
            {**t, **params(tm)}, dtype)


def _pad(seq, seed=11):
    m = np.random.default_rng(seed).random((N, seq)) < 0.3
    m[:, 0] = False
    return m


def _causal(n, kind="float", dtype="float64"):
    up = np.triu(np.ones((n, n), dtype=bool), 1)
    if kind == "bool":
        return up
    return np.where(up, -np.inf, 0.0).astype(dtype)


ENC_OPTIONS = [
    {},
    {"norm_first": True},
    {"activation": "gelu"},
    {"activation": "relu", "layer_norm_eps": 1e-3},
    {"bias": False},
    {"batch_first": True},
    {"batch_first": True, "norm_first": True, "activation": "gelu"},
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("opts", ENC_OPTIONS, ids=lambda o: ",".join(map(str, o.items())))
def test_encoder_layer(dtype, opts):
    bf = opts.get("batch_first", False)
    _run(dtype, lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, **opts),
         {"src": rand(_shape(S, bf), dtype)},
         lambda m, x, k: m(x["src"], **k),
         {"src_mask": _causal(S, "bool"), "src_key_padding_mask": _pad(S)})


@pytest.mark.parametrize("dtype", DTYPES)
def test_encoder_layer_callable_activations(dtype):
    for act in (lambda lib: lib.nn.functional.silu, lambda lib: lib.nn.GELU("tanh"),
                lambda lib: lib.nn.functional.gelu):
        _run(dtype, lambda lib, a=act: lib.nn.TransformerEncoderLayer(
            D, H, FF, dropout=0.0, activation=a(lib)), {"src": rand(_shape(S, False), dtype)},
            lambda m, x, k: m(x["src"]))


def test_activation_flags_match_torch():
    for act in ("relu", "gelu", None):
        for lib_act in ((lambda lib: lib.nn.ReLU()), (lambda lib: lib.nn.functional.tanh)):
            kw = {"activation": act} if act else {"activation": lib_act}
            tl = torch.nn.TransformerEncoderLayer(D, H, FF, **(
                kw if act else {"activation": lib_act(torch)}))
            el = ember.nn.TransformerEncoderLayer(D, H, FF, **(
                kw if act else {"activation": lib_act(ember)}))
            assert el.activation_relu_or_gelu == tl.activation_relu_or_gelu


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mask_kind", ["float", "bool"])
def test_encoder_layer_causal_hint(dtype, mask_kind):
    _run(dtype, lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0),
         {"src": rand(_shape(S, False), dtype)},
         lambda m, x, k: m(x["src"], src_mask=k["mask"], is_causal=True),
         {"mask": _causal(S, mask_kind, dtype)})


@pytest.mark.parametrize("dtype", DTYPES)
def test_encoder_layer_unbatched(dtype):
    _run(dtype, lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0,
                                                           batch_first=True),
         {"src": rand(_shape(S, True, batched=False), dtype)},
         lambda m, x, k: m(x["src"], src_key_padding_mask=k["pad"]),
         {"pad": _pad(S)[0]})


DEC_OPTIONS = [{}, {"norm_first": True}, {"activation": "gelu", "batch_first": True},
               {"bias": False, "layer_norm_eps": 1e-4}]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("opts", DEC_OPTIONS, ids=lambda o: ",".join(map(str, o.items())))
def test_decoder_layer(dtype, opts):
    bf = opts.get("batch_first", False)
    masks = {"tgt_mask": _causal(T, "float", dtype),
             "memory_mask": np.random.default_rng(3).random((T, S)) < 0.2,
             "tgt_key_padding_mask": _pad(T, 1).astype(dtype) * -1e9,
             "memory_key_padding_mask": _pad(S, 2).astype(dtype) * -1e9}
    masks["memory_mask"][:, 0] = False
    masks["memory_mask"] = masks["memory_mask"].astype(dtype) * -1e9
    _run(dtype, lambda lib: lib.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, **opts),
         {"tgt": rand(_shape(T, bf), dtype, 0), "mem": rand(_shape(S, bf), dtype, 1)},
         lambda m, x, k: m(x["tgt"], x["mem"], **k), masks)


@pytest.mark.parametrize("dtype", DTYPES)
def test_decoder_layer_causal_hints(dtype):
    _run(dtype, lambda lib: lib.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0),
         {"tgt": rand(_shape(T, False), dtype, 0), "mem": rand(_shape(T, False), dtype, 1)},
         lambda m, x, k: m(x["tgt"], x["mem"], tgt_mask=k["c"], memory_mask=k["c"],
                           tgt_is_causal=True, memory_is_causal=True),
         {"c": _causal(T, "float", dtype)})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_norm", [False, True])
def test_encoder_stack(dtype, with_norm):
    def factory(lib):
        layer = lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, batch_first=True)
        norm = lib.nn.LayerNorm(D) if with_norm else None
        return lib.nn.TransformerEncoder(layer, 3, norm, enable_nested_tensor=False)

    _run(dtype, factory, {"src": rand(_shape(S, True), dtype)},
         lambda m, x, k: m(x["src"], mask=k["mask"], src_key_padding_mask=k["pad"]),
         {"mask": _causal(S, "float", dtype), "pad": _pad(S).astype(dtype) * -1e9})


@pytest.mark.parametrize("dtype", DTYPES)
def test_encoder_stack_detects_causal_mask(dtype):
    def factory(lib):
        layer = lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0)
        return lib.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)

    _run(dtype, factory, {"src": rand(_shape(S, False), dtype)},
         lambda m, x, k: m(x["src"], mask=k["mask"]), {"mask": _causal(S, "float", dtype)})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_norm", [False, True])
def test_decoder_stack(dtype, with_norm):
    def factory(lib):
        layer = lib.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, norm_first=True)
        return lib.nn.TransformerDecoder(layer, 2, lib.nn.LayerNorm(D) if with_norm else None)

    _run(dtype, factory,
         {"tgt": rand(_shape(T, False), dtype, 0), "mem": rand(_shape(S, False), dtype, 1)},
         lambda m, x, k: m(x["tgt"], x["mem"], tgt_mask=k["c"],
                           memory_key_padding_mask=k["pad"]),
         {"c": _causal(T, "float", dtype), "pad": _pad(S)})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer(dtype, batch_first):
    def factory(lib):
        return lib.nn.Transformer(D, H, 2, 2, FF, dropout=0.0, batch_first=batch_first,
                                  activation="gelu")

    masks = {"tgt_mask": _causal(T, "float", dtype), "src_key_padding_mask": _pad(S),
             "memory_key_padding_mask": _pad(S)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's nested-tensor notice
        _run(dtype, factory,
             {"src": rand(_shape(S, batch_first), dtype, 0),
              "tgt": rand(_shape(T, batch_first), dtype, 1)},
             lambda m, x, k: m(x["src"], x["tgt"], **k), masks)


@pytest.mark.parametrize("dtype", DTYPES)
def test_transformer_unbatched_custom_parts(dtype):
    def factory(lib):
        enc = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(D, H, FF, 0.0), 1,
                                        enable_nested_tensor=False)
        dec = lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(D, H, FF, 0.0), 1)
        return lib.nn.Transformer(D, H, custom_encoder=enc, custom_decoder=dec, norm_first=True)

    _run(dtype, factory,
         {"src": rand((S, D), dtype, 0), "tgt": rand((T, D), dtype, 1)},
         lambda m, x, k: m(x["src"], x["tgt"], tgt_is_causal=False))


def test_generate_square_subsequent_mask():
    for sz in (1, 4):
        e = ember.nn.Transformer.generate_square_subsequent_mask(sz)
        t = torch.nn.Transformer.generate_square_subsequent_mask(sz)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        assert e.dtype == ember.float32
    e = ember.nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    assert e.dtype == ember.float64


def test_structure_matches_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tm = torch.nn.Transformer(D, H, 2, 1, FF)
        em = ember.nn.Transformer(D, H, 2, 1, FF)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert repr(em) == repr(tm)
    # every matrix is Xavier-uniform re-initialized: within its bound
    for name, p in em.named_parameters():
        if p.ndim > 1:
            bound = np.sqrt(6 / (p.shape[0] + p.shape[1]))
            assert np.abs(p.detach().numpy()).max() <= bound, name
    layers = em.encoder.layers
    assert layers[0].linear1.weight is not layers[1].linear1.weight


def test_dropout_training_and_eval():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tm, em = twin(lambda lib: lib.nn.TransformerEncoder(
            lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.5), 2), "float64")
    x = rand((S, N, D))
    tm.eval()
    em.eval()
    with torch.no_grad():
        te = tm(torch.tensor(x))
    ee = em(ember.tensor(x))
    np.testing.assert_allclose(ee.detach().numpy(), te.numpy(), rtol=1e-9, atol=1e-11)
    em.train()
    ember.manual_seed(0)
    a = em(ember.tensor(x)).detach().numpy()
    b = em(ember.tensor(x)).detach().numpy()
    assert not np.allclose(a, b)
    assert not np.allclose(a, ee.detach().numpy())


def test_nested_tensor_warning_matches_torch():
    for kw in ({}, {"batch_first": True}, {"batch_first": True, "norm_first": True},
               {"batch_first": True, "activation": ember.nn.functional.silu}):
        tkw = dict(kw)
        if "activation" in tkw:
            tkw["activation"] = torch.nn.functional.silu
        with warnings.catch_warnings(record=True) as t_rec:
            warnings.simplefilter("always")
            tm = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, H, FF, **tkw), 1)
        with warnings.catch_warnings(record=True) as e_rec:
            warnings.simplefilter("always")
            em = ember.nn.TransformerEncoder(ember.nn.TransformerEncoderLayer(D, H, FF, **kw), 1)
        assert [str(w.message) for w in e_rec] == [str(w.message) for w in t_rec]
        assert em.use_nested_tensor == tm.use_nested_tensor


def _errors():
    return [
        ("batch mismatch", lambda lib: _model(lib)(lib.zeros(S, N, D), lib.zeros(T, N + 1, D))),
        ("batch_first mismatch", lambda lib: _model(lib, batch_first=True)(
            lib.zeros(S, N, D), lib.zeros(T, N, D))),
        ("feature mismatch", lambda lib: _model(lib)(lib.zeros(S, N, D), lib.zeros(T, N, 6))),
        ("activation string", lambda lib: lib.nn.TransformerEncoderLayer(D, H,
                                                                         activation="tanh")),
        ("decoder activation string", lambda lib: lib.nn.TransformerDecoderLayer(
            D, H, activation="swish")),
        ("heads", lambda lib: lib.nn.TransformerEncoderLayer(D, 3)),
        ("encoder mask shape", lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF)(
            lib.zeros(S, N, D), src_mask=lib.zeros(S, S + 1))),
        ("padding mask dtype", lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF)(
            lib.zeros(S, N, D), src_key_padding_mask=lib.zeros(N, S, dtype=lib.int64))),
    ]


def _model(lib, **kw):
    lib.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return lib.nn.Transformer(D, H, 1, 1, FF, **kw)


ERRORS = _errors()


@pytest.mark.parametrize("name,call", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, call):
    with pytest.raises(Exception) as t_err:
        call(torch)
    with pytest.raises(type(t_err.value)) as e_err:
        call(ember)
    assert str(e_err.value).replace("ember.Size", "torch.Size") == str(t_err.value)


@pytest.mark.parametrize("left_aligned", [True, False])
@pytest.mark.parametrize("with_norm", [True, False])
def test_inference_with_padding_matches_torch_nested_path(left_aligned, with_norm):
    """Eval mode without autograd: torch runs on nested tensors and returns zeros at
    padded positions (before the final norm); in training or with grad it does not."""
    def factory(lib):
        layer = lib.nn.TransformerEncoderLayer(D, H, FF, batch_first=True)
        return lib.nn.TransformerEncoder(layer, 2, lib.nn.LayerNorm(D) if with_norm else None)

    tm, em = twin(factory, "float32")
    tm.eval()
    em.eval()
    x = rand((N, S, D), "float32")
    pad = np.zeros((N, S), dtype=bool)
    pad[0, 3:] = True
    pad[1, 4:] = True
    if not left_aligned:
        pad[2, 1] = True
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's nested-tensor prototype notice
        t = tm(torch.tensor(x), src_key_padding_mask=torch.tensor(pad)).numpy()
    with ember.no_grad():
        e = em(ember.tensor(x), src_key_padding_mask=ember.tensor(pad)).numpy()
    np.testing.assert_allclose(e, t, rtol=2e-4, atol=2e-5)
    # with autograd recording, both compute every position densely
    t = tm(torch.tensor(x), src_key_padding_mask=torch.tensor(pad)).detach().numpy()
    e = em(ember.tensor(x), src_key_padding_mask=ember.tensor(pad)).detach().numpy()
    np.testing.assert_allclose(e, t, rtol=2e-4, atol=2e-5)
    assert np.abs(e[0, 3:]).max() > 0


@pytest.mark.parametrize("stack", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_inference_with_fully_padded_sequence_matches_torch(stack, norm_first):
    """Eval mode without autograd: torch's fused layer gives NaN for a sequence whose
    positions are all padded (its nested-tensor stack gives zeros); ember matches both."""
    def factory(lib):
        layer = lib.nn.TransformerEncoderLayer(D, H, FF, batch_first=True,
                                               norm_first=norm_first)
        return lib.nn.TransformerEncoder(layer, 2) if stack else layer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tm, em = twin(factory, "float32")
    tm.eval()
    em.eval()
    x = rand((N, S, D), "float32")
    pad = np.zeros((N, S), dtype=bool)
    pad[0, 3:] = True
    pad[2, :] = True
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        t = tm(torch.tensor(x), src_key_padding_mask=torch.tensor(pad)).numpy()
    with ember.no_grad():
        e = em(ember.tensor(x), src_key_padding_mask=ember.tensor(pad)).numpy()
    np.testing.assert_allclose(e, t, rtol=2e-4, atol=2e-5, equal_nan=True)
