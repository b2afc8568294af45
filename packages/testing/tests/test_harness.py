"""The harness: conversions, comparisons, and every core op checked against torch."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember_testing import assert_close, from_torch, harness, opdb, to_numpy, to_torch
from ember_testing.opdb import Arg, OpInfo, SampleInput

torch = pytest.importorskip("torch")

CORE = [(info.name, dtype) for info in opdb.all_ops("ember-core") for dtype in info.dtypes]


@pytest.mark.parametrize(("name", "dtype"), CORE, ids=[f"{n}-{d}" for n, d in CORE])
def test_core_op_matches_torch(name: str, dtype: str) -> None:
    summary = harness.check_op(opdb.get(name), "cpu", dtype)
    assert summary["reference"] == "torch" and summary["samples"] > 0


@pytest.mark.parametrize("name", ["exp", "add", "sum", "matmul", "softmax", "gather"])
def test_numpy_reference_mode(name: str) -> None:
    info = opdb.get(name)
    for dtype in ("float32", "float64"):
        assert harness.check_op(info, "cpu", dtype, reference="numpy")["reference"] == "numpy"


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", "bfloat16"])
def test_to_torch_and_back(dtype: str) -> None:
    values = np.array([[0.0, 1.5], [-2.0, 3.0]])
    e = ember.tensor(values).to(getattr(ember, dtype))
    t = to_torch(e)
    assert str(t.dtype) == f"torch.{dtype}"
    np.testing.assert_array_equal(to_numpy(t), to_numpy(e))
    back = from_torch(t)
    assert back.dtype is getattr(ember, dtype)
    np.testing.assert_array_equal(to_numpy(back), to_numpy(e))


def test_to_torch_keeps_requires_grad() -> None:
    e = ember.ones(2, requires_grad=True)
    assert to_torch(e).requires_grad and not to_torch(e, requires_grad=False).requires_grad
    assert from_torch(torch.ones(2, requires_grad=True)).requires_grad


def test_assert_close_accepts_and_rejects() -> None:
    a = ember.tensor([1.0, 2.0])
    assert_close(a, torch.tensor([1.0, 2.0 + 1e-7]))
    assert_close((a, None), (np.array([1.0, 2.0], np.float32), torch.zeros(2)),
                 check_dtype=False)
    with pytest.raises(AssertionError):
        assert_close(a, torch.tensor([1.0, 2.1]))
    with pytest.raises(AssertionError, match="dtype"):
        assert_close(a, torch.tensor([1.0, 2.0], dtype=torch.float64))
    with pytest.raises(AssertionError, match="shape"):
        assert_close(a, torch.tensor([[1.0, 2.0]]))
    with pytest.raises(AssertionError, match="None"):
        assert_close(None, torch.ones(2))


def _one_sample(rng):
    yield SampleInput((Arg(rng.uniform(0.5, 2.0, (4,))),))


def test_harness_catches_a_wrong_forward() -> None:
    info = OpInfo("wrong_exp", lambda x: x.exp() + 1e-3, lambda x: x.exp(), _one_sample)
    with pytest.raises(AssertionError, match=r"\[wrong_exp\] forward on cpu"):
        harness.check_forward(info, "cpu", "float64")


def test_harness_catches_a_wrong_backward() -> None:
    class Twice(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    info = OpInfo("wrong_grad", Twice.apply, lambda x: x * 2, _one_sample)
    harness.check_forward(info, "cpu", "float64")
    with pytest.raises(AssertionError, match=r"\[wrong_grad\] backward"):
        harness.check_backward(info, "cpu", "float64")
    with pytest.raises(ember.autograd.GradcheckError):
        harness.check_backward(info, "cpu", "float64", reference="self")


def test_harness_catches_a_wrong_double_backward() -> None:
    class Cube(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x.detach() ** 2 * g  # right values, not differentiable in x

    info = OpInfo("wrong_gradgrad", Cube.apply, lambda x: x ** 3, _one_sample)
    harness.check_backward(info, "cpu", "float64")
    with pytest.raises(AssertionError, match="double backward"):
        harness.check_double_backward(info, "cpu", "float64")


def test_installed_devices_lists_the_cpu() -> None:
    devices = harness.installed_devices()
    assert "cpu" in devices


@pytest.mark.parametrize("device", harness.installed_devices())
def test_a_record_on_every_installed_backend(device: str) -> None:
    for dtype in ("float32", "float64"):
        assert harness.check_op(opdb.get("softmax"), device, dtype)["backward"] > 0


def test_cpu_reference_mode_on_every_other_backend() -> None:
    others = [d for d in harness.installed_devices() if d != "cpu"]
    info = opdb.get("log_softmax")
    assert harness.reference_kind(info, "cpu") == "torch"
    for device in others:
        for dtype in ("float32", "float64"):
            assert harness.check_op(info, device, dtype, reference="cpu")["reference"] == "cpu"
    # the cpu reference itself, checked on the cpu, is exercised the same way
    assert harness.check_op(info, "cpu", "float64", reference="cpu")["backward"] > 0
