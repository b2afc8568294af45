"""Margin and embedding losses: parity with torch."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from losses_parity import G, check, check_error, ints, rand  # noqa: E402

DTYPES = ["float32", "float64"]
REDUCTIONS = ["none", "mean", "sum"]


def F(lib):
    return lib.nn.functional


def signs(shape, seed=3):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking(dtype, reduction):
    a, b = rand(6, dtype), rand(6, dtype, seed=2)
    y = signs(6).astype(dtype)
    for margin in (0.0, 0.5):
        check(lambda lib, a, b, y: F(lib).margin_ranking_loss(a, b, y, margin=margin,  # noqa: B023
                                                              reduction=reduction),
              G(a), G(b), G(y))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_and_soft_margin(dtype, reduction):
    x = rand((4, 5), dtype, -1.5, 2.5)
    y = signs((4, 5)).astype(dtype)
    for margin in (1.0, 0.3):
        check(lambda lib, x, y: F(lib).hinge_embedding_loss(x, y, margin=margin,  # noqa: B023
                                                            reduction=reduction), G(x), y)
    check(lambda lib, x, y: F(lib).soft_margin_loss(x, y, reduction=reduction), G(x), y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 5), (5,)])
def test_multilabel_soft_margin(dtype, reduction, shape):
    x = rand(shape, dtype)
    y = (np.random.default_rng(2).random(shape) < 0.5).astype(dtype)
    w = rand(shape[-1], dtype, 0.3, 2.0, seed=4)
    check(lambda lib, x, y: F(lib).multilabel_soft_margin_loss(x, y, reduction=reduction),
          G(x), G(y))
    check(lambda lib, x, y, w: F(lib).multilabel_soft_margin_loss(x, y, w, reduction=reduction),
          G(x), y, w)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin(dtype, reduction):
    x = rand((4, 5), dtype, -1, 1)
    t = np.array([[3, 0, -1, 1, 2], [0, 1, 2, 3, 4], [-1, 2, 3, 0, 0], [4, 4, 1, -1, 3]])
    check(lambda lib, x, t: F(lib).multilabel_margin_loss(x, t, reduction=reduction), G(x), t)
    check(lambda lib, x, t: F(lib).multilabel_margin_loss(x, t, reduction=reduction),
          G(x[1]), t[0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin(dtype, reduction, p):
    x = rand((6, 4), dtype, -1, 1)
    t = ints(6, 4)
    w = rand(4, dtype, 0.3, 2.0, seed=4)
    for margin in (1.0, 0.4):
        check(lambda lib, x, t: F(lib).multi_margin_loss(x, t, p=p, margin=margin,  # noqa: B023
                                                         reduction=reduction), G(x), t)
    check(lambda lib, x, t, w: F(lib).multi_margin_loss(x, t, p=p, weight=w,
                                                        reduction=reduction), G(x), t, w)
    check(lambda lib, x, t: F(lib).multi_margin_loss(x, t, p=p, reduction=reduction),
          G(x[0]), np.array(2))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding(dtype, reduction):
    a, b = rand((5, 3), dtype), rand((5, 3), dtype, seed=2)
    y = signs(5).astype(dtype)
    for margin in (0.0, 0.2, -0.3):
        check(lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y, margin=margin,  # noqa: B023
                                                                reduction=reduction),
              G(a), G(b), y)
    check(lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y, reduction=reduction),
          G(a[0]), G(b[0]), np.array(-1.0, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin(dtype, reduction, p, swap):
    a, pos, neg = (rand((5, 4), dtype, seed=s) for s in (1, 2, 3))
    check(lambda lib, a, b, c: F(lib).triplet_margin_loss(a, b, c, margin=2.0, p=p, swap=swap,
                                                          reduction=reduction),
          G(a), G(pos), G(neg))
    check(lambda lib, a, b, c: F(lib).triplet_margin_loss(a, b, c, p=p, swap=swap,
                                                          reduction=reduction),
          G(a[0]), G(pos[0]), G(neg[0]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_with_distance(dtype, reduction, swap):
    a, pos, neg = (rand((5, 4), dtype, seed=s) for s in (1, 2, 3))

    def cosine_distance(lib):
        return lambda u, v: 1 - (u * v).sum(-1) / ((u * u).sum(-1) * (v * v).sum(-1)).sqrt()

    check(lambda lib, a, b, c: F(lib).triplet_margin_with_distance_loss(
        a, b, c, swap=swap, margin=1.5, reduction=reduction), G(a), G(pos), G(neg))
    check(lambda lib, a, b, c: F(lib).triplet_margin_with_distance_loss(
        a, b, c, distance_function=cosine_distance(lib), swap=swap, reduction=reduction),
        G(a), G(pos), G(neg))


def test_margin_errors():
    x = rand((3, 5), "float32")
    check_error(lambda lib, x, t: F(lib).multi_margin_loss(x, t), x, np.array([0, 1, 5]))
    check_error(lambda lib, x, t: F(lib).multi_margin_loss(x, t), x, np.array([0, 1]))
    check_error(lambda lib, x, t: F(lib).multi_margin_loss(x, t, p=3), x, np.array([0, 1, 1]))
    check_error(lambda lib, x, t: F(lib).multilabel_margin_loss(x, t), x,
                np.array([[0, 1, 5, -1, 0]] * 3))
    check_error(lambda lib, x, t: F(lib).multilabel_margin_loss(x, t), x,
                np.array([[0, 1, -2, -1, 0]] * 3))
    check_error(lambda lib, x, t: F(lib).multilabel_margin_loss(x, t), x,
                np.array([[0, 1, 2, -1]] * 3))
    check_error(lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y), x, x,
                np.ones((3, 1), np.float32))
    check_error(lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y), x, x,
                np.array(1.0, np.float32))
    check_error(lambda lib, a, b, y: F(lib).margin_ranking_loss(a, b, y), x[0], x[0],
                np.ones((5, 1), np.float32))
    check_error(lambda lib, a, b, c: F(lib).triplet_margin_loss(a, b, c), x, x, x[0])
    check_error(lambda lib, a, b, c: F(lib).triplet_margin_loss(a, b, c, margin=0.0), x, x, x)
    check_error(lambda lib, a, b, c: F(lib).triplet_margin_with_distance_loss(
        a, b, c, margin=-1.0), x, x, x)
    check_error(lambda lib, a, b, c: F(lib).triplet_margin_with_distance_loss(
        a, b, c, reduction="x"), x, x, x)
    check_error(lambda lib, a, b: F(lib).multilabel_soft_margin_loss(a, b, reduction="x"),
                x, x)
    check_error(lambda lib, a, b: F(lib).soft_margin_loss(a, b), x, rand((3, 4), "float32"),
                match="")
    check_error(lambda lib, a, b: F(lib).soft_margin_loss(a, b), x, G(x))
    check_error(lambda lib, a, b, w: F(lib).multi_margin_loss(a, b, weight=w), x,
                np.array([0, 1, 1]), G(np.ones(5, np.float32)))
