"""Parity of reductions, statistics, scans and sorting with torch."""

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

import warnings  # noqa: E402

from _parity import FLOATS, Arg, arr, check, check_error  # noqa: E402

DIMS = [None, 0, 1, -1, (0, 1), (0, 2)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("name", ["sum", "mean", "nansum", "nanmean", "prod", "amax", "amin",
                                  "logsumexp", "std", "var", "norm"])
def test_reductions(name, dim, dtype):
    x = Arg(arr((2, 3, 4), dtype, 0.5, 2), layout="noncontig")
    if dim is None:
        if name == "logsumexp":
            check(lambda m, x: m.logsumexp(x, (0, 1, 2)), x, gradgrad=True)
            return
        check(lambda m, x: getattr(m, name)(x), x, gradgrad=True)
        return
    if name == "norm":
        check(lambda m, x: m.norm(x, dim=dim, keepdim=True), x, gradgrad=True)
        check(lambda m, x: x.norm(p=1, dim=dim), x)
        return
    if name == "prod" and isinstance(dim, tuple):
        return
    check(lambda m, x: getattr(m, name)(x, dim), x, gradgrad=True)
    check(lambda m, x: getattr(x, name)(dim, keepdim=True), x)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "std", "var",
                                  "logsumexp", "nansum", "any", "all", "count_nonzero"])
def test_reductions_zero_dim_and_empty(name):
    z = Arg(arr((), "float64", 0.5, 2))
    if name in ("std", "var"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check(lambda m, x: getattr(m, name)(x, 0), z)
        assert sum("degrees of freedom" in str(w.message) for w in caught) == 2
        return
    check(lambda m, x: getattr(m, name)(x, 0), z)
    check(lambda m, x: getattr(m, name)(x, -1), z)
    if name not in ("amax", "amin"):
        check(lambda m, x: getattr(m, name)(x, 1), Arg(arr((3, 0), "float64")))
        if name not in ("logsumexp",):
            check(lambda m, x: getattr(m, name)(x), Arg(arr((0,), "float64")), grad=False)
    else:
        check_error(lambda m, x: getattr(m, name)(x, 1), Arg(arr((3, 0), "float64")))


def test_sum_and_prod_integer_and_dtype():
    i = Arg(arr((3, 4), "int32", -5, 5))
    b = Arg(arr((3, 4), "bool"))
    for x in (i, b):
        check(lambda m, x: (x.sum(), x.sum(0), x.prod(1), m.cumsum(x, 0), m.cumprod(x, 1)), x)
    check(lambda m, x: (x.sum(dtype=m.float64), x.mean(dtype=m.float64)), i)
    check(lambda m, x: x.sum(1, dtype=m.float64), Arg(arr((3, 4), "float32")))
    check_error(lambda m, x: x.mean(), i, match="mean")
    check(lambda m, x: (x.sum(()), x.sum([]), m.mean(x, ())), Arg(arr((2, 3), "float64")))


@pytest.mark.parametrize("dtype", FLOATS)
def test_var_std_corrections(dtype):
    x = Arg(arr((3, 5), dtype))
    check(lambda m, x: (m.var(x, 1, unbiased=False), m.std(x, 0, correction=0),
                        x.var(correction=2), x.std(unbiased=True), m.var(x, (0, 1))), x,
          gradgrad=True)
    check(lambda m, x: (m.var_mean(x, 1), m.std_mean(x, 0, correction=0), m.var_mean(x)), x)
    with pytest.warns(UserWarning, match="var\\(\\): degrees of freedom"):
        check(lambda m, x: m.var(x, 0), Arg(arr((1, 3), dtype)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_norm_orders(dtype):
    x = Arg(arr((3, 4), dtype, 0.5, 2))
    for p in (1, 2, 3, float("inf"), -float("inf"), 0.5, "fro"):
        check(lambda m, x, p=p: (m.norm(x, p), x.norm(p, dim=1)), x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_max_min_with_dim(dtype):
    x = Arg(arr((3, 4), dtype), layout="T")
    for name in ("max", "min"):
        check(lambda m, x, name=name: getattr(m, name)(x), x, gradgrad=True)
        check(lambda m, x, name=name: getattr(m, name)(x, 1), x, gradgrad=True)
        check(lambda m, x, name=name: getattr(x, name)(0, keepdim=True), x)
        check(lambda m, x, name=name: getattr(m, name)(x, dim=-1), x)
        check(lambda m, x, name=name: getattr(m, name)(x, x.flip(0)), x)
    z = Arg(arr((), dtype))
    check(lambda m, x: (x.max(0), x.min(-1, keepdim=True)), z)
    check(lambda m, x: (m.argmax(x), m.argmin(x, 1), x.argmax(0, keepdim=True), x.argmin(),
                        m.aminmax(x), m.aminmax(x, dim=0, keepdim=True)), x)


def test_ties_and_nan_in_extremes():
    x = Arg([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    check(lambda m, x: (x.max(), x.amax(1), x.max(1), x.min(), x.amin(0)), x)
    n = Arg([[1.0, float("nan"), 3.0], [2.0, 2.0, 0.0]])
    check(lambda m, x: (x.max(1), x.amax(1), x.argmax(1), x.min(1), x.argmin(), x.max()), n,
          grad=False)


@pytest.mark.parametrize("dtype", FLOATS)
def test_scans(dtype):
    x = Arg(arr((3, 4), dtype, 0.5, 2))
    for d in (0, 1, -1):
        check(lambda m, x, d=d: (m.cumsum(x, d), x.cumprod(d), m.logcumsumexp(x, d)), x,
              gradgrad=True)
        check(lambda m, x, d=d: (m.cummax(x, d), x.cummin(d)), x, gradgrad=True)
    zeros = Arg([[1.0, 0.0, 2.0, 3.0], [0.0, 2.0, 0.0, 1.0]])
    check(lambda m, x: m.cumprod(x, 1), zeros, gradgrad=True)
    check(lambda m, x: (m.cumsum(x, 0), m.cumprod(x, 0)), Arg(arr((), dtype)))
    check(lambda m, x: m.cumsum(x, 1), Arg(arr((2, 0), dtype)))
    check(lambda m, x: m.cumsum(x, 0, dtype=m.float64), Arg(arr((4,), "int32", 0, 4)))


def test_any_all_count_nonzero():
    for dtype in ("bool", "int64", "float32", "uint8"):
        x = Arg(arr((3, 4), dtype, 0, 2))
        check(lambda m, x: (x.any(), x.all(), m.any(x, 1), m.all(x, 0, keepdim=True),
                            m.count_nonzero(x), m.count_nonzero(x, 1),
                            x.count_nonzero((0, 1))), x, grad=False)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sort_argsort_topk(dtype):
    x = Arg(arr((3, 5), dtype), layout="noncontig")
    check(lambda m, x: m.sort(x), x, gradgrad=True)
    check(lambda m, x: x.sort(0, descending=True), x, gradgrad=True)
    check(lambda m, x: (m.argsort(x), x.argsort(0, descending=True), m.msort(x)), x)
    check(lambda m, x: m.topk(x, 2), x, gradgrad=True)
    check(lambda m, x: x.topk(2, dim=0, largest=False), x, gradgrad=True)
    ties = Arg([3.0, 1.0, 3.0, float("nan"), 1.0, 2.0])
    check(lambda m, x: (m.sort(x, stable=True), m.sort(x, descending=True, stable=True),
                        x.argsort(stable=True)), ties, grad=False)
    ints = Arg(arr((7,), "int64", 0, 3))
    check(lambda m, x: (m.sort(x, stable=True), m.sort(x, descending=True, stable=True),
                        m.topk(x, 3)), ints)


def test_reduction_errors():
    x = Arg(arr((2, 3), "float32"))
    check_error(lambda m, x: x.sum(2), x, match="Dimension out of range")
    check_error(lambda m, x: x.max(-3), x, match="Dimension out of range")
    check_error(lambda m, x: x.topk(4), x, match="out of range")
    check_error(lambda m, x: m.amax(m.ones(0)), x)
    check_error(lambda m, x: m.max(m.ones(0)), x, match="numel")
    check_error(lambda m, x: x.sum((0, 0)), x, match="multiple times")
