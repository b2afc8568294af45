"""ember-layers' records in ember-testing's op database, run through its harness: forward,
backward and double backward against torch, on every installed device (the cpu backend with
its fused kernels, the cpu backend with composites only, and any other backend installed,
e.g. the primitives-only ``npdev`` of the integration tests)."""

import numpy as np
import pytest

import ember
from ember_layers import testing_ops
from ember_testing import harness, opdb

torch = pytest.importorskip("torch")

testing_ops.populate()
RECORDS = [info.name for info in opdb.all_ops(owner="ember-layers")]
OTHER_DEVICES = [d for d in harness.installed_devices() if d != "cpu"]


def test_records_are_loaded_through_the_entry_point():
    opdb.load_plugin_ops()
    assert not [e for e in opdb.LOAD_ERRORS if e[0] == "layers"], opdb.LOAD_ERRORS
    assert len(RECORDS) >= 40


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", RECORDS)
def test_record(name, dtype):
    summary = harness.check_op(opdb.get(name), device="cpu", dtype=dtype)
    assert summary["samples"] > 0


@pytest.mark.parametrize("name", ["nn.functional.linear", "nn.functional.layer_norm",
                                  "nn.functional.gelu", "nn.functional.gelu.tanh",
                                  "nn.functional.embedding", "nn.functional.embedding_bag"])
def test_record_composite_only(name, monkeypatch):
    table = ember.ones(1)._k
    for kernel in ("linear", "layer_norm", "gelu", "gelu_backward", "embedding_backward"):
        monkeypatch.setattr(table, kernel, None)
    summary = harness.check_op(opdb.get(name), device="cpu", dtype="float64")
    assert summary["samples"] > 0


@pytest.mark.parametrize("device", OTHER_DEVICES)
@pytest.mark.parametrize("name", RECORDS)
def test_record_on_other_devices(name, device):
    summary = harness.check_op(opdb.get(name), device=device, dtype="float64")
    assert summary["samples"] > 0


@pytest.mark.parametrize("device", OTHER_DEVICES)
def test_modules_on_other_devices(device):
    def block(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Linear(8, 16), lib.nn.LayerNorm(16), lib.nn.GELU(),
                                 lib.nn.BatchNorm1d(16), lib.nn.PReLU(16), lib.nn.Linear(16, 4))

    x = np.random.default_rng(0).standard_normal((5, 8))
    ref, mod = block(ember).double(), block(ember).double()
    mod.load_state_dict(ref.state_dict())
    mod.to(device)
    out_ref = ref(ember.tensor(x))
    out = mod(ember.tensor(x).to(device))
    out_ref.sum().backward()
    out.sum().backward()
    assert out.device.type == device
    np.testing.assert_allclose(out.cpu().detach().numpy(), out_ref.detach().numpy(), rtol=1e-10)
    for p, q in zip(mod.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-12)
    for b, c in zip(mod.buffers(), ref.buffers(), strict=True):
        np.testing.assert_allclose(b.cpu().numpy(), c.numpy(), rtol=1e-10)
