"""quantize_per_tensor / quantize_per_channel / dequantize against torch 2.13."""

from __future__ import annotations

import numpy as np
import pytest
from qhelpers import (
    IGNORE_TORCH_DEPRECATION,
    QDTYPES,
    as_np,
    assert_same_error,
    assert_same_qtensor,
    both,
)

import ember

torch = pytest.importorskip("torch")

pytestmark = IGNORE_TORCH_DEPRECATION

RNG = np.random.RandomState(7)
DATA = (RNG.randn(5, 6) * 4).astype(np.float32)


def _zero_point(dtype: str, zp: int) -> int:
    return abs(zp) if dtype == "quint8" else zp


@pytest.mark.parametrize("dtype", QDTYPES)
@pytest.mark.parametrize("scale, zero_point", [(0.1, 5), (0.0371, 0), (1.0, -3), (0.5, 128),
                                               (2.75, 100)])
def test_per_tensor_matches_torch(dtype: str, scale: float, zero_point: int) -> None:
    t_dtype, e_dtype = both(dtype)
    zp = _zero_point(dtype, zero_point)
    if dtype == "qint8" and zp > 127:
        zp = 127
    tq = torch.quantize_per_tensor(torch.from_numpy(DATA), scale, zp, t_dtype)
    eq = ember.quantize_per_tensor(ember.tensor(DATA), scale, zp, e_dtype)
    assert_same_qtensor(tq, eq)


@pytest.mark.parametrize("dtype", QDTYPES)
def test_rounding_half_to_even_and_clamping(dtype: str) -> None:
    values = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1e4, -1e4, 126.5, 127.5, 254.5,
                       255.5, -127.5, -128.5, 0.0, -0.0], dtype=np.float32)
    t_dtype, e_dtype = both(dtype)
    tq = torch.quantize_per_tensor(torch.from_numpy(values), 1.0, 0, t_dtype)
    eq = ember.quantize_per_tensor(ember.tensor(values), 1.0, 0, e_dtype)
    assert_same_qtensor(tq, eq)


def test_qint32_adds_the_zero_point_in_float32() -> None:
    values = np.array([2.0 ** 25, -2.0 ** 25, 3.0e9, -2.0e9, 123456789.0], dtype=np.float32)
    tq = torch.quantize_per_tensor(torch.from_numpy(values), 1.0, 1, torch.qint32)
    eq = ember.quantize_per_tensor(ember.tensor(values), 1.0, 1, ember.qint32)
    assert_same_qtensor(tq, eq)


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (1,), (2, 3, 4), (40, 40)])
def test_per_tensor_shapes(shape: tuple[int, ...]) -> None:
    data = np.asarray(RNG.randn(*shape) * 2, dtype=np.float32)
    tq = torch.quantize_per_tensor(torch.from_numpy(data), 0.05, 3, torch.quint8)
    eq = ember.quantize_per_tensor(ember.tensor(data), 0.05, 3, ember.quint8)
    assert_same_qtensor(tq, eq)


def test_per_tensor_parameters_as_tensors() -> None:
    tq = torch.quantize_per_tensor(torch.from_numpy(DATA), torch.tensor(0.1), torch.tensor(4),
                                   torch.qint8)
    eq = ember.quantize_per_tensor(ember.tensor(DATA), ember.tensor(0.1), ember.tensor(4),
                                   ember.qint8)
    assert_same_qtensor(tq, eq)
    assert isinstance(eq.q_scale(), float) and isinstance(eq.q_zero_point(), int)


def test_per_tensor_list_of_tensors() -> None:
    other = DATA[:2] * 3
    tqs = torch.quantize_per_tensor([torch.from_numpy(DATA), torch.from_numpy(other)],
                                    torch.tensor([0.1, 0.3]), torch.tensor([2, 7]),
                                    torch.quint8)
    eqs = ember.quantize_per_tensor([ember.tensor(DATA), ember.tensor(other)],
                                    ember.tensor([0.1, 0.3]), ember.tensor([2, 7]),
                                    ember.quint8)
    assert len(eqs) == len(tqs) == 2
    for tq, eq in zip(tqs, eqs):
        assert_same_qtensor(tq, eq)
    for tdq, edq in zip(torch.dequantize(list(tqs)), ember.dequantize(list(eqs))):
        np.testing.assert_array_equal(as_np(edq), as_np(tdq))


def test_input_that_requires_grad_is_quantized_without_grad() -> None:
    x = ember.tensor(DATA, requires_grad=True)
    eq = ember.quantize_per_tensor(x, 0.1, 0, ember.qint8)
    tq = torch.quantize_per_tensor(torch.tensor(DATA, requires_grad=True), 0.1, 0, torch.qint8)
    assert_same_qtensor(tq, eq)
    assert eq.requires_grad is tq.requires_grad is False


@pytest.mark.parametrize("dtype", QDTYPES)
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_per_channel_matches_torch(dtype: str, axis: int) -> None:
    data = (RNG.randn(3, 4, 5) * 3).astype(np.float32)
    n = data.shape[axis]
    scales = (RNG.rand(n) * 0.3 + 0.01).astype(np.float32)
    zps = RNG.randint(0 if dtype == "quint8" else -20, 20, size=n)
    t_dtype, e_dtype = both(dtype)
    tq = torch.quantize_per_channel(torch.from_numpy(data), torch.from_numpy(scales),
                                    torch.from_numpy(zps), axis, t_dtype)
    eq = ember.quantize_per_channel(ember.tensor(data), ember.tensor(scales),
                                    ember.tensor(zps), axis, e_dtype)
    assert_same_qtensor(tq, eq)


def test_per_channel_float64_scales_and_int32_zero_points() -> None:
    scales = np.array([0.1, 0.02, 0.3, 0.07, 1.5, 0.2], dtype=np.float64)
    zps = np.array([0, 1, -2, 3, 4, -5], dtype=np.int32)
    tq = torch.quantize_per_channel(torch.from_numpy(DATA), torch.from_numpy(scales),
                                    torch.from_numpy(zps), 1, torch.qint8)
    eq = ember.quantize_per_channel(ember.tensor(DATA), ember.tensor(scales), ember.tensor(zps),
                                    1, ember.qint8)
    assert_same_qtensor(tq, eq)


@pytest.mark.parametrize("data", [np.ones(3, np.float32), np.ones((2, 3), np.float64)])
def test_dequantize_plain_tensor_gives_float32(data: np.ndarray) -> None:
    out = ember.dequantize(ember.tensor(data))
    ref = torch.dequantize(torch.from_numpy(data))
    assert out.dtype is ember.float32 and ref.dtype == torch.float32
    np.testing.assert_array_equal(as_np(out), as_np(ref))


def test_method_and_function_dequantize_agree() -> None:
    eq = ember.quantize_per_tensor(ember.tensor(DATA), 0.2, 1, ember.qint8)
    np.testing.assert_array_equal(as_np(eq.dequantize()), as_np(ember.dequantize(eq)))


def test_quantizing_a_quantized_tensor_is_an_error() -> None:
    eq = ember.quantize_per_tensor(ember.tensor(DATA), 0.2, 1, ember.qint8)
    tq = torch.quantize_per_tensor(torch.from_numpy(DATA), 0.2, 1, torch.qint8)
    assert_same_error(lambda: torch.quantize_per_tensor(tq, 0.5, 0, torch.quint8),
                      lambda: ember.quantize_per_tensor(eq, 0.5, 0, ember.quint8),
                      message=False)


# ---------------------------------------------------------------- errors
X_T = torch.from_numpy(DATA)
X_E = ember.tensor(DATA)


@pytest.mark.parametrize("case", [
    "float64 input", "int input", "float dtype", "int8 dtype", "zero point above",
    "zero point below", "qint8 zero point above", "qint32 zero point overflow",
    "two-element scale", "float64 input and float dtype"])
def test_per_tensor_errors(case: str) -> None:
    calls = {
        "float64 input": lambda m, x: m.quantize_per_tensor(x.double(), 0.5, 3, m.quint8),
        "int input": lambda m, x: m.quantize_per_tensor(x.int(), 0.5, 3, m.quint8),
        "float dtype": lambda m, x: m.quantize_per_tensor(x, 0.5, 3, m.float32),
        "int8 dtype": lambda m, x: m.quantize_per_tensor(x, 0.5, 3, m.int8),
        "zero point above": lambda m, x: m.quantize_per_tensor(x, 0.5, 300, m.quint8),
        "zero point below": lambda m, x: m.quantize_per_tensor(x, 0.5, -1, m.quint8),
        "qint8 zero point above": lambda m, x: m.quantize_per_tensor(x, 0.5, 128, m.qint8),
        "qint32 zero point overflow": lambda m, x: m.quantize_per_tensor(x, 0.5, 2 ** 40,
                                                                         m.qint32),
        "two-element scale": lambda m, x: m.quantize_per_tensor(x, m.tensor([0.5, 1.0]),
                                                                m.tensor([3, 3]), m.quint8),
        "float64 input and float dtype": lambda m, x: m.quantize_per_tensor(x.double(), 0.5,
                                                                            3, m.float32),
    }
    call = calls[case]
    assert_same_error(lambda: call(torch, X_T), lambda: call(ember, X_E))


def test_per_tensor_float_zero_point_is_a_type_error() -> None:
    assert_same_error(lambda: torch.quantize_per_tensor(X_T, 0.5, 3.0, torch.quint8),
                      lambda: ember.quantize_per_tensor(X_E, 0.5, 3.0, ember.quint8),
                      message=False)


@pytest.mark.parametrize("case", [
    "axis too large", "negative axis", "scales longer than channel", "length mismatch",
    "float64 input", "zero point above", "zero point below", "2-d scales", "2-d zero points",
    "int scales", "int8 dtype", "float dtype", "0-d input", "float64 input and float dtype"])
def test_per_channel_errors(case: str) -> None:
    x = (RNG.randn(2, 3, 4)).astype(np.float32)

    def call(m, name):  # noqa: ANN001, ANN202
        xs = m.tensor(x)
        s, z = m.tensor([0.1, 0.2, 0.3]), m.tensor([1, 2, 3])
        return {
            "axis too large": lambda: m.quantize_per_channel(xs, s, z, 3, m.quint8),
            "negative axis": lambda: m.quantize_per_channel(xs, s, z, -1, m.quint8),
            "scales longer than channel": lambda: m.quantize_per_channel(xs, s, z, 0,
                                                                         m.quint8),
            "length mismatch": lambda: m.quantize_per_channel(xs, s[:2], z, 1, m.quint8),
            "float64 input": lambda: m.quantize_per_channel(xs.double(), s, z, 1, m.quint8),
            "zero point above": lambda: m.quantize_per_channel(xs, s, m.tensor([1, 2, 300]), 1,
                                                               m.quint8),
            "zero point below": lambda: m.quantize_per_channel(xs, s, m.tensor([1, 2, -3]), 1,
                                                               m.quint8),
            "2-d scales": lambda: m.quantize_per_channel(xs, s.reshape(3, 1), z, 1, m.quint8),
            "2-d zero points": lambda: m.quantize_per_channel(xs, s, z.reshape(3, 1), 1,
                                                              m.quint8),
            "int scales": lambda: m.quantize_per_channel(xs, s.int(), z, 1, m.quint8),
            "int8 dtype": lambda: m.quantize_per_channel(xs, s, z, 1, m.int8),
            "float dtype": lambda: m.quantize_per_channel(xs, s, z, 1, m.float32),
            "0-d input": lambda: m.quantize_per_channel(m.tensor(1.0), m.tensor([0.1]),
                                                        m.tensor([0]), 0, m.quint8),
            "float64 input and float dtype": lambda: m.quantize_per_channel(
                xs.double(), s, z, 1, m.float32),
        }[name]()

    assert_same_error(lambda: call(torch, case), lambda: call(ember, case))


def test_per_channel_scales_must_be_a_tensor() -> None:
    assert_same_error(
        lambda: torch.quantize_per_channel(X_T, [0.1] * 6, torch.zeros(6, dtype=torch.long), 1,
                                           torch.qint8),
        lambda: ember.quantize_per_channel(X_E, [0.1] * 6, ember.zeros(6, dtype=ember.long), 1,
                                           ember.qint8),
        message=False)


@pytest.mark.parametrize("dtype", ["qint8", "quint8"])
@pytest.mark.parametrize("zp_dtype", [np.float32, np.float16, np.float64])
@pytest.mark.parametrize("axis", [0, 1])
def test_per_channel_float_zero_points(dtype: str, zp_dtype: type, axis: int) -> None:
    data = (RNG.randn(4, 6) * 3).astype(np.float32)
    data.flat[:4] = [0.25, 0.35, -0.25, 2.5]         # ties after the shift
    n = data.shape[axis]
    scales = (RNG.rand(n) * 0.2 + 0.01).astype(np.float32)
    scales[0] = 0.0                                  # a zero scale counts as 1
    zps = (RNG.randn(n) * 5).astype(zp_dtype)
    zps[-1] = 300.0                                  # not range-checked, clamps everything
    t_dtype, e_dtype = both(dtype)
    tq = torch.quantize_per_channel(torch.from_numpy(data), torch.from_numpy(scales),
                                    torch.from_numpy(zps), axis, t_dtype)
    eq = ember.quantize_per_channel(ember.tensor(data), ember.tensor(scales),
                                    ember.tensor(zps), axis, e_dtype)
    assert repr(eq.qscheme()) == "ember.per_channel_affine_float_qparams"
    assert_same_qtensor(tq, eq)
