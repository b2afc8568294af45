"""Parity of order statistics, counting, searching and closeness tests with torch."""

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _parity import FLOATS, Arg, arr, check, check_error  # noqa: E402


def distinct(shape, dtype, seed=0):
    """Values without ties, so that selected indices are unambiguous."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape).astype(dtype) / 3


@pytest.mark.parametrize("dtype", FLOATS)
def test_median_and_kthvalue(dtype):
    x = Arg(distinct((3, 5), dtype), layout="noncontig")
    check(lambda m, x: (m.median(x), x.median(1), m.median(x, 0, keepdim=True),
                        x.nanmedian(), m.nanmedian(x, 1)), x, gradgrad=True)
    check(lambda m, x: (m.kthvalue(x, 2), x.kthvalue(1, 0), m.kthvalue(x, 3, 1, True)), x,
          gradgrad=True)
    check(lambda m, x: (x.median(), x.median(1)), Arg(distinct((4, 4), dtype)))
    nan = Arg([[1.0, float("nan"), 2.0, 0.5], [3.0, 1.0, 2.0, 0.0]])
    check(lambda m, x: (x.median(1), x.median(), x.nanmedian(1), x.nanmedian()), nan, grad=False)
    z = Arg(arr((), dtype))
    check(lambda m, x: (x.median(), x.median(0), x.kthvalue(1), m.mode(x)), z)
    check(lambda m: (m.median(m.tensor([3, 1, 2, 7])), m.median(m.tensor([[3, 1], [2, 7]]), 1)),
          grad=False)


def test_mode():
    x = Arg(np.array([[2.0, 2, 1, 1, 3], [4, 4, 4, 0, 0], [5, 1, 1, 5, 2]]))
    check(lambda m, x: (m.mode(x), x.mode(0), m.mode(x, 1, keepdim=True), x.mode(-1)), x,
          gradgrad=True)
    check(lambda m: (m.mode(m.tensor([3, 1, 2, 3, 1, 5, 1, 3])), m.mode(m.tensor([True, False]))),
          grad=False)


def test_unique():
    x = Arg(np.array([[3, 1, 2], [3, 1, 5], [0, 1, 2]]))
    check(lambda m, x: (m.unique(x), x.unique(return_inverse=True),
                        m.unique(x, return_counts=True),
                        x.unique(sorted=True, return_inverse=True, return_counts=True),
                        m.unique(x, dim=0), m.unique(x, dim=1, return_inverse=True,
                                                     return_counts=True),
                        m.unique(m.tensor([]))), x)
    f = Arg(np.array([1.5, -2.0, 1.5, 0.0]))
    check(lambda m, x: (x.unique(), m.unique(x, return_inverse=True)), f, grad=False)
    check(lambda m, x: (m.unique_consecutive(x), x.unique_consecutive(return_inverse=True,
                                                                     return_counts=True)),
          Arg(np.array([1, 1, 2, 2, 3, 1, 1, 2])))
    check(lambda m: m.unique(m.tensor([[True, False], [True, True]]), dim=0), grad=False)


def test_bincount():
    i = Arg(np.array([0, 1, 1, 3, 1]))
    w = Arg(np.array([0.5, 1.0, 1.0, 2.0, 0.25], dtype="float32"), grad=False)
    check(lambda m, i, w: (m.bincount(i), i.bincount(minlength=7), m.bincount(i, w),
                           m.bincount(i, w.double()), m.bincount(i, i), m.bincount(i[:0])),
          i, w)
    check_error(lambda m: m.bincount(m.tensor([-1])), match="non-negative")
    check_error(lambda m: m.bincount(m.tensor([[1]])), match="1-d")
    check_error(lambda m: m.bincount(m.tensor([1.0])), match="Float")


def test_searchsorted_and_bucketize():
    seq = Arg(np.array([1.0, 3.0, 3.0, 5.0, 7.0]))
    v = Arg(np.array([[3.0, 6.0, 0.0], [8.0, 1.0, 5.0]]))
    check(lambda m, s, v: (m.searchsorted(s, v), m.searchsorted(s, v, right=True),
                           m.searchsorted(s, v, side="right"), m.searchsorted(s, 3.0),
                           m.searchsorted(s, v, out_int32=True), m.bucketize(v, s),
                           m.bucketize(v, s, right=True), m.bucketize(4.0, s)), seq, v,
          grad=False)
    rows = Arg(np.array([[1, 3, 5], [2, 4, 6]]))
    check(lambda m, s: m.searchsorted(s, m.tensor([[3, 5], [1, 7]])), rows)
    check(lambda m: m.searchsorted(m.tensor([5, 1, 3]), m.tensor([2, 4]),
                                   sorter=m.tensor([1, 2, 0])), grad=False)
    check_error(lambda m, s: m.searchsorted(s, m.tensor([1, 2])), rows, match="boundaries")
    check_error(lambda m, s: m.bucketize(m.ones(2), s), rows, match="1 dimension")


def test_closeness():
    a = Arg(np.array([1.0, 2.0, float("nan"), float("inf"), 0.0]), grad=False)
    b = Arg(np.array([1.0 + 1e-9, 2.1, float("nan"), float("inf"), 1e-9]), grad=False)
    check(lambda m, a, b: (m.isclose(a, b), a.isclose(b, equal_nan=True),
                           m.isclose(a, b, rtol=0.1), m.allclose(a, b),
                           m.allclose(a, b, equal_nan=True, rtol=0.1), m.equal(a, a),
                           m.equal(a[:2], a[:2]), a.equal(b), m.equal(a, a[:2]),
                           m.isclose(a, -a.flip(0))), a, b)
    check(lambda m: (m.equal(m.tensor([1, 2]), m.tensor([1.0, 2.0])),
                     m.isclose(m.tensor([1, 2]), m.tensor([1, 3])),
                     m.allclose(m.tensor([1.0]), m.tensor([1.0 + 1e-6]))), grad=False)
    check_error(lambda m: m.isclose(m.ones(2), m.ones(2).double()), match="did not match")


def test_selection_errors():
    x = Arg(arr((3, 4), "float32"))
    check_error(lambda m, x: x.kthvalue(5), x, match="out of range")
    check_error(lambda m, x: x.median(2), x, match="Dimension out of range")
    check_error(lambda m: m.mode(m.ones(0)), match="non-zero size")
    check_error(lambda m: m.median(m.ones(0), 0), match="non-zero size")


@pytest.mark.parametrize("dtype", FLOATS)
def test_order_statistics_with_ties_and_their_nodes(dtype):
    # whole-tensor median/nanmedian share the gradient among equal elements (the NaNs for
    # a NaN result); along a dim it goes to the selected element
    ties = Arg(np.array([[1.0, 2.0, 2.0, 5.0], [2.0, 2.0, 2.0, 1.0]], dtype=dtype))
    check(lambda m, x: (m.median(x), m.nanmedian(x)), ties, gradgrad=True)
    check(lambda m, x: (x.median(1), x.nanmedian(0, keepdim=True), m.mode(x, 1),
                        m.kthvalue(x, 2, 0)), ties)
    nan = Arg(np.array([1.0, np.nan, 2.0, 2.0, np.nan], dtype=dtype))
    check(lambda m, x: (m.median(x), m.nanmedian(x)), nan)
    import ember

    names = []
    for lib in (ember, torch):
        x = lib.tensor([[1.0, 2.0], [2.0, 3.0]], requires_grad=True)
        outs = (lib.median(x), lib.nanmedian(x), lib.median(x, 1).values,
                lib.nanmedian(x, 0).values, lib.kthvalue(x, 1, 1).values, lib.mode(x, 1).values)
        names.append([o.grad_fn.name() for o in outs])
    assert names[0] == names[1]


def test_unique_family_has_no_derivative():
    import ember

    for lib in (ember, torch):
        x = lib.tensor([[3.0, 1.0], [3.0, 1.0]], requires_grad=True)
        outs = {"_unique2": lib.unique(x, return_counts=True)[0],
                "unique_dim": lib.unique(x, dim=0), "unique_consecutive": lib.unique_consecutive(x)}
        for op, out in outs.items():
            assert out.requires_grad
            with pytest.raises(NotImplementedError, match=f"derivative for '{op}'"):
                out.sum().backward()
        with lib.no_grad():
            assert not lib.unique(x).requires_grad
