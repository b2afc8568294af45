"""Activation, softmax, linear and shape Modules against torch: outputs, gradients of
inputs and parameters, train and eval modes, both float dtypes, reprs and errors."""

import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _layers_parity import (  # noqa: E402
    FLOATS,
    Arg,
    arr,
    check,
    check_error,
    check_module,
    per_element,
    special_values,
)

# (class name, args, kwargs)
ACTIVATIONS = [
    ("ELU", (), {}), ("ELU", (0.5,), {}), ("Hardshrink", (), {}), ("Hardshrink", (1.0,), {}),
    ("Hardsigmoid", (), {}), ("Hardtanh", (), {}), ("Hardtanh", (-0.5, 2.0), {}),
    ("Hardswish", (), {}), ("LeakyReLU", (), {}), ("LeakyReLU", (0.2,), {}),
    ("LogSigmoid", (), {}), ("ReLU", (), {}), ("ReLU6", (), {}), ("SELU", (), {}),
    ("CELU", (), {}), ("CELU", (2.0,), {}), ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}), ("Sigmoid", (), {}), ("SiLU", (), {}),
    ("Mish", (), {}), ("Softplus", (), {}), ("Softplus", (2.0, 3.0), {}),
    ("Softshrink", (), {}), ("Softshrink", (1.0,), {}), ("Softsign", (), {}), ("Tanh", (), {}),
    ("Tanhshrink", (), {}), ("Threshold", (0.3, -2.0), {}), ("GLU", (), {}),
    ("GLU", (1,), {}), ("Softmin", (1,), {}), ("Softmax", (-1,), {}), ("Softmax2d", (), {}),
    ("LogSoftmax", (2,), {}), ("RReLU", (0.1, 0.3), {}), ("Identity", (3,), {"x": 1}),
    ("Flatten", (), {}), ("Flatten", (0, 1), {}), ("Unflatten", (1, (2, 3)), {}),
]
INPLACE = ["ELU", "Hardsigmoid", "Hardtanh", "Hardswish", "LeakyReLU", "ReLU", "ReLU6", "SELU",
           "CELU", "SiLU", "Mish", "RReLU"]
IDS = [f"{n}-{i}" for i, (n, _, _) in enumerate(ACTIVATIONS)]


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,args,kw", ACTIVATIONS, ids=IDS)
def test_activation_module(name, args, kw, dtype, train):
    if name == "RReLU" and train:
        return  # random in training: see test_rrelu_module_training
    x = arr((2, 6, 3, 4), dtype, -4, 4)
    e_mod, t_mod = check_module(lambda lib: getattr(lib.nn, name)(*args, **kw), Arg(x),
                                train=train)
    assert repr(e_mod) == repr(t_mod)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_modules(name):
    def make(lib):
        mod = getattr(lib.nn, name)(inplace=True)
        return lib.nn.Sequential(lib.nn.Identity(), _Scale(lib), mod)

    e_mod, t_mod = check_module(make, Arg(arr((3, 4), "float64", -4, 4)), train=False)
    assert repr(e_mod[2]) == repr(t_mod[2])
    x = ember.tensor([-1.0, 2.0])
    mod = getattr(ember.nn, name)(inplace=True).eval()
    assert mod(x) is x


def _Scale(lib):  # noqa: N802
    class Scale(lib.nn.Module):
        def forward(self, x):
            return x * 1.0

    return Scale()


# the elementwise activations: every module of ACTIVATIONS but the softmaxes, GLU and shapes
POINTWISE = [(n, a, k) for n, a, k in ACTIVATIONS
             if n not in ("GLU", "Softmin", "Softmax", "Softmax2d", "LogSoftmax", "Identity",
                          "Flatten", "Unflatten")] + [("PReLU", (), {})]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,args,kw", POINTWISE,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(POINTWISE)])
def test_activation_module_special_values(name, args, kw, dtype):
    # NaN, infinities, signed zeros and kinks, in eval mode (RReLU's fixed slope); torch's
    # reference one element at a time (see per_element)
    x = special_values(dtype, tuple(v for v in args if isinstance(v, float)))

    def call(lib, t):
        mod = getattr(lib.nn, name)(*args, **kw).to(getattr(lib, dtype)).eval()
        return mod(t)

    check(lambda lib, t: per_element(lib, call, t), Arg(x))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", INPLACE)
def test_inplace_module_special_values(name, dtype):
    def call(lib, t):
        y = t * 1.0
        out = getattr(lib.nn, name)(inplace=True).eval()(y)
        assert out is y
        return out

    check(lambda lib, t: per_element(lib, call, t), Arg(special_values(dtype)))


def test_rrelu_module_training():
    m = ember.nn.RReLU(0.1, 0.3)
    x = ember.full((5000,), -1.0)
    slopes = -m(x).numpy()
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and slopes.std() > 0.03
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), -0.2)
    assert repr(m) == repr(torch.nn.RReLU(0.1, 0.3))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [1, 6])
def test_prelu_module(n, dtype):
    def make(lib):
        return lib.nn.PReLU(n, init=0.1, dtype=getattr(lib, dtype))

    e_mod, t_mod = check_module(make, Arg(arr((2, 6, 3), dtype, -3, 3)))
    assert repr(e_mod) == repr(t_mod)
    np.testing.assert_allclose(make(ember).weight.detach().numpy(), np.full(n, 0.1))
    assert [n for n, _ in e_mod.named_parameters()] == ["weight"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5)])
def test_linear_module(shape, bias, dtype):
    def make(lib):
        return lib.nn.Linear(5, 4, bias=bias, dtype=getattr(lib, dtype))

    e_mod, t_mod = check_module(make, Arg(arr(shape, dtype)))
    assert repr(e_mod) == repr(t_mod)
    assert [n for n, _ in e_mod.named_parameters()] == [n for n, _ in t_mod.named_parameters()]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("lead", [(), (3,), (2, 3)])
def test_bilinear_module(lead, bias, dtype):
    def make(lib):
        return lib.nn.Bilinear(4, 5, 3, bias=bias, dtype=getattr(lib, dtype))

    e_mod, t_mod = check_module(make, Arg(arr(lead + (4,), dtype)),
                                Arg(arr(lead + (5,), dtype, seed=1)))
    assert repr(e_mod) == repr(t_mod)


def test_linear_init_statistics():
    m = ember.nn.Linear(400, 300)
    w = m.weight.detach().numpy()
    bound = 1 / np.sqrt(400)
    assert np.abs(w).max() <= bound and abs(w.std() - bound / np.sqrt(3)) < 2e-3
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    b = ember.nn.Bilinear(100, 7, 50).weight.detach().numpy()
    assert np.abs(b).max() <= 0.1 and b.std() > 0.05


def test_linear_errors():
    check_error(lambda lib, x: lib.nn.Linear(4, 2)(x), Arg(arr((3, 5))),
                match=r"linear.*\(3x5 and 4x2\).*5 features.*expects 4")
    check_error(lambda lib, x: lib.nn.Linear(4, 2, dtype=lib.float64)(x), Arg(arr((3, 4))),
                match="linear.*same dtype.*float != double")
    check_error(lambda lib, x, y: lib.nn.Bilinear(4, 6, 2)(x, y), Arg(arr((3, 4))),
                Arg(arr((3, 5))), match="input2 size does not match weight size: got 5 but "
                                        "expected 6")
    check_error(lambda lib, x, y: lib.nn.Bilinear(4, 5, 2)(x, y), Arg(arr((3, 4))),
                Arg(arr((2, 5))), match="batch dimensions do not match at dim 0: got 3 and 2")


def test_shape_module_errors_and_reprs():
    for make in (lambda lib: lib.nn.Unflatten(1, 5), lambda lib: lib.nn.Unflatten(1, (2, 2.0))):
        with pytest.raises(TypeError) as t_err:
            make(torch)
        with pytest.raises(TypeError) as e_err:
            make(ember)
        assert str(e_err.value) == str(t_err.value)
    check_error(lambda lib: lib.nn.Hardtanh(1.0, 0.5), match="max_val")
    check_error(lambda lib, x: lib.nn.Softmax2d()(x), Arg(arr((3, 3))),
                match="Softmax2d: expected input to be 3D or 4D, got 2D instead")
    for name in ("Softmax", "Softmin", "LogSoftmax"):
        assert repr(getattr(ember.nn, name)()) == repr(getattr(torch.nn, name)())


def test_softmax_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = ember.nn.Softmax()(ember.zeros(2, 4))
    np.testing.assert_allclose(out.numpy(), 0.25)


def test_more_constructor_options():
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        e_mod = ember.nn.Hardtanh(min_value=-0.5)
    with pytest.warns(FutureWarning, match="`max_value` is deprecated"):
        e_mod2 = ember.nn.Hardtanh(max_value=2.0)
    assert (e_mod.min_val, e_mod2.max_val) == (-0.5, 2.0)
    assert repr(e_mod) == "Hardtanh(min_val=-0.5, max_val=1.0)"
    for args in ((0.5, 2.0, True), (-1.0, 0.0)):
        e, t = check_module(lambda lib, a=args: lib.nn.Sequential(_Scale(lib),
                                                                  lib.nn.Threshold(*a)),
                            Arg(arr((3, 4), "float64")))
        assert repr(e) == repr(t)
    check_module(lambda lib: lib.nn.Softmax2d(), Arg(arr((3, 4, 5), "float64")))
    check_module(lambda lib: lib.nn.Unflatten(-1, (2, -1)), Arg(arr((3, 4, 6), "float64")))
    check_module(lambda lib: lib.nn.Unflatten(0, [3, 1]), Arg(arr((3, 4), "float64")))
    check_module(lambda lib: lib.nn.Flatten(-2, -1), Arg(arr((3, 4, 5), "float64")))
    check_module(lambda lib: lib.nn.GELU("tanh"), Arg(arr((3, 4), "float64")))
    w = arr((4, 3), "float64")
    for freeze in (False, True):
        e = ember.nn.Embedding(4, 3, _weight=ember.tensor(w), _freeze=freeze)
        t = torch.nn.Embedding(4, 3, _weight=torch.tensor(w), _freeze=freeze)
        assert e.weight.requires_grad == t.weight.requires_grad
        np.testing.assert_allclose(e.weight.detach().numpy(), w)
    bag = ember.nn.EmbeddingBag(4, 3, _weight=ember.tensor(w), mode="sum")
    np.testing.assert_allclose(bag(ember.tensor([[0, 1]])).detach().numpy(), w[:2].sum(0)[None])
    check_error(lambda lib: lib.nn.Embedding(4, 2, _weight=lib.zeros(3, 2)),
                match="Shape of weight does not match")
