"""fake_quantize_per_tensor_affine / fake_quantize_per_channel_affine against torch 2.13:
values, the straight-through gradients, grad_fn names and errors."""

from __future__ import annotations

import numpy as np
import pytest
from qhelpers import as_np, assert_same_error

import ember

torch = pytest.importorskip("torch")

RNG = np.random.RandomState(11)
FLOATS = ["float32", "float64"]


def _data(dtype: str, *shape: int) -> np.ndarray:
    x = RNG.randn(*shape) * 4
    x.flat[:6] = [0.05, 0.15, -0.25, 0.35, 12.5, -12.5]   # ties and clamped values
    return x.astype(dtype)


def _run(call, x: np.ndarray, g: np.ndarray):  # noqa: ANN001, ANN202
    """Forward and backward of ``call(module, input)`` in torch and in ember."""
    xt = torch.tensor(x, requires_grad=True)
    xe = ember.tensor(x, requires_grad=True)
    yt, ye = call(torch, xt), call(ember, xe)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    return (yt, xt.grad), (ye, xe.grad)


def _assert_same(torch_out, ember_out) -> None:  # noqa: ANN001
    (yt, gt), (ye, ge) = torch_out, ember_out
    assert ye.dtype.name == str(yt.dtype).replace("torch.", "")
    np.testing.assert_array_equal(as_np(ye), as_np(yt))
    np.testing.assert_array_equal(as_np(ge), as_np(gt))
    assert ye.grad_fn.name() == yt.grad_fn.name()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("scale, zero_point, qmin, qmax", [
    (0.1, 5, -128, 127), (0.0371, 0, 0, 255), (0.5, 3, 0, 7), (0.25, -2, -8, 7),
    (1.0, 0, -2 ** 31, 2 ** 31 - 1)])
def test_per_tensor_values_and_gradients(dtype: str, scale: float, zero_point: int, qmin: int,
                                         qmax: int) -> None:
    x, g = _data(dtype, 6, 7), RNG.randn(6, 7).astype(dtype)
    out = _run(lambda m, t: m.fake_quantize_per_tensor_affine(t, scale, zero_point, qmin, qmax),
               x, g)
    _assert_same(*out)
    clamped = (as_np(out[1][1]) == 0)
    assert not clamped.all()
    assert clamped.any() == (qmax - qmin < 2 ** 16)   # the data reach the narrow ranges


@pytest.mark.parametrize("dtype", FLOATS)
def test_per_tensor_tensor_qparams(dtype: str) -> None:
    x, g = _data(dtype, 4, 5), RNG.randn(4, 5).astype(dtype)

    def call(m, t):  # noqa: ANN001, ANN202
        return m.fake_quantize_per_tensor_affine(t, m.tensor(0.2), m.tensor(3, dtype=m.int32),
                                                 -10, 10)

    _assert_same(*_run(call, x, g))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("zp_dtype", ["int32", "float32", "float16"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_per_channel_values_and_gradients(dtype: str, zp_dtype: str, axis: int) -> None:
    x = _data(dtype, 3, 4, 5)
    g = RNG.randn(3, 4, 5).astype(dtype)
    n = x.shape[axis]
    scales = (RNG.rand(n) * 0.5 + 0.02).astype(np.float32)
    zps = RNG.randint(-5, 6, size=n).astype(zp_dtype)
    if zp_dtype != "int32":
        zps = (zps + 0.3).astype(zp_dtype)

    def call(m, t):  # noqa: ANN001, ANN202
        return m.fake_quantize_per_channel_affine(t, m.tensor(scales), m.tensor(zps), axis,
                                                  -20, 20)

    _assert_same(*_run(call, x, g))


def test_no_graph_without_requires_grad() -> None:
    x = _data("float32", 5)
    ye = ember.fake_quantize_per_tensor_affine(ember.tensor(x), 0.1, 0, -128, 127)
    yt = torch.fake_quantize_per_tensor_affine(torch.tensor(x), 0.1, 0, -128, 127)
    assert ye.grad_fn is None and yt.grad_fn is None
    np.testing.assert_array_equal(as_np(ye), as_np(yt))


def test_gradient_through_a_graph_and_double_backward() -> None:
    x = _data("float64", 8)
    xt = torch.tensor(x, requires_grad=True)
    xe = ember.tensor(x, requires_grad=True)
    (gt,) = torch.autograd.grad(
        (torch.fake_quantize_per_tensor_affine(xt * 2, 0.3, 1, -5, 5) ** 2).sum(), xt,
        create_graph=True)
    (ge,) = ember.autograd.grad(
        (ember.fake_quantize_per_tensor_affine(xe * 2, 0.3, 1, -5, 5) ** 2).sum(), xe,
        create_graph=True)
    np.testing.assert_allclose(as_np(ge), as_np(gt), rtol=1e-12)
    (ggt,) = torch.autograd.grad(gt.sum(), xt)
    (gge,) = ember.autograd.grad(ge.sum(), xe)
    np.testing.assert_allclose(as_np(gge), as_np(ggt), rtol=1e-12)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("case", ["quant range reversed", "zero point above",
                                  "zero point below", "integer input", "scale needs grad",
                                  "two-element scale"])
def test_per_tensor_errors(case: str) -> None:
    x = _data("float32", 6)

    def call(m):  # noqa: ANN001, ANN202
        xs = m.tensor(x)
        return {
            "quant range reversed": lambda: m.fake_quantize_per_tensor_affine(xs, 0.5, 2, 7, 0),
            "zero point above": lambda: m.fake_quantize_per_tensor_affine(xs, 0.5, 9, 0, 7),
            "zero point below": lambda: m.fake_quantize_per_tensor_affine(xs, 0.5, -1, 0, 7),
            "integer input": lambda: m.fake_quantize_per_tensor_affine(m.tensor([1, 2]), 0.1, 0,
                                                                       0, 255),
            "scale needs grad": lambda: m.fake_quantize_per_tensor_affine(
                xs, m.tensor(0.5, requires_grad=True), m.tensor(2, dtype=m.int32), 0, 7),
            "two-element scale": lambda: m.fake_quantize_per_tensor_affine(
                xs, m.tensor([0.5, 1.0]), m.tensor([2, 2], dtype=m.int32), 0, 7),
        }[case]()

    assert_same_error(lambda: call(torch), lambda: call(ember))


@pytest.mark.parametrize("case", [
    "int64 zero points", "float64 zero points", "float64 scale", "int scale", "2-d scale",
    "scale longer than zero points", "zero points longer than scale", "wrong channel count",
    "axis out of range", "negative axis", "quant range reversed", "zero point above",
    "zero point below", "integer input"])
def test_per_channel_errors(case: str) -> None:
    x = _data("float32", 2, 3)

    def call(m):  # noqa: ANN001, ANN202
        xs = m.tensor(x)
        s, z = m.tensor([0.1, 0.2, 0.3]), m.tensor([0, 1, 2], dtype=m.int32)
        f = m.fake_quantize_per_channel_affine
        return {
            "int64 zero points": lambda: f(xs, s, z.long(), 1, -128, 127),
            "float64 zero points": lambda: f(xs, s, z.double(), 1, -128, 127),
            "float64 scale": lambda: f(xs, s.double(), z, 1, -128, 127),
            "int scale": lambda: f(xs, s.int(), z, 1, -128, 127),
            "2-d scale": lambda: f(xs, s.reshape(3, 1), z, 1, -128, 127),
            "scale longer than zero points": lambda: f(xs, s, z[:2], 1, -128, 127),
            "zero points longer than scale": lambda: f(xs, s[:2], z, 1, -128, 127),
            "wrong channel count": lambda: f(xs, s, z, 0, -128, 127),
            "axis out of range": lambda: f(xs, s, z, 2, -128, 127),
            "negative axis": lambda: f(xs, s, z, -1, -128, 127),
            "quant range reversed": lambda: f(xs, s, z, 1, 127, -128),
            "zero point above": lambda: f(xs, s, z + 200, 1, -128, 127),
            "zero point below": lambda: f(xs, s, z - 200, 1, -128, 127),
            "integer input": lambda: f(xs.int(), s, z, 1, -128, 127),
        }[case]()

    assert_same_error(lambda: call(torch), lambda: call(ember))
