"""Every op on the awkward inputs: 0-d, empty, size-1 and non-contiguous tensors, every
dim argument, broadcasting pairs. Where torch raises, ember raises the same exception type;
otherwise values and gradients match (second derivatives too for the differentiable ones).
"""

import sys
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _parity import Arg, arr, check  # noqa: E402

import ember  # noqa: E402


def _same_outcome(fn, *args, grad=True, gradgrad=False):
    with warnings.catch_warnings():  # degrees-of-freedom and deprecation warnings are
        warnings.simplefilter("ignore")  # checked in their own tests
        _compare(fn, *args, grad=grad, gradgrad=gradgrad)


def _compare(fn, *args, grad=True, gradgrad=False):
    try:
        fn(torch, *[a.build(torch) for a in args])
    except Exception as exc:  # noqa: BLE001
        with pytest.raises(type(exc)):
            fn(ember, *[a.build(ember) for a in args])
        return
    check(fn, *args, grad=grad, gradgrad=gradgrad)


UNARY = ["neg", "abs", "sign", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
         "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh",
         "cosh", "tanh", "asinh", "atanh", "sigmoid", "logit", "erf", "erfc", "erfinv",
         "floor", "ceil", "round", "trunc", "frac", "nan_to_num", "isnan", "isinf", "isfinite",
         "relu", "sum", "mean", "nansum", "nanmean", "prod", "amax", "amin", "aminmax",
         "argmax", "argmin", "std", "var", "norm", "any", "all", "count_nonzero", "median",
         "nanmedian", "sort", "argsort", "flatten", "squeeze", "t", "clone", "contiguous",
         "nonzero", "tril", "triu", "diag", "float", "double", "half", "long", "int", "bool",
         "tolist", "numel", "max", "min", "msort", "fliplr", "flipud", "ravel", "trace",
         "cumsum", "cumprod", "logsumexp", "softmax", "log_softmax", "mode", "cummax",
         "cummin"]
WITH_DIM0 = {"cumsum", "cumprod", "logsumexp", "softmax", "log_softmax", "cummax", "cummin"}
SHAPES = [(), (0,), (3,), (2, 3), (0, 3), (2, 1, 3)]


@pytest.mark.parametrize("name", UNARY)
def test_no_argument_forms_on_edge_shapes(name):
    def fn(m, x):
        attr = getattr(x, name)
        if name in WITH_DIM0:
            return attr(0)
        return attr() if callable(attr) else attr

    for shape in SHAPES:
        for layout in ("contig", "noncontig"):
            _same_outcome(fn, Arg(arr(shape, "float64", 0.2, 0.9), layout=layout),
                          grad=name != "unique")


DIM_OPS = {
    "sum": lambda x, d: x.sum(d), "mean": lambda x, d: x.mean(d),
    "nansum": lambda x, d: x.nansum(d), "prod": lambda x, d: x.prod(d),
    "amax": lambda x, d: x.amax(d), "amin": lambda x, d: x.amin(d),
    "argmax": lambda x, d: x.argmax(d), "argmin": lambda x, d: x.argmin(d),
    "std": lambda x, d: x.std(d), "var": lambda x, d: x.var(d),
    "logsumexp": lambda x, d: x.logsumexp(d), "cumsum": lambda x, d: x.cumsum(d),
    "cumprod": lambda x, d: x.cumprod(d), "cummax": lambda x, d: x.cummax(d),
    "cummin": lambda x, d: x.cummin(d), "softmax": lambda x, d: x.softmax(d),
    "log_softmax": lambda x, d: x.log_softmax(d), "max": lambda x, d: x.max(d),
    "min": lambda x, d: x.min(d), "median": lambda x, d: x.median(d),
    "nanmedian": lambda x, d: x.nanmedian(d), "mode": lambda x, d: x.mode(d),
    "sort": lambda x, d: x.sort(d), "argsort": lambda x, d: x.argsort(d),
    "any": lambda x, d: x.any(d), "all": lambda x, d: x.all(d),
    "count_nonzero": lambda x, d: x.count_nonzero(d), "norm": lambda x, d: x.norm(dim=d),
    "unbind": lambda x, d: x.unbind(d), "squeeze": lambda x, d: x.squeeze(d),
    "unsqueeze": lambda x, d: x.unsqueeze(d), "flip": lambda x, d: x.flip(d),
    "select": lambda x, d: x.select(d, 0), "narrow": lambda x, d: x.narrow(d, 0, 1),
    "chunk": lambda x, d: x.chunk(2, d), "split": lambda x, d: x.split(1, d),
    "topk": lambda x, d: x.topk(1, d), "kthvalue": lambda x, d: x.kthvalue(1, d),
    "logcumsumexp": lambda x, d: x.logcumsumexp(d), "diff": lambda x, d: x.diff(dim=d),
    "flatten": lambda x, d: x.flatten(d), "movedim": lambda x, d: x.movedim(d, 0),
    "roll": lambda x, d: x.roll(1, d),
}


@pytest.mark.parametrize("name", sorted(DIM_OPS))
def test_dim_forms_on_edge_shapes(name):
    op = DIM_OPS[name]
    for shape in [(3,), (2, 3), (0, 3), (2, 0), (2, 1, 3), ()]:
        for dim in (0, -1, 1):
            _same_outcome(lambda m, x, dim=dim: op(x, dim),
                          Arg(arr(shape, "float64", 0.2, 0.9), layout="noncontig"),
                          gradgrad=True)


BINARY = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod",
          "pow", "maximum", "minimum", "fmax", "fmin", "atan2", "hypot", "logaddexp",
          "logaddexp2", "xlogy", "copysign", "eq", "ne", "lt", "le", "gt", "ge",
          "logical_and", "logical_or", "logical_xor", "float_power", "isclose", "dist", "dot",
          "outer", "cross", "matmul", "kron"]
PAIRS = [((), ()), ((3,), ()), ((), (3,)), ((2, 3), (3,)), ((0, 3), (3,)), ((2, 1), (1, 3)),
         ((3,), (3,)), ((2, 3), (2, 3))]


@pytest.mark.parametrize("name", BINARY)
def test_binary_forms_on_broadcast_pairs(name):
    for sa, sb in PAIRS:
        for layout in ("contig", "noncontig"):
            _same_outcome(lambda m, x, y: getattr(m, name)(x, y),
                          Arg(arr(sa, "float64", 0.5, 2.0, seed=1), layout=layout),
                          Arg(arr(sb, "float64", 0.5, 2.0, seed=2)),
                          grad=name != "floor_divide",
                          gradgrad=name not in ("floor_divide", "remainder", "fmod"))
