"""Parity of the functional activations with torch: values, input gradients, second
derivatives, every option, in-place variants and error messages."""

import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _layers_parity import FLOATS, Arg, F, arr, check, check_error  # noqa: E402

# name -> kwargs variants
POINTWISE = {
    "relu": [{}],
    "relu6": [{}],
    "elu": [{}, {"alpha": 0.5}],
    "selu": [{}],
    "celu": [{}, {"alpha": 2.0}],
    "gelu": [{}, {"approximate": "tanh"}],
    "silu": [{}],
    "mish": [{}],
    "hardtanh": [{}, {"min_val": -0.5, "max_val": 2.0}],
    "hardsigmoid": [{}],
    "hardswish": [{}],
    "hardshrink": [{}, {"lambd": 1.0}],
    "softshrink": [{}, {"lambd": 1.0}],
    "tanhshrink": [{}],
    "softsign": [{}],
    "softplus": [{}, {"beta": 2.0, "threshold": 3.0}],
    "leaky_relu": [{}, {"negative_slope": 0.2}],
    "logsigmoid": [{}],
    "sigmoid": [{}],
    "tanh": [{}],
    "threshold": [{"threshold": 0.3, "value": -2.0}],
    "rrelu": [{}, {"lower": 0.2, "upper": 0.4}],
}
INPLACE = ["relu", "relu6", "elu", "selu", "celu", "silu", "mish", "hardtanh", "hardsigmoid",
           "hardswish", "leaky_relu", "threshold", "rrelu"]
UNDERSCORE = {"relu_": {}, "elu_": {"alpha": 0.7}, "selu_": {}, "celu_": {"alpha": 1.5},
              "leaky_relu_": {"negative_slope": 0.3}, "hardtanh_": {"min_val": -0.5},
              "threshold_": {"threshold": 0.1, "value": 5.0}, "rrelu_": {}}
CASES = [(n, kw) for n, kws in POINTWISE.items() for kw in kws]


def _arr(dtype, shape=(3, 5, 4), seed=0, scale=4.0):
    a = arr(shape, dtype, -scale, scale, seed=seed)
    return a


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_pointwise_parity(name, kw, dtype):
    # torch has no double backward for hardsigmoid/hardswish; rrelu is random in training
    gradgrad = name not in ("rrelu", "hardsigmoid", "hardswish") and dtype == "float64"
    check(lambda lib, x: getattr(F(lib), name)(x, **kw), Arg(_arr(dtype)), gradgrad=gradgrad)


@pytest.mark.parametrize("name", ["relu", "gelu", "elu", "softplus", "hardswish"])
def test_pointwise_noncontiguous_and_0d(name):
    check(lambda lib, x: getattr(F(lib), name)(x.transpose(0, 1)), Arg(_arr("float32")))
    check(lambda lib, x: getattr(F(lib), name)(x), Arg(np.array(0.7, dtype="float32")))
    check(lambda lib, x: getattr(F(lib), name)(x), Arg(np.zeros((0, 3), dtype="float32")))


def test_boundary_gradients_follow_torch():
    # values exactly on the kinks, where the subgradient convention matters
    pts = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0], dtype="float64")
    for name, kw in [("relu", {}), ("relu6", {}), ("hardtanh", {}), ("hardsigmoid", {}),
                     ("hardswish", {}), ("hardshrink", {}), ("softshrink", {}),
                     ("leaky_relu", {}), ("elu", {}), ("threshold", {"threshold": 0.5,
                                                                     "value": 1.0})]:
        check(lambda lib, x, n=name, k=kw: getattr(F(lib), n)(x, **k), Arg(pts))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", INPLACE)
def test_inplace_flag(name, dtype):
    kw = POINTWISE[name][-1]

    def fn(lib, x):
        y = x * 1  # a non-leaf so in-place is allowed under autograd
        out = getattr(F(lib), name)(y, inplace=True, **kw)
        assert out is y
        return out

    if name == "rrelu":  # eval mode: deterministic
        check(fn, Arg(_arr(dtype)))
    else:
        check(fn, Arg(_arr(dtype)))


@pytest.mark.parametrize("name", list(UNDERSCORE))
def test_underscore_variants(name):
    kw = UNDERSCORE[name]

    def fn(lib, x):
        y = x * 1
        out = getattr(F(lib), name)(y, **kw)
        assert out is y
        return out

    check(fn, Arg(_arr("float64")))


def test_inplace_on_leaf_requiring_grad_raises():
    check_error(lambda lib, x: F(lib).relu(x, inplace=True), Arg(_arr("float32")),
                match="leaf Variable")


def test_inplace_without_grad_writes_input():
    x = ember.tensor([-1.0, 2.0])
    F(ember).relu_(x)
    assert x.tolist() == [0.0, 2.0]
    F(ember).elu(x, inplace=True)
    assert x.tolist() == [0.0, 2.0]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("wshape", [(1,), (5,), ()])
def test_prelu(wshape, dtype):
    w = arr(wshape, dtype, 0.05, 0.5, seed=3)
    check(lambda lib, x, w: F(lib).prelu(x, w), Arg(_arr(dtype)), Arg(w),
          gradgrad=dtype == "float64")


def test_prelu_1d_input_and_errors():
    check(lambda lib, x, w: F(lib).prelu(x, w), Arg(_arr("float32", (6,))),
          Arg(np.array([0.3], dtype="float32")))
    check_error(lambda lib, x, w: F(lib).prelu(x, w), Arg(_arr("float32")),
                Arg(np.ones(3, "float32")), match="parameter numbers = 3 and channel size = 5")
    check_error(lambda lib, x, w: F(lib).prelu(x, w), Arg(_arr("float32")),
                Arg(np.ones((5, 1), "float32")), match="prelu.*ndim = 2")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_glu(dim, dtype):
    check(lambda lib, x: F(lib).glu(x, dim), Arg(_arr(dtype, (4, 6, 2))),
          gradgrad=dtype == "float64")


def test_glu_errors():
    check_error(lambda lib, x: F(lib).glu(x), Arg(_arr("float32", (3, 5))),
                match="Halving dimension must be even, but dimension 1 is size 5")
    check_error(lambda lib, x: F(lib).glu(x), Arg(np.array(1.0, "float32")),
                match="glu does not support scalars")


def test_rrelu_training_statistics():
    lower, upper = 0.1, 0.3
    x = ember.full((20000,), -1.0, requires_grad=True)
    y = F(ember).rrelu(x, lower, upper, training=True)
    slopes = -y.detach().numpy()
    assert slopes.min() >= lower and slopes.max() <= upper
    assert abs(slopes.mean() - (lower + upper) / 2) < 0.005
    assert abs(slopes.std() - (upper - lower) / np.sqrt(12)) < 0.005
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)  # the gradient is the drawn slope
    pos = ember.tensor([1.0, 2.0])
    assert F(ember).rrelu(pos, training=True).tolist() == [1.0, 2.0]


def test_errors():
    check_error(lambda lib, x: F(lib).gelu(x, approximate="erf"), Arg(_arr("float32")),
                match="approximate argument must be either none or tanh")
    check_error(lambda lib, x: F(lib).hardtanh(x, 2.0, 1.0), Arg(_arr("float32")),
                match="min_val cannot be greater than max_val")
    check_error(lambda lib, x: F(lib).softshrink(x, -1.0), Arg(_arr("float32")),
                match="softshrink.*lambda must be in range")
    check_error(lambda lib, x: F(lib).celu(x, 0.0), Arg(_arr("float32")),
                match="alpha cannot be 0 for CELU")
    check_error(lambda lib, x: F(lib).gelu(x), Arg(np.array([1, 2]), grad=False),
                match="gelu.*not implemented for 'Long'")


@pytest.mark.parametrize("name", ["relu", "relu6", "hardtanh", "threshold"])
def test_integer_inputs(name):
    kw = {"threshold": 0, "value": 5} if name == "threshold" else {}
    check(lambda lib, x: getattr(F(lib), name)(x, **kw), Arg(np.array([-3, 0, 2, 7]),
                                                          grad=False), grad=False)
