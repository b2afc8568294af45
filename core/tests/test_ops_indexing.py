"""Parity of indexing with torch: ``__getitem__``/``__setitem__`` with every key kind,
gather/scatter, index_* ops, masks and nonzero."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _parity import FLOATS, Arg, arr, check, check_error  # noqa: E402

import ember  # noqa: E402

KEYS = [
    lambda m: 1, lambda m: -1, lambda m: slice(1, 3), lambda m: (slice(None), 2),
    lambda m: (Ellipsis, 1), lambda m: (None, 0), lambda m: (1, None, slice(None, None, 2)),
    lambda m: (slice(None, None, 2), Ellipsis, None), lambda m: m.tensor([0, 2, 2]),
    lambda m: [0, -1], lambda m: (m.tensor([0, 1]), m.tensor([1, 2])),
    lambda m: (slice(None), m.tensor([[0], [2]])), lambda m: m.tensor([True, False, True]),
    lambda m: (m.tensor([0, 2]), slice(None), m.tensor([1, 0])),
    lambda m: (Ellipsis, m.tensor([3, 0])), lambda m: (1, m.tensor([0, 1]), 2),
    lambda m: m.tensor(1), lambda m: (m.tensor([[True, False, True, False]] * 3)),
    lambda m: (slice(5, 10),), lambda m: (slice(-2, None), slice(None, -1)),
    lambda m: (m.tensor([0, 1]).int(),), lambda m: (None, Ellipsis, None),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("key", range(len(KEYS)))
def test_getitem(key, dtype):
    x = Arg(arr((3, 4, 5), dtype) if key != 17 else arr((3, 4), dtype), layout="noncontig")
    check(lambda m, x: x[KEYS[key](m)], x, gradgrad=True)


@pytest.mark.parametrize("key", range(len(KEYS)))
def test_setitem(key):
    x = Arg(arr((3, 4, 5), "float64") if key != 17 else arr((3, 4), "float64"), grad=False)

    def run(m, x, v):
        x = x.clone()
        region = x[KEYS[key](m)]
        val = v.reshape(-1)[: region.numel()].reshape(region.shape) if region.numel() else 0.0
        x[KEYS[key](m)] = val
        x[KEYS[key](m)] = x[KEYS[key](m)] * 2
        return x

    check(run, x, Arg(arr((60,), "float64", seed=4)))


def test_setitem_broadcast_scalar_and_grad():
    def run(m, x, v):
        y = x * 1
        y[0] = v
        y[:, 1] = 7.0
        y[y > 1.5] = 0.0
        y[m.tensor([1, 2]), m.tensor([0, 0])] = v[:2]
        return y

    check(run, Arg(arr((3, 3), "float64")), Arg(arr((3,), "float64", seed=1)), gradgrad=True)
    check(lambda m, x: x.__setitem__(0, m.tensor([1, 2, 3])) or x,
          Arg(arr((2, 3), "int64", 0, 5)))
    check_error(lambda m, x: x.__setitem__(0, m.ones(4)), Arg(arr((2, 3), "float32"), grad=False))


def test_index_errors():
    x = Arg(arr((3, 4), "float32"))
    check_error(lambda m, x: x[3], x, match="index 3 is out of bounds for dimension 0 with size 3")
    check_error(lambda m, x: x[0, -5], x, match="out of bounds")
    check_error(lambda m, x: x[0, 0, 0], x, match="too many indices")
    check_error(lambda m, x: x[m.tensor([0, 5])], x, match="out of bounds")
    check_error(lambda m, x: x[m.tensor([0.0])], x, match="tensors used as indices")
    check_error(lambda m, x: x[m.tensor([True, False])], x, match="shape of the mask")
    check_error(lambda m, x: x["a"], x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_gather_scatter(dtype):
    x = Arg(arr((3, 4), dtype))
    idx = Arg(np.array([[0, 1, 1, 3], [2, 0, 0, 1]]), grad=False)
    src = Arg(arr((2, 4), dtype, seed=2))
    uniq = Arg(np.array([[0, 1, 2, 3], [1, 2, 3, 0]]), grad=False)
    col = Arg(np.array([[0, 2], [1, 0], [2, 1]]), grad=False)
    check(lambda m, x, i: (m.gather(x, 1, i[:, :2]), x.gather(0, i[:, :3] % 3),
                           x.gather(1, i.int())), x, idx, gradgrad=True)
    check(lambda m, x, i, s: (x.scatter(1, i, s), m.scatter(x, 0, i % 3, 2.5),
                              x.scatter_add(1, i, s), m.scatter_add(x, 0, i % 3, s)),
          x, uniq, src, gradgrad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns once per process: deprecated reduce=
        check(lambda m, x, i, s: (x.scatter(0, i % 3, s, reduce="add"),
                                  x.scatter(0, i % 3, s, reduce="multiply")), x, uniq, src,
              grad=False)
    with pytest.warns(UserWarning, match="scatter_reduce"):
        ember.zeros(2).scatter(0, ember.tensor([1]), ember.ones(1), reduce="add")
    for red in ("sum", "prod", "mean", "amax", "amin"):
        for inc in (True, False):
            check(lambda m, x, i, s, inc=inc, red=red:
                  x.scatter_reduce(0, i % 3, s, red, include_self=inc),
                  x, idx, src, grad=red in ("sum", "mean"))
    check(lambda m, x, i: m.take_along_dim(x, i, 1), x, col, gradgrad=True)
    check(lambda m, x, i: m.take_along_dim(x, i), x, Arg(np.array([0, 5, 11]), grad=False))


def test_gather_scatter_errors():
    x = Arg(arr((3, 4), "float32"))
    check_error(lambda m, x: x.gather(1, m.tensor([[4]])), x, match="out of bounds")
    check_error(lambda m, x: x.gather(1, m.tensor([[-1]])), x, match="out of bounds")
    check_error(lambda m, x: x.gather(1, m.tensor([[0]]).short()), x, match="int64")
    check_error(lambda m, x: x.gather(1, m.tensor([0])), x, match="same number of dimensions")
    check_error(lambda m, x: x.index_select(0, m.tensor([3])), x, match="out of range")
    check_error(lambda m, x: x.index_select(0, m.tensor([[0]])), x, match="vector")
    check_error(lambda m, x: x.scatter(0, m.tensor([[3]]), 1.0), x, match="out of bounds")
    check_error(lambda m, x: x.masked_fill(m.ones(3, 4), 0), x, match="bool")


@pytest.mark.parametrize("dtype", FLOATS)
def test_index_ops(dtype):
    x = Arg(arr((4, 3), dtype))
    idx = Arg(np.array([2, 0, 2]), grad=False)
    src = Arg(arr((3, 3), dtype, seed=3))
    src2 = Arg(arr((4, 3), dtype, seed=4))
    check(lambda m, x, i, s, s2: (x.index_select(0, i), m.index_select(x, 1, i[:2]),
                                  x.index_add(0, i, s), m.index_add(x, 1, i, s2, alpha=2),
                                  x.index_fill(1, i[:1], -1.0)), x, idx, src, src2,
          gradgrad=True)
    uniq = Arg(np.array([3, 0, 1]), grad=False)
    check(lambda m, x, i, s: (x.index_copy(0, i, s), x.index_put((i,), s),
                              x.index_put((i, i % 3), s[0], accumulate=True)), x, uniq, src,
          gradgrad=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_masks_and_nonzero(dtype):
    x = Arg(arr((3, 4), dtype))
    mask = Arg(arr((3, 4), "bool", seed=3))
    rowmask = Arg(arr((4,), "bool", seed=4))
    src = Arg(arr((12,), dtype, seed=5))
    check(lambda m, x, k, r: (x.masked_fill(k, 0.5), m.masked_fill(x, r, -1.0),
                              x.masked_select(k), m.masked_select(x, r), x[k], x[:, r]),
          x, mask, rowmask, gradgrad=True)
    check(lambda m, x, k, s: x.masked_scatter(k, s), x, mask, src, gradgrad=True)
    check(lambda m, x, k: x.masked_fill(k, m.tensor(2.0)), x, mask)
    check(lambda m, x: (m.nonzero(x > 0), (x > 0).nonzero(as_tuple=True), m.argwhere(x > 0),
                        m.nonzero(m.tensor(1.0)), m.nonzero(m.zeros(0, 2))), x, grad=False)


@pytest.mark.parametrize("dtype", FLOATS)
def test_index_add_and_index_copy_gradients(dtype):
    x = Arg(arr((4, 3), dtype))
    src = Arg(arr((2, 3), dtype, seed=1))
    col = Arg(arr((4, 2), dtype, seed=2))
    check(lambda m, x, s: x.index_add(0, m.tensor([3, 3]), s, alpha=0.5), x, src, gradgrad=True)
    check(lambda m, x, s: x.index_add(1, m.tensor([2, 0]), s), x, col)
    check(lambda m, x, s: x.index_copy(0, m.tensor([1, 3]), s), x, src, gradgrad=True)
    check(lambda m, x, s: x.index_fill(1, m.tensor([0]), 2.0), x, src)
    zero = Arg(np.array(2.0, dtype=dtype))
    five = Arg(np.array(5.0, dtype=dtype))
    check(lambda m, z, w: (z.index_add(0, m.tensor(0), w, alpha=2),
                           z.index_copy(0, m.tensor([0]), w), z.index_fill(0, m.tensor([0]), 3.0)),
          zero, five)
    names = []
    for lib in (ember, torch):
        a = lib.zeros(3, requires_grad=True)
        b = lib.ones(1, requires_grad=True)
        names.append([a.index_add(0, lib.tensor([1]), b).grad_fn.name(),
                      a.index_copy(0, lib.tensor([1]), b).grad_fn.name()])
    assert names[0] == names[1]


def test_index_and_scatter_argument_errors_follow_torch():
    cases = [
        lambda m: m.zeros(3).index_add_(0, m.tensor([0]), m.ones(1, dtype=m.float64)),
        lambda m: m.zeros(3).index_copy_(0, m.tensor([0]), m.ones(1, dtype=m.float64)),
        lambda m: m.zeros(3).scatter_add_(0, m.tensor([0]), m.ones(1, dtype=m.float64)),
        lambda m: m.zeros(3).scatter(0, m.tensor([0]), m.ones(1, dtype=m.float64)),
        lambda m: m.zeros(3).index_add_(0, m.tensor([0.0]), m.ones(1)),
        lambda m: m.zeros(3).index_copy(0, m.tensor([0.0]), m.ones(1)),
        lambda m: m.zeros(3).index_fill(0, m.tensor([0.0]), 1.0),
        lambda m: m.zeros(2, 3).scatter_add_(0, m.tensor([[0, 1, 1, 1]]), m.ones(1, 3)),
        lambda m: m.zeros(2, 3).scatter_(0, m.tensor([[0, 1, 1, 1]]), 1.0),
        lambda m: m.zeros(2, 3).index_add_(0, m.tensor([0]), m.ones(1, 2)),
        lambda m: m.zeros(3).index_add_(0, m.tensor([5]), m.ones(1)),
        lambda m: m.randn(2, dtype=m.int64),
        lambda m: m.rand_like(m.tensor([1, 2])),
    ]
    for case in cases:
        check_error(case)
