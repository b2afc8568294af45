"""Parity of factory functions with torch: values, shapes, dtype inference, and the
statistics of the random factories (which are seeded, but not bit-identical to torch)."""

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _parity import check, check_error  # noqa: E402

import ember  # noqa: E402


@pytest.mark.parametrize("data", [1, 2.5, True, [1, 2], [1.0, 2], [[True, False]], [], [[]],
                                  [[1, 2], [3, 4]], np.float32(1.5), np.arange(3, dtype="int32"),
                                  np.ones((2, 2), dtype="float64"), [np.int64(1), 2]])
def test_tensor_dtype_inference(data):
    check(lambda m: (m.tensor(data), m.as_tensor(data)), grad=False)


def test_tensor_options():
    check(lambda m: (m.tensor([1, 2], dtype=m.float64), m.tensor(3.0, dtype=m.int32),
                     m.tensor([1.5], requires_grad=True)), grad=False)
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="sourceTensor.detach"):
            assert lib.tensor(lib.tensor([1, 2])).tolist() == [1, 2]
    check_error(lambda m: m.tensor([[1, 2], [3]]))
    check_error(lambda m: m.tensor([1], requires_grad=True, dtype=m.int64),
                match="floating point")
    a = np.arange(4.0)
    t = ember.from_numpy(a)
    a[0] = 7
    assert t[0].item() == 7
    assert ember.as_tensor(a).numpy() is not None and ember.as_tensor(a)[0].item() == 7


def test_python_floats_convert_straight_to_the_given_dtype():
    # not through the default float dtype: 0.3 in float64 is the double nearest 0.3
    for data in (0.3, [0.3, 1e-50], [[0.1, 2]], [True, 0.7]):
        for name in ("float64", "bfloat16", "float16", "int64"):
            for make in ("tensor", "as_tensor"):
                ours = getattr(ember, make)(data, dtype=getattr(ember, name))
                ref = getattr(torch, make)(data, dtype=getattr(torch, name))
                assert ours.dtype.itemsize == ref.dtype.itemsize
                np.testing.assert_array_equal(ours.float().numpy() if name == "bfloat16"
                                              else ours.numpy(),
                                              ref.float().numpy() if name == "bfloat16"
                                              else ref.numpy())


@pytest.mark.parametrize("dtype", [None, "float64", "int32", "bool", "float16"])
def test_filled_factories(dtype):
    def run(m):
        d = None if dtype is None else getattr(m, dtype)
        x = m.ones(2, 3, dtype=d)
        return (m.zeros(2, 3, dtype=d), m.ones((2,), dtype=d), m.full((2, 2), 3, dtype=d),
                m.zeros_like(x), m.ones_like(x, dtype=m.float64), m.full_like(x, 1),
                m.empty(0, 3, dtype=d).shape, m.empty_like(x).shape, m.zeros([]),
                x.new_zeros(2), x.new_ones((1, 2)), x.new_full((2,), 1), x.new_empty(3).shape,
                x.new_tensor([1, 2]))

    check(run, grad=False)
    check(lambda m: (m.full((2,), 2.5), m.full((2,), True), m.full((1,), 7)), grad=False)


def test_ranges():
    check(lambda m: (m.arange(5), m.arange(1, 4), m.arange(0, 1, 0.25), m.arange(5.0),
                     m.arange(0, -3, -1), m.arange(2, 10, 3, dtype=m.float64),
                     m.arange(0.1, 1.0, 0.3), m.arange(m.tensor(3))), grad=False)
    check(lambda m: (m.linspace(0, 1, 5), m.linspace(-2, 2, 4, dtype=m.float64),
                     m.linspace(0, 10, 1), m.linspace(0, 10, 0), m.linspace(0, 10, 6,
                                                                             dtype=m.int64),
                     m.logspace(0, 2, 3), m.logspace(0, 3, 4, base=2.0)), grad=False)
    check_error(lambda m: m.arange(0, 5, 0), match="step")
    check_error(lambda m: m.arange(5, 0, 1), match="upper bound")
    check_error(lambda m: m.linspace(0, 1, -1), match="non-negative")


def test_eye_and_triangle_indices():
    check(lambda m: (m.eye(3), m.eye(2, 4), m.eye(3, dtype=m.int64), m.tril_indices(3, 3),
                     m.triu_indices(3, 4, 1), m.tril_indices(4, 3, -1), m.triu_indices(2, 2, -1)),
          grad=False)
    check(lambda m: (m.tril(m.ones(3, 3)), m.triu(m.ones(2, 4), 1)), grad=False)


def test_random_factories_seeded_and_statistical():
    ember.manual_seed(0)
    a = ember.rand(1000)
    ember.manual_seed(0)
    assert ember.equal(a, ember.rand(1000))
    assert ember.initial_seed() == 0
    state = ember.get_rng_state()
    b = ember.randn(4000)
    ember.set_rng_state(state)
    assert ember.equal(b, ember.randn(4000))
    assert abs(float(b.mean())) < 0.1 and abs(float(b.std()) - 1) < 0.1
    assert 0 <= float(a.min()) and float(a.max()) < 1
    r = ember.randint(3, 7, (2000,))
    assert r.dtype is ember.int64 and int(r.min()) == 3 and int(r.max()) == 6
    p = ember.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype is ember.int64
    x = ember.ones(2, 3, dtype=ember.float64)
    for out in (ember.rand_like(x), ember.randn_like(x), ember.randint_like(x, 5)):
        assert out.shape == x.shape and out.dtype is ember.float64
    n = ember.normal(2.0, 3.0, (5000,))
    assert abs(float(n.mean()) - 2) < 0.2 and abs(float(n.std()) - 3) < 0.2
    n2 = ember.normal(ember.zeros(3), ember.ones(3))
    assert n2.shape == (3,)
    bern = ember.bernoulli(ember.full((4000,), 0.25))
    assert abs(float(bern.mean()) - 0.25) < 0.05
    mult = ember.multinomial(ember.tensor([0.0, 1.0, 3.0]), 2000, replacement=True)
    counts = ember.bincount(mult, minlength=3).tolist()
    assert counts[0] == 0 and 0.15 < counts[1] / 2000 < 0.35
    g = ember.Generator().manual_seed(5)
    assert ember.equal(ember.rand(3, generator=g), ember.rand(3, generator=g.manual_seed(5)))
    assert isinstance(ember.seed(), int)


def test_factory_errors():
    check_error(lambda m: m.zeros(-1), match="non-negative")
    check_error(lambda m: m.empty(2, -1), match="negative dimension -1: \\[2, -1\\]")
    check_error(lambda m: m.ones(2, "a"))
    check_error(lambda m: m.randint(5, 2, (3,)), match="from")
    check_error(lambda m: m.eye(-1), match="-1")
