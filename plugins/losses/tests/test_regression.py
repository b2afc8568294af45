"""l1, mse, huber, smooth_l1, poisson_nll, gaussian_nll and kl_div: parity with torch."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from losses_parity import G, check, check_error, rand  # noqa: E402

DTYPES = ["float32", "float64"]
REDUCTIONS = ["none", "mean", "sum"]


def F(lib):
    return lib.nn.functional


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "huber_loss", "smooth_l1_loss"])
def test_pointwise_losses(dtype, reduction, name):
    x = rand((4, 5), dtype)
    y = rand((4, 5), dtype, seed=3)
    y[0, 0] = x[0, 0]
    w = rand((4, 5), dtype, 0.1, 2.0, seed=4)
    check(lambda lib, x, y: getattr(F(lib), name)(x, y, reduction=reduction), G(x), G(y))
    if name != "smooth_l1_loss":
        check(lambda lib, x, y, w: getattr(F(lib), name)(x, y, reduction=reduction, weight=w),
              G(x), G(y), w)


@pytest.mark.parametrize("dtype", DTYPES)
def test_huber_delta_and_smooth_l1_beta(dtype):
    x = rand((6, 3), dtype, -4, 4)
    y = rand((6, 3), dtype, -4, 4, seed=2)
    for delta in (0.5, 1.0, 2.5):
        check(lambda lib, x, y: F(lib).huber_loss(x, y, delta=delta), G(x), G(y))  # noqa: B023
    for beta in (0.0, 0.5, 3.0):
        check(lambda lib, x, y: F(lib).smooth_l1_loss(x, y, beta=beta, reduction="sum"),  # noqa: B023
              G(x), G(y))


def test_pointwise_broadcast_warns():
    x = rand((4, 5), "float32")
    y = rand((5,), "float32", seed=2)
    for name in ("l1_loss", "mse_loss", "huber_loss", "smooth_l1_loss"):
        with pytest.warns(UserWarning, match="Using a target size"):
            check(lambda lib, x, y: getattr(F(lib), name)(x, y), G(x), G(y))  # noqa: B023


def test_pointwise_errors():
    x = rand(3, "float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error(lambda lib, a, b: F(lib).mse_loss(a, b), x, rand(4, "float32"), match="")
    check_error(lambda lib, a, b: F(lib).smooth_l1_loss(a, b, beta=-1.0), x, x)
    check_error(lambda lib, a, b: F(lib).huber_loss(a, b, delta=0.0), x, x)
    check_error(lambda lib, a, b: F(lib).l1_loss(a, b, weight=a[:2]), x, x)
    check_error(lambda lib, a, b: F(lib).mse_loss(a, b, reduction="avg"), x, x)
    check_error(lambda lib, a, b: F(lib).l1_loss(a, b, reduction="avg", weight=a), x, x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll(dtype, reduction, log_input, full):
    x = rand((4, 5), dtype, 0.1, 3.0)
    y = np.floor(rand((4, 5), dtype, 0.0, 6.0, seed=2)) + 0.5
    check(lambda lib, x, y: F(lib).poisson_nll_loss(x, y, log_input=log_input, full=full,
                                                    eps=1e-6, reduction=reduction),
          G(x), G(y))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3), "float"])
def test_gaussian_nll(dtype, reduction, full, var_shape):
    x = rand((4, 3), dtype)
    y = rand((4, 3), dtype, seed=2)
    var = 0.7 if var_shape == "float" else G(rand(var_shape, dtype, 0.1, 2.0, seed=3))
    check(lambda lib, x, y, v: F(lib).gaussian_nll_loss(x, y, v, full=full,
                                                        reduction=reduction),
          G(x), G(y), var)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_nll_tiny_variance(dtype):
    x = rand((5, 2), dtype)
    y = rand((5, 2), dtype, seed=2)
    var = np.array([1e-30, 1e-12, 1e-7, 0.0, 2.0], dtype)[:, None] * np.ones((1, 2), dtype)
    for eps in (1e-6, 1e-3):
        out, _ = check(lambda lib, x, y, v: F(lib).gaussian_nll_loss(x, y, v, eps=eps),  # noqa: B023
                       G(x), G(y), G(var))
        assert np.isfinite(out.detach().numpy()).all()


def test_gaussian_nll_errors():
    x = rand(3, "float32")
    g = lambda lib, *a, **k: F(lib).gaussian_nll_loss(*a, **k)  # noqa: E731
    check_error(g, x, x, rand(2, "float32", 0.1, 1))
    check_error(g, x, x, -rand(3, "float32", 0.1, 1))
    check_error(g, x, x, -1.0)
    check_error(g, x, x, 1, match="var must be a Tensor or a float")
    check_error(g, x, x, rand(3, "float32", 0.1, 1), reduction="x")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(dtype, reduction, log_target):
    x = np.log(rand((4, 5), dtype, 0.05, 1.0))
    y = rand((4, 5), dtype, 0.05, 1.0, seed=2)
    if log_target:
        y = np.log(y)
    check(lambda lib, x, y: F(lib).kl_div(x, y, reduction=reduction, log_target=log_target),
          G(x), G(y))


def test_kl_div_mean_warns_and_zero_target():
    x = np.log(rand((4, 5), "float64", 0.05, 1.0))
    y = rand((4, 5), "float64", 0.05, 1.0, seed=2)
    y[0, :2] = 0.0
    with pytest.warns(UserWarning, match="batchmean"):
        check(lambda lib, x, y: F(lib).kl_div(x, y), G(x), y)
    check(lambda lib, x, y: F(lib).kl_div(x, y, reduction="sum"), G(x), y)
    check_error(lambda lib, a, b: F(lib).kl_div(a, b, reduction="sum"), x,
                np.array([[1] * 5] * 4))
    check_error(lambda lib, a, b: F(lib).kl_div(a, b, reduction="x"), x, y)


def test_regression_legacy_flags():
    x = rand((3, 4), "float32")
    y = rand((3, 4), "float32", seed=2)
    for name in ("l1_loss", "mse_loss", "smooth_l1_loss", "poisson_nll_loss", "kl_div"):
        with pytest.warns(UserWarning, match="size_average and reduce"):
            check(lambda lib, x, y: getattr(F(lib), name)(x, y, reduce=False), G(x), G(y))  # noqa: B023
