"""Parity of the functional activations with torch: values, input gradients, second
derivatives, every option, in-place variants and error messages."""

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
    F,
    arr,
    check,
    check_error,
    per_element,
    special_values,
)

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
# torch has no second derivative of hardsigmoid
NO_GRADGRAD = {"hardsigmoid"}


def _arr(dtype, shape=(3, 5, 4), seed=0, scale=4.0):
    a = arr(shape, dtype, -scale, scale, seed=seed)
    return a


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_pointwise_parity(name, kw, dtype):
    gradgrad = name not in NO_GRADGRAD and dtype == "float64"
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


# -- NaN, infinities, signed zeros and kinks -------------------------------------------------

# variants whose special values need options of their own: softplus with a threshold above
# exp's overflow (torch's gradient is then NaN there), a hardtanh band of width 0
SPECIAL_CASES = CASES + [("softplus", {"threshold": 1000.0}),
                         ("hardtanh", {"min_val": 0.0, "max_val": 0.0})]
INPLACE_CASES = ([(n, "inplace", kw) for n in INPLACE for kw in POINTWISE[n]]
                 + [(n, "underscore", kw) for n, kw in UNDERSCORE.items()])


def _first_grad(call):
    """``(lib, x, g) -> g . d call(x) / dx``, kept differentiable: :func:`check` then
    compares the first derivative as an output and the second derivatives, in ``x`` and in
    the incoming gradient ``g``, as its gradients."""
    def fn(lib, x, g):
        (gx,) = lib.autograd.grad(per_element(lib, call, x), x, g, create_graph=True)
        return gx
    return fn


def _check_special(call, dtype, gradgrad, extra=()):
    x = special_values(dtype, extra)
    check(lambda lib, t: per_element(lib, call, t), Arg(x))
    if gradgrad:
        g = np.random.default_rng(5).uniform(-1, 1, x.shape).astype(dtype)
        check(_first_grad(call), Arg(x), Arg(g))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,kw", SPECIAL_CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(SPECIAL_CASES)])
def test_special_values(name, kw, dtype):
    # values, first and second derivatives (in the input and in the incoming gradient)
    extra = tuple(v for v in kw.values() if isinstance(v, float))  # the variant's kinks
    _check_special(lambda lib, x: getattr(F(lib), name)(x, **kw), dtype,
                   name not in NO_GRADGRAD, extra)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,form,kw", INPLACE_CASES,
                         ids=[f"{n}-{f}-{i}" for i, (n, f, _) in enumerate(INPLACE_CASES)])
def test_special_values_inplace(name, form, kw, dtype):
    def call(lib, x):
        y = x * 1  # a non-leaf, so it may be overwritten under autograd
        if form == "inplace":
            out = getattr(F(lib), name)(y, inplace=True, **kw)
        else:
            out = getattr(F(lib), name)(y, **kw)
        assert out is y
        return out

    base = name.rstrip("_")
    extra = tuple(v for v in kw.values() if isinstance(v, float))
    _check_special(call, dtype, base not in NO_GRADGRAD, extra)


@pytest.mark.parametrize("dtype", FLOATS)
def test_rrelu_training_special_values(dtype):
    # NaN and positive inputs keep the slope 1 in training too, so these are deterministic
    x = np.array([np.nan, np.inf, 2.0, 1e-30], dtype=dtype)
    for inplace in (False, True):
        check(lambda lib, t, i=inplace: F(lib).rrelu(t * 1, training=True, inplace=i), Arg(x))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("w", [[0.25], [0.0], [-1.5], [np.nan], [np.inf], [-np.inf]])
def test_prelu_special_values(w, dtype):
    # the input's gradient is a select (no NaN from the slope on the positive side), the
    # weight's is 0 for positive inputs even when they are infinite; torch's second
    # derivatives treat x == 0 as the positive side
    x = special_values(dtype)
    wa = np.array(w, dtype=dtype)
    g = np.random.default_rng(5).uniform(-1, 1, x.shape).astype(dtype)
    for xs in ([v] for v in x):  # one element each: the weight's gradient sums over them
        check(lambda lib, t, wt: F(lib).prelu(t, wt), Arg(np.array(xs, dtype)), Arg(wa))

    def first(lib, t, wt, gt):
        return lib.autograd.grad(F(lib).prelu(t, wt), (t, wt), gt, create_graph=True)

    finite = x[np.isfinite(x)]
    check(first, Arg(finite), Arg(wa), Arg(g[:finite.size]))
    check(first, Arg(x), Arg(np.array([0.25], dtype)), Arg(g))


@pytest.mark.parametrize("dtype", FLOATS)
def test_prelu_channels_special_values(dtype):
    v = special_values(dtype)
    x = np.stack([v, v], axis=1)  # every value in both channels
    w = np.array([0.3, -np.inf], dtype=dtype)
    g = np.random.default_rng(5).uniform(-1, 1, x.shape).astype(dtype)
    check(lambda lib, t, wt: F(lib).prelu(t, wt), Arg(x), Arg(w))
    check(lambda lib, t, wt, gt: lib.autograd.grad(F(lib).prelu(t, wt), t, gt,
                                                   create_graph=True)[0],
          Arg(x), Arg(w), Arg(g))


@pytest.mark.parametrize("dtype", FLOATS)
def test_glu_special_values(dtype):
    # every (a, b) pair of special values: a * sigmoid(b) and its derivatives, where torch's
    # second derivative in b is +-inf (one product) for an infinite a
    v = special_values(dtype)
    a, b = np.meshgrid(v, v)
    x = np.stack([a.ravel(), b.ravel()])
    g = np.random.default_rng(5).uniform(-1, 1, (1, x.shape[1])).astype(dtype)
    check(lambda lib, t: F(lib).glu(t, 0), Arg(x))
    check(lambda lib, t, gt: lib.autograd.grad(F(lib).glu(t, 0), t, gt, create_graph=True)[0],
          Arg(x), Arg(g))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["softmax", "softmin", "log_softmax"])
def test_softmax_family_special_rows(name, dtype):
    # rows holding NaN, infinities of either sign, all -inf, and a huge spread
    rows = np.array([[np.nan, 1.0, 2.0], [np.inf, 1.0, 2.0], [-np.inf, 1.0, 2.0],
                     [np.inf, np.inf, 1.0], [-np.inf, -np.inf, -np.inf], [np.inf, -np.inf, 0.0],
                     [0.0, -0.0, 1e3], [1e3, -1e3, 0.0]], dtype=dtype)
    check(lambda lib, t: getattr(F(lib), name)(t, dim=1), Arg(rows), gradgrad=True)
    check(lambda lib, t: getattr(F(lib), name)(t, dim=0), Arg(rows.T.copy()), gradgrad=True)
