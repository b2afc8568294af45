"""Parity of elementwise ops and operators with torch: values, gradients, second
derivatives, broadcasting and type promotion."""

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _parity import FLOATS, Arg, arr, check  # noqa: E402

import ember  # noqa: E402

# name -> (low, high) of a domain where the function and its derivatives are smooth
UNARY = {
    "neg": (-2, 2), "abs": (-2, 2), "sign": (-2, 2), "exp": (-2, 2), "exp2": (-2, 2),
    "expm1": (-2, 2), "log": (0.2, 3), "log2": (0.2, 3), "log10": (0.2, 3), "log1p": (-0.5, 2),
    "sqrt": (0.2, 3), "rsqrt": (0.2, 3), "square": (-2, 2), "reciprocal": (0.3, 2),
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1, 1), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
    "atan": (-2, 2), "sinh": (-2, 2), "cosh": (-2, 2), "tanh": (-2, 2), "asinh": (-2, 2),
    "acosh": (1.2, 3), "atanh": (-0.9, 0.9), "sigmoid": (-3, 3), "logit": (0.1, 0.9),
    "erf": (-2, 2), "erfc": (-2, 2), "erfinv": (-0.9, 0.9), "floor": (-3, 3),
    "ceil": (-3, 3), "round": (-3, 3), "trunc": (-3, 3), "frac": (-3, 3), "relu": (-2, 2),
    "isnan": (-2, 2), "isinf": (-2, 2), "isfinite": (-2, 2), "nan_to_num": (-2, 2),
    "positive": (-2, 2), "sgn": (-2, 2), "signbit": (-2, 2), "deg2rad": (-2, 2),
    "rad2deg": (-2, 2), "fix": (-3, 3), "negative": (-2, 2), "absolute": (-2, 2),
    "arcsin": (-0.9, 0.9), "arctan": (-2, 2), "arccos": (-0.9, 0.9), "arcsinh": (-2, 2),
    "arccosh": (1.2, 3), "arctanh": (-0.9, 0.9),
}

SHAPES = [(3, 4), (), (0, 3), (2, 1, 3)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_function_and_method(name, dtype):
    lo, hi = UNARY[name]
    x = Arg(arr((3, 4), dtype, lo, hi))
    check(lambda m, x: getattr(m, name)(x), x, gradgrad=True)
    check(lambda m, x: getattr(x, name)(), Arg(arr((2, 3), dtype, lo, hi, seed=3)))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["exp", "sin", "tanh", "sigmoid", "abs", "sqrt", "log"])
def test_unary_shapes_and_layouts(name, shape):
    lo, hi = UNARY[name]
    for layout in ("contig", "noncontig", "T"):
        check(lambda m, x: getattr(m, name)(x), Arg(arr(shape, "float64", lo, hi), layout=layout))


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
@pytest.mark.parametrize("name", ["neg", "abs", "sign", "exp", "sqrt", "sin", "floor", "round",
                                  "isnan", "isfinite", "sigmoid", "logical_not", "square",
                                  "bitwise_not", "trunc", "ceil", "reciprocal"])
def test_unary_integer_and_bool(name, dtype):
    x = Arg(arr((2, 3), dtype, 0, 5))
    try:
        getattr(torch, name)(x.build(torch))
    except (RuntimeError, NotImplementedError):
        from _parity import check_error

        check_error(lambda m, x: getattr(m, name)(x), x)
        return
    check(lambda m, x: getattr(m, name)(x), x)


def test_round_decimals_and_special_values():
    x = Arg(arr((5,), "float64", -100, 100))
    check(lambda m, x: m.round(x, decimals=2), x)
    check(lambda m, x: m.round(x, decimals=-1), x)
    check(lambda m, x: m.round(x), Arg([0.5, 1.5, 2.5, -0.5, -1.5]))
    special = Arg([float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1.0])
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit", "nan_to_num",
                 "sign", "abs", "exp", "relu"):
        check(lambda m, x, name=name: getattr(m, name)(x), special, grad=False)
    check(lambda m, x: m.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-3.0), special, grad=False)


def test_relu_special_values_and_their_gradients():
    # -0.0 stays -0.0, and a NaN result lets the gradient through (zero only where <= 0)
    for dtype in FLOATS:
        x = Arg(np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.0], dtype=dtype))
        check(lambda m, x: m.relu(x), x)


BINARY = {
    "add": (-2, 2), "sub": (-2, 2), "mul": (-2, 2), "div": (0.5, 2), "true_divide": (0.5, 2),
    "pow": (0.5, 2), "maximum": (-2, 2), "minimum": (-2, 2), "fmax": (-2, 2),
    "fmin": (-2, 2), "atan2": (0.5, 2), "fmod": (0.5, 3), "remainder": (0.5, 3),
    "hypot": (0.5, 2), "logaddexp": (-2, 2), "logaddexp2": (-2, 2), "xlogy": (0.5, 2),
    "copysign": (-2, 2), "multiply": (-2, 2), "subtract": (-2, 2), "divide": (0.5, 2),
    "float_power": (0.5, 2), "floor_divide": (0.5, 3),
}

BCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((3, 4), ()), ((), (3,)),
         ((0, 4), (4,))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_function(name, dtype):
    lo, hi = BINARY[name]
    a = Arg(arr((3, 4), dtype, lo, hi, seed=0))
    b = Arg(arr((3, 4), dtype, lo, hi, seed=1))
    check(lambda m, a, b: getattr(m, name)(a, b), a, b, grad=name != "floor_divide",
          gradgrad=name not in ("fmod", "remainder"))


@pytest.mark.parametrize("shapes", BCAST)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "maximum", "atan2",
                                  "remainder", "hypot", "xlogy"])
def test_binary_broadcasting(name, shapes):
    lo, hi = BINARY[name]
    a = Arg(arr(shapes[0], "float64", lo, hi, seed=0), layout="noncontig")
    b = Arg(arr(shapes[1], "float64", lo, hi, seed=1))
    check(lambda m, a, b: getattr(m, name)(a, b), a, b)
    check(lambda m, a, b: getattr(m, name)(b, a), a, b)


@pytest.mark.parametrize("name", ["neg", "abs", "floor", "round", "trunc", "ceil"])
def test_unsupported_bool_unary_raises(name):
    from _parity import check_error

    check_error(lambda m, x: getattr(m, name)(x), Arg(arr(3, "bool")), match="Bool|bool")


@pytest.mark.parametrize("scalar", [2, 2.5, False, -1])
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "remainder", "fmod",
                                  "floor_divide", "eq", "lt", "ge"])
def test_binary_with_python_scalar(name, scalar):
    a = Arg(arr((3,), "float32", 0.5, 2))
    if name == "sub" and scalar is False:
        from _parity import check_error

        check_error(lambda m, a: a - scalar, a, match="bool")
        check_error(lambda m, a: scalar - a, a, match="bool")
        return
    if name == "floor_divide":
        a = Arg(a.array, grad=False)
    check(lambda m, a: getattr(m, name)(a, scalar), a)
    if name in ("add", "sub", "mul", "div", "pow") and scalar is not False:
        check(lambda m, a: getattr(m, name)(scalar, a), a)
    if name in ("remainder", "floor_divide"):
        check(lambda m, a: getattr(m, name)(scalar, a), Arg(a.array, grad=False))


OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
       "/": lambda a, b: a / b, "//": lambda a, b: a // b, "%": lambda a, b: a % b,
       "**": lambda a, b: a ** b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
       "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
       ">=": lambda a, b: a >= b}

DTYPE_PAIRS = [("float32", "float64"), ("int64", "float32"), ("int32", "int64"),
               ("uint8", "int8"), ("bool", "int64"), ("bool", "float32"), ("int64", "int64"),
               ("uint8", "uint8"), ("bool", "bool"), ("int16", "float64")]


@pytest.mark.parametrize("pair", DTYPE_PAIRS)
@pytest.mark.parametrize("op", sorted(OPS))
def test_operator_type_promotion(op, pair):
    f = OPS[op]
    a = Arg(arr((2, 3), pair[0], 1, 4, seed=0))
    b = Arg(arr((2, 3), pair[1], 1, 4, seed=1))
    if pair[0] == "bool" and op == "-" or pair == ("bool", "bool") and op in ("**", "//", "%"):
        from _parity import check_error

        check_error(lambda m, a, b: f(a, b), a, b)
        return
    check(lambda m, a, b: f(a, b), a, b, grad=op != "//")


@pytest.mark.parametrize("zero_dtype", ["float64", "int64", "float32"])
@pytest.mark.parametrize("dtype", ["float32", "int32", "uint8", "float16", "bool"])
def test_zero_dim_and_scalar_promotion(dtype, zero_dtype):
    a = Arg(arr((3,), dtype, 1, 4))
    z = Arg(arr((), zero_dtype, 1, 4, seed=2))
    check(lambda m, a, z: a + z, a, z)
    check(lambda m, a, z: z * a, a, z)
    for s in (2, 2.5, True):
        check(lambda m, a, z, s=s: (a + s, s * a, z + s, a * z), a, z)
    if dtype != "bool":
        check(lambda m, a, z: (a - z, z - a, a - 1, 1.5 - a), a, z)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "int8"])
@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "logical_and",
                                  "logical_or", "logical_xor"])
def test_logical_and_bitwise(name, dtype):
    a = Arg(arr((3, 4), dtype, 0, 7, seed=0))
    b = Arg(arr((4,), dtype, 0, 7, seed=1))
    check(lambda m, a, b: getattr(m, name)(a, b), a, b)
    ops = {"bitwise_and": lambda a, b: a & b, "bitwise_or": lambda a, b: a | b,
           "bitwise_xor": lambda a, b: a ^ b}
    if name in ops:
        check(lambda m, a, b: (ops[name](a, b), ~a, ops[name](a, 3)), a, b)


@pytest.mark.parametrize("dtype", FLOATS)
def test_clamp_variants(dtype):
    x = Arg(arr((3, 4), dtype))
    lo = Arg(arr((4,), dtype, -1, 0, seed=5))
    hi = Arg(arr((3, 1), dtype, 0, 1, seed=6))
    check(lambda m, x: m.clamp(x, -0.5, 0.7), x, gradgrad=True)
    check(lambda m, x: x.clamp(min=-0.5), x)
    check(lambda m, x: x.clip(max=0.3), x)
    check(lambda m, x: (m.clamp_min(x, 0.1), m.clamp_max(x, 0.1)), x)
    check(lambda m, x, lo, hi: m.clamp(x, lo, hi), x, lo, hi)
    check(lambda m, x, lo: x.clamp(min=lo), x, lo)
    check(lambda m, x: m.clamp(x, 1, 0), x)
    check(lambda m: m.clamp(m.tensor([1, 5, 9]), 2, 7), grad=False)
    check(lambda m: m.clamp(m.tensor([1, 5, 9]), 2.5), grad=False)


@pytest.mark.parametrize("dtype", FLOATS)
def test_clamp_special_values_and_node(dtype):
    # NaN stays NaN with no gradient, signed zeros survive, bounds are inclusive
    x = Arg(np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -0.5, 0.7, 0.3], dtype=dtype))
    for lo, hi in ((-0.5, 0.7), (0.0, None), (None, -0.0), (1.0, 0.0)):
        check(lambda m, x, lo=lo, hi=hi: m.clamp(x, lo, hi), x, gradgrad=True)
    names = [lib.clamp(lib.ones(2, requires_grad=True), 0, 1).grad_fn.name()
             for lib in (ember, torch)]
    assert names[0] == names[1] == "ClampBackward1"


@pytest.mark.parametrize("dtype", FLOATS)
def test_ternary_ops(dtype):
    a, b, c = (Arg(arr((3, 4), dtype, 0.5, 2, seed=s)) for s in (0, 1, 2))
    w = Arg(arr((4,), dtype, 0, 1, seed=3))
    check(lambda m, a, b: m.lerp(a, b, 0.3), a, b, gradgrad=True)
    check(lambda m, a, b, w: m.lerp(a, b, w), a, b, w, gradgrad=True)
    check(lambda m, a, b, c: m.addcmul(a, b, c, value=0.5), a, b, c, gradgrad=True)
    check(lambda m, a, b, c: a.addcdiv(b, c, value=-2), a, b, c, gradgrad=True)
    cond = Arg(arr((3, 4), "bool"))
    check(lambda m, c, a, b: m.where(c, a, b), cond, a, w, gradgrad=True)
    check(lambda m, c, a: m.where(c, a, 0.0), cond, a)
    check(lambda m, c, a: a.where(c, 2), cond, a)
    check(lambda m, c: m.where(c, 1.0, 0), cond)


def test_where_gradient_does_not_leak_into_the_unchosen_branch():
    results = []
    for lib in (ember, torch):
        a = lib.tensor([1.0, 2.0, 5.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)[:1]  # broadcast: summed back
        g = lib.tensor([float("nan"), float("inf"), -float("inf")])
        y = lib.where(lib.tensor([True, False, False]), a, b)
        results.append([t.tolist() for t in lib.autograd.grad(y, (a, b), g)])
    assert str(results[0]) == str(results[1])


def test_where_promotion_and_nonzero_form():
    cond = Arg(arr((3, 4), "bool"))
    a = Arg(arr((3, 4), "int64", 0, 4))
    b = Arg(arr((4,), "float32", seed=3))
    check(lambda m, c, a, b: m.where(c, a, b), cond, a, b)
    check(lambda m, c: m.where(c), cond)


@pytest.mark.parametrize("dtype", FLOATS)
def test_div_rounding_modes(dtype):
    a = Arg(arr((3, 4), dtype, -5, 5))
    b = Arg(arr((4,), dtype, 0.5, 2, seed=1))
    for mode in ("trunc", "floor"):
        check(lambda m, a, b, mode=mode: m.div(a, b, rounding_mode=mode), a, b)
        check(lambda m, a, mode=mode: a.div(3, rounding_mode=mode), a)
    ia = Arg(arr((5,), "int64", -9, 9))
    check(lambda m, a: (m.div(a, 4, rounding_mode="trunc"), m.div(a, 4, rounding_mode="floor"),
                        a // 4, a % 4, m.fmod(a, 4), a / 4), ia)


def test_pow_forms():
    x = Arg(arr((3,), "float64", 0.5, 2))
    check(lambda m, x: (x ** 2, x ** 0.5, x ** -1, 2 ** x, x ** 0, m.pow(2.0, x)), x,
          gradgrad=True)
    i = Arg(arr((4,), "int64", 0, 4))
    check(lambda m, i: (i ** 2, 2 ** i, i ** 0.5, m.pow(i, i)), i)
    check(lambda m, x, i: x ** i, x, Arg(arr((3,), "int64", 0, 3)), gradgrad=True)


def test_maximum_minimum_ties_and_nan():
    a = Arg([1.0, 2.0, float("nan"), 3.0])
    b = Arg([1.0, 3.0, 1.0, float("nan")])
    for name in ("maximum", "minimum", "fmax", "fmin"):
        check(lambda m, a, b, name=name: getattr(m, name)(a, b), a, b)


def test_comparison_results_are_bool():
    a = Arg(arr((3, 4), "float32"))
    for name in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal",
                 "less_equal", "not_equal"):
        check(lambda m, a, name=name: getattr(m, name)(a, 0.0), a)
        check(lambda m, a, name=name: getattr(a, name)(a.flip(0)), a)


LOW_DTYPES = ["float16", "bfloat16", "int8", "int16", "int32", "uint8", "bool"]
DTYPE_UNARY = ["neg", "abs", "sign", "exp", "log", "sqrt", "sin", "tanh", "sigmoid", "floor",
               "round", "trunc", "square", "reciprocal", "isnan", "isfinite", "relu", "frac",
               "expm1", "log1p", "erf"]
DTYPE_REDUCE = ["sum", "prod", "mean", "amax", "argmax", "cumsum", "std", "any", "norm", "max",
                "sort", "logsumexp", "var"]
DTYPE_BINARY = ["add", "mul", "div", "pow", "maximum", "remainder", "floor_divide", "eq",
                "atan2", "fmod"]


def _torch_supports(fn, *args):
    try:
        fn(torch, *[a.build(torch) for a in args])
    except (RuntimeError, TypeError, NotImplementedError):
        return False
    return True


@pytest.mark.parametrize("dtype", LOW_DTYPES)
def test_every_dtype_keeps_torch_result_dtype(dtype):
    x = Arg(arr((2, 3), dtype, 1, 3), grad=False)
    y = Arg(arr((2, 3), dtype, 1, 3, seed=2), grad=False)
    checked = 0
    for name in DTYPE_UNARY:
        fn = lambda m, x, name=name: getattr(m, name)(x)  # noqa: E731
        if _torch_supports(fn, x):
            check(fn, x)
            checked += 1
    for name in DTYPE_REDUCE:
        fn = lambda m, x, name=name: getattr(m, name)(x, 1)  # noqa: E731
        if _torch_supports(fn, x):
            check(fn, x)
            checked += 1
    for name in DTYPE_BINARY:
        fn = lambda m, x, y, name=name: getattr(m, name)(x, y)  # noqa: E731
        if _torch_supports(fn, x, y):
            check(fn, x, y)
            checked += 1
    if dtype != "bool":
        check(lambda m, x: (x.sort(descending=True), x.argmax(), x.topk(2)), x)
    assert checked >= 10


def test_non_finite_arithmetic_is_silent_like_torch():
    import warnings

    special = Arg([float("inf"), -float("inf"), float("nan"), 0.0, 3e38], grad=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(lambda m, x: (x - x, x * x, x * 0, x + x.flip(0), m.sin(x), m.cos(x), m.tan(x),
                            x.sum(), x.prod(), x.cumsum(0), x @ x, m.maximum(x, x.flip(0)),
                            m.atan2(x, x), m.tanh(x), x / 0, x ** 2, m.exp(x), m.log(x),
                            m.sqrt(x), x.round(), x.abs(), -x), special)
