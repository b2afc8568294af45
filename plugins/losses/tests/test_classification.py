"""nll_loss, cross_entropy, binary_cross_entropy(_with_logits): parity with torch."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from losses_parity import G, check, check_error, ints, rand  # noqa: E402

DTYPES = ["float32", "float64"]
REDUCTIONS = ["none", "mean", "sum"]


def F(lib):
    return lib.nn.functional


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (4, 5), (3, 5, 4), (2, 5, 3, 2), (2, 5, 2, 2, 2)])
def test_cross_entropy_indices(dtype, reduction, shape):
    x = rand(shape, dtype)
    tshape = () if len(shape) == 1 else (shape[0], *shape[2:])
    t = ints(tshape, 5)
    check(lambda lib, x, t: F(lib).cross_entropy(x, t, reduction=reduction), G(x), t)
    check(lambda lib, x, t: F(lib).nll_loss(x.log_softmax(0 if x.ndim == 1 else 1), t,
                                            reduction=reduction), G(x), t)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_weight_ignore_index(dtype, reduction, smoothing):
    x = rand((6, 4, 3), dtype)
    t = ints((6, 3), 4)
    t[0, 1] = t[3, 2] = -100
    t[2, 0] = 2
    w = rand(4, dtype, 0.2, 2.0, seed=3)
    check(lambda lib, x, t, w: F(lib).cross_entropy(x, t, weight=w, reduction=reduction,
                                                    label_smoothing=smoothing), G(x), t, w)
    t2 = t.copy()
    t2[t2 == -100] = 1
    check(lambda lib, x, t: F(lib).cross_entropy(x, t, ignore_index=1, reduction=reduction,
                                                 label_smoothing=smoothing), G(x), t2)
    check(lambda lib, x, t, w: F(lib).nll_loss(x, t, weight=w, ignore_index=1,
                                               reduction=reduction), G(x), t2, w)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(5,), (4, 5), (3, 5, 2, 2)])
def test_cross_entropy_probabilities(dtype, reduction, smoothing, shape):
    x = rand(shape, dtype)
    p = rand(shape, dtype, 0.0, 1.0, seed=5)
    w = rand(5, dtype, 0.2, 2.0, seed=3)
    check(lambda lib, x, p: F(lib).cross_entropy(x, p, reduction=reduction,
                                                 label_smoothing=smoothing), G(x), G(p))
    check(lambda lib, x, p, w: F(lib).cross_entropy(x, p, w, reduction=reduction,
                                                    label_smoothing=smoothing), G(x), p, w)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_large_logits(dtype):
    x = rand((4, 6), dtype) * 1e4
    t = ints(4, 6)
    for reduction in REDUCTIONS:
        out, _ = check(lambda lib, x, t: F(lib).cross_entropy(x, t, reduction=reduction),  # noqa: B023
                       G(x), t)
        assert np.isfinite(out.detach().numpy()).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_nll_all_ignored_and_empty(dtype):
    x = rand((3, 4), dtype)
    t = np.full(3, -100)
    check(lambda lib, x, t: F(lib).nll_loss(x, t), G(x), t)
    check(lambda lib, x, t: F(lib).cross_entropy(x, t, label_smoothing=0.2), G(x), t)
    check(lambda lib, x, t: F(lib).nll_loss(x, t, reduction="sum"), G(x), t)
    e = np.zeros((0, 4), dtype)
    check(lambda lib, x, t: F(lib).nll_loss(x, t), G(e), np.zeros(0, np.int64))


def test_nll_uint8_target_and_1d_target():
    x = rand((3, 4), "float32")
    check(lambda lib, x, t: F(lib).nll_loss(x, t), G(x), np.array([0, 3, 1], np.uint8))
    check(lambda lib, x, t: F(lib).nll_loss(x, t, reduction="none"), x[0],
          np.array([2]))


def test_legacy_reduction_flags():
    x = rand((3, 4), "float32")
    t = ints(3, 4)
    for sa, rd in [(False, None), (None, False), (True, True)]:
        with pytest.warns(UserWarning, match="size_average and reduce"):
            check(lambda lib, x, t: F(lib).cross_entropy(x, t, size_average=sa, reduce=rd),  # noqa: B023
                  G(x), t)


def test_classification_errors():
    x = rand((3, 5), "float32")
    ce, nll = (lambda lib, *a, **k: F(lib).cross_entropy(*a, **k),
               lambda lib, *a, **k: F(lib).nll_loss(*a, **k))
    check_error(nll, x, np.array([0, 1, 5]))
    check_error(nll, x, np.array([0, 1, -2]))
    check_error(nll, x, np.array([0.0, 1.0, 2.0], np.float32))
    check_error(nll, x, np.array([0, 1]))
    check_error(nll, x, np.array([0, 1, 1]), weight=np.ones(4, np.float32))
    check_error(nll, rand((2, 3, 4), "float32"), np.zeros((2, 5), np.int64))
    check_error(nll, rand((2, 3, 4, 5), "float32"), np.zeros((2, 4), np.int64))
    check_error(nll, rand((2, 3, 4, 5), "float32"), np.zeros((2, 4, 4), np.int64))
    check_error(nll, np.array(1.0, np.float32), np.array(0))
    check_error(nll, x[0], np.array([2, 1]))
    check_error(ce, x, np.array([0, 1, 7]))
    check_error(ce, x, np.zeros((3, 5), np.int64))
    check_error(ce, x, rand((3, 5), "float32", 0, 1), ignore_index=2)
    check_error(ce, x, np.array([0, 1, 1]), label_smoothing=1.5)
    check_error(ce, x, rand((3, 5), "float32", 0, 1), label_smoothing=1.5)
    check_error(ce, x, np.array([0, 1, 1]), reduction="foo")
    check_error(ce, x, rand((3, 5), "float32", 0, 1), weight=np.ones(3, np.float32))
    check_error(nll, x.astype("float64"), np.array([0, 1, 1]), weight=np.ones(5, np.float32))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(dtype, reduction):
    x = rand((4, 3), dtype, 0.01, 0.99)
    y = rand((4, 3), dtype, 0.0, 1.0, seed=2)
    w = rand((3,), dtype, 0.5, 2.0, seed=4)
    check(lambda lib, x, y: F(lib).binary_cross_entropy(x, y, reduction=reduction), G(x), G(y))
    check(lambda lib, x, y, w: F(lib).binary_cross_entropy(x, y, w, reduction=reduction),
          G(x), G(y), w)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_edges(dtype):
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.5], dtype)
    out, _ = check(lambda lib, x, y: F(lib).binary_cross_entropy(x, y, reduction="none"),
                   G(x), y)
    assert np.isfinite(out.detach().numpy()).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(dtype, reduction):
    x = rand((4, 3), dtype, -5, 5)
    y = rand((4, 3), dtype, 0.0, 1.0, seed=2)
    w = rand((4, 1), dtype, 0.5, 2.0, seed=4)
    pw = rand((3,), dtype, 0.5, 3.0, seed=6)
    check(lambda lib, x, y: F(lib).binary_cross_entropy_with_logits(x, y, reduction=reduction),
          G(x), G(y))
    check(lambda lib, x, y, w, pw: F(lib).binary_cross_entropy_with_logits(
        x, y, w, reduction=reduction, pos_weight=pw), G(x), G(y), w, pw)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_extreme(dtype):
    x = np.array([100.0, -100.0, 100.0, -100.0, 0.0, 30.0], dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 1.0], dtype)
    pw = np.array([2.0], dtype)
    for kw in ({}, {"pos_weight": pw}):
        out, _ = check(lambda lib, x, y, **k: F(lib).binary_cross_entropy_with_logits(
            x, y, reduction="none", **k), G(x), y, **kw)
        assert np.isfinite(out.detach().numpy()).all()


def test_binary_errors():
    bce = lambda lib, *a, **k: F(lib).binary_cross_entropy(*a, **k)  # noqa: E731
    bcel = lambda lib, *a, **k: F(lib).binary_cross_entropy_with_logits(*a, **k)  # noqa: E731
    x = rand(3, "float32", 0, 1)
    check_error(bce, x, rand((3, 1), "float32", 0, 1), match="is different to the input size")
    check_error(bce, np.array([1.5], np.float32), np.array([1.0], np.float32))
    check_error(bce, x, x.astype("float64"))
    check_error(bcel, x, rand((3, 1), "float32"), match="must be the same as input size")
    check_error(bce, x, x, reduction="bad")
    check_error(bce, x, x, weight=G(x))
    check_error(bcel, x, x, weight=G(x))
    check_error(bcel, x, x, pos_weight=G(x))
    xs = rand((3, 4), "float32")
    check_error(lambda lib, a, t, w: F(lib).nll_loss(a, t, w), xs, np.array([0, 1, 2]),
                G(np.ones(4, np.float32)))
    check_error(lambda lib, a, t, w: F(lib).cross_entropy(a, t, w), G(xs), np.array([0, 1, 2]),
                G(np.ones(4, np.float32)))
