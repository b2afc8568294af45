"""Conformance level "runtime": devices, creation, transfers, conversion and seeding."""

from __future__ import annotations

import numpy as np
import pytest

import ember

LEVEL = "runtime"
EMBER_CONFORMANCE = True


def availability(device: str) -> str | None:
    """The runtime level always runs (a missing backend is a failure, not a skip)."""
    return None


def _data() -> np.ndarray:
    return np.arange(12, dtype=np.float32).reshape(3, 4) / 4


def test_backend_is_registered(ember_device: str) -> None:
    from ember.plugins.manager import manager

    manager.load()
    dev = ember.device(ember_device)
    assert dev.type in manager.backends, \
        f"no plugin registers device type '{dev.type}'; installed: {sorted(manager.backends)}"
    spec, _dist = manager.backends[dev.type]
    assert spec.is_available(), f"the '{dev.type}' backend reports itself unavailable"
    assert spec.device_count() >= 1


def test_device_object(ember_device: str) -> None:
    dev = ember.device(ember_device)
    assert str(dev) == ember_device
    assert ember.device(str(dev)) is dev


@pytest.mark.parametrize("factory", ["zeros", "ones", "empty", "rand", "randn"])
def test_factories_create_on_device(ember_device: str, factory: str) -> None:
    t = getattr(ember, factory)(2, 3, device=ember_device)
    assert t.device == ember.device(ember_device)
    assert tuple(t.shape) == (2, 3) and t.dtype is ember.float32


def test_tensor_from_data_and_back(ember_device: str) -> None:
    t = ember.tensor(_data(), device=ember_device)
    assert t.device == ember.device(ember_device)
    np.testing.assert_array_equal(t.cpu().numpy(), _data())
    assert t.tolist() == _data().tolist()
    assert ember.tensor(2.5, device=ember_device).item() == 2.5


def test_transfer_round_trip(ember_device: str) -> None:
    x = ember.tensor(_data())
    y = x.to(ember_device)
    assert y.device == ember.device(ember_device)
    back = y.to("cpu")
    assert back.device == ember.device("cpu")
    np.testing.assert_array_equal(back.numpy(), _data())


def test_transfer_keeps_autograd(ember_device: str) -> None:
    x = ember.tensor(_data(), requires_grad=True)
    (x.to(ember_device) * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 2.0, np.float32))


@pytest.mark.parametrize("dtype", ["float64", "int64", "bool", "int32", "float32"])
def test_dtype_conversion_on_device(ember_device: str, dtype: str) -> None:
    t = ember.tensor(_data() - 1, device=ember_device).to(getattr(ember, dtype))
    assert t.dtype is getattr(ember, dtype) and t.device == ember.device(ember_device)
    expected = (_data() - 1).astype(np.float64)
    if dtype in ("int64", "int32"):
        expected = np.trunc(expected)
    if dtype == "bool":
        expected = expected != 0
    np.testing.assert_array_equal(t.cpu().numpy(), expected.astype(dtype))


def test_ops_stay_on_device(ember_device: str) -> None:
    a = ember.tensor(_data(), device=ember_device)
    b = (a + 1) * a.exp()
    assert b.device == ember.device(ember_device)
    np.testing.assert_allclose(b.cpu().numpy(), (_data() + 1) * np.exp(_data()), rtol=1e-6)


def test_mixing_devices_is_an_error(ember_device: str) -> None:
    if ember.device(ember_device).type == "cpu":
        a, b = ember.ones(2), ember.ones(2)
        assert (a + b).device == ember.device("cpu")
        return
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ember.ones(2, device=ember_device) + ember.ones(2)


def test_seeded_random_numbers_repeat(ember_device: str) -> None:
    ember.manual_seed(7)
    a = ember.rand(100, device=ember_device)
    ember.manual_seed(7)
    b = ember.rand(100, device=ember_device)
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    assert 0.0 <= float(a.min()) and float(a.max()) < 1.0


def test_views_share_memory_on_device(ember_device: str) -> None:
    a = ember.zeros(3, 4, device=ember_device)
    a[1].fill_(2.0)
    a.t()[0].add_(1.0)
    expected = np.zeros((3, 4), np.float32)
    expected[1] = 2.0
    expected[:, 0] += 1.0
    np.testing.assert_array_equal(a.cpu().numpy(), expected)


def test_repr_and_printing(ember_device: str) -> None:
    t = ember.tensor([1.0, 2.0], device=ember_device)
    text = repr(t)
    assert text.startswith("tensor([1., 2.]")
    if ember.device(ember_device).type != "cpu":
        assert f"device='{ember_device}'" in text
