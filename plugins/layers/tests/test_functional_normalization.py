"""Parity of the functional normalization ops with torch: values, gradients of input,
weight and bias, second derivatives, running statistics and error messages."""

import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _layers_parity import FLOATS, Arg, F, arr, check, check_error, np_of  # noqa: E402


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 2, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training(shape, affine, dtype):
    c = shape[1]
    w = Arg(arr(c, dtype, 0.5, 1.5, seed=1)) if affine else None
    b = Arg(arr(c, dtype, seed=2)) if affine else None
    rm0, rv0 = arr(c, dtype, seed=3), arr(c, dtype, 0.5, 2.0, seed=4)
    stats = {}

    def fn(lib, x, w, b):
        rm, rv = lib.tensor(rm0.copy()), lib.tensor(rv0.copy())
        out = F(lib).batch_norm(x, rm, rv, w, b, training=True, momentum=0.3, eps=1e-3)
        stats[lib.__name__] = (np_of(rm), np_of(rv))
        return out

    check(fn, Arg(arr(shape, dtype)), w, b, gradgrad=dtype == "float64")
    np.testing.assert_allclose(stats["ember"][0], stats["torch"][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats["ember"][1], stats["torch"][1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
def test_batch_norm_eval_and_no_running_stats(dtype):
    c = 3
    rm, rv = Arg(arr(c, dtype, seed=3), grad=False), Arg(arr(c, dtype, 0.5, 2, seed=4),
                                                         grad=False)
    w, b = Arg(arr(c, dtype, seed=1)), Arg(arr(c, dtype, seed=2))
    check(lambda lib, x, rm, rv, w, b: F(lib).batch_norm(x, rm, rv, w, b, training=False),
          Arg(arr((4, 3, 5), dtype)), rm, rv, w, b, gradgrad=dtype == "float64")
    check(lambda lib, x: F(lib).batch_norm(x, None, None, training=True),
          Arg(arr((4, 3, 5), dtype)))


def test_batch_norm_errors():
    check_error(lambda lib, x: F(lib).batch_norm(x, lib.zeros(3), lib.ones(3), training=True),
                Arg(arr((1, 3))), match="Expected more than 1 value per channel when training")
    check_error(lambda lib, x: F(lib).batch_norm(x, lib.zeros(4), lib.ones(4), training=True),
                Arg(arr((2, 3))), match="batch_norm.*running_mean should contain 3 elements "
                                         "not 4")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 4)])
@pytest.mark.parametrize("running", [True, False])
def test_instance_norm(shape, running, dtype):
    c = shape[1]
    rm0, rv0 = arr(c, dtype, seed=3), arr(c, dtype, 0.5, 2.0, seed=4)
    stats = {}

    def fn(lib, x, w, b):
        rm = lib.tensor(rm0.copy()) if running else None
        rv = lib.tensor(rv0.copy()) if running else None
        out = F(lib).instance_norm(x, rm, rv, w, b, momentum=0.2, eps=1e-4)
        if running:
            stats[lib.__name__] = (np_of(rm), np_of(rv))
        return out

    check(fn, Arg(arr(shape, dtype)), Arg(arr(c, dtype, seed=1)), Arg(arr(c, dtype, seed=2)),
          gradgrad=dtype == "float64")
    if running:
        np.testing.assert_allclose(stats["ember"][0], stats["torch"][0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(stats["ember"][1], stats["torch"][1], rtol=1e-5, atol=1e-6)


def test_instance_norm_running_stats_in_eval_and_errors():
    rm, rv = Arg(arr(3, seed=3), grad=False), Arg(arr(3, low=0.5, seed=4), grad=False)
    check(lambda lib, x, rm, rv: F(lib).instance_norm(x, rm, rv, use_input_stats=False),
          Arg(arr((2, 3, 5))), rm, rv)
    check_error(lambda lib, x: F(lib).instance_norm(x), Arg(arr((2, 3, 1))),
                match="Expected more than 1 spatial element when training")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("nshape", [(5,), (4, 5)])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm(nshape, affine, dtype):
    w = Arg(arr(nshape, dtype, 0.5, 1.5, seed=1)) if affine != "none" else None
    b = Arg(arr(nshape, dtype, seed=2)) if affine == "both" else None
    check(lambda lib, x, w, b: F(lib).layer_norm(x, nshape, w, b, eps=1e-4),
          Arg(arr((3, 4, 5), dtype)), w, b, gradgrad=dtype == "float64")


def test_layer_norm_int_shape_noncontig_and_errors():
    check(lambda lib, x: F(lib).layer_norm(x, (4,)), Arg(arr((3, 5, 4)), noncontig=True))
    check(lambda lib, x: F(lib).layer_norm(x.transpose(0, 1), (3,)), Arg(arr((3, 5))))
    check_error(lambda lib, x: F(lib).layer_norm(x, (5,)), Arg(arr((3, 4))),
                match=r"layer_norm.*normalized_shape=\[5\], expected input with shape \[\*, 5\], "
                      r"but got input of size\[3, 4\]")
    check_error(lambda lib, x, w: F(lib).layer_norm(x, (4,), w), Arg(arr((3, 4))),
                Arg(arr(3)), match="layer_norm.*weight")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,groups", [((2, 6), 3), ((2, 6, 5), 2), ((3, 4, 3, 3), 4),
                                          ((2, 4, 3), 1)])
def test_group_norm(shape, groups, dtype):
    c = shape[1]
    check(lambda lib, x, w, b: F(lib).group_norm(x, groups, w, b, eps=1e-4),
          Arg(arr(shape, dtype)), Arg(arr(c, dtype, seed=1)), Arg(arr(c, dtype, seed=2)),
          gradgrad=dtype == "float64")
    check(lambda lib, x: F(lib).group_norm(x, groups), Arg(arr(shape, dtype)))


def test_group_norm_errors():
    check_error(lambda lib, x: F(lib).group_norm(x, 4), Arg(arr((3, 6, 4))),
                match=r"group_norm.*divisible by num_groups, but got input of shape \[3, 6, 4\] "
                      "and num_groups=4")
    check_error(lambda lib, x: F(lib).group_norm(x, 4), Arg(arr(3)),
                match="Expected at least 2 dimensions for input tensor but received 1")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("eps", [None, 1e-3])
@pytest.mark.parametrize("nshape", [(5,), (4, 5)])
def test_rms_norm(nshape, eps, dtype):
    check(lambda lib, x, w: F(lib).rms_norm(x, nshape, w, eps),
          Arg(arr((3, 4, 5), dtype)), Arg(arr(nshape, dtype, seed=1)),
          gradgrad=dtype == "float64")
    check(lambda lib, x: F(lib).rms_norm(x, nshape, eps=eps), Arg(arr((3, 4, 5), dtype)))


def test_rms_norm_errors():
    check_error(lambda lib, x: F(lib).rms_norm(x, (5,)), Arg(arr((3, 4))),
                match=r"rms_norm.*expected input with shape \[\*5\], but got input of "
                      r"size\[3, 4\]")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(2, 6, 5), (2, 6, 3, 4), (2, 5, 2, 2, 3)])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm(shape, size, dtype):
    check(lambda lib, x: F(lib).local_response_norm(x, size, alpha=0.3, beta=0.6, k=1.5),
          Arg(arr(shape, dtype)), gradgrad=dtype == "float64" and size == 3)


def test_local_response_norm_errors():
    check_error(lambda lib, x: F(lib).local_response_norm(x, 2), Arg(arr((3, 4))),
                match="Expected 3D or higher dimensionality")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, -1), (3.0, 0), (float("inf"), 1)])
def test_normalize(p, dim, dtype):
    check(lambda lib, x: F(lib).normalize(x, p, dim), Arg(arr((3, 4, 5), dtype)))


def test_normalize_tiny_vectors_clamped():
    check(lambda lib, x: F(lib).normalize(x, eps=1e-3), Arg(np.full((2, 3), 1e-5)))
    out = ember.empty(2, 3)
    res = F(ember).normalize(ember.ones(2, 3), out=out)
    assert res is out
