"""The composite definitions (what a primitives-only backend runs) against torch, with the
cpu backend's fused kernels switched off; and the fused kernels against the composites,
including the backward paths and double backward of the ops that record their own graph."""

import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))

from _layers_parity import FLOATS, Arg, F, arr, check  # noqa: E402

FUSED = ["linear", "layer_norm", "gelu", "gelu_backward", "embedding_backward", "softmax",
         "log_softmax", "relu", "elu", "hardtanh", "threshold", "leaky_relu", "silu", "mish",
         "softplus", "hardsigmoid", "hardswish", "hardshrink", "softshrink", "logsigmoid"]

CASES = {
    "linear": (lambda lib, x, w, b: F(lib).linear(x, w, b),
               lambda d: (Arg(arr((2, 3, 5), d)), Arg(arr((4, 5), d, seed=1)),
                          Arg(arr(4, d, seed=2)))),
    "linear_nobias": (lambda lib, x, w: F(lib).linear(x, w),
                      lambda d: (Arg(arr((3, 5), d)), Arg(arr((4, 5), d, seed=1)))),
    "layer_norm": (lambda lib, x, w, b: F(lib).layer_norm(x, (3, 5), w, b),
                   lambda d: (Arg(arr((2, 3, 5), d)), Arg(arr((3, 5), d, seed=1)),
                              Arg(arr((3, 5), d, seed=2)))),
    "gelu": (lambda lib, x: F(lib).gelu(x), lambda d: (Arg(arr((4, 6), d, -4, 4)),)),
    "gelu_tanh": (lambda lib, x: F(lib).gelu(x, approximate="tanh"),
                  lambda d: (Arg(arr((4, 6), d, -4, 4)),)),
    "embedding": (lambda lib, i, w: F(lib).embedding(i, w, padding_idx=1,
                                                     scale_grad_by_freq=True),
                  lambda d: (Arg(np.array([[1, 2, 2], [0, 4, 2]])), Arg(arr((6, 3), d)))),
    "softmax_mix": (lambda lib, x: F(lib).softplus(F(lib).mish(F(lib).silu(x)), 2.0, 3.0),
                    lambda d: (Arg(arr((4, 6), d, -4, 4)),)),
}


@pytest.fixture
def no_fused(monkeypatch):
    table = ember.ones(1)._k
    for name in FUSED:
        monkeypatch.setattr(table, name, None)
    return table


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", list(CASES))
def test_composites_match_torch(case, dtype, no_fused):
    fn, inputs = CASES[case]
    check(fn, *inputs(dtype), gradgrad=dtype == "float64")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", list(CASES))
def test_fused_kernels_match_torch(case, dtype):
    fn, inputs = CASES[case]
    check(fn, *inputs(dtype), gradgrad=dtype == "float64")


def test_fused_kernels_are_registered_and_used():
    table = ember.ones(1)._k
    for name in ("linear", "layer_norm", "gelu", "gelu_backward", "embedding_backward"):
        assert getattr(table, name) is not None, name


@pytest.mark.parametrize("dtype", FLOATS)
def test_fused_equals_composite(dtype, monkeypatch):
    x = ember.tensor(arr((8, 16), dtype, -4, 4))
    w = ember.tensor(arr((16,), dtype, seed=1))
    b = ember.tensor(arr((16,), dtype, seed=2))
    fused = [F(ember).gelu(x), F(ember).layer_norm(x, (16,), w, b),
             F(ember).linear(x, ember.tensor(arr((5, 16), dtype)), b[:5])]
    table = x._k
    for name in FUSED:
        monkeypatch.setattr(table, name, None)
    composite = [F(ember).gelu(x), F(ember).layer_norm(x, (16,), w, b),
                 F(ember).linear(x, ember.tensor(arr((5, 16), dtype)), b[:5])]
    tol = 1e-5 if dtype == "float32" else 1e-12
    for a, c in zip(fused, composite, strict=True):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=tol, atol=tol)


def test_layer_norm_large_rows_and_half_precision_fallback():
    check(lambda lib, x: F(lib).layer_norm(x, (1024,)), Arg(arr((64, 1024), "float32")))
    x = ember.tensor(arr((4, 8), "float32")).to(ember.float16)
    out = F(ember).layer_norm(x, (8,))
    ref = torch.nn.functional.layer_norm(torch.tensor(x.float().numpy()), (8,))
    assert out.dtype is ember.float16
    np.testing.assert_allclose(out.float().numpy(), ref.numpy(), atol=5e-3)


@pytest.mark.parametrize("dtype", FLOATS)
def test_linear_functional(dtype):
    for xs, ws in (((5,), (4, 5)), ((3, 5), (4, 5)), ((2, 3, 5), (4, 5)), ((0, 5), (4, 5))):
        check(lambda lib, x, w, b: F(lib).linear(x, w, b), Arg(arr(xs, dtype)),
              Arg(arr(ws, dtype, seed=1)), Arg(arr(ws[0], dtype, seed=2)),
              gradgrad=dtype == "float64")
    check(lambda lib, x, w: F(lib).linear(x, w), Arg(arr((3, 5), dtype), noncontig=True),
          Arg(arr((4, 5), dtype, seed=1)))
    check(lambda lib, x, w, b: F(lib).linear(x, w.t(), b), Arg(arr((3, 5), dtype)),
          Arg(arr((5, 4), dtype, seed=1)), Arg(arr(4, dtype, seed=2)))
    check(lambda lib, x, w: F(lib).linear(x, w), Arg(arr((3, 5), dtype)),
          Arg(arr((5,), dtype, seed=1)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_bilinear_functional(dtype):
    for lead in ((), (3,), (2, 3)):
        check(lambda lib, a, b, w, bias: F(lib).bilinear(a, b, w, bias),
              Arg(arr(lead + (4,), dtype)), Arg(arr(lead + (5,), dtype, seed=1)),
              Arg(arr((3, 4, 5), dtype, seed=2)), Arg(arr(3, dtype, seed=3)),
              gradgrad=dtype == "float64")
    check(lambda lib, a, b, w: F(lib).bilinear(a, b, w), Arg(arr((3, 4), dtype)),
          Arg(arr((3, 5), dtype, seed=1)), Arg(arr((2, 4, 5), dtype, seed=2)))


def test_softmax_functional_forms():
    for dtype in FLOATS:
        for dim in (0, 1, -1):
            for name in ("softmax", "softmin", "log_softmax"):
                check(lambda lib, x, n=name, d=dim: getattr(F(lib), n)(x, d),
                      Arg(arr((3, 4, 5), dtype)), gradgrad=dtype == "float64")
    check(lambda lib, x: F(lib).log_softmax(x, 1, dtype=lib.float64), Arg(arr((3, 4))))
    check(lambda lib, x: F(lib).softmin(x, 1, dtype=lib.float64), Arg(arr((3, 4))))
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        F(ember).log_softmax(ember.zeros(2, 3))


def test_layer_norm_kernel_keeps_precision_for_offset_rows():
    x = (1000 + np.random.default_rng(0).standard_normal((4, 50000))).astype(np.float32)
    ref = torch.nn.functional.layer_norm(torch.tensor(x, dtype=torch.float64), (50000,))
    out = F(ember).layer_norm(ember.tensor(x), (50000,))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=2e-4)
