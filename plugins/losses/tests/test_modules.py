"""The loss Modules and AdaptiveLogSoftmaxWithLoss against torch; the plugin's names."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from losses_parity import G, assert_close, check, check_error, ints, rand  # noqa: E402

import ember  # noqa: E402
import ember_losses  # noqa: E402
from ember_losses.plugin import FUNCTIONS, MODULES  # noqa: E402

DTYPES = ["float32", "float64"]

# (class name, constructor kwargs (arrays become tensors), inputs builder)
X, Y = rand((4, 5), "float32"), rand((4, 5), "float32", seed=2)
P = rand((4, 5), "float32", 0.05, 0.95, seed=3)
T = ints(4, 5)
SIGNS = np.array([1.0, -1.0, 1.0, -1.0], np.float32)
CASES = [
    ("L1Loss", {}, lambda: (G(X), G(Y))),
    ("MSELoss", {"reduction": "sum"}, lambda: (G(X), G(Y))),
    ("CrossEntropyLoss", {"weight": np.linspace(0.5, 2, 5).astype(np.float32),
                          "label_smoothing": 0.1, "ignore_index": 1}, lambda: (G(X), T)),
    ("NLLLoss", {"weight": np.linspace(0.5, 2, 5).astype(np.float32)}, lambda: (G(X), T)),
    ("PoissonNLLLoss", {"log_input": False, "full": True}, lambda: (G(P * 3), G(Y * Y * 2))),
    ("GaussianNLLLoss", {"full": True, "eps": 1e-4}, lambda: (G(X), G(Y), G(P))),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, lambda: (G(X), G(Y))),
    ("BCELoss", {"weight": np.linspace(0.5, 2, 5).astype(np.float32)},
     lambda: (G(P), G(P[::-1].copy()))),
    ("BCEWithLogitsLoss", {"pos_weight": np.linspace(0.5, 2, 5).astype(np.float32)},
     lambda: (G(X), P)),
    ("MarginRankingLoss", {"margin": 0.2}, lambda: (G(X[:, 0]), G(Y[:, 0]), SIGNS)),
    ("HingeEmbeddingLoss", {"margin": 0.5}, lambda: (G(X[:, 0]), SIGNS)),
    ("MultiLabelMarginLoss", {}, lambda: (G(X), np.array([[1, 2, -1, 0, 0]] * 4))),
    ("HuberLoss", {"delta": 0.7}, lambda: (G(X), G(Y))),
    ("SmoothL1Loss", {"beta": 0.4}, lambda: (G(X), G(Y))),
    ("SoftMarginLoss", {}, lambda: (G(X[:, 0]), SIGNS)),
    ("MultiLabelSoftMarginLoss", {"weight": np.linspace(0.5, 2, 5).astype(np.float32)},
     lambda: (G(X), (P > 0.5).astype(np.float32))),
    ("CosineEmbeddingLoss", {"margin": 0.1}, lambda: (G(X), G(Y), SIGNS)),
    ("MultiMarginLoss", {"p": 2, "margin": 0.8}, lambda: (G(X), T)),
    ("TripletMarginLoss", {"margin": 0.5, "p": 1.0, "swap": True},
     lambda: (G(X), G(Y), G(P))),
    ("TripletMarginWithDistanceLoss", {"margin": 2.0, "swap": True},
     lambda: (G(X), G(Y), G(P))),
]


def build(lib, name, kwargs):
    kw = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return getattr(lib.nn, name)(**kw)


@pytest.mark.parametrize("name,kwargs,inputs", CASES, ids=[c[0] for c in CASES])
def test_module_matches_torch(name, kwargs, inputs):
    check(lambda lib, *a: build(lib, name, kwargs)(*a), *inputs())
    e_mod, t_mod = build(ember, name, kwargs), build(torch, name, kwargs)
    assert repr(e_mod) == repr(t_mod)
    assert sorted(e_mod.state_dict()) == sorted(t_mod.state_dict())
    assert e_mod.reduction == t_mod.reduction


def test_weight_buffers_follow_the_module():
    w = ember.tensor([1.0, 2.0, 3.0])
    loss = ember.nn.CrossEntropyLoss(weight=w).double()
    assert loss.weight.dtype == ember.float64
    assert [n for n, _ in loss.named_buffers()] == ["weight"]
    bce = ember.nn.BCEWithLogitsLoss(weight=w, pos_weight=w * 2)
    assert [n for n, _ in bce.named_buffers()] == ["weight", "pos_weight"]
    assert ember.nn.NLLLoss().weight is None


def test_legacy_flags_in_modules():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert ember.nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert ember.nn.NLLLoss(reduce=False).reduction == "none"


def test_module_argument_errors():
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        ember.nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="expected weight to be None or 1D"):
        ember.nn.MultiMarginLoss(weight=ember.ones(2, 2))
    with pytest.raises(ValueError, match="greater than 0"):
        ember.nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError, match="greater than 0"):
        ember.nn.TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(TypeError, match="delta must be a float or int"):
        ember.nn.HuberLoss(delta="1")


def test_namespace_registration():
    for name in MODULES:
        assert getattr(ember.nn, name) is getattr(ember_losses, name)
    for name in FUNCTIONS:
        assert getattr(ember.nn.functional, name) is getattr(ember_losses, name)
    assert set(MODULES) <= set(dir(ember.nn))
    assert set(FUNCTIONS) <= set(dir(ember.nn.functional))
    assert len(MODULES) == 22 and len(FUNCTIONS) == 21
    for name in [*MODULES, *FUNCTIONS]:
        assert getattr(ember_losses, name).__doc__


# ---------------------------------------------------------------------------------------
# AdaptiveLogSoftmaxWithLoss
# ---------------------------------------------------------------------------------------


def adaptive_pair(dtype, head_bias, div_value=2.0, cutoffs=(3, 6, 9), seed=0):
    torch.manual_seed(seed)
    t_mod = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 12, list(cutoffs), div_value=div_value,
                                                head_bias=head_bias)
    t_mod = t_mod.to(getattr(torch, dtype))
    e_mod = ember.nn.AdaptiveLogSoftmaxWithLoss(8, 12, list(cutoffs), div_value=div_value,
                                                head_bias=head_bias,
                                                dtype=getattr(ember, dtype))
    state = {k: ember.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()}
    e_mod.load_state_dict(state)
    return e_mod, t_mod


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_forward_backward(dtype, head_bias):
    e_mod, t_mod = adaptive_pair(dtype, head_bias)
    assert repr(e_mod) == repr(t_mod)
    x = rand((7, 8), dtype)
    target = np.array([0, 4, 11, 2, 7, 9, 5])
    e_x, t_x = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e_out = e_mod(e_x, ember.tensor(target))
    t_out = t_mod(t_x, torch.tensor(target))
    assert_close(e_out.output, t_out.output, {"rtol": 1e-5, "atol": 1e-6}, "output")
    assert_close(e_out.loss, t_out.loss, {"rtol": 1e-5, "atol": 1e-6}, "loss")
    e_out.loss.backward()
    t_out.loss.backward()
    assert_close(e_x.grad, t_x.grad, {"rtol": 1e-4, "atol": 1e-6}, "input grad")
    e_params = dict(e_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        assert_close(e_params[name].grad, p.grad, {"rtol": 1e-4, "atol": 1e-6}, name)


@pytest.mark.parametrize("dtype", DTYPES)
def test_adaptive_log_prob_predict_unbatched(dtype):
    e_mod, t_mod = adaptive_pair(dtype, True, div_value=2.0, cutoffs=(2, 5))
    x = rand((9, 8), dtype, -3, 3)
    assert_close(e_mod.log_prob(ember.tensor(x)), t_mod.log_prob(torch.tensor(x)),
                 {"rtol": 1e-5, "atol": 1e-6}, "log_prob")
    np.testing.assert_array_equal(e_mod.predict(ember.tensor(x)).numpy(),
                                  t_mod.predict(torch.tensor(x)).numpy())
    e_one = e_mod(ember.tensor(x[0]), ember.tensor(7))
    t_one = t_mod(torch.tensor(x[0]), torch.tensor(7))
    assert_close(e_one.output, t_one.output, {"rtol": 1e-5, "atol": 1e-6}, "unbatched")


def test_adaptive_errors():
    with pytest.raises(ValueError, match="larger than 0"):
        ember.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [])
    for bad in ([5, 3], [0, 3], [3, 10], [3, 3], [2.5]):
        with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
            ember.nn.AdaptiveLogSoftmaxWithLoss(8, 10, bad)
    mod = ember.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4])
    t_mod = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4])
    x = rand((3, 8), "float32")
    bad_calls = [(x, np.array([0, 1, 10])), (x, np.array([0, 1])), (x[0], np.array([1, 2])),
                 (x, np.array(1)), (x, np.zeros((3, 1), np.int64))]
    for inp, tgt in bad_calls:
        check_error(lambda lib, a, b: (mod if lib is ember else t_mod)(a, b).loss, inp, tgt)
