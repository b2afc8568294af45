"""Parity of in-place ops with torch: values, memory sharing with views, gradients through
in-place writes on non-leaf tensors and on views, and type rules for in-place results."""

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _parity import FLOATS, Arg, arr, check, check_error  # noqa: E402

import ember  # noqa: E402

# name -> (extra args builder, low, high)
INPLACE = {
    "add_": (lambda m, o: (o,), -2, 2), "sub_": (lambda m, o: (o, ), -2, 2),
    "mul_": (lambda m, o: (o,), -2, 2), "div_": (lambda m, o: (o,), 0.5, 2),
    "pow_": (lambda m, o: (2,), 0.5, 2), "clamp_": (lambda m, o: (-0.5, 0.5), -2, 2),
    "neg_": (lambda m, o: (), -2, 2), "exp_": (lambda m, o: (), -2, 2),
    "sqrt_": (lambda m, o: (), 0.5, 2), "relu_": (lambda m, o: (), -2, 2),
    "sigmoid_": (lambda m, o: (), -2, 2), "tanh_": (lambda m, o: (), -2, 2),
    "lerp_": (lambda m, o: (o, 0.3), -2, 2), "addcmul_": (lambda m, o: (o, o, ), -2, 2),
    "addcdiv_": (lambda m, o: (o, o + 3), -2, 2), "abs_": (lambda m, o: (), -2, 2),
    "log_": (lambda m, o: (), 0.5, 2), "sin_": (lambda m, o: (), -2, 2),
    "clamp_min_": (lambda m, o: (0.1,), -2, 2), "masked_fill_": (lambda m, o: (o > 0, 1.5), -2, 2),
    "fill_": (lambda m, o: (0.25,), -2, 2), "zero_": (lambda m, o: (), -2, 2),
    "copy_": (lambda m, o: (o,), -2, 2), "square_": (lambda m, o: (), -2, 2),
    "floor_": (lambda m, o: (), -2, 2), "reciprocal_": (lambda m, o: (), 0.5, 2),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_non_leaf_matches_out_of_place(name, dtype):
    extra, lo, hi = INPLACE[name]

    def run(m, x, o):
        y = x * 1
        r = getattr(y, name)(*extra(m, o))
        assert r is y
        return y

    check(run, Arg(arr((3, 4), dtype, lo, hi)), Arg(arr((4,), dtype, lo, hi, seed=2)),
          gradgrad=name not in ("fill_", "zero_"))


@pytest.mark.parametrize("dtype", FLOATS)
def test_inplace_on_views_updates_base_and_grads(dtype):
    def run(m, x, o):
        y = x * 2
        y[1].mul_(o)
        y[:, 0].add_(1.0)
        y.t()[2].sub_(o[:3])
        y.diagonal().zero_()
        v = y.view(-1)
        v[3:5] = o[:2]
        return y

    check(run, Arg(arr((3, 4), dtype)), Arg(arr((4,), dtype, seed=1)), gradgrad=True)


def test_operators_inplace_keep_identity_and_version():
    for lib in (ember, torch):
        x = lib.ones(3)
        ident = id(x)
        v0 = x._version
        x += 1
        x *= lib.tensor([1.0, 2.0, 3.0])
        x -= 0.5
        x /= 2
        x **= 2
        assert id(x) == ident and x._version == v0 + 5
        y = x.view(3)
        y.add_(1)
        assert x._version == y._version == v0 + 6
        i = lib.arange(4)
        i //= 2
        i %= 3
        i |= 4
        i &= 5
        i ^= 1
        assert i.tolist() == [5, 5, 4, 4]


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_inplace_type_rules(dtype):
    x = Arg(arr((3,), dtype, 0, 3), grad=False)
    check(lambda m, x: x.clone().add_(1) if dtype != "bool" else x.clone().logical_not_(), x)
    check_error(lambda m, x: x.clone().add_(1.5), x, match="can't be cast")
    check_error(lambda m, x: x.clone().div_(2), x, match="can't be cast")
    check(lambda m: m.zeros(3).add_(m.tensor([1, 2, 3])), grad=False)
    check(lambda m: m.zeros(3).copy_(m.tensor([1, 2, 3])), grad=False)
    check(lambda m: m.zeros(3, dtype=m.int64).copy_(m.tensor([1.7, -2.2, 3.9])), grad=False)


def test_inplace_broadcast_rules():
    x = Arg(arr((3, 4), "float32"), grad=False)
    check(lambda m, x: x.clone().add_(m.ones(4)), x)
    check_error(lambda m, x: x.clone().add_(m.ones(2, 3, 4)), x,
                match="doesn't match the broadcast shape")
    check_error(lambda m, x: x.clone()[:, :1].add_(m.ones(3, 4)), x,
                match="doesn't match the broadcast shape")
    check_error(lambda m, x: x.expand(2, 3, 4).add_(1), x, match="single memory location")


def test_random_fills_in_place():
    x = ember.empty(1000)
    assert x.uniform_(2, 3) is x and 2 <= float(x.min()) and float(x.max()) < 3
    x.normal_(5, 0.1)
    assert abs(float(x.mean()) - 5) < 0.05
    x.bernoulli_(0.3)
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    x.exponential_(2.0)
    assert float(x.min()) >= 0 and abs(float(x.mean()) - 0.5) < 0.1
    i = ember.empty(1000, dtype=ember.int64).random_(0, 10)
    assert 0 <= int(i.min()) and int(i.max()) < 10


@pytest.mark.parametrize("dtype", FLOATS)
def test_inplace_indexing_methods(dtype):
    def run(m, x, s):
        y = x * 1
        idx = m.tensor([2, 0])
        y.index_add_(0, idx, s[:2])
        y.index_copy_(1, m.tensor([3]), s[:, :1])
        y.index_fill_(1, m.tensor([0]), -1.0)
        y.scatter_(1, m.tensor([[1], [2], [0]]), s[:, 1:2])
        y.scatter_add_(0, m.tensor([[0, 1, 2, 0]]), s[:1])
        y.index_put_((m.tensor([1]), m.tensor([1])), s[0, 0] * 3, accumulate=True)
        y.masked_fill_(y > 1.5, 0.0)
        y.masked_scatter_(y < -1.5, s.reshape(-1))
        return y

    check(run, Arg(arr((3, 4), dtype)), Arg(arr((3, 4), dtype, seed=3)), gradgrad=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_methods_and_meshgrid(dtype):
    x = Arg(arr((3, 4), dtype))
    check(lambda m, x: (x.softmax(1), m.softmax(x, 0), x.log_softmax(-1),
                        m.log_softmax(x, 0, dtype=m.float64), m.sigmoid(x), m.tanh(x),
                        m.relu(x)), x, gradgrad=True)
    a = Arg(arr((3,), dtype))
    b = Arg(arr((2,), dtype, seed=1))
    check(lambda m, a, b: (m.meshgrid(a, b, indexing="ij"), m.meshgrid([a, b], indexing="xy")),
          a, b, gradgrad=True)
